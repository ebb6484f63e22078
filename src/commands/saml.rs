//! `eidas-connector metadata print|verify`, `authn-request` and `response check`: the eIDAS
//! protocol layer from the shell, exactly as the service runs it.

use std::path::{Path, PathBuf};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{read_input, CommandError};
use crate::config::Config;
use crate::saml::attributes::{self, PersonKind};
use crate::saml::authn_request::{
    build_authn_request, new_request_id, render_post_form, AuthnRequestParams, ProxyCapabilities, RequestedAttribute,
};
use crate::saml::metadata::{parse_proxy_metadata, MetadataOptions, ProxyServiceMetadata};
use crate::saml::response::{
    validate_response, CheckResult, Outcome, Peer, PendingRequest, ResponseContext, ResponsePolicy, CHECKS,
};
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use crate::xmlsec::keys::{PrivateKey, TrustedCert};

/// `metadata print`.
#[derive(Debug, clap::Args)]
pub struct MetadataPrintArgs {
    /// Configuration file (TOML).
    #[arg(long, env = "EIDAS_CONNECTOR_CONFIG")]
    pub config: PathBuf,
    /// Sign as of this instant (RFC 3339; default now).
    #[arg(long)]
    pub now: Option<String>,
}

/// `metadata verify`.
#[derive(Debug, clap::Args)]
pub struct MetadataVerifyArgs {
    /// The country's metadata trust anchor (PEM); repeat for several.
    #[arg(long = "trust", required = true)]
    pub trust: Vec<PathBuf>,
    /// Judge validity as of this instant (RFC 3339; default now).
    #[arg(long)]
    pub now: Option<String>,
    /// INSECURE: accept unsigned metadata (test aggregates only).
    #[arg(long)]
    pub insecure_allow_unsigned: bool,
    /// INSECURE: accept a trust anchor outside its validity period (per-country relaxation).
    #[arg(long)]
    pub insecure_ignore_certificate_validity: bool,
    /// The metadata file (EntityDescriptor or EntitiesDescriptor).
    pub file: PathBuf,
}

/// `authn-request`.
#[derive(Debug, clap::Args)]
pub struct AuthnRequestArgs {
    /// Configuration file (TOML).
    #[arg(long, env = "EIDAS_CONNECTOR_CONFIG")]
    pub config: PathBuf,
    /// The proxy service's metadata.
    #[arg(long)]
    pub metadata: PathBuf,
    /// Its country's metadata trust anchor (PEM); repeat for several.
    #[arg(long = "trust", required = true)]
    pub trust: Vec<PathBuf>,
    /// Requested minimum level of assurance.
    #[arg(long, value_parser = ["substantial", "high"])]
    pub loa: String,
    /// An extra attribute to request (Name URI or FriendlyName); the minimum data set is always requested.
    #[arg(long = "attribute")]
    pub attributes: Vec<String>,
    /// Request instant (RFC 3339; default now).
    #[arg(long)]
    pub now: Option<String>,
    /// Print the auto-submit HTML form instead of the XML.
    #[arg(long)]
    pub form: bool,
}

