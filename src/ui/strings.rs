//! The words of the pages, in French and English. Plain text: askama escapes them. Nothing here
//! may name an internal detail (a SAML status, an error code, a host). French punctuation
//! keeps its no-break space (`\u{a0}`) before `:` and inside `« »`.

/// The words of the pages in one language.
#[derive(Debug, Clone, Copy)]
pub struct Strings {
    /// The service's name in the header and the titles.
    pub service_name: &'static str,
    /// The line under the service's name.
    pub service_tagline: &'static str,
    /// The skip links' navigation label.
    pub skiplinks: &'static str,
    /// Skip link to the main content.
    pub skip_to_content: &'static str,
    /// Skip link to the footer.
    pub skip_to_footer: &'static str,
    /// What the footer says the service is.
    pub footer_text: &'static str,
    /// Added to the title of a link that opens a new window.
    pub new_window: &'static str,
    /// The language switch's navigation label.
    pub language: &'static str,
    /// Country page title.
    pub title: &'static str,
    /// Country page explanation.
    pub intro: &'static str,
    /// Country list legend.
    pub legend: &'static str,
    /// The filter's label.
    pub filter_label: &'static str,
    /// The filter's hint.
    pub filter_hint: &'static str,
    /// Announced when the filter hides every country.
    pub filter_none: &'static str,
    /// Announced after filtering when one country is shown.
    pub filter_count_one: &'static str,
    /// Announced after filtering; `{n}` is the number of countries shown.
    pub filter_count: &'static str,
    /// The badge of an unavailable country.
    pub unavailable: &'static str,
    /// Why a country is unavailable: its metadata expired.
    pub reason_expired: &'static str,
    /// … its metadata server does not answer.
    pub reason_fetch_failed: &'static str,
    /// … its metadata was refused.
    pub reason_invalid: &'static str,
    /// … its metadata was never loaded yet.
    pub reason_not_loaded: &'static str,
    /// … any other reason.
    pub reason_other: &'static str,
    /// Shown when no country can be chosen now.
    pub none_available: &'static str,
    /// Shown when the form came back without a usable country.
    pub choose_error: &'static str,
    /// Back to the service.
    pub back: &'static str,
    /// Auto-submit page title.
    pub redirect_title: &'static str,
    /// Auto-submit page text.
    pub redirect_text: &'static str,
    /// Auto-submit page text without JavaScript.
    pub redirect_noscript: &'static str,
    /// The button that submits a form.
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
    service_name: "FranceConnect — identité européenne",
    service_tagline: "Connexion avec l'identité numérique d'un autre pays européen",
    skiplinks: "Accès rapide",
    skip_to_content: "Contenu",
    skip_to_footer: "Pied de page",
    footer_text: "Ce service permet aux citoyens des pays européens de se connecter aux services publics \
                  français avec l'identité numérique de leur pays (règlement européen eIDAS).",
    new_window: "nouvelle fenêtre",
    language: "Langue",
    title: "Choisissez votre pays",
    intro: "Connectez-vous avec l'identité numérique de votre pays européen. Choisissez le pays qui a \
            délivré votre identité numérique\u{a0}: vous serez redirigé vers son service d'identification.",
    legend: "Pays qui a délivré votre identité numérique",
    filter_label: "Rechercher un pays",
    filter_hint: "Saisissez le nom du pays, en français ou en anglais.",
    filter_none: "Aucun pays ne correspond à votre recherche.",
    filter_count_one: "1 pays affiché.",
    filter_count: "{n} pays affichés.",
    unavailable: "Indisponible",
    reason_expired: "Indisponible pour le moment\u{a0}: les informations de sécurité de ce pays ne sont plus à jour.",
    reason_fetch_failed: "Indisponible pour le moment\u{a0}: le service d'identification de ce pays ne répond pas.",
    reason_invalid: "Indisponible pour le moment\u{a0}: les informations reçues du service d'identification de ce \
                     pays ne sont pas valides.",
    reason_not_loaded: "Pas encore disponible\u{a0}: le service d'identification de ce pays n'a pas encore pu être \
                        contacté.",
    reason_other: "Indisponible pour le moment.",
    none_available: "Aucun pays n'est disponible pour le moment. Veuillez réessayer dans quelques minutes ou \
                     revenir au service.",
    choose_error: "Choisissez un pays disponible pour continuer.",
    back: "Retour au service",
    redirect_title: "Redirection vers votre pays…",
    redirect_text: "Vous allez être redirigé vers le service d'identification de votre pays.",
    redirect_noscript:
        "Cliquez sur «\u{a0}Continuer\u{a0}» pour poursuivre vers le service d'identification de votre pays.",
    continue_: "Continuer",
    error_title: "Une erreur est survenue",
    error_reference: "Référence à communiquer au support\u{a0}:",
    error_generic: "Nous ne pouvons pas poursuivre votre connexion. Veuillez recommencer depuis le service.",
    error_expired: "Ce lien n'est plus valide. Veuillez recommencer depuis le service.",
    error_unavailable: "Le service est momentanément indisponible. Veuillez réessayer dans quelques minutes.",
};

