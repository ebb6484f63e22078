//! The `samlp:Status` of a Response and its classification into the hub's failure codes
//! (`reference/eidas-spec.md` §2.4, DESIGN §2.1).
//!
//! A correctly signed non-success status is an outcome for the hub, not an error: this module
//! reads it (strictly: attacks.md W6, P8) and says what it means. It must not decide whether
//! the Response is trusted; it is given a `Status` element of an already verified Response.

use crate::saml::NS_SAMLP;
use crate::xmlsec::{Document, NodeId};

/// `urn:oasis:names:tc:SAML:2.0:status:Success`.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// `…:Requester`: the request was at fault.
pub const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
/// `…:Responder`: the proxy service or the citizen's side failed.
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
/// `…:VersionMismatch`.
pub const STATUS_VERSION_MISMATCH: &str = "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch";
/// Second level `…:AuthnFailed`.
pub const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
/// Second level `…:RequestDenied`.
pub const STATUS_REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
/// Second level `…:InvalidAttrNameOrValue`.
pub const STATUS_INVALID_ATTR_NAME_OR_VALUE: &str = "urn:oasis:names:tc:SAML:2.0:status:InvalidAttrNameOrValue";
/// Second level `…:NoAuthnContext`.
pub const STATUS_NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";

/// SAML Core 3.2.2.2: the only values allowed for the top-level `StatusCode`.
const TOP_LEVEL: [&str; 4] = [STATUS_SUCCESS, STATUS_REQUESTER, STATUS_RESPONDER, STATUS_VERSION_MISMATCH];

/// eIDAS-Node error codes (`StatusMessage` `"<code> - <text>"`) that mean the LoA could not
/// be met: 202015 invalid LoA, 003007 LoA not supported, 202019 incorrect LoA in the IdP
/// response, 202021 LoA not published.
const LOA_MESSAGE_CODES: [&str; 4] = ["202015", "003007", "202019", "202021"];
/// eIDAS-Node 202010: a mandatory attribute is missing.
const MISSING_ATTRIBUTE_MESSAGE_CODE: &str = "202010";
/// eIDAS-Node 003002: authentication failed.
const AUTHN_FAILED_MESSAGE_CODE: &str = "003002";

/// A Response status as received: the consume API's `error.saml` object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SamlStatus {
    /// The top-level `StatusCode/@Value` (one of the four SAML URIs).
    pub status_code: String,
    /// The second-level `StatusCode/@Value`, if any.
    pub sub_status_code: Option<String>,
    /// `StatusMessage`, verbatim, if present and not blank.
    pub status_message: Option<String>,
}

impl SamlStatus {
    /// True for a plain `Success` (a second-level code under Success is refused by
    /// [`parse_status`]).
    pub fn is_success(&self) -> bool {
        self.status_code == STATUS_SUCCESS && self.sub_status_code.is_none()
    }

    /// The eIDAS-Node error code leading the message (`"202019 - Incorrect …"` → `202019`).
    pub fn message_code(&self) -> Option<&str> {
        let msg = self.status_message.as_deref()?;
        let code = msg.get(..6)?;
        let rest = msg.get(6..)?;
        (code.bytes().all(|b| b.is_ascii_digit()) && !rest.starts_with(|c: char| c.is_ascii_digit())).then_some(code)
    }
}

/// Why the hub gets no identity (DESIGN §2.1), stable snake_case codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    /// The citizen cancelled or refused consent.
    UserCancelled,
    /// The citizen's authentication failed at the foreign side.
    AuthenticationFailed,
    /// The level of assurance asked could not be met.
    LoaNotMet,
    /// A required attribute is missing or unusable.
    AttributesMissing,
    /// Signature, decryption, correlation or profile violation (also a security event).
    InvalidResponse,
    /// The request or response expired.
    Expired,
    /// Anything else (the peer refused our request, version mismatch, …).
    TechnicalError,
}

