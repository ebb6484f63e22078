//! Shared state (issue 7): two instances behind one public origin on one real Redis, and Redis
//! stopped or frozen in the middle of a journey.

use super::*;
use crate::redis_server::RedisServer;

/// Longest wait for an answer while Redis is down or frozen: ten times the test's operation
/// timeout (500 ms), so "no hang" without measuring anything finer.
const NO_HANG: Duration = Duration::from_secs(5);
/// Longest wait for the service to work again once Redis is back.
const RECOVERY: Duration = Duration::from_secs(15);

async fn app_on(redis: &RedisServer, mock: &MockProxy) -> TestApp {
    spawn_app(mock, &AppOptions { redis_url: Some(redis.url()), ..AppOptions::default() }).await
}

/// A raw connection to the test's Redis, to look at what the instances wrote.
fn redis_connection(redis: &RedisServer) -> redis::Connection {
    redis::Client::open(redis.url()).unwrap().get_connection().unwrap()
}

/// Two connectors on one Redis. B binds its own listener but is configured with A's public
/// origin: one connector (entityID, ACS URL) behind a load balancer.
async fn two_instances(redis: &RedisServer, mock: &MockProxy) -> (TestApp, TestApp) {
    let a = app_on(redis, mock).await;
    let b_options =
        AppOptions { redis_url: Some(redis.url()), public_origin: Some(a.public.clone()), ..AppOptions::default() };
    let b = spawn_app(mock, &b_options).await;
    (a, b)
}

