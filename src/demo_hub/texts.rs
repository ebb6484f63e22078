//! The demo hub's words in French and English, and how a page's language is chosen: `?lang=`
//! first, then what the session remembers, then `Accept-Language`, then French.
//!
//! Only words live here; what a page shows is decided in `view` and `pages`.

use crate::flow::choose_locale;

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// French (the default).
    Fr,
    /// English.
    En,
}

impl Lang {
    /// `fr` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    /// Exactly `fr` or `en` (a `?lang=` or a form field); anything else is ignored.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The page language: `asked` (`?lang=`), else `remembered` (the session's), else the
    /// browser's `Accept-Language`, else French.
    pub fn choose(asked: Option<&str>, remembered: Option<Lang>, accept_language: Option<&str>) -> Self {
        asked.and_then(Self::parse).or(remembered).unwrap_or_else(|| {
            if choose_locale(None, accept_language) == "en" {
                Self::En
            } else {
                Self::Fr
            }
        })
    }

    /// Its words.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::Fr => &FR,
            Self::En => &EN,
        }
    }
}

/// The words of the pages in one language.
#[derive(Debug)]
pub struct Texts {
    /// The banner every page shows.
    pub demo_banner: &'static str,
    /// The language switch's label.
    pub language: &'static str,
    /// Step 1: the heading before the service name.
    pub login_heading: &'static str,
    /// Step 1: what the page is.
    pub login_intro: &'static str,
    /// Step 1: the FranceConnect look-alike.
    pub franceconnect_button: &'static str,
    /// Step 1: why it does nothing.
    pub franceconnect_note: &'static str,
    /// Step 1: the eIDAS button (franceconnect.md §3c page 1).
    pub eidas_button: &'static str,
    /// Step 1: the options' legend.
    pub options_legend: &'static str,
    /// Step 1: the country select's label.
    pub country_label: &'static str,
    /// Step 1: the "no country: the connector asks" option.
    pub country_at_connector: &'static str,
    /// Step 1: beside an unavailable country.
    pub country_unavailable: &'static str,
    /// Step 1: when the list could not be read.
    pub countries_unknown: &'static str,
    /// Step 1: the LoA select's label.
    pub loa_label: &'static str,
    /// LoA `substantial`.
    pub loa_substantial: &'static str,
    /// LoA `high`.
    pub loa_high: &'static str,
    /// Step 4: the heading (franceconnect.md §2.8: "You will login as").
    pub consent_heading: &'static str,
    /// Step 4: the claims' heading.
    pub claims_heading: &'static str,
    /// Step 4: the claims' explanation.
    pub claims_intro: &'static str,
    /// A table's "claim" column.
    pub claim_column: &'static str,
    /// A table's "value" column.
    pub value_column: &'static str,
    /// Step 4: the raw attributes' heading.
    pub attributes_heading: &'static str,
    /// Step 4: the raw attributes' explanation.
    pub attributes_intro: &'static str,
    /// The attribute column.
    pub attribute_column: &'static str,
    /// The Latin-script column.
    pub latin_column: &'static str,
    /// The original-script column.
    pub original_column: &'static str,
    /// Step 4: the typed person's heading.
    pub person_heading: &'static str,
    /// The country.
    pub country: &'static str,
    /// The level of assurance.
    pub loa: &'static str,
    /// The proxy service that answered.
    pub issuer: &'static str,
    /// Step 4: "Continue to" (the service name follows).
    pub continue_to: &'static str,
    /// Step 4: cancel.
    pub cancel: &'static str,
    /// Step 5: the heading.
    pub signed_in_heading: &'static str,
    /// Step 5: before the name.
    pub welcome: &'static str,
    /// Step 5: what a real hub would do now.
    pub signed_in_note: &'static str,
    /// Step 5: sign out.
    pub sign_out: &'static str,
    /// The failure page's heading.
    pub failure_heading: &'static str,
    /// "The OIDC error sent to the service:".
    pub failure_oidc: &'static str,
    /// The SAML status' heading.
    pub failure_saml: &'static str,
    /// Start again.
    pub start_again: &'static str,
    /// The error page's heading.
    pub error_heading: &'static str,
    /// "Code:".
    pub code: &'static str,
    /// "Reference for support:".
    pub reference: &'static str,
    /// The connector did not answer.
    pub error_unreachable: &'static str,
    /// The connector refused the call.
    pub error_refused: &'static str,
    /// The callback's state is not this browser's (login CSRF).
    pub error_state: &'static str,
    /// No session, or it expired.
    pub error_session: &'static str,
    /// A form or query the hub does not understand.
    pub error_bad_request: &'static str,
    /// Too many sessions at once.
    pub error_busy: &'static str,
    /// `user_cancelled`.
    pub fail_user_cancelled: &'static str,
    /// `authentication_failed`.
    pub fail_authentication_failed: &'static str,
    /// `loa_not_met`.
    pub fail_loa_not_met: &'static str,
    /// `attributes_missing`.
    pub fail_attributes_missing: &'static str,
    /// `invalid_response`.
    pub fail_invalid_response: &'static str,
    /// `expired`.
    pub fail_expired: &'static str,
    /// `technical_error` and any code this demo does not know.
    pub fail_technical_error: &'static str,
}

