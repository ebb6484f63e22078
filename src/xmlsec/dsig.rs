//! XML-DSig enveloped signatures to the eIDAS profile: verify (xmlsec-profile checklist 6–15)
//! and sign (29–31).
//!
//! Verification is anchored: the signature must be a direct child of the element the caller
//! names, at the schema position, with exactly one Reference to that element's own ID and
//! exactly the transforms [enveloped-signature, exc-c14n]. Keys come only from the caller's
//! trusted set; `KeyInfo` is never used to pick or build a key. On success the caller gets a
//! [`VerifiedElement`], the only door to reading signed data.

use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{HasPublic, Id, PKey};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};

use super::c14n::canonicalize;
use super::dom::{Document, Element, Node, NodeId};
use super::keys::{DigestAlgorithm, KeyPolicy, KeyRejection, PrivateKey, SignatureAlgorithm, TrustedCert};
use super::{decode_base64, encode_base64, XmlError, NS_DS, NS_EXC_C14N};

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// Why a signature was refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsigError {
    /// The element has no `ds:Signature` child.
    #[error("no signature on the element")]
    Missing,
    /// More than one `ds:Signature` child.
    #[error("more than one signature on the element")]
    Multiple,
    /// The signature is not at the schema position (first child, or right after `Issuer`).
    #[error("signature not at its schema position")]
    Misplaced,
    /// Unexpected children, counts, text or comments in the signature (checklist 7; C2, C3).
    #[error("signature structure not allowed")]
    Structure,
    /// Canonicalization other than exclusive c14n without comments (checklist 8).
    #[error("canonicalization method not allowed")]
    C14nForbidden,
    /// Signature method not allow-listed (checklist 9).
    #[error("signature algorithm not allowed")]
    AlgorithmForbidden,
    /// Not exactly one Reference to `#` + the element's ID (checklist 10).
    #[error("reference does not designate the signed element")]
    Reference,
    /// Transforms other than [enveloped-signature, exc-c14n] (checklist 11).
    #[error("transforms not allowed")]
    TransformsForbidden,
    /// Digest method not allow-listed (checklist 12).
    #[error("digest algorithm not allowed")]
    DigestForbidden,
    /// The referenced content does not match the digest.
    #[error("digest mismatch")]
    DigestMismatch,
    /// No trusted key was given.
    #[error("no trusted key")]
    NoTrustedKey,
    /// No trusted key has the type the method needs (checklist 13).
    #[error("key type does not match the signature method")]
    KeyTypeMismatch,
    /// Every fitting trusted key is below the RSA floor.
    #[error("key too small")]
    KeyTooSmall,
    /// Every fitting trusted key is on a curve not allowed.
    #[error("curve not allowed")]
    CurveForbidden,
    /// The signature value does not verify under any trusted key.
    #[error("signature invalid")]
    Invalid,
    /// The element to sign has no usable ID, or the signing key does not fit the algorithm.
    #[error("cannot sign: {0}")]
    Signing(&'static str),
    /// Parse-level problem inside the signature (base64, mixed content).
    #[error(transparent)]
    Xml(#[from] XmlError),
}

impl DsigError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "sig.missing",
            Self::Multiple => "sig.multiple",
            Self::Misplaced => "sig.misplaced",
            Self::Structure => "sig.structure",
            Self::C14nForbidden => "sig.c14n_forbidden",
            Self::AlgorithmForbidden => "sig.algorithm_forbidden",
            Self::Reference => "sig.reference",
            Self::TransformsForbidden => "sig.transforms_forbidden",
            Self::DigestForbidden => "sig.digest_forbidden",
            Self::DigestMismatch => "sig.digest_mismatch",
            Self::NoTrustedKey => "sig.no_trusted_key",
            Self::KeyTypeMismatch => "sig.key_type_mismatch",
            Self::KeyTooSmall => "sig.key_too_small",
            Self::CurveForbidden => "sig.curve_forbidden",
            Self::Invalid => "sig.invalid",
            Self::Signing(_) => "sig.signing_failed",
            Self::Xml(e) => e.code(),
        }
    }
}

