//! `eidas-connector config check --config FILE [--online]`: loads and validates the
//! configuration exactly as `serve` does and prints what the service would do, secrets left
//! out (token count only, the Redis password redacted, no key material). Contacts nothing
//! unless `--online`: then each country's metadata is fetched and verified as the service
//! does, and Redis is pinged.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;

use super::CommandError;
use crate::config::keys::CertSummary;
use crate::config::Config;
use crate::xmlsec::keys::{CertValidity, TrustedCert};

/// A certificate closer than this to its `notAfter` is warned about.
const WARN_DAYS: i64 = 30;

/// `config check`.
#[derive(Debug, clap::Args)]
pub struct ConfigCheckArgs {
    /// Configuration file (TOML); `EIDAS_CONNECTOR__SECTION__KEY` variables override it.
    #[arg(long, env = "EIDAS_CONNECTOR_CONFIG")]
    pub config: PathBuf,
    /// Also fetch and verify each country's metadata and ping Redis.
    #[arg(long)]
    pub online: bool,
}

/// What `config check` found: the report (stdout) and, when invalid, every problem.
#[derive(Debug)]
pub struct ConfigCheck {
    /// What the service would do, then the warnings.
    pub report: String,
    /// `Err` with every problem listed when the configuration is not fit to serve.
    pub result: Result<(), CommandError>,
}

/// Runs the check.
pub fn config_check(args: &ConfigCheckArgs) -> ConfigCheck {
    let config = match Config::load(Some(&args.config)) {
        Ok(c) => c,
        Err(e) => {
            return ConfigCheck { report: String::new(), result: Err(CommandError::new(e.code(), e.to_string())) }
        }
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let now = OffsetDateTime::now_utc();
    let mut out = format!("configuration {}\n", args.config.display());
    describe_service(&config, &mut out, &mut problems);
    describe_countries(&config, now, &mut out, &mut warnings);
    describe_keys(&config, now, &mut out, &mut warnings, &mut problems);
    if args.online {
        online(&config, &mut out, &mut problems);
    }
    for w in &warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let result = if problems.is_empty() {
        let _ = writeln!(out, "valid ({} warning{})", warnings.len(), if warnings.len() == 1 { "" } else { "s" });
        Ok(())
    } else {
        Err(CommandError::new("config.invalid", format!("invalid configuration:\n  - {}", problems.join("\n  - "))))
    };
    ConfigCheck { report: out, result }
}

/// `redis://:secret@host/0` → `redis://:REDACTED@host/0`.
pub fn redact_redis_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("REDACTED"));
            }
            u.to_string()
        }
        Err(_) => "[unparsable URL redacted]".into(),
    }
}

fn describe_service(config: &Config, out: &mut String, problems: &mut Vec<String>) {
    let s = &config.settings;
    let _ = writeln!(
        out,
        "connector\n  entity_id        {}\n  acs_url          {}",
        s.connector.entity_id, s.connector.acs_url
    );
    match crate::startup::public_base_url(config) {
        Ok(base) => {
            let _ = writeln!(out, "  public origin    {base}");
        }
        Err(e) => problems.push(format!("{e} ({})", e.code())),
    }
    let _ = writeln!(
        out,
        "listeners\n  public           {}\n  internal         {} (the hub's API and /metrics: never expose it)",
        s.server.public_listen, s.server.internal_listen
    );
    let store = match (s.store.backend.as_str(), &s.store.redis_url) {
        ("redis", Some(u)) => format!("redis {} (key prefix {:?})", redact_redis_url(u), s.store.key_prefix),
        (backend, _) => format!("{backend} (one instance only; at most {} entries)", s.store.max_entries),
    };
    let _ = writeln!(out, "store              {store}");
    let _ = writeln!(out, "api\n  tokens           {} configured", s.api.tokens.len());
    for u in &s.api.return_urls {
        let _ = writeln!(out, "  return_url       {u}");
    }
}