/// `response check`.
#[derive(Debug, clap::Args)]
pub struct ResponseCheckArgs {
    /// The captured Response: XML or base64 as posted; `-` for standard input.
    pub file: PathBuf,
    /// Our configuration: our entityID, ACS, country and keys, and the `[[countries]]` entry of
    /// `--country` (trust anchors and per-country settings). Flags given too take precedence
    /// (`--trust`, `--key`, `--entity-id`, `--acs`) or add to it (the `--require-…`,
    /// `--insecure-…` and `--refuse-…` switches).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The proxy service's metadata.
    #[arg(long)]
    pub metadata: PathBuf,
    /// Its country's metadata trust anchor (PEM); repeat for several. Required without `--config`.
    #[arg(long = "trust")]
    pub trust: Vec<PathBuf>,
    /// Our decryption key (PEM); repeat for several. Required without `--config`.
    #[arg(long = "key")]
    pub keys: Vec<PathBuf>,
    /// Our entityID (the expected Audience). Required without `--config`.
    #[arg(long)]
    pub entity_id: Option<String>,
    /// Our ACS URL (the expected Destination and Recipient). Required without `--config`.
    #[arg(long)]
    pub acs: Option<String>,
    /// The country the request went to.
    #[arg(long)]
    pub country: String,
    /// Our country (`connector.country`): the destination every PersonIdentifier `CC/DD/…` must
    /// name (default: the configuration's, else FR).
    #[arg(long)]
    pub our_country: Option<String>,
    /// The ID of the request this Response answers.
    #[arg(long)]
    pub in_response_to: String,
    /// The requested minimum level of assurance.
    #[arg(long, value_parser = ["substantial", "high"])]
    pub loa: String,
    /// An attribute that was required (Name URI or FriendlyName), beyond the minimum data set.
    #[arg(long = "require")]
    pub require: Vec<String>,
    /// The NameID format that was requested.
    #[arg(long, default_value = "unspecified", value_parser = ["persistent", "transient", "unspecified"])]
    pub name_id_format: String,
    /// Require a signed Assertion (per-country setting `require_signed_assertion`).
    #[arg(long)]
    pub require_signed_assertion: bool,
    /// INSECURE: accept a metadata trust anchor or a published signing certificate outside its
    /// validity period (per-country setting `insecure_ignore_certificate_validity`; reported in
    /// `--explain`).
    #[arg(long)]
    pub insecure_ignore_certificate_validity: bool,
    /// Refuse SHA-1 as the `xmlenc11#rsa-oaep` digest or MGF1 hash (per-country setting
    /// `allow_sha1_oaep = false`; accepted by default, each use shows as `"sha1_oaep": true`).
    #[arg(long)]
    pub refuse_sha1_oaep: bool,
    /// Judge times as of this instant (RFC 3339; default now).
    #[arg(long)]
    pub now: Option<String>,
    /// Print each check with pass/fail on standard error.
    #[arg(long)]
    pub explain: bool,
    /// Print personal values (names, dates, identifiers) in the JSON.
    #[arg(long)]
    pub show_values: bool,
}

fn fail(code: &str, detail: impl Into<String>) -> CommandError {
    CommandError::new(code, detail)
}

fn instant(now: Option<&str>) -> Result<OffsetDateTime, CommandError> {
    match now {
        None => Ok(OffsetDateTime::now_utc()),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map_err(|e| fail("usage.now", format!("--now {s}: {e}"))),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, CommandError> {
    std::fs::read(path).map_err(|e| fail("io.read", format!("{}: {e}", path.display())))
}

fn trust_anchors(paths: &[PathBuf]) -> Result<Vec<TrustedCert>, CommandError> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(TrustedCert::from_pem(&read_file(p)?).map_err(|e| fail(e.code(), format!("{}: {e}", p.display())))?);
    }
    Ok(out)
}

fn load_config(path: &Path) -> Result<Config, CommandError> {
    Config::load(Some(path)).map_err(|e| fail(e.code(), e.to_string()))
}

/// The single proxy service of a metadata file (or the one of `country` in an aggregate).
fn proxy_metadata(
    path: &Path,
    anchors: &[TrustedCert],
    now: OffsetDateTime,
    country: Option<CountryCode>,
    opts: &MetadataOptions,
) -> Result<ProxyServiceMetadata, CommandError> {
    let mut entities = parse_proxy_metadata(&read_file(path)?, anchors, now, opts)
        .map_err(|e| fail(e.cause_code().unwrap_or(e.code()), e.to_string()))?;
    if entities.len() > 1 {
        let Some(country) = country else {
            return Err(fail("metadata.ambiguous", "an aggregate: pass a single EntityDescriptor"));
        };
        entities.retain(|m| m.node_country == Some(country));
    }
    match entities.len() {
        1 => entities.pop().ok_or_else(|| fail("metadata.no_idp", "no proxy service")),
        0 => Err(fail("metadata.no_idp", "no proxy service for that country in the metadata")),
        _ => Err(fail("metadata.ambiguous", "several proxy services match; pass a single EntityDescriptor")),
    }
}

/// Our signed metadata.
pub fn metadata_print(args: &MetadataPrintArgs) -> Result<String, CommandError> {
    let cfg = load_config(&args.config)?;
    let now = instant(args.now.as_deref())?;
    cfg.build_metadata(now).map_err(|e| fail(e.code(), e.to_string()))
}