#[tokio::test]
async fn two_instances_on_one_redis_share_requests_results_and_the_replay_cache() {
    let Some(redis) = RedisServer::start() else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let (a, b) = two_instances(&redis, &mock).await;

    let (status, started) = start(&a, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    assert!(redirect.starts_with(&format!("{}/eidas/start/", a.public)), "{redirect}");
    let mut browser = Browser::new();
    let (acs, fields) = to_proxy_and_back(&mut browser, redirect, "scenario=success").await;
    assert_eq!(acs, format!("{}/eidas/acs", a.public), "the one public ACS URL");
    // The load balancer sends the proxy's POST to B.
    let page = browser.post_form(&format!("{}/eidas/acs", b.public), &fields).await;
    let (handle, state) = back_at_hub(&page);
    assert_eq!(state.as_deref(), Some("hub-state-42"));

    // The hub consumes on A what B validated.
    let (status, body) = consume(&a, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["request_id"], started["request_id"], "{body}");
    let sent = mock.last_request();
    assert_eq!(body["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{body}\n{sent}");
    assert_eq!(body["claims"]["family_name"], sent["response"]["values"]["CurrentFamilyName"], "{body}\n{sent}");
    // Single use across instances.
    let (again, problem) = consume(&b, &handle).await;
    assert_eq!(again, 404, "{problem}");
    assert_eq!(problem["code"], "response_handle_not_found");

    // The same form posted again, to A: the request is no longer pending.
    let replayed = browser.post_form(&format!("{}/eidas/acs", a.public), &fields).await;
    assert_eq!(replayed.status, 400, "{replayed:?}");
    assert_eq!(replayed.headers["content-type"], "text/html; charset=utf-8");

    // B recorded the Response and Assertion IDs in the shared replay cache.
    let mut raw = redis_connection(&redis);
    let (response_id, assertion_id) =
        (sent["response"]["id"].as_str().unwrap(), sent["response"]["assertion_id"].as_str().unwrap());
    let issuer = mock.metadata_url();
    for key in [format!("response:{issuer}:{response_id}"), format!("assertion:{issuer}:{assertion_id}")] {
        let exists: bool = redis::cmd("EXISTS").arg(format!("eidas:replay:{key}")).query(&mut raw).unwrap();
        assert!(exists, "eidas:replay:{key} missing");
        // Kept until the Response could no longer be accepted (the mock's 5-minute NotOnOrAfter
        // + the 60 s skew) and a 60 s margin: about 7 minutes, not hours (attacks.md P1).
        let pttl: i64 = redis::cmd("PTTL").arg(format!("eidas:replay:{key}")).query(&mut raw).unwrap();
        assert!((5 * 60_000..=7 * 60_000 + 5_000).contains(&pttl), "eidas:replay:{key} PTTL {pttl} ms");
    }
    // Only the replay cache stands in the way when the request is made pending again behind the
    // connector's back (record and AuthnRequest ID restored in Redis): A, which never saw this
    // Response, still refuses it, because B remembered its IDs.
    let request_id = started["request_id"].as_str().unwrap();
    let key = format!("eidas:request:{request_id}");
    let record: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    let mut record: Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["status"], "consumed", "{record}");
    record["status"] = "pending".into();
    record["outcome"] = Value::Null;
    let () = redis::cmd("SET").arg(&key).arg(record.to_string()).arg("EX").arg(600).query(&mut raw).unwrap();
    let saml_id = record["saml_request_id"].as_str().unwrap();
    let () = redis::cmd("SET")
        .arg(format!("eidas:saml:{saml_id}"))
        .arg(request_id)
        .arg("EX")
        .arg(600)
        .query(&mut raw)
        .unwrap();
    let replayed = browser.post_form(&format!("{}/eidas/acs", a.public), &fields).await;
    let (handle, _) = back_at_hub(&replayed);
    let (status, body) = consume(&a, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "failure", "{body}");
    assert_eq!(body["error"]["code"], "invalid_response", "{body}");
    assert_eq!(body["claims"], Value::Null, "{body}");

    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn one_response_posted_to_two_instances_at_once_completes_the_request_once() {
    let Some(redis) = RedisServer::start() else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let (a, b) = two_instances(&redis, &mock).await;
    let (status, started) = start(&a, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::new();
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let (_, fields) = to_proxy_and_back(&mut browser, redirect, "scenario=success").await;

    // A double submit that the load balancer spreads over both instances.
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
    let post = |base: &str| {
        client()
            .post(format!("{base}/eidas/acs"))
            .header("cookie", browser.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
    };
    let (on_a, on_b) = tokio::join!(post(&a.public), post(&b.public));
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    let mut statuses = [on_a.status().as_u16(), on_b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 400], "exactly one instance completes the request");
    let winner = if on_a.status() == 303 { &on_a } else { &on_b };
    let location = winner.headers()["location"].to_str().unwrap();
    let handle = url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "response_handle")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let (status, body) = consume(&b, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn redis_stopped_mid_flow_gives_503_everywhere_and_the_same_app_serves_again_once_redis_is_back() {
    let Some(mut redis) = RedisServer::start() else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = app_on(&redis, &mock).await;
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::new();
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let (acs, fields) = to_proxy_and_back(&mut browser, redirect, "scenario=success").await;

    redis.stop();

    // The ACS: the generic error page with the request id, no detail.
    let page = browser.post_form(&acs, &fields).await;
    assert_eq!(page.status, 503, "{page:?}");
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let request_id = page.headers["x-request-id"].to_str().unwrap();
    assert!(page.body.contains(request_id), "{}", page.body);
    assert!(page.body.contains(eidas_connector::ui::strings("fr").error_unavailable), "{}", page.body);
    for detail in ["redis", "store", "Redis", &redis.port().to_string()] {
        assert!(!page.body.contains(detail), "{detail:?} shown in {}", page.body);
    }

    // The API: problem+json with Retry-After.
    let reply = start_within(&app, &start_body(&mock, "substantial"), NO_HANG).await;
    assert_eq!(reply.status, 503, "{}", reply.json);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert_eq!(reply.json["code"], "store_unavailable", "{}", reply.json);
    assert_eq!(reply.json["detail"], "the shared store is unavailable; retry later", "{}", reply.json);
    assert_eq!(Some(reply.json["request_id"].as_str().unwrap()), reply.header("x-request-id"));

    // Readiness.
    let ready = readyz(&app).await;
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["status"], "not_ready");
    assert_eq!(ready.json["store"], "store_unavailable");
    assert_eq!(ready.json["countries"]["XA"], "available");

    // Redis again, same port, empty: the same app serves a new journey.
    redis.start_again();
    let app_ref = &app;
    let ready = wait_for("ready again after Redis restarted", RECOVERY, || async move {
        let r = readyz(app_ref).await;
        (r.status == 200).then_some(r)
    })
    .await;
    assert_eq!(ready.json["status"], "ready");
    assert_eq!(ready.json["store"], "ok");
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
}

#[tokio::test]
async fn redis_frozen_makes_the_api_answer_503_without_hanging_and_it_recovers_when_redis_thaws() {
    let Some(redis) = RedisServer::start() else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = app_on(&redis, &mock).await;
    assert_journey_succeeds(&app, &mock).await;

    redis.pause();
    let reply = start_within(&app, &start_body(&mock, "substantial"), NO_HANG).await;
    assert_eq!(reply.status, 503, "{}", reply.json);
    assert_eq!(reply.json["code"], "store_unavailable", "{}", reply.json);
    assert_eq!(reply.header("retry-after"), Some("5"));
    let ready = readyz_within(&app, NO_HANG).await;
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["store"], "store_unavailable");

    redis.resume();
    let app_ref = &app;
    let body = start_body(&mock, "substantial");
    let body_ref = &body;
    let reply = wait_for("a start accepted after Redis thawed", RECOVERY, || async move {
        let r = start_within(app_ref, body_ref, NO_HANG).await;
        (r.status != 503).then_some(r)
    })
    .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
}

#[tokio::test]
async fn a_result_taken_from_redis_reaches_the_hub_even_when_redis_fails_right_after() {
    let Some(redis) = RedisServer::start() else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = app_on(&redis, &mock).await;
    let page = journey(&app, &mock, "substantial", "scenario=success").await;
    let (handle, _) = back_at_hub(&page);

    // Redis fails between the two steps of the consume (taking the result, then marking the
    // request consumed): from now on it refuses every key but the results' (an ACL, so that the
    // failure falls deterministically between the two commands).
    let mut raw = redis_connection(&redis);
    let () = redis::cmd("ACL").arg(&["SETUSER", "default", "resetkeys", "~eidas:response:*"]).query(&mut raw).unwrap();

    // The result has left the store: the hub must get it, or it is lost for good.
    let (status, body) = consume(&app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    let sent = mock.last_request();
    assert_eq!(body["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{body}\n{sent}");
    let (again, problem) = consume(&app, &handle).await;
    assert_eq!(again, 404, "{problem}");
    assert_eq!(problem["code"], "response_handle_not_found");
    app.stop().await;
}
