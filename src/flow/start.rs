//! Starting: the hub's `POST /api/v1/authn-requests`, the country list, and the browser's
//! `/eidas/start/{handle}` (country page, then the signed AuthnRequest in an auto-submit form).

use std::sync::Arc;

use super::record::{RequestRecord, RequestStatus};
use super::types::{CountriesBody, CountryBody, StartRequest, Started};
use super::{blocking, new_handle, sha256_hex, Flow, FlowError};
use crate::peers::PeerSnapshot;
use crate::saml::attributes::{by_friendly_name, by_name, PersonKind};
use crate::saml::authn_request::{
    build_authn_request, new_request_id, resolve_requested_attributes, AuthnRequestError, AuthnRequestParams,
    ProxyCapabilities, RequestedAttribute,
};
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat, SpType};
use crate::store::Kind;
use crate::ui::countries::country_name;
use crate::xmlsec::dom::is_xml_text;

/// Longest `state`, `correlation_id`, `ui_locales` and `return_url` we keep.
const MAX_STATE_CHARS: usize = 2048;
const MAX_CORRELATION_CHARS: usize = 256;
const MAX_URL_CHARS: usize = 2048;

/// A country as offered on the country page.
#[derive(Debug, Clone)]
pub struct CountryChoice {
    /// The code.
    pub code: CountryCode,
    /// Its name in the page's language.
    pub name: String,
    /// Selectable now.
    pub available: bool,
    /// Why not.
    pub reason: Option<&'static str>,
}

/// What `GET /eidas/start/{handle}` shows.
#[derive(Debug, Clone)]
pub enum BrowserStart {
    /// No country yet: the country page.
    CountryPage {
        /// The request, for logs.
        request_id: String,
        /// Every configured country.
        countries: Vec<CountryChoice>,
        /// `fr` or `en`.
        locale: &'static str,
        /// The hub's `return_url`, where "back" sends the browser (a 303 after the page's
        /// POST: the page's CSP `form-action` must allow its origin).
        return_url: String,
    },
    /// The auto-submit form to the proxy service.
    AutoSubmit {
        /// The request, for logs.
        request_id: String,
        /// The proxy service's SSO URL (HTTP-POST).
        action: String,
        /// The signed AuthnRequest, base64.
        saml_request: String,
        /// `RelayState`.
        relay_state: String,
        /// The binding cookie to set: name and value.
        cookie: (String, String),
        /// `fr` or `en`.
        locale: &'static str,
    },
}

/// The page language the citizen chose with the page's language switch (`?lang=`), when it is
/// one we have.
pub fn parse_locale(lang: Option<&str>) -> Option<&'static str> {
    match lang? {
        "fr" => Some("fr"),
        "en" => Some("en"),
        _ => None,
    }
}

/// The page language: the citizen's choice on the page (`lang`), then the first of
/// `ui_locales`, then of `Accept-Language`, that we have; French by default.
pub fn choose_page_locale(lang: Option<&str>, ui_locales: Option<&str>, accept_language: Option<&str>) -> &'static str {
    parse_locale(lang).unwrap_or_else(|| choose_locale(ui_locales, accept_language))
}

/// The page language: the first of `ui_locales`, then of `Accept-Language`, that we have.
pub fn choose_locale(ui_locales: Option<&str>, accept_language: Option<&str>) -> &'static str {
    let hub = ui_locales.into_iter().flat_map(str::split_whitespace);
    let browser = accept_language.into_iter().flat_map(|h| h.split(',')).map(|t| t.split(';').next().unwrap_or(""));
    for tag in hub.chain(browser) {
        match tag.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("fr") => return "fr",
            Some("en") => return "en",
            _ => {}
        }
    }
    "fr"
}

