//! Integration tests: one binary (STYLE.md). Vectors under `tests/vectors/` come from
//! independent implementations; live round trips call the Python oracles in `tests/oracles/`.

// The whole binary is test code (clippy's allow-*-in-tests covers only `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod attacks;
mod bench_batch;
mod browser;
mod certificate_validity;
mod compose;
mod config_check;
mod container;
mod demo_hub;
mod docs;
mod faults;
mod fuzz_regressions;
mod keys_generate;
mod metadata_server;
mod mock_proxy;
mod mock_proxy_rust;
mod peers;
mod redis_server;
mod redis_tls;
mod saml_cli;
mod saml_props;
mod saml_sha1_oaep;
mod saml_vectors;
mod service;
mod store_contract;
mod store_redis;
mod support;
mod topology;
mod xmlenc_interop;
mod xmlsec_cli;
mod xmlsec_interop;
mod xmlsec_oracles;
mod xmlsec_props;
mod xmlsec_vectors;
