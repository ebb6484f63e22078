//! `eidas-connector bench --batch WORKLOAD_DIR`: times the full Response validation of the ACS
//! on a workload of captured Responses (`manifest.json`, format 1), one line per Response.
//!
//! Keys and the proxy service's metadata (verified against the workload's trust anchor) are
//! loaded once per profile, as `serve` does at startup. Each Response then goes through
//! [`validate_response`], the very function the ACS calls, with the base64 form value as input,
//! the manifest's `now` as the clock, a pending request built from the manifest (its
//! `in_response_to`, `loa`, `country`) and a fresh replay cache per pass. What the ACS does
//! around it (store look-ups, the binding cookie, the handle) is not timed here: `cargo bench
//! --bench service` and `examples/load` cover it. This module holds no protocol logic.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::CommandError;
use crate::saml::metadata::{parse_proxy_metadata, MetadataOptions, ProxyServiceMetadata};
use crate::saml::response::{validate_response, Outcome, Peer, PendingRequest, ResponseContext, ResponsePolicy};
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use crate::xmlsec::keys::{same_public_key, PrivateKey, TrustedCert};

/// The only workload format this command reads.
const FORMAT: u64 = 1;

/// `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// A workload directory holding `manifest.json` (format 1): validate each Response once
    /// untimed (warm-up), then time `--repeat` passes. Prints `<b64 file as listed> <µs>
    /// ok|error:<code>` per Response on standard output and a summary per profile on standard
    /// error; exit 0 even when a Response is refused.
    #[arg(long, value_name = "WORKLOAD_DIR")]
    pub batch: PathBuf,
    /// Run only this profile (a key of the manifest's `profiles`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Timed passes; each line gives the best (lowest) time of the passes for that Response.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,
    /// Print one line per Response per pass (prefixed `pass=<n>`) instead of the best.
    #[arg(long)]
    pub each: bool,
}

/// Fields a profile may carry, or inherit from the top of the manifest.
#[derive(Debug, Default, Clone, Deserialize)]
struct Fields {
    now: Option<String>,
    clock_skew_s: Option<u64>,
    acs: Option<String>,
    audience: Option<String>,
    sp_entity_id: Option<String>,
    country: Option<String>,
    our_country: Option<String>,
    loa: Option<String>,
    idp_metadata: Option<String>,
    trust: Option<String>,
    sp_key: Option<String>,
    sp_cert: Option<String>,
}