/// A verified proxy metadata file, summarized as JSON.
pub fn metadata_verify(args: &MetadataVerifyArgs) -> Result<String, CommandError> {
    let anchors = trust_anchors(&args.trust)?;
    let now = instant(args.now.as_deref())?;
    let opts = MetadataOptions {
        insecure_allow_unsigned: args.insecure_allow_unsigned,
        insecure_ignore_certificate_validity: args.insecure_ignore_certificate_validity,
        ..MetadataOptions::default()
    };
    if args.insecure_allow_unsigned {
        eprintln!("warning: --insecure-allow-unsigned: unsigned metadata is accepted without proof of origin");
    }
    if args.insecure_ignore_certificate_validity {
        eprintln!("warning: --insecure-ignore-certificate-validity: an expired trust anchor is accepted");
    }
    let entities = parse_proxy_metadata(&read_file(&args.file)?, &anchors, now, &opts)
        .map_err(|e| fail(e.cause_code().unwrap_or(e.code()), e.to_string()))?;
    let summary =
        if let [one] = entities.as_slice() { serde_json::to_value(one) } else { serde_json::to_value(&entities) };
    summary
        .and_then(|v| serde_json::to_string_pretty(&v))
        .map(|s| s + "\n")
        .map_err(|e| fail("output.json", e.to_string()))
}

/// The signed AuthnRequest (or its POST form) we would send to a proxy service.
pub fn authn_request(args: &AuthnRequestArgs) -> Result<String, CommandError> {
    let cfg = load_config(&args.config)?;
    let now = instant(args.now.as_deref())?;
    let md = proxy_metadata(&args.metadata, &trust_anchors(&args.trust)?, now, None, &MetadataOptions::default())?;
    let sso = md
        .sso_post_url
        .clone()
        .ok_or_else(|| fail("metadata.no_sso_post", "the proxy service has no HTTP-POST SSO endpoint"))?;
    let loa = LevelOfAssurance::from_name(&args.loa).ok_or_else(|| fail("usage.loa", "substantial or high"))?;
    let params = AuthnRequestParams {
        id: new_request_id().map_err(|e| fail(e.code(), e.to_string()))?,
        issue_instant: now,
        issuer: cfg.settings.connector.entity_id.clone(),
        provider_name: cfg.settings.connector.provider_name.clone(),
        level_of_assurance: loa,
        requested_attributes: args
            .attributes
            .iter()
            .map(|a| RequestedAttribute { name: a.clone(), required: false })
            .collect(),
        non_notified_levels: Vec::new(),
        name_id_format: NameIdFormat::Unspecified,
        requester_id: None,
    };
    let caps = ProxyCapabilities {
        sso_post_url: sso.clone(),
        supported_attributes: md.supported_attributes.clone(),
        levels_of_assurance: md.levels_of_assurance.clone(),
        requester_id_flag: md.requester_id_flag,
    };
    let xml = build_authn_request(&params, &caps, &cfg.signing_key, cfg.signature_algorithm, cfg.digest_algorithm)
        .map_err(|e| fail(e.code(), e.to_string()))?;
    if args.form {
        let mut relay = [0u8; 16];
        openssl::rand::rand_bytes(&mut relay).map_err(|_| fail("rand", "no randomness"))?;
        let relay: String = relay.iter().map(|b| format!("{b:02x}")).collect();
        return Ok(render_post_form(&sso, &xml, &relay));
    }
    Ok(xml)
}

fn requested_attributes(extra: &[String]) -> Result<Vec<RequestedAttribute>, CommandError> {
    let mut out: Vec<RequestedAttribute> = attributes::minimum_data_set(PersonKind::Natural)
        .map(|d| RequestedAttribute { name: d.name.to_owned(), required: d.mandatory })
        .collect();
    for name in extra {
        let def = attributes::by_name(name)
            .or_else(|| attributes::by_friendly_name(name))
            .ok_or_else(|| fail("request.unknown_attribute", format!("unknown attribute {name}")))?;
        match out.iter_mut().find(|a| a.name == def.name) {
            Some(a) => a.required = true,
            None => out.push(RequestedAttribute { name: def.name.to_owned(), required: true }),
        }
    }
    Ok(out)
}

