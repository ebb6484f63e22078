//! Reading a proxy service's metadata: one `EntityDescriptor`, or an `EntitiesDescriptor`
//! aggregate (nested groups allowed), verified against the country's trust anchors
//! (xmlsec-profile 14) and read only through the verified element (xmlsec-profile 15).
//!
//! It must not trust anything outside the verified element: the `validUntil` and
//! `cacheDuration` of unsigned enclosing groups can only shorten an entity's life.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::{
    AlgorithmSupport, MetadataCert, MetadataError, MetadataOptions, ParsedMetadata, ProxyServiceMetadata,
    SkippedEntity, ATTR_APPLICATION_IDENTIFIER, ATTR_ASSURANCE_CERTIFICATION, ATTR_ENTITY_CATEGORY,
    ATTR_PROTOCOL_VERSION, BINDING_POST, BINDING_REDIRECT, CATEGORY_REQUESTER_ID,
};
use crate::saml::{CountryCode, LevelOfAssurance, NS_ALG, NS_EIDAS, NS_MD, NS_MDATTR, NS_SAML, NS_SAMLP};
use crate::xmlsec::dom::{Document, Limits, NodeId};
use crate::xmlsec::dsig::{verify_element, SignaturePolicy};
use crate::xmlsec::keys::{CertValidity, DigestAlgorithm, SignatureAlgorithm, TrustedCert};
use crate::xmlsec::NS_DS;

/// Verifies and reads proxy-service metadata.
///
/// `trust` holds the metadata-signing anchor(s) configured for the country (IA 6.3), never
/// keys taken from the document. For an aggregate, entities that fail are left out (see
/// [`parse_proxy_metadata_detailed`] for the reasons); if none is left, the first reason is
/// returned.
///
/// # Security
/// Select the entity you need by `entity_id` (the configured metadata URL) from the result;
/// an aggregate may list proxy services of other countries.
pub fn parse_proxy_metadata(
    xml: &[u8],
    trust: &[TrustedCert],
    now: OffsetDateTime,
    opts: &MetadataOptions,
) -> Result<Vec<ProxyServiceMetadata>, MetadataError> {
    parse_proxy_metadata_detailed(xml, trust, now, opts).map(|p| p.entities)
}

/// Like [`parse_proxy_metadata`], also returning the entities of an aggregate that were left
/// out and why.
pub fn parse_proxy_metadata_detailed(
    xml: &[u8],
    trust: &[TrustedCert],
    now: OffsetDateTime,
    opts: &MetadataOptions,
) -> Result<ParsedMetadata, MetadataError> {
    // xmlsec-profile 1–5: one hardened parse feeds verification and extraction.
    let doc = Document::parse(xml, &Limits::metadata()).map_err(MetadataError::Xml)?;
    let root = doc.root();
    let policy = SignaturePolicy { keys: opts.key_policy(), allow_whole_document_reference: true };
    let mut walk = Walk { doc: &doc, trust, now, opts, policy, next_position: 0, out: ParsedMetadata::default() };

    // SAML Metadata 2.3: the document element is an EntityDescriptor or an EntitiesDescriptor.
    if doc.is(root, NS_MD, "EntityDescriptor") {
        let entity = walk.entity(root, Validity::default(), &Coverage::Unsigned)?;
        return Ok(ParsedMetadata { entities: vec![entity], skipped: Vec::new() });
    }
    if !doc.is(root, NS_MD, "EntitiesDescriptor") {
        return Err(MetadataError::NotMetadata);
    }
    let (top, coverage) = if doc.first_child_named(root, NS_DS, "Signature").is_some() {
        // xmlsec-profile 14; eIDAS IA 6.3: a signed aggregate must verify as a whole.
        let (node, anchor) = walk.verify(root)?;
        (node, Coverage::Verified(anchor))
    } else {
        // Unsigned aggregate: each entity must carry its own signature.
        (root, Coverage::Unsigned)
    };
    let validity = Validity::of(&doc, top)?;
    // SAML Metadata 2.3.1: an expired group invalidates everything in it.
    if let Some(valid_until) = validity.valid_until.filter(|v| now >= *v) {
        return Err(MetadataError::Expired { valid_until });
    }
    walk.group(top, validity, &coverage)?;
    if walk.out.entities.is_empty() {
        return Err(match walk.out.skipped.into_iter().next() {
            Some(s) => s.error,
            None => MetadataError::Malformed("EntitiesDescriptor without EntityDescriptor"),
        });
    }
    Ok(walk.out)
}