impl Fields {
    /// `self`, with the manifest's top-level values where the profile is silent.
    fn or(self, top: &Self) -> Self {
        let t = top.clone();
        Self {
            now: self.now.or(t.now),
            clock_skew_s: self.clock_skew_s.or(t.clock_skew_s),
            acs: self.acs.or(t.acs),
            audience: self.audience.or(t.audience),
            sp_entity_id: self.sp_entity_id.or(t.sp_entity_id),
            country: self.country.or(t.country),
            our_country: self.our_country.or(t.our_country),
            loa: self.loa.or(t.loa),
            idp_metadata: self.idp_metadata.or(t.idp_metadata),
            trust: self.trust.or(t.trust),
            sp_key: self.sp_key.or(t.sp_key),
            sp_cert: self.sp_cert.or(t.sp_cert),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Manifest {
    format: u64,
    #[serde(flatten)]
    top: Fields,
    profiles: BTreeMap<String, ProfileEntry>,
}

#[derive(Debug, Deserialize)]
struct ProfileEntry {
    #[serde(flatten)]
    fields: Fields,
    responses: Vec<ResponseEntry>,
}

#[derive(Debug, Deserialize)]
struct ResponseEntry {
    /// The base64 form value, as the browser posts it: what is validated and printed.
    b64: String,
    in_response_to: String,
    /// When listed, an accepted Response must carry this `PersonIdentifier`.
    person_identifier: Option<String>,
}

/// One profile, loaded: everything the ACS holds before a Response arrives.
struct Loaded {
    name: String,
    now: OffsetDateTime,
    entity_id: String,
    acs_url: String,
    our_country: CountryCode,
    peer: Peer,
    keys: Vec<PrivateKey>,
    policy: ResponsePolicy,
    loa: LevelOfAssurance,
    responses: Vec<(ResponseEntry, Vec<u8>)>,
}

/// One Response's result in one pass.
struct Measured {
    elapsed: Duration,
    verdict: String,
}

fn fail(code: &str, detail: impl Into<String>) -> CommandError {
    CommandError::new(code, detail)
}

fn read(dir: &Path, rel: &str) -> Result<Vec<u8>, CommandError> {
    let p = dir.join(rel);
    std::fs::read(&p).map_err(|e| fail("bench.workload_unreadable", format!("{}: {e}", p.display())))
}

fn required<'a>(v: &'a Option<String>, profile: &str, key: &str) -> Result<&'a str, CommandError> {
    v.as_deref().ok_or_else(|| fail("bench.manifest_field", format!("profile {profile}: no `{key}` in manifest.json")))
}

/// Runs the batch; the lines for standard output (the summaries go to standard error as each
/// profile ends).
pub fn bench(args: &BenchArgs) -> Result<String, CommandError> {
    let dir = &args.batch;
    let text = read(dir, "manifest.json")?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| fail("bench.manifest_invalid", format!("{}: {e}", dir.join("manifest.json").display())))?;
    if manifest.format != FORMAT {
        return Err(fail("bench.manifest_format", format!("format {} (this build reads {FORMAT})", manifest.format)));
    }
    if let Some(p) = &args.profile {
        if !manifest.profiles.contains_key(p) {
            let known: Vec<&str> = manifest.profiles.keys().map(String::as_str).collect();
            return Err(fail(
                "bench.profile_unknown",
                format!("no profile {p} (the manifest has {})", known.join(", ")),
            ));
        }
    }
    // Load every selected profile first: a broken workload fails before any timing.
    let mut loaded = Vec::new();
    for (name, entry) in manifest.profiles {
        if args.profile.as_ref().is_none_or(|p| *p == name) {
            loaded.push(load_profile(dir, name, entry, &manifest.top)?);
        }
    }
    eprintln!("# {}", super::openssl_linked());
    let mut out = String::new();
    for profile in &loaded {
        run_profile(profile, args, &mut out);
    }
    Ok(out)
}