/// The result of `response check`: JSON on stdout, the explanation on stderr.
pub struct ResponseCheck {
    /// JSON on success or on a valid failure status.
    pub result: Result<String, CommandError>,
    /// The checks, in order, when `--explain`.
    pub explanation: Option<String>,
}

/// Validates a captured Response as the service does.
pub fn response_check(args: &ResponseCheckArgs) -> ResponseCheck {
    let mut trace = Vec::new();
    let result = run_response_check(args, &mut trace);
    let explanation = args.explain.then(|| explain(&trace));
    ResponseCheck { result, explanation }
}

/// The check of the proxy's metadata, run by the command before the Response checks.
const METADATA_CHECK: &str = "metadata.trust_anchor";

fn explain(trace: &[CheckResult]) -> String {
    let mut out = String::new();
    for name in std::iter::once(METADATA_CHECK).chain(CHECKS) {
        // Each check reports once; should one report twice, the last result wins.
        match trace.iter().rev().find(|c| c.check == name) {
            Some(CheckResult { passed: true, relaxed: Some(why), .. }) => {
                out.push_str(&format!("  RELAXED  {name}: {why}\n"));
            }
            Some(CheckResult { passed: true, .. }) => out.push_str(&format!("  pass  {name}\n")),
            Some(CheckResult { code, .. }) => {
                out.push_str(&format!("  FAIL  {name}: {}\n", code.as_deref().unwrap_or("?")));
            }
            None => out.push_str(&format!("  ----  {name} (not run)\n")),
        }
    }
    out
}

