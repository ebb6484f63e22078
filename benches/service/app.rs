//! The connector under test, started from the reference configuration, and the client that
//! plays the hub and the browser against it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eidas_connector::clock::{Clock, ManualClock};
use eidas_connector::config::Config;
use eidas_connector::flow::{new_handle, Flow, RequestRecord};
use eidas_connector::saml::response::{validate_response, Outcome, PendingRequest, ResponseContext, ResponsePolicy};
use eidas_connector::startup::{AppHandle, Application};
use eidas_connector::store::Kind;
use eidas_connector::xmlsec::decode_base64;
use time::macros::datetime;
use time::OffsetDateTime;
use tokio::runtime::Runtime;

use crate::proxy::ProxyService;
use crate::{read, replace, repo};

/// The instant of the committed vectors: `proxy-metadata.xml` is valid then.
const NOW: OffsetDateTime = datetime!(2026-11-25 10:00:30 UTC);
/// The proxy service of `ES` (the entityID of `tests/vectors/saml/proxy-metadata.xml`).
const PROXY: &str = "https://eidas.example.es/EidasNode/ServiceMetadata";
/// The hub's bearer token.
const TOKEN: &str = "a-long-random-bench-token";
/// Where the browser goes back (never followed).
const RETURN_URL: &str = "http://127.0.0.1:9/hub/callback";

/// A folder removed on drop: the configuration and the metadata disk cache.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("eidas-connector-bench-service-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("metadata-cache")).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `docker/config.toml` with absolute key paths, our loopback listeners, the bench's token and
/// return URL, the memory store, the disk cache in `dir` and one country, `ES`.
fn config_text(dir: &Path, public_port: u16, internal_port: u16) -> String {
    let certs = repo("certs").to_string_lossy().into_owned();
    let cache = dir.join("metadata-cache").to_string_lossy().into_owned();
    let text = std::fs::read_to_string(repo("docker/config.toml")).unwrap();
    let text = replace(&text, "\"../certs/", &format!("\"{certs}/"));
    let text =
        replace(&text, "public_listen = \"127.0.0.1:8080\"", &format!("public_listen = \"127.0.0.1:{public_port}\""));
    let text = replace(
        &text,
        "internal_listen = \"127.0.0.1:8081\"",
        &format!("internal_listen = \"127.0.0.1:{internal_port}\""),
    );
    let text = replace(
        &text,
        "# metadata_cache_dir = \"/var/cache/eidas-connector\"",
        &format!("metadata_cache_dir = \"{cache}\""),
    );
    let text = replace(&text, "tokens = [\"demo-token-not-for-production\"]", &format!("tokens = [\"{TOKEN}\"]"));
    let text = replace(
        &text,
        "return_urls = [\"https://localhost:8443/hub/\"]",
        "return_urls = [\"http://127.0.0.1:9/hub/\"]",
    );
    assert!(text.contains("backend = \"memory\""), "the reference configuration uses the memory store");
    let text = replace(&text, "https://localhost:8443", &format!("http://127.0.0.1:{public_port}"));
    format!(
        "{text}\n[[countries]]\ncode = \"ES\"\nmetadata_url = \"{PROXY}\"\n\
         trust = [\"{certs}/test-pki/idp-metadata-signer.crt.pem\"]\nrequire_signed_assertion = false\n"
    )
}

/// The disk cache `Peers::load_cache` reads at startup: the committed metadata of `ES` and its
/// sidecar (`src/peers/cache.rs`).
fn fill_metadata_cache(dir: &Path) {
    let cache = dir.join("metadata-cache");
    std::fs::write(cache.join("ES.xml"), read("tests/vectors/saml/proxy-metadata.xml")).unwrap();
    let sidecar = serde_json::json!({"fetched_at": "2026-11-25T10:00:00Z", "metadata_url": PROXY});
    std::fs::write(cache.join("ES.json"), serde_json::to_vec(&sidecar).unwrap()).unwrap();
}

/// A request the browser was sent to the proxy service with.
pub(crate) struct Pending {
    request_id: String,
    /// Our AuthnRequest's ID.
    pub(crate) saml_id: String,
    /// `name=value` of the binding cookie.
    cookie: String,
}

