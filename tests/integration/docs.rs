//! The operator documentation checked against the code (issue 9): every configuration key the
//! code accepts is in `docs/configuration.md` and every key documented there is accepted (the
//! settings' types traced with `serde-reflection`, no hand-kept list); every metric the code
//! registers and every audit and security event it emits is in `docs/operations.md`, and
//! nothing documented there is missing from the code; `docs/openapi.json` is what the service
//! serves at `/api/v1/openapi.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use eidas_connector::config::Settings;
use eidas_connector::peers::CountryStatus;
use eidas_connector::saml::CountryCode;
use eidas_connector::telemetry::Metrics;
use serde_reflection::{ContainerFormat, Format, Named, Registry, Tracer, TracerConfig};

use crate::service::{spawn_app_for, AppOptions, PeerConfig};
use crate::support::{repo, repo_file};

fn read_doc(name: &str) -> String {
    std::fs::read_to_string(repo_file("docs").join(name)).unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

/// The cells of a Markdown table row (`| a | b |`), trimmed; `None` for other lines and for the
/// `|---|` separator.
fn table_cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
    (!cells.iter().all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))).then_some(cells)
}

/// `` `text` `` → `text`, when the cell is exactly one code span.
fn code_span(cell: &str) -> Option<&str> {
    let inner = cell.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('`')).then_some(inner)
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// What kind of value a key holds, in the words of the reference's "Type" column.
fn kind_of(registry: &Registry, format: &Format) -> (&'static [&'static str], bool) {
    match format {
        Format::Option(inner) => (kind_of(registry, inner).0, true),
        Format::Bool => (&["boolean"], false),
        Format::Str => (&["string", "path", "url"], false),
        Format::U8 | Format::U16 | Format::U32 | Format::U64 | Format::I32 | Format::I64 => (&["integer"], false),
        Format::Seq(inner) if is_struct(registry, inner) => (&["list of tables"], false),
        Format::Seq(_) => (&["list"], false),
        Format::TypeName(name) => match registry.get(name) {
            Some(ContainerFormat::Struct(_)) => (&["table"], false),
            _ => (&["string"], false),
        },
        other => panic!("a configuration value of a form this test does not know: {other:?}"),
    }
}

fn is_struct(registry: &Registry, format: &Format) -> bool {
    matches!(format, Format::TypeName(n) if matches!(registry.get(n), Some(ContainerFormat::Struct(_))))
}

fn struct_fields<'a>(registry: &'a Registry, format: &Format) -> Option<&'a [Named<Format>]> {
    let inner = match format {
        Format::Option(inner) | Format::Seq(inner) => inner.as_ref(),
        other => other,
    };
    match inner {
        Format::TypeName(name) => match registry.get(name) {
            Some(ContainerFormat::Struct(fields)) => Some(fields),
            _ => None,
        },
        _ => None,
    }
}

/// An accepted key: its kinds (any of these words in the "Type" column) and whether it is
/// optional.
#[derive(Debug)]
struct Accepted {
    kinds: &'static [&'static str],
    optional: bool,
}

/// Every key below the sections (`connector.entity_id`, `keys.encryption[].key`, …), traced
/// from the `Settings` type the configuration is deserialized into.
fn accepted_keys(registry: &Registry, prefix: &str, fields: &[Named<Format>], out: &mut BTreeMap<String, Accepted>) {
    for field in fields {
        let path = format!("{prefix}.{}", field.name);
        let (kinds, optional) = kind_of(registry, &field.value);
        if let Some(children) = struct_fields(registry, &field.value) {
            let below = if matches!(field.value, Format::Seq(_)) { format!("{path}[]") } else { path.clone() };
            accepted_keys(registry, &below, children, out);
        }
        out.insert(path, Accepted { kinds, optional });
    }
}