impl FailureCode {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::UserCancelled => "user_cancelled",
            Self::AuthenticationFailed => "authentication_failed",
            Self::LoaNotMet => "loa_not_met",
            Self::AttributesMissing => "attributes_missing",
            Self::InvalidResponse => "invalid_response",
            Self::Expired => "expired",
            Self::TechnicalError => "technical_error",
        }
    }

    /// The OIDC error the hub should send its service provider (`reference/franceconnect.md`
    /// §3a): `access_denied` when the citizen's side said no (cancel, failed authentication,
    /// mandatory data not given), `unmet_authentication_requirements` for the LoA,
    /// `temporarily_unavailable` when retrying helps, `server_error` otherwise.
    pub fn oidc_error(self) -> &'static str {
        match self {
            Self::UserCancelled | Self::AuthenticationFailed | Self::AttributesMissing => "access_denied",
            Self::LoaNotMet => "unmet_authentication_requirements",
            Self::Expired => "temporarily_unavailable",
            Self::InvalidResponse | Self::TechnicalError => "server_error",
        }
    }
}

/// Why a `Status` element is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// The node is not a `samlp:Status`.
    #[error("not a Status element")]
    NotStatus,
    /// No `StatusCode`, or elements out of the schema's order or count.
    #[error("Status structure")]
    Structure,
    /// The top-level `Value` is absent or not one of the four SAML URIs (exact match).
    #[error("top-level StatusCode value")]
    TopLevelCode,
    /// The second-level `Value` is absent, empty or holds whitespace.
    #[error("second-level StatusCode value")]
    SubStatusCode,
    /// `Success` with a second-level code: ambiguous, never an identity (attacks.md P8).
    #[error("Success with a second-level StatusCode")]
    SuccessWithSubStatus,
    /// `StatusMessage` holds markup or a comment.
    #[error("StatusMessage holds markup or a comment")]
    Message,
}

impl StatusError {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotStatus => "status.not_status",
            Self::Structure => "status.structure",
            Self::TopLevelCode => "status.top_level_code",
            Self::SubStatusCode => "status.sub_status_code",
            Self::SuccessWithSubStatus => "status.success_with_sub_status",
            Self::Message => "status.message",
        }
    }
}

/// Reads `samlp:Status`: `StatusCode` (with at most one nested `StatusCode`; deeper levels
/// are ignored), then optional `StatusMessage` and `StatusDetail` (SAML Core 3.2.2).
///
/// # Security
/// Values are compared exactly: `"…:Success "` is refused, not trimmed (attacks.md W6).
pub fn parse_status(doc: &Document, status: NodeId) -> Result<SamlStatus, StatusError> {
    if !doc.is(status, NS_SAMLP, "Status") {
        return Err(StatusError::NotStatus);
    }
    let mut children = doc.child_elements(status).peekable();
    let code = children.next().filter(|c| doc.is(*c, NS_SAMLP, "StatusCode")).ok_or(StatusError::Structure)?;
    let message = children.next_if(|c| doc.is(*c, NS_SAMLP, "StatusMessage"));
    let _detail = children.next_if(|c| doc.is(*c, NS_SAMLP, "StatusDetail"));
    if children.next().is_some() {
        return Err(StatusError::Structure);
    }
    // SAML Core 3.2.2.2: the top-level value is one of four.
    let status_code = doc.attr(code, "Value").filter(|v| TOP_LEVEL.contains(v)).ok_or(StatusError::TopLevelCode)?;
    let mut nested = doc.child_elements(code);
    let sub = nested.next();
    if nested.next().is_some() || sub.is_some_and(|s| !doc.is(s, NS_SAMLP, "StatusCode")) {
        return Err(StatusError::Structure);
    }
    let sub_status_code = match sub {
        None => None,
        Some(s) => {
            let v = doc.attr(s, "Value").ok_or(StatusError::SubStatusCode)?;
            if v.is_empty() || v.chars().any(char::is_whitespace) {
                return Err(StatusError::SubStatusCode);
            }
            Some(v.to_owned())
        }
    };
    if status_code == STATUS_SUCCESS && sub_status_code.is_some() {
        return Err(StatusError::SuccessWithSubStatus);
    }
    let status_message = match message {
        None => None,
        Some(m) => Some(doc.simple_text(m).map_err(|_| StatusError::Message)?).filter(|t| !t.trim().is_empty()),
    };
    Ok(SamlStatus { status_code: status_code.to_owned(), sub_status_code, status_message })
}

