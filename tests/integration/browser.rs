//! A real headless Chromium, driven over WebDriver (Debian's `chromium` and `chromium-driver`,
//! fantoccini): the pages as a citizen sees them. Screenshots of every page go to
//! `target/screenshots/`; an axe-core pass (npm `axe-core`, injected into the page) reports
//! serious and critical accessibility violations.
//!
//! Skips (or fails under `EIDAS_TEST_REQUIRE_ALL=1`) when Chromium, its driver or axe-core is
//! missing: `.ci/run` installs all three.

mod journey;
mod pages;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::support::{repo_file, skip};

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n))).find(|p| p.is_file())
}

/// axe-core's `axe.min.js`: `EIDAS_TEST_AXE_JS`, else where `.ci/run` installs it.
fn axe_script() -> Option<String> {
    let path = std::env::var_os("EIDAS_TEST_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_file("target/browser-tools/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(path).ok()
}

/// One headless Chromium session and its chromedriver.
pub struct Chromium {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    axe: String,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Chromium {
    /// A browser with JavaScript on.
    pub async fn start() -> Option<Self> {
        Self::launch(true).await
    }

    /// A browser with JavaScript off (the no-JavaScript path).
    pub async fn start_without_javascript() -> Option<Self> {
        Self::launch(false).await
    }

    async fn launch(javascript: bool) -> Option<Self> {
        let Some(chromium) = find(&["chromium", "chromium-browser", "google-chrome"]) else {
            return skip("chromium not found (apt-get install chromium)");
        };
        let Some(chromedriver) = find(&["chromedriver"]) else {
            return skip("chromedriver not found (apt-get install chromium-driver)");
        };
        let Some(axe) = axe_script() else {
            return skip("axe-core not found (npm install --prefix target/browser-tools axe-core)");
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut prefs = serde_json::Map::new();
        if !javascript {
            prefs.insert("profile.managed_default_content_settings.javascript".into(), json!(2));
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--lang=fr-FR", "--no-first-run", "--disable-extensions"],
                "prefs": prefs,
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver did not answer: {e}"),
            }
        };
        Some(Self { client, driver, axe })
    }

    /// Saves a screenshot of the current page as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = repo_file("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs axe-core on the current page; returns the serious and critical violations as
    /// `id: description (targets)` lines.
    pub async fn serious_accessibility_violations(&self) -> Vec<String> {
        self.client.execute(&self.axe, vec![]).await.expect("axe-core loads");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        let Value::Array(violations) = result else { panic!("axe-core failed: {result}") };
        violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let targets: Vec<String> =
                    v["nodes"].as_array().into_iter().flatten().map(|n| n["target"].to_string()).collect();
                format!("{}: {} ({})", v["id"], v["help"], targets.join(", "))
            })
            .collect()
    }

    /// Chooses `code` on the connector's country page with the mouse: its radio's label, then
    /// "Continue".
    pub async fn choose_country(&self, code: &str) {
        let label = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(fantoccini::Locator::Css(&format!("label[for='country-{code}']")))
            .await
            .unwrap_or_else(|e| panic!("no country {code} on the page: {e}"));
        label.click().await.unwrap();
        self.client
            .find(fantoccini::Locator::Css("form button[type='submit']:not([name])"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// The current page's text.
    pub async fn text(&self) -> String {
        self.client.source().await.expect("page source")
    }
}