fn load_profile(dir: &Path, name: String, entry: ProfileEntry, top: &Fields) -> Result<Loaded, CommandError> {
    let f = entry.fields.or(top);
    let now_text = required(&f.now, &name, "now")?;
    let now = OffsetDateTime::parse(now_text, &Rfc3339)
        .map_err(|e| fail("bench.manifest_field", format!("profile {name}: now {now_text}: {e}")))?;
    let skew = time::Duration::seconds(i64::try_from(f.clock_skew_s.unwrap_or(60).min(3600)).unwrap_or(60));
    let country_text = required(&f.country, &name, "country")?;
    let country = CountryCode::parse(country_text)
        .ok_or_else(|| fail("bench.manifest_field", format!("profile {name}: country {country_text}")))?;
    let our_text = f.our_country.as_deref().unwrap_or("FR");
    let our_country = CountryCode::parse(our_text)
        .ok_or_else(|| fail("bench.manifest_field", format!("profile {name}: our_country {our_text}")))?;
    let loa_text = required(&f.loa, &name, "loa")?;
    let loa = LevelOfAssurance::from_uri(loa_text)
        .or_else(|| LevelOfAssurance::from_name(loa_text))
        .ok_or_else(|| fail("bench.manifest_field", format!("profile {name}: loa {loa_text}")))?;
    let entity_id = f.audience.clone().or(f.sp_entity_id.clone());
    let entity_id = required(&entity_id, &name, "audience")?.to_owned();
    let acs_url = required(&f.acs, &name, "acs")?.to_owned();

    let trust_rel = required(&f.trust, &name, "trust")?;
    let anchors = TrustedCert::from_pem(&read(dir, trust_rel)?)
        .map_err(|e| fail(e.code(), format!("{}: {e}", dir.join(trust_rel).display())))?;
    let opts = MetadataOptions { clock_skew: skew, ..MetadataOptions::default() };
    let md_rel = required(&f.idp_metadata, &name, "idp_metadata")?;
    let md = proxy_metadata(&dir.join(md_rel), &read(dir, md_rel)?, &anchors, now, country, &opts)?;

    let key_rel = required(&f.sp_key, &name, "sp_key")?;
    let cert = f.sp_cert.as_deref().map(|c| read(dir, c)).transpose()?;
    let key = PrivateKey::from_pem(&read(dir, key_rel)?, cert.as_deref())
        .map_err(|e| fail(e.code(), format!("{}: {e}", dir.join(key_rel).display())))?;
    if let Some(cert) = &key.cert {
        let public = cert.public_key().map_err(|_| fail("bench.sp_cert", "sp_cert: no public key"))?;
        if !same_public_key(&public, &key.key) {
            return Err(fail("bench.key_mismatch", format!("profile {name}: sp_key does not match sp_cert")));
        }
    }
    let mut responses = Vec::with_capacity(entry.responses.len());
    for r in entry.responses {
        let bytes = read(dir, &r.b64)?;
        responses.push((r, bytes));
    }
    // The peer as `serve` builds it for a country with the default settings.
    let peer = Peer::from_metadata(&md, country);
    Ok(Loaded {
        name,
        now,
        entity_id,
        acs_url,
        our_country,
        peer,
        keys: vec![key],
        policy: ResponsePolicy { clock_skew: skew, ..ResponsePolicy::default() },
        loa,
        responses,
    })
}

/// The proxy service of `country` in a verified metadata file.
fn proxy_metadata(
    path: &Path,
    bytes: &[u8],
    anchors: &[TrustedCert],
    now: OffsetDateTime,
    country: CountryCode,
    opts: &MetadataOptions,
) -> Result<ProxyServiceMetadata, CommandError> {
    let mut entities = parse_proxy_metadata(bytes, anchors, now, opts)
        .map_err(|e| fail(e.cause_code().unwrap_or(e.code()), format!("{}: {e}", path.display())))?;
    if entities.len() > 1 {
        entities.retain(|m| m.node_country == Some(country));
    }
    match entities.len() {
        1 => entities.pop().ok_or_else(|| fail("metadata.no_idp", "no proxy service")),
        0 => Err(fail("metadata.no_idp", format!("{}: no proxy service for {country}", path.display()))),
        _ => Err(fail("metadata.ambiguous", format!("{}: several proxy services for {country}", path.display()))),
    }
}

/// One validation, as the ACS runs it; the time covers `validate_response` only.
fn measure(
    p: &Loaded,
    entry: &ResponseEntry,
    message: &[u8],
    replay: &mut HashMap<String, OffsetDateTime>,
) -> Measured {
    // The pending request as the ACS rebuilds it from the stored record (untimed there too).
    let pending = PendingRequest {
        id: entry.in_response_to.clone(),
        country: p.peer.country.to_string(),
        proxy_entity_id: p.peer.entity_id.clone(),
        level_of_assurance: p.loa,
        requested_attributes: Vec::new(),
        name_id_format: NameIdFormat::Unspecified,
    };
    let ctx = ResponseContext {
        now: p.now,
        entity_id: &p.entity_id,
        acs_url: &p.acs_url,
        our_country: p.our_country,
        pending: &pending,
        peer: &p.peer,
        decryption_keys: &p.keys,
        policy: &p.policy,
    };
    let mut trace = Vec::new();
    let started = Instant::now();
    let result = validate_response(message, &ctx, replay, &mut trace);
    let elapsed = started.elapsed();
    let verdict = match result {
        Ok(Outcome::Authenticated(id)) => match &entry.person_identifier {
            Some(expected) if *expected != id.claims().sub_source => "error:bench.identity_mismatch".to_owned(),
            _ => "ok".to_owned(),
        },
        // A correctly signed non-success status: an outcome for the hub, not an accepted login.
        Ok(Outcome::Failed { code, .. }) => format!("error:status.{}", code.code()),
        Err(e) => format!("error:{}", e.code()),
    };
    Measured { elapsed, verdict }
}

