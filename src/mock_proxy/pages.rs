//! The mock proxy service's pages, in French and English, rendered server-side by askama
//! (templates in `src/ui/templates/mock_proxy/`, escaping on): the login page, the refusal
//! page, the auto-submit form to the connector's ACS, and an index. Every page carries the
//! TEST banner and uses only its own nonce-bearing style and script (no third-party request).
//!
//! Views only: what to show is decided by the handlers.

use askama::Template;

use super::identities::{Unavailable, IDENTITIES};
use super::pending::Pending;
use crate::saml::attributes::{self, PersonKind};
use crate::saml::LevelOfAssurance;

/// The words of the pages in one language.
#[derive(Debug)]
pub(crate) struct Strings {
    login_title: &'static str,
    switch_label: &'static str,
    switch_lang: &'static str,
    requested_by: &'static str,
    requested_loa: &'static str,
    requested_attributes: &'static str,
    required: &'static str,
    identity_legend: &'static str,
    loa_label: &'static str,
    loa_help: &'static str,
    loa_names: [&'static str; 3],
    requested_marker: &'static str,
    sign_in: &'static str,
    cancel: &'static str,
    refuse_consent: &'static str,
    buttons_help: &'static str,
    not_asked_natural: &'static str,
    not_asked_legal: &'static str,
    missing_required: (&'static str, &'static str),
    refused_title: &'static str,
    refused_intro: &'static str,
    return_title: &'static str,
    return_text: &'static str,
    continue_: &'static str,
    index_title: &'static str,
    index_intro: &'static str,
    index_metadata: &'static str,
    index_sso: &'static str,
}

const EN: Strings = Strings {
    login_title: "sign in",
    switch_label: "Français",
    switch_lang: "fr",
    requested_by: "Authentication requested by",
    requested_loa: "Level of assurance requested:",
    requested_attributes: "Attributes requested:",
    required: "required",
    identity_legend: "Test identity",
    loa_label: "Level of assurance to assert",
    loa_help: "A level below the one requested (or one this proxy does not publish) must make the connector refuse the Response.",
    loa_names: ["low", "substantial", "high"],
    requested_marker: " (requested)",
    sign_in: "Sign in",
    cancel: "Cancel",
    refuse_consent: "Refuse consent",
    buttons_help: "Cancel and Refuse consent answer Responder / RequestDenied, with the eIDAS-Node's messages \"Citizen consent not given.\" and \"Consent not given for a mandatory attribute.\".",
    not_asked_natural: "Not available: the request asks no natural-person attribute.",
    not_asked_legal: "Not available: the request asks no legal-person attribute.",
    missing_required: ("Not available: the request requires ", ", which this identity does not have."),
    refused_title: "AuthnRequest refused",
    refused_intro: "This test proxy service refused the request. What is wrong, for the developer:",
    return_title: "Back to the connector",
    return_text: "You are being sent back to the connector.",
    continue_: "Continue",
    index_title: "mock proxy service",
    index_intro: "A test double of a foreign eIDAS proxy service: it authenticates nobody and answers with fixed test identities.",
    index_metadata: "Its signed metadata",
    index_sso: "Its SSO endpoint (HTTP-POST binding):",
};

const FR: Strings = Strings {
    login_title: "connexion",
    switch_label: "English",
    switch_lang: "en",
    requested_by: "Authentification demandée par",
    requested_loa: "Niveau de garantie demandé :",
    requested_attributes: "Attributs demandés :",
    required: "obligatoire",
    identity_legend: "Identité de test",
    loa_label: "Niveau de garantie à affirmer",
    loa_help: "Un niveau inférieur à celui demandé (ou que ce service ne publie pas) doit faire refuser la réponse par le connecteur.",
    loa_names: ["faible", "substantiel", "élevé"],
    requested_marker: " (demandé)",
    sign_in: "Se connecter",
    cancel: "Annuler",
    refuse_consent: "Refuser le consentement",
    buttons_help: "Annuler et Refuser le consentement répondent Responder / RequestDenied, avec les messages du nœud eIDAS « Citizen consent not given. » et « Consent not given for a mandatory attribute. ».",
    not_asked_natural: "Indisponible : la demande ne porte sur aucun attribut de personne physique.",
    not_asked_legal: "Indisponible : la demande ne porte sur aucun attribut de personne morale.",
    missing_required: ("Indisponible : la demande exige ", ", que cette identité n'a pas."),
    refused_title: "AuthnRequest refusée",
    refused_intro: "Ce service mandataire de test a refusé la demande. Le problème, pour le développeur :",
    return_title: "Retour au connecteur",
    return_text: "Vous êtes renvoyé vers le connecteur.",
    continue_: "Continuer",
    index_title: "service mandataire simulé",
    index_intro: "Un double de test d'un service mandataire eIDAS étranger : il n'authentifie personne et répond avec des identités de test fixes.",
    index_metadata: "Ses métadonnées signées",
    index_sso: "Son point SSO (liaison HTTP-POST) :",
};

/// The strings of `lang` (`fr` or `en`).
pub(crate) fn strings(lang: &str) -> &'static Strings {
    if lang == "en" {
        &EN
    } else {
        &FR
    }
}

struct RequestedView {
    friendly: String,
    required: bool,
}

struct IdentityView {
    key: &'static str,
    name: &'static str,
    summary: &'static str,
    checked: bool,
    disabled: bool,
    why: String,
}

