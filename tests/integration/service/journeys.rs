//! Whole journeys through the real ACS: success at each LoA, the citizen's refusals, and the
//! Responses the connector must refuse, each ending with the hub's consume call.

use super::*;

async fn setup() -> Option<(MockProxy, TestApp)> {
    let mock = MockProxy::start("XA")?;
    let app = spawn_app(&mock, &AppOptions::default()).await;
    Some((mock, app))
}

#[tokio::test]
async fn a_citizen_signs_in_at_each_level_and_the_hub_consumes_the_identity_once() {
    let Some((mock, app)) = setup().await else { return };
    for loa in ["substantial", "high"] {
        let page = journey(&app, &mock, loa, &format!("scenario=success&loa={loa}")).await;
        let (handle, state) = back_at_hub(&page);
        assert_eq!(state.as_deref(), Some("hub-state-42"));
        let (status, body) = consume(&app, &handle).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "success", "{body}");
        assert_eq!(body["citizen_country"], "XA");
        assert_eq!(body["level_of_assurance"], loa);
        assert_eq!(body["acr"], if loa == "high" { "eidas3" } else { "eidas2" });
        assert_eq!(body["amr"], serde_json::json!(["eidas"]));
        let sent = mock.last_request();
        let values = &sent["response"]["values"];
        assert_eq!(body["claims"]["sub_source"], values["PersonIdentifier"], "{body}\n{sent}");
        assert!(body["claims"]["sub_source"].as_str().unwrap().starts_with("XA/FR/"), "{body}");
        assert_eq!(body["claims"]["family_name"], values["CurrentFamilyName"], "{body}\n{sent}");
        assert_eq!(body["claims"]["birthdate"], values["DateOfBirth"], "{body}\n{sent}");
        // Single use.
        let (again, problem) = consume(&app, &handle).await;
        assert_eq!(again, 404, "{problem}");
        assert_eq!(problem["code"], "response_handle_not_found");
    }
    app.stop().await;
}