const EN: Strings = Strings {
    service_name: "FranceConnect — European identity",
    service_tagline: "Sign in with the digital identity of another European country",
    skiplinks: "Quick access",
    skip_to_content: "Content",
    skip_to_footer: "Footer",
    footer_text: "This service lets citizens of European countries sign in to French public services with \
                  their country's digital identity (EU eIDAS regulation).",
    new_window: "new window",
    language: "Language",
    title: "Choose your country",
    intro: "Sign in with the digital identity of your European country. Choose the country that issued your \
            digital identity: you will be redirected to its identification service.",
    legend: "Country that issued your digital identity",
    filter_label: "Search for a country",
    filter_hint: "Type the country's name, in English or in French.",
    filter_none: "No country matches your search.",
    filter_count_one: "1 country shown.",
    filter_count: "{n} countries shown.",
    unavailable: "Unavailable",
    reason_expired: "Unavailable at the moment: this country's security information is out of date.",
    reason_fetch_failed: "Unavailable at the moment: this country's identification service does not answer.",
    reason_invalid: "Unavailable at the moment: the information received from this country's identification \
                     service is not valid.",
    reason_not_loaded: "Not available yet: this country's identification service could not be reached yet.",
    reason_other: "Unavailable at the moment.",
    none_available: "No country is available at the moment. Please try again in a few minutes or go back to \
                     the service.",
    choose_error: "Choose an available country to continue.",
    back: "Back to the service",
    redirect_title: "Redirecting to your country…",
    redirect_text: "You are being redirected to your country's identification service.",
    redirect_noscript: "Select \"Continue\" to go on to your country's identification service.",
    continue_: "Continue",
    error_title: "Something went wrong",
    error_reference: "Reference for support:",
    error_generic: "We cannot continue your sign-in. Please start again from the service.",
    error_expired: "This link is no longer valid. Please start again from the service.",
    error_unavailable: "The service is temporarily unavailable. Please try again in a few minutes.",
};

/// The strings of `lang` (`fr` or `en`; anything else is French).
pub fn strings(lang: &str) -> &'static Strings {
    if lang == "en" {
        &EN
    } else {
        &FR
    }
}

impl Strings {
    /// The sentence explaining `reason` (a peer's `metadata_*` reason code).
    pub fn reason(&self, reason: Option<&str>) -> &'static str {
        match reason {
            Some(crate::peers::REASON_EXPIRED) => self.reason_expired,
            Some(crate::peers::REASON_FETCH_FAILED) => self.reason_fetch_failed,
            Some(crate::peers::REASON_INVALID) => self.reason_invalid,
            Some(crate::peers::REASON_NOT_LOADED) => self.reason_not_loaded,
            _ => self.reason_other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_code_has_its_own_sentence_in_both_languages() {
        let codes = ["metadata_expired", "metadata_fetch_failed", "metadata_invalid", "metadata_not_loaded"];
        for t in [&FR, &EN] {
            let sentences: Vec<&str> = codes.iter().map(|c| t.reason(Some(c))).collect();
            for (i, s) in sentences.iter().enumerate() {
                assert_ne!(*s, t.reason_other, "{}", codes[i]);
                assert!(sentences.iter().filter(|o| *o == s).count() == 1, "{s}");
            }
            assert_eq!(t.reason(Some("something_else")), t.reason_other);
            assert_eq!(t.reason(None), t.reason_other);
        }
        assert!(strings("fr").reason(Some("metadata_fetch_failed")).contains("ne répond pas"));
        assert!(strings("en").reason(Some("metadata_fetch_failed")).contains("does not answer"));
    }
}