/// The running connector and the client that plays the hub and the browser (one
/// `reqwest::Client`: keep-alive connections, as a hub's pool and a browser keep them).
pub(crate) struct Service {
    pub(crate) rt: Runtime,
    http: reqwest::Client,
    public: String,
    internal: String,
    flow: Flow,
    handle: AppHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub(crate) proxy: ProxyService,
    /// A real success outcome as the store keeps it (copied under fresh handles for consume).
    outcome: Vec<u8>,
    _dir: TempDir,
}

fn start_body() -> serde_json::Value {
    let natural = "http://eidas.europa.eu/attributes/naturalperson";
    serde_json::json!({
        "citizen_country": "ES",
        "level_of_assurance": "substantial",
        "requested_attributes": [
            {"name": format!("{natural}/PlaceOfBirth"), "required": false},
            {"name": format!("{natural}/CurrentAddress"), "required": false},
            {"name": format!("{natural}/Gender"), "required": false},
        ],
        "return_url": RETURN_URL,
        "state": "hub-state-42",
        "correlation_id": "bench",
    })
}

/// The value of the hidden input `name` of the auto-submit page.
fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in the page: {html}")) + marker.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].replace("&#x2f;", "/").replace("&#x2F;", "/").replace("&#43;", "+").replace("&#x3d;", "=")
}

