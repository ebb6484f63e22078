//! Which `EncryptedKey`, and which of our keys (xmlsec-profile 26; attacks.md E8; eidas-spec
//! fact 27; issue 6).
//!
//! The EncryptedKeys are taken only from `EncryptedData/ds:KeyInfo` or as siblings of the
//! `EncryptedData` (the SAML `EncryptedAssertion` allows both), at most two (key rollover). The
//! only `ds:RetrievalMethod` is SAML Core's: in `EncryptedData/ds:KeyInfo`, a same-document
//! `#id` naming one of those siblings; it is checked, never fetched. The private key is the
//! one the EncryptedKey names by certificate, `DEREncodedKeyValue` or `KeyValue`; it is chosen
//! before any private-key operation and no other key is tried, so an attacker cannot make us
//! spend one RSA operation per key we hold.

use openssl::bn::BigNumContext;
use openssl::ec::PointConversionForm;
use openssl::pkey::{Id, PKey};
use openssl::x509::X509;

use super::{agreement, opt_child, EncError, ParsedKey};
use crate::xmlsec::dom::{Document, NodeId};
use crate::xmlsec::keys::{same_public_key, PrivateKey};
use crate::xmlsec::{decode_base64, NS_DS, NS_DSIG11, NS_XENC};

/// attacks.md E8: one EncryptedKey, two during a key rollover.
const MAX_ENCRYPTED_KEYS: usize = 2;
/// The `RetrievalMethod/@Type` of an EncryptedKey (XMLEnc 1.0 §3.5.1).
const TYPE_ENCRYPTED_KEY: &str = "http://www.w3.org/2001/04/xmlenc#EncryptedKey";

/// xmlsec-profile 26; attacks.md E8: the EncryptedKeys in `EncryptedData/ds:KeyInfo` and as
/// siblings in `container`, at most [`MAX_ENCRYPTED_KEYS`]. A `ds:RetrievalMethod` is allowed
/// only as [`check_retrieval_method`] says, and nowhere else.
pub(super) fn encrypted_keys(doc: &Document, data: NodeId, container: Option<NodeId>) -> Result<Vec<NodeId>, EncError> {
    let mut found = Vec::new();
    let mut retrieval = None;
    if let Some(key_info) = opt_child(doc, data, NS_DS, "KeyInfo")? {
        found.extend(doc.children_named(key_info, NS_XENC, "EncryptedKey"));
        // Two RetrievalMethods are refused here (opt_child): one key reference at most.
        retrieval = opt_child(doc, key_info, NS_DS, "RetrievalMethod")?;
    }
    if let Some(c) = container {
        found.extend(doc.children_named(c, NS_XENC, "EncryptedKey"));
    }
    if found.is_empty() || found.len() > MAX_ENCRYPTED_KEYS {
        return Err(EncError::Structure);
    }
    if let Some(r) = retrieval {
        check_retrieval_method(doc, r, container)?;
    }
    // attacks.md E8: no RetrievalMethod inside an EncryptedKey or deeper in the EncryptedData.
    for root in found.iter().chain(std::iter::once(&data)) {
        if contains_element_other_than(doc, *root, NS_DS, "RetrievalMethod", retrieval) {
            return Err(EncError::Structure);
        }
    }
    Ok(found)
}

/// SAML Core 2.2.4 (the `EncryptedElementType` example, also the shape of `EncryptedAssertion`):
/// `RetrievalMethod Type="…xmlenc#EncryptedKey" URI="#id"` with no `ds:Transforms`, where `id`
/// is the `Id` of an `xenc:EncryptedKey` child of `container`, i.e. a sibling of the
/// EncryptedData. External, empty or other references, other types and transforms are
/// [`EncError::Structure`]; the target is already one of the candidate EncryptedKeys, so
/// nothing is fetched and no new candidate appears.
fn check_retrieval_method(doc: &Document, retrieval: NodeId, container: Option<NodeId>) -> Result<(), EncError> {
    // XMLDSig §4.5.3: Type says what the URI points to; we follow only EncryptedKey.
    if doc.attr(retrieval, "Type") != Some(TYPE_ENCRYPTED_KEY) {
        return Err(EncError::Structure);
    }
    // attacks.md E8: no transform chain (XPath, XSLT, base64) over the target.
    if doc.child_elements(retrieval).next().is_some() {
        return Err(EncError::Structure);
    }
    // A same-document bare-name reference only: no external, empty or XPointer URI.
    let id = doc
        .attr(retrieval, "URI")
        .and_then(|uri| uri.strip_prefix('#'))
        .filter(|id| !id.is_empty())
        .ok_or(EncError::Structure)?;
    let target = doc.find_id(id).ok_or(EncError::Structure)?;
    // attacks.md E8: the target is an EncryptedKey beside the EncryptedData, not elsewhere.
    if !doc.is(target, NS_XENC, "EncryptedKey") || container.is_none() || doc.parent(target) != container {
        return Err(EncError::Structure);
    }
    Ok(())
}