fn describe_countries(config: &Config, now: OffsetDateTime, out: &mut String, warnings: &mut Vec<String>) {
    if config.countries.is_empty() {
        let _ = writeln!(out, "countries          none");
        warnings.push("no [[countries]]: no citizen can sign in".into());
    }
    for c in &config.countries {
        let _ = writeln!(out, "country {}\n  metadata_url     {}", c.code, c.settings.metadata_url);
        for t in &c.trust {
            let s = CertSummary::of(&t.cert, now);
            let _ = writeln!(
                out,
                "  trust anchor     {} (not after {}, {} days left)",
                s.subject, s.not_after, s.days_left
            );
            if s.days_left < 0 {
                warnings.push(format!("country {}: trust anchor {} expired on {}", c.code, s.subject, s.not_after));
            } else if s.days_left < WARN_DAYS {
                warnings
                    .push(format!("country {}: trust anchor {} expires in {} days", c.code, s.subject, s.days_left));
            }
        }
        let cs = &c.settings;
        let relaxations: Vec<&str> = [
            (cs.insecure_allow_http, "insecure_allow_http"),
            (cs.insecure_ignore_certificate_validity, "insecure_ignore_certificate_validity"),
            (cs.allow_sha1_oaep, "allow_sha1_oaep"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if !relaxations.is_empty() {
            let _ = writeln!(out, "  relaxations      {}", relaxations.join(", "));
        }
        if cs.require_signed_assertion {
            let _ = writeln!(out, "  requires         a signed Assertion");
        }
        for r in relaxations.iter().filter(|r| r.starts_with("insecure_")) {
            warnings.push(format!("country {}: {r} is on", c.code));
        }
    }
}

fn describe_keys(
    config: &Config,
    now: OffsetDateTime,
    out: &mut String,
    warnings: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let _ = writeln!(out, "keys\n  signature        {}", config.signature_algorithm.uri());
    let mut certs: Vec<(String, &openssl::x509::X509)> = Vec::new();
    certs.extend(config.signing_key.cert.iter().map(|c| ("signing".to_owned(), c)));
    if let Some(k) = &config.metadata_signing_key {
        certs.extend(k.cert.iter().map(|c| ("metadata_signing".to_owned(), c)));
    }
    certs.extend(config.next_signing_cert.iter().map(|c| ("next_signing_cert".to_owned(), c)));
    for (i, k) in config.decryption_keys.iter().enumerate() {
        certs.extend(k.cert.iter().map(|c| (format!("encryption[{i}]"), c)));
    }
    for (role, cert) in certs {
        let s = CertSummary::of(cert, now);
        let _ = writeln!(
            out,
            "  {role:<16} {}, {}\n  {:<16} SHA-256 {}\n  {:<16} not after {} ({} days left)",
            s.algorithm, s.subject, "", s.sha256, "", s.not_after, s.days_left
        );
        let validity = TrustedCert::from_x509(cert.clone()).map(|t| t.validity_at(now, time::Duration::ZERO));
        match validity {
            Ok(CertValidity::Valid) if s.days_left < WARN_DAYS => {
                warnings
                    .push(format!("keys.{role}: the certificate expires in {} days ({})", s.days_left, s.not_after));
            }
            Ok(CertValidity::Valid) => {}
            Ok(CertValidity::Expired) => {
                problems.push(format!("keys.{role}: the certificate expired on {} (key.cert_expired)", s.not_after));
            }
            Ok(CertValidity::NotYetValid) | Err(_) => {
                problems.push(format!("keys.{role}: the certificate is not valid yet (key.cert_not_yet_valid)"));
            }
        }
    }
}

/// `--online`: each country's metadata fetched and verified as the service does (no cache
/// written), and Redis pinged.
fn online(config: &Config, out: &mut String, problems: &mut Vec<String>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("online checks: no runtime: {e}"));
            return;
        }
    };
    runtime.block_on(async {
        let _ = writeln!(out, "online");
        let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::SystemClock);
        match crate::peers::Peers::new(config.countries.clone(), crate::peers::PeersOptions::default(), clock) {
            Ok(peers) => {
                peers.refresh_all().await;
                for st in peers.statuses() {
                    if st.available {
                        let until =
                            st.valid_until.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
                        let until = until.unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "  country {}     metadata fetched and verified (valid until {until})",
                            st.code
                        );
                    } else {
                        let why = st.last_error.clone().or(st.reason.map(str::to_owned)).unwrap_or_default();
                        let _ = writeln!(out, "  country {}     FAILED: {why}", st.code);
                        problems.push(format!("country {}: metadata not usable ({why})", st.code));
                    }
                }
            }
            Err(e) => problems.push(format!("countries: {e} ({})", e.code())),
        }
        let s = &config.settings.store;
        if let ("redis", Some(url)) = (s.backend.as_str(), s.redis_url.as_deref()) {
            let timeout = std::time::Duration::from_millis(s.op_timeout_ms);
            let ping = match crate::store::redis::RedisStore::connect(url, &s.key_prefix, timeout) {
                Ok(store) => {
                    use crate::store::Store as _;
                    store.ping().await
                }
                Err(e) => Err(e),
            };
            match ping {
                Ok(()) => {
                    let _ = writeln!(out, "  redis            answered PING");
                }
                Err(e) => {
                    let _ = writeln!(out, "  redis            FAILED: {}", e.code());
                    problems.push(format!("store: redis did not answer ({}): {e}", e.code()));
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redis_password_is_redacted() {
        assert_eq!(redact_redis_url("redis://:s3cret@127.0.0.1:6379/0"), "redis://:REDACTED@127.0.0.1:6379/0");
        assert_eq!(redact_redis_url("rediss://user:s3cret@r.example:6380"), "rediss://user:REDACTED@r.example:6380");
        assert_eq!(redact_redis_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
    }
}