impl Service {
    /// Builds and starts the app; prints how long that took (the startup metadata fetch to
    /// the unreachable `eidas.example.es` is part of it).
    pub(crate) fn start() -> Self {
        let dir = TempDir::new();
        fill_metadata_cache(&dir.0);
        let public = TcpListener::bind("127.0.0.1:0").unwrap();
        let internal = TcpListener::bind("127.0.0.1:0").unwrap();
        let (public_port, internal_port) = (public.local_addr().unwrap().port(), internal.local_addr().unwrap().port());
        let path = dir.0.join("config.toml");
        std::fs::write(&path, config_text(&dir.0, public_port, internal_port)).unwrap();
        let config = Config::load(Some(&path)).unwrap();
        let proxy = ProxyService::new(&config.settings.connector.acs_url, &config.settings.connector.entity_id, NOW);
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(NOW));
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let built = Instant::now();
        let app = rt.block_on(Application::build_with_listeners(config, clock, public, internal)).unwrap();
        eprintln!("set-up: the app was built in {:.0} ms", built.elapsed().as_secs_f64() * 1e3);
        let flow = app.flow().clone();
        let available = flow.peers.statuses().into_iter().all(|s| s.available);
        assert!(available, "ES is unavailable: {:?}", flow.peers.statuses());
        let handle = app.handle();
        let task = rt.spawn(app.run_until_stopped());
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap();
        let mut service = Self {
            rt,
            http,
            public: format!("http://127.0.0.1:{public_port}"),
            internal: format!("http://127.0.0.1:{internal_port}"),
            flow,
            handle,
            task,
            proxy,
            outcome: Vec::new(),
            _dir: dir,
        };
        service.outcome = service.rt.block_on(service.first_journey());
        service
    }

    /// One whole journey, checked: the citizen is authenticated and the hub gets the identity.
    /// Returns the stored outcome.
    async fn first_journey(&self) -> Vec<u8> {
        let pending = self.start_api_and_page().await;
        let saml_response = self.proxy.respond(&pending.saml_id);
        let handle = self.acs(&pending, &saml_response).await;
        let stored = self.flow.store.get(Kind::ResponseHandle, &handle).await.unwrap().unwrap();
        let res = self
            .http
            .post(format!("{}/api/v1/authn-responses/{handle}/consume", self.internal))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "success", "{body}");
        assert_eq!(body["claims"]["sub_source"], "ES/FR/12345678Z", "{body}");
        stored
    }

    /// `POST /api/v1/authn-requests`: the browser's start URL and the request id.
    pub(crate) async fn start_api(&self) -> (String, String) {
        let res = self
            .http
            .post(format!("{}/api/v1/authn-requests", self.internal))
            .bearer_auth(TOKEN)
            .json(&start_body())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let started: serde_json::Value = res.json().await.unwrap();
        let url = started["browser_redirect_url"].as_str().unwrap().to_owned();
        (url, started["request_id"].as_str().unwrap().to_owned())
    }

    /// `GET /eidas/start/{handle}`: the signed AuthnRequest in its auto-submit page.
    pub(crate) async fn start_page(&self, url: &str, request_id: String) -> Pending {
        let res = self.http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let html = res.text().await.unwrap();
        let request = String::from_utf8(decode_base64(&hidden_field(&html, "SAMLRequest")).unwrap()).unwrap();
        let id_at = request.find(" ID=\"").unwrap() + " ID=\"".len();
        let saml_id = request[id_at..id_at + request[id_at..].find('"').unwrap()].to_owned();
        assert_eq!(hidden_field(&html, "RelayState"), request_id);
        Pending { request_id, saml_id, cookie }
    }

    pub(crate) async fn start_api_and_page(&self) -> Pending {
        let (url, request_id) = self.start_api().await;
        self.start_page(&url, request_id).await
    }

    /// `POST /eidas/acs` with the binding cookie, until the 303 to the hub: the response handle.
    pub(crate) async fn acs(&self, pending: &Pending, saml_response: &str) -> String {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLResponse", saml_response)
            .append_pair("RelayState", &pending.request_id)
            .finish();
        let res = self
            .http
            .post(format!("{}/eidas/acs", self.public))
            .header("cookie", &pending.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        let handle = location.query_pairs().find(|(k, _)| k == "response_handle").unwrap().1.into_owned();
        let _ = res.bytes().await.unwrap();
        handle
    }

    /// `POST /api/v1/authn-responses/{handle}/consume`: the body.
    pub(crate) async fn consume(&self, handle: &str) -> Vec<u8> {
        let res = self
            .http
            .post(format!("{}/api/v1/authn-responses/{handle}/consume", self.internal))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap().to_vec()
    }

    /// The ACS's validation alone, in-process: `validate_response` on the same Response with
    /// the inputs the flow gives it (`src/flow/acs.rs`), the store and HTTP left out.
    pub(crate) async fn validate_in_process(&self, pending: &Pending, saml_response: &str) -> Duration {
        let bytes = self.flow.store.get(Kind::Request, &pending.request_id).await.unwrap().unwrap();
        let record: RequestRecord = serde_json::from_slice(&bytes).unwrap();
        let country = record.citizen_country.unwrap();
        let snapshot = self.flow.peers.snapshot(country).unwrap();
        let request = PendingRequest {
            id: record.saml_request_id.clone().unwrap(),
            country: country.to_string(),
            proxy_entity_id: record.proxy_entity_id.clone().unwrap(),
            level_of_assurance: record.level_of_assurance,
            requested_attributes: record.requested_attributes.clone(),
            name_id_format: record.name_id_format,
        };
        let policy = ResponsePolicy { clock_skew: snapshot.clock_skew(), ..ResponsePolicy::default() };
        let config = self.flow.config.current();
        let ctx = ResponseContext {
            now: NOW,
            entity_id: &config.settings.connector.entity_id,
            acs_url: &config.settings.connector.acs_url,
            our_country: config.country,
            pending: &request,
            peer: &snapshot.peer,
            decryption_keys: &config.decryption_keys,
            policy: &policy,
        };
        let start = Instant::now();
        let outcome = validate_response(saml_response.as_bytes(), &ctx, &mut HashMap::new(), &mut Vec::new()).unwrap();
        let took = start.elapsed();
        assert!(matches!(outcome, Outcome::Authenticated(_)), "{outcome:?}");
        took
    }

    /// A fresh response handle holding a copy of a real success outcome (put straight in the
    /// store: a whole journey per consume would dwarf the call measured).
    pub(crate) async fn seed_outcome(&self) -> String {
        let handle = new_handle().unwrap();
        self.flow.store.put(Kind::ResponseHandle, &handle, &self.outcome, Duration::from_secs(300)).await.unwrap();
        handle
    }

    /// Sums, over `n` runs of `step`, the durations it returns (the part it timed).
    pub(crate) fn sum(&self, n: u64, mut step: impl AsyncFnMut() -> Duration) -> Duration {
        self.rt.block_on(async {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                total += step().await;
            }
            total
        })
    }

    pub(crate) fn stop(self) {
        self.rt.block_on(async {
            self.handle.stop(true).await;
            let _ = self.task.await;
        });
    }
}
