//! RSA-OAEP key transport (xmlsec-profile 24; eidas-spec §5.3 and fact 25): reading and
//! allow-listing `xmlenc11#rsa-oaep` / `xmlenc#rsa-oaep-mgf1p` parameters, unwrapping the
//! content key with our RSA key, and wrapping one for a recipient.
//!
//! Parameter checks happen in [`parse`], before any private-key operation; [`decrypt_cek`]
//! reports nothing but "no key" so that callers cannot build an oracle on it.

use openssl::encrypt::{Decrypter, Encrypter};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;

use super::{
    algorithm, append_cipher_data, append_x509_data, ds, opt_child, xenc, DecryptionPolicy, EncError, KeyTransport,
    RSA_OAEP, RSA_OAEP_MGF1P,
};
use crate::xmlsec::dom::{Document, Element, Node, NodeId};
use crate::xmlsec::keys::{DigestAlgorithm, TrustedCert};
use crate::xmlsec::{decode_base64, NS_DS, NS_XENC, NS_XENC11};

const MGF1_SHA1: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha1";
const MGF1_SHA224: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha224";
const MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";
const MGF1_SHA384: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha384";
const MGF1_SHA512: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha512";

/// Allow-listed OAEP parameters.
pub(super) struct Oaep {
    pub(super) digest: DigestAlgorithm,
    pub(super) mgf: DigestAlgorithm,
    /// `xenc:OAEPparams`, empty when absent.
    pub(super) label: Vec<u8>,
}

impl Oaep {
    /// SHA-1 as the OAEP digest or the MGF1 hash (always so for `rsa-oaep-mgf1p`).
    pub(super) fn uses_sha1(&self) -> bool {
        self.digest == DigestAlgorithm::Sha1 || self.mgf == DigestAlgorithm::Sha1
    }
}

/// Reads the OAEP parameters under `EncryptionMethod` `method` whose Algorithm is `algorithm`.
pub(super) fn parse(
    doc: &Document,
    method: NodeId,
    algorithm_uri: &str,
    policy: &DecryptionPolicy,
) -> Result<Oaep, EncError> {
    // eidas-spec fact 25: CEF 2.9 accepts mgf1p from nodes announcing protocol < 1.4.
    if algorithm_uri == RSA_OAEP_MGF1P && !policy.allow_rsa_oaep_mgf1p {
        return Err(EncError::AlgorithmForbidden);
    }
    // XMLEnc 1.1 §5.5.2: DigestMethod defaults to SHA-1, MGF to MGF1-SHA1.
    let digest = match opt_child(doc, method, NS_DS, "DigestMethod")? {
        None => DigestAlgorithm::Sha1,
        Some(d) => DigestAlgorithm::from_uri(algorithm(doc, d)?).ok_or(EncError::AlgorithmForbidden)?,
    };
    let mgf_node = opt_child(doc, method, NS_XENC11, "MGF")?;
    let mgf = match algorithm_uri {
        RSA_OAEP => {
            let mgf = match mgf_node {
                None => DigestAlgorithm::Sha1,
                Some(m) => mgf_from_uri(algorithm(doc, m)?).ok_or(EncError::AlgorithmForbidden)?,
            };
            // CR 1.4 table 5: SHA-2 digests; SHA-1 as well, as the reference node and OpenSAML
            // (whose XMLEnc 1.1 defaults it is) accept it, unless the policy refuses it.
            if !(digest.is_strong() || digest == DigestAlgorithm::Sha1) {
                return Err(EncError::AlgorithmForbidden);
            }
            // Issue 6: SHA-1 as digest or MGF1 hash can be refused per country.
            if !policy.allow_sha1_oaep && (digest == DigestAlgorithm::Sha1 || mgf == DigestAlgorithm::Sha1) {
                return Err(EncError::AlgorithmForbidden);
            }
            mgf
        }
        RSA_OAEP_MGF1P => {
            // XMLEnc 1.0 §5.4.2: mgf1p fixes MGF1 with SHA-1; an MGF element has no meaning here.
            if mgf_node.is_some() {
                return Err(EncError::Structure);
            }
            if !(digest.is_strong() || digest == DigestAlgorithm::Sha1) {
                return Err(EncError::AlgorithmForbidden);
            }
            DigestAlgorithm::Sha1
        }
        _ => return Err(EncError::AlgorithmForbidden),
    };
    let label = match opt_child(doc, method, NS_XENC, "OAEPparams")? {
        None => Vec::new(),
        Some(p) => decode_base64(&doc.simple_text(p)?)?,
    };
    Ok(Oaep { digest, mgf, label })
}

