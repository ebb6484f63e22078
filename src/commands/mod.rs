//! Operator commands of the binary (`eidas-connector xmlsec …`): the black-box interface of
//! the library for operators and for tests.
//!
//! Each command reads files, calls the library and prints; it holds no protocol logic.
//! Failures come back as a [`CommandError`] whose stable code the binary prints as
//! `error: <code>` with exit status 1.

pub mod bench;
pub mod config_check;
pub mod demo;
pub mod demo_hub;
pub mod healthcheck;
pub mod keys;
pub mod mock_proxy;
pub mod openapi;
pub mod saml;
pub mod serve;
pub mod xmlsec;

/// A failed command: a stable code for `error: <code>` and a detail for humans.
#[derive(Debug)]
pub struct CommandError {
    /// Stable code, e.g. `sig.algorithm_forbidden`.
    pub code: String,
    /// Human detail (never secrets, never personal data).
    pub detail: String,
}

impl CommandError {
    /// A failure with a code and a detail.
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { code: code.into(), detail: detail.into() }
    }
}

/// Reads FILE, or standard input for `-`.
pub fn read_input(path: &std::path::Path) -> Result<Vec<u8>, CommandError> {
    use std::io::Read as _;
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CommandError::new("io.read", format!("standard input: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| CommandError::new("io.read", format!("{}: {e}", path.display())))
}

/// How OpenSSL was linked: `vendored` (built from `openssl-src` by the `vendored-openssl`
/// feature, statically) or `system` (the distribution's libssl/libcrypto).
pub fn openssl_build() -> &'static str {
    if cfg!(feature = "vendored-openssl") {
        "vendored"
    } else {
        "system"
    }
}

/// `<OpenSSL version text>, <vendored|system>`, as `--version` and `bench` print it.
pub fn openssl_linked() -> String {
    format!("{}, {}", openssl::version::version(), openssl_build())
}