/// The first EncryptedKey (document order) that names one of `keys`, and that key.
pub(super) fn select_key<'p, 'k>(
    doc: &Document,
    parsed: &'p [ParsedKey],
    keys: &'k [PrivateKey],
) -> Result<(&'p ParsedKey, &'k PrivateKey), EncError> {
    for candidate in parsed {
        if let Some(key) = named_key(doc, candidate.names, keys)? {
            return Ok((candidate, key));
        }
    }
    Err(EncError::KeyNotFound)
}

/// The first of `keys` whose public key `key_info` names by `ds:X509Data/ds:X509Certificate`,
/// `dsig11:DEREncodedKeyValue` or `ds:KeyValue` (`ds:RSAKeyValue`, `dsig11:ECKeyValue`).
///
/// Issue 6: `KeyValue` names a key too. eIDAS-Node 2.9 refuses a KeyInfo holding only a
/// KeyValue ("No public key or certificate found"), yet its own
/// `rsa-keyValues-encryptedAssertion` sample is such a message; a public key matched against
/// ours names it as exactly as a certificate does, and it is still matched before any
/// private-key operation.
fn named_key<'k>(
    doc: &Document,
    key_info: Option<NodeId>,
    keys: &'k [PrivateKey],
) -> Result<Option<&'k PrivateKey>, EncError> {
    let Some(key_info) = key_info else {
        return Ok(None);
    };
    let mut named = Vec::new();
    for x509_data in doc.children_named(key_info, NS_DS, "X509Data") {
        for cert in doc.children_named(x509_data, NS_DS, "X509Certificate") {
            let der = decode_base64(&doc.simple_text(cert)?)?;
            // Fast path: our own certificate, byte for byte (no key decoding).
            let ours = keys.iter().find(|k| k.cert.as_ref().and_then(|c| c.to_der().ok()).is_some_and(|d| d == der));
            if let Some(k) = ours {
                return Ok(Some(k));
            }
            if let Ok(key) = X509::from_der(&der).and_then(|c| c.public_key()) {
                named.push(key);
            }
        }
    }
    for value in doc.children_named(key_info, NS_DSIG11, "DEREncodedKeyValue") {
        let der = decode_base64(&doc.simple_text(value)?)?;
        if let Ok(key) = PKey::public_key_from_der(&der) {
            named.push(key);
        }
    }
    if let Some(k) = keys.iter().find(|k| named.iter().any(|n| same_public_key(&k.key, n))) {
        return Ok(Some(k));
    }
    for key_value in doc.children_named(key_info, NS_DS, "KeyValue") {
        if let Some(k) = key_value_names(doc, key_value, keys)? {
            return Ok(Some(k));
        }
    }
    Ok(None)
}

