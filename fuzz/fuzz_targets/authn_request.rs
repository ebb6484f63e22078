//! Our AuthnRequest (`saml::authn_request::build_authn_request`) and its HTTP-POST form, with
//! hub-supplied values taken from the input: `ProviderName`, `RequesterID`, the requested
//! attribute names, a non-notified LoA, the `RelayState`, and flags (first byte) for the LoA,
//! the NameID format and the proxy's `RequesterID` flag. Input after the flags: fields
//! separated by NUL. Must hold: whatever the builder accepts, our own hardened parser reads it,
//! our verifier accepts its signature (signed with the test `sp-sign-ec-p256` key), the values
//! come back exactly as given; and the auto-submit page and the binding's form carry every
//! value escaped, so that the browser posts it back unchanged.
#![no_main]
use std::sync::LazyLock;

use eidas_connector::saml::authn_request::{
    build_authn_request, render_post_form, AuthnRequestParams, ProxyCapabilities, RequestedAttribute,
};
use eidas_connector::saml::{LevelOfAssurance, NameIdFormat, NS_SAML, NS_SAMLP};
use eidas_connector::ui;
use eidas_connector::xmlsec::dsig::{verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use eidas_connector::xmlsec::{encode_base64, Document, Limits};
use eidas_connector_fuzz::{ENTITY_ID, NOW};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<PrivateKey> = LazyLock::new(|| {
    PrivateKey::from_pem(include_bytes!("../../certs/test-pki/sp-sign-ec-p256.key.pem"), None).expect("test key")
});
static CERT: LazyLock<Vec<TrustedCert>> = LazyLock::new(|| {
    TrustedCert::from_pem(include_bytes!("../../certs/test-pki/sp-sign-ec-p256.crt.pem")).expect("test cert")
});
const SSO: &str = "https://eidas.example.es/EidasNode/ColleagueRequest";
const ID: &str = "_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The value of the first `attr="…"` after `marker` in `html`, HTML-unescaped: what a browser
/// would submit. A raw `"` in the value ends it early, so a missing escape shows as a difference.
fn submitted(html: &str, marker: &str, attr: &str) -> Option<String> {
    let rest = &html[html.find(marker)? + marker.len()..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let raw = &rest[start..];
    let raw = &raw[..raw.find('"')?];
    let mut out = String::new();
    let mut parts = raw.split('&');
    out.push_str(parts.next()?);
    for part in parts {
        let (entity, tail) = part.split_once(';')?;
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = entity
                    .strip_prefix("#x")
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))?;
                char::from_u32(n.ok()?)?
            }
        };
        out.push(c);
        out.push_str(tail);
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut fields = text.split('\0');
    let provider_name = fields.next().filter(|_| flags & 1 != 0).map(str::to_owned);
    let requester_id = fields.next().map(str::to_owned);
    let relay_state = fields.next().unwrap_or_default().to_owned();
    let non_notified_levels: Vec<String> =
        fields.next().filter(|_| flags & 8 != 0).map(str::to_owned).into_iter().collect();
    let requested_attributes: Vec<RequestedAttribute> =
        fields.map(|n| RequestedAttribute { name: n.to_owned(), required: flags & 16 != 0 }).collect();
    let caps = ProxyCapabilities { sso_post_url: SSO.into(), requester_id_flag: flags & 2 != 0, ..Default::default() };
    let params = AuthnRequestParams {
        id: ID.into(),
        issue_instant: NOW,
        issuer: ENTITY_ID.into(),
        provider_name,
        level_of_assurance: if flags & 4 != 0 { LevelOfAssurance::High } else { LevelOfAssurance::Substantial },
        requested_attributes,
        non_notified_levels,
        name_id_format: match flags >> 5 & 3 {
            0 => NameIdFormat::Persistent,
            1 => NameIdFormat::Transient,
            _ => NameIdFormat::Unspecified,
        },
        requester_id,
    };
    let Ok(xml) = build_authn_request(&params, &caps, &KEY, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256)
    else {
        return;
    };
    let doc = match Document::parse(xml.as_bytes(), &Limits::default()) {
        Ok(doc) => doc,
        Err(e) => panic!("our AuthnRequest does not parse ({}): {xml}", e.code()),
    };
    let root = doc.root();
    if let Err(e) = verify_element(&doc, root, &CERT, &SignaturePolicy::default()) {
        panic!("our AuthnRequest signature does not verify ({}): {xml}", e.code());
    }
    assert_eq!(doc.attr(root, "ProviderName"), params.provider_name.as_deref(), "ProviderName changed");
    let issuer = doc.first_child_named(root, NS_SAML, "Issuer").and_then(|n| doc.simple_text(n).ok());
    assert_eq!(issuer.as_deref(), Some(ENTITY_ID));
    let sent = doc
        .first_child_named(root, NS_SAMLP, "Scoping")
        .and_then(|s| doc.first_child_named(s, NS_SAMLP, "RequesterID"))
        .and_then(|r| doc.simple_text(r).ok());
    let expected = params.requester_id.as_deref().filter(|_| caps.requester_id_flag);
    assert_eq!(sent.as_deref(), expected, "RequesterID changed");

    // The browser posts back exactly the values given, whatever they hold (xmlsec-profile 32).
    let page = ui::render_auto_submit("fr", "n", SSO, &encode_base64(xml.as_bytes()), &relay_state);
    let posted = submitted(&page, "name=\"RelayState\"", "value");
    assert_eq!(posted.as_deref(), Some(relay_state.as_str()), "RelayState altered by the auto-submit page");
    let form = render_post_form(&relay_state, &xml, &relay_state);
    let posted = submitted(&form, "name=\"RelayState\"", "value");
    assert_eq!(posted.as_deref(), Some(relay_state.as_str()), "RelayState altered by the POST form");
    assert_eq!(submitted(&form, "<form", "action").as_deref(), Some(relay_state.as_str()), "action altered");
});
