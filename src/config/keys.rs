//! Our key pairs as the `[keys]` section names them: PEM private keys, clear or encrypted
//! (PKCS#8 `ENCRYPTED PRIVATE KEY` or legacy `Proc-Type: 4,ENCRYPTED`), with the passphrase
//! from a file or an environment variable, and the matching certificates. Also the summary of
//! a certificate that operators see (subject, algorithm, SHA-256 fingerprint, expiry).
//!
//! # Security
//! A passphrase is held only while its key is decrypted: it is never logged, printed or kept,
//! and `Debug` of a [`Passphrase`] prints nothing of it. OpenSSL is never allowed to prompt on a
//! terminal (a service would hang): a key is decrypted only with a passphrase we pass.

use std::path::{Path, PathBuf};

use openssl::pkey::{Id, PKey, Private};
use openssl::x509::X509;

use super::KeyPairSettings;
use crate::xmlsec::keys::PrivateKey;

/// Why a key pair of `[keys]` could not be loaded. Each has a stable `code()`.
#[derive(Debug, thiserror::Error)]
pub enum KeyLoadError {
    /// The key or certificate file cannot be read.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Both `passphrase_file` and `passphrase_env` are set.
    #[error("set passphrase_file or passphrase_env, not both")]
    PassphraseAmbiguous,
    /// The passphrase file cannot be read.
    #[error("passphrase_file {path}: {source}")]
    PassphraseFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The passphrase variable is not set (or not UTF-8).
    #[error("passphrase_env: the environment variable {0} is not set")]
    PassphraseEnvUnset(String),
    /// The passphrase is empty.
    #[error("the passphrase is empty")]
    PassphraseEmpty,
    /// The key is encrypted and no passphrase is configured.
    #[error("the private key is encrypted: set passphrase_file or passphrase_env")]
    PassphraseMissing,
    /// The key is encrypted and the passphrase does not decrypt it.
    #[error("cannot decrypt the private key: wrong passphrase")]
    PassphraseWrong,
    /// The key file is not a PEM private key.
    #[error("not a PEM private key")]
    KeyUnreadable,
    /// The certificate file is not a PEM certificate.
    #[error("not a PEM certificate")]
    CertUnreadable,
    /// The certificate's public key is not the private key's.
    #[error("the certificate does not match the key")]
    CertMismatch,
}

impl KeyLoadError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::File { .. } => "key.file_unreadable",
            Self::PassphraseAmbiguous => "key.passphrase_ambiguous",
            Self::PassphraseFile { .. } => "key.passphrase_file_unreadable",
            Self::PassphraseEnvUnset(_) => "key.passphrase_env_unset",
            Self::PassphraseEmpty => "key.passphrase_empty",
            Self::PassphraseMissing => "key.passphrase_missing",
            Self::PassphraseWrong => "key.passphrase_wrong",
            Self::KeyUnreadable => "key.unreadable",
            Self::CertUnreadable => "key.cert_unreadable",
            Self::CertMismatch => "key.cert_mismatch",
        }
    }
}