/// Whether an enclosing signature covers a subtree.
#[derive(Debug, Clone)]
enum Coverage {
    /// An enclosing element's signature verified, with an anchor of this validity.
    Verified(CertValidity),
    /// No enclosing signature: each entity needs its own.
    Unsigned,
    /// An enclosing signature was refused, or an enclosing group expired.
    Refused(MetadataError),
}

/// `validUntil` and `cacheDuration` along the path to an entity (SAML Metadata 2.3.1:
/// the shortest applies).
#[derive(Debug, Clone, Copy, Default)]
struct Validity {
    valid_until: Option<OffsetDateTime>,
    cache_duration: Option<Duration>,
}

impl Validity {
    fn of(doc: &Document, node: NodeId) -> Result<Self, MetadataError> {
        let valid_until = match doc.attr(node, "validUntil") {
            Some(v) => Some(parse_instant(v).ok_or(MetadataError::Malformed("validUntil"))?),
            None => None,
        };
        let cache_duration = match doc.attr(node, "cacheDuration") {
            Some(v) => Some(parse_xsd_duration(v).ok_or(MetadataError::Malformed("cacheDuration"))?),
            None => None,
        };
        Ok(Self { valid_until, cache_duration })
    }

    fn narrow(self, inner: Self) -> Self {
        fn min<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        Self {
            valid_until: min(self.valid_until, inner.valid_until),
            cache_duration: min(self.cache_duration, inner.cache_duration),
        }
    }
}

struct Walk<'a> {
    doc: &'a Document,
    trust: &'a [TrustedCert],
    now: OffsetDateTime,
    opts: &'a MetadataOptions,
    policy: SignaturePolicy,
    next_position: usize,
    out: ParsedMetadata,
}

impl Walk<'_> {
    /// Verifies the signature of `node` against the anchors, then the validity period of the
    /// anchor that verified it.
    fn verify(&self, node: NodeId) -> Result<(NodeId, CertValidity), MetadataError> {
        let verified = verify_element(self.doc, node, self.trust, &self.policy).map_err(MetadataError::Signature)?;
        let anchor = self.trust.get(verified.signer()).ok_or(MetadataError::Malformed("trust anchor"))?;
        let validity = anchor.validity_at(self.now, self.opts.clock_skew);
        // eIDAS IA 6.3; CEF 2.9 `check.certificate.validity.period=true`: an anchor outside its
        // validity period is not trusted, unless the country's configuration relaxes it.
        if !validity.is_valid() && !self.opts.insecure_ignore_certificate_validity {
            return Err(MetadataError::TrustAnchorNotValid {
                validity,
                subject: anchor_subject(anchor),
                not_after: super::asn1_to_offset(anchor.cert.not_after()).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            });
        }
        Ok((verified.node(), validity))
    }

    fn group(&mut self, node: NodeId, inherited: Validity, coverage: &Coverage) -> Result<(), MetadataError> {
        let kids: Vec<NodeId> = self.doc.child_elements(node).collect();
        for child in kids {
            if self.doc.is(child, NS_MD, "EntityDescriptor") {
                let position = self.next_position;
                self.next_position += 1;
                match self.entity(child, inherited, coverage) {
                    Ok(mut entity) => {
                        entity.position = Some(position);
                        self.out.entities.push(entity);
                    }
                    Err(error) => self.out.skipped.push(SkippedEntity {
                        position,
                        entity_id: self.doc.attr(child, "entityID").map(str::to_owned),
                        error,
                    }),
                }
            } else if self.doc.is(child, NS_MD, "EntitiesDescriptor") {
                let validity = inherited.narrow(Validity::of(self.doc, child)?);
                let mut nested = match coverage {
                    Coverage::Unsigned if self.doc.first_child_named(child, NS_DS, "Signature").is_some() => {
                        // xmlsec-profile 10: not the document element, so only `#ID` references.
                        match self.verify(child) {
                            Ok((_, anchor)) => Coverage::Verified(anchor),
                            Err(e) => Coverage::Refused(e),
                        }
                    }
                    other => other.clone(),
                };
                if let Some(valid_until) = validity.valid_until.filter(|v| self.now >= *v) {
                    nested = Coverage::Refused(MetadataError::Expired { valid_until });
                }
                self.group(child, validity, &nested)?;
            }
        }
        Ok(())
    }

    /// Verifies (unless covered) and reads one entity.
    fn entity(
        &self,
        node: NodeId,
        inherited: Validity,
        coverage: &Coverage,
    ) -> Result<ProxyServiceMetadata, MetadataError> {
        let (node, anchor) = match coverage {
            Coverage::Verified(anchor) => (node, Some(*anchor)),
            Coverage::Refused(e) => return Err(e.clone()),
            Coverage::Unsigned => {
                if self.doc.first_child_named(node, NS_DS, "Signature").is_some() {
                    // xmlsec-profile 14: against the configured anchors only; a bad signature
                    // is refused even when unsigned metadata is tolerated.
                    let (verified, anchor) = self.verify(node)?;
                    (verified, Some(anchor))
                } else if self.opts.insecure_allow_unsigned {
                    (node, None)
                } else {
                    // eIDAS IA 6.3; eIDAS MF 1.4 (eidas-spec §6.1): metadata MUST be signed.
                    return Err(MetadataError::Unsigned);
                }
            }
        };
        let validity = inherited.narrow(Validity::of(self.doc, node)?);
        // eIDAS MF 1.4 (eidas-spec §6.1): validUntil MUST be present.
        let valid_until = validity.valid_until.ok_or(MetadataError::MissingValidUntil)?;
        // SAML Metadata 2.3.2; CEF `isValid()`.
        if self.now >= valid_until {
            return Err(MetadataError::Expired { valid_until });
        }
        let mut entity = read_entity(self.doc, node, valid_until)?;
        entity.signed = anchor.is_some();
        entity.trust_anchor_validity = anchor;
        entity.cache_duration = validity.cache_duration;
        Ok(entity)
    }
}