fn parse_loa(s: &str) -> Result<LevelOfAssurance, FlowError> {
    // franceconnect.md §3b: only substantial and high exist on the FranceConnect+ path.
    match LevelOfAssurance::from_name(s).or_else(|| LevelOfAssurance::from_uri(s)) {
        Some(l) if l >= LevelOfAssurance::Substantial => Ok(l),
        Some(_) => Err(FlowError::LoaNotSupported("low is not accepted".into())),
        None => Err(FlowError::LoaNotSupported(format!("unknown level {s:?}"))),
    }
}

/// `candidate` as the browser will be sent to it, when it is under one of the `allowed`
/// prefixes. The check is made on the parsed URL, the one the 303 uses: a text prefix alone
/// lets `…/hub/../elsewhere` (or `%2e%2e`, or `..\`) through, which the URL parser resolves
/// outside the allowed path.
fn allowed_return_url(candidate: &str, allowed: &[String]) -> Option<String> {
    let url = url::Url::parse(candidate).ok()?;
    // Credentials in a return URL are never legitimate (and would be echoed in the 303).
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    allowed
        .iter()
        .filter_map(|a| url::Url::parse(a).ok())
        .any(|a| a.origin() == url.origin() && under_path(url.path(), a.path()))
        .then(|| url.to_string())
}

