//! Which request a Response claims to answer, read before any check: only to route it to its
//! pending request (whose binding cookie and full validation then decide). Never trust it.

use crate::xmlsec::{read_message, Document, Limits};

/// The `InResponseTo` of a Response (XML or base64), unverified; `None` when the message does
/// not parse under the hardened parser or has none.
///
/// # Security
/// The value is attacker-controlled: use it as a lookup key only; [`super::validate_response`]
/// checks it against the pending request after the signature.
pub fn peek_in_response_to(message: &[u8], limits: &Limits) -> Option<String> {
    let xml = read_message(message, limits).ok()?;
    let doc = Document::parse(&xml, limits).ok()?;
    let value = doc.attr(doc.root(), "InResponseTo")?;
    (value.len() <= 256).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_response_to_is_read_from_xml_or_base64_and_nothing_else_parses() {
        let xml =
            br#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" InResponseTo="_abc"/>"#;
        let limits = Limits::default();
        assert_eq!(peek_in_response_to(xml, &limits).as_deref(), Some("_abc"));
        let b64 = crate::xmlsec::encode_base64(xml);
        assert_eq!(peek_in_response_to(b64.as_bytes(), &limits).as_deref(), Some("_abc"));
        assert_eq!(peek_in_response_to(b"<!DOCTYPE x><x/>", &limits), None);
        assert_eq!(peek_in_response_to(b"not xml", &limits), None);
    }
}
