//! Redis SIGKILLed and restarted while flows run (the connector is not restarted). Redis runs
//! with `appendonly yes` and `appendfsync always`, so what it acknowledged survives the crash:
//! the test then proves the connector's side, that it acknowledges a result (a 303 with a
//! `response_handle`, or a consume 200) only once Redis has it, and serves it once. With
//! Redis's default of no persistence (`docs/scaling.md`), a crash loses the flows in progress,
//! which the operator's documentation says.
//!
//! Workers run whole flows in a loop (start, start page, the mock, the ACS, and for every
//! other flow the consume right away); Redis is killed once failures are seen; the failures
//! are 503 with `store_unavailable` (API) or the 503 error page (browser), never a hang; Redis
//! comes back with its append-only file; flows succeed again. Then every acknowledged result
//! not yet consumed is consumed exactly once, and every consumed one gives 404.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::{code_of, PanicWatch};
use crate::mock_proxy::{parse_form, MockProxy};
use crate::redis_server::RedisServer;
use crate::service::{client, consume, spawn_app, start_body, wait_for, AppOptions, Browser, TestApp, TOKEN};

/// Flows running at once.
const WORKERS: usize = 3;
/// How long the connector may take to serve again once Redis is back.
const RECOVERY: Duration = Duration::from_secs(30);
/// The longest any one request may take (the store's operation timeout is 500 ms).
const NO_HANG: Duration = Duration::from_secs(10);

/// What one flow ended with.
#[derive(Debug, Clone)]
enum Ended {
    /// The ACS answered 303 with this handle; `consumed`: the consume answered 200 success.
    Acknowledged { handle: String, consumed: bool, consume_failed: Option<String> },
    /// A step failed with a proper answer: `step:status:code`.
    Failed(String),
}

fn handle_of(location: &str) -> Option<String> {
    url::Url::parse(location).ok()?.query_pairs().find(|(k, _)| k == "response_handle").map(|(_, v)| v.into_owned())
}

/// One whole flow; `consume_now` consumes the result right away.
async fn flow(app: &TestApp, mock: &MockProxy, consume_now: bool) -> Ended {
    let http = client();
    let res = http
        .post(format!("{}/api/v1/authn-requests", app.internal))
        .bearer_auth(TOKEN)
        .timeout(NO_HANG)
        .json(&start_body(mock, "substantial"))
        .send()
        .await
        .expect("the start call answers");
    let status = res.status().as_u16();
    let started: Value = res.json().await.unwrap_or(Value::Null);
    if status != 201 {
        assert_eq!(status, 503, "{started}");
        return Ended::Failed(format!("start:{status}:{}", code_of(&started)));
    }
    let mut browser = Browser::new();
    let page = browser.get(started["browser_redirect_url"].as_str().unwrap()).await;
    if page.status != 200 {
        assert_eq!(page.status, 503, "{page:?}");
        return Ended::Failed(format!("page:{}", page.status));
    }
    let (action, fields) = parse_form(&page.body).expect("the start page's form");
    let mock_page = browser.post_form(&format!("{action}?scenario=success"), &fields).await;
    assert_eq!(mock_page.status, 200, "{}", mock_page.body);
    let (acs, fields) = parse_form(&mock_page.body).expect("the mock's form");
    let back = browser.post_form(&acs, &fields).await;
    if back.status != 303 {
        assert_eq!(back.status, 503, "{back:?}");
        assert!(back.body.contains(back.headers["x-request-id"].to_str().unwrap()), "{}", back.body);
        return Ended::Failed(format!("acs:{}", back.status));
    }
    let handle = handle_of(back.location.as_deref().unwrap()).expect("a response_handle");
    if !consume_now {
        return Ended::Acknowledged { handle, consumed: false, consume_failed: None };
    }
    let (status, body) = consume(app, &handle).await;
    match status {
        200 => {
            assert_eq!(body["status"], "success", "{body}");
            Ended::Acknowledged { handle, consumed: true, consume_failed: None }
        }
        503 => Ended::Acknowledged { handle, consumed: false, consume_failed: Some(code_of(&body)) },
        _ => panic!("consume answered {status}: {body}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_and_restarted_during_flows_loses_nothing_acknowledged_and_serves_nothing_twice() {
    let watch = PanicWatch::start();
    let Some(mut redis) = RedisServer::start_with_args(&["--appendonly", "yes", "--appendfsync", "always"]) else {
        return;
    };
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = Arc::new(spawn_app(&mock, &AppOptions { redis_url: Some(redis.url()), ..AppOptions::default() }).await);
    let mock = Arc::new(mock);

    let ended: Arc<Mutex<Vec<Ended>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (app, mock, ended, stop, counter) =
            (Arc::clone(&app), Arc::clone(&mock), Arc::clone(&ended), Arc::clone(&stop), Arc::clone(&counter));
        workers.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let result = flow(&app, &mock, n % 2 == 0).await;
                ended.lock().unwrap().push(result);
            }
        });
    }
    let count = |pred: fn(&Ended) -> bool| {
        let ended = Arc::clone(&ended);
        move || {
            let n = ended.lock().unwrap().iter().filter(|e| pred(e)).count();
            n
        }
    };
    let acknowledged = count(|e| matches!(e, Ended::Acknowledged { .. }));
    let failed = count(|e| matches!(e, Ended::Failed(_)));

    // Some flows done, then the crash while they run.
    wait_for("six acknowledged flows", RECOVERY, || async { (acknowledged() >= 6).then_some(()) }).await;
    redis.stop(); // SIGKILL
    wait_for("flows failing while Redis is down", RECOVERY, || async { (failed() >= 3).then_some(()) }).await;
    let acknowledged_before = acknowledged();
    redis.start_again();
    wait_for("flows acknowledged again after the restart", RECOVERY, || async {
        (acknowledged() >= acknowledged_before + 4).then_some(())
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }

    let ended = ended.lock().unwrap().clone();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for e in &ended {
        if let Ended::Failed(code) = e {
            *failures.entry(code.clone()).or_default() += 1;
        }
    }
    eprintln!("{} flows: failures by code {failures:?}", ended.len());
    for code in failures.keys() {
        assert!(
            ["start:503:store_unavailable", "page:503", "acs:503"].contains(&code.as_str()),
            "an unexpected failure {code}"
        );
    }
    // Every acknowledged result: served exactly once in all.
    let mut served_late = 0;
    for e in &ended {
        let Ended::Acknowledged { handle, consumed, consume_failed } = e else { continue };
        let (status, body) = consume(&app, handle).await;
        match (consumed, consume_failed) {
            (true, _) => assert_eq!((status, code_of(&body)), (404, "response_handle_not_found".into()), "{body}"),
            // Never consumed: it must still be there.
            (false, None) => {
                assert_eq!(status, 200, "an acknowledged result was lost: {body}");
                assert_eq!(body["status"], "success", "{body}");
                served_late += 1;
            }
            // A consume that failed with Redis: taken or not, never twice.
            (false, Some(code)) => {
                assert_eq!(code, "store_unavailable");
                assert!(status == 200 || status == 404, "{status} {body}");
            }
        }
        let (again, body) = consume(&app, handle).await;
        assert_eq!(again, 404, "served twice: {body}");
    }
    assert!(served_late >= 3, "too few results left for the hub to consume after the restart: {served_late}");
    if let Ok(app) = Arc::try_unwrap(app) {
        app.stop().await;
    }
    watch.assert_none();
}