impl Texts {
    /// The message for a failure `code` of the consume API (DESIGN §2.1).
    pub fn failure_message(&self, code: &str) -> &'static str {
        match code {
            "user_cancelled" => self.fail_user_cancelled,
            "authentication_failed" => self.fail_authentication_failed,
            "loa_not_met" => self.fail_loa_not_met,
            "attributes_missing" => self.fail_attributes_missing,
            "invalid_response" => self.fail_invalid_response,
            "expired" => self.fail_expired,
            _ => self.fail_technical_error,
        }
    }

    /// The name of a level of assurance (`substantial`, `high`); other values as they are.
    pub fn loa_name<'a>(&self, loa: &'a str) -> &'a str {
        match loa {
            "substantial" => self.loa_substantial,
            "high" => self.loa_high,
            other => other,
        }
    }
}

const FR: Texts = Texts {
    demo_banner: "Démonstration : ce site imite le hub FranceConnect+ et un service public. \
                  Ce n'est ni FranceConnect ni un vrai service.",
    language: "Langue",
    login_heading: "Connexion à",
    login_intro: "Pour accéder à votre espace, identifiez-vous.",
    franceconnect_button: "S'identifier avec FranceConnect",
    franceconnect_note: "Indisponible dans cette démonstration : seul le parcours européen (eIDAS) est simulé.",
    eidas_button: "Se connecter avec une identité numérique d'un autre pays européen",
    options_legend: "Options de la démonstration",
    country_label: "Pays de votre identité numérique",
    country_at_connector: "Choisir sur la page suivante",
    country_unavailable: "indisponible",
    countries_unknown: "La liste des pays n'a pas pu être lue : le pays sera choisi sur la page suivante.",
    loa_label: "Niveau de garantie demandé",
    loa_substantial: "substantiel",
    loa_high: "élevé",
    consent_heading: "Vous allez vous connecter en tant que",
    claims_heading: "Données transmises au service",
    claims_intro: "Les informations (claims OIDC) que le hub enverrait au service.",
    claim_column: "Donnée",
    value_column: "Valeur",
    attributes_heading: "Attributs eIDAS reçus de votre pays",
    attributes_intro: "Les valeurs brutes, en alphabet latin et dans l'écriture d'origine lorsque votre pays l'envoie.",
    attribute_column: "Attribut",
    latin_column: "Alphabet latin",
    original_column: "Écriture d'origine",
    person_heading: "Identité lue par le connecteur",
    country: "Pays",
    loa: "Niveau de garantie",
    issuer: "Service d'identification",
    continue_to: "Continuer vers",
    cancel: "Annuler",
    signed_in_heading: "Vous êtes connecté(e)",
    welcome: "Bienvenue,",
    signed_in_note: "Dans un vrai parcours, le hub enverrait maintenant au service un code d'autorisation OIDC, \
                     et l'identifiant (sub) du service serait calculé à partir de sub_source.",
    sign_out: "Se déconnecter",
    failure_heading: "La connexion n'a pas abouti",
    failure_oidc: "Erreur OIDC que le hub enverrait au service :",
    failure_saml: "Réponse de votre pays",
    start_again: "Recommencer",
    error_heading: "Une erreur est survenue",
    code: "Code :",
    reference: "Référence à communiquer au support :",
    error_unreachable: "Le connecteur eIDAS ne répond pas. Veuillez réessayer dans quelques minutes.",
    error_refused: "Le connecteur eIDAS a refusé la demande.",
    error_state: "Cette réponse ne correspond pas à une connexion commencée dans ce navigateur : elle est refusée.",
    error_session: "Votre session a expiré ou n'existe pas. Veuillez recommencer.",
    error_bad_request: "La demande est incomplète ou invalide.",
    error_busy: "Trop de connexions sont en cours. Veuillez réessayer dans quelques minutes.",
    fail_user_cancelled: "Vous avez annulé la connexion auprès de votre pays.",
    fail_authentication_failed: "Votre authentification auprès de votre pays a échoué.",
    fail_loa_not_met: "Le niveau de garantie de votre identité numérique est insuffisant pour ce service.",
    fail_attributes_missing: "Votre pays n'a pas transmis toutes les données d'identité nécessaires.",
    fail_invalid_response: "La réponse de votre pays n'a pas pu être vérifiée.",
    fail_expired: "Le délai de connexion est dépassé.",
    fail_technical_error: "Une erreur technique est survenue pendant la connexion.",
};