fn mgf_from_uri(uri: &str) -> Option<DigestAlgorithm> {
    Some(match uri {
        MGF1_SHA1 => DigestAlgorithm::Sha1,
        MGF1_SHA224 => DigestAlgorithm::Sha224,
        MGF1_SHA256 => DigestAlgorithm::Sha256,
        MGF1_SHA384 => DigestAlgorithm::Sha384,
        MGF1_SHA512 => DigestAlgorithm::Sha512,
        _ => return None,
    })
}

fn mgf_uri(mgf: DigestAlgorithm) -> &'static str {
    match mgf {
        DigestAlgorithm::Sha1 => MGF1_SHA1,
        DigestAlgorithm::Sha224 => MGF1_SHA224,
        DigestAlgorithm::Sha256 => MGF1_SHA256,
        DigestAlgorithm::Sha384 => MGF1_SHA384,
        DigestAlgorithm::Sha512 => MGF1_SHA512,
    }
}

/// RSA-OAEP decryption of the wrapped content key. `None` on any failure, whatever the cause
/// (rule 27: the caller turns it into the one generic failure).
pub(super) fn decrypt_cek(oaep: &Oaep, key: &PKey<Private>, wrapped: &[u8]) -> Option<Vec<u8>> {
    let mut decrypter = Decrypter::new(key).ok()?;
    decrypter.set_rsa_padding(Padding::PKCS1_OAEP).ok()?;
    decrypter.set_rsa_oaep_md(oaep.digest.md()).ok()?;
    decrypter.set_rsa_mgf1_md(oaep.mgf.md()).ok()?;
    if !oaep.label.is_empty() {
        decrypter.set_rsa_oaep_label(&oaep.label).ok()?;
    }
    let mut out = vec![0u8; decrypter.decrypt_len(wrapped).ok()?];
    let written = decrypter.decrypt(wrapped, &mut out).ok()?;
    out.truncate(written);
    Some(out)
}

/// RSA-OAEP encryption of `cek` to `recipient` with `oaep`.
pub(super) fn encrypt_cek(oaep: &Oaep, recipient: &TrustedCert, cek: &[u8]) -> Result<Vec<u8>, EncError> {
    let fail = |_| EncError::EncryptionFailed;
    let mut encrypter = Encrypter::new(&recipient.key).map_err(fail)?;
    encrypter.set_rsa_padding(Padding::PKCS1_OAEP).map_err(fail)?;
    encrypter.set_rsa_oaep_md(oaep.digest.md()).map_err(fail)?;
    encrypter.set_rsa_mgf1_md(oaep.mgf.md()).map_err(fail)?;
    if !oaep.label.is_empty() {
        encrypter.set_rsa_oaep_label(&oaep.label).map_err(fail)?;
    }
    let mut out = vec![0u8; encrypter.encrypt_len(cek).map_err(fail)?];
    let written = encrypter.encrypt(cek, &mut out).map_err(fail)?;
    out.truncate(written);
    Ok(out)
}

