//! The pages' static files (`assets/`: the DSFR styles, fonts and icons, the flags), embedded in
//! the binary so it runs from any directory, and served at `GET /static/<version>/<file>`. The
//! version is a digest of every file: a page names the files it was built with, so browsers may
//! keep them for a year. Only the files listed here exist (no directory listing, no path is ever
//! joined to the file system). The demo hub and the mock proxy reuse [`configure`] and [`url`].

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

/// One embedded file: its path under `assets/` and its bytes.
struct Asset {
    path: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal) => {
        Asset { path: $path, bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)) }
    };
}

/// Every file served. A file added under `assets/` is served only once listed here.
const ASSETS: &[Asset] = &[
    asset!("dsfr/core/core.main.min.css"),
    asset!("dsfr/component/alert/alert.main.min.css"),
    asset!("dsfr/component/badge/badge.main.min.css"),
    asset!("dsfr/component/button/button.main.min.css"),
    asset!("dsfr/component/footer/footer.main.min.css"),
    asset!("dsfr/component/form/form.main.min.css"),
    asset!("dsfr/component/header/header.main.min.css"),
    asset!("dsfr/component/input/input.main.min.css"),
    asset!("dsfr/component/link/link.main.min.css"),
    asset!("dsfr/component/logo/logo.main.min.css"),
    asset!("dsfr/component/radio/radio.main.min.css"),
    asset!("dsfr/component/skiplink/skiplink.main.min.css"),
    asset!("dsfr/fonts/Marianne-Regular.woff2"),
    asset!("dsfr/fonts/Marianne-Medium.woff2"),
    asset!("dsfr/fonts/Marianne-Bold.woff2"),
    asset!("dsfr/icons/system/fr--error-fill.svg"),
    asset!("dsfr/icons/system/fr--info-fill.svg"),
    asset!("dsfr/icons/system/fr--success-fill.svg"),
    asset!("dsfr/icons/system/fr--warning-fill.svg"),
    asset!("flags/at.svg"),
    asset!("flags/be.svg"),
    asset!("flags/bg.svg"),
    asset!("flags/cy.svg"),
    asset!("flags/cz.svg"),
    asset!("flags/de.svg"),
    asset!("flags/dk.svg"),
    asset!("flags/ee.svg"),
    asset!("flags/es.svg"),
    asset!("flags/fi.svg"),
    asset!("flags/fr.svg"),
    asset!("flags/gr.svg"),
    asset!("flags/hr.svg"),
    asset!("flags/hu.svg"),
    asset!("flags/ie.svg"),
    asset!("flags/is.svg"),
    asset!("flags/it.svg"),
    asset!("flags/li.svg"),
    asset!("flags/lt.svg"),
    asset!("flags/lu.svg"),
    asset!("flags/lv.svg"),
    asset!("flags/mt.svg"),
    asset!("flags/nl.svg"),
    asset!("flags/no.svg"),
    asset!("flags/pl.svg"),
    asset!("flags/pt.svg"),
    asset!("flags/ro.svg"),
    asset!("flags/se.svg"),
    asset!("flags/si.svg"),
    asset!("flags/sk.svg"),
    asset!("flags/xx.svg"),
];

/// The stylesheets every page links, in order (the core first: the components build on it).
pub const STYLESHEETS: &[&str] = &[
    "dsfr/core/core.main.min.css",
    "dsfr/component/skiplink/skiplink.main.min.css",
    "dsfr/component/logo/logo.main.min.css",
    "dsfr/component/header/header.main.min.css",
    "dsfr/component/footer/footer.main.min.css",
    "dsfr/component/link/link.main.min.css",
    "dsfr/component/button/button.main.min.css",
    "dsfr/component/badge/badge.main.min.css",
    "dsfr/component/alert/alert.main.min.css",
    "dsfr/component/form/form.main.min.css",
    "dsfr/component/input/input.main.min.css",
    "dsfr/component/radio/radio.main.min.css",
];

/// Browsers keep a versioned file for a year and never revalidate it.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// A file asked under another version (a page from before a deployment): served, not cached.
const CACHE_REVALIDATE: &str = "no-cache";

/// An SVG opened on its own is a document: no script, no plugin, no framing.
const ASSET_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// The first 12 hex digits of a SHA-256 over every file's path and bytes.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = openssl::sha::Sha256::new();
    for a in ASSETS {
        hasher.update(a.path.as_bytes());
        hasher.update(&[0]);
        hasher.update(&u64::try_from(a.bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
        hasher.update(a.bytes);
    }
    hasher.finish().iter().take(6).map(|b| format!("{b:02x}")).collect()
});

