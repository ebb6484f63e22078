//! The foreign metadata server failing in the ways `service/peers_failing.rs` does not cover:
//! too slow for the fetch timeout (answering after 30 s, or dripping one byte every half
//! second), serving expired metadata, metadata signed by a key the country's trust anchor is
//! not, and the last good copy itself expiring (the connector's `ManualClock` moved past its
//! `validUntil`). The country stays available on its last good copy until that copy expires,
//! the code of the failure is in `/metrics`, `/readyz` and the countries API, and the country
//! comes back when the fault ends.

use std::sync::Arc;
use std::time::Duration;

use eidas_connector::clock::ManualClock;
use time::OffsetDateTime;

use super::{refresh_error, PanicWatch, FAST_PEERS};
use crate::mock_proxy::{http, MockProxy};
use crate::service::{
    assert_journey_succeeds, country, readyz, spawn_app, start, start_body, start_within, wait_for, AppOptions, TestApp,
};

/// How long a refresh may take to fail or succeed: the fetch timeout (10 s) and a retry.
const REFRESH: Duration = Duration::from_secs(60);
/// The longest a start call may take while a metadata fetch hangs (it must not wait for it).
const NO_HANG: Duration = Duration::from_secs(5);

fn fast(clock: Option<Arc<ManualClock>>) -> AppOptions {
    AppOptions { peers: FAST_PEERS.into(), clock, ..AppOptions::default() }
}

async fn wait_for_refresh_error(app: &TestApp, code: &str) {
    wait_for(&format!("a failed refresh ({code})"), REFRESH, || async move {
        (refresh_error(app, "XA").await.as_deref() == Some(code)).then_some(())
    })
    .await;
}

async fn wait_for_refresh_success(app: &TestApp) {
    wait_for("a successful refresh", REFRESH, || async move { refresh_error(app, "XA").await.is_none().then_some(()) })
        .await;
}

/// `POST /control/metadata` with `valid_secs` (validUntil = now + that, from now on).
fn set_metadata(mock: &MockProxy, mode: &str, valid_secs: u64) {
    let body = serde_json::json!({"mode": mode, "valid_secs": valid_secs}).to_string();
    let url = format!("http://127.0.0.1:{}/control/metadata", mock.port());
    let reply = http("POST", &url, Some("application/json"), body.as_bytes()).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// The country is still served from its last good copy while the fault lasts.
async fn assert_still_available(app: &TestApp, mock: &MockProxy, fault: &str) {
    let xa = country(app, "XA").await;
    assert_eq!(xa["available"], true, "{fault}: {xa}");
    let ready = readyz(app).await;
    assert_eq!(ready.status, 200, "{fault}: {}", ready.json);
    assert_eq!(ready.json["countries"]["XA"], "available", "{fault}");
    assert_journey_succeeds(app, mock).await;
}

#[tokio::test]
async fn metadata_too_slow_for_the_fetch_timeout_keeps_the_last_good_copy_and_nothing_waits_for_it() {
    let watch = PanicWatch::start();
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = spawn_app(&mock, &fast(None)).await;
    assert_journey_succeeds(&app, &mock).await;

    // `slow`: the server accepts and says nothing for 30 s; `drip`: it sends the head, then a
    // byte every half second. Both outlast the 10 s fetch timeout.
    for mode in ["slow", "drip"] {
        mock.set_metadata_mode(mode);
        wait_for_refresh_error(&app, "peers.fetch_timeout").await;
        // A fetch is hanging again now (the retry): the API does not wait for it.
        let reply = start_within(&app, &start_body(&mock, "substantial"), NO_HANG).await;
        assert_eq!(reply.status, 201, "{mode}: {}", reply.json);
        assert_still_available(&app, &mock, mode).await;
        mock.set_metadata_mode("ok");
        wait_for_refresh_success(&app).await;
    }
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
    watch.assert_none();
}

#[tokio::test]
async fn expired_unsigned_or_foreign_signed_metadata_is_refused_with_its_code_and_the_good_copy_stays() {
    let watch = PanicWatch::start();
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = spawn_app(&mock, &fast(None)).await;
    assert_journey_succeeds(&app, &mock).await;

    for (mode, code) in [
        ("expired", "metadata.expired"),
        ("other_signer", "metadata.signature"),
        ("tampered", "metadata.signature"),
        ("unsigned", "metadata.unsigned"),
    ] {
        mock.set_metadata_mode(mode);
        wait_for_refresh_error(&app, code).await;
        let xa = country(&app, "XA").await;
        assert_eq!(xa["reason"], serde_json::Value::Null, "{mode}: {xa}");
        assert_still_available(&app, &mock, mode).await;
        mock.set_metadata_mode("ok");
        wait_for_refresh_success(&app).await;
    }
    app.stop().await;
    watch.assert_none();
}

#[tokio::test]
async fn the_country_goes_unavailable_only_when_its_last_good_copy_expires_and_comes_back_with_the_server() {
    let watch = PanicWatch::start();
    let Some(mock) = MockProxy::start("XA") else { return };
    let t0 = OffsetDateTime::now_utc();
    let clock = Arc::new(ManualClock::new(t0));
    let app = spawn_app(&mock, &fast(Some(Arc::clone(&clock)))).await;
    clock.set(OffsetDateTime::now_utc());
    assert_journey_succeeds(&app, &mock).await;

    // The server fails from now on; the last good copy was fetched between t0 and t1, valid
    // for a day (the mock's validity).
    mock.set_metadata_mode("error500");
    wait_for_refresh_error(&app, "peers.fetch_http_status").await;
    let t1 = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);

    // A minute before the earliest possible validUntil: still served.
    clock.set(t0 + day - time::Duration::minutes(1));
    let xa = country(&app, "XA").await;
    assert_eq!(xa["available"], true, "{xa}");
    assert_eq!(readyz(&app).await.status, 200);
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");

    // A minute after the latest possible validUntil: unavailable, with the reason everywhere.
    clock.set(t1 + day + time::Duration::minutes(1));
    let xa = country(&app, "XA").await;
    assert_eq!(xa["available"], false, "{xa}");
    assert_eq!(xa["reason"], "metadata_expired", "{xa}");
    let ready = readyz(&app).await;
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["countries"]["XA"], "metadata_expired", "{}", ready.json);
    assert_eq!(ready.json["store"], "ok", "{}", ready.json);
    let (status, problem) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "country_unavailable", "{problem}");
    assert_eq!(refresh_error(&app, "XA").await.as_deref(), Some("peers.fetch_http_status"));

    // The server is back, serving metadata valid for three days: the country is back without
    // a restart; with the clock right again, a whole journey succeeds.
    set_metadata(&mock, "ok", 3 * 86_400);
    let app_ref = &app;
    wait_for("XA available again", REFRESH, || async move {
        let xa = country(app_ref, "XA").await;
        (xa["available"] == true).then_some(())
    })
    .await;
    assert_eq!(refresh_error(&app, "XA").await, None);
    assert_eq!(readyz(&app).await.status, 200);
    clock.set(OffsetDateTime::now_utc());
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
    watch.assert_none();
}