/// What a verification accepts beyond the fixed profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignaturePolicy {
    /// Key strength floor.
    pub keys: KeyPolicy,
    /// Accept `Reference URI=""` when the signed element is the document element
    /// (metadata only: the reference node signs its metadata that way; checklist 10).
    pub allow_whole_document_reference: bool,
}

/// An element whose enveloped signature verified. Only [`verify_element`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedElement {
    node: NodeId,
    signature: NodeId,
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
    signer: usize,
    canonical: Vec<u8>,
}

impl VerifiedElement {
    /// The verified element: read signed data only from this subtree.
    pub fn node(&self) -> NodeId {
        self.node
    }
    /// The `ds:Signature` child that covered it (skip it when reading children).
    pub fn signature(&self) -> NodeId {
        self.signature
    }
    /// The signature method used.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
    /// The reference digest method used.
    pub fn digest(&self) -> DigestAlgorithm {
        self.digest
    }
    /// Index, in the trusted list, of the key that verified.
    pub fn signer(&self) -> usize {
        self.signer
    }
    /// The exact octets that were digested: the element, signature removed, canonicalized.
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }
}

/// Verifies the enveloped signature of `element` against `trusted` keys.
///
/// # Security
/// Read data only through the returned [`VerifiedElement`]; never look the element up again
/// by ID or path in the raw document.
pub fn verify_element(
    doc: &Document,
    element: NodeId,
    trusted: &[TrustedCert],
    policy: &SignaturePolicy,
) -> Result<VerifiedElement, DsigError> {
    let el = doc.element(element).ok_or(DsigError::Missing)?;
    // Checklist 6: a direct child, exactly one, at the schema position.
    let sigs: Vec<NodeId> = doc.children_named(element, NS_DS, "Signature").collect();
    let signature = match sigs.as_slice() {
        [] => return Err(DsigError::Missing),
        [one] => *one,
        _ => return Err(DsigError::Multiple),
    };
    let kids: Vec<NodeId> = doc.child_elements(element).collect();
    let expected_at = match kids.first() {
        Some(first) if doc.is(*first, NS_SAML, "Issuer") => 1,
        _ => 0,
    };
    if kids.get(expected_at) != Some(&signature) {
        return Err(DsigError::Misplaced);
    }

    // Checklist 7: SignedInfo, SignatureValue, optional KeyInfo; nothing else.
    let parts = strict_children(doc, signature)?;
    let (signed_info, signature_value) = match parts.as_slice() {
        [si, sv] | [si, sv, _] if is_ds(doc, *si, "SignedInfo") && is_ds(doc, *sv, "SignatureValue") => (*si, *sv),
        _ => return Err(DsigError::Structure),
    };
    if let Some(ki) = parts.get(2) {
        if !is_ds(doc, *ki, "KeyInfo") {
            return Err(DsigError::Structure);
        }
    }

    let si = strict_children(doc, signed_info)?;
    let (c14n_method, sig_method, references) = match si.as_slice() {
        [c, s, refs @ ..] if is_ds(doc, *c, "CanonicalizationMethod") && is_ds(doc, *s, "SignatureMethod") => {
            (*c, *s, refs)
        }
        _ => return Err(DsigError::Structure),
    };
    if references.iter().any(|r| !is_ds(doc, *r, "Reference")) {
        return Err(DsigError::Structure);
    }
    // Checklist 8.
    if algorithm_of(doc, c14n_method) != Some(EXC_C14N) {
        return Err(DsigError::C14nForbidden);
    }
    let si_prefixes = inclusive_prefixes(doc, c14n_method)?;
    // Checklist 9.
    let algorithm =
        algorithm_of(doc, sig_method).and_then(SignatureAlgorithm::from_uri).ok_or(DsigError::AlgorithmForbidden)?;
    if doc.child_elements(sig_method).next().is_some() {
        return Err(DsigError::AlgorithmForbidden);
    }
    // Checklist 10: exactly one Reference, to this element.
    let reference = match references {
        [one] => *one,
        _ => return Err(DsigError::Reference),
    };
    let uri = doc.attr(reference, "URI").ok_or(DsigError::Reference)?;
    let own_id = el.attr("ID");
    let whole_document = uri.is_empty() && policy.allow_whole_document_reference && element == doc.root();
    let by_id = own_id.is_some_and(|id| uri.strip_prefix('#') == Some(id))
        && doc.find_id(uri.get(1..).unwrap_or("")) == Some(element);
    if !(whole_document || by_id) {
        return Err(DsigError::Reference);
    }

    let r = strict_children(doc, reference)?;
    let (transforms, digest_method, digest_value) = match r.as_slice() {
        [t, m, v]
            if is_ds(doc, *t, "Transforms") && is_ds(doc, *m, "DigestMethod") && is_ds(doc, *v, "DigestValue") =>
        {
            (*t, *m, *v)
        }
        [_, _] => return Err(DsigError::TransformsForbidden),
        _ => return Err(DsigError::Structure),
    };
    // Checklist 11: exactly [enveloped-signature, exc-c14n].
    let t = strict_children(doc, transforms)?;
    let prefixes = match t.as_slice() {
        [a, b]
            if is_ds(doc, *a, "Transform")
                && is_ds(doc, *b, "Transform")
                && algorithm_of(doc, *a) == Some(ENVELOPED)
                && doc.child_elements(*a).next().is_none()
                && algorithm_of(doc, *b) == Some(EXC_C14N) =>
        {
            inclusive_prefixes(doc, *b).map_err(|_| DsigError::TransformsForbidden)?
        }
        _ => return Err(DsigError::TransformsForbidden),
    };
    // Checklist 12.
    let digest = algorithm_of(doc, digest_method)
        .and_then(DigestAlgorithm::from_uri)
        .filter(|d| d.is_strong())
        .ok_or(DsigError::DigestForbidden)?;
    let expected = decode_base64(&ds_text(doc, digest_value)?)?;

    // Checklist 13: pick candidate keys before any work on the signature value.
    let candidates = candidate_keys(trusted, algorithm, &policy.keys)?;

    let canonical = canonicalize(doc, element, Some(signature), &prefixes)?;
    let actual = openssl::hash::hash(digest.md(), &canonical).map_err(|_| DsigError::DigestMismatch)?;
    if expected.len() != actual.len() || !openssl::memcmp::eq(&expected, &actual) {
        return Err(DsigError::DigestMismatch);
    }

    let signed_info_c14n = canonicalize(doc, signed_info, None, &si_prefixes)?;
    let value = decode_base64(&ds_text(doc, signature_value)?)?;
    for (index, key) in candidates {
        if verify_value(key, algorithm, &signed_info_c14n, &value) {
            return Ok(VerifiedElement { node: element, signature, algorithm, digest, signer: index, canonical });
        }
    }
    Err(DsigError::Invalid)
}