/// The sections (`connector`, `countries`, …) with their keys.
fn settings_reflection() -> (Vec<(String, bool)>, BTreeMap<String, Accepted>) {
    let mut tracer = Tracer::new(TracerConfig::default());
    tracer.trace_simple_type::<Settings>().expect("Settings can be traced");
    // Unchecked: an enum (`sp_type`) is seen with one variant, which is all this needs.
    let registry = tracer.registry_unchecked();
    let Some(ContainerFormat::Struct(sections)) = registry.get("Settings") else { panic!("Settings is a struct") };
    let mut keys = BTreeMap::new();
    let mut names = Vec::new();
    for section in sections {
        let fields = struct_fields(&registry, &section.value).expect("every section is a table");
        let list = matches!(section.value, Format::Seq(_));
        let prefix = if list { format!("{}[]", section.name) } else { section.name.clone() };
        accepted_keys(&registry, &prefix, fields, &mut keys);
        names.push((section.name.clone(), list));
    }
    (names, keys)
}

/// A documented key: a table row of `docs/configuration.md` whose first cell is one code span
/// of a dotted key path.
#[derive(Debug)]
struct Documented {
    line: usize,
    type_cell: String,
    default_cell: String,
}

fn documented_keys(doc: &str) -> BTreeMap<String, Documented> {
    let mut out = BTreeMap::new();
    for (i, line) in doc.lines().enumerate() {
        let Some(cells) = table_cells(line) else { continue };
        let Some(key) = cells.first().and_then(|c| code_span(c)) else { continue };
        let is_path = key.contains('.')
            && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '[' | ']'));
        if !is_path {
            continue;
        }
        let doc = Documented {
            line: i + 1,
            type_cell: cells.get(1).copied().unwrap_or_default().to_ascii_lowercase(),
            default_cell: cells.get(2).copied().unwrap_or_default().to_ascii_lowercase(),
        };
        if let Some(before) = out.insert(key.to_owned(), doc) {
            panic!("docs/configuration.md documents `{key}` twice (lines {} and {})", before.line, i + 1);
        }
    }
    out
}