/// A passphrase read from its source. `Debug` prints nothing of it.
pub struct Passphrase(Vec<u8>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

impl Passphrase {
    /// The passphrase of `pair`: from `passphrase_file` (one trailing newline ignored) or the
    /// variable `passphrase_env`; `None` when neither is set.
    pub fn of(pair: &KeyPairSettings, resolve: impl Fn(&Path) -> PathBuf) -> Result<Option<Self>, KeyLoadError> {
        Self::from_sources(pair.passphrase_file.as_deref().map(resolve).as_deref(), pair.passphrase_env.as_deref())
    }

    /// The passphrase from a file (one trailing newline ignored) or an environment variable.
    pub fn from_sources(file: Option<&Path>, env: Option<&str>) -> Result<Option<Self>, KeyLoadError> {
        let bytes = match (file, env) {
            (Some(_), Some(_)) => return Err(KeyLoadError::PassphraseAmbiguous),
            (None, None) => return Ok(None),
            (Some(path), None) => {
                let mut bytes = std::fs::read(path)
                    .map_err(|source| KeyLoadError::PassphraseFile { path: path.to_path_buf(), source })?;
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                    if bytes.last() == Some(&b'\r') {
                        bytes.pop();
                    }
                }
                bytes
            }
            (None, Some(name)) => {
                std::env::var(name).map_err(|_| KeyLoadError::PassphraseEnvUnset(name.to_owned()))?.into_bytes()
            }
        };
        if bytes.is_empty() {
            return Err(KeyLoadError::PassphraseEmpty);
        }
        Ok(Some(Self(bytes)))
    }

    /// The bytes, for an encryption (`keys generate`).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// True for an encrypted PEM private key: PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy PEM with
/// `Proc-Type: 4,ENCRYPTED`.
pub fn is_encrypted_pem(pem: &[u8]) -> bool {
    let text = String::from_utf8_lossy(pem);
    text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED")
}

/// Reads a PEM private key, clear or encrypted.
pub fn parse_private_key(pem: &[u8], passphrase: Option<&Passphrase>) -> Result<PKey<Private>, KeyLoadError> {
    if is_encrypted_pem(pem) {
        let pass = passphrase.ok_or(KeyLoadError::PassphraseMissing)?;
        return PKey::private_key_from_pem_passphrase(pem, &pass.0).map_err(|_| KeyLoadError::PassphraseWrong);
    }
    // A callback that gives no passphrase: OpenSSL must never prompt on a terminal.
    PKey::private_key_from_pem_callback(pem, |_| Ok(0)).map_err(|_| KeyLoadError::KeyUnreadable)
}

/// Loads the key pair `pair` (paths resolved by `resolve`): the private key, decrypted when
/// needed, and its certificate, which must hold the same public key.
pub fn load_key_pair(pair: &KeyPairSettings, resolve: impl Fn(&Path) -> PathBuf) -> Result<PrivateKey, KeyLoadError> {
    let read = |p: &Path| {
        let path = resolve(p);
        std::fs::read(&path).map_err(|source| KeyLoadError::File { path, source })
    };
    let key_pem = read(&pair.key)?;
    let cert_pem = read(&pair.cert)?;
    let passphrase = Passphrase::of(pair, &resolve)?;
    let key = parse_private_key(&key_pem, passphrase.as_ref())?;
    let cert = X509::from_pem(&cert_pem).map_err(|_| KeyLoadError::CertUnreadable)?;
    let matches = cert.public_key().is_ok_and(|p| crate::xmlsec::keys::same_public_key(&p, &key));
    if !matches {
        return Err(KeyLoadError::CertMismatch);
    }
    Ok(PrivateKey { key, cert: Some(cert) })
}

/// What operators see of a certificate (no key material).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertSummary {
    /// `CN=…,O=…,C=…`.
    pub subject: String,
    /// `RSA 3072`, `EC prime256v1`.
    pub algorithm: String,
    /// SHA-256 of the DER, upper-case hex with colons (as `openssl x509 -fingerprint -sha256`).
    pub sha256: String,
    /// `notAfter` as RFC 3339.
    pub not_after: String,
    /// Whole days from now to `notAfter` (negative once expired).
    pub days_left: i64,
}

impl CertSummary {
    /// The summary of `cert` at `now`.
    pub fn of(cert: &X509, now: time::OffsetDateTime) -> Self {
        let subject = cert
            .subject_name()
            .entries()
            .filter_map(|e| {
                e.data().to_string().ok().map(|s| format!("{}={s}", e.object().nid().short_name().unwrap_or("?")))
            })
            .collect::<Vec<_>>()
            .join(",");
        let algorithm = cert.public_key().map(|k| describe_key(&k)).unwrap_or_else(|_| "unknown".into());
        let der = cert.to_der().unwrap_or_default();
        let sha256 = openssl::sha::sha256(&der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        let not_after = not_after(cert);
        let days_left = not_after.map_or(i64::MIN, |t| (t - now).whole_days());
        let not_after = not_after
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_else(|| "unknown".into());
        Self { subject, algorithm, sha256, not_after, days_left }
    }
}

/// `RSA 3072`, `EC prime256v1`, or the key type.
pub fn describe_key<T: openssl::pkey::HasPublic>(key: &PKey<T>) -> String {
    match key.id() {
        Id::RSA => format!("RSA {}", key.bits()),
        Id::EC => {
            let curve = key
                .ec_key()
                .ok()
                .and_then(|ec| ec.group().curve_name())
                .and_then(|nid| nid.short_name().ok())
                .unwrap_or("unknown curve");
            format!("EC {curve}")
        }
        other => format!("{other:?}"),
    }
}

/// The certificate's `notAfter`.
pub fn not_after(cert: &X509) -> Option<time::OffsetDateTime> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(cert.not_after()).ok()?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    time::OffsetDateTime::from_unix_timestamp(secs).ok()
}

#[cfg(test)]
mod tests;
