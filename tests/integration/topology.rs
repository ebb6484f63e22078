//! The multi-instance topology with real processes (issue 9, `docs/scaling.md`): a real
//! `redis-server` with a password, two `eidas-connector serve` processes of the binary under
//! test sharing one configuration file (what differs, the listeners and the Redis URL with its
//! password, comes from `EIDAS_CONNECTOR__…` variables), a round-robin TCP load balancer
//! written here (each new connection to the next live instance, no stickiness), the Python mock
//! proxy service (an independent implementation) and the `demo-hub` process.
//!
//! The test browser opens a new connection for every request, so the balancer alternates
//! instances; each instance's `/metrics` (internal listener) says which one served the start
//! page and which one the ACS. Every process is killed at the end, even on failure (guards).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::mock_proxy::{parse_form, MockProxy};
use crate::redis_server::RedisServer;
use crate::service::{back_at_hub, config_text, start_body, wait_for, AppOptions, PeerConfig, TOKEN};
use crate::support::{TempDir, TempFile};

const PASSWORD: &str = "topology-redis-password-42";
/// Longest wait for a process to serve.
const STARTUP: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed (SIGKILL) and reaped on drop; its stdout and stderr go to `log`.
struct Guard {
    child: Option<Child>,
    log: PathBuf,
    _dir: TempDir,
}

impl Guard {
    fn spawn(mut command: Command) -> Self {
        let dir = TempDir::new();
        let log = dir.0.join("process.log");
        let out = std::fs::File::create(&log).unwrap();
        let child =
            command.stdin(Stdio::null()).stdout(out.try_clone().unwrap()).stderr(out).spawn().expect("process starts");
        Self { child: Some(child), log, _dir: dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn exited(&mut self) -> bool {
        self.child.as_mut().is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    /// SIGKILL: a crash, nothing finishes.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `eidas-connector serve` process.
struct Instance {
    process: Guard,
    public: String,
    internal: String,
}

/// Starts `serve --config config` with `env`, on fresh loopback ports; waits until `/healthz`
/// answers (not `/readyz`: a wrong Redis password must still start).
async fn start_instance(config: &str, env: &[(&str, String)]) -> Instance {
    for _ in 0..3 {
        let (public, internal) = (free_port(), free_port());
        let mut command = Command::new(env!("CARGO_BIN_EXE_eidas-connector"));
        command
            .args(["serve", "--config", config])
            .env("EIDAS_CONNECTOR__SERVER__PUBLIC_LISTEN", format!("127.0.0.1:{public}"))
            .env("EIDAS_CONNECTOR__SERVER__INTERNAL_LISTEN", format!("127.0.0.1:{internal}"))
            .env("RUST_LOG", "info");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut process = Guard::spawn(command);
        let public = format!("http://127.0.0.1:{public}");
        let internal = format!("http://127.0.0.1:{internal}");
        let health = format!("{public}/healthz");
        let mut up = false;
        let started = std::time::Instant::now();
        while !process.exited() && started.elapsed() < STARTUP {
            if client().get(&health).send().await.is_ok_and(|r| r.status() == 200) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if up {
            return Instance { process, public, internal };
        }
        // A port taken in between: try others. Anything else fails below.
        assert!(process.log().contains("startup.listen"), "the connector did not start:\n{}", process.log());
    }
    panic!("no free ports for a connector");
}

/// A client that never follows redirects nor reuses a connection (so each request is a new
/// connection to the balancer, and the balancer's next instance).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .no_proxy()
        .build()
        .unwrap()
}

/// A round-robin TCP load balancer: each new connection to the next backend; a backend that
/// refuses the connection is skipped (a dead instance). Records which backend took each
/// connection. Stops on drop.
struct Balancer {
    origin: String,
    served: Arc<Mutex<Vec<usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Balancer {
    async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (listener, origin)
    }

    fn start(listener: tokio::net::TcpListener, origin: String, backends: Vec<SocketAddr>) -> Self {
        let served = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(AtomicUsize::new(0));
        let log = Arc::clone(&served);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let first = next.fetch_add(1, Ordering::SeqCst);
                let (backends, log) = (backends.clone(), Arc::clone(&log));
                tokio::spawn(async move {
                    for i in 0..backends.len() {
                        let at = (first + i) % backends.len();
                        if let Ok(mut outbound) = tokio::net::TcpStream::connect(backends[at]).await {
                            log.lock().unwrap().push(at);
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                            return;
                        }
                    }
                });
            }
        });
        Self { origin, served, task }
    }

    fn served(&self) -> Vec<usize> {
        self.served.lock().unwrap().clone()
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn socket(origin: &str) -> SocketAddr {
    origin.trim_start_matches("http://").parse().unwrap()
}

/// A browser with its cookies, a new connection per request.
#[derive(Default)]
struct Browser {
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let res = request.header("cookie", cookie).header("connection", "close").send().await.unwrap();
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, val)) = pair.split_once('=') {
                self.cookies.retain(|(name, _)| name != k.trim());
                self.cookies.push((k.trim().to_owned(), val.trim().to_owned()));
            }
        }
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        Page { status, location, body: res.text().await.unwrap() }
    }

    async fn get(&mut self, url: &str) -> Page {
        self.send(client().get(url)).await
    }

    async fn post_form(&mut self, url: &str, fields: &[(String, String)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.send(client().post(url).header("content-type", "application/x-www-form-urlencoded").body(body)).await
    }
}

