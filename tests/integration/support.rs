//! Shared test support: where the repo, the shared interop folder and the Python oracles
//! are, and the skip rule (`EIDAS_TEST_REQUIRE_ALL=1` turns every skip into a failure).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under the repository root.
pub fn repo_file(rel: &str) -> PathBuf {
    repo().join(rel)
}

/// True when skips must fail (CI).
pub fn require_all() -> bool {
    std::env::var("EIDAS_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Skips (returns `None`) with a printed reason, or fails under `EIDAS_TEST_REQUIRE_ALL=1`.
pub fn skip<T>(reason: &str) -> Option<T> {
    assert!(!require_all(), "EIDAS_TEST_REQUIRE_ALL=1 but: {reason}");
    {
        use std::io::Write as _;
        // Straight to stderr: the test harness captures eprintln!, and a skip must be seen.
        let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
    }
    None
}

/// `../shared/interop`, when present beside the project.
pub fn interop() -> Option<PathBuf> {
    let dir = repo().join("../shared/interop");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip("../shared/interop is absent")
    }
}

/// A Python interpreter that has signxml, xmlsec, lxml and cryptography
/// (`EIDAS_TEST_PYTHON`, else `.venv/bin/python`, else `python3`).
pub fn python() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("EIDAS_TEST_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![repo().join(".venv/bin/python"), PathBuf::from("python3")],
    };
    for c in candidates {
        let ok = Command::new(&c)
            .args(["-c", "import signxml, xmlsec, lxml, cryptography"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(c);
        }
    }
    skip("no Python with signxml, xmlsec, lxml and cryptography (set EIDAS_TEST_PYTHON; .ci/run makes one)")
}

/// Runs an oracle script from `tests/oracles/` and returns (success, stdout, stderr).
pub fn oracle(py: &Path, script: &str, args: &[&str]) -> (bool, Vec<u8>, String) {
    let out = Command::new(py).arg(repo().join("tests/oracles").join(script)).args(args).output().expect("oracle runs");
    (out.status.success(), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs the binary under test: (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_eidas-connector")).args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temporary file holding `bytes`, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// Writes `bytes` to a fresh file.
    pub fn new(name: &str, bytes: &[u8]) -> Self {
        let mut rnd = [0u8; 8];
        openssl::rand::rand_bytes(&mut rnd).unwrap();
        let dir = std::env::temp_dir().join(format!("eidas-test-{}", hex(&rnd)));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        Self(p)
    }
    /// Its path as a string.
    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(d) = self.0.parent() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A fresh empty folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Makes it.
    pub fn new() -> Self {
        let mut rnd = [0u8; 8];
        openssl::rand::rand_bytes(&mut rnd).unwrap();
        let dir = std::env::temp_dir().join(format!("eidas-test-dir-{}", hex(&rnd)));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Its path as a string.
    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The instant and the request id of the SAML Response vectors (`tests/vectors/saml/`).
pub const VECTOR_NOW: &str = "2026-11-25T10:00:30Z";
/// The `InResponseTo` of the SAML Response vectors.
pub const VECTOR_REQUEST_ID: &str = "_req3c239fe7ceee689c37c54495235d7d8338c8dd42ac57dee66286bae455ecdd01";

/// `response check` of the Response at `file` in the context of the SAML vectors: their proxy
/// metadata, our test decryption key, entityID, ACS, country ES, LoA substantial and instant.
/// `trust` is the metadata anchor (`None`: no `--trust`, e.g. with `--config` in `extra`).
pub fn response_check(file: &str, trust: Option<&str>, extra: &[&str]) -> (i32, String, String) {
    let md = repo_file("tests/vectors/saml/proxy-metadata.xml").to_string_lossy().into_owned();
    let key = repo_file("certs/test-pki/sp-enc-rsa3072.key.pem").to_string_lossy().into_owned();
    let trust = trust.map(|t| repo_file(t).to_string_lossy().into_owned());
    let mut args = vec!["response", "check", file, "--metadata", &md, "--key", &key];
    if let Some(t) = &trust {
        args.extend(["--trust", t.as_str()]);
    }
    args.extend([
        "--entity-id",
        "https://connector.example.fr/eidas/metadata",
        "--acs",
        "https://connector.example.fr/eidas/acs",
        "--country",
        "ES",
        "--in-response-to",
        VECTOR_REQUEST_ID,
        "--loa",
        "substantial",
        "--now",
        VECTOR_NOW,
    ]);
    args.extend_from_slice(extra);
    run(&args)
}

/// `xml` with its Response signature removed, then signed again by signxml (an independent
/// signer) with the proxy service's test key `idp-rsa3072` (RSASSA-PSS SHA-256): a vector
/// edited at test time, whose only defect is the edit.
pub fn resign_response_with_signxml(py: &Path, xml: &str) -> Vec<u8> {
    let start = xml.find("<ds:Signature").expect("a signed Response");
    let end = xml.find("</ds:Signature>").expect("a signed Response") + "</ds:Signature>".len();
    let file = TempFile::new("unsigned.xml", format!("{}{}", &xml[..start], &xml[end..]).as_bytes());
    let key = repo_file("certs/test-pki/idp-rsa3072.key.pem").to_string_lossy().into_owned();
    let cert = repo_file("certs/test-pki/idp-rsa3072.crt.pem").to_string_lossy().into_owned();
    let (ok, signed, err) = oracle(
        py,
        "sign_signxml.py",
        &[
            "--key",
            &key,
            "--cert",
            &cert,
            "--alg",
            "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
            "--digest",
            "http://www.w3.org/2001/04/xmlenc#sha256",
            file.path(),
        ],
    );
    assert!(ok, "signxml: {err}");
    signed
}