/// The first of `keys` that the `ds:KeyValue` `key_value` spells out. The values are compared
/// with ours as bytes, so nothing from the message is turned into a key.
fn key_value_names<'k>(
    doc: &Document,
    key_value: NodeId,
    keys: &'k [PrivateKey],
) -> Result<Option<&'k PrivateKey>, EncError> {
    // XMLDSig §4.5.2.2: Modulus and Exponent, base64 of the big-endian unsigned integers.
    for rsa in doc.children_named(key_value, NS_DS, "RSAKeyValue") {
        let (Some(modulus), Some(exponent)) =
            (doc.first_child_named(rsa, NS_DS, "Modulus"), doc.first_child_named(rsa, NS_DS, "Exponent"))
        else {
            continue;
        };
        let modulus = decode_base64(&doc.simple_text(modulus)?)?;
        let exponent = decode_base64(&doc.simple_text(exponent)?)?;
        let found = keys.iter().find(|k| {
            k.key.rsa().is_ok_and(|ours| {
                unsigned(&ours.n().to_vec()) == unsigned(&modulus)
                    && unsigned(&ours.e().to_vec()) == unsigned(&exponent)
            })
        });
        if found.is_some() {
            return Ok(found);
        }
    }
    // XMLDSig 1.1 §4.5.2.3: NamedCurve URI and PublicKey, the uncompressed point.
    for ec in doc.children_named(key_value, NS_DSIG11, "ECKeyValue") {
        let (Some(curve), Some(point)) =
            (doc.first_child_named(ec, NS_DSIG11, "NamedCurve"), doc.first_child_named(ec, NS_DSIG11, "PublicKey"))
        else {
            continue;
        };
        let Some(curve) = doc.attr(curve, "URI") else { continue };
        let point = decode_base64(&doc.simple_text(point)?)?;
        let found = keys.iter().find(|k| ec_key_value(k).is_some_and(|(uri, ours)| uri == curve && ours == point));
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The named-curve URI and uncompressed public point of an EC key of ours.
fn ec_key_value(key: &PrivateKey) -> Option<(&'static str, Vec<u8>)> {
    if key.key.id() != Id::EC {
        return None;
    }
    let ec = key.key.ec_key().ok()?;
    let uri = agreement::curve_uri(ec.group().curve_name()?)?;
    let mut ctx = BigNumContext::new().ok()?;
    let point = ec.public_key().to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx).ok()?;
    Some((uri, point))
}

/// A big-endian unsigned integer without its leading zero bytes (a ds:CryptoBinary may keep one).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

