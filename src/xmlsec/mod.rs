//! XML security core: the hardened tree, exclusive canonicalization, XML-DSig and XML-Enc,
//! to the eIDAS crypto profile (`reference/xmlsec-profile.md`).
//!
//! This is the only module that uses `openssl`. It knows nothing of SAML beyond which
//! attribute carries an ID; protocol rules live in `saml/`. It never reads the clock.

pub mod c14n;
pub mod dom;
pub mod dsig;
pub mod keys;
pub mod serialize;
pub mod xmlenc;

pub use dom::{Document, Element, Limits, Node, NodeId, NsDecl};

/// XML-DSig namespace.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML-DSig 1.1 namespace.
pub const NS_DSIG11: &str = "http://www.w3.org/2009/xmldsig11#";
/// XML-Enc namespace.
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// XML-Enc 1.1 namespace.
pub const NS_XENC11: &str = "http://www.w3.org/2009/xmlenc11#";
/// Exclusive c14n namespace (for `InclusiveNamespaces`).
pub const NS_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Why a document was refused by the parser or the canonicalizer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The input exceeds the size limit.
    #[error("document too large")]
    TooLarge,
    /// Not well-formed, not UTF-8, illegal character, bad namespace, ….
    #[error("malformed XML: {0}")]
    Malformed(&'static str),
    /// A DOCTYPE declaration.
    #[error("DOCTYPE is forbidden")]
    DoctypeForbidden,
    /// An entity reference other than the predefined ones.
    #[error("entity references are forbidden")]
    EntityForbidden,
    /// A processing instruction.
    #[error("processing instructions are forbidden")]
    PiForbidden,
    /// Elements nested too deep.
    #[error("elements nested too deep")]
    TooDeep,
    /// Too many attributes on one element.
    #[error("too many attributes on one element")]
    TooManyAttributes,
    /// Too many namespace declarations on one element.
    #[error("too many namespace declarations on one element")]
    TooManyNamespaces,
    /// Too many nodes.
    #[error("too many nodes")]
    TooManyNodes,
    /// An ID attribute is not an NCName.
    #[error("an ID attribute is not an NCName")]
    InvalidId,
    /// Two ID attributes have the same value.
    #[error("duplicate ID")]
    DuplicateId,
    /// A simple-typed value holds elements or comments.
    #[error("mixed content in a simple value")]
    MixedContent,
    /// Base64 input that does not decode.
    #[error("invalid base64")]
    Base64,
}

impl XmlError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "xml.too_large",
            Self::Malformed(_) => "xml.malformed",
            Self::DoctypeForbidden => "xml.doctype_forbidden",
            Self::EntityForbidden => "xml.entity_forbidden",
            Self::PiForbidden => "xml.pi_forbidden",
            Self::TooDeep => "xml.too_deep",
            Self::TooManyAttributes => "xml.too_many_attributes",
            Self::TooManyNamespaces => "xml.too_many_namespaces",
            Self::TooManyNodes => "xml.too_many_nodes",
            Self::InvalidId => "xml.invalid_id",
            Self::DuplicateId => "xml.duplicate_id",
            Self::MixedContent => "xml.mixed_content",
            Self::Base64 => "xml.base64",
        }
    }
}

/// Decodes XML-Schema base64Binary: XML whitespace is ignored, anything else must be strict
/// base64 (attacks.md W1).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, XmlError> {
    use base64::Engine as _;
    // Most values carry no whitespace (a form's SAMLResponse, most CipherValues): decoded in
    // place, no copy. The strict engine refuses whitespace, so a wrapped value falls through to
    // the copy below, which gives the same answer for everything else (profile:
    // docs/perf-profiles.md, "base64").
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) {
        return Ok(bytes);
    }
    // Copy line by line (base64 in XML is wrapped at 64 or 76 columns), not byte by byte.
    let mut compact = Vec::with_capacity(text.len());
    for piece in text.as_bytes().split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        compact.extend_from_slice(piece);
    }
    base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| XmlError::Base64)
}

/// Encodes bytes as base64 (no line breaks).
pub fn encode_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Accepts a message as posted (`SAMLResponse` base64) or as raw XML, under `limits`.
///
/// # Security
/// The raw size is checked before decoding (attacks.md A5).
pub fn read_message(input: &[u8], limits: &Limits) -> Result<Vec<u8>, XmlError> {
    // base64 is 4/3 of the XML, plus line breaks.
    if input.len() > limits.max_bytes.saturating_mul(3) / 2 + 1024 {
        return Err(XmlError::TooLarge);
    }
    let trimmed = input.trim_ascii();
    if trimmed.first() == Some(&b'<') || trimmed.starts_with(b"\xEF\xBB\xBF") {
        return Ok(input.to_vec());
    }
    let text = std::str::from_utf8(trimmed).map_err(|_| XmlError::Base64)?;
    let decoded = decode_base64(text)?;
    if decoded.len() > limits.max_bytes {
        return Err(XmlError::TooLarge);
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_without_whitespace_decodes_in_place_and_wrapped_base64_decodes_alike() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        let plain = encode_base64(&bytes);
        assert_eq!(decode_base64(&plain).unwrap(), bytes);
        // XML whitespace anywhere (attacks.md W1): LF, CRLF, spaces and tabs, leading and trailing.
        let wrapped: String =
            plain.as_bytes().chunks(76).map(|line| std::str::from_utf8(line).unwrap()).collect::<Vec<_>>().join("\r\n");
        assert_eq!(decode_base64(&format!("\n  {wrapped}\t\n")).unwrap(), bytes);
        assert_eq!(decode_base64("AQID BA==").unwrap(), [1, 2, 3, 4]);
    }

    #[test]
    fn base64_with_anything_but_xml_whitespace_or_bad_padding_is_refused() {
        // Each refused with and without XML whitespace around it: neither path is lenient.
        for bad in ["AQID!BA==", "AQIDBA=", "AQIDBA===", "AQ-_BA==", "AQID\u{0B}BA==", "AQID\u{A0}BA==", "AQIDB"] {
            assert!(matches!(decode_base64(bad), Err(XmlError::Base64)), "{bad:?}");
            assert!(matches!(decode_base64(&format!(" {bad}\n")), Err(XmlError::Base64)), "{bad:?} wrapped");
        }
    }
}
