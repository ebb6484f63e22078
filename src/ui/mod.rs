//! The few HTML pages the connector serves (DESIGN §3 `ui`): the country page, the
//! auto-submit form to the proxy service and the error page, in French and English. Rendered
//! server-side by askama (escaping on), with a per-response CSP nonce for the one inline
//! script and style. No business logic here.

pub mod countries;

use askama::Template;

use crate::flow::CountryChoice;

/// The words of the pages in one language.
#[derive(Debug, Clone, Copy)]
pub struct Strings {
    /// Country page title.
    pub title: &'static str,
    /// Country page explanation.
    pub intro: &'static str,
    /// Country list legend.
    pub legend: &'static str,
    /// Shown beside an unavailable country.
    pub unavailable: &'static str,
    /// Back to the service.
    pub back: &'static str,
    /// Auto-submit page title.
    pub redirect_title: &'static str,
    /// Auto-submit page text.
    pub redirect_text: &'static str,
    /// The no-JavaScript button.
    pub continue_: &'static str,
    /// Error page title.
    pub error_title: &'static str,
    /// "Reference:" before the request id.
    pub error_reference: &'static str,
    /// The generic error message.
    pub error_generic: &'static str,
    /// The message when the link is no longer valid.
    pub error_expired: &'static str,
    /// The message when the service is unavailable.
    pub error_unavailable: &'static str,
}

const FR: Strings = Strings {
    title: "Choisissez votre pays",
    intro: "Connectez-vous avec l'identité numérique de votre pays européen.",
    legend: "Pays",
    unavailable: "indisponible pour le moment",
    back: "Retour au service",
    redirect_title: "Redirection vers votre pays",
    redirect_text: "Vous allez être redirigé vers le service d'identification de votre pays.",
    continue_: "Continuer",
    error_title: "Une erreur est survenue",
    error_reference: "Référence à communiquer au support :",
    error_generic: "Nous ne pouvons pas poursuivre votre connexion. Veuillez recommencer depuis le service.",
    error_expired: "Ce lien n'est plus valide. Veuillez recommencer depuis le service.",
    error_unavailable: "Le service est momentanément indisponible. Veuillez réessayer dans quelques minutes.",
};

const EN: Strings = Strings {
    title: "Choose your country",
    intro: "Sign in with the digital identity of your European country.",
    legend: "Country",
    unavailable: "unavailable at the moment",
    back: "Back to the service",
    redirect_title: "Redirecting to your country",
    redirect_text: "You are being redirected to your country's identification service.",
    continue_: "Continue",
    error_title: "Something went wrong",
    error_reference: "Reference for support:",
    error_generic: "We cannot continue your sign-in. Please start again from the service.",
    error_expired: "This link is no longer valid. Please start again from the service.",
    error_unavailable: "The service is temporarily unavailable. Please try again in a few minutes.",
};

/// The strings of `lang` (`fr` or `en`).
pub fn strings(lang: &str) -> &'static Strings {
    if lang == "en" {
        &EN
    } else {
        &FR
    }
}

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

#[derive(Template)]
#[template(path = "country.html")]
struct CountryPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    t: &'a Strings,
    action: &'a str,
    countries: &'a [CountryChoice],
}

#[derive(Template)]
#[template(path = "autosubmit.html")]
struct AutoSubmitPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    t: &'a Strings,
    action: &'a str,
    saml_request: &'a str,
    relay_state: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    t: &'a Strings,
    message: &'a str,
    request_id: &'a str,
    back_url: Option<&'a str>,
}

/// The country page; it posts the choice back to `action`.
pub fn render_country_page(lang: &str, nonce: &str, action: &str, countries: &[CountryChoice]) -> String {
    CountryPage { lang, nonce, t: strings(lang), action, countries }.render().unwrap_or_default()
}

/// The auto-submit form to the proxy service (xmlsec-profile 32: every value escaped).
pub fn render_auto_submit(lang: &str, nonce: &str, action: &str, saml_request: &str, relay_state: &str) -> String {
    AutoSubmitPage { lang, nonce, t: strings(lang), action, saml_request, relay_state }.render().unwrap_or_default()
}

/// The error page: a generic message and the request id, never a detail.
pub fn render_error(lang: &str, nonce: &str, kind: ErrorKind, request_id: &str, back_url: Option<&str>) -> String {
    let t = strings(lang);
    let message = match kind {
        ErrorKind::Generic => t.error_generic,
        ErrorKind::Expired => t.error_expired,
        ErrorKind::Unavailable => t.error_unavailable,
    };
    ErrorPage { lang, nonce, t, message, request_id, back_url }.render().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auto_submit_page_escapes_every_value_and_carries_the_nonce() {
        let html = render_auto_submit("en", "n0nce", "https://p.example/sso?a=1&b=\"2\"", "PHg+", "<relay>");
        assert!(html.contains(r#"action="https://p.example/sso?a=1&#38;b=&#34;2&#34;""#), "{html}");
        assert!(html.contains(r#"value="&#60;relay&#62;""#), "{html}");
        assert!(html.contains(r#"<script nonce="n0nce">"#), "{html}");
        assert!(html.contains("<noscript><button type=\"submit\">Continue</button></noscript>"), "{html}");
    }

    #[test]
    fn the_error_page_shows_the_request_id_in_the_chosen_language() {
        let html = render_error("fr", "n", ErrorKind::Expired, "req-123", None);
        assert!(html.contains("req-123") && html.contains("plus valide"), "{html}");
        assert!(html.contains(r#"<html lang="fr">"#));
    }
}
