//! The browser side of a start (`/eidas/start/{handle}`): the country page's form body
//! (`CountryForm` through `serde_urlencoded`, as actix-web's `web::Form` reads it), the `?lang=`
//! query and the `Accept-Language` header, then the country code and page language the flow
//! derives from them and the country page rendered with them. Input: body, query and header
//! separated by NUL. Must hold: no panic; the country is two upper-case ASCII letters; the
//! language is `fr` or `en`; the page renders.
#![no_main]
use eidas_connector::flow::{choose_page_locale, parse_locale, CountryChoice};
use eidas_connector::routes::public::CountryForm;
use eidas_connector::saml::CountryCode;
use eidas_connector::ui;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let (body, query, header) = (parts.next().unwrap_or(b""), parts.next(), parts.next());
    let lang = query
        .and_then(|q| url::form_urlencoded::parse(q).find(|(k, _)| k == "lang"))
        .and_then(|(_, v)| parse_locale(Some(&v)));
    let accept_language = header.and_then(|h| std::str::from_utf8(h).ok());
    let locale = choose_page_locale(lang, None, accept_language);
    assert!(locale == "fr" || locale == "en", "page language {locale}");
    let Ok(form) = serde_urlencoded::from_bytes::<CountryForm>(body) else { return };
    let Some(code) = form.country.as_deref().and_then(CountryCode::parse) else { return };
    assert!(code.as_str().len() == 2 && code.as_str().bytes().all(|b| b.is_ascii_uppercase()));
    let name = ui::countries::country_name(code, locale);
    let countries = [CountryChoice { code, name, available: form.action.is_none(), reason: None }];
    let page = ui::render_country_page(locale, "n", &format!("/eidas/start/h?lang={locale}"), &countries, true);
    assert!(page.contains(&format!("value=\"{code}\"")), "the chosen country is not on the page");
});