struct LoaView {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "mock_proxy/login.html")]
struct LoginPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    display_name: &'a str,
    t: &'a Strings,
    switch_href: String,
    switch_lang: &'a str,
    pending: &'a str,
    requester: &'a str,
    connector: &'a str,
    requested_loa: &'a str,
    requested: Vec<RequestedView>,
    identities: Vec<IdentityView>,
    any_available: bool,
    loas: Vec<LoaView>,
}

#[derive(Template)]
#[template(path = "mock_proxy/refused.html")]
struct RefusedPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    display_name: &'a str,
    t: &'a Strings,
    code: &'a str,
    detail: &'a str,
}

#[derive(Template)]
#[template(path = "mock_proxy/autosubmit.html")]
struct AutoSubmitPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    display_name: &'a str,
    t: &'a Strings,
    action: &'a str,
    saml_response: &'a str,
    relay_state: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "mock_proxy/index.html")]
struct IndexPage<'a> {
    lang: &'a str,
    nonce: &'a str,
    display_name: &'a str,
    t: &'a Strings,
    entity_id: &'a str,
    sso_url: &'a str,
}

const LEVELS: [LevelOfAssurance; 3] = [LevelOfAssurance::Low, LevelOfAssurance::Substantial, LevelOfAssurance::High];

fn level_name(t: &Strings, loa: LevelOfAssurance) -> &'static str {
    let [low, substantial, high] = t.loa_names;
    match loa {
        LevelOfAssurance::Low => low,
        LevelOfAssurance::Substantial => substantial,
        LevelOfAssurance::High => high,
    }
}

fn unavailable_text(t: &Strings, why: &Unavailable) -> String {
    match why {
        Unavailable::NotAsked(PersonKind::Natural) => t.not_asked_natural.to_owned(),
        Unavailable::NotAsked(PersonKind::Legal) => t.not_asked_legal.to_owned(),
        Unavailable::MissingRequired(friendly) => format!("{}{friendly}{}", t.missing_required.0, t.missing_required.1),
    }
}

/// The login page of the request `pending_id`: the identities (those that cannot answer it
/// disabled, with the reason; the first one that can, checked), the LoA (the requested one
/// selected) and the three answers.
pub(crate) fn render_login(lang: &str, nonce: &str, display_name: &str, pending_id: &str, pending: &Pending) -> String {
    let t = strings(lang);
    let request = &pending.request;
    let requested = request
        .requested
        .iter()
        .map(|r| RequestedView {
            friendly: attributes::by_name(&r.name).map_or_else(|| r.name.clone(), |d| d.friendly_name.to_owned()),
            required: r.required,
        })
        .collect();
    let mut first = true;
    let identities: Vec<IdentityView> = IDENTITIES
        .iter()
        .map(|i| {
            let availability = i.availability(request);
            let checked = first && availability.is_ok();
            first &= !checked;
            IdentityView {
                key: i.key,
                name: i.name,
                summary: if lang == "en" { i.summary_en } else { i.summary_fr },
                checked,
                disabled: availability.is_err(),
                why: availability.err().map(|w| unavailable_text(t, &w)).unwrap_or_default(),
            }
        })
        .collect();
    let any_available = identities.iter().any(|i| !i.disabled);
    let loas = LEVELS
        .iter()
        .map(|l| {
            let selected = *l == request.level_of_assurance;
            let marker = if selected { t.requested_marker } else { "" };
            LoaView { value: l.to_string(), label: format!("{}{marker}", level_name(t, *l)), selected }
        })
        .collect();
    let mut switch_href = String::from("/sso/login?");
    switch_href.push_str(
        &url::form_urlencoded::Serializer::new(String::new())
            .append_pair("pending", pending_id)
            .append_pair("lang", t.switch_lang)
            .finish(),
    );
    LoginPage {
        lang,
        nonce,
        display_name,
        t,
        switch_href,
        switch_lang: t.switch_lang,
        pending: pending_id,
        requester: request.provider_name.as_deref().unwrap_or(&pending.connector.entity_id),
        connector: &pending.connector.entity_id,
        requested_loa: level_name(t, request.level_of_assurance),
        requested,
        identities,
        any_available,
        loas,
    }
    .render()
    .unwrap_or_default()
}

/// The page of a refused request: its code and the detail (a developer's tool: details help).
pub(crate) fn render_refused(lang: &str, nonce: &str, display_name: &str, code: &str, detail: &str) -> String {
    RefusedPage { lang, nonce, display_name, t: strings(lang), code, detail }.render().unwrap_or_default()
}

/// The HTTP-POST binding form to the connector's ACS (every value escaped).
pub(crate) fn render_auto_submit(
    lang: &str,
    nonce: &str,
    display_name: &str,
    action: &str,
    saml_response: &str,
    relay_state: Option<&str>,
) -> String {
    AutoSubmitPage { lang, nonce, display_name, t: strings(lang), action, saml_response, relay_state }
        .render()
        .unwrap_or_default()
}

/// The index page: what this is, where its metadata and SSO endpoint are.
pub(crate) fn render_index(lang: &str, nonce: &str, display_name: &str, entity_id: &str, sso_url: &str) -> String {
    IndexPage { lang, nonce, display_name, t: strings(lang), entity_id, sso_url }.render().unwrap_or_default()
}
