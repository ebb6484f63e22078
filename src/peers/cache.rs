//! The last good copy on disk (`cache_dir`): `{CODE}.xml`, the bytes exactly as fetched and
//! verified, and `{CODE}.json`, when and from where they were fetched. Written atomically
//! (temporary file, then rename) after each successful verification; read once at startup
//! (eidas-spec §6.3: keep the last good copy on disk, as Sweden Connect's backup file).
//!
//! A copy on disk is never trusted as such: [`Peers::load_cache`] verifies it again against
//! the current trust anchors and clock, and ignores it (with a warning) when it is unreadable,
//! refused or expired.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::io::AsyncWriteExt as _;

use super::verify::verify_document;
use super::{Country, Peers, Source};
use crate::saml::CountryCode;

/// `{CODE}.json`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    /// When the bytes were fetched.
    #[serde(with = "time::serde::rfc3339")]
    fetched_at: OffsetDateTime,
    /// The URL they came from: a copy of another URL (the configuration changed) is ignored.
    metadata_url: String,
}

/// Why a cached copy was not used (logged; stable codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ignored {
    Unreadable,
    Sidecar,
    OtherUrl,
    TooLarge,
}

impl Ignored {
    fn code(self) -> &'static str {
        match self {
            Self::Unreadable => "peers.cache_unreadable",
            Self::Sidecar => "peers.cache_sidecar_invalid",
            Self::OtherUrl => "peers.cache_other_url",
            Self::TooLarge => "peers.metadata_too_large",
        }
    }
}

fn xml_path(dir: &Path, code: CountryCode) -> PathBuf {
    dir.join(format!("{code}.xml"))
}

fn sidecar_path(dir: &Path, code: CountryCode) -> PathBuf {
    dir.join(format!("{code}.json"))
}

/// Writes the verified `bytes` of `country` and their sidecar.
pub(super) async fn store(dir: &Path, country: &Country, bytes: &[u8], fetched_at: OffsetDateTime) -> io::Result<()> {
    let code = country.config.code;
    tokio::fs::create_dir_all(dir).await?;
    let sidecar = Sidecar { fetched_at, metadata_url: country.config.settings.metadata_url.clone() };
    let sidecar = serde_json::to_vec(&sidecar).map_err(io::Error::other)?;
    write_atomic(&xml_path(dir, code), bytes).await?;
    write_atomic(&sidecar_path(dir, code), &sidecar).await
}

/// Temporary file in the same folder, flushed to disk, then renamed over `path`: a reader sees
/// the old file or the new one, never half of one.
async fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("metadata");
    // A random suffix: instances sharing one cache folder (containers all run as pid 1) never
    // write into each other's temporary file.
    let mut nonce = [0u8; 8];
    openssl::rand::rand_bytes(&mut nonce).map_err(|_| std::io::Error::other("random generator"))?;
    let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_file_name(format!(".{name}.{suffix}.tmp"));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

/// The cached bytes of `country` and when they were fetched; `Ok(None)` when nothing is cached.
async fn read(dir: &Path, country: &Country, max_bytes: usize) -> Result<Option<(Vec<u8>, OffsetDateTime)>, Ignored> {
    let code = country.config.code;
    let sidecar = match tokio::fs::read(sidecar_path(dir, code)).await {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(Ignored::Unreadable),
    };
    let sidecar: Sidecar = serde_json::from_slice(&sidecar).map_err(|_| Ignored::Sidecar)?;
    // A copy is the configured URL's: after a configuration change the old one is stale.
    if sidecar.metadata_url != country.config.settings.metadata_url {
        return Err(Ignored::OtherUrl);
    }
    let path = xml_path(dir, code);
    let len = tokio::fs::metadata(&path).await.map_err(|_| Ignored::Unreadable)?.len();
    // The fetch limit applies to the copy too.
    if len > max_bytes as u64 {
        return Err(Ignored::TooLarge);
    }
    let bytes = tokio::fs::read(&path).await.map_err(|_| Ignored::Unreadable)?;
    Ok(Some((bytes, sidecar.fetched_at)))
}

