//! The demo hub's pages, rendered by askama (escaping on) from `src/ui/templates/demo_hub/`:
//! the service's login page (step 1), the consent page (step 4), the signed-in page (step 5),
//! the failure page and the error page. Every page says it is a demo, has a language switch
//! and carries this response's CSP nonce on its one `<style>`; none has a script.

use askama::Template;

use super::client::Country;
use super::texts::{claim_label, Lang, Texts};
use super::view::{AttributeRow, Failure, Identity};
use crate::saml::CountryCode;
use crate::ui::countries::country_name;

/// What every page has: language, nonce, words, service name and the switch's links.
pub struct Frame<'a> {
    /// `fr` or `en`.
    pub lang: &'static str,
    /// This response's CSP nonce.
    pub nonce: &'a str,
    /// The words.
    pub t: &'static Texts,
    /// The service's name.
    pub service: &'a str,
    /// The French version of this page.
    pub switch_fr: String,
    /// The English version of this page.
    pub switch_en: String,
}

impl<'a> Frame<'a> {
    /// The frame of a page at `path` (the switch adds `?lang=`).
    pub fn new(lang: Lang, nonce: &'a str, service: &'a str, path: &str) -> Self {
        Self {
            lang: lang.as_str(),
            nonce,
            t: lang.texts(),
            service,
            switch_fr: format!("{path}?lang=fr"),
            switch_en: format!("{path}?lang=en"),
        }
    }

    fn language(&self) -> Lang {
        Lang::parse(self.lang).unwrap_or(Lang::Fr)
    }
}

#[derive(Template)]
#[template(path = "demo_hub/login.html")]
struct LoginPage<'a> {
    f: Frame<'a>,
    countries: &'a [Country],
    countries_known: bool,
}

/// One claim row of the consent page.
struct ClaimRow<'a> {
    label: &'static str,
    claim: &'a str,
    value: &'a str,
}

#[derive(Template)]
#[template(path = "demo_hub/consent.html")]
struct ConsentPage<'a> {
    f: Frame<'a>,
    given_name: &'a str,
    family_name_upper: String,
    country: String,
    loa: String,
    issuer: Option<&'a str>,
    token: &'a str,
    claims: Vec<ClaimRow<'a>>,
    attributes: &'a [AttributeRow],
    person: &'a [(String, String)],
}

#[derive(Template)]
#[template(path = "demo_hub/signed_in.html")]
struct SignedInPage<'a> {
    f: Frame<'a>,
    given_name: &'a str,
    family_name_upper: String,
    country: String,
    loa: String,
}

#[derive(Template)]
#[template(path = "demo_hub/failure.html")]
struct FailurePage<'a> {
    f: Frame<'a>,
    message: &'static str,
    failure: &'a Failure,
}

#[derive(Template)]
#[template(path = "demo_hub/error.html")]
struct ErrorPage<'a> {
    f: Frame<'a>,
    message: &'static str,
    code: &'a str,
    request_id: Option<&'a str>,
}

/// Step 1: the service's login page. `countries` is `None` when the connector's list could
/// not be read (the connector then shows its own country page).
pub fn render_login(f: Frame<'_>, countries: Option<&[Country]>) -> String {
    LoginPage { f, countries: countries.unwrap_or_default(), countries_known: countries.is_some() }
        .render()
        .unwrap_or_default()
}

/// "Pays de test A (XA)".
fn country_text(code: Option<&str>, lang: Lang) -> String {
    match code {
        Some(c) => match CountryCode::parse(c) {
            Some(parsed) => format!("{} ({c})", country_name(parsed, lang.as_str())),
            None => c.to_owned(),
        },
        None => "-".into(),
    }
}

fn loa_text(identity: &Identity, t: &Texts) -> String {
    identity.level_of_assurance.as_deref().map(|l| t.loa_name(l).to_owned()).unwrap_or_else(|| "-".into())
}

