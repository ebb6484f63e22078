//! Proxy-service metadata (`saml::metadata::parse_proxy_metadata_detailed`) against the test
//! metadata-signing anchor at a fixed clock, as `peers` verifies a fetched document. Must hold:
//! no panic, bounded time and memory, never an unsigned entity accepted (nothing fails open),
//! and what it returns can be used (keys, refresh time, the JSON of `metadata verify`).
#![no_main]
use eidas_connector::saml::metadata::{parse_proxy_metadata_detailed, MetadataOptions};
use eidas_connector_fuzz::{METADATA_TRUST, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_proxy_metadata_detailed(data, &METADATA_TRUST, NOW, &MetadataOptions::default()) {
        Ok(parsed) => {
            for entity in &parsed.entities {
                assert!(entity.signed, "an unsigned entity was accepted: {}", entity.entity_id);
                let _ = (entity.signing_keys(), entity.highest_protocol_version(), entity.refresh_before(NOW));
            }
            let _ = serde_json::to_string(&parsed);
        }
        Err(e) => {
            let _ = (e.code(), e.cause_code(), e.to_string());
        }
    }
});
