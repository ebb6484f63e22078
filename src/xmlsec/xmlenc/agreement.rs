//! ECDH-ES key agreement (xmlsec-profile 25; eidas-spec §5.3 and fact 26): reading and
//! allow-listing `xenc:AgreementMethod` (ECDH-ES, ConcatKDF with SHA-2, AES key wrap),
//! deriving the key-encryption key with our EC key, and the reverse for a recipient.
//!
//! Parameter checks happen in [`parse`], before any private-key operation. The originator's
//! ephemeral point is validated on our key's curve before it is used (attacks.md E9), and
//! [`unwrap_cek`] reports nothing but "no key" so that callers cannot build an oracle on it.
//!
//! `xenc:KA-Nonce` is refused: CR 3.2.2.2 says a receiver "MUST support" it, but none of the
//! peers send it (no eIDAS-Node sample has one) and XMLEnc 1.1 does not say where it enters
//! ConcatKDF, so any guess would be untested interop. A message carrying one gets
//! [`EncError::Structure`] until a peer shows what it means.

use openssl::aes::{unwrap_key, wrap_key, AesKey};
use openssl::bn::BigNumContext;
use openssl::derive::Deriver;
use openssl::ec::{EcKey, EcPoint, PointConversionForm};
use openssl::error::ErrorStack;
use openssl::hash::Hasher;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};

use super::{
    algorithm, append_cipher_data, append_text_element, append_x509_data, ds, one_child, opt_child, xenc, EncError,
    KW_AES128, KW_AES192, KW_AES256,
};
use crate::xmlsec::dom::{Document, Element, Node, NodeId};
use crate::xmlsec::keys::{DigestAlgorithm, TrustedCert};
use crate::xmlsec::{decode_base64, encode_base64, NS_DS, NS_DSIG11, NS_XENC, NS_XENC11};

const ECDH_ES: &str = "http://www.w3.org/2009/xmlenc11#ECDH-ES";
const CONCAT_KDF: &str = "http://www.w3.org/2009/xmlenc11#ConcatKDF";
/// The ConcatKDFParams attributes, in OtherInfo order (XMLEnc 1.1 §5.4.1; SP 800-56A 5.8.1).
const OTHER_INFO_PARTS: [&str; 5] = ["AlgorithmID", "PartyUInfo", "PartyVInfo", "SuppPubInfo", "SuppPrivInfo"];
/// The X9.62 tag of an uncompressed point (XMLDSig 1.1 §4.5.2.3.1).
const UNCOMPRESSED: u8 = 0x04;

/// The named curves of CR 3.4 and their XMLDSig 1.1 URIs.
const CURVES: [(Nid, &str); 6] = [
    (Nid::X9_62_PRIME256V1, "urn:oid:1.2.840.10045.3.1.7"),
    (Nid::SECP384R1, "urn:oid:1.3.132.0.34"),
    (Nid::SECP521R1, "urn:oid:1.3.132.0.35"),
    (Nid::BRAINPOOL_P256R1, "urn:oid:1.3.36.3.3.2.8.1.1.7"),
    (Nid::BRAINPOOL_P384R1, "urn:oid:1.3.36.3.3.2.8.1.1.11"),
    (Nid::BRAINPOOL_P512R1, "urn:oid:1.3.36.3.3.2.8.1.1.13"),
];

/// Allow-listed ECDH-ES parameters of one EncryptedKey.
pub(super) struct EcdhEs {
    /// 16, 24 or 32, from the kw-aes algorithm.
    kek_len: usize,
    kdf_digest: DigestAlgorithm,
    /// AlgorithmID ‖ PartyUInfo ‖ PartyVInfo (‖ SuppPubInfo ‖ SuppPrivInfo), pad bytes stripped.
    other_info: Vec<u8>,
    /// The originator's `NamedCurve/@URI`.
    curve_uri: String,
    /// The originator's ephemeral public point, as sent.
    public_point: Vec<u8>,
    /// `xenc:RecipientKeyInfo`: which of our keys the sender used.
    pub(super) recipient_key_info: Option<NodeId>,
}