/// Reads a proxy service out of a verified `EntityDescriptor`.
fn read_entity(
    doc: &Document,
    node: NodeId,
    valid_until: OffsetDateTime,
) -> Result<ProxyServiceMetadata, MetadataError> {
    // eIDAS MF 1.4 (eidas-spec §6.1): entityID is the metadata URL.
    let entity_id = doc
        .attr(node, "entityID")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(MetadataError::Malformed("entityID"))?
        .to_owned();
    // eIDAS MF 1.4 (eidas-spec §6.1): a proxy service publishes a SAML 2.0 IDPSSODescriptor.
    let idp = doc
        .children_named(node, NS_MD, "IDPSSODescriptor")
        .find(|d| {
            doc.attr(*d, "protocolSupportEnumeration")
                .is_some_and(|p| p.split_ascii_whitespace().any(|x| x == NS_SAMLP))
        })
        .ok_or(MetadataError::NoIdp)?;
    let entity_ext = doc.first_child_named(node, NS_MD, "Extensions");
    let idp_ext = doc.first_child_named(idp, NS_MD, "Extensions");

    let mut e = ProxyServiceMetadata {
        entity_id,
        position: None,
        signed: false,
        node_country: None,
        sso_post_url: None,
        sso_redirect_url: None,
        signing_certs: Vec::new(),
        encryption_certs: Vec::new(),
        want_authn_requests_signed: matches!(
            doc.attr(idp, "WantAuthnRequestsSigned").map(str::trim),
            Some("true" | "1")
        ),
        levels_of_assurance: Vec::new(),
        unrecognized_loa: Vec::new(),
        supported_attributes: Vec::new(),
        protocol_versions: Vec::new(),
        application_identifier: None,
        requester_id_flag: false,
        signing_methods: Vec::new(),
        digest_methods: Vec::new(),
        encryption_methods: Vec::new(),
        name_id_formats: Vec::new(),
        valid_until,
        cache_duration: None,
        trust_anchor_validity: None,
    };

    // eIDAS MF 1.4 (eidas-spec §6.1): entity attributes in the entity's md:Extensions.
    for (name, values) in entity_attributes(doc, entity_ext)? {
        match name.as_str() {
            ATTR_PROTOCOL_VERSION => values.into_iter().for_each(|v| push_unique(&mut e.protocol_versions, v)),
            ATTR_APPLICATION_IDENTIFIER if e.application_identifier.is_none() => {
                e.application_identifier = values.into_iter().next();
            }
            ATTR_ASSURANCE_CERTIFICATION => {
                for v in values {
                    // eIDAS MF 1.4 §3.1; eidas-spec §4: only the three notified URIs count.
                    match LevelOfAssurance::from_uri(&v) {
                        Some(l) if !e.levels_of_assurance.contains(&l) => e.levels_of_assurance.push(l),
                        Some(_) => {}
                        None => push_unique(&mut e.unrecognized_loa, v),
                    }
                }
            }
            ATTR_ENTITY_CATEGORY if values.iter().any(|v| v == CATEGORY_REQUESTER_ID) => {
                e.requester_id_flag = true;
            }
            _ => {}
        }
    }
    e.levels_of_assurance.sort();

    // eIDAS MF 1.4 (eidas-spec §6.1): NodeCountry belongs to the role descriptor's md:Extensions; some
    // publishers put it in the entity's.
    let country =
        [idp_ext, entity_ext].into_iter().flatten().find_map(|ext| doc.first_child_named(ext, NS_EIDAS, "NodeCountry"));
    if let Some(c) = country {
        let text = doc.simple_text(c).map_err(MetadataError::Xml)?;
        e.node_country = Some(CountryCode::parse(text.trim()).ok_or(MetadataError::Malformed("NodeCountry"))?);
    }

    // SAML2AlgSup: in the entity's or the role's md:Extensions.
    for ext in [entity_ext, idp_ext].into_iter().flatten() {
        for m in doc.children_named(ext, NS_ALG, "SigningMethod") {
            let a = algorithm_support(doc, m)?;
            let allowed = SignatureAlgorithm::from_uri(&a.algorithm).is_some();
            push_unique(&mut e.signing_methods, AlgorithmSupport { allowed, ..a });
        }
        for m in doc.children_named(ext, NS_ALG, "DigestMethod") {
            let a = algorithm_support(doc, m)?;
            let allowed = DigestAlgorithm::from_uri(&a.algorithm).is_some_and(DigestAlgorithm::is_strong);
            push_unique(&mut e.digest_methods, AlgorithmSupport { allowed, ..a });
        }
    }

    // eIDAS MF 1.4 (eidas-spec §6.1): KeyDescriptor with use; SAML Metadata 2.4.1.1: no use = both.
    for kd in doc.children_named(idp, NS_MD, "KeyDescriptor") {
        let (signing, encryption) = match doc.attr(kd, "use").map(str::trim) {
            Some("signing") => (true, false),
            Some("encryption") => (false, true),
            None => (true, true),
            Some(_) => return Err(MetadataError::Malformed("KeyDescriptor use")),
        };
        for cert in key_descriptor_certs(doc, kd)? {
            if signing {
                e.signing_certs.push(MetadataCert::new(cert.clone()));
            }
            if encryption {
                e.encryption_certs.push(MetadataCert::new(cert));
            }
        }
        if encryption {
            for m in doc.children_named(kd, NS_MD, "EncryptionMethod") {
                if let Some(a) = doc.attr(m, "Algorithm") {
                    push_unique(&mut e.encryption_methods, a.trim().to_owned());
                }
            }
        }
    }
    // eidas-spec fact 12: without a signing certificate no Response can ever be accepted.
    if e.signing_certs.is_empty() {
        return Err(MetadataError::Malformed("no signing certificate"));
    }

    for f in doc.children_named(idp, NS_MD, "NameIDFormat") {
        let text = doc.simple_text(f).map_err(MetadataError::Xml)?;
        push_unique(&mut e.name_id_formats, text.trim().to_owned());
    }
    for s in doc.children_named(idp, NS_MD, "SingleSignOnService") {
        let location = doc.attr(s, "Location").map(|l| l.trim().to_owned());
        match doc.attr(s, "Binding") {
            Some(BINDING_POST) if e.sso_post_url.is_none() => e.sso_post_url = location,
            Some(BINDING_REDIRECT) if e.sso_redirect_url.is_none() => e.sso_redirect_url = location,
            _ => {}
        }
    }
    // eIDAS MF 1.4 (eidas-spec §6.1): every supported attribute is a saml2:Attribute child of IDPSSODescriptor.
    for a in doc.children_named(idp, NS_SAML, "Attribute") {
        if let Some(name) = doc.attr(a, "Name") {
            push_unique(&mut e.supported_attributes, name.trim().to_owned());
        }
    }
    Ok(e)
}