fn run_response_check(args: &ResponseCheckArgs, trace: &mut Vec<CheckResult>) -> Result<String, CommandError> {
    let now = instant(args.now.as_deref())?;
    let country =
        CountryCode::parse(&args.country).ok_or_else(|| fail("usage.country", "two upper-case letters, e.g. ES"))?;
    let cfg = args.config.as_deref().map(load_config).transpose()?;
    let entry = cfg.as_ref().and_then(|c| c.country(country));
    let our_country = match (&args.our_country, &cfg) {
        (Some(c), _) => {
            CountryCode::parse(c).ok_or_else(|| fail("usage.our_country", "two upper-case letters, e.g. FR"))?
        }
        (None, Some(cfg)) => cfg.country,
        (None, None) => CountryCode::parse("FR").ok_or_else(|| fail("usage.our_country", "FR"))?,
    };
    let anchors = match (args.trust.is_empty(), entry) {
        (false, _) => trust_anchors(&args.trust)?,
        (true, Some(e)) => e.trust.clone(),
        (true, None) => return Err(fail("usage.trust", "pass --trust, or --config with a [[countries]] entry")),
    };
    // The per-country settings: the configuration's, tightened or relaxed by the switches.
    let settings = entry.map(|e| &e.settings);
    let require_signed_assertion =
        args.require_signed_assertion || settings.is_some_and(|s| s.require_signed_assertion);
    let ignore_validity =
        args.insecure_ignore_certificate_validity || settings.is_some_and(|s| s.insecure_ignore_certificate_validity);
    let allow_sha1_oaep = !args.refuse_sha1_oaep && settings.is_none_or(|s| s.allow_sha1_oaep);
    let clock_skew = settings.map_or(time::Duration::seconds(60), |s| {
        time::Duration::seconds(i64::try_from(s.clock_skew_secs).unwrap_or(60))
    });
    if ignore_validity {
        eprintln!("warning: certificate validity is not enforced for {country} (insecure_ignore_certificate_validity)");
    }
    let opts = MetadataOptions {
        insecure_ignore_certificate_validity: ignore_validity,
        clock_skew,
        ..MetadataOptions::default()
    };
    let md = proxy_metadata(&args.metadata, &anchors, now, Some(country), &opts);
    trace.push(CheckResult {
        check: METADATA_CHECK,
        passed: md.is_ok(),
        code: md.as_ref().err().map(|e| e.code.clone()),
        relaxed: match &md {
            Ok(m) if m.trust_anchor_validity.is_some_and(|v| !v.is_valid()) => {
                Some("trust anchor outside its validity period; accepted by insecure_ignore_certificate_validity")
            }
            _ => None,
        },
    });
    let md = md?;
    let owned_keys: Vec<PrivateKey> = args
        .keys
        .iter()
        .map(|p| {
            PrivateKey::from_pem(&read_file(p)?, None).map_err(|e| fail(e.code(), format!("{}: {e}", p.display())))
        })
        .collect::<Result<_, _>>()?;
    let keys: &[PrivateKey] = match (&cfg, owned_keys.is_empty()) {
        (Some(cfg), true) => &cfg.decryption_keys,
        (None, true) => return Err(fail("usage.key", "pass --key, or --config")),
        (_, false) => &owned_keys,
    };
    let from_config = |flag: &Option<String>, pick: fn(&Config) -> &str, name: &str| match (flag, &cfg) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(c)) => Ok(pick(c).to_owned()),
        (None, None) => Err(fail(&format!("usage.{name}"), format!("pass --{name}, or --config"))),
    };
    let entity_id = from_config(&args.entity_id, |c| &c.settings.connector.entity_id, "entity-id")?;
    let acs_url = from_config(&args.acs, |c| &c.settings.connector.acs_url, "acs")?;
    let loa = LevelOfAssurance::from_name(&args.loa).ok_or_else(|| fail("usage.loa", "substantial or high"))?;
    let pending = PendingRequest {
        id: args.in_response_to.clone(),
        country: country.to_string(),
        proxy_entity_id: md.entity_id.clone(),
        level_of_assurance: loa,
        requested_attributes: requested_attributes(&args.require)?,
        name_id_format: match args.name_id_format.as_str() {
            "persistent" => NameIdFormat::Persistent,
            "transient" => NameIdFormat::Transient,
            _ => NameIdFormat::Unspecified,
        },
    };
    let peer = Peer {
        require_signed_assertion,
        insecure_ignore_certificate_validity: ignore_validity,
        allow_sha1_oaep,
        ..Peer::from_metadata(&md, country)
    };
    let policy = ResponsePolicy { clock_skew, ..ResponsePolicy::default() };
    let ctx = ResponseContext {
        now,
        entity_id: &entity_id,
        acs_url: &acs_url,
        our_country,
        pending: &pending,
        peer: &peer,
        decryption_keys: keys,
        policy: &policy,
    };
    let message = read_input(&args.file)?;
    let mut replay = std::collections::HashMap::new();
    let outcome = validate_response(&message, &ctx, &mut replay, trace).map_err(|e| fail(&e.code(), e.to_string()))?;
    let json = match outcome {
        Outcome::Failed { status, code } => serde_json::json!({
            "outcome": "failed",
            "code": code.code(),
            "oidc_error": code.oidc_error(),
            "saml": status,
        }),
        Outcome::Authenticated(id) => {
            let mut subject = serde_json::Map::new();
            subject.insert("format".into(), serde_json::json!(id.name_id_format()));
            let mut v = serde_json::Map::new();
            v.insert("outcome".into(), "authenticated".into());
            v.insert("issuer".into(), id.issuer().into());
            v.insert("citizen_country".into(), serde_json::json!(id.country()));
            v.insert("level_of_assurance".into(), serde_json::json!(id.level_of_assurance()));
            v.insert(
                "authn_instant".into(),
                serde_json::json!(id.authn_instant().and_then(|t| t.format(&Rfc3339).ok())),
            );
            v.insert("acr".into(), id.claims().acr.as_str().into());
            v.insert("sha1_oaep".into(), id.sha1_oaep().into());
            v.insert("amr".into(), serde_json::json!(id.claims().amr));
            v.insert(
                "attribute_names".into(),
                serde_json::json!(id.attributes().iter().map(|(name, _)| name).collect::<Vec<_>>()),
            );
            // Personal data only on request (STYLE: never print values by default).
            if args.show_values {
                subject.insert("name_id".into(), id.name_id().into());
                v.insert("attributes".into(), serde_json::to_value(id.attributes()).unwrap_or_default());
                v.insert("person".into(), serde_json::to_value(id.person()).unwrap_or_default());
                v.insert("claims".into(), serde_json::to_value(id.claims()).unwrap_or_default());
            }
            v.insert("subject".into(), subject.into());
            serde_json::Value::Object(v)
        }
    };
    serde_json::to_string_pretty(&json).map(|s| s + "\n").map_err(|e| fail("output.json", e.to_string()))
}