/// Reads `EncryptedKey/ds:KeyInfo/xenc:AgreementMethod` for an EncryptedKey whose
/// EncryptionMethod is the key-wrap algorithm `wrap_uri`.
pub(super) fn parse(doc: &Document, encrypted_key: NodeId, wrap_uri: &str) -> Result<EcdhEs, EncError> {
    let kek_len = match wrap_uri {
        KW_AES128 => 16,
        KW_AES192 => 24,
        KW_AES256 => 32,
        _ => return Err(EncError::AlgorithmForbidden),
    };
    // A key wrap without an AgreementMethod would need a pre-shared KEK: not in the profile.
    let key_info = one_child(doc, encrypted_key, NS_DS, "KeyInfo")?;
    let agreement = one_child(doc, key_info, NS_XENC, "AgreementMethod")?;
    if algorithm(doc, agreement)? != ECDH_ES {
        return Err(EncError::AlgorithmForbidden);
    }
    // See the module documentation.
    if opt_child(doc, agreement, NS_XENC, "KA-Nonce")?.is_some() {
        return Err(EncError::Structure);
    }
    let derivation = one_child(doc, agreement, NS_XENC11, "KeyDerivationMethod")?;
    if algorithm(doc, derivation)? != CONCAT_KDF {
        return Err(EncError::AlgorithmForbidden);
    }
    let params = one_child(doc, derivation, NS_XENC11, "ConcatKDFParams")?;
    // CR 3.1: the KDF hash is SHA-256 or stronger (attacks.md E9).
    let digest_method = one_child(doc, params, NS_DS, "DigestMethod")?;
    let kdf_digest = DigestAlgorithm::from_uri(algorithm(doc, digest_method)?)
        .filter(|d| d.is_strong())
        .ok_or(EncError::AlgorithmForbidden)?;
    let mut other_info = Vec::new();
    for part in OTHER_INFO_PARTS {
        if let Some(value) = doc.attr(params, part) {
            other_info.extend_from_slice(&bit_string(value)?);
        }
    }
    let originator = one_child(doc, agreement, NS_XENC, "OriginatorKeyInfo")?;
    let key_value = one_child(doc, originator, NS_DS, "KeyValue")?;
    let ec_key_value = one_child(doc, key_value, NS_DSIG11, "ECKeyValue")?;
    // Explicit ECParameters are not accepted: only a NamedCurve.
    let named_curve = one_child(doc, ec_key_value, NS_DSIG11, "NamedCurve")?;
    let curve_uri = doc.attr(named_curve, "URI").ok_or(EncError::Structure)?.to_owned();
    let public_key = one_child(doc, ec_key_value, NS_DSIG11, "PublicKey")?;
    let public_point = decode_base64(&doc.simple_text(public_key)?)?;
    let recipient_key_info = opt_child(doc, agreement, NS_XENC, "RecipientKeyInfo")?;
    Ok(EcdhEs { kek_len, kdf_digest, other_info, curve_uri, public_point, recipient_key_info })
}