/// `eidas_{name}` of an instance's `/metrics`.
async fn metric(instance: &Instance, name: &str) -> f64 {
    let text = client().get(format!("{}/metrics", instance.internal)).send().await.unwrap().text().await.unwrap();
    let wanted = format!("eidas_{name} ");
    text.lines().find_map(|l| l.strip_prefix(&wanted)).map_or(0.0, |v| v.trim().parse().unwrap())
}

/// (start pages, ACS posts) each instance has served so far.
async fn served_by(instances: &[&Instance]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for i in instances {
        out.push((metric(i, "start_duration_seconds_count").await, metric(i, "acs_duration_seconds_count").await));
    }
    out
}

/// The index of the one instance whose count went up by one between `before` and `after`.
fn which(before: &[(f64, f64)], after: &[(f64, f64)], acs: bool) -> usize {
    let pick = |p: &(f64, f64)| if acs { p.1 } else { p.0 };
    let moved: Vec<usize> = (0..before.len()).filter(|&i| pick(&after[i]) > pick(&before[i])).collect();
    assert_eq!(moved.len(), 1, "exactly one instance served it: {before:?} → {after:?}");
    moved[0]
}

async fn api(instance: &Instance, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut request = client().post(format!("{}{path}", instance.internal)).bearer_auth(TOKEN);
    if let Some(b) = body {
        request = request.json(b);
    }
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// The whole topology: Redis with a password, the mock, the balancer and two instances.
struct Topology {
    redis: RedisServer,
    mock: MockProxy,
    balancer: Balancer,
    instances: Vec<Instance>,
    config: TempFile,
}

async fn topology(extra_return_url: Option<&str>) -> Option<Topology> {
    let redis = RedisServer::start_with_args(&["--requirepass", PASSWORD])?;
    let mock = MockProxy::start("XA")?;
    let (listener, origin) = Balancer::bind().await;
    // The file holds the Redis URL without its password; the variable gives the password.
    let opts = AppOptions {
        redis_url: Some(redis.url()),
        public_origin: Some(origin.clone()),
        return_urls: extra_return_url.map(str::to_owned).into_iter().collect(),
        ..AppOptions::default()
    };
    let config = TempFile::new("connector.toml", config_text(0, &PeerConfig::of(&mock), &opts).as_bytes());
    let env = [("EIDAS_CONNECTOR__STORE__REDIS_URL", with_password(&redis, PASSWORD))];
    let a = start_instance(config.path(), &env).await;
    let b = start_instance(config.path(), &env).await;
    for i in [&a, &b] {
        let ready = format!("{}/readyz", i.public);
        wait_for("an instance ready", STARTUP, || {
            let ready = ready.clone();
            async move { client().get(&ready).send().await.ok().filter(|r| r.status() == 200) }
        })
        .await;
    }
    // The mock reads our metadata from one instance directly, so that only the browser goes
    // through the balancer (its turns are then the test's).
    mock.set_connector_metadata_url(&format!("{}/eidas/metadata", a.public));
    let balancer = Balancer::start(listener, origin, vec![socket(&a.public), socket(&b.public)]);
    Some(Topology { redis, mock, balancer, instances: vec![a, b], config })
}

fn with_password(redis: &RedisServer, password: &str) -> String {
    redis.url().replace("redis://", &format!("redis://:{password}@"))
}

/// Start (API on `api_on`) → start page (balancer) → the mock → ACS (balancer): the page the
/// ACS answered, the ACS form, and which instance served the start page and the ACS.
async fn through_balancer(
    t: &Topology,
    api_on: usize,
    browser: &mut Browser,
) -> (Page, Vec<(String, String)>, usize, usize) {
    let (status, started) =
        api(&t.instances[api_on], "/api/v1/authn-requests", Some(&start_body(&t.mock, "substantial"))).await;
    assert_eq!(status, 201, "{started}");
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    assert!(redirect.starts_with(&format!("{}/eidas/start/", t.balancer.origin)), "{redirect}");
    let all: Vec<&Instance> = t.instances.iter().collect();
    let before = served_by(&all).await;
    let start_page = browser.get(redirect).await;
    assert_eq!(start_page.status, 200, "{}", start_page.body);
    let (action, fields) = parse_form(&start_page.body).expect("the auto-submit form");
    let mock_page = browser.post_form(&format!("{action}?scenario=success"), &fields).await;
    assert_eq!(mock_page.status, 200, "the mock refused our AuthnRequest: {}", mock_page.body);
    let (acs, fields) = parse_form(&mock_page.body).expect("the mock's form");
    assert_eq!(acs, format!("{}/eidas/acs", t.balancer.origin), "the one public ACS URL");
    let page = browser.post_form(&acs, &fields).await;
    let after = served_by(&all).await;
    (page, fields, which(&before, &after, false), which(&before, &after, true))
}

/// The hub consumes `page`'s handle on `instance`: the mock's identity comes out, once.
async fn consume_succeeds(t: &Topology, page: &Page, instance: usize) {
    let (handle, _) = back_at_hub(&crate::service::Page {
        status: page.status,
        location: page.location.clone(),
        body: String::new(),
        headers: reqwest::header::HeaderMap::new(),
    });
    let path = format!("/api/v1/authn-responses/{handle}/consume");
    let (status, body) = api(&t.instances[instance], &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    let sent = t.mock.last_request();
    assert_eq!(body["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{body}\n{sent}");
    let (again, _) = api(&t.instances[1 - instance], &path, None).await;
    assert_eq!(again, 404, "a result is consumed once, whichever instance is asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_through_a_round_robin_balancer_cross_instances_and_a_replay_on_the_other_instance_is_refused() {
    let Some(t) = topology(None).await else { return };
    let mut acs_on = Vec::new();
    for n in 0..4 {
        if n % 2 == 1 {
            // One more connection: the next flow's start page goes to the other instance.
            let _ = client().get(format!("{}/healthz", t.balancer.origin)).send().await.unwrap();
        }
        let mut browser = Browser::default();
        let (page, fields, start_on, acs) = through_balancer(&t, n % 2, &mut browser).await;
        assert_ne!(start_on, acs, "flow {n}: the start page and the ACS were served by one instance");
        acs_on.push(acs);
        // The hub consumes on the instance that did not validate the Response.
        consume_succeeds(&t, &page, 1 - acs).await;
        if n == 0 {
            // The same Response posted again: the balancer's next connection, the other instance.
            let replay = browser.post_form(&format!("{}/eidas/acs", t.balancer.origin), &fields).await;
            assert_eq!(replay.status, 400, "{}", replay.body);
            let served = t.balancer.served();
            assert_ne!(served.last(), Some(&acs), "the replay went to the other instance: {served:?}");
            // The validating instance recorded the Response's IDs in the shared replay cache.
            let mut redis = redis::Client::open(with_password(&t.redis, PASSWORD)).unwrap().get_connection().unwrap();
            let sent = t.mock.last_request();
            let key =
                format!("eidas:replay:response:{}:{}", t.mock.metadata_url(), sent["response"]["id"].as_str().unwrap());
            let exists: bool = redis::cmd("EXISTS").arg(&key).query(&mut redis).unwrap();
            assert!(exists, "{key} missing");
        }
    }
    assert!(acs_on.contains(&0) && acs_on.contains(&1), "both instances validated Responses: {acs_on:?}");
    eprintln!("balancer connections by instance: {:?}", t.balancer.served());
    // What four flows left in Redis (for docs/scaling.md's sizing): every key has a TTL.
    let mut redis = redis::Client::open(with_password(&t.redis, PASSWORD)).unwrap().get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("eidas:*").query(&mut redis).unwrap();
    let mut bytes = 0u64;
    for key in &keys {
        let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut redis).unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
        bytes += redis::cmd("MEMORY").arg("USAGE").arg(key).query::<u64>(&mut redis).unwrap();
    }
    eprintln!("after 4 flows: {} keys, {bytes} bytes (MEMORY USAGE)", keys.len());
    drop(t.config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_between_start_and_acs_leaves_the_other_to_complete_the_flow() {
    let Some(mut t) = topology(None).await else { return };
    let (status, started) =
        api(&t.instances[0], "/api/v1/authn-requests", Some(&start_body(&t.mock, "substantial"))).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::default();
    let all: Vec<&Instance> = t.instances.iter().collect();
    let before = served_by(&all).await;
    let start_page = browser.get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(start_page.status, 200, "{}", start_page.body);
    let start_on = which(&before, &served_by(&all).await, false);
    let (action, fields) = parse_form(&start_page.body).unwrap();
    let mock_page = browser.post_form(&format!("{action}?scenario=success"), &fields).await;
    let (acs, fields) = parse_form(&mock_page.body).expect("the mock's form");

    // The instance that served the start page dies (SIGKILL: nothing is flushed).
    t.instances[start_on].process.kill();
    let survivor = 1 - start_on;
    // Twice: whichever turn the balancer is at, it lands on the survivor (the dead one refuses).
    for _ in 0..2 {
        let _ = client().get(format!("{}/healthz", t.balancer.origin)).send().await.unwrap();
    }
    let page = browser.post_form(&acs, &fields).await;
    consume_succeeds_on_survivor(&t, &page, survivor).await;
    eprintln!("balancer connections by instance: {:?}", t.balancer.served());
}

/// [`consume_succeeds`] when the other instance is dead: consume on `survivor` only.
async fn consume_succeeds_on_survivor(t: &Topology, page: &Page, survivor: usize) {
    assert_eq!(page.status, 303, "{}", page.body);
    let location = url::Url::parse(page.location.as_deref().unwrap()).unwrap();
    let handle = location.query_pairs().find(|(k, _)| k == "response_handle").unwrap().1.into_owned();
    let (status, body) = api(&t.instances[survivor], &format!("/api/v1/authn-responses/{handle}/consume"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    let sent = t.mock.last_request();
    assert_eq!(body["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{body}\n{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_redis_password_gives_store_unavailable_and_a_log_that_names_the_cause_not_the_password() {
    let Some(redis) = RedisServer::start_with_args(&["--requirepass", PASSWORD]) else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let wrong = "not-the-password-7";
    let config = TempFile::new(
        "connector.toml",
        config_text(0, &PeerConfig::of(&mock), &AppOptions { redis_url: Some(redis.url()), ..AppOptions::default() })
            .as_bytes(),
    );
    let env = [("EIDAS_CONNECTOR__STORE__REDIS_URL", with_password(&redis, wrong))];
    let instance = start_instance(config.path(), &env).await;
    let ready = client().get(format!("{}/readyz", instance.public)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["store"], "store_unavailable", "{ready}");
    let (status, problem) = api(&instance, "/api/v1/authn-requests", Some(&start_body(&mock, "substantial"))).await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["code"], "store_unavailable", "{problem}");
    let log = instance.process.log();
    assert!(log.contains("authentication failed (WRONGPASS)"), "{log}");
    assert!(log.contains("redis store not reachable at startup"), "{log}");
    assert!(!log.contains(wrong) && !log.contains(PASSWORD), "a password in the log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_hub_process_drives_a_flow_through_the_balancer_with_its_token_from_a_file() {
    let hub_port = free_port();
    let hub = format!("http://127.0.0.1:{hub_port}");
    let Some(t) = topology(Some(&format!("{hub}/hub/"))).await else { return };
    let token = TempFile::new("token", format!("{TOKEN}\n").as_bytes());
    let mut command = Command::new(env!("CARGO_BIN_EXE_eidas-connector"));
    command.args(["demo-hub", "--listen", &format!("127.0.0.1:{hub_port}"), "--public-url", &hub]).args([
        "--connector-api-url",
        &t.instances[1].internal,
        "--api-token-file",
        token.path(),
    ]);
    let process = Guard::spawn(command);
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", process.pid())).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&cmdline).contains(TOKEN), "the token shows in ps");
    let login = format!("{hub}/");
    wait_for("the demo hub serves", STARTUP, || {
        let login = login.clone();
        async move { client().get(&login).send().await.ok().filter(|r| r.status() == 200) }
    })
    .await;

    let mut browser = Browser::default();
    let fields = [("country".to_owned(), "XA".to_owned()), ("loa".to_owned(), "substantial".to_owned())];
    let to_connector = browser.post_form(&format!("{hub}/hub/start"), &fields).await;
    assert_eq!(to_connector.status, 303, "{}", to_connector.body);
    let redirect = to_connector.location.unwrap();
    assert!(redirect.starts_with(&format!("{}/eidas/start/", t.balancer.origin)), "{redirect}");
    let start_page = browser.get(&redirect).await;
    let (action, fields) = parse_form(&start_page.body).expect("the auto-submit form");
    let mock_page = browser.post_form(&format!("{action}?scenario=success"), &fields).await;
    let (acs, fields) = parse_form(&mock_page.body).expect("the mock's form");
    let back = browser.post_form(&acs, &fields).await;
    let callback = back.location.clone().unwrap_or_default();
    assert!(back.status == 303 && callback.starts_with(&format!("{hub}/hub/callback?")), "{callback}");
    let consented = browser.get(&callback).await;
    assert_eq!(consented.status, 303, "{}", consented.body);
    assert_eq!(consented.location.as_deref(), Some("/hub/consent"), "{}", process.log());
}
