//! The foreign proxy service's metadata server failing (issue 7): down when the connector
//! starts, failing later, absent after a restart with a disk copy, and a signing-key rollover.

use super::*;
use crate::support::TempDir;

/// How long a country may take to come back once its metadata server is back (the test's retry
/// schedule tries every second or two).
const RECOVERY: Duration = Duration::from_secs(30);

/// A fast schedule: a refresh every second, a retry after one to two seconds.
const FAST_PEERS: &str = "metadata_refresh_min_secs = 1\nmetadata_refresh_max_secs = 1\n\
metadata_retry_initial_secs = 1\nmetadata_retry_max_secs = 2\nmetadata_rollover_cooldown_secs = 60";

fn fast() -> AppOptions {
    AppOptions { peers: FAST_PEERS.into(), ..AppOptions::default() }
}

/// Waits until the last refresh of XA failed with `code`.
async fn wait_for_refresh_error(app: &TestApp, code: &str) {
    wait_for(&format!("a failed refresh ({code})"), RECOVERY, || async move {
        (refresh_error(app, "XA").await.as_deref() == Some(code)).then_some(())
    })
    .await;
}

/// Waits until the last refresh of XA succeeded.
async fn wait_for_refresh_success(app: &TestApp) {
    wait_for(
        "a successful refresh",
        RECOVERY,
        || async move { refresh_error(app, "XA").await.is_none().then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn metadata_server_down_at_startup_leaves_the_country_unavailable_until_a_retry_succeeds() {
    let Some(mut mock) = MockProxy::start("XA") else { return };
    mock.stop();
    let app = spawn_app(&mock, &fast()).await;

    let xa = country(&app, "XA").await;
    assert_eq!(xa["available"], false, "{xa}");
    assert_eq!(xa["reason"], "metadata_fetch_failed", "{xa}");
    assert_eq!(refresh_error(&app, "XA").await.as_deref(), Some("peers.fetch_connect"));
    let (status, problem) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "country_unavailable", "{problem}");
    let ready = readyz(&app).await;
    assert_eq!(ready.status, 503, "{}", ready.json);
    assert_eq!(ready.json["store"], "ok");
    assert_eq!(ready.json["countries"]["XA"], "metadata_fetch_failed");

    mock.restart();
    let app_ref = &app;
    let xa = wait_for("XA available after the metadata server came back", RECOVERY, || async move {
        let xa = country(app_ref, "XA").await;
        (xa["available"] == true).then_some(xa)
    })
    .await;
    assert_eq!(xa["reason"], Value::Null, "{xa}");
    assert_eq!(xa["levels_of_assurance"], serde_json::json!(["substantial", "high"]), "{xa}");
    assert_eq!(refresh_error(&app, "XA").await, None);
    assert_journey_succeeds(&app, &mock).await;
    assert_eq!(readyz(&app).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn metadata_server_failing_later_keeps_the_last_good_copy_and_journeys_go_on() {
    let Some(mut mock) = MockProxy::start("XA") else { return };
    let app = spawn_app(&mock, &fast()).await;
    assert_journey_succeeds(&app, &mock).await;

    for (mode, code) in [("garbage", "metadata.malformed"), ("error500", "peers.fetch_http_status")] {
        mock.set_metadata_mode(mode);
        wait_for_refresh_error(&app, code).await;
        let xa = country(&app, "XA").await;
        assert_eq!(xa["available"], true, "{mode}: {xa}");
        assert_eq!(readyz(&app).await.status, 200, "{mode}");
        assert_journey_succeeds(&app, &mock).await;
        mock.set_metadata_mode("ok");
        wait_for_refresh_success(&app).await;
    }

    // The whole mock down (its SSO too): the country stays available; once it is back, journeys go on.
    mock.stop();
    wait_for_refresh_error(&app, "peers.fetch_connect").await;
    let xa = country(&app, "XA").await;
    assert_eq!(xa["available"], true, "{xa}");
    let ready = readyz(&app).await;
    assert_eq!(ready.status, 200, "{}", ready.json);
    assert_eq!(ready.json["countries"]["XA"], "available");
    mock.restart();
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
}

#[tokio::test]
async fn a_restarted_instance_serves_the_country_from_its_disk_copy_while_the_metadata_server_fails() {
    let Some(mock) = MockProxy::start("XA") else { return };
    let cache = TempDir::new();
    let opts = AppOptions { cache_dir: Some(cache.path().to_owned()), ..AppOptions::default() };
    let first = spawn_app(&mock, &opts).await;
    assert_eq!(country(&first, "XA").await["available"], true);
    first.stop().await;
    assert!(cache.0.join("XA.xml").is_file() && cache.0.join("XA.json").is_file());

    mock.set_metadata_mode("error500");
    let second = spawn_app(&mock, &opts).await;
    // Its own fetch at startup failed: what it serves comes from the disk.
    assert_eq!(refresh_error(&second, "XA").await.as_deref(), Some("peers.fetch_http_status"));
    let xa = country(&second, "XA").await;
    assert_eq!(xa["available"], true, "{xa}");
    assert_eq!(xa["reason"], Value::Null, "{xa}");
    assert_eq!(readyz(&second).await.status, 200);
    assert_journey_succeeds(&second, &mock).await;
    second.stop().await;
}

#[tokio::test]
async fn after_a_signing_key_rollover_the_next_response_is_accepted_after_one_metadata_refresh() {
    let Some(mock) = MockProxy::start("XA") else { return };
    // The default schedule: no scheduled refresh within the test, so only the ACS's rollover
    // fetch can learn the new key.
    let app = spawn_app(&mock, &AppOptions::default()).await;
    assert_journey_succeeds(&app, &mock).await;
    assert_eq!(mock.last_request()["response"]["signer"], "idp-rsa3072");

    let rolled = mock.rollover();
    assert_eq!(rolled["signer"], "idp-ec-p256", "{rolled}");
    assert_journey_succeeds(&app, &mock).await;
    assert_eq!(mock.last_request()["response"]["signer"], "idp-ec-p256");
    let xa = country(&app, "XA").await;
    assert_eq!(xa["available"], true, "{xa}");
    assert_eq!(refresh_error(&app, "XA").await, None);
    app.stop().await;
}

/// Several Responses signed by the new key at once: one rollover fetch (the others wait for it,
/// then fall within its cooldown), and every one is accepted.
#[tokio::test]
async fn after_a_rollover_responses_arriving_together_are_all_accepted() {
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = spawn_app(&mock, &AppOptions::default()).await;
    assert_journey_succeeds(&app, &mock).await;
    mock.rollover();
    let mut pending = Vec::new();
    for _ in 0..6 {
        let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
        assert_eq!(status, 201, "{started}");
        let mut browser = Browser::new();
        let (acs, fields) =
            to_proxy_and_back(&mut browser, started["browser_redirect_url"].as_str().unwrap(), "scenario=success")
                .await;
        pending.push((browser, acs, fields));
    }
    let mut posts = tokio::task::JoinSet::new();
    for (mut browser, acs, fields) in pending {
        posts.spawn(async move { browser.post_form(&acs, &fields).await });
    }
    while let Some(page) = posts.join_next().await {
        let (handle, _) = back_at_hub(&page.unwrap());
        let (status, body) = consume(&app, &handle).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "success", "{body}");
    }
    app.stop().await;
}