/// The trusted keys that fit `algorithm` and the policy, with their index.
fn candidate_keys<'t>(
    trusted: &'t [TrustedCert],
    algorithm: SignatureAlgorithm,
    policy: &KeyPolicy,
) -> Result<Vec<(usize, &'t PKey<openssl::pkey::Public>)>, DsigError> {
    if trusted.is_empty() {
        return Err(DsigError::NoTrustedKey);
    }
    let wanted = if algorithm.is_rsa() { Id::RSA } else { Id::EC };
    let typed: Vec<(usize, &TrustedCert)> = trusted.iter().enumerate().filter(|(_, t)| t.key.id() == wanted).collect();
    if typed.is_empty() {
        return Err(DsigError::KeyTypeMismatch);
    }
    let mut rejection = None;
    let mut ok = Vec::new();
    for (i, t) in typed {
        match policy.check(&t.key) {
            Ok(()) => ok.push((i, &t.key)),
            Err(r) => rejection = Some(r),
        }
    }
    if ok.is_empty() {
        return Err(match rejection {
            Some(KeyRejection::CurveForbidden) => DsigError::CurveForbidden,
            Some(KeyRejection::UnsupportedType) => DsigError::KeyTypeMismatch,
            _ => DsigError::KeyTooSmall,
        });
    }
    Ok(ok)
}

