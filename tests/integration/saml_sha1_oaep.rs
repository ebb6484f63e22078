//! Issue 6 at the protocol layer, through `response check` as the service runs it: the use of
//! SHA-1 OAEP parameters for the Assertion's key is reported (`"sha1_oaep"` in the JSON, from
//! `VerifiedIdentity::sha1_oaep`), accepted by default, and refused for a country configured
//! with `--refuse-sha1-oaep` (`Peer::allow_sha1_oaep = false`).

use eidas_connector::xmlsec::keys::{PrivateKey, TrustedCert};
use eidas_connector::xmlsec::{decode_base64, encode_base64};
use openssl::encrypt::{Decrypter, Encrypter};
use openssl::hash::MessageDigest;
use openssl::rsa::Padding;

use crate::support::{python, repo_file, resign_response_with_signxml, response_check, TempFile};

fn path(rel: &str) -> String {
    repo_file(rel).to_string_lossy().into_owned()
}

/// `response check` of the Response at `file` in the context of the SAML vectors.
fn check(file: &str, extra: &[&str]) -> (i32, String, String) {
    response_check(file, Some("certs/test-pki/idp-metadata-signer.crt.pem"), extra)
}

fn sha1_oaep_reported(out: &str) -> Option<bool> {
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    assert_eq!(v["outcome"], "authenticated", "{out}");
    v["sha1_oaep"].as_bool()
}

#[test]
fn response_check_reports_sha1_oaep_for_rsa_oaep_mgf1p_and_not_for_sha256() {
    let (code, out, err) = check(&path("tests/vectors/saml/accept_success.xml"), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(sha1_oaep_reported(&out), Some(false));
    // rsa-oaep-mgf1p: MGF1 is always SHA-1. It has its own switch, so --refuse-sha1-oaep
    // leaves it alone (the peer's protocol version governs it).
    for extra in [&[][..], &["--refuse-sha1-oaep"][..]] {
        let (code, out, err) = check(&path("tests/vectors/saml/accept_success_mgf1p.xml"), extra);
        assert_eq!(code, 0, "{err}");
        assert_eq!(sha1_oaep_reported(&out), Some(true), "{extra:?}");
    }
}

/// accept_success.xml with its content key re-wrapped by `xmlenc11#rsa-oaep` with neither
/// `ds:DigestMethod` nor `xenc11:MGF` (the XMLEnc 1.1 defaults SHA-1/MGF1-SHA1 that OpenSAML,
/// hence the reference node, sends), then re-signed by signxml. The OAEP operations are
/// openssl's primitives called here, not our xmlenc module.
fn sha1_oaep_response(py: &std::path::Path) -> Vec<u8> {
    let original = std::fs::read_to_string(repo_file("tests/vectors/saml/accept_success.xml")).unwrap();
    let key_start = original.find("<xenc:EncryptedKey").unwrap();
    let value_start =
        key_start + original[key_start..].find("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let value_end = value_start + original[value_start..].find("</xenc:CipherValue>").unwrap();
    let ours = PrivateKey::from_pem(&std::fs::read(repo_file("certs/test-pki/sp-enc-rsa3072.key.pem")).unwrap(), None)
        .unwrap();
    let mut decrypter = Decrypter::new(&ours.key).unwrap();
    decrypter.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
    decrypter.set_rsa_oaep_md(MessageDigest::sha256()).unwrap();
    decrypter.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
    let wrapped = decode_base64(&original[value_start..value_end]).unwrap();
    let mut cek = vec![0u8; decrypter.decrypt_len(&wrapped).unwrap()];
    let n = decrypter.decrypt(&wrapped, &mut cek).unwrap();
    cek.truncate(n);
    let recipient =
        TrustedCert::from_pem(&std::fs::read(repo_file("certs/test-pki/sp-enc-rsa3072.crt.pem")).unwrap()).unwrap();
    let mut encrypter = Encrypter::new(&recipient[0].key).unwrap();
    encrypter.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
    encrypter.set_rsa_oaep_md(MessageDigest::sha1()).unwrap();
    encrypter.set_rsa_mgf1_md(MessageDigest::sha1()).unwrap();
    let mut rewrapped = vec![0u8; encrypter.encrypt_len(&cek).unwrap()];
    let n = encrypter.encrypt(&cek, &mut rewrapped).unwrap();
    rewrapped.truncate(n);

    let method = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></xenc:EncryptionMethod>"#;
    assert_eq!(original.matches(method).count(), 1, "the vector's EncryptedKey method changed");
    let edited = format!("{}{}{}", &original[..value_start], encode_base64(&rewrapped), &original[value_end..])
        .replacen(method, r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"/>"#, 1);
    resign_response_with_signxml(py, &edited)
}

#[test]
fn response_check_accepts_and_reports_sha1_rsa_oaep_unless_the_country_refuses_it() {
    let Some(py) = python() else { return };
    let signed = TempFile::new("sha1-oaep-signed.xml", &sha1_oaep_response(&py));
    let (code, out, err) = check(signed.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(sha1_oaep_reported(&out), Some(true));
    let (code, _, err) = check(signed.path(), &["--refuse-sha1-oaep", "--explain"]);
    assert_eq!(code, 1);
    assert!(err.contains("  FAIL  assertion.decrypt: enc.algorithm_forbidden"), "{err}");
    assert!(err.lines().any(|l| l == "error: enc.algorithm_forbidden"), "{err}");
}