/// The version in the files' URLs.
pub fn version() -> &'static str {
    VERSION.as_str()
}

/// The URL path of `file` (a path under `assets/`, e.g. `flags/de.svg`).
pub fn url(file: &str) -> String {
    format!("/static/{}/{file}", version())
}

/// Whether `file` (a path under `assets/`) is served.
pub fn is_served(file: &str) -> bool {
    find(file).is_some()
}

/// The content type of `path`, by its extension; `None` for a type we do not serve.
fn content_type(path: &str) -> Option<&'static str> {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => Some("text/css; charset=utf-8"),
        Some("woff2") => Some("font/woff2"),
        Some("svg") => Some("image/svg+xml"),
        _ => None,
    }
}

/// The embedded bytes of `path` and their content type.
fn find(path: &str) -> Option<(&'static [u8], &'static str)> {
    let asset = ASSETS.iter().find(|a| a.path == path)?;
    Some((asset.bytes, content_type(asset.path)?))
}

async fn serve(path: web::Path<(String, String)>) -> HttpResponse {
    let (asked_version, file) = path.into_inner();
    let Some((bytes, content_type)) = find(&file) else {
        return HttpResponse::NotFound().finish();
    };
    let cache = if asked_version == version() { CACHE_FOREVER } else { CACHE_REVALIDATE };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)))
        .insert_header((header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ASSET_CSP)))
        .body(bytes)
}

/// `GET` and `HEAD /static/{version}/{file}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/static/{version}/{file:.+}").route(web::get().to(serve)).route(web::head().to(serve)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_type_and_the_stylesheets_are_served() {
        for a in ASSETS {
            assert!(content_type(a.path).is_some(), "{}", a.path);
            assert!(!a.bytes.is_empty(), "{}", a.path);
        }
        for s in STYLESHEETS {
            assert_eq!(find(s).map(|(_, t)| t), Some("text/css; charset=utf-8"), "{s}");
        }
        let total: usize = ASSETS.iter().map(|a| a.bytes.len()).sum();
        assert!(total < 1_500_000, "the embedded assets weigh {total} bytes");
    }

    #[test]
    fn only_listed_files_are_found() {
        for missing in ["", "dsfr", "dsfr/", "flags/", "../Cargo.toml", "dsfr/LICENSE.md", "flags/el.svg", "x.css"] {
            assert!(find(missing).is_none(), "{missing:?}");
        }
    }

    #[test]
    fn the_version_is_stable_and_in_the_urls() {
        assert_eq!(version().len(), 12);
        assert!(version().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(url("flags/de.svg"), format!("/static/{}/flags/de.svg", version()));
    }

    /// The `url(…)` targets of `css` (at `path`), resolved against its folder; `data:` left out.
    fn references(path: &str, css: &str) -> Vec<String> {
        let folder: Vec<&str> = path.rsplit_once('/').map(|(f, _)| f.split('/').collect()).unwrap_or_default();
        css.split("url(")
            .skip(1)
            .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.trim_matches(['"', '\''])))
            .filter(|target| !target.starts_with("data:"))
            .map(|target| {
                let mut parts = folder.clone();
                for segment in target.split('/') {
                    match segment {
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                parts.join("/")
            })
            .collect()
    }

    #[test]
    fn the_fonts_and_status_icons_the_stylesheets_use_are_shipped() {
        let mut wanted = Vec::new();
        for s in STYLESHEETS {
            let (bytes, _) = find(s).unwrap();
            wanted.extend(references(s, std::str::from_utf8(bytes).unwrap()));
        }
        for needed in [
            "dsfr/fonts/Marianne-Regular.woff2",
            "dsfr/fonts/Marianne-Medium.woff2",
            "dsfr/fonts/Marianne-Bold.woff2",
            "dsfr/icons/system/fr--info-fill.svg",
            "dsfr/icons/system/fr--warning-fill.svg",
            "dsfr/icons/system/fr--error-fill.svg",
            "dsfr/icons/system/fr--success-fill.svg",
        ] {
            assert!(wanted.iter().any(|w| w == needed), "no stylesheet points to {needed}");
            assert!(find(needed).is_some(), "{needed} is not shipped");
        }
        // Every shipped DSFR font or icon is one a stylesheet points to (nothing shipped for nothing).
        for a in ASSETS.iter().filter(|a| a.path.starts_with("dsfr/fonts/") || a.path.starts_with("dsfr/icons/")) {
            assert!(wanted.iter().any(|w| w == a.path), "{} is shipped but unused", a.path);
        }
    }
}
