//! The few HTML pages the connector serves (DESIGN §3 `ui`, §6): the country page, the
//! auto-submit form to the proxy service and the error page, in French and English, in the
//! French state design system (DSFR, `assets/`). Rendered server-side by askama (escaping on);
//! styles and fonts come from our own origin ([`assets`]), and the only inline script and style
//! carry a per-response CSP nonce ([`content_security_policy`]). Every page works without
//! JavaScript. No business logic here: the routes hand over what `flow` decided.

pub mod assets;
pub mod countries;
mod strings;

use askama::Template;

pub use self::strings::{strings, Strings};
use crate::flow::CountryChoice;

/// What an error page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Unknown or finished request, bad input.
    Generic,
    /// An expired or already used link.
    Expired,
    /// The store or a dependency is down.
    Unavailable,
}

/// How an error page offers the way back to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back<'a> {
    /// No way back is known.
    None,
    /// A link to this URL.
    Link(&'a str),
    /// A button posting `action=back` to this path (the start page's "back": the hub gets
    /// `user_cancelled`). The page's `form-action` must allow our origin and the hub's.
    Form(&'a str),
}

/// The `Content-Security-Policy` of a page rendered here: nothing but our own origin's styles,
/// fonts and images (and the `data:` images DSFR's stylesheets draw), the inline `<style>` and,
/// when the page has one (`script`), the inline `<script>` carrying `nonce`; forms post only to
/// `form_action` (a source list); no framing, no `<base>`.
pub fn content_security_policy(nonce: &str, script: bool, form_action: &str) -> String {
    let script = if script { format!("script-src 'nonce-{nonce}'; ") } else { String::new() };
    format!(
        "default-src 'none'; {script}style-src 'self' 'nonce-{nonce}'; font-src 'self'; img-src 'self' data:; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// What every page's layout (`base.html`) needs.
struct Frame<'a> {
    lang: &'a str,
    nonce: &'a str,
    t: &'static Strings,
    stylesheets: Vec<String>,
}

impl<'a> Frame<'a> {
    fn new(lang: &'a str, nonce: &'a str) -> Self {
        let lang = if lang == "en" { "en" } else { "fr" };
        Self {
            lang,
            nonce,
            t: strings(lang),
            stylesheets: assets::STYLESHEETS.iter().map(|s| assets::url(s)).collect(),
        }
    }

    /// Whether the page is in `lang`.
    fn is(&self, lang: &str) -> bool {
        self.lang == lang
    }
}

/// A country as the page shows it.
struct CountryRow {
    code: String,
    name: String,
    flag: Option<String>,
    available: bool,
    reason: &'static str,
    search: String,
}

#[derive(Template)]
#[template(path = "country.html")]
struct CountryPage<'a> {
    frame: Frame<'a>,
    action: &'a str,
    countries: Vec<CountryRow>,
    any_available: bool,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "autosubmit.html")]
struct AutoSubmitPage<'a> {
    frame: Frame<'a>,
    action: &'a str,
    saml_request: &'a str,
    relay_state: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    frame: Frame<'a>,
    message: &'a str,
    request_id: &'a str,
    back_url: Option<&'a str>,
    back_action: Option<&'a str>,
}

/// `s` in lower case without its accents, to sort and match names ("Slovénie" near "Slovaquie").
pub fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => 'a',
            'ç' | 'č' | 'ć' => 'c',
            'é' | 'è' | 'ê' | 'ë' | 'ě' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'ø' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' | 'ý' => 'y',
            'š' => 's',
            'ž' => 'z',
            other => other,
        })
        .collect()
}

/// The country page: one radio per country (flag, name; an unavailable one disabled, with its
/// reason), sorted by name in the page's language; it posts the choice, or `action=back`, to
/// `action`. `error` is shown above the list (a choice the server refused).
pub fn render_country_page(lang: &str, nonce: &str, action: &str, countries: &[CountryChoice], error: bool) -> String {
    let frame = Frame::new(lang, nonce);
    let t = frame.t;
    let mut rows: Vec<CountryRow> = countries
        .iter()
        .map(|c| CountryRow {
            code: c.code.to_string(),
            name: c.name.clone(),
            flag: self::countries::flag_file(c.code).map(|f| assets::url(&f)),
            available: c.available,
            reason: t.reason(c.reason),
            search: fold(&self::countries::search_terms(c.code)),
        })
        .collect();
    rows.sort_by_cached_key(|r| fold(&r.name));
    let any_available = rows.iter().any(|r| r.available);
    let error = error.then_some(t.choose_error);
    CountryPage { frame, action, countries: rows, any_available, error }.render().unwrap_or_default()
}

/// The auto-submit form to the proxy service (xmlsec-profile 32: every value escaped).
pub fn render_auto_submit(lang: &str, nonce: &str, action: &str, saml_request: &str, relay_state: &str) -> String {
    AutoSubmitPage { frame: Frame::new(lang, nonce), action, saml_request, relay_state }.render().unwrap_or_default()
}

/// The error page: a generic message and the request id, never a detail; a link back when
/// `back_url` is known.
pub fn render_error(lang: &str, nonce: &str, kind: ErrorKind, request_id: &str, back_url: Option<&str>) -> String {
    render_error_page(lang, nonce, kind, request_id, back_url.map_or(Back::None, Back::Link))
}

/// The error page with the way `back` to the hub.
pub fn render_error_page(lang: &str, nonce: &str, kind: ErrorKind, request_id: &str, back: Back<'_>) -> String {
    let frame = Frame::new(lang, nonce);
    let message = match kind {
        ErrorKind::Generic => frame.t.error_generic,
        ErrorKind::Expired => frame.t.error_expired,
        ErrorKind::Unavailable => frame.t.error_unavailable,
    };
    let (back_url, back_action) = match back {
        Back::None => (None, None),
        Back::Link(url) => (Some(url), None),
        Back::Form(action) => (None, Some(action)),
    };
    ErrorPage { frame, message, request_id, back_url, back_action }.render().unwrap_or_default()
}

#[cfg(test)]
mod tests;