/// `(Name, [values])` of each `mdattr:EntityAttributes/saml2:Attribute`.
fn entity_attributes(doc: &Document, ext: Option<NodeId>) -> Result<Vec<(String, Vec<String>)>, MetadataError> {
    let mut out = Vec::new();
    let Some(ext) = ext else { return Ok(out) };
    for group in doc.children_named(ext, NS_MDATTR, "EntityAttributes") {
        for a in doc.children_named(group, NS_SAML, "Attribute") {
            let Some(name) = doc.attr(a, "Name") else {
                continue;
            };
            let mut values = Vec::new();
            for v in doc.children_named(a, NS_SAML, "AttributeValue") {
                // xmlsec-profile 21: all text nodes, and no elements or comments inside.
                values.push(doc.simple_text(v).map_err(MetadataError::Xml)?.trim().to_owned());
            }
            out.push((name.trim().to_owned(), values));
        }
    }
    Ok(out)
}

fn algorithm_support(doc: &Document, m: NodeId) -> Result<AlgorithmSupport, MetadataError> {
    let algorithm = doc.attr(m, "Algorithm").ok_or(MetadataError::Malformed("alg:* without Algorithm"))?;
    let size = |name: &'static str| -> Result<Option<u32>, MetadataError> {
        doc.attr(m, name).map(|v| v.trim().parse::<u32>().map_err(|_| MetadataError::Malformed(name))).transpose()
    };
    Ok(AlgorithmSupport {
        algorithm: algorithm.trim().to_owned(),
        min_key_size: size("MinKeySize")?,
        max_key_size: size("MaxKeySize")?,
        allowed: false,
    })
}