/// Fills the empty `xenc:EncryptedKey` `encrypted_key` for an RSA recipient:
/// EncryptionMethod (explicit DigestMethod, and MGF for rsa-oaep), KeyInfo naming the
/// certificate, CipherData.
pub(super) fn write_encrypted_key(
    doc: &mut Document,
    encrypted_key: NodeId,
    recipient: &TrustedCert,
    cek: &[u8],
    transport: KeyTransport,
) -> Result<(), EncError> {
    let (uri, oaep) = match transport {
        KeyTransport::RsaOaep { digest, mgf } => (RSA_OAEP, Oaep { digest, mgf, label: Vec::new() }),
        KeyTransport::RsaOaepMgf1p { digest } => {
            (RSA_OAEP_MGF1P, Oaep { digest, mgf: DigestAlgorithm::Sha1, label: Vec::new() })
        }
    };
    let wrapped = encrypt_cek(&oaep, recipient, cek)?;
    let method = doc.append(encrypted_key, Node::Element(xenc("EncryptionMethod").with_attr("Algorithm", uri)));
    doc.append(method, Node::Element(ds("DigestMethod").with_attr("Algorithm", oaep.digest.uri())));
    if uri == RSA_OAEP {
        let mgf = Element::new(Some(NS_XENC11), Some("xenc11"), "MGF")
            .with_ns(Some("xenc11"), NS_XENC11)
            .with_attr("Algorithm", mgf_uri(oaep.mgf));
        doc.append(method, Node::Element(mgf));
    }
    let key_info = doc.append(encrypted_key, Node::Element(ds("KeyInfo")));
    append_x509_data(doc, key_info, recipient)?;
    append_cipher_data(doc, encrypted_key, &wrapped);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::keys::DigestAlgorithm::{Sha1, Sha224, Sha256};
    use crate::xmlsec::serialize::subtree_to_xml;
    use crate::xmlsec::xmlenc::tests::*;
    use crate::xmlsec::xmlenc::DecryptionInfo;
    use crate::xmlsec::xmlenc::*;

    #[test]
    fn decrypt_uses_the_oaep_label_from_oaepparams() {
        let cek = [9u8; 16];
        let fragment =
            encrypted_data_with_cek(b"<x/>", &cek, &rsa(0).trusted(), ContentAlgorithm::Aes128Gcm, OAEP_256).unwrap();
        let labelled = keytransport::Oaep { digest: Sha256, mgf: Sha256, label: b"eidas".to_vec() };
        let wrapped = keytransport::encrypt_cek(&labelled, &rsa(0).trusted(), &cek).unwrap();
        let xml = edit_tree(&subtree_to_xml(&fragment, fragment.root()), |doc| {
            let cv = key_cipher_value(doc);
            set_text(doc, cv, &encode_base64(&wrapped));
        });
        let with_label = edit(
            &xml,
            "</xenc:EncryptionMethod>",
            "<xenc:OAEPparams>ZWlkYXM=</xenc:OAEPparams></xenc:EncryptionMethod>",
        );
        let run = |xml: &str| {
            let doc = parse_doc(xml);
            decrypt_bytes(&doc, doc.root(), &[rsa(0).private()], &DecryptionPolicy::default())
        };
        assert_eq!(run(&with_label).unwrap(), b"<x/>");
        assert_eq!(run(&xml).unwrap_err(), EncError::DecryptionFailed);
    }

    #[test]
    fn decrypt_rejects_rsa_1_5_before_private_key_use() {
        let xml = edit(&rsa_doc(), RSA_OAEP, RSA_1_5);
        assert_eq!(decrypt(&xml, &[]).unwrap_err(), EncError::AlgorithmForbidden);
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_rejects_unlisted_key_transport_algorithm() {
        let xml = edit(&rsa_doc(), RSA_OAEP, "http://www.w3.org/2001/04/xmlenc#kw-tripledes");
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_rejects_weak_oaep_digest() {
        let xml = rsa_doc();
        for weak in [MD5, Sha224.uri(), "urn:example:unknown"] {
            let xml = edit(&xml, &format!("\"{}\"", Sha256.uri()), &format!("\"{weak}\""));
            assert_eq!(decrypt(&xml, &[]).unwrap_err(), EncError::AlgorithmForbidden, "{weak}");
        }
    }

    /// `rsa(0)`'s sample under `xmlenc11#rsa-oaep` with these hashes; `None` leaves the element
    /// out, so the XMLEnc 1.1 §5.5.2 default (SHA-1, MGF1-SHA1) applies.
    fn oaep_doc(digest: Option<DigestAlgorithm>, mgf: Option<DigestAlgorithm>) -> String {
        let transport = KeyTransport::RsaOaep { digest: digest.unwrap_or(Sha1), mgf: mgf.unwrap_or(Sha1) };
        let (xml, _) = encrypt_sample(rsa(0), ContentAlgorithm::Aes256Gcm, transport);
        edit_tree(&xml, |doc| {
            if digest.is_none() {
                let method = find(doc, NS_DS, "DigestMethod").unwrap();
                doc.detach(method);
            }
            if mgf.is_none() {
                let method = find(doc, NS_XENC11, "MGF").unwrap();
                doc.detach(method);
            }
        })
    }

    /// Every `xmlenc11#rsa-oaep` shape that puts SHA-1 in the digest or the MGF1 hash.
    fn sha1_oaep_docs() -> Vec<(&'static str, String)> {
        vec![
            ("defaults", oaep_doc(None, None)),
            ("sha1 + mgf1sha1", oaep_doc(Some(Sha1), Some(Sha1))),
            ("sha256 + mgf1sha1", oaep_doc(Some(Sha256), Some(Sha1))),
            ("sha256 + default MGF", oaep_doc(Some(Sha256), None)),
            ("sha1 + mgf1sha256", oaep_doc(Some(Sha1), Some(Sha256))),
            ("default digest + mgf1sha256", oaep_doc(None, Some(Sha256))),
        ]
    }

    fn decrypt_info(xml: &str, keys: &[PrivateKey], policy: &DecryptionPolicy) -> Result<DecryptionInfo, EncError> {
        let doc = parse_doc(xml);
        decrypt_bytes_with_info(&doc, encrypted_assertion(&doc), keys, policy).map(|(_, info)| info)
    }

    fn sha1_used(xml: &str, policy: &DecryptionPolicy) -> Result<bool, EncError> {
        decrypt_info(xml, &[rsa(0).private()], policy).map(|i| i.sha1_oaep)
    }

    #[test]
    fn decrypt_accepts_sha1_oaep_parameters_by_default_and_reports_them() {
        // Issue 6: OpenSAML's (and so the reference node's) XMLEnc 1.1 defaults are SHA-1.
        let default = DecryptionPolicy::default();
        for (what, xml) in sha1_oaep_docs() {
            assert_eq!(sha1_used(&xml, &default), Ok(true), "{what}");
        }
        assert_eq!(sha1_used(&oaep_doc(Some(Sha256), Some(Sha256)), &default), Ok(false));
        // rsa-oaep-mgf1p always uses MGF1-SHA1, whatever its digest.
        for digest in [Sha1, Sha256] {
            let (xml, _) = encrypt_sample(rsa(0), ContentAlgorithm::Aes256Gcm, KeyTransport::RsaOaepMgf1p { digest });
            assert_eq!(sha1_used(&xml, &default), Ok(true), "mgf1p {digest:?}");
        }
        // ECDH-ES has no OAEP.
        assert_eq!(decrypt_info(&ec_doc(), &[p256().private()], &default).map(|i| i.sha1_oaep), Ok(false));
    }

    #[test]
    fn decrypt_refuses_sha1_oaep_parameters_before_private_key_use_when_the_policy_does() {
        let strict = DecryptionPolicy { allow_sha1_oaep: false, ..DecryptionPolicy::default() };
        for (what, xml) in sha1_oaep_docs() {
            // With no key at all: refused before key selection, so before any RSA operation.
            assert_eq!(decrypt_with(&xml, &[], &strict).unwrap_err(), EncError::AlgorithmForbidden, "{what}");
            assert_eq!(sha1_used(&xml, &strict), Err(EncError::AlgorithmForbidden), "{what}");
        }
        assert_eq!(sha1_used(&oaep_doc(Some(Sha256), Some(Sha256)), &strict), Ok(false));
        // rsa-oaep-mgf1p keeps its own switch (allow_rsa_oaep_mgf1p).
        let (mgf1p, _) =
            encrypt_sample(rsa(0), ContentAlgorithm::Aes256Gcm, KeyTransport::RsaOaepMgf1p { digest: Sha1 });
        assert_eq!(sha1_used(&mgf1p, &strict), Ok(true));
    }

    #[test]
    fn decrypt_rejects_unlisted_mgf() {
        let xml = edit(&rsa_doc(), "#mgf1sha256\"", "#mgf1sha3-256\"");
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::AlgorithmForbidden);
    }

    #[test]
    fn decrypt_fails_on_mgf_or_label_mismatch() {
        let xml = edit(&rsa_doc(), "#mgf1sha256\"", "#mgf1sha1\"");
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::DecryptionFailed);
        let labelled = edit(
            &rsa_doc(),
            "</xenc:EncryptionMethod>",
            "<xenc:OAEPparams>AA==</xenc:OAEPparams></xenc:EncryptionMethod>",
        );
        assert_eq!(decrypt(&labelled, &[rsa(0).private()]).unwrap_err(), EncError::DecryptionFailed);
    }

    #[test]
    fn decrypt_fails_on_tampered_rsa_ciphertext() {
        let xml = edit_tree(&rsa_doc(), |doc| {
            let cv = key_cipher_value(doc);
            let mut wrapped = b64(doc, cv);
            wrapped[10] ^= 0x80;
            set_text(doc, cv, &encode_base64(&wrapped));
        });
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::DecryptionFailed);
    }

    #[test]
    fn decrypt_rejects_mgf1p_when_policy_forbids_it() {
        let (xml, _) = encrypt_sample(rsa(0), ContentAlgorithm::Aes256Gcm, KeyTransport::RsaOaepMgf1p { digest: Sha1 });
        let strict = DecryptionPolicy { allow_rsa_oaep_mgf1p: false, ..DecryptionPolicy::default() };
        assert_eq!(decrypt_with(&xml, &[], &strict).unwrap_err(), EncError::AlgorithmForbidden);
        assert!(decrypt(&xml, &[rsa(0).private()]).is_ok());
    }

    #[test]
    fn decrypt_rejects_mgf1p_with_unlisted_digest_or_mgf() {
        let (xml, _) =
            encrypt_sample(rsa(0), ContentAlgorithm::Aes256Gcm, KeyTransport::RsaOaepMgf1p { digest: Sha256 });
        for weak in [MD5, Sha224.uri()] {
            let xml = edit(&xml, &format!("\"{}\"", Sha256.uri()), &format!("\"{weak}\""));
            assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::AlgorithmForbidden, "{weak}");
        }
        let mgf = format!(
            "<xenc11:MGF xmlns:xenc11=\"{NS_XENC11}\" Algorithm=\"{NS_XENC11}mgf1sha256\"/></xenc:EncryptionMethod>"
        );
        let with_mgf = edit(&xml, "</xenc:EncryptionMethod>", &mgf);
        assert_eq!(decrypt(&with_mgf, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
    }
}