/// True when the subtree at `root` holds an element `{ns}local` other than `except`.
fn contains_element_other_than(doc: &Document, root: NodeId, ns: &str, local: &str, except: Option<NodeId>) -> bool {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if doc.is(n, ns, local) && Some(n) != except {
            return true;
        }
        stack.extend(doc.child_elements(n));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::dom::{Element, Node};
    use openssl::nid::Nid;

    use crate::xmlsec::keys::KeyPolicy;
    use crate::xmlsec::serialize::subtree_to_xml;
    use crate::xmlsec::xmlenc::tests::*;
    use crate::xmlsec::xmlenc::*;

    #[test]
    fn decrypt_finds_sibling_encrypted_key_in_encrypted_assertion() {
        let xml = edit_tree(&rsa_doc(), |doc| {
            let key = find(doc, NS_XENC, "EncryptedKey").unwrap();
            let key_info = doc.parent(key).unwrap();
            let copy = doc.clone();
            graft(doc, encrypted_assertion(&copy), &copy, key);
            doc.detach(key_info);
        });
        assert_eq!(
            parse_doc(&xml).children_named(encrypted_assertion(&parse_doc(&xml)), NS_XENC, "EncryptedKey").count(),
            1
        );
        assert!(decrypt(&xml, &[rsa(0).private()]).is_ok());
    }

    #[test]
    fn decrypt_selects_the_named_key_during_rollover() {
        // Two EncryptedKeys for the same CEK: the first for a key we do not hold, the second for ours.
        let cek = [7u8; 32];
        let old =
            encrypted_data_with_cek(b"<x/>", &cek, &rsa(1).trusted(), ContentAlgorithm::Aes256Gcm, OAEP_256).unwrap();
        let new =
            encrypted_data_with_cek(b"<x/>", &cek, &p256().trusted(), ContentAlgorithm::Aes256Gcm, OAEP_256).unwrap();
        let xml = format!("<e:EA xmlns:e=\"urn:e\">{}</e:EA>", subtree_to_xml(&old, old.root()));
        let xml = edit_tree(&xml, |doc| graft(doc, doc.root(), &new, find(&new, NS_XENC, "EncryptedKey").unwrap()));
        let doc = parse_doc(&xml);
        let keys = [rsa(0).private(), p256().private()];
        assert_eq!(decrypt_bytes(&doc, doc.root(), &keys, &DecryptionPolicy::default()).unwrap(), b"<x/>");
    }

    #[test]
    fn decrypt_identifies_key_by_der_encoded_key_value() {
        for (party, xml) in [(rsa(0), rsa_doc()), (p256(), ec_doc())] {
            let xml = edit_tree(&xml, |doc| {
                let key_info = naming_key_info(doc);
                let x509_data = doc.first_child_named(key_info, NS_DS, "X509Data").unwrap();
                doc.detach(x509_data);
                let der = party.private().public_der();
                let value = Element::new(Some(NS_DSIG11), Some("dsig11"), "DEREncodedKeyValue")
                    .with_ns(Some("dsig11"), NS_DSIG11);
                append_text_element(doc, key_info, value, encode_base64(&der));
            });
            assert!(decrypt(&xml, &[rsa(1).private(), party.private()]).is_ok());
        }
    }

    #[test]
    fn decrypt_rejects_more_than_two_encrypted_keys() {
        // attacks.md E8: one inline and two siblings.
        let xml = edit_tree(&rsa_doc(), |doc| {
            let key = find(doc, NS_XENC, "EncryptedKey").unwrap();
            let copy = doc.clone();
            let ea = encrypted_assertion(&copy);
            graft(doc, ea, &copy, key);
            graft(doc, ea, &copy, key);
        });
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
    }

    #[test]
    fn decrypt_rejects_missing_encrypted_key() {
        let xml = edit_tree(&rsa_doc(), |doc| {
            let key = find(doc, NS_XENC, "EncryptedKey").unwrap();
            doc.detach(key);
        });
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
    }

    /// `rsa_doc()` with its EncryptedKey moved beside the EncryptedData as `Id="_ek"`, and
    /// `key_info` (XML, `ds`/`xenc` prefixes in scope) as the EncryptedData's KeyInfo content.
    fn with_sibling_key(key_info: &str) -> String {
        let xml = edit_tree(&rsa_doc(), |doc| {
            let key = find(doc, NS_XENC, "EncryptedKey").unwrap();
            let copy = doc.clone();
            let ea = encrypted_assertion(&copy);
            graft(doc, ea, &copy, key);
            let sibling = doc.children_named(ea, NS_XENC, "EncryptedKey").next().unwrap();
            doc.element_mut(sibling).unwrap().set_attr("Id", "_ek");
            doc.detach(key);
        });
        edit(&xml, "<ds:KeyInfo/>", &format!("<ds:KeyInfo>{key_info}</ds:KeyInfo>"))
    }

    const TO_SIBLING: &str =
        r##"<ds:RetrievalMethod Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey" URI="#_ek"/>"##;

    #[test]
    fn decrypt_follows_retrieval_method_to_a_sibling_encrypted_key() {
        // SAML Core 2.2.4's shape.
        let xml = with_sibling_key(TO_SIBLING);
        assert_eq!(parse_doc(&xml).find_id("_ek").map(|k| parse_doc(&xml).is(k, NS_XENC, "EncryptedKey")), Some(true));
        assert!(decrypt(&xml, &[rsa(1).private(), rsa(0).private()]).is_ok());
    }

    #[test]
    fn decrypt_rejects_retrieval_method_other_than_a_pointer_to_a_sibling() {
        let ty = "http://www.w3.org/2001/04/xmlenc#EncryptedKey";
        for (what, retrieval) in [
            ("external URI", format!(r#"<ds:RetrievalMethod Type="{ty}" URI="https://attacker.example/k.xml"/>"#)),
            ("empty URI", format!(r#"<ds:RetrievalMethod Type="{ty}" URI=""/>"#)),
            ("bare #", format!(r##"<ds:RetrievalMethod Type="{ty}" URI="#"/>"##)),
            ("no URI", format!(r#"<ds:RetrievalMethod Type="{ty}"/>"#)),
            ("unknown id", format!(r##"<ds:RetrievalMethod Type="{ty}" URI="#_nothing"/>"##)),
            ("xpointer", format!(r##"<ds:RetrievalMethod Type="{ty}" URI="#xpointer(id('_ek'))"/>"##)),
            ("the Response", format!(r##"<ds:RetrievalMethod Type="{ty}" URI="#_r"/>"##)),
            (
                "other type",
                r##"<ds:RetrievalMethod Type="http://www.w3.org/2000/09/xmldsig#X509Data" URI="#_ek"/>"##.into(),
            ),
            ("no type", r##"<ds:RetrievalMethod URI="#_ek"/>"##.into()),
            (
                "transforms",
                format!(
                    r##"<ds:RetrievalMethod Type="{ty}" URI="#_ek"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#base64"/></ds:Transforms></ds:RetrievalMethod>"##
                ),
            ),
            ("two", format!("{TO_SIBLING}{TO_SIBLING}")),
        ] {
            let xml = with_sibling_key(&retrieval);
            assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::Structure, "{what}");
        }
    }

    #[test]
    fn decrypt_rejects_retrieval_method_to_an_encrypted_key_that_is_not_a_sibling() {
        // The target is the inline EncryptedKey (inside EncryptedData/KeyInfo), not a sibling.
        let xml = edit(&rsa_doc(), "<xenc:EncryptedKey>", "<xenc:EncryptedKey Id=\"_ek\">");
        let xml = edit(&xml, "<ds:KeyInfo><xenc:EncryptedKey", &format!("<ds:KeyInfo>{TO_SIBLING}<xenc:EncryptedKey"));
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
        // The target is an EncryptedKey outside the EncryptedAssertion (a child of the
        // Response), while the sibling would decrypt.
        let xml = edit_tree(&with_sibling_key(&TO_SIBLING.replace("#_ek", "#_out")), |doc| {
            let copy = doc.clone();
            graft(doc, copy.root(), &copy, copy.find_id("_ek").unwrap());
            let outside = doc.children_named(doc.root(), NS_XENC, "EncryptedKey").next().unwrap();
            doc.element_mut(outside).unwrap().set_attr("Id", "_out");
        });
        let doc = parse_doc(&xml);
        assert_eq!(doc.find_id("_out").and_then(|k| doc.parent(k)), Some(doc.root()));
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
        assert!(decrypt(&xml.replace("#_out", "#_ek"), &[rsa(0).private()]).is_ok());
    }

    #[test]
    fn decrypt_rejects_retrieval_method_inside_the_encrypted_key() {
        let inner = edit(&rsa_doc(), "<ds:KeyInfo><ds:X509Data>", &format!("<ds:KeyInfo>{TO_SIBLING}<ds:X509Data>"));
        assert_eq!(decrypt(&inner, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
        let beside = with_sibling_key(TO_SIBLING);
        let nested = edit(&beside, "<ds:X509Data>", &format!("{TO_SIBLING}<ds:X509Data>"));
        assert_eq!(decrypt(&nested, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
    }

    #[test]
    fn decrypt_reports_key_not_found_when_key_info_names_another_key() {
        assert_eq!(decrypt(&rsa_doc(), &[rsa(1).private(), p256().private()]).unwrap_err(), EncError::KeyNotFound);
        assert_eq!(
            decrypt(&ec_doc(), &[rsa(0).private(), Party::ec(Nid::X9_62_PRIME256V1).private()]).unwrap_err(),
            EncError::KeyNotFound
        );
    }

    #[test]
    fn decrypt_reports_key_not_found_when_no_key_is_named() {
        for xml in [rsa_doc(), ec_doc()] {
            let keys = [rsa(0).private(), p256().private()];
            let absent = edit_tree(&xml, |doc| {
                let key_info = naming_key_info(doc);
                doc.detach(key_info);
            });
            assert_eq!(decrypt(&absent, &keys).unwrap_err(), EncError::KeyNotFound);
            let empty = edit_tree(&xml, |doc| {
                let x509_data = doc.first_child_named(naming_key_info(doc), NS_DS, "X509Data").unwrap();
                doc.detach(x509_data);
            });
            assert_eq!(decrypt(&empty, &keys).unwrap_err(), EncError::KeyNotFound);
        }
    }

    /// `xml` whose naming KeyInfo holds only `ds:KeyValue` (built by `value`), no X509Data.
    fn named_by_key_value(xml: &str, value: impl FnOnce(&mut Document, NodeId)) -> String {
        edit_tree(xml, |doc| {
            let key_info = naming_key_info(doc);
            let x509_data = doc.first_child_named(key_info, NS_DS, "X509Data").unwrap();
            doc.detach(x509_data);
            let key_value = doc.append(key_info, Node::Element(ds("KeyValue")));
            value(doc, key_value);
        })
    }

    fn rsa_key_value(doc: &mut Document, key_value: NodeId, modulus: &[u8], exponent: &[u8]) {
        let rsa_value = doc.append(key_value, Node::Element(ds("RSAKeyValue")));
        append_text_element(doc, rsa_value, ds("Modulus"), encode_base64(modulus));
        append_text_element(doc, rsa_value, ds("Exponent"), encode_base64(exponent));
    }

    fn ec_key_value(doc: &mut Document, key_value: NodeId, curve: &str, point: &[u8]) {
        let dsig11 = |local| Element::new(Some(NS_DSIG11), Some("dsig11"), local);
        let ec = doc.append(key_value, Node::Element(dsig11("ECKeyValue").with_ns(Some("dsig11"), NS_DSIG11)));
        doc.append(ec, Node::Element(dsig11("NamedCurve").with_attr("URI", curve)));
        append_text_element(doc, ec, dsig11("PublicKey"), encode_base64(point));
    }

    fn point(party: &Party) -> Vec<u8> {
        let ec = party.key.ec_key().unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        ec.public_key().to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx).unwrap()
    }

    const P256_URI: &str = "urn:oid:1.2.840.10045.3.1.7";

    #[test]
    fn decrypt_identifies_key_by_rsa_key_value() {
        // Issue 6 (the reference node's rsa-keyValues sample): RSAKeyValue names our key.
        let ours = rsa(0).key.rsa().unwrap();
        let (n, e) = (ours.n().to_vec(), ours.e().to_vec());
        let xml = named_by_key_value(&rsa_doc(), |doc, kv| rsa_key_value(doc, kv, &n, &e));
        let keys = [p256().private(), rsa(1).private(), rsa(0).private()];
        assert!(decrypt(&xml, &keys).is_ok());
        // A ds:CryptoBinary with a leading zero byte is the same integer.
        let padded = [&[0u8][..], &n].concat();
        let xml = named_by_key_value(&rsa_doc(), |doc, kv| rsa_key_value(doc, kv, &padded, &e));
        assert!(decrypt(&xml, &keys).is_ok());
    }

    #[test]
    fn decrypt_identifies_key_by_ec_key_value() {
        let xml = named_by_key_value(&ec_doc(), |doc, kv| ec_key_value(doc, kv, P256_URI, &point(p256())));
        let other = Party::ec(Nid::X9_62_PRIME256V1);
        assert!(decrypt(&xml, &[rsa(0).private(), other.private(), p256().private()]).is_ok());
    }

    #[test]
    fn decrypt_reports_key_not_found_when_key_value_is_not_ours() {
        let theirs = rsa(1).key.rsa().unwrap();
        let ours = rsa(0).key.rsa().unwrap();
        for (n, e) in [(theirs.n().to_vec(), theirs.e().to_vec()), (ours.n().to_vec(), vec![0x01, 0x00, 0x03])] {
            let xml = named_by_key_value(&rsa_doc(), |doc, kv| rsa_key_value(doc, kv, &n, &e));
            assert_eq!(decrypt(&xml, &[rsa(0).private(), p256().private()]).unwrap_err(), EncError::KeyNotFound);
        }
        let other = Party::ec(Nid::X9_62_PRIME256V1);
        for (curve, point) in [(P256_URI, point(&other)), ("urn:oid:1.3.132.0.34", point(p256()))] {
            let xml = named_by_key_value(&ec_doc(), |doc, kv| ec_key_value(doc, kv, curve, &point));
            assert_eq!(decrypt(&xml, &[rsa(0).private(), p256().private()]).unwrap_err(), EncError::KeyNotFound);
        }
    }

    #[test]
    fn decrypt_rejects_our_key_below_the_key_policy() {
        let policy = DecryptionPolicy { keys: KeyPolicy { min_rsa_bits: 4096 }, ..DecryptionPolicy::default() };
        assert_eq!(decrypt_with(&rsa_doc(), &[rsa(0).private()], &policy).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_rejects_key_type_that_does_not_fit_the_method() {
        // rsa-oaep naming our EC key.
        let xml = edit_tree(&rsa_doc(), |doc| {
            let cert = find(doc, NS_DS, "X509Certificate").unwrap();
            set_text(doc, cert, &encode_base64(&p256().cert.to_der().unwrap()));
        });
        assert_eq!(decrypt(&xml, &[rsa(0).private(), p256().private()]).unwrap_err(), EncError::Structure);
    }
}
