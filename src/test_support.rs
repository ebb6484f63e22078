//! Support for unit tests only: where `../shared/interop` is, and the skip rule
//! (`EIDAS_TEST_REQUIRE_ALL=1` turns a skip into a failure).

use std::path::PathBuf;

/// `../shared/interop/<rel>` when present; otherwise a printed skip (`None`), or a failure
/// under `EIDAS_TEST_REQUIRE_ALL=1`.
pub fn interop(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/interop").join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("EIDAS_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
        "EIDAS_TEST_REQUIRE_ALL=1 but {} is absent",
        path.display()
    );
    {
        use std::io::Write as _;
        // Straight to stderr: the test harness captures eprintln!, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {} is absent (interop samples live in ../shared/interop)",
            path.display()
        );
    }
    None
}
