//! The full Response validation (`saml::response::validate_response`), as the ACS runs it: the
//! `SAMLResponse` form value (base64, or XML) with the test keys, a fixed clock and the pending
//! request of the `accept_success` vector. Must hold: no panic, bounded time and memory, and
//! the check trace agrees with the result (see `eidas_connector_fuzz::validate_and_check`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eidas_connector_fuzz::validate_and_check(data);
});