#[test]
fn every_configuration_key_is_documented_and_every_documented_key_is_accepted() {
    let doc = read_doc("configuration.md");
    let (sections, accepted) = settings_reflection();
    let documented = documented_keys(&doc);
    let mut problems = Vec::new();
    for (section, list) in &sections {
        let heading = if *list { format!("`[[{section}]]`") } else { format!("`[{section}]`") };
        if !doc.lines().any(|l| l.starts_with('#') && l.contains(&heading)) {
            problems.push(format!("section {heading} has no heading in docs/configuration.md"));
        }
    }
    for (key, a) in &accepted {
        match documented.get(key) {
            None => problems.push(format!(
                "key `{key}` is accepted by the code (src/config.rs, src/config/service.rs) but has no row in \
                 docs/configuration.md"
            )),
            Some(d) => {
                if !a.kinds.iter().any(|k| d.type_cell.contains(k)) {
                    problems.push(format!(
                        "docs/configuration.md line {}: `{key}` is of type {} in the code, the Type column says {:?}",
                        d.line,
                        a.kinds.join(" or "),
                        d.type_cell
                    ));
                }
                if a.optional && d.default_cell.contains("required") {
                    problems.push(format!(
                        "docs/configuration.md line {}: `{key}` is optional in the code, documented as required",
                        d.line
                    ));
                }
            }
        }
    }
    for (key, d) in &documented {
        if !accepted.contains_key(key) {
            problems.push(format!(
                "docs/configuration.md line {}: `{key}` is documented but the code does not accept it \
                 (deny_unknown_fields would refuse the file)",
                d.line
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the configuration reference is out of step with the code:\n  - {}",
        problems.join("\n  - ")
    );
    assert!(accepted.len() > 40, "the trace found only {} keys", accepted.len());
}

/// `with_list_parse_key("api.tokens")` in `Config::load`: the keys whose environment override
/// is a comma-separated list.
#[test]
fn the_keys_whose_environment_override_is_a_list_are_the_documented_ones() {
    let code = std::fs::read_to_string(repo_file("src/config.rs")).unwrap();
    let in_code: BTreeSet<&str> = code
        .split("with_list_parse_key(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(key, _)| key))
        .collect();
    assert!(!in_code.is_empty(), "no with_list_parse_key in src/config.rs: update this test");
    let doc = read_doc("configuration.md");
    // The sentence that lists them: "Comma-separated lists: `a`, `b`, `c`."
    let line = doc
        .lines()
        .find(|l| l.contains("Comma-separated lists:"))
        .expect("docs/configuration.md has a line with \"Comma-separated lists:\"");
    let documented: BTreeSet<&str> = line.split('`').skip(1).step_by(2).collect();
    assert_eq!(
        documented, in_code,
        "docs/configuration.md's \"Comma-separated lists:\" line must name exactly the keys of with_list_parse_key \
         in src/config.rs"
    );
}

// ---------------------------------------------------------------------------------------------
// Operations: metrics and events

/// The rows of the table whose header's first cell is `header`: first cell (a code span) → the
/// other cells.
fn table_rows(doc: &str, header: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in doc.lines() {
        let Some(cells) = table_cells(line) else {
            if !line.trim_start().starts_with('|') {
                inside = false;
            }
            continue;
        };
        if cells.first() == Some(&header) {
            inside = true;
            continue;
        }
        if inside {
            if let Some(name) = cells.first().and_then(|c| code_span(c)) {
                let rest = cells.iter().skip(1).map(|c| (*c).to_owned()).collect();
                assert!(out.insert(name.to_owned(), rest).is_none(), "`{name}` has two rows in the {header} table");
            }
        }
    }
    out
}

/// The metrics of the exposition, as scraped (`eidas_requests_total`), with their types: the
/// registry `/metrics` renders, with one series in each family (an empty family renders
/// nothing).
fn exposed_metrics() -> BTreeMap<String, String> {
    let m = Metrics::new();
    let xa = CountryCode::parse("XA");
    m.request_started(xa);
    m.outcome(xa, "success");
    m.start_latency(std::time::Duration::from_millis(1));
    m.acs_latency(std::time::Duration::from_millis(1));
    m.store_error("store_unavailable");
    if let Some(code) = xa {
        m.sha1_oaep(code);
    }
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let status = CountryStatus {
        code: xa.unwrap(),
        available: true,
        reason: None,
        last_error: Some("peers.fetch_timeout".into()),
        fetched_at: Some(now),
        valid_until: Some(now),
        last_attempt: Some(now),
        levels_of_assurance: Vec::new(),
        supported_attributes: Vec::new(),
        trust_anchor_validity: None,
    };
    let text = m.render(&[status], now);
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| {
            let exposed = if kind == "counter" { format!("{name}_total") } else { name.to_owned() };
            (exposed, kind.to_owned())
        })
        .collect()
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(repo()).unwrap_or(&path).display().to_string();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The names given to `.register("name", …)` anywhere under `src/` (a metric registered on
/// another registry than the one `/metrics` renders would be missed by [`exposed_metrics`]).
fn registered_names() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (file, text) in sources(&repo_file("src")) {
        for call in [".register(", ".register_with_unit("] {
            for rest in text.split(call).skip(1) {
                if let Some(name) = rest.trim_start().strip_prefix('"').and_then(|r| r.split_once('"')).map(|(n, _)| n)
                {
                    out.push((file.clone(), name.to_owned()));
                }
            }
        }
    }
    out
}

/// `eidas_{registered}` as scraped: itself, or with `_total` for a counter.
fn is_exposition_of(exposed: &str, registered: &str) -> bool {
    exposed
        .strip_prefix("eidas_")
        .is_some_and(|rest| rest == registered || rest.strip_suffix("_total") == Some(registered))
}

#[test]
fn every_metric_the_service_registers_is_documented_and_every_documented_metric_exists() {
    let doc = read_doc("operations.md");
    let documented = table_rows(&doc, "Metric");
    let registered = registered_names();
    assert!(registered.len() >= 10, "only {} `.register(\"…\"` calls found under src/", registered.len());
    let exposed = exposed_metrics();
    let mut problems = Vec::new();
    for (file, name) in &registered {
        if !documented.keys().any(|d| is_exposition_of(d, name)) {
            let (shown, kind) = exposed
                .iter()
                .find(|(e, _)| is_exposition_of(e, name))
                .map_or((format!("eidas_{name}"), "?"), |(e, k)| (e.clone(), k.as_str()));
            problems.push(format!(
                "metric `{shown}` ({kind}, registered as {name:?} in {file}) has no row in the Metric table of docs/operations.md"
            ));
        }
    }
    for (name, cells) in &documented {
        if !registered.iter().any(|(_, r)| is_exposition_of(name, r)) {
            problems.push(format!("docs/operations.md documents metric `{name}`, which no code registers"));
        }
        if let Some(kind) = exposed.get(name) {
            if !cells.first().is_some_and(|t| t.contains(kind.as_str())) {
                problems.push(format!(
                    "docs/operations.md: `{name}` is a {kind}, its Type column says {:?}",
                    cells.first()
                ));
            }
        } else if exposed
            .keys()
            .any(|e| registered.iter().any(|(_, r)| is_exposition_of(e, r) && is_exposition_of(name, r)))
        {
            problems.push(format!(
                "docs/operations.md: `{name}` is not the name Prometheus scrapes (counters end in _total)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the metrics of docs/operations.md are out of step with the code:\n  - {}",
        problems.join("\n  - ")
    );
}

/// Every `(target, event)` of a `tracing` call with `target: "audit"` or `target: "security"`
/// under `src/`, with the file that emits it.
fn emitted_events() -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (file, text) in sources(&repo_file("src")) {
        for target in ["audit", "security"] {
            let marker = format!("target: \"{target}\"");
            for rest in text.split(marker.as_str()).skip(1) {
                // The macro call ends at the first `);` after its target.
                let call = rest.split(");").next().unwrap_or_default();
                let event = call
                    .split("event = \"")
                    .nth(1)
                    .and_then(|r| r.split_once('"'))
                    .map(|(e, _)| e.to_owned())
                    .unwrap_or_else(|| panic!("{file}: a {target} event without `event = \"…\"`: {call}"));
                out.insert((target.to_owned(), event), file.clone());
            }
        }
    }
    out
}

#[test]
fn every_audit_and_security_event_is_documented_and_every_documented_event_is_emitted() {
    let doc = read_doc("operations.md");
    let documented: BTreeSet<(String, String)> = table_rows(&doc, "Event")
        .into_iter()
        .map(|(event, cells)| (cells.first().map(|t| t.trim_matches('`').to_owned()).unwrap_or_default(), event))
        .collect();
    let emitted = emitted_events();
    assert!(emitted.len() >= 8, "only {} events found in src/", emitted.len());
    let mut problems = Vec::new();
    for ((target, event), file) in &emitted {
        if !documented.contains(&(target.clone(), event.clone())) {
            problems.push(format!(
                "event `{event}` (target `{target}`, emitted in {file}) has no row in the Event table of docs/operations.md"
            ));
        }
    }
    for (target, event) in &documented {
        if !emitted.contains_key(&(target.clone(), event.clone())) {
            problems
                .push(format!("docs/operations.md documents event `{event}` (target `{target}`), which no code emits"));
        }
    }
    assert!(
        problems.is_empty(),
        "the events of docs/operations.md are out of step with the code:\n  - {}",
        problems.join("\n  - ")
    );
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document

/// `docs/openapi.json` is what the running service serves at `/api/v1/openapi.json`, byte for
/// byte as `eidas-connector openapi` prints it. `EIDAS_UPDATE_DOCS=1` rewrites the file.
#[tokio::test]
async fn the_committed_openapi_document_is_the_one_the_service_serves() {
    let peer = PeerConfig {
        country: "XA".into(),
        // Nothing listens there: the country is unavailable, which the document does not depend on.
        metadata_url: "http://127.0.0.1:9/metadata".into(),
        trust: repo_file("certs/test-pki/idp-metadata-signer.crt.pem").to_string_lossy().into_owned(),
    };
    let app = spawn_app_for(&peer, &AppOptions::default()).await;
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.internal)).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let served: serde_json::Value = res.json().await.unwrap();
    // The API itself still wants its token (the document is the only open path besides /metrics).
    let unauthenticated = reqwest::get(format!("{}/api/v1/countries", app.internal)).await.unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401, "the API answers only with a bearer token");
    app.stop().await;

    let printed = eidas_connector::commands::openapi::openapi().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&printed).unwrap(),
        served,
        "the command prints what is served"
    );
    let path = repo_file("docs/openapi.json");
    if std::env::var_os("EIDAS_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &printed).unwrap();
        eprintln!("docs/openapi.json rewritten");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == printed,
        "docs/openapi.json differs from what the service serves at /api/v1/openapi.json; regenerate it with \
         `cargo run -q -- openapi > docs/openapi.json` (or EIDAS_UPDATE_DOCS=1 cargo test --test integration \
         docs::the_committed_openapi) and review the diff"
    );
}
