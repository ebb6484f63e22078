//! The ACS form body (`POST /eidas/acs`, `application/x-www-form-urlencoded`): deserialized into
//! the route's `AcsBody` with `serde_urlencoded::from_bytes` (what actix-web's `web::Form` does),
//! then what `flow::acs` does with it before the store: `RelayState` filtered as a handle, the
//! unverified `InResponseTo` peeked from the base64 `SAMLResponse`, then the full validation.
//! Must hold: no panic, bounded time and memory, a peeked id of at most 256 characters.
#![no_main]
use eidas_connector::flow::is_handle;
use eidas_connector::routes::public::AcsBody;
use eidas_connector::saml::response::{peek_in_response_to, ResponsePolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(form) = serde_urlencoded::from_bytes::<AcsBody>(data) else { return };
    let _ = form.relay_state.as_deref().filter(|r| is_handle(r));
    let limits = ResponsePolicy::default().limits;
    if let Some(id) = peek_in_response_to(form.saml_response.as_bytes(), &limits) {
        assert!(id.chars().count() <= 256, "peeked InResponseTo longer than 256");
    }
    let _ = eidas_connector_fuzz::validate_and_check(form.saml_response.as_bytes());
});
