//! The connector's clock off from the proxy service's (the Python mock stamps its Responses
//! with the real time; the connector reads a `ManualClock` set to the real time plus an
//! offset just before each journey, and stopped during it). Within the country's
//! `clock_skew_secs` (120 s here) the Response is accepted either way; beyond it the hub gets a
//! failure with the code `expired` (the connector's log says `saml.stale` for a Response from
//! the future, `saml.expired` for one past its `NotOnOrAfter`). Moving the clock back within
//! the tolerance is the recovery: the next journey succeeds.

use std::sync::Arc;

use eidas_connector::clock::ManualClock;
use serde_json::Value;
use time::OffsetDateTime;

use super::PanicWatch;
use crate::mock_proxy::MockProxy;
use crate::service::{back_at_hub, consume, journey, spawn_app, AppOptions, TestApp};

/// The country's tolerance in this test.
const SKEW_SECS: i64 = 120;

/// A journey with the connector's clock `offset_secs` from the real time; the consume body.
async fn journey_with_offset(app: &TestApp, mock: &MockProxy, clock: &ManualClock, offset_secs: i64) -> Value {
    clock.set(OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs));
    let page = journey(app, mock, "substantial", "scenario=success").await;
    let (handle, _) = back_at_hub(&page);
    let (status, body) = consume(app, &handle).await;
    assert_eq!(status, 200, "offset {offset_secs}: {body}");
    body
}

#[tokio::test]
async fn a_clock_skew_within_the_countrys_tolerance_is_accepted_and_beyond_it_refused_as_expired() {
    let watch = PanicWatch::start();
    let Some(mock) = MockProxy::start("XA") else { return };
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let opts = AppOptions {
        clock: Some(Arc::clone(&clock)),
        country_extra: format!("clock_skew_secs = {SKEW_SECS}"),
        ..AppOptions::default()
    };
    let app = spawn_app(&mock, &opts).await;

    // Negative: the connector is behind (the Response comes from its future); positive: ahead.
    // The accepted offsets leave room for the seconds a journey takes on a loaded machine.
    for offset in [-(SKEW_SECS - 45), SKEW_SECS - 45, 0] {
        let body = journey_with_offset(&app, &mock, &clock, offset).await;
        assert_eq!(body["status"], "success", "offset {offset}: {body}");
        let sent = mock.last_request();
        assert_eq!(body["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{body}");
    }
    // Beyond: 10 minutes behind (IssueInstant in the future), an hour ahead (past the
    // Assertion's NotOnOrAfter, 5 minutes after issue), then within again (recovery).
    for offset in [-600, 3600] {
        let body = journey_with_offset(&app, &mock, &clock, offset).await;
        assert_eq!(body["status"], "failure", "offset {offset}: {body}");
        assert_eq!(body["error"]["code"], "expired", "offset {offset}: {body}");
        assert_eq!(body["error"]["oidc_error"], "temporarily_unavailable", "offset {offset}: {body}");
        assert_eq!(body["claims"], Value::Null, "offset {offset}: {body}");
    }
    let body = journey_with_offset(&app, &mock, &clock, SKEW_SECS - 45).await;
    assert_eq!(body["status"], "success", "back within the tolerance: {body}");
    app.stop().await;
    watch.assert_none();
}
