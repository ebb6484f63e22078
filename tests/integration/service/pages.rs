//! The pages (issue 8): the country page in French and English with its flags and language
//! switch, unavailable countries, the choice as a plain form POST (no JavaScript), the static
//! files, and each page's CSP against what the page really loads.

use super::*;
use crate::mock_proxy::{all_tags, attr, tags};
use crate::support::repo_file;

/// A port nothing listens on.
fn closed_port() -> u16 {
    free_listener().local_addr().unwrap().port()
}

/// The mock's XA plus DE and EL, whose metadata servers are down.
fn with_countries_down() -> AppOptions {
    let trust = repo_file("certs/test-pki/idp-metadata-signer.crt.pem").to_string_lossy().into_owned();
    let port = closed_port();
    let country_extra = ["DE", "EL"]
        .iter()
        .map(|code| {
            format!(
                "\n[[countries]]\ncode = \"{code}\"\nmetadata_url = \"http://127.0.0.1:{port}/{code}/metadata\"\n\
                 trust = [\"{trust}\"]\ninsecure_allow_http = true\n"
            )
        })
        .collect();
    AppOptions { country_extra, ..AppOptions::default() }
}

/// Starts a request without a country (the citizen chooses on our page), with `extra` fields;
/// its start page URL.
async fn start_without_country(app: &TestApp, mock: &MockProxy, extra: Value) -> String {
    let mut body = start_body(mock, "substantial");
    let fields = body.as_object_mut().unwrap();
    fields.remove("citizen_country");
    if let Value::Object(extra) = extra {
        fields.extend(extra);
    }
    let (status, started) = start(app, &body).await;
    assert_eq!(status, 201, "{started}");
    started["browser_redirect_url"].as_str().unwrap().to_owned()
}

/// `GET url` as a browser whose languages are `accept_language`.
async fn get_page(url: &str, accept_language: Option<&str>) -> Reply {
    let mut request = client().get(url);
    if let Some(languages) = accept_language {
        request = request.header("accept-language", languages);
    }
    send(request).await
}

/// `POST url` of a form.
async fn post_page(url: &str, fields: &[(&str, &str)]) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    send(client().post(url).header("content-type", "application/x-www-form-urlencoded").body(body)).await
}

/// The attributes of the country radio of `code`.
fn radio(html: &str, code: &str) -> Vec<(String, String)> {
    tags(html, "input")
        .into_iter()
        .find(|a| attr(a, "name").as_deref() == Some("country") && attr(a, "value").as_deref() == Some(code))
        .unwrap_or_else(|| panic!("no radio for {code}: {html}"))
}

/// The text of the element whose `id` is `id` (up to its first `<`).
fn text_of<'h>(html: &'h str, id: &str) -> &'h str {
    let open = format!("id=\"{id}\">");
    let start = html.find(&open).unwrap_or_else(|| panic!("no #{id}: {html}")) + open.len();
    let end = html[start..].find('<').unwrap() + start;
    &html[start..end]
}

/// The `src` of every `<img>` of a page.
fn images(html: &str) -> Vec<String> {
    tags(html, "img").iter().filter_map(|a| attr(a, "src")).collect()
}

/// The text `s` as askama writes it in HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