/// The `ds:X509Certificate`s of a KeyDescriptor's `ds:KeyInfo/ds:X509Data`.
fn key_descriptor_certs(doc: &Document, kd: NodeId) -> Result<Vec<TrustedCert>, MetadataError> {
    let mut out = Vec::new();
    for ki in doc.children_named(kd, NS_DS, "KeyInfo") {
        for xd in doc.children_named(ki, NS_DS, "X509Data") {
            for xc in doc.children_named(xd, NS_DS, "X509Certificate") {
                let text = doc.simple_text(xc).map_err(MetadataError::Xml)?;
                out.push(TrustedCert::from_base64_der(&text).map_err(|_| MetadataError::Malformed("X509Certificate"))?);
            }
        }
    }
    Ok(out)
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Parses an `xsd:dateTime`; SAML times are UTC, so a value without a zone is read as UTC.
fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).ok())
}

/// Parses a non-negative `xsd:duration` such as `PT1H`, `P1D`, `PT20M`, `P1DT12H`,
/// `PT0.5S`. Years count 365 days and months 30 days (a cache hint needs no calendar).
/// `None` for anything else, negative durations included.
pub fn parse_xsd_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return None,
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut parts = components(date, &[('Y', 365 * 86_400), ('M', 30 * 86_400), ('D', 86_400)])?;
    parts.extend(components(time, &[('H', 3600), ('M', 60), ('S', 1)])?);
    if parts.is_empty() {
        return None;
    }
    let mut secs: i64 = 0;
    let mut nanos: i64 = 0;
    for (n, unit, fraction) in parts {
        secs = secs.checked_add(n.checked_mul(unit)?)?;
        nanos += fraction;
    }
    Some(Duration::seconds(secs) + Duration::nanoseconds(nanos))
}

/// Splits `12H30.5S` into `[(12, 3600, 0), (30, 1, 500_000_000)]`: designators in the order
/// given, each at most once; only seconds may have a fraction (at most 9 digits).
fn components(s: &str, units: &[(char, i64)]) -> Option<Vec<(i64, i64, i64)>> {
    let mut out = Vec::new();
    let mut rest = s;
    let mut allowed = units.iter();
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, tail) = rest.split_at(end);
        let mut chars = tail.chars();
        let designator = chars.next()?;
        let (_, unit) = allowed.by_ref().find(|(d, _)| *d == designator)?;
        let (whole, fraction) = match number.split_once('.') {
            None => (number, 0),
            Some((w, f))
                if designator == 'S' && (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (w, format!("{f:0<9}").parse().ok()?)
            }
            Some(_) => return None,
        };
        if whole.is_empty() || whole.len() > 12 {
            return None;
        }
        out.push((whole.parse().ok()?, *unit, fraction));
        rest = chars.as_str();
    }
    Some(out)
}

#[cfg(test)]
mod interop_tests;
#[cfg(test)]
mod tests;

fn anchor_subject(anchor: &TrustedCert) -> String {
    super::MetadataCert::new(anchor.clone()).subject
}
