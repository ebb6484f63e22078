//! Every attack class of `shared/reference/attacks.md` through the public ACS of a running
//! service (issue 10): the real `eidas-connector serve` binary (its JSON logs captured), the
//! Python mock proxy service (`tests/oracles/mock_proxy.py` with `mock_proxy_attacks*.py`:
//! every Response made by python-xmlsec, lxml and pyca/cryptography, bound to the real pending
//! AuthnRequest), and a test browser on real HTTP.
//!
//! Each file of `attacks/` is one class; its table names one row per attack (the mock's
//! `scenario=atk_…`), and a failure names the rows. For an attack the browser must get the
//! normal 303 back to the hub and the hub's consume a `failure` with the expected code, the
//! service must log the expected refusal code, and never answer 5xx; valid variants
//! (`scenario=ok_…`) must be accepted through the same path. Whatever the row, the service's
//! logs must hold no personal data (names, PersonIdentifier) and no secret (the hub's token, key
//! material).

mod attributes;
mod c14n;
mod loa;
mod metadata;
mod parser;
mod protocol;
mod request;
mod signature;
mod wrapping;
mod xmlenc;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::mock_proxy::{http, MockProxy};
use crate::service::{
    client, config_text, consume_at, start_at, start_body, to_proxy_and_back, wait_for, AppOptions, Browser, Page,
    PeerConfig, TOKEN,
};

/// Longest wait for the service to start or a country to become (un)available.
const STARTUP: Duration = Duration::from_secs(60);

/// What must never appear in the service's logs: the mock identities' names and identifiers
/// (genuine and attacker), the hub's token, key material.
const NEVER_LOGGED: &[&str] = &[
    "Mustermann",
    "Erika",
    "MOCK0000000001",
    "Mallory",
    "EVIL0000000666",
    "1964-08-12",
    TOKEN,
    "PRIVATE KEY",
    "BEGIN CERTIFICATE",
];