#[tokio::test]
async fn the_country_page_shows_each_country_with_its_flag_and_name_in_french_or_english_with_a_switch() {
    let Some((mock, app)) = setup_with(&with_countries_down()).await else { return };
    let redirect = start_without_country(&app, &mock, Value::Null).await;

    let page = get_page(&redirect, Some("en-GB,en;q=0.9,fr;q=0.5")).await;
    assert_eq!(page.status, 200, "{page:?}");
    let html = &page.text;
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    assert!(html.contains("<h1>Choose your country</h1>"), "{html}");
    for (code, name) in [("XA", "Test country A"), ("DE", "Germany"), ("EL", "Greece")] {
        assert!(html.contains(&format!(r#"<label class="fr-label" for="country-{code}">{name}"#)), "{code}: {html}");
    }
    let flags = images(html);
    for flag in ["flags/xx.svg", "flags/de.svg", "flags/gr.svg"] {
        assert!(flags.iter().any(|src| src.starts_with("/static/") && src.ends_with(flag)), "{flag}: {flags:?}");
    }
    assert_eq!(flags.len(), 3, "{flags:?}");
    // Sorted by name in the page's language.
    let at = |name: &str| html.find(&format!("\">{name}")).unwrap();
    assert!(at("Germany") < at("Greece") && at("Greece") < at("Test country A"));

    // The switch: a link per language, the current one marked.
    let links = tags(html, "a");
    let switch = |lang: &str| {
        links.iter().find(|a| attr(a, "href").as_deref() == Some(&format!("?lang={lang}"))).cloned().unwrap()
    };
    assert_eq!(attr(&switch("en"), "aria-current").as_deref(), Some("true"));
    assert_eq!(attr(&switch("fr"), "aria-current"), None);
    assert_eq!(attr(&switch("fr"), "lang").as_deref(), Some("fr"));
    let (action, _) = parse_form(html).unwrap();
    assert!(redirect.ends_with(&action), "{action}");

    // The switch wins over the browser's languages, and the form keeps it.
    let page = get_page(&format!("{redirect}?lang=fr"), Some("en")).await;
    let html = &page.text;
    assert!(html.contains(r#"<html lang="fr">"#), "{html}");
    assert!(html.contains("<h1>Choisissez votre pays</h1>"), "{html}");
    for (code, name) in [("XA", "Pays de test A"), ("DE", "Allemagne"), ("EL", "Grèce")] {
        assert!(html.contains(&format!(r#"<label class="fr-label" for="country-{code}">{name}"#)), "{code}: {html}");
    }
    let at = |name: &str| html.find(&format!("\">{name}")).unwrap();
    assert!(at("Allemagne") < at("Grèce") && at("Grèce") < at("Pays de test A"));
    assert_eq!(
        attr(
            &tags(html, "a").into_iter().find(|a| attr(a, "hreflang").as_deref() == Some("fr")).unwrap(),
            "aria-current"
        )
        .as_deref(),
        Some("true")
    );
    let (action, _) = parse_form(html).unwrap();
    assert!(action.ends_with("?lang=fr") && redirect.ends_with(action.trim_end_matches("?lang=fr")), "{action}");

    // An unknown language is ignored; without a choice French is the default.
    assert!(get_page(&format!("{redirect}?lang=de"), Some("en")).await.text.contains(r#"<html lang="en">"#));
    assert!(get_page(&redirect, None).await.text.contains(r#"<html lang="fr">"#));

    // The hub's ui_locales comes before the browser's languages, and the switch before both.
    let redirect = start_without_country(&app, &mock, serde_json::json!({"ui_locales": "en"})).await;
    assert!(get_page(&redirect, Some("fr")).await.text.contains("Test country A"));
    assert!(get_page(&format!("{redirect}?lang=fr"), Some("en")).await.text.contains("Pays de test A"));
    app.stop().await;
}

#[tokio::test]
async fn a_country_whose_metadata_server_is_down_is_disabled_with_its_reason_and_cannot_be_chosen() {
    let Some((mock, app)) = setup_with(&with_countries_down()).await else { return };
    let de = country(&app, "DE").await;
    assert_eq!((de["available"].clone(), de["reason"].clone()), (Value::Bool(false), "metadata_fetch_failed".into()));
    let redirect = start_without_country(&app, &mock, Value::Null).await;

    for (lang, sentence) in [("fr", "ne répond pas"), ("en", "does not answer")] {
        let page = get_page(&format!("{redirect}?lang={lang}"), None).await;
        let html = &page.text;
        let reason = eidas_connector::ui::strings(lang).reason_fetch_failed;
        assert!(reason.contains(sentence));
        for code in ["DE", "EL"] {
            let r = radio(html, code);
            assert_eq!(attr(&r, "disabled").as_deref(), Some(""), "{code}: {r:?}");
            let described = attr(&r, "aria-describedby").unwrap();
            assert_eq!(text_of(html, &described), esc(reason), "{code}");
        }
        let xa = radio(html, "XA");
        assert_eq!(attr(&xa, "disabled"), None);
        assert_eq!(attr(&xa, "aria-describedby"), None);
        assert_eq!(attr(&xa, "required").as_deref(), Some(""));
    }

    // Posting the disabled country anyway (or nothing, or a code we do not have): the page again,
    // saying so; nothing signed, no binding cookie.
    for fields in [vec![("country", "DE")], vec![], vec![("country", "QQ")]] {
        let again = post_page(&format!("{redirect}?lang=en"), &fields).await;
        assert_eq!(again.status, 422, "{fields:?}: {again:?}");
        assert!(again.text.contains(&esc(eidas_connector::ui::strings("en").choose_error)), "{}", again.text);
        assert!(again.header("set-cookie").is_none());
        let (action, hidden) = parse_form(&again.text).unwrap();
        assert!(redirect.ends_with(action.trim_end_matches("?lang=en")), "{action}");
        assert!(hidden.is_empty(), "{hidden:?}");
        assert_eq!(attr(&radio(&again.text, "DE"), "disabled").as_deref(), Some(""));
    }
    // The available one still goes through.
    let chosen = post_page(&redirect, &[("country", "XA")]).await;
    assert_eq!(chosen.status, 200, "{chosen:?}");
    assert_eq!(parse_form(&chosen.text).unwrap().0, mock.sso_url());
    app.stop().await;
}

#[tokio::test]
async fn the_country_choice_works_as_a_plain_form_post_without_javascript() {
    let Some((mock, app)) = setup().await else { return };
    let redirect = start_without_country(&app, &mock, Value::Null).await;
    let mut browser = Browser::new();
    let page = browser.get(&format!("{redirect}?lang=en")).await;
    assert_eq!(page.status, 200, "{page:?}");
    let html = &page.body;
    // Without JavaScript: the filter stays hidden, every country is shown, and the form is a
    // plain POST of a radio and a submit button.
    let filter = tags(html, "div").into_iter().find(|a| attr(a, "id").as_deref() == Some("country-filter-group"));
    assert_eq!(attr(&filter.unwrap(), "hidden").as_deref(), Some(""));
    assert!(tags(html, "div")
        .iter()
        .filter(|a| attr(a, "data-country").is_some())
        .all(|a| attr(a, "hidden").is_none()));
    let form = tags(html, "form").into_iter().next().unwrap();
    assert_eq!(attr(&form, "method").as_deref(), Some("post"));
    let buttons = tags(html, "button");
    assert!(buttons.iter().any(|b| attr(b, "type").as_deref() == Some("submit") && attr(b, "name").is_none()));
    assert!(buttons
        .iter()
        .any(|b| attr(b, "name").as_deref() == Some("action") && attr(b, "value").as_deref() == Some("back")));

    // What a browser sends for the checked radio and the submit button.
    let (action, _) = parse_form(html).unwrap();
    let chosen = browser.post_form(&format!("{}{action}", app.public), &[("country".into(), "XA".into())]).await;
    assert_eq!(chosen.status, 200, "{chosen:?}");
    assert!(chosen.body.contains(r#"<html lang="en">"#), "{}", chosen.body);
    assert!(chosen.body.contains("<noscript>"), "{}", chosen.body);
    let noscript = &chosen.body[chosen.body.find("<noscript>").unwrap()..chosen.body.find("</noscript>").unwrap()];
    assert!(noscript.contains(r#"<button class="fr-btn" type="submit">Continue</button>"#), "{noscript}");
    let (sso, fields) = parse_form(&chosen.body).unwrap();
    let mock_page = browser.post_form(&format!("{sso}?scenario=success"), &fields).await;
    assert_eq!(mock_page.status, 200, "{}", mock_page.body);
    let (acs, fields) = parse_form(&mock_page.body).unwrap();
    let (handle, _) = back_at_hub(&browser.post_form(&acs, &fields).await);
    let (status, body) = consume(&app, &handle).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("success")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn static_files_are_served_with_their_type_and_a_year_of_cache_and_nothing_else_is() {
    let Some((mock, app)) = setup().await else { return };
    let redirect = start_without_country(&app, &mock, Value::Null).await;
    let html = get_page(&redirect, None).await.text;
    let stylesheets: Vec<String> = tags(&html, "link").iter().filter_map(|a| attr(a, "href")).collect();
    assert_eq!(stylesheets.len(), eidas_connector::ui::assets::STYLESHEETS.len(), "{stylesheets:?}");
    let version = eidas_connector::ui::assets::version();
    let font = format!("/static/{version}/dsfr/fonts/Marianne-Bold.woff2");
    let mut expected: Vec<(String, &str)> =
        stylesheets.iter().map(|href| (href.clone(), "text/css; charset=utf-8")).collect();
    expected.extend(images(&html).into_iter().map(|src| (src, "image/svg+xml")));
    expected.push((font, "font/woff2"));
    expected.push((format!("/static/{version}/dsfr/icons/system/fr--info-fill.svg"), "image/svg+xml"));
    for (path, content_type) in &expected {
        assert!(path.starts_with(&format!("/static/{version}/")), "{path}");
        let reply = send(client().get(format!("{}{path}", app.public))).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(*content_type), "{path}");
        assert_eq!(reply.header("cache-control"), Some("public, max-age=31536000, immutable"), "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert!(!reply.text.is_empty(), "{path}");
    }
    let core = format!("{}/static/{version}/dsfr/core/core.main.min.css", app.public);
    let head = send(client().head(&core)).await;
    assert_eq!((head.status, head.header("content-type")), (200, Some("text/css; charset=utf-8")));
    assert!(head.text.is_empty());

    // A page from before a deployment asks another version: served, but not kept.
    let old = send(client().get(format!("{}/static/0123456789ab/dsfr/core/core.main.min.css", app.public))).await;
    assert_eq!((old.status, old.header("cache-control")), (200, Some("no-cache")));

    // No listing, nothing outside the list, no way out of it.
    for path in [
        "/static/".to_owned(),
        format!("/static/{version}/"),
        format!("/static/{version}/dsfr/"),
        format!("/static/{version}/flags"),
        format!("/static/{version}/dsfr/LICENSE.md"),
        format!("/static/{version}/flags/el.svg"),
        format!("/static/{version}/../Cargo.toml"),
        format!("/static/{version}/%2e%2e/Cargo.toml"),
        format!("/static/{version}/flags/..%2f..%2fCargo.toml"),
    ] {
        let reply = send(client().get(format!("{}{path}", app.public))).await;
        assert_eq!(reply.status, 404, "{path}: {reply:?}");
    }
    let post = send(client().post(&core)).await;
    assert!(matches!(post.status, 404 | 405), "{post:?}");
    app.stop().await;
}

/// Checks that `csp` allows exactly what `html` uses: its inline style and script only with the
/// nonce (a `script-src` only when there is a script), stylesheets, fonts and images only from
/// our `/static/` files (fetched: each is served), no inline style attribute or event handler, no
/// third-party origin but the form's target, and `form-action` only where a form posts.
async fn assert_csp_fits(app: &TestApp, what: &str, reply: &Reply) {
    let html = &reply.text;
    let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    let directives: HashMap<&str, &str> =
        csp.split(';').map(str::trim).map(|d| d.split_once(' ').unwrap_or((d, ""))).collect();
    let known =
        ["default-src", "script-src", "style-src", "font-src", "img-src", "form-action", "frame-ancestors", "base-uri"];
    assert!(directives.keys().all(|k| known.contains(k)), "{what}: {csp}");
    for (directive, value) in [("default-src", "'none'"), ("frame-ancestors", "'none'"), ("base-uri", "'none'")] {
        assert_eq!(directives.get(directive), Some(&value), "{what}: {csp}");
    }
    let styles = tags(html, "style");
    assert_eq!(styles.len(), 1, "{what}");
    let nonce = attr(&styles[0], "nonce").unwrap_or_else(|| panic!("{what}: a style without a nonce"));
    assert!(nonce.len() >= 22, "{what}: {nonce}");
    assert_eq!(directives.get("style-src").copied(), Some(format!("'self' 'nonce-{nonce}'").as_str()), "{what}");
    assert_eq!(directives.get("font-src"), Some(&"'self'"), "{what}");
    assert_eq!(directives.get("img-src"), Some(&"'self' data:"), "{what}");
    let scripts = tags(html, "script");
    if scripts.is_empty() {
        assert!(!directives.contains_key("script-src"), "{what}: a script-src without a script: {csp}");
    } else {
        assert_eq!(directives.get("script-src").copied(), Some(format!("'nonce-{nonce}'").as_str()), "{what}");
        for s in &scripts {
            assert_eq!(attr(s, "nonce").as_deref(), Some(nonce.as_str()), "{what}");
            assert_eq!(attr(s, "src"), None, "{what}");
        }
    }
    for (name, attrs) in all_tags(html) {
        for (key, value) in &attrs {
            assert!(key != "style" && !key.starts_with("on"), "{what}: <{name} {key}=…>");
            assert!(!value.trim_start().to_ascii_lowercase().starts_with("javascript:"), "{what}: {value}");
        }
        assert!(!["iframe", "object", "embed", "frame", "base"].contains(&name.as_str()), "{what}: <{name}>");
        let subresource = match name.as_str() {
            "link" => attr(&attrs, "href"),
            "img" | "source" | "audio" | "video" | "input" => attr(&attrs, "src"),
            _ => None,
        };
        if let Some(url) = subresource {
            assert!(url.starts_with("/static/") && !url.starts_with("//"), "{what}: <{name}> loads {url}");
            let served = send(client().get(format!("{}{url}", app.public))).await;
            assert_eq!(served.status, 200, "{what}: {url}");
        }
    }
    for (directive, value) in &directives {
        assert!(*directive == "form-action" || !value.contains("://"), "{what}: {csp}");
    }
    let forms = tags(html, "form");
    let form_action: Vec<&str> = directives.get("form-action").copied().unwrap_or("").split(' ').collect();
    if forms.is_empty() {
        assert_eq!(form_action, ["'none'"], "{what}: {csp}");
    }
    for form in &forms {
        let action = attr(form, "action").unwrap();
        let needed = if action.starts_with('/') {
            "'self'".to_owned()
        } else {
            url::Url::parse(&action).unwrap().origin().ascii_serialization()
        };
        assert!(form_action.contains(&needed.as_str()), "{what}: the form posts to {action}: {csp}");
    }
}

#[tokio::test]
async fn every_page_csp_allows_exactly_what_the_page_uses() {
    let Some((mock, app)) = setup().await else { return };
    let redirect = start_without_country(&app, &mock, Value::Null).await;
    let country_page = get_page(&redirect, None).await;
    assert_csp_fits(&app, "country page", &country_page).await;
    let refused = post_page(&redirect, &[("country", "QQ")]).await;
    assert_csp_fits(&app, "country page after a refused choice", &refused).await;
    let auto_submit = post_page(&redirect, &[("country", "XA")]).await;
    assert_eq!(auto_submit.status, 200, "{auto_submit:?}");
    assert_csp_fits(&app, "auto-submit page", &auto_submit).await;

    // The error pages: a dead link, a refused ACS post, a body too large.
    let back = post_page(&redirect, &[("action", "back")]).await;
    assert_eq!(back.status, 303, "{back:?}");
    let dead = get_page(&redirect, None).await;
    assert_eq!(dead.status, 404, "{dead:?}");
    assert_csp_fits(&app, "expired start page", &dead).await;
    let acs = post_page(&format!("{}/eidas/acs", app.public), &[("SAMLResponse", "PHg+"), ("RelayState", "x")]).await;
    assert!(acs.status >= 400 && acs.header("content-type") == Some("text/html; charset=utf-8"), "{acs:?}");
    assert_csp_fits(&app, "ACS error page", &acs).await;

    // An error while the request is still pending keeps the way back to the hub: the hub chose
    // XA, and the page's form asks another country.
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let error = post_page(redirect, &[("country", "XB")]).await;
    assert_eq!(error.status, 400, "{error:?}");
    assert_eq!(page_request_id(&error.text), error.header("x-request-id"), "{}", error.text);
    assert_csp_fits(&app, "start error page with the way back", &error).await;
    let (action, _) = parse_form(&error.text).unwrap();
    let csp = error.header("content-security-policy").unwrap();
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9;"), "{csp}");
    let back = post_page(&format!("{}{action}", app.public), &[("action", "back")]).await;
    let (handle, _) = back_at_hub(&Page {
        status: back.status,
        location: back.header("location").map(str::to_owned),
        body: back.text,
        headers: back.headers,
    });
    let (_, outcome) = consume(&app, &handle).await;
    assert_eq!(outcome["error"]["code"], "user_cancelled", "{outcome}");
    app.stop().await;
}