/// Step 4: "you are about to sign in as…", the claims and the raw attributes; the form posts
/// `token` to `/hub/continue`.
pub fn render_consent(f: Frame<'_>, identity: &Identity, token: &str) -> String {
    let lang = f.language();
    let claims = identity
        .claims
        .iter()
        .map(|(claim, value)| ClaimRow { label: claim_label(lang, claim), claim, value })
        .collect();
    ConsentPage {
        given_name: &identity.given_name,
        family_name_upper: identity.family_name.to_uppercase(),
        country: country_text(identity.country.as_deref(), lang),
        loa: loa_text(identity, f.t),
        issuer: identity.issuer.as_deref(),
        token,
        claims,
        attributes: &identity.attributes,
        person: &identity.person,
        f,
    }
    .render()
    .unwrap_or_default()
}

/// Step 5: signed in.
pub fn render_signed_in(f: Frame<'_>, identity: &Identity) -> String {
    let lang = f.language();
    SignedInPage {
        given_name: &identity.given_name,
        family_name_upper: identity.family_name.to_uppercase(),
        country: country_text(identity.country.as_deref(), lang),
        loa: loa_text(identity, f.t),
        f,
    }
    .render()
    .unwrap_or_default()
}

/// The connector answered a failure: the message of its code and the OIDC error.
pub fn render_failure(f: Frame<'_>, failure: &Failure) -> String {
    FailurePage { message: f.t.failure_message(&failure.code), failure, f }.render().unwrap_or_default()
}

/// What went wrong on the hub's side of the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The connector did not answer.
    Unreachable,
    /// The connector refused the call (its problem code is shown).
    Refused,
    /// The callback's state is not this browser's.
    State,
    /// No live session.
    Session,
    /// A form or query the hub does not understand.
    BadRequest,
    /// Too many sessions.
    Busy,
}

