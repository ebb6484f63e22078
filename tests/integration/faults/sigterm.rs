//! SIGTERM to a real `eidas-connector serve` process under load: several ACS posts (the
//! foreign proxy's Responses) and hub start calls are in flight, each known to be accepted (the
//! server answered `100 Continue` to its head and is reading its body), when the signal comes.
//! Both listeners then refuse new connections, every request in flight finishes with its proper
//! answer (303 back to the hub with a `response_handle`, 201 with a `request_id`), and the
//! process exits 0 without a panic in its log.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::panicked_lines;
use crate::mock_proxy::MockProxy;
use crate::service::shutdown::{expect_continue, hub_location};
use crate::service::{
    client, config_text, start_body, to_proxy_and_back, wait_for, AppOptions, Browser, PeerConfig, TOKEN,
};
use crate::support::{TempDir, TempFile};

/// ACS posts in flight at the signal.
const ACS_IN_FLIGHT: usize = 6;
/// Start calls in flight at the signal.
const STARTS_IN_FLIGHT: usize = 3;
/// Longest wait for the process to serve, to close its listeners, to exit.
const BOUND: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The `serve` process, killed on drop if still running.
struct Serve {
    child: Child,
    log: std::path::PathBuf,
    _dir: TempDir,
}

impl Serve {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request whose head was accepted (`100 Continue`) and half of whose body was sent.
struct InFlight {
    conn: TcpStream,
    rest: Vec<u8>,
}

impl InFlight {
    async fn open(authority: &str, path: &str, headers: &str, body: &[u8]) -> Self {
        let (first, rest) = body.split_at(body.len() / 2);
        let mut conn = TcpStream::connect(authority).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}Content-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        expect_continue(&mut conn, BOUND).await;
        conn.write_all(first).await.unwrap();
        conn.flush().await.unwrap();
        Self { conn, rest: rest.to_vec() }
    }

    /// Sends the rest of the body; the whole answer.
    async fn finish(mut self) -> String {
        self.conn.write_all(&self.rest).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(BOUND, self.conn.read_to_end(&mut raw)).await.expect("an answer").unwrap();
        String::from_utf8_lossy(&raw).into_owned()
    }
}

async fn refuses_connections(authority: &str) -> bool {
    matches!(TcpStream::connect(authority).await, Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_every_accepted_request_refuses_new_ones_and_exits_0() {
    let Some(mock) = MockProxy::start("XA") else { return };
    let (public_port, internal_port) = (free_port(), free_port());
    let (public, internal) = (format!("127.0.0.1:{public_port}"), format!("127.0.0.1:{internal_port}"));
    let config = TempFile::new(
        "config.toml",
        config_text(public_port, &PeerConfig::of(&mock), &AppOptions::default()).as_bytes(),
    );
    let dir = TempDir::new();
    let log = dir.0.join("serve.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_eidas-connector"))
        .args(["serve", "--config", config.path()])
        .env("EIDAS_CONNECTOR__SERVER__INTERNAL_LISTEN", &internal)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let mut serve = Serve { child, log, _dir: dir };
    let ready = format!("http://{public}/readyz");
    let ready_ref = &ready;
    wait_for("the serve process ready", BOUND, || async move {
        client().get(ready_ref).send().await.is_ok_and(|r| r.status() == 200).then_some(())
    })
    .await;
    mock.set_connector_metadata_url(&format!("http://{public}/eidas/metadata"));

    // Flows up to the proxy's answer, each browser holding its form to the ACS.
    let mut held = Vec::new();
    for _ in 0..ACS_IN_FLIGHT {
        let res = client()
            .post(format!("http://{internal}/api/v1/authn-requests"))
            .bearer_auth(TOKEN)
            .json(&start_body(&mock, "substantial"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let started: serde_json::Value = res.json().await.unwrap();
        let mut browser = Browser::new();
        let redirect = started["browser_redirect_url"].as_str().unwrap();
        let (acs, fields) = to_proxy_and_back(&mut browser, redirect, "scenario=success").await;
        assert_eq!(acs, format!("http://{public}/eidas/acs"));
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        held.push((browser.cookie_header(), body));
    }

    // All in flight at once: ACS posts and start calls, heads accepted, bodies half sent.
    let mut in_flight = Vec::new();
    for (cookie, body) in &held {
        let headers = format!("Content-Type: application/x-www-form-urlencoded\r\nCookie: {cookie}\r\n");
        in_flight.push(("acs", InFlight::open(&public, "/eidas/acs", &headers, body.as_bytes()).await));
    }
    for _ in 0..STARTS_IN_FLIGHT {
        let headers = format!("Content-Type: application/json\r\nAuthorization: Bearer {TOKEN}\r\n");
        let body = start_body(&mock, "substantial").to_string();
        in_flight.push(("start", InFlight::open(&internal, "/api/v1/authn-requests", &headers, body.as_bytes()).await));
    }

    let signalled = Command::new("kill").args(["-TERM", &serve.child.id().to_string()]).status().unwrap();
    assert!(signalled.success());
    let (p, i) = (public.clone(), internal.clone());
    wait_for("both listeners closed after SIGTERM", BOUND, || {
        let (p, i) = (p.clone(), i.clone());
        async move { (refuses_connections(&p).await && refuses_connections(&i).await).then_some(()) }
    })
    .await;
    assert!(serve.child.try_wait().unwrap().is_none(), "the process must wait for the requests in flight");

    // Every request in flight gets its proper answer.
    let mut answers = tokio::task::JoinSet::new();
    for (kind, request) in in_flight {
        answers.spawn(async move { (kind, request.finish().await) });
    }
    let mut handles = Vec::new();
    while let Some(done) = answers.join_next().await {
        let (kind, reply) = done.unwrap();
        match kind {
            "acs" => {
                let location = hub_location(&reply);
                handles.push(location.to_owned());
            }
            _ => {
                assert!(reply.starts_with("HTTP/1.1 201 Created\r\n"), "{reply}");
                assert!(reply.contains("\"request_id\""), "{reply}");
            }
        }
    }
    handles.sort();
    handles.dedup();
    assert_eq!(handles.len(), ACS_IN_FLIGHT, "one distinct result per Response");

    // The process exits 0, without a panic.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < BOUND, "still running {BOUND:?} after SIGTERM:\n{}", serve.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = serve.log();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(panicked_lines(&log).is_empty(), "{log}");
    assert!(refuses_connections(&public).await && refuses_connections(&internal).await);
}
