//! The hub's start body (`POST /api/v1/authn-requests`): JSON into `flow::types::StartRequest`
//! with `serde_json::from_slice` (what actix-web's `web::Json` does), then every check of
//! `flow::check_start_request` against the allow-list `https://hub.example/hub/`. Must hold: no
//! panic; an accepted request has a LoA of at least substantial, a `return_url` of the allowed
//! origin under the allowed path and without credentials, no control character in any echoed
//! text, and only XML characters in what the AuthnRequest carries.
#![no_main]
use eidas_connector::flow::check_start_request;
use eidas_connector::flow::types::StartRequest;
use eidas_connector::saml::{LevelOfAssurance, SpType};
use eidas_connector::xmlsec::dom::is_xml_text;
use eidas_connector_fuzz::NOW;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<StartRequest>(data) else { return };
    let allowed = ["https://hub.example/hub/".to_owned()];
    let record = match check_start_request(body, &allowed, SpType::Public, NOW, time::Duration::minutes(10)) {
        Ok(record) => record,
        Err(e) => {
            let _ = (e.code(), e.to_string());
            return;
        }
    };
    assert!(record.level_of_assurance >= LevelOfAssurance::Substantial);
    let url = url::Url::parse(&record.return_url).expect("an accepted return_url parses");
    assert_eq!(url.origin().ascii_serialization(), "https://hub.example", "return_url origin: {url}");
    assert!(url.path().starts_with("/hub/"), "return_url path: {url}");
    assert!(url.username().is_empty() && url.password().is_none(), "credentials in return_url");
    for text in [&record.state, &record.correlation_id, &record.provider_name, &record.requester_id, &record.ui_locales]
    {
        assert!(!text.as_deref().unwrap_or("").chars().any(char::is_control), "control character kept");
    }
    for text in [&record.provider_name, &record.requester_id] {
        assert!(is_xml_text(text.as_deref().unwrap_or("")), "a character XML cannot carry kept");
    }
});
