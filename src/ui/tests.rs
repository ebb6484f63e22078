use super::*;
use crate::saml::CountryCode;

/// `s` as askama escapes it in HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

fn choice(code: &str, lang: &str, reason: Option<&'static str>) -> CountryChoice {
    let code = CountryCode::parse(code).unwrap();
    CountryChoice { code, name: countries::country_name(code, lang), available: reason.is_none(), reason }
}

#[test]
fn the_auto_submit_page_escapes_every_value_and_carries_the_nonce() {
    let html = render_auto_submit("en", "n0nce", "https://p.example/sso?a=1&b=\"2\"", "PHg+", "<relay>");
    assert!(html.contains(r#"action="https://p.example/sso?a=1&#38;b=&#34;2&#34;""#), "{html}");
    assert!(html.contains(r#"value="&#60;relay&#62;""#), "{html}");
    assert!(html.contains(r#"<script nonce="n0nce">"#), "{html}");
    assert!(html.contains(r#"<style nonce="n0nce">"#), "{html}");
    assert!(html.contains(r#"<noscript><p>Select"#), "{html}");
    assert!(html.contains(r#"<button class="fr-btn" type="submit">Continue</button></noscript>"#), "{html}");
    assert!(html.contains("<h1>Redirecting to your country…</h1>"), "{html}");
}

#[test]
fn the_error_page_shows_the_request_id_in_the_chosen_language() {
    let html = render_error("fr", "n", ErrorKind::Expired, "req-123", None);
    assert!(html.contains("<code>req-123</code>") && html.contains("plus valide"), "{html}");
    assert!(html.contains(r#"<html lang="fr">"#));
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<form"), "{html}");
    let html = render_error("en", "n", ErrorKind::Unavailable, "r", Some("https://hub.example/?a=1&b=2"));
    assert!(html.contains(r#"<a class="fr-link" href="https://hub.example/?a=1&#38;b=2">Back to the service</a>"#));
    let html = render_error_page("en", "n", ErrorKind::Generic, "r", Back::Form("/eidas/start/h"));
    assert!(html.contains(r#"<form method="post" action="/eidas/start/h">"#), "{html}");
    assert!(html.contains(r#"name="action" value="back""#), "{html}");
}

#[test]
fn every_page_has_the_dsfr_layout_and_links_only_our_stylesheets() {
    let countries = [choice("XA", "fr", None)];
    for html in [
        render_country_page("fr", "n", "/eidas/start/h", &countries, false),
        render_auto_submit("fr", "n", "https://p.example/sso", "x", "y"),
        render_error("fr", "n", ErrorKind::Generic, "r", None),
    ] {
        assert!(html.contains(r##"<a class="fr-link" href="#content">Contenu</a>"##), "{html}");
        assert!(html.contains(r#"<main id="content" tabindex="-1">"#), "{html}");
        assert!(html.contains("République<br>Française"), "{html}");
        assert!(html.contains("FranceConnect — identité européenne"), "{html}");
        assert!(html.contains(r#"<footer class="fr-footer" id="footer">"#), "{html}");
        for s in assets::STYLESHEETS {
            assert!(html.contains(&format!(r#"<link rel="stylesheet" href="{}">"#, assets::url(s))), "{s}");
        }
        assert_eq!(html.matches("<link ").count(), assets::STYLESHEETS.len());
        assert!(!html.contains("style=\""), "an inline style attribute: {html}");
        assert_eq!(html.matches("<h1>").count(), 1, "{html}");
    }
}

#[test]
fn the_country_page_shows_flags_names_and_each_unavailable_country_with_its_reason() {
    let countries = [
        choice("EL", "en", None),
        choice("DE", "en", Some("metadata_fetch_failed")),
        choice("XA", "en", Some("metadata_expired")),
        choice("AT", "en", None),
    ];
    let html = render_country_page("en", "n0nce", "/eidas/start/h", &countries, false);
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    // Sorted by name: Austria, Germany, Greece, Test country A.
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} not in {html}"));
    assert!(at(">Austria<") < at(">Germany ") && at(">Germany ") < at(">Greece<"));
    assert!(at(">Greece<") < at(">Test country A "));
    assert!(html.contains(&format!(r#"<img src="{}" alt="""#, assets::url("flags/gr.svg"))), "{html}");
    assert!(html.contains(&format!(r#"<img src="{}" alt="""#, assets::url("flags/xx.svg"))), "{html}");
    assert!(html.contains(r#"<input type="radio" id="country-EL" name="country" value="EL" required>"#));
    assert!(html.contains(
        r#"<input type="radio" id="country-DE" name="country" value="DE" disabled aria-describedby="country-DE-reason">"#
    ));
    assert!(html.contains(&format!(
        r#"<p class="fr-hint-text fr-mt-1v" id="country-DE-reason">{}</p>"#,
        esc(strings("en").reason_fetch_failed)
    )));
    assert!(html.contains(&format!(r#"id="country-XA-reason">{}</p>"#, esc(strings("en").reason_expired))));
    // The filter matches both languages' names, without accents.
    assert!(html.contains(r#"data-country="grece greece el""#), "{html}");
    assert!(html.contains(r#"<div class="fr-input-group" id="country-filter-group" hidden>"#), "{html}");
    assert!(html.contains(r#"<script nonce="n0nce">"#), "{html}");
    assert!(html.contains(r#"<legend class="fr-fieldset__legend" id="countries-legend">"#), "{html}");
    assert!(html.contains(r#"<button class="fr-btn" type="submit">Continue</button>"#), "{html}");
    assert!(html.contains(r#"name="action" value="back" formnovalidate>Back to the service</button>"#));
    assert!(html.contains(r#"href="?lang=fr" lang="fr" hreflang="fr">Français</a>"#), "{html}");
    assert!(html.contains(r#"href="?lang=en" lang="en" hreflang="en" aria-current="true">English</a>"#));
    assert!(!html.contains(&esc(strings("en").none_available)));
    assert!(!html.contains(&esc(strings("en").choose_error)));
}

#[test]
fn a_country_page_without_an_available_country_says_so_and_offers_only_back() {
    let countries = [choice("XA", "fr", Some("metadata_not_loaded"))];
    let html = render_country_page("fr", "n", "/eidas/start/h", &countries, true);
    assert!(html.contains(&esc(strings("fr").none_available)), "{html}");
    assert!(html.contains(&esc(strings("fr").reason_not_loaded)), "{html}");
    assert!(html.contains(&esc(strings("fr").choose_error)), "{html}");
    assert!(!html.contains(">Continuer</button>"), "{html}");
    assert!(html.contains(">Retour au service</button>"), "{html}");
}

#[test]
fn the_csp_allows_our_origin_the_nonce_and_a_script_only_when_asked() {
    let with = content_security_policy("abc", true, "'self'");
    assert_eq!(
        with,
        "default-src 'none'; script-src 'nonce-abc'; style-src 'self' 'nonce-abc'; font-src 'self'; \
         img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    let without = content_security_policy("abc", false, "'none'");
    assert!(!without.contains("script-src"), "{without}");
    assert!(without.contains("form-action 'none'"), "{without}");
}

#[test]
fn fold_drops_case_and_accents() {
    assert_eq!(fold("Slovénie Tchéquie Grèce Norvège Suède"), "slovenie tchequie grece norvege suede");
}