/// A ConcatKDF hexBinary parameter: its first byte counts the padding bits of the bit string
/// that follows (eidas-spec fact 26: "00" is empty, "0000" is one 0x00 byte). We take whole
/// bytes only, so a non-zero count is [`EncError::Structure`].
fn bit_string(hex: &str) -> Result<Vec<u8>, EncError> {
    let hex = hex.trim();
    if hex.is_empty() {
        return Ok(Vec::new());
    }
    let bytes = decode_hex(hex).ok_or(EncError::Structure)?;
    match bytes.split_first() {
        Some((0, rest)) => Ok(rest.to_vec()),
        _ => Err(EncError::Structure),
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

/// Derives the KEK from our key and the originator's point, and unwraps the content key.
/// `None` on any failure, whatever the cause (rule 27).
pub(super) fn unwrap_cek(params: &EcdhEs, key: &PKey<Private>, wrapped: &[u8]) -> Option<Vec<u8>> {
    let ours = key.ec_key().ok()?;
    let group = ours.group();
    // attacks.md E9: the originator's curve is ours; the point is uncompressed, on the curve,
    // and not the point at infinity.
    if curve_from_uri(&params.curve_uri)? != group.curve_name()? || params.public_point.first() != Some(&UNCOMPRESSED) {
        return None;
    }
    let mut ctx = BigNumContext::new().ok()?;
    let point = EcPoint::from_bytes(group, &params.public_point, &mut ctx).ok()?;
    let peer = EcKey::from_public_key(group, &point).ok()?;
    // `from_bytes` has checked that the point is on the curve. The full public-key check
    // (SP 800-56A 5.6.2.3.3, with the costly `order · Q = O`) runs once: OpenSSL 3's
    // `EVP_PKEY_derive_set_peer` runs `EVP_PKEY_public_check` on the peer itself, so an
    // explicit `check_key` as well doubled the one expensive step (a quarter of the whole
    // decryption in the profile, docs/perf-profiles.md). OpenSSL 1.1 does not check there.
    if !set_peer_validates() {
        peer.check_key().ok()?;
    }
    let peer = PKey::from_ec_key(peer).ok()?;
    let mut deriver = Deriver::new(key).ok()?;
    deriver.set_peer(&peer).ok()?;
    let z = deriver.derive_to_vec().ok()?;
    let kek = concat_kdf(params.kdf_digest, &z, &params.other_info, params.kek_len).ok()?;
    aes_unwrap(&kek, wrapped)
}

/// True when the linked OpenSSL (3.0 or later) validates the peer's public key in
/// `EVP_PKEY_derive_set_peer` (`EVP_PKEY_derive_set_peer_ex(…, validate_peer = 1)`).
fn set_peer_validates() -> bool {
    openssl::version::number() >= 0x3000_0000
}

/// NIST SP 800-56A single-step KDF: Hash(counter_be32 ‖ Z ‖ OtherInfo) for counter = 1, 2, …,
/// concatenated and truncated to `len` bytes.
pub(super) fn concat_kdf(
    digest: DigestAlgorithm,
    z: &[u8],
    other_info: &[u8],
    len: usize,
) -> Result<Vec<u8>, ErrorStack> {
    let mut out = Vec::with_capacity(len.saturating_add(64));
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut hasher = Hasher::new(digest.md())?;
        hasher.update(&counter.to_be_bytes())?;
        hasher.update(z)?;
        hasher.update(other_info)?;
        out.extend_from_slice(&hasher.finish()?);
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    Ok(out)
}

/// RFC 3394 unwrap; the content key is 16, 24 or 32 bytes. (OpenSSL 3.6's EVP
/// `id-aes*-wrap` runs the same table-based `AES_decrypt`, not AES-NI, and costs more around it;
/// the KEK is fresh for every message.)
fn aes_unwrap(kek: &[u8], wrapped: &[u8]) -> Option<Vec<u8>> {
    // Checked here because openssl's `unwrap_key` asserts on the buffer sizes.
    if !matches!(wrapped.len(), 24 | 32 | 40) {
        return None;
    }
    let kek = AesKey::new_decrypt(kek).ok()?;
    let mut out = vec![0u8; wrapped.len().checked_sub(8)?];
    let written = unwrap_key(&kek, None, &mut out, wrapped).ok()?;
    out.truncate(written);
    Some(out)
}

/// RFC 3394 wrap of a 16, 24 or 32-byte content key.
fn aes_wrap(kek: &[u8], cek: &[u8]) -> Option<Vec<u8>> {
    // Checked here because openssl's `wrap_key` asserts on the buffer sizes.
    if !matches!(cek.len(), 16 | 24 | 32) {
        return None;
    }
    let kek = AesKey::new_encrypt(kek).ok()?;
    let mut wrapped = vec![0u8; cek.len().checked_add(8)?];
    let written = wrap_key(&kek, None, &mut wrapped, cek).ok()?;
    wrapped.truncate(written);
    Some(wrapped)
}

fn curve_from_uri(uri: &str) -> Option<Nid> {
    CURVES.iter().find(|(_, u)| *u == uri).map(|(nid, _)| *nid)
}

pub(super) fn curve_uri(nid: Nid) -> Option<&'static str> {
    CURVES.iter().find(|(n, _)| *n == nid).map(|(_, uri)| *uri)
}

/// Fills the empty `xenc:EncryptedKey` `encrypted_key` for an EC recipient: kw-aes256 of
/// `cek` under ConcatKDF-SHA256(ECDH(fresh ephemeral key, recipient key)), parameters "00".
pub(super) fn write_encrypted_key(
    doc: &mut Document,
    encrypted_key: NodeId,
    recipient: &TrustedCert,
    cek: &[u8],
) -> Result<(), EncError> {
    let fail = |_| EncError::EncryptionFailed;
    let theirs = recipient.key.ec_key().map_err(|_| EncError::AlgorithmForbidden)?;
    let group = theirs.group();
    let uri = group.curve_name().and_then(curve_uri).ok_or(EncError::AlgorithmForbidden)?;
    let ephemeral = EcKey::generate(group).map_err(fail)?;
    let mut ctx = BigNumContext::new().map_err(fail)?;
    let point = ephemeral.public_key().to_bytes(group, PointConversionForm::UNCOMPRESSED, &mut ctx).map_err(fail)?;
    let ephemeral = PKey::from_ec_key(ephemeral).map_err(fail)?;
    let mut deriver = Deriver::new(&ephemeral).map_err(fail)?;
    deriver.set_peer(&recipient.key).map_err(fail)?;
    let z = deriver.derive_to_vec().map_err(fail)?;
    // Empty AlgorithmID, PartyUInfo and PartyVInfo, as the eIDAS-Node sends them ("00").
    let kek = concat_kdf(DigestAlgorithm::Sha256, &z, &[], 32).map_err(fail)?;
    let wrapped = aes_wrap(&kek, cek).ok_or(EncError::EncryptionFailed)?;

    doc.append(encrypted_key, Node::Element(xenc("EncryptionMethod").with_attr("Algorithm", KW_AES256)));
    let key_info = doc.append(encrypted_key, Node::Element(ds("KeyInfo")));
    let agreement = doc.append(key_info, Node::Element(xenc("AgreementMethod").with_attr("Algorithm", ECDH_ES)));
    let derivation = Element::new(Some(NS_XENC11), Some("xenc11"), "KeyDerivationMethod")
        .with_ns(Some("xenc11"), NS_XENC11)
        .with_attr("Algorithm", CONCAT_KDF);
    let derivation = doc.append(agreement, Node::Element(derivation));
    let params = Element::new(Some(NS_XENC11), Some("xenc11"), "ConcatKDFParams")
        .with_attr("AlgorithmID", "00")
        .with_attr("PartyUInfo", "00")
        .with_attr("PartyVInfo", "00");
    let params = doc.append(derivation, Node::Element(params));
    doc.append(params, Node::Element(ds("DigestMethod").with_attr("Algorithm", DigestAlgorithm::Sha256.uri())));
    let originator = doc.append(agreement, Node::Element(xenc("OriginatorKeyInfo")));
    let key_value = doc.append(originator, Node::Element(ds("KeyValue")));
    let ec_key_value = Element::new(Some(NS_DSIG11), Some("dsig11"), "ECKeyValue").with_ns(Some("dsig11"), NS_DSIG11);
    let ec_key_value = doc.append(key_value, Node::Element(ec_key_value));
    let named_curve = Element::new(Some(NS_DSIG11), Some("dsig11"), "NamedCurve").with_attr("URI", uri);
    doc.append(ec_key_value, Node::Element(named_curve));
    let public_key = Element::new(Some(NS_DSIG11), Some("dsig11"), "PublicKey");
    append_text_element(doc, ec_key_value, public_key, encode_base64(&point));
    let recipient_info = doc.append(agreement, Node::Element(xenc("RecipientKeyInfo")));
    append_x509_data(doc, recipient_info, recipient)?;
    append_cipher_data(doc, encrypted_key, &wrapped);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::keys::DigestAlgorithm::{Sha1, Sha224, Sha256, Sha384};
    use crate::xmlsec::xmlenc::tests::*;
    use crate::xmlsec::xmlenc::*;
    use openssl::ec::EcGroup;

    #[test]
    fn concat_kdf_matches_independent_known_answers() {
        // Python `cryptography` ConcatKDFHash, Z = 00 01 … 1f.
        let z: Vec<u8> = (0u8..32).collect();
        let hex = |b: Vec<u8>| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(agreement::concat_kdf(Sha256, &z, b"", 16).unwrap()), "22b288a146b89e364069f6f367618a0e");
        assert_eq!(
            hex(agreement::concat_kdf(Sha256, &z, &[0, 0, 0], 48).unwrap()),
            "3fe76cddeb21e1e92f10267d9f5d7c09969ba3c3b5a698375ed5c9325579ad9b33b1ee804f07a63b7f727b8194b820c7"
        );
        assert_eq!(
            hex(agreement::concat_kdf(Sha384, &z, &[1, 2], 32).unwrap()),
            "35a3ec7b880cccb46ec8fad517dd1d1b974c99a9cb80a525413f01434523fe88"
        );
    }

    #[test]
    fn decrypt_rejects_unlisted_key_wrap() {
        let xml = edit(&ec_doc(), KW_AES256, "http://www.w3.org/2001/04/xmlenc#kw-tripledes");
        assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_fails_when_key_wrap_size_does_not_match() {
        for kw in [KW_AES128, KW_AES192] {
            let xml = edit(&ec_doc(), KW_AES256, kw);
            assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::DecryptionFailed);
        }
    }

    #[test]
    fn decrypt_rejects_agreement_other_than_ecdh_es() {
        let xml = edit(&ec_doc(), "xmlenc11#ECDH-ES\"", "xmlenc11#dh-es\"");
        assert_eq!(decrypt(&xml, &[]).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_rejects_kdf_other_than_concat_kdf() {
        let xml = edit(&ec_doc(), "xmlenc11#ConcatKDF\"", "xmlenc11#pbkdf2\"");
        assert_eq!(decrypt(&xml, &[]).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_rejects_concat_kdf_digest_below_sha256() {
        for weak in [Sha1.uri(), Sha224.uri(), MD5] {
            let xml = edit(&ec_doc(), &format!("\"{}\"", Sha256.uri()), &format!("\"{weak}\""));
            assert_eq!(decrypt(&xml, &[]).unwrap_err(), EncError::AlgorithmForbidden, "{weak}");
        }
    }

    #[test]
    fn decrypt_rejects_concat_kdf_params_with_padding_bits_or_bad_hex() {
        for bad in ["01", "0700", "0", "zz", "00 0"] {
            let xml = edit(&ec_doc(), "PartyUInfo=\"00\"", &format!("PartyUInfo=\"{bad}\""));
            assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::Structure, "{bad}");
        }
    }

    #[test]
    fn decrypt_strips_the_concat_kdf_padding_byte() {
        // "00" is empty; "0000" is one zero byte, so the KEK changes and the unwrap fails.
        let xml = ec_doc();
        assert!(decrypt(&xml, &[p256().private()]).is_ok());
        let one_byte = edit(&xml, "AlgorithmID=\"00\"", "AlgorithmID=\"0000\"");
        assert_eq!(decrypt(&one_byte, &[p256().private()]).unwrap_err(), EncError::DecryptionFailed);
    }

    #[test]
    fn decrypt_rejects_ka_nonce() {
        let xml = edit(&ec_doc(), "xmlenc11#ECDH-ES\">", "xmlenc11#ECDH-ES\"><xenc:KA-Nonce>AAAA</xenc:KA-Nonce>");
        assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::Structure);
    }

    #[test]
    fn decrypt_fails_when_originator_curve_differs_from_ours() {
        for uri in ["urn:oid:1.3.132.0.34", "urn:oid:1.3.36.3.3.2.8.1.1.7", "urn:oid:1.2.3"] {
            let xml = edit(&ec_doc(), "urn:oid:1.2.840.10045.3.1.7", uri);
            assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::DecryptionFailed, "{uri}");
        }
    }

    #[test]
    fn decrypt_fails_on_invalid_originator_point() {
        let xml = ec_doc();
        let doc = parse_doc(&xml);
        let point = b64(&doc, find(&doc, NS_DSIG11, "PublicKey").unwrap());
        let mut off_curve = point.clone();
        let last = off_curve.len() - 1;
        off_curve[last] ^= 0x01;
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let compressed = EcPoint::from_bytes(&group, &point, &mut ctx)
            .unwrap()
            .to_bytes(&group, PointConversionForm::COMPRESSED, &mut ctx)
            .unwrap();
        for bad in [off_curve, vec![0u8], compressed, point[..33].to_vec(), Vec::new()] {
            let xml = edit_tree(&xml, |doc| {
                let pk = find(doc, NS_DSIG11, "PublicKey").unwrap();
                set_text(doc, pk, &encode_base64(&bad));
            });
            assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::DecryptionFailed, "{bad:?}");
        }
    }

    #[test]
    fn derive_set_peer_refuses_an_invalid_peer_so_no_second_check_is_needed() {
        // `unwrap_cek` relies on OpenSSL 3 validating the peer in `set_peer` (see there): the
        // point at infinity, which `EcKey::from_public_key` accepts, must be refused by it.
        let ours = p256().private();
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let infinity = EcPoint::new(&group).unwrap();
        let Ok(peer) = EcKey::from_public_key(&group, &infinity) else {
            return assert!(!set_peer_validates(), "OpenSSL 3 accepts the point at infinity in an EC_KEY");
        };
        assert!(peer.check_key().is_err());
        let peer = PKey::from_ec_key(peer).unwrap();
        let mut deriver = Deriver::new(&ours.key).unwrap();
        assert_eq!(deriver.set_peer(&peer).is_ok(), !set_peer_validates());
    }

    #[test]
    fn aes_key_wrap_matches_the_rfc_3394_known_answers_and_refuses_a_tampered_wrap() {
        // RFC 3394 4.1 (128-bit KEK, 128-bit key), 4.4 (192-bit KEK, 192-bit key), 4.6 (256, 256).
        let cases = [
            (
                "000102030405060708090A0B0C0D0E0F",
                "00112233445566778899AABBCCDDEEFF",
                "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5",
            ),
            (
                "000102030405060708090A0B0C0D0E0F1011121314151617",
                "00112233445566778899AABBCCDDEEFF0001020304050607",
                "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2",
            ),
            (
                "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
                "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
                "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21",
            ),
        ];
        for (kek, key, wrapped) in cases {
            let (kek, key, wrapped) =
                (decode_hex(kek).unwrap(), decode_hex(key).unwrap(), decode_hex(wrapped).unwrap());
            assert_eq!(aes_wrap(&kek, &key).unwrap(), wrapped);
            assert_eq!(aes_unwrap(&kek, &wrapped).unwrap(), key);
            let mut tampered = wrapped.clone();
            tampered[5] ^= 0x80;
            assert_eq!(aes_unwrap(&kek, &tampered), None);
        }
        assert_eq!(aes_wrap(&[0; 20], &[0; 16]), None, "a KEK of another size");
        assert_eq!(aes_wrap(&[0; 32], &[0; 20]), None, "a content key of another size");
    }

    #[test]
    fn decrypt_fails_on_tampered_wrapped_key() {
        for len in [None, Some(16), Some(48)] {
            let xml = edit_tree(&ec_doc(), |doc| {
                let cv = key_cipher_value(doc);
                let mut wrapped = b64(doc, cv);
                match len {
                    None => wrapped[3] ^= 0x01,
                    Some(n) => wrapped.resize(n, 0),
                }
                set_text(doc, cv, &encode_base64(&wrapped));
            });
            assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::DecryptionFailed, "{len:?}");
        }
    }
}