fn verify_value<T: HasPublic>(key: &PKey<T>, algorithm: SignatureAlgorithm, data: &[u8], value: &[u8]) -> bool {
    let md = algorithm.digest().md();
    let sig = if algorithm.is_rsa() {
        value.to_vec()
    } else {
        // ECDSA SignatureValue is raw r‖s (RFC 4050 / RFC 6931); openssl wants DER.
        match raw_to_der(value) {
            Some(der) => der,
            None => return false,
        }
    };
    let Ok(mut v) = Verifier::new(md, key) else { return false };
    if algorithm.is_rsa() {
        // RFC 6931 §2.3.10: MGF1 with the same hash, salt = hash length, trailer 1.
        if v.set_rsa_padding(Padding::PKCS1_PSS).is_err()
            || v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).is_err()
            || v.set_rsa_mgf1_md(md).is_err()
        {
            return false;
        }
    }
    v.verify_oneshot(&sig, data).unwrap_or(false)
}

fn raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let sig = EcdsaSig::from_private_components(BigNum::from_slice(r).ok()?, BigNum::from_slice(s).ok()?).ok()?;
    sig.to_der().ok()
}

fn der_to_raw(der: &[u8], field_bytes: usize) -> Option<Vec<u8>> {
    let sig = EcdsaSig::from_der(der).ok()?;
    let r = sig.r().to_vec_padded(i32::try_from(field_bytes).ok()?).ok()?;
    let s = sig.s().to_vec_padded(i32::try_from(field_bytes).ok()?).ok()?;
    Some([r, s].concat())
}

fn is_ds(doc: &Document, id: NodeId, local: &str) -> bool {
    doc.is(id, NS_DS, local)
}

fn algorithm_of(doc: &Document, id: NodeId) -> Option<&str> {
    doc.attr(id, "Algorithm")
}

/// The element children of a signature part; refuses comments and non-whitespace text
/// (attacks.md C2, C3).
fn strict_children(doc: &Document, id: NodeId) -> Result<Vec<NodeId>, DsigError> {
    let mut out = Vec::new();
    for c in doc.children(id) {
        match doc.node(*c) {
            Node::Element(_) => out.push(*c),
            Node::Text(t) if t.chars().all(|ch| matches!(ch, ' ' | '\t' | '\n' | '\r')) => {}
            _ => return Err(DsigError::Structure),
        }
    }
    Ok(out)
}

/// Text of DigestValue/SignatureValue: no comments or elements inside (attacks.md C2).
fn ds_text(doc: &Document, id: NodeId) -> Result<String, DsigError> {
    doc.simple_text(id).map_err(|_| DsigError::Structure)
}

/// The `ec:InclusiveNamespaces PrefixList` under a c14n method or transform; any other
/// child is refused.
fn inclusive_prefixes(doc: &Document, method: NodeId) -> Result<Vec<String>, DsigError> {
    let kids = strict_children(doc, method)?;
    match kids.as_slice() {
        [] => Ok(Vec::new()),
        [one] if doc.is(*one, NS_EXC_C14N, "InclusiveNamespaces") => {
            Ok(doc.attr(*one, "PrefixList").unwrap_or("").split_ascii_whitespace().map(str::to_owned).collect())
        }
        _ => Err(DsigError::Structure),
    }
}