/// `eidas-connector serve` as a child process (killed on drop), beside a mock proxy service.
pub struct Lab {
    /// The mock proxy service for `XA`.
    pub mock: MockProxy,
    /// `http://127.0.0.1:PORT` of the public listener.
    pub public: String,
    /// `http://127.0.0.1:PORT` of the internal listener.
    pub internal: String,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    _config: crate::support::TempFile,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One answer of a row: what the browser got at the ACS and, after a 303, the hub's consume.
#[derive(Debug)]
pub struct Outcome {
    /// The ACS's answer.
    pub acs: Page,
    /// The consume call (status, body) after a 303 to the hub.
    pub consumed: Option<(u16, Value)>,
    /// The mock's report of what it sent (`GET /last`).
    pub sent: Value,
    /// The service's log lines written during the row.
    pub logs: Vec<String>,
}

impl Lab {
    /// A mock (metadata in `metadata_mode` from the start, `ok` when `None`) and the service
    /// configured for it. `None` when Python with the oracle modules is missing (a skip).
    pub async fn start(metadata_mode: Option<&str>) -> Option<Self> {
        let mock = MockProxy::start("XA")?;
        if let Some(mode) = metadata_mode {
            mock_control(&mock, "/control/metadata", &format!("{{\"mode\": \"{mode}\"}}"));
        }
        let (public_port, internal_port) = (free_port(), free_port());
        let text = config_text(public_port, &PeerConfig::of(&mock), &AppOptions::default());
        let config = crate::support::TempFile::new("config.toml", text.as_bytes());
        let mut child = Command::new(env!("CARGO_BIN_EXE_eidas-connector"))
            .args(["serve", "--config", config.path()])
            .env("RUST_LOG", "info,eidas_connector=debug")
            .env("EIDAS_CONNECTOR__SERVER__INTERNAL_LISTEN", format!("127.0.0.1:{internal_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the service starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = Arc::clone(&logs);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    logs.lock().unwrap().push(line);
                }
            });
        }
        let public = format!("http://127.0.0.1:{public_port}");
        let internal = format!("http://127.0.0.1:{internal_port}");
        mock.set_connector_metadata_url(&format!("{public}/eidas/metadata"));
        let lab = Self { mock, public, internal, child, logs, _config: config };
        let url = format!("{}/healthz", lab.public);
        wait_for("the service listening", STARTUP, || {
            let url = url.clone();
            async move { client().get(url).send().await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        Some(lab)
    }

    /// [`Lab::start`], then waits until the country is available.
    pub async fn ready(metadata_mode: Option<&str>) -> Option<Self> {
        let lab = Self::start(metadata_mode).await?;
        lab.wait_country(true).await;
        Some(lab)
    }

    /// Waits until `XA`'s availability is `available`; returns its entry.
    pub async fn wait_country(&self, available: bool) -> Value {
        wait_for(&format!("XA available = {available}"), STARTUP, || async move {
            let xa = self.country().await;
            (xa["available"] == available && (available || !xa["reason"].is_null())).then_some(xa)
        })
        .await
    }

    /// `GET /api/v1/countries`: the entry of `XA`.
    pub async fn country(&self) -> Value {
        let res = client().get(format!("{}/api/v1/countries", self.internal)).bearer_auth(TOKEN).send().await.unwrap();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        body["countries"].as_array().and_then(|a| a.iter().find(|c| c["code"] == "XA").cloned()).unwrap_or(Value::Null)
    }

    /// The log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// `POST /api/v1/authn-requests` with `body`; (status, JSON).
    pub async fn start_request(&self, body: &Value) -> (u16, Value) {
        start_at(&self.internal, body).await
    }

    /// The hub's consume of `handle`; (status, JSON).
    pub async fn consume(&self, handle: &str) -> (u16, Value) {
        consume_at(&self.internal, handle).await
    }

    /// Started at `substantial`, the browser at the mock with `scenario`: (started, browser, ACS
    /// URL, the mock's form fields).
    pub async fn at_proxy(&self, scenario: &str) -> (Value, Browser, String, Vec<(String, String)>) {
        let (status, started) = self.start_request(&start_body(&self.mock, "substantial")).await;
        assert_eq!(status, 201, "{scenario}: {started}");
        let mut browser = Browser::new();
        let redirect = started["browser_redirect_url"].as_str().unwrap().to_owned();
        let (acs, fields) = to_proxy_and_back(&mut browser, &redirect, &format!("scenario={scenario}")).await;
        (started, browser, acs, fields)
    }

    /// The whole journey with the mock's `scenario`, then the hub's consume after a 303.
    pub async fn run(&self, scenario: &str) -> Outcome {
        let from = self.logs.lock().unwrap().len();
        let (_, mut browser, acs, fields) = self.at_proxy(scenario).await;
        let sent = self.mock.last_request();
        let page = browser.post_form(&acs, &fields).await;
        self.finish(page, sent, from).await
    }

    /// The consume after `page` (when it is a 303 to the hub) and the row's log lines.
    pub async fn finish(&self, acs: Page, sent: Value, from: usize) -> Outcome {
        let consumed = match (acs.status, acs.location.as_deref()) {
            (303, Some(location)) => {
                let url = url::Url::parse(location).unwrap();
                let handle = url.query_pairs().find(|(k, _)| k == "response_handle").map(|(_, v)| v.into_owned());
                match handle {
                    Some(h) => Some(self.consume(&h).await),
                    None => None,
                }
            }
            _ => None,
        };
        if consumed.is_some() {
            // The ACS logs its audit line before answering; the pipe reader may lag behind.
            wait_for("the ACS's audit line", STARTUP, || async move {
                self.logs.lock().unwrap()[from..].iter().any(|l| l.contains("response_received")).then_some(())
            })
            .await;
        }
        let logs = self.logs.lock().unwrap()[from..].to_vec();
        Outcome { acs, consumed, sent, logs }
    }
}

/// A control call to the mock (`POST path` with a JSON `body`).
pub fn mock_control(mock: &MockProxy, path: &str, body: &str) {
    let base = mock.metadata_url().trim_end_matches("/metadata");
    let reply = http("POST", &format!("{base}{path}"), Some("application/json"), body.as_bytes()).unwrap();
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
}

/// The `code` field of every `response_refused` / `response_replayed` security event in `logs`.
pub fn refusal_codes(logs: &[String]) -> Vec<String> {
    logs.iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| matches!(v["fields"]["event"].as_str(), Some("response_refused" | "response_replayed")))
        .filter_map(|v| v["fields"]["code"].as_str().map(str::to_owned))
        .collect()
}

/// What in `logs` must never be there (personal data, secrets), with the line.
pub fn leaks(logs: &[String], extra: &[&str]) -> Vec<String> {
    logs.iter()
        .flat_map(|l| {
            NEVER_LOGGED
                .iter()
                .chain(extra)
                .filter(|n| !n.is_empty() && l.contains(*n))
                .map(move |n| format!("{n:?} in {l}"))
        })
        .collect()
}

/// One attack: the mock's scenario, the hub's failure code, the refusal code the service logs
/// (`None`: the outcome is a SAML status, not a refusal).
pub struct Row {
    /// `scenario=` of the mock (also the row's name).
    pub scenario: &'static str,
    /// `error.code` of the hub's consume.
    pub hub: &'static str,
    /// The `code` of the `response_refused` security event.
    pub code: Option<&'static str>,
}

/// Shorthand for a [`Row`] refused with `invalid_response` and the logged `code`.
pub const fn refused(scenario: &'static str, code: &'static str) -> Row {
    Row { scenario, hub: "invalid_response", code: Some(code) }
}

/// A [`Row`] refused at the HTTP edge with a 4xx page (no 303, nothing stored for the hub).
pub const fn client_error(scenario: &'static str) -> Row {
    Row { scenario, hub: "", code: None }
}

/// Checks an attack's outcome; the problems found (empty: refused as it must be).
pub fn check_refused(row: &Row, out: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    if out.acs.status >= 500 {
        problems.push(format!("the ACS answered {}", out.acs.status));
    }
    match &out.consumed {
        _ if row.hub.is_empty() => {
            if !(400..500).contains(&out.acs.status) || out.consumed.is_some() {
                problems.push(format!("wanted a 4xx page, got {} {:?}", out.acs.status, out.acs.location));
            }
        }
        None => problems.push(format!("no 303 back to the hub: {} {:?}", out.acs.status, out.acs.location)),
        Some((status, body)) => {
            if *status != 200 || body["status"] != "failure" || body["error"]["code"] != row.hub {
                problems.push(format!("consume gave {status} {body}, wanted failure {}", row.hub));
            }
            for key in ["subject", "claims", "attributes", "person"] {
                if !body[key].is_null() {
                    problems.push(format!("consume carries {key}: {body}"));
                }
            }
            let text = body.to_string();
            for value in ["genuine_person_identifier", "evil_person_identifier"] {
                if let Some(v) = out.sent["response"][value].as_str().filter(|v| text.contains(v)) {
                    problems.push(format!("consume carries the identifier {v}"));
                }
            }
        }
    }
    let codes = refusal_codes(&out.logs);
    if let Some(code) = row.code {
        if !codes.iter().any(|c| c == code) {
            problems.push(format!("logged refusal codes {codes:?}, wanted {code}"));
        }
    }
    problems.extend(leaks(&out.logs, &sent_identifiers(&out.sent)));
    problems
}

/// Checks a valid variant's outcome: the genuine identity consumed, nothing refused or leaked.
pub fn check_accepted(out: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let want = out.sent["response"]["genuine_person_identifier"].as_str().unwrap_or("?").to_owned();
    match &out.consumed {
        Some((200, body)) if body["status"] == "success" && body["claims"]["sub_source"] == want.as_str() => {}
        other => problems.push(format!("ACS {} then consume {other:?}, wanted success for {want}", out.acs.status)),
    }
    let codes = refusal_codes(&out.logs);
    if !codes.is_empty() {
        problems.push(format!("refusals logged: {codes:?}"));
    }
    problems.extend(leaks(&out.logs, &sent_identifiers(&out.sent)));
    problems
}

fn sent_identifiers(sent: &Value) -> Vec<&str> {
    ["genuine_person_identifier", "evil_person_identifier"]
        .iter()
        .filter_map(|k| sent["response"][k].as_str())
        .collect()
}

/// Runs every row against one lab; panics naming each row that was not refused as it must be.
/// Returns how many rows ran.
pub async fn run_refused(lab: &Lab, rows: &[Row]) -> usize {
    let mut failures = Vec::new();
    for row in rows {
        let out = lab.run(row.scenario).await;
        let problems = check_refused(row, &out);
        eprintln!(
            "{}: ACS {} consume {:?} logged {:?}",
            row.scenario,
            out.acs.status,
            out.consumed.as_ref().map(|(_, b)| b["error"]["code"].clone()),
            refusal_codes(&out.logs)
        );
        if !problems.is_empty() {
            failures.push(format!("{}: {}", row.scenario, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} attacks not refused as expected:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    rows.len()
}

/// Runs every valid variant against one lab; panics naming each one that was not accepted.
pub async fn run_accepted(lab: &Lab, scenarios: &[&str]) -> usize {
    let mut failures = Vec::new();
    for scenario in scenarios {
        let out = lab.run(scenario).await;
        let problems = check_accepted(&out);
        if !problems.is_empty() {
            failures.push(format!("{scenario}: {}", problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} valid variants not accepted:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
    scenarios.len()
}