/// Classifies a non-success status (`reference/eidas-spec.md` §2.4), first match wins:
///
/// 1. `VersionMismatch` → technical error;
/// 2. second level `NoAuthnContext`, or eIDAS-Node message 202015, 003007, 202019 or 202021
///    → `loa_not_met`;
/// 3. second level `InvalidAttrNameOrValue`, or message 202010 → `attributes_missing`;
/// 4. `RequestDenied`: with a message about consent or cancelling, or from the `Responder`
///    without an eIDAS-Node error code (the citizen said no at the proxy) → `user_cancelled`;
///    otherwise (e.g. 202020 RequesterID missing) → technical error;
/// 5. `AuthnFailed` → `authentication_failed`, except when the message says the user
///    cancelled (`cancel…`, German `abgebrochen`/`Abbruch`): the German eIDAS middleware
///    reports a cancel as `Responder`/`AuthnFailed` → `user_cancelled`;
/// 6. `Responder` with message 003002 (authentication failed) → `authentication_failed`;
/// 7. anything else (`Requester`, other second-level codes) → technical error.
///
/// A plain `Success` is not a failure: callers check [`SamlStatus::is_success`] first; it
/// classifies as a technical error.
pub fn classify(status: &SamlStatus) -> FailureCode {
    let top = status.status_code.as_str();
    let sub = status.sub_status_code.as_deref();
    let code = status.message_code();
    let message = status.status_message.as_deref().unwrap_or_default().to_lowercase();
    let says_cancel = ["cancel", "abgebrochen", "abbruch"].iter().any(|w| message.contains(w));
    if status.is_success() || top == STATUS_VERSION_MISMATCH {
        return FailureCode::TechnicalError;
    }
    if sub == Some(STATUS_NO_AUTHN_CONTEXT) || code.is_some_and(|c| LOA_MESSAGE_CODES.contains(&c)) {
        return FailureCode::LoaNotMet;
    }
    if sub == Some(STATUS_INVALID_ATTR_NAME_OR_VALUE) || code == Some(MISSING_ATTRIBUTE_MESSAGE_CODE) {
        return FailureCode::AttributesMissing;
    }
    match sub {
        Some(STATUS_REQUEST_DENIED) => {
            if message.contains("consent") || says_cancel || (top == STATUS_RESPONDER && code.is_none()) {
                FailureCode::UserCancelled
            } else {
                FailureCode::TechnicalError
            }
        }
        Some(STATUS_AUTHN_FAILED) if says_cancel => FailureCode::UserCancelled,
        Some(STATUS_AUTHN_FAILED) => FailureCode::AuthenticationFailed,
        None if top == STATUS_RESPONDER && code == Some(AUTHN_FAILED_MESSAGE_CODE) => FailureCode::AuthenticationFailed,
        _ => FailureCode::TechnicalError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::Limits;

    const P: &str = "urn:oasis:names:tc:SAML:2.0:status:";

    fn parse(inner: &str) -> Result<SamlStatus, StatusError> {
        let xml = format!("<saml2p:Status xmlns:saml2p=\"{NS_SAMLP}\">{inner}</saml2p:Status>");
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        parse_status(&doc, doc.root())
    }

    fn status(top: &str, sub: Option<&str>, message: Option<&str>) -> SamlStatus {
        SamlStatus {
            status_code: format!("{P}{top}"),
            sub_status_code: sub.map(|s| format!("{P}{s}")),
            status_message: message.map(str::to_owned),
        }
    }

    #[test]
    fn parse_status_reads_the_cef_success_that_repeats_the_uri_as_message() {
        let s = parse(&format!(
            "<saml2p:StatusCode Value=\"{P}Success\"/><saml2p:StatusMessage>{P}Success</saml2p:StatusMessage>"
        ))
        .unwrap();
        assert!(s.is_success());
        assert_eq!(s.sub_status_code, None);
        assert_eq!(s.status_message.as_deref(), Some("urn:oasis:names:tc:SAML:2.0:status:Success"));
    }

    #[test]
    fn parse_status_reads_two_levels_message_and_detail() {
        let s = parse(&format!(
            "<saml2p:StatusCode Value=\"{P}Responder\"><saml2p:StatusCode Value=\"{P}RequestDenied\">\
             <saml2p:StatusCode Value=\"urn:x:third\"/></saml2p:StatusCode></saml2p:StatusCode>\
             <saml2p:StatusMessage>Citizen consent not given.</saml2p:StatusMessage>\
             <saml2p:StatusDetail><x xmlns=\"urn:x\"/></saml2p:StatusDetail>"
        ))
        .unwrap();
        assert_eq!(s, status("Responder", Some("RequestDenied"), Some("Citizen consent not given.")));
        assert!(!s.is_success());
    }

    #[test]
    fn parse_status_refuses_top_level_values_with_whitespace_or_outside_the_four() {
        for v in [
            format!("{P}Success "),
            format!(" {P}Success"),
            format!("{P}success"),
            format!("{P}AuthnFailed"),
            "PROTO_STATUS".to_owned(),
            String::new(),
        ] {
            let r = parse(&format!("<saml2p:StatusCode Value=\"{v}\"/>"));
            assert_eq!(r, Err(StatusError::TopLevelCode), "{v:?}");
        }
        assert_eq!(parse("<saml2p:StatusCode/>"), Err(StatusError::TopLevelCode));
    }

    #[test]
    fn parse_status_refuses_a_malformed_second_level_value() {
        for v in [String::new(), format!("{P}AuthnFailed "), format!("{P}Authn Failed")] {
            let r = parse(&format!(
                "<saml2p:StatusCode Value=\"{P}Responder\"><saml2p:StatusCode Value=\"{v}\"/></saml2p:StatusCode>"
            ));
            assert_eq!(r, Err(StatusError::SubStatusCode), "{v:?}");
        }
        let missing =
            parse(&format!("<saml2p:StatusCode Value=\"{P}Responder\"><saml2p:StatusCode/></saml2p:StatusCode>"));
        assert_eq!(missing, Err(StatusError::SubStatusCode));
    }

    #[test]
    fn parse_status_refuses_success_with_a_second_level_code() {
        let r = parse(&format!(
            "<saml2p:StatusCode Value=\"{P}Success\"><saml2p:StatusCode Value=\"{P}RequestDenied\"/></saml2p:StatusCode>"
        ));
        assert_eq!(r, Err(StatusError::SuccessWithSubStatus));
    }

    #[test]
    fn parse_status_refuses_missing_repeated_or_misordered_elements() {
        let code = format!("<saml2p:StatusCode Value=\"{P}Responder\"/>");
        let msg = "<saml2p:StatusMessage>x</saml2p:StatusMessage>";
        for inner in [
            String::new(),
            msg.to_owned(),
            format!("{msg}{code}"),
            format!("{code}{code}"),
            format!("{code}{msg}{msg}"),
            format!("{code}<saml2p:Other/>"),
            format!(
                "<saml2p:StatusCode Value=\"{P}Responder\"><saml2p:StatusCode Value=\"{P}A\"/>\
                 <saml2p:StatusCode Value=\"{P}B\"/></saml2p:StatusCode>"
            ),
            format!("<saml2p:StatusCode Value=\"{P}Responder\"><saml2p:Foo/></saml2p:StatusCode>"),
        ] {
            assert_eq!(parse(&inner), Err(StatusError::Structure), "{inner}");
        }
    }

    #[test]
    fn parse_status_refuses_a_comment_in_the_message_and_drops_a_blank_one() {
        let r = parse(&format!(
            "<saml2p:StatusCode Value=\"{P}Responder\"/><saml2p:StatusMessage>a<!--x-->b</saml2p:StatusMessage>"
        ));
        assert_eq!(r, Err(StatusError::Message));
        let blank = parse(&format!(
            "<saml2p:StatusCode Value=\"{P}Responder\"/><saml2p:StatusMessage> </saml2p:StatusMessage>"
        ))
        .unwrap();
        assert_eq!(blank.status_message, None);
    }

    #[test]
    fn parse_status_refuses_a_node_that_is_not_status() {
        let doc = Document::parse(b"<Status/>", &Limits::default()).unwrap();
        assert_eq!(parse_status(&doc, doc.root()), Err(StatusError::NotStatus));
    }

    #[test]
    fn classify_maps_every_documented_status() {
        use FailureCode::*;
        let cases = [
            (status("Responder", Some("RequestDenied"), Some("Citizen consent not given.")), UserCancelled),
            (
                status("Responder", Some("RequestDenied"), Some("Consent not given for a mandatory attribute.")),
                UserCancelled,
            ),
            (status("Responder", Some("RequestDenied"), None), UserCancelled),
            (status("Requester", Some("RequestDenied"), Some("202020 - The RequesterID is missing.")), TechnicalError),
            (status("Responder", Some("RequestDenied"), Some("202020 - The RequesterID is missing.")), TechnicalError),
            (status("Responder", Some("AuthnFailed"), Some("003002 - Authentication Failed.")), AuthenticationFailed),
            (status("Responder", Some("AuthnFailed"), None), AuthenticationFailed),
            (status("Responder", Some("AuthnFailed"), Some("Authentication cancelled by user")), UserCancelled),
            (status("Responder", Some("AuthnFailed"), Some("Vorgang durch Benutzer abgebrochen")), UserCancelled),
            (status("Responder", Some("AuthnFailed"), Some("cancellationByUser")), UserCancelled),
            (status("Responder", None, Some("003002 - Authentication Failed.")), AuthenticationFailed),
            (status("Responder", Some("NoAuthnContext"), None), LoaNotMet),
            (status("Requester", None, Some("202015 - invalid value for Level of Assurance")), LoaNotMet),
            (status("Requester", None, Some("003007 - value of Level of Assurance is not supported")), LoaNotMet),
            (status("Responder", None, Some("202019 - Incorrect Level of Assurance in IdP response")), LoaNotMet),
            (status("Responder", None, Some("202021 - LoA not published")), LoaNotMet),
            (status("Requester", Some("InvalidAttrNameOrValue"), None), AttributesMissing),
            (status("Responder", None, Some("202010 - missing mandatory attribute")), AttributesMissing),
            (status("Requester", None, Some("202002 - Invalid SAML Request token.")), TechnicalError),
            (status("Requester", Some("InvalidNameIDPolicy"), None), TechnicalError),
            (status("Responder", Some("InvalidNameIDPolicy"), None), TechnicalError),
            (status("Responder", Some("NoSupportedIDP"), None), TechnicalError),
            (status("Responder", Some("RequestUnsupported"), None), TechnicalError),
            (status("Responder", None, None), TechnicalError),
            (status("VersionMismatch", None, None), TechnicalError),
            (status("VersionMismatch", Some("RequestDenied"), Some("consent")), TechnicalError),
            (status("Success", None, None), TechnicalError),
        ];
        for (s, expected) in cases {
            assert_eq!(classify(&s), expected, "{s:?}");
        }
    }

    #[test]
    fn message_code_reads_only_a_leading_six_digit_code() {
        assert_eq!(status("Responder", None, Some("202019 - x")).message_code(), Some("202019"));
        assert_eq!(status("Responder", None, Some("202019")).message_code(), Some("202019"));
        assert_eq!(status("Responder", None, Some("2020190 - x")).message_code(), None);
        assert_eq!(status("Responder", None, Some("x 202019")).message_code(), None);
        assert_eq!(status("Responder", None, Some("2020é9")).message_code(), None);
        assert_eq!(status("Responder", None, None).message_code(), None);
    }

    #[test]
    fn failure_codes_have_design_codes_and_oidc_errors() {
        use FailureCode::*;
        let table = [
            (UserCancelled, "user_cancelled", "access_denied"),
            (AuthenticationFailed, "authentication_failed", "access_denied"),
            (LoaNotMet, "loa_not_met", "unmet_authentication_requirements"),
            (AttributesMissing, "attributes_missing", "access_denied"),
            (InvalidResponse, "invalid_response", "server_error"),
            (Expired, "expired", "temporarily_unavailable"),
            (TechnicalError, "technical_error", "server_error"),
        ];
        for (f, code, oidc) in table {
            assert_eq!(f.code(), code);
            assert_eq!(f.oidc_error(), oidc);
            assert_eq!(serde_json::to_value(f).unwrap(), code);
        }
    }

    proptest::proptest! {
        #[test]
        fn classify_never_panics_on_arbitrary_codes_and_messages(
            top in "(urn:oasis:names:tc:SAML:2.0:status:)?[A-Za-z]{0,16}",
            sub in proptest::option::of("(urn:oasis:names:tc:SAML:2.0:status:)?[A-Za-z]{0,16}"),
            message in proptest::option::of("\\PC{0,40}"),
        ) {
            let s = SamlStatus { status_code: top, sub_status_code: sub, status_message: message };
            let _ = classify(&s);
            let _ = s.message_code();
        }
    }

    #[test]
    fn saml_status_serializes_as_the_consume_api_saml_object() {
        let s = status("Responder", Some("RequestDenied"), Some("Citizen consent not given."));
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({
                "status_code": "urn:oasis:names:tc:SAML:2.0:status:Responder",
                "sub_status_code": "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
                "status_message": "Citizen consent not given."
            })
        );
    }
}