/// Signs `element` with an enveloped signature placed right after its `saml2:Issuer` child
/// (or first), Reference `#ID`, transforms [enveloped, exc-c14n] (checklist 29–31).
///
/// The caller serializes the document once afterwards and must not reformat it.
pub fn sign_element(
    doc: &mut Document,
    element: NodeId,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
) -> Result<NodeId, DsigError> {
    if !digest.is_strong() {
        return Err(DsigError::DigestForbidden);
    }
    let wanted = if algorithm.is_rsa() { Id::RSA } else { Id::EC };
    if key.key.id() != wanted {
        return Err(DsigError::Signing("key type does not match the algorithm"));
    }
    let id = doc
        .element(element)
        .and_then(|e| e.attr("ID"))
        .filter(|i| super::dom::is_ncname(i))
        .ok_or(DsigError::Signing("element has no ID"))?
        .to_owned();
    if doc.children_named(element, NS_DS, "Signature").next().is_some() {
        return Err(DsigError::Signing("element is already signed"));
    }
    let canonical = canonicalize(doc, element, None, &[])?;
    let digest_value = openssl::hash::hash(digest.md(), &canonical).map_err(|_| DsigError::Signing("digest"))?;

    let ds = |local: &str| Element::new(Some(NS_DS), Some("ds"), local);
    let position = match doc.child_elements(element).next() {
        Some(first) if doc.is(first, NS_SAML, "Issuer") => {
            doc.children(element).iter().position(|c| *c == first).map_or(0, |p| p + 1)
        }
        _ => 0,
    };
    let signature = doc.insert(element, position, Node::Element(ds("Signature").with_ns(Some("ds"), NS_DS)));
    let signed_info = doc.append(signature, Node::Element(ds("SignedInfo")));
    doc.append(signed_info, Node::Element(ds("CanonicalizationMethod").with_attr("Algorithm", EXC_C14N)));
    doc.append(signed_info, Node::Element(ds("SignatureMethod").with_attr("Algorithm", algorithm.uri())));
    let reference = doc.append(signed_info, Node::Element(ds("Reference").with_attr("URI", &format!("#{id}"))));
    let transforms = doc.append(reference, Node::Element(ds("Transforms")));
    doc.append(transforms, Node::Element(ds("Transform").with_attr("Algorithm", ENVELOPED)));
    doc.append(transforms, Node::Element(ds("Transform").with_attr("Algorithm", EXC_C14N)));
    doc.append(reference, Node::Element(ds("DigestMethod").with_attr("Algorithm", digest.uri())));
    let dv = doc.append(reference, Node::Element(ds("DigestValue")));
    doc.append(dv, Node::Text(encode_base64(&digest_value)));

    let si_c14n = canonicalize(doc, signed_info, None, &[])?;
    let value = sign_value(key, algorithm, &si_c14n)?;
    let sv = doc.append(signature, Node::Element(ds("SignatureValue")));
    doc.append(sv, Node::Text(encode_base64(&value)));
    if let Some(der) = key.cert.as_ref().and_then(|c| c.to_der().ok()) {
        let ki = doc.append(signature, Node::Element(ds("KeyInfo")));
        let xd = doc.append(ki, Node::Element(ds("X509Data")));
        let xc = doc.append(xd, Node::Element(ds("X509Certificate")));
        doc.append(xc, Node::Text(encode_base64(&der)));
    }
    Ok(signature)
}

fn sign_value(key: &PrivateKey, algorithm: SignatureAlgorithm, data: &[u8]) -> Result<Vec<u8>, DsigError> {
    let md = algorithm.digest().md();
    let fail = |_| DsigError::Signing("openssl signer");
    let mut s = Signer::new(md, &key.key).map_err(fail)?;
    if algorithm.is_rsa() {
        s.set_rsa_padding(Padding::PKCS1_PSS).map_err(fail)?;
        s.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).map_err(fail)?;
        s.set_rsa_mgf1_md(md).map_err(fail)?;
        return s.sign_oneshot_to_vec(data).map_err(fail);
    }
    let der = s.sign_oneshot_to_vec(data).map_err(fail)?;
    let ec = key.key.ec_key().map_err(fail)?;
    let bits = usize::try_from(ec.group().degree()).map_err(|_| DsigError::Signing("curve"))?;
    der_to_raw(&der, bits.div_ceil(8)).ok_or(DsigError::Signing("ECDSA signature encoding"))
}

#[cfg(test)]
mod tests;