const EN: Texts = Texts {
    demo_banner: "Demonstration: this site imitates the FranceConnect+ hub and a public service. \
                  It is neither FranceConnect nor a real service.",
    language: "Language",
    login_heading: "Sign in to",
    login_intro: "To access your account, please identify yourself.",
    franceconnect_button: "Sign in with FranceConnect",
    franceconnect_note: "Not available in this demonstration: only the European (eIDAS) journey is simulated.",
    eidas_button: "Sign in with a digital identity from another European country",
    options_legend: "Demonstration options",
    country_label: "Country of your digital identity",
    country_at_connector: "Choose on the next page",
    country_unavailable: "unavailable",
    countries_unknown: "The list of countries could not be read: you will choose your country on the next page.",
    loa_label: "Level of assurance asked",
    loa_substantial: "substantial",
    loa_high: "high",
    consent_heading: "You are about to sign in as",
    claims_heading: "Data sent to the service",
    claims_intro: "The information (OIDC claims) the hub would send to the service.",
    claim_column: "Data",
    value_column: "Value",
    attributes_heading: "eIDAS attributes received from your country",
    attributes_intro: "The raw values, in Latin script and in the original script when your country sends it.",
    attribute_column: "Attribute",
    latin_column: "Latin script",
    original_column: "Original script",
    person_heading: "Identity as read by the connector",
    country: "Country",
    loa: "Level of assurance",
    issuer: "Identification service",
    continue_to: "Continue to",
    cancel: "Cancel",
    signed_in_heading: "You are signed in",
    welcome: "Welcome,",
    signed_in_note: "In a real journey, the hub would now send the service an OIDC authorization code, and the \
                     service's identifier (sub) would be computed from sub_source.",
    sign_out: "Sign out",
    failure_heading: "Sign-in did not complete",
    failure_oidc: "OIDC error the hub would send to the service:",
    failure_saml: "Your country's answer",
    start_again: "Start again",
    error_heading: "Something went wrong",
    code: "Code:",
    reference: "Reference for support:",
    error_unreachable: "The eIDAS connector does not answer. Please try again in a few minutes.",
    error_refused: "The eIDAS connector refused the request.",
    error_state: "This answer does not belong to a sign-in started in this browser: it is refused.",
    error_session: "Your session has expired or does not exist. Please start again.",
    error_bad_request: "The request is incomplete or invalid.",
    error_busy: "Too many sign-ins are in progress. Please try again in a few minutes.",
    fail_user_cancelled: "You cancelled the sign-in with your country.",
    fail_authentication_failed: "Your authentication with your country failed.",
    fail_loa_not_met: "The level of assurance of your digital identity is too low for this service.",
    fail_attributes_missing: "Your country did not send all the identity data required.",
    fail_invalid_response: "Your country's answer could not be verified.",
    fail_expired: "The sign-in took too long.",
    fail_technical_error: "A technical error occurred during the sign-in.",
};

/// The label of an OIDC claim in `lang` (the claim name itself is shown beside it).
pub fn claim_label(lang: Lang, claim: &str) -> &'static str {
    let (fr, en) = match claim {
        "given_name" => ("Prénom(s)", "Given name(s)"),
        "family_name" => ("Nom de famille", "Family name"),
        "birthdate" => ("Date de naissance", "Date of birth"),
        "gender" => ("Sexe", "Gender"),
        "birthplace" => ("Lieu de naissance", "Place of birth"),
        "preferred_username" => ("Nom d'usage", "Preferred name"),
        "sub_source" => ("Identifiant eIDAS (source du sub)", "eIDAS identifier (source of sub)"),
        "acr" => ("Niveau d'authentification (acr)", "Authentication level (acr)"),
        "amr" => ("Méthode d'authentification (amr)", "Authentication method (amr)"),
        _ => ("", ""),
    };
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_then_the_session_then_the_browser_then_french() {
        assert_eq!(Lang::choose(Some("en"), Some(Lang::Fr), Some("fr")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), Some(Lang::En), Some("fr")), Lang::En);
        assert_eq!(Lang::choose(None, None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, None, Some("de-DE")), Lang::Fr);
        assert_eq!(Lang::choose(None, None, None), Lang::Fr);
    }

    #[test]
    fn every_failure_code_has_its_own_message_and_unknown_ones_are_technical() {
        let t = Lang::Fr.texts();
        let codes = [
            "user_cancelled",
            "authentication_failed",
            "loa_not_met",
            "attributes_missing",
            "invalid_response",
            "expired",
        ];
        let messages: std::collections::HashSet<&str> = codes.iter().map(|c| t.failure_message(c)).collect();
        assert_eq!(messages.len(), codes.len());
        assert!(!messages.contains(t.fail_technical_error));
        assert_eq!(t.failure_message("something_new"), t.fail_technical_error);
        assert!(t.failure_message("user_cancelled").starts_with("Vous avez annulé"));
        assert!(Lang::En.texts().failure_message("loa_not_met").contains("level of assurance"));
    }
}