/// The error page: the message of `kind`, the `code` and, when known, the connector's
/// `request_id`.
pub fn render_error(f: Frame<'_>, kind: ErrorKind, code: &str, request_id: Option<&str>) -> String {
    let message = match kind {
        ErrorKind::Unreachable => f.t.error_unreachable,
        ErrorKind::Refused => f.t.error_refused,
        ErrorKind::State => f.t.error_state,
        ErrorKind::Session => f.t.error_session,
        ErrorKind::BadRequest => f.t.error_bad_request,
        ErrorKind::Busy => f.t.error_busy,
    };
    ErrorPage { f, message, code, request_id }.render().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_hub::view::SamlStatus;

    fn frame(lang: Lang) -> Frame<'static> {
        Frame::new(lang, "n0nce", "Service <public> & \"démo\"", "/hub/consent")
    }

    fn hostile_identity() -> Identity {
        Identity {
            given_name: "<script>alert(1)</script>".into(),
            family_name: "O'Brien & Παπαδοπούλου".into(),
            claims: vec![
                ("given_name".into(), "<script>alert(1)</script>".into()),
                ("birthplace".into(), "\"><img src=x>".into()),
            ],
            country: Some("EL".into()),
            level_of_assurance: Some("high".into()),
            issuer: Some("https://proxy.example/md?a=1&b=2".into()),
            request_id: "req".into(),
            attributes: vec![AttributeRow {
                friendly_name: "CurrentFamilyName".into(),
                name: "http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName".into(),
                latin: vec!["Papadopoulou".into()],
                original: vec!["Παπαδοπούλου".into()],
            }],
            person: vec![("family_name.original".into(), "Παπαδοπούλου".into())],
        }
    }

    #[test]
    fn the_consent_page_escapes_every_value_and_shows_both_scripts_side_by_side() {
        let html = render_consent(frame(Lang::Fr), &hostile_identity(), "tok\"en");
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
        assert!(html.contains("O&#39;BRIEN &#38; ΠΑΠΑΔΟΠΟΎΛΟΥ"), "{html}");
        assert!(html.contains(r#"name="token" value="tok&#34;en""#), "{html}");
        assert!(
            html.contains("<td lang=\"\"><div>Papadopoulou</div></td><td lang=\"\"><div>Παπαδοπούλου</div></td>"),
            "{html}"
        );
        assert!(html.contains("Vous allez vous connecter en tant que"), "{html}");
        assert!(html.contains("Continuer vers Service &#60;public&#62; &#38; &#34;démo&#34;"), "{html}");
        assert!(html.contains("Grèce (EL)") && html.contains("élevé"), "{html}");
        assert!(html.contains(r#"<style nonce="n0nce">"#), "{html}");
        assert!(html.contains("Démonstration"), "{html}");
        assert!(!html.contains("<script"), "no script at all");
    }

    #[test]
    fn the_pages_speak_the_chosen_language_with_a_switch_to_the_other() {
        let html = render_consent(frame(Lang::En), &hostile_identity(), "t");
        assert!(html.contains(r#"<html lang="en">"#), "{html}");
        assert!(html.contains("You are about to sign in as") && html.contains("Continue to"), "{html}");
        assert!(html.contains(r#"<a href="/hub/consent?lang=fr" lang="fr" hreflang="fr">Français</a>"#), "{html}");
        assert!(html.contains(r#"hreflang="en" aria-current="page">English</a>"#), "{html}");
        assert!(html.contains("Demonstration"), "{html}");
        let login = render_login(Frame::new(Lang::En, "n", "S", "/"), None);
        assert!(login.contains("Sign in with a digital identity from another European country"), "{login}");
        assert!(login.contains(r#"<form method="post" action="/hub/start">"#), "{login}");
        let login = render_login(Frame::new(Lang::Fr, "n", "S", "/"), None);
        assert!(login.contains("Se connecter avec une identité numérique d&#39;un autre pays européen"), "{login}");
    }

    #[test]
    fn the_signed_in_page_names_the_citizen_and_signs_out_by_post() {
        let html = render_signed_in(Frame::new(Lang::Fr, "n", "S", "/hub/signed-in"), &hostile_identity());
        assert!(html.contains("Vous êtes connecté(e)"), "{html}");
        assert!(html.contains("Bienvenue, &#60;script&#62;alert(1)&#60;/script&#62; O&#39;BRIEN"), "{html}");
        assert!(html.contains(r#"<form method="post" action="/hub/logout">"#), "{html}");
        let html = render_signed_in(Frame::new(Lang::En, "n", "S", "/hub/signed-in"), &Identity::sample());
        assert!(html.contains("You are signed in") && html.contains("Welcome, Javier GARCIA"), "{html}");
    }

    #[test]
    fn the_login_page_lists_the_countries_and_disables_the_unavailable_ones() {
        let countries = [
            Country { code: "XA".into(), name: "Pays de test A".into(), available: true },
            Country { code: "XB".into(), name: "<b>".into(), available: false },
        ];
        let html = render_login(Frame::new(Lang::Fr, "n", "S", "/"), Some(&countries));
        assert!(html.contains(r#"<option value="XA">Pays de test A</option>"#), "{html}");
        assert!(html.contains(r#"<option value="XB" disabled>&#60;b&#62; (indisponible)</option>"#), "{html}");
        assert!(!html.contains("countries-note"), "{html}");
    }

    #[test]
    fn the_failure_page_says_what_happened_and_the_oidc_error() {
        let failure = Failure {
            code: "user_cancelled".into(),
            oidc_error: "access_denied".into(),
            saml: Some(SamlStatus {
                status_code: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
                sub_status_code: None,
                status_message: Some("<i>no</i>".into()),
            }),
            request_id: "r-9".into(),
        };
        let html = render_failure(frame(Lang::Fr), &failure);
        assert!(html.contains("Vous avez annulé"), "{html}");
        assert!(html.contains("<code>access_denied</code>") && html.contains("<code>r-9</code>"), "{html}");
        assert!(html.contains("&#60;i&#62;no&#60;/i&#62;"), "{html}");
        let html = render_failure(frame(Lang::En), &Failure { code: "loa_not_met".into(), saml: None, ..failure });
        assert!(html.contains("level of assurance"), "{html}");
    }

    #[test]
    fn the_error_page_shows_the_code_and_the_connector_s_request_id() {
        let html = render_error(frame(Lang::En), ErrorKind::Refused, "return_url_not_allowed", Some("abc123"));
        assert!(html.contains("<code>return_url_not_allowed</code>") && html.contains("<code>abc123</code>"), "{html}");
        let html = render_error(frame(Lang::Fr), ErrorKind::Unreachable, "connector_unreachable", None);
        assert!(html.contains("ne répond pas") && !html.contains("Référence"), "{html}");
    }
}