/// Warm-up pass, then `repeat` timed passes; appends the lines and prints the summary.
fn run_profile(p: &Loaded, args: &BenchArgs, out: &mut String) {
    // Warm-up: its own replay cache, so that the timed passes see first uses.
    let mut warm = HashMap::new();
    for (entry, message) in &p.responses {
        let _ = measure(p, entry, message, &mut warm);
    }
    let mut best: Vec<Option<Measured>> = p.responses.iter().map(|_| None).collect();
    for pass in 1..=args.repeat {
        let mut replay = HashMap::new();
        for ((entry, message), slot) in p.responses.iter().zip(best.iter_mut()) {
            let m = measure(p, entry, message, &mut replay);
            if args.each {
                out.push_str(&format!("pass={pass} {} {} {}\n", entry.b64, m.elapsed.as_micros(), m.verdict));
            }
            if slot.as_ref().is_none_or(|b| m.elapsed < b.elapsed) {
                *slot = Some(m);
            }
        }
    }
    let mut ok = 0usize;
    let mut micros = Vec::new();
    for ((entry, _), m) in p.responses.iter().zip(&best) {
        let Some(m) = m else { continue };
        ok += usize::from(m.verdict == "ok");
        micros.push(m.elapsed.as_secs_f64() * 1e6);
        if !args.each {
            out.push_str(&format!("{} {} {}\n", entry.b64, m.elapsed.as_micros(), m.verdict));
        }
    }
    eprintln!("{}", summary(&p.name, p.responses.len(), ok, &mut micros, args.repeat));
}

/// `# <profile>: n, ok, median and mean of the best times, and the rate that mean gives on one
/// core`. The rate comes from the best times, not from a whole pass: on a shared machine one
/// descheduled Response would otherwise dominate a pass.
fn summary(name: &str, n: usize, ok: usize, micros: &mut [f64], passes: u32) -> String {
    micros.sort_by(f64::total_cmp);
    let median = micros.get(micros.len() / 2).copied().unwrap_or(0.0);
    let mean = if micros.is_empty() { 0.0 } else { micros.iter().sum::<f64>() / micros.len() as f64 };
    let rate = if mean > 0.0 { 1e6 / mean } else { 0.0 };
    format!(
        "# {name}: {n} responses, {ok} ok, best-of-{passes} median {median:.0} µs, mean {mean:.0} µs, {rate:.0} Responses/s (one core)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_fields_fall_back_to_the_top_of_the_manifest() {
        let top = Fields { loa: Some("top".into()), acs: Some("top-acs".into()), ..Fields::default() };
        let own = Fields { loa: Some("own".into()), ..Fields::default() };
        let merged = own.or(&top);
        assert_eq!(merged.loa.as_deref(), Some("own"));
        assert_eq!(merged.acs.as_deref(), Some("top-acs"));
        assert_eq!(merged.sp_key, None);
    }

    #[test]
    fn summary_reports_the_median_and_mean_of_the_best_times_and_their_rate() {
        let mut micros = vec![400.0, 100.0, 250.0];
        let line = summary("p", 3, 2, &mut micros, 2);
        assert_eq!(line, "# p: 3 responses, 2 ok, best-of-2 median 250 µs, mean 250 µs, 4000 Responses/s (one core)");
    }
}