/// `path` is `prefix` or below it, segment-wise: an entry `/hub` allows `/hub` and `/hub/cb`,
/// never `/hubx`.
fn under_path(path: &str, prefix: &str) -> bool {
    prefix.ends_with('/') && path.starts_with(prefix)
        || path == prefix
        || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

fn bounded(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, FlowError> {
    match value {
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(FlowError::InvalidRequest(format!("{field} is too long or has control characters")))
        }
        v => Ok(v),
    }
}

/// [`bounded`], for text the AuthnRequest carries: XML 1.0 characters only (U+FFFE and U+FFFF
/// are no control characters, yet no XML parser, ours or the proxy service's, reads them).
fn bounded_xml(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, FlowError> {
    match bounded(field, value, max)? {
        Some(v) if !is_xml_text(&v) => {
            Err(FlowError::InvalidRequest(format!("{field} has characters XML cannot carry")))
        }
        v => Ok(v),
    }
}

/// The attributes asked, as Name URIs, all of one person kind.
fn resolve_attributes(body: &StartRequest) -> Result<Vec<RequestedAttribute>, FlowError> {
    let mut kinds: Option<PersonKind> = None;
    let mut out = Vec::new();
    for a in &body.requested_attributes {
        let def = by_friendly_name(&a.name)
            .or_else(|| by_name(&a.name))
            .ok_or_else(|| FlowError::UnknownAttribute(a.name.clone()))?;
        // eIDAS MF 1.4 §2.3.2: natural and legal person attributes are never asked together.
        if kinds.is_some_and(|k| k != def.kind) {
            return Err(FlowError::MixedPersonKinds);
        }
        kinds = Some(def.kind);
        out.push(RequestedAttribute { name: def.name.to_owned(), required: a.required });
    }
    Ok(out)
}

fn capabilities(snapshot: &PeerSnapshot) -> ProxyCapabilities {
    let m = &snapshot.metadata;
    ProxyCapabilities {
        sso_post_url: m.sso_post_url.clone().unwrap_or_default(),
        supported_attributes: m.supported_attributes.clone(),
        levels_of_assurance: m.levels_of_assurance.clone(),
        requester_id_flag: m.requester_id_flag,
    }
}

fn map_request_error(e: AuthnRequestError) -> FlowError {
    match e {
        AuthnRequestError::UnknownAttribute(n) => FlowError::UnknownAttribute(n),
        AuthnRequestError::MixedPersonKinds => FlowError::MixedPersonKinds,
        AuthnRequestError::AttributeNotSupported(n) => FlowError::AttributeNotSupported(n),
        AuthnRequestError::LoaNotSupported(l) => {
            FlowError::LoaNotSupported(format!("the proxy service does not offer {l}"))
        }
        AuthnRequestError::InvalidValue(v) => FlowError::InvalidRequest(format!("invalid {v}")),
        other => FlowError::Technical(other.code().to_owned()),
    }
}

/// The record of a request the hub starts (`POST /api/v1/authn-requests`): every field of
/// `body` checked, in the order the API reports them, against the `return_urls` allow-list;
/// nothing stored and no peer consulted ([`Flow::start`] then checks the country's proxy
/// service). Public for the fuzz target `api_start`.
#[doc(hidden)]
pub fn check_start_request(
    body: StartRequest,
    return_urls: &[String],
    default_sp_type: SpType,
    now: time::OffsetDateTime,
    ttl: time::Duration,
) -> Result<RequestRecord, FlowError> {
    let level_of_assurance = parse_loa(&body.level_of_assurance)?;
    let requested_attributes = resolve_attributes(&body)?;
    if body.return_url.chars().count() > MAX_URL_CHARS {
        return Err(FlowError::ReturnUrlNotAllowed);
    }
    let return_url = allowed_return_url(&body.return_url, return_urls).ok_or(FlowError::ReturnUrlNotAllowed)?;
    let sp_type = match body.sp_type.as_deref() {
        None => default_sp_type,
        Some("public") => SpType::Public,
        Some("private") => SpType::Private,
        Some(other) => return Err(FlowError::InvalidRequest(format!("sp_type {other:?}: public or private"))),
    };
    let name_id_format = match body.name_id_format.as_deref() {
        None | Some("persistent") => NameIdFormat::Persistent,
        Some("transient") => NameIdFormat::Transient,
        Some("unspecified") => NameIdFormat::Unspecified,
        Some(other) => return Err(FlowError::InvalidRequest(format!("name_id_format {other:?}"))),
    };
    let citizen_country = match body.citizen_country.as_deref() {
        None | Some("") => None,
        Some(c) => Some(CountryCode::parse(c).ok_or_else(|| FlowError::CountryUnknown(c.to_owned()))?),
    };
    Ok(RequestRecord {
        request_id: new_handle()?,
        created_at: now,
        expires_at: now + ttl,
        status: RequestStatus::Pending,
        start_handle: new_handle()?,
        citizen_country,
        level_of_assurance,
        requested_attributes,
        sp_type,
        requester_id: bounded_xml("requester_id", body.requester_id, 1024)?,
        provider_name: bounded_xml("provider_name", body.provider_name, 128)?,
        name_id_format,
        return_url,
        state: bounded("state", body.state, MAX_STATE_CHARS)?,
        correlation_id: bounded("correlation_id", body.correlation_id, MAX_CORRELATION_CHARS)?,
        ui_locales: bounded("ui_locales", body.ui_locales, 64)?,
        saml_request_id: None,
        proxy_entity_id: None,
        binding_hash: None,
        outcome: None,
    })
}

impl Flow {
    /// The verified, valid metadata of `code`, or why not.
    pub(super) fn available_peer(&self, code: CountryCode) -> Result<Arc<PeerSnapshot>, FlowError> {
        if !self.peers.is_configured(code) {
            return Err(FlowError::CountryUnknown(code.to_string()));
        }
        self.peers.snapshot(code).map_err(|u| FlowError::CountryUnavailable { country: code, reason: u.reason })
    }

    /// Checks that `record`'s LoA and attributes can be asked of `snapshot`'s proxy service.
    fn check_against_peer(record: &RequestRecord, snapshot: &PeerSnapshot) -> Result<(), FlowError> {
        let caps = capabilities(snapshot);
        // eIDAS-Node 000009: refuse to send what the proxy cannot satisfy.
        if !caps.levels_of_assurance.is_empty()
            && !caps.levels_of_assurance.iter().any(|l| *l >= record.level_of_assurance)
        {
            return Err(FlowError::LoaNotSupported(format!(
                "{} does not offer {}",
                snapshot.code, record.level_of_assurance
            )));
        }
        resolve_requested_attributes(&record.requested_attributes, &caps).map(|_| ()).map_err(map_request_error)
    }

    /// `POST /api/v1/authn-requests`.
    pub async fn start(&self, body: StartRequest) -> Result<Started, FlowError> {
        let config = self.config.current();
        let (return_urls, sp_type) = (&config.settings.api.return_urls, config.settings.connector.sp_type);
        let record = check_start_request(body, return_urls, sp_type, self.now(), self.ttls.request)?;
        let (citizen_country, level_of_assurance) = (record.citizen_country, record.level_of_assurance);
        if let Some(code) = citizen_country {
            let snapshot = self.available_peer(code)?;
            Self::check_against_peer(&record, &snapshot)?;
        }
        self.save_record(&record).await?;
        self.store
            .put(Kind::StartHandle, &record.start_handle, record.request_id.as_bytes(), Self::ttl(self.ttls.request))
            .await?;
        self.metrics.request_started(citizen_country);
        tracing::info!(
            target: "audit",
            event = "request_created",
            request_id = %record.request_id,
            correlation_id = record.correlation_id.as_deref().unwrap_or(""),
            country = citizen_country.map(|c| c.to_string()).unwrap_or_default(),
            loa = %level_of_assurance,
        );
        Ok(Started {
            browser_redirect_url: format!("{}/eidas/start/{}", self.public_base_url, record.start_handle),
            request_id: record.request_id,
            expires_at: record.expires_at,
        })
    }

    /// `GET /api/v1/countries`.
    pub fn countries(&self, lang: &str) -> CountriesBody {
        let countries = self
            .peers
            .statuses()
            .into_iter()
            .map(|s| CountryBody {
                code: s.code.to_string(),
                name: country_name(s.code, lang),
                available: s.available,
                reason: s.reason.map(str::to_owned),
                levels_of_assurance: s.levels_of_assurance.iter().map(|l| l.to_string()).collect(),
                metadata_valid_until: s.valid_until,
            })
            .collect();
        CountriesBody { countries }
    }

    /// The pending request behind a browser start handle.
    async fn record_by_start_handle(&self, handle: &str) -> Result<RequestRecord, FlowError> {
        if !super::is_handle(handle) {
            return Err(FlowError::StartHandleNotFound);
        }
        let request_id = self.store.get(Kind::StartHandle, handle).await?.ok_or(FlowError::StartHandleNotFound)?;
        let request_id = String::from_utf8(request_id).map_err(|_| FlowError::StartHandleNotFound)?;
        let record = self.load_record(&request_id).await?.ok_or(FlowError::StartHandleNotFound)?;
        match record.status_at(self.now()) {
            RequestStatus::Pending => Ok(record),
            other => Err(FlowError::NotPending(other)),
        }
    }

    /// `GET /eidas/start/{handle}`: the country page, or the auto-submit form when the country
    /// is known. `lang` is the language the citizen chose on the page (`?lang=`).
    pub async fn browser_start(
        &self,
        handle: &str,
        lang: Option<&str>,
        accept_language: Option<&str>,
    ) -> Result<BrowserStart, FlowError> {
        let record = self.record_by_start_handle(handle).await?;
        let locale = choose_page_locale(lang, record.ui_locales.as_deref(), accept_language);
        match record.citizen_country {
            Some(_) => self.auto_submit(record, locale).await,
            None => Ok(self.country_page_of(record, locale)),
        }
    }

    /// The country page again (a choice the page's form sent that cannot be used: none, unknown
    /// or unavailable). Never signs anything: a request whose country the hub chose has no
    /// country page.
    pub async fn country_page(
        &self,
        handle: &str,
        lang: Option<&str>,
        accept_language: Option<&str>,
    ) -> Result<BrowserStart, FlowError> {
        let record = self.record_by_start_handle(handle).await?;
        if record.citizen_country.is_some() {
            return Err(FlowError::InvalidRequest("the hub already chose the country".into()));
        }
        let locale = choose_page_locale(lang, record.ui_locales.as_deref(), accept_language);
        Ok(self.country_page_of(record, locale))
    }

    fn country_page_of(&self, record: RequestRecord, locale: &'static str) -> BrowserStart {
        BrowserStart::CountryPage {
            request_id: record.request_id,
            countries: self.country_choices(locale),
            locale,
            return_url: record.return_url,
        }
    }

    /// The countries of the country page, in the page's language.
    pub fn country_choices(&self, locale: &str) -> Vec<CountryChoice> {
        self.peers
            .statuses()
            .into_iter()
            .map(|s| CountryChoice {
                code: s.code,
                name: country_name(s.code, locale),
                available: s.available,
                reason: s.reason,
            })
            .collect()
    }

    /// `POST /eidas/start/{handle}`: the citizen chose `country` on the page (in the language
    /// `lang` the page's switch set, if any).
    pub async fn select_country(
        &self,
        handle: &str,
        country: &str,
        lang: Option<&str>,
        accept_language: Option<&str>,
    ) -> Result<BrowserStart, FlowError> {
        let mut record = self.record_by_start_handle(handle).await?;
        let locale = choose_page_locale(lang, record.ui_locales.as_deref(), accept_language);
        let code = CountryCode::parse(country).ok_or_else(|| FlowError::CountryUnknown(country.to_owned()))?;
        if record.citizen_country.is_some_and(|c| c != code) {
            return Err(FlowError::InvalidRequest("the hub already chose another country".into()));
        }
        record.citizen_country = Some(code);
        tracing::info!(target: "audit", event = "country_selected", request_id = %record.request_id, country = %code);
        self.auto_submit(record, locale).await
    }

    /// Builds and signs the AuthnRequest for `record`'s country and binds the request to this
    /// browser.
    async fn auto_submit(&self, mut record: RequestRecord, locale: &'static str) -> Result<BrowserStart, FlowError> {
        let started = std::time::Instant::now();
        let code = record.citizen_country.ok_or(FlowError::InvalidRequest("no country".into()))?;
        let snapshot = self.available_peer(code)?;
        Self::check_against_peer(&record, &snapshot)?;
        let caps = capabilities(&snapshot);
        let params = AuthnRequestParams {
            id: new_request_id().map_err(map_request_error)?,
            issue_instant: self.now(),
            issuer: self.config.current().settings.connector.entity_id.clone(),
            provider_name: record
                .provider_name
                .clone()
                .or_else(|| self.config.current().settings.connector.provider_name.clone()),
            level_of_assurance: record.level_of_assurance,
            requested_attributes: record.requested_attributes.clone(),
            non_notified_levels: Vec::new(),
            name_id_format: record.name_id_format,
            requester_id: match record.sp_type {
                SpType::Private => record.requester_id.clone(),
                SpType::Public => None,
            },
        };
        let config = self.config.current();
        let (id, caps2) = (params.id.clone(), caps.clone());
        // CPU-heavy: the RSA or ECDSA signature runs on the blocking pool.
        let xml = blocking(move || {
            build_authn_request(
                &params,
                &caps2,
                &config.signing_key,
                config.signature_algorithm,
                config.digest_algorithm,
            )
        })
        .await?
        .map_err(map_request_error)?;

        let cookie_value = new_handle()?;
        let https = self.public_base_url.starts_with("https://");
        let cookie = (record.binding_cookie_name(https), cookie_value.clone());
        if let Some(previous) = record.saml_request_id.take() {
            // A reload of the start page: the previous AuthnRequest can no longer be answered.
            self.store.delete(Kind::SamlRequest, &previous).await?;
        }
        record.saml_request_id = Some(id.clone());
        record.proxy_entity_id = Some(snapshot.metadata.entity_id.clone());
        record.binding_hash = Some(sha256_hex(cookie_value.as_bytes()));
        self.save_record(&record).await?;
        let remaining = (record.expires_at - self.now()).max(time::Duration::seconds(1));
        self.store.put(Kind::SamlRequest, &id, record.request_id.as_bytes(), Self::ttl(remaining)).await?;
        self.metrics.start_latency(started.elapsed());
        tracing::info!(
            target: "audit",
            event = "redirected_to_proxy",
            request_id = %record.request_id,
            country = %code,
            loa = %record.level_of_assurance,
        );
        Ok(BrowserStart::AutoSubmit {
            request_id: record.request_id.clone(),
            action: caps.sso_post_url,
            saml_request: crate::xmlsec::encode_base64(xml.as_bytes()),
            relay_state: record.request_id,
            cookie,
            locale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_comes_from_ui_locales_then_accept_language_then_french() {
        assert_eq!(choose_locale(Some("en fr"), Some("fr-FR")), "en");
        assert_eq!(choose_locale(Some("de"), Some("de-DE,en;q=0.8")), "en");
        assert_eq!(choose_locale(None, Some("es")), "fr");
        assert_eq!(choose_locale(None, None), "fr");
    }

    #[test]
    fn the_language_chosen_on_the_page_wins_over_ui_locales_and_accept_language() {
        assert_eq!(choose_page_locale(Some("en"), Some("fr"), Some("fr-FR")), "en");
        assert_eq!(choose_page_locale(Some("fr"), Some("en"), Some("en-GB")), "fr");
        assert_eq!(choose_page_locale(Some("de"), Some("en"), None), "en");
        assert_eq!(choose_page_locale(Some("EN"), None, Some("fr")), "fr");
        assert_eq!(choose_page_locale(None, None, Some("en")), "en");
    }

    #[test]
    fn a_return_url_is_checked_once_resolved_against_the_allowed_origin_and_path() {
        let allowed = vec!["https://hub.example/hub/".to_owned()];
        let ok = |u: &str| allowed_return_url(u, &allowed);
        assert_eq!(ok("https://hub.example/hub/cb?x=1").as_deref(), Some("https://hub.example/hub/cb?x=1"));
        assert_eq!(ok("HTTPS://HUB.example/hub/./cb").as_deref(), Some("https://hub.example/hub/cb"));
        for refused in [
            "https://hub.example/hub/../admin",
            "https://hub.example/hub/%2e%2e/admin",
            "https://hub.example/hub/..\\admin",
            "https://hub.example.evil.test/hub/",
            "https://hub.example:8443/hub/cb",
            "http://hub.example/hub/cb",
            "https://user:pw@hub.example/hub/cb",
            "/hub/cb",
        ] {
            assert_eq!(ok(refused), None, "{refused}");
        }
        // An entry without a trailing slash still ends at a path segment.
        let no_slash = vec!["https://hub.example/hub".to_owned()];
        assert!(allowed_return_url("https://hub.example/hub/cb", &no_slash).is_some());
        assert!(allowed_return_url("https://hub.example/hub", &no_slash).is_some());
        assert!(allowed_return_url("https://hub.example/hubx/cb", &no_slash).is_none());
        // An entry without a path allows the whole origin, and only it.
        let origin_only = vec!["https://hub.example".to_owned()];
        assert!(allowed_return_url("https://hub.example/any", &origin_only).is_some());
        assert!(allowed_return_url("https://hub.example.evil.test/", &origin_only).is_none());
    }

    #[test]
    fn low_and_unknown_levels_are_refused() {
        assert_eq!(parse_loa("low").unwrap_err().code(), "loa_not_supported");
        assert_eq!(parse_loa("medium").unwrap_err().code(), "loa_not_supported");
        assert_eq!(parse_loa("http://eidas.europa.eu/LoA/low").unwrap_err().code(), "loa_not_supported");
        assert_eq!(parse_loa("high").unwrap(), LevelOfAssurance::High);
        assert_eq!(parse_loa("http://eidas.europa.eu/LoA/substantial").unwrap(), LevelOfAssurance::Substantial);
    }
}
