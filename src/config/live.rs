//! The configuration in force, with its `[keys]` section reloadable while the service runs
//! (key rollover without downtime, on SIGHUP): the file is read again (same path, same
//! environment overrides) and validated in full; when valid, its keys replace ours in one step.
//! Other sections are not applied (they need a restart) and are only reported.
//!
//! A request takes one snapshot ([`LiveConfig::current`]) and finishes with it: a reload
//! never changes the keys under a request in flight.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use super::keys::CertSummary;
use super::{Config, ConfigError, Settings};

/// The configuration in force; its keys can be replaced by [`LiveConfig::reload`].
#[derive(Debug)]
pub struct LiveConfig {
    current: RwLock<Arc<Config>>,
}

/// What a successful reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// Sections that differ in the file but were not applied (they need a restart).
    pub not_applied: Vec<&'static str>,
    /// The keys now in use: (role, SHA-256 fingerprint of the certificate).
    pub keys: Vec<(&'static str, String)>,
}

impl LiveConfig {
    /// Puts `config` in force.
    pub fn new(config: Config) -> Self {
        Self { current: RwLock::new(Arc::new(config)) }
    }

    /// The configuration in force now: a snapshot that a request keeps to its end.
    pub fn current(&self) -> Arc<Config> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            // A writer never panics while holding the lock; should one, its value is whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads the configuration file again (same path, environment overrides read again),
    /// validates it in full and, when valid, applies its `[keys]` section in one step. On any
    /// problem the keys in force stay and every problem is returned. Blocking (files, key
    /// parsing): call it off the async workers.
    pub fn reload(&self) -> Result<Reloaded, ConfigError> {
        let old = self.current();
        let path: PathBuf = old.source.clone().ok_or_else(|| {
            ConfigError(vec!["this configuration was not loaded from a file: nothing to reload".into()])
        })?;
        let new = Config::load(Some(&path))?;
        let not_applied = changed_sections(&old.settings, &new.settings);
        let next = with_keys_of(&old, new);
        let keys = keys_in_use(&next);
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
        }
        Ok(Reloaded { not_applied, keys })
    }
}

/// `old` with the `[keys]` section of `new` (keys, certificates, signature algorithm).
fn with_keys_of(old: &Config, new: Config) -> Config {
    Config {
        settings: Settings { keys: new.settings.keys, ..old.settings.clone() },
        country: old.country,
        signing_key: new.signing_key,
        metadata_signing_key: new.metadata_signing_key,
        next_signing_cert: new.next_signing_cert,
        decryption_keys: new.decryption_keys,
        signature_algorithm: new.signature_algorithm,
        digest_algorithm: new.digest_algorithm,
        countries: old.countries.clone(),
        source: old.source.clone(),
    }
}

/// The sections other than `[keys]` that differ between `old` and `new`.
pub fn changed_sections(old: &Settings, new: &Settings) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            changed.push(name);
        }
    };
    check("connector", old.connector == new.connector);
    check("organization", old.organization == new.organization);
    check("contacts", old.contacts == new.contacts);
    check("countries", old.countries == new.countries);
    check("server", old.server == new.server);
    check("peers", old.peers == new.peers);
    check("api", old.api == new.api);
    check("store", old.store == new.store);
    changed
}

/// The certificates of the keys in force, by role, as SHA-256 fingerprints (never key
/// material): `signing`, `metadata_signing`, `next_signing`, `encryption` (in order).
pub fn keys_in_use(config: &Config) -> Vec<(&'static str, String)> {
    let now = time::OffsetDateTime::now_utc();
    let fp = |cert: &openssl::x509::X509| CertSummary::of(cert, now).sha256;
    let mut keys = Vec::new();
    keys.extend(config.signing_key.cert.as_ref().map(|c| ("signing", fp(c))));
    keys.extend(
        config.metadata_signing_key.as_ref().and_then(|k| k.cert.as_ref()).map(|c| ("metadata_signing", fp(c))),
    );
    keys.extend(config.next_signing_cert.as_ref().map(|c| ("next_signing", fp(c))));
    keys.extend(config.decryption_keys.iter().filter_map(|k| k.cert.as_ref()).map(|c| ("encryption", fp(c))));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sections_that_differ_are_reported() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/config.toml");
        let old = Config::load(Some(&path)).unwrap().settings;
        let mut new = old.clone();
        assert!(changed_sections(&old, &new).is_empty());
        new.keys.signature_algorithm = "changed".into();
        assert!(changed_sections(&old, &new).is_empty(), "[keys] is applied, not reported");
        new.api.tokens.push("another-token-of-the-hub".into());
        new.server.workers = Some(7);
        assert_eq!(changed_sections(&old, &new), vec!["server", "api"]);
    }
}