impl Peers {
    /// Loads the last good copy of each country from `cache_dir`, verified again against the
    /// country's trust anchors at the clock's now, for the countries that have no valid copy
    /// yet. A missing copy is skipped; an unreadable, refused or expired one is ignored with a
    /// warning. Does nothing without `cache_dir`.
    pub async fn load_cache(&self) {
        let Some(dir) = self.inner.opts.cache_dir.as_deref() else { return };
        for country in &self.inner.countries {
            let code = country.config.code.as_str();
            let (bytes, fetched_at) = match read(dir, country, self.inner.opts.max_metadata_bytes).await {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(ignored) => {
                    tracing::warn!(country = code, code = ignored.code(), "cached metadata ignored");
                    continue;
                }
            };
            let now = self.inner.clock.now();
            match verify_document(&bytes, &country.config, now, fetched_at, Source::DiskCache) {
                Ok(snapshot) => {
                    let mut state = country.write();
                    if state.current.as_ref().is_some_and(|s| s.is_valid_at(now)) {
                        continue;
                    }
                    tracing::info!(
                        country = code,
                        valid_until = %snapshot.metadata.valid_until,
                        "metadata loaded from the disk cache"
                    );
                    state.current = Some(Arc::new(snapshot));
                }
                Err(e) => {
                    tracing::warn!(country = code, code = e.code(), cause = e.cause_code(), "cached metadata ignored");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::tests::{peers, vector, TempDir, URL};
    use crate::saml::CountryCode;

    fn es() -> CountryCode {
        CountryCode::parse("ES").unwrap()
    }

    #[tokio::test]
    async fn a_stored_copy_is_loaded_and_verified_again() {
        let dir = TempDir::new();
        let (p, _) = peers(Some(dir.path()));
        let es_country = p.country(es()).unwrap();
        store(dir.path(), es_country, &vector("proxy-metadata.xml"), crate::peers::tests::NOW).await.unwrap();
        assert!(dir.path().join("ES.xml").is_file() && dir.path().join("ES.json").is_file());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");

        let (fresh, _) = peers(Some(dir.path()));
        fresh.load_cache().await;
        let s = fresh.snapshot(es()).unwrap();
        assert_eq!(s.source, Source::DiskCache);
        assert_eq!(s.fetched_at, crate::peers::tests::NOW);
    }

    #[tokio::test]
    async fn a_copy_that_no_longer_verifies_is_ignored() {
        let dir = TempDir::new();
        let (p, _) = peers(Some(dir.path()));
        store(dir.path(), p.country(es()).unwrap(), &vector("proxy-metadata-tampered.xml"), crate::peers::tests::NOW)
            .await
            .unwrap();
        p.load_cache().await;
        assert_eq!(p.snapshot(es()).unwrap_err().reason, "metadata_not_loaded");
    }

    #[tokio::test]
    async fn a_copy_of_another_url_or_with_a_broken_sidecar_is_ignored() {
        let dir = TempDir::new();
        let (p, _) = peers(Some(dir.path()));
        store(dir.path(), p.country(es()).unwrap(), &vector("proxy-metadata.xml"), crate::peers::tests::NOW)
            .await
            .unwrap();
        let sidecar = std::fs::read_to_string(dir.path().join("ES.json")).unwrap();
        std::fs::write(dir.path().join("ES.json"), sidecar.replace(URL, "https://old.example.es/md")).unwrap();
        let c = p.country(es()).unwrap();
        assert_eq!(read(dir.path(), c, 1 << 20).await.unwrap_err(), Ignored::OtherUrl);
        std::fs::write(dir.path().join("ES.json"), b"{not json").unwrap();
        assert_eq!(read(dir.path(), c, 1 << 20).await.unwrap_err(), Ignored::Sidecar);
        std::fs::write(dir.path().join("ES.json"), sidecar).unwrap();
        assert_eq!(read(dir.path(), c, 100).await.unwrap_err(), Ignored::TooLarge);
        p.load_cache().await;
        assert!(p.snapshot(es()).is_ok());
    }
}
