//! The operator commands as a black box: exit status, stdout, and `error: <code>`.

use crate::support::{interop, repo_file, run, TempFile};

fn pki(name: &str, ext: &str) -> String {
    repo_file(&format!("certs/test-pki/{name}.{ext}.pem")).to_string_lossy().into_owned()
}

const DOC: &str = r#"<saml2p:AuthnRequest xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc" Version="2.0"><saml2:Issuer>https://connector.example/metadata</saml2:Issuer><saml2p:Extensions/></saml2p:AuthnRequest>"#;

#[test]
fn cli_signs_then_verifies_then_refuses_tampering_and_untrusted_keys() {
    let input = TempFile::new("req.xml", DOC.as_bytes());
    let (code, signed, err) = run(&[
        "xmlsec",
        "sign",
        "--key",
        &pki("sp-sign-rsa3072", "key"),
        "--cert",
        &pki("sp-sign-rsa3072", "crt"),
        "--algorithm",
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
        input.path(),
    ]);
    assert_eq!(code, 0, "{err}");
    let signed_file = TempFile::new("signed.xml", signed.as_bytes());
    let (code, out, err) = run(&["xmlsec", "verify", "--cert", &pki("sp-sign-rsa3072", "crt"), signed_file.path()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<saml2p:AuthnRequest") && !out.contains("Signature"), "{out}");

    // base64, as posted in a form field, is accepted too.
    let b64 = TempFile::new("signed.b64", eidas_connector::xmlsec::encode_base64(signed.as_bytes()).as_bytes());
    assert_eq!(run(&["xmlsec", "verify", "--cert", &pki("sp-sign-rsa3072", "crt"), b64.path()]).0, 0);

    let (code, _, err) = run(&["xmlsec", "verify", "--cert", &pki("attacker-rsa3072", "crt"), signed_file.path()]);
    assert_eq!((code, err.lines().next().unwrap_or("")), (1, "error: sig.invalid"));
    let tampered = TempFile::new("t.xml", signed.replace("connector.example", "evil.example").as_bytes());
    let (code, _, err) = run(&["xmlsec", "verify", "--cert", &pki("sp-sign-rsa3072", "crt"), tampered.path()]);
    assert_eq!((code, err.lines().next().unwrap_or("")), (1, "error: sig.digest_mismatch"));
}

#[test]
fn cli_sign_refuses_pkcs1_v15() {
    let input = TempFile::new("req.xml", DOC.as_bytes());
    let (code, _, err) = run(&[
        "xmlsec",
        "sign",
        "--key",
        &pki("sp-sign-rsa3072", "key"),
        "--cert",
        &pki("sp-sign-rsa3072", "crt"),
        "--algorithm",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        input.path(),
    ]);
    assert_eq!((code, err.lines().next().unwrap_or("")), (1, "error: sig.algorithm_forbidden"));
}

#[test]
fn cli_decrypts_reference_node_messages_and_refuses_unknown_keys() {
    let Some(dir) = interop() else { return };
    let key = |n: &str| dir.join(format!("keys/{n}.key.pem")).to_string_lossy().into_owned();
    let file = |n: &str| dir.join(format!("responses/encrypted/{n}.xml")).to_string_lossy().into_owned();
    let (code, out, err) = run(&[
        "xmlsec",
        "decrypt",
        "--key",
        &key("test-ec"),
        "--key",
        &key("test-rsa"),
        &file("saml_ec_Brainpool_kw-aes256_encrypted_response"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("<saml2:Assertion") && !out.contains("EncryptedData"), "{out}");
    let (code, _, err) =
        run(&["xmlsec", "decrypt", "--key", &key("test-rsa"), &file("samlengine_rsa-unknowncert-encryptedAssertion")]);
    assert_eq!((code, err.lines().next().unwrap_or("")), (1, "error: enc.key_not_found"));
    // Issue 6: xmlenc11#rsa-oaep with SHA-1 digest and MGF1-SHA1 decrypts by default, with a
    // note on standard error, and is refused with --refuse-sha1-oaep.
    let sha1 = file("saml_rsa_rsa-oaep_encrypted_response");
    let (code, out, err) = run(&["xmlsec", "decrypt", "--key", &key("test-rsa"), &sha1]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("<saml2:Assertion") && !out.contains("EncryptedData"), "{out}");
    assert!(err.contains("RSA-OAEP with SHA-1"), "{err}");
    let (code, _, err) = run(&["xmlsec", "decrypt", "--refuse-sha1-oaep", "--key", &key("test-rsa"), &sha1]);
    assert_eq!((code, err.lines().next().unwrap_or("")), (1, "error: enc.algorithm_forbidden"));
    // ECDH-ES: no note.
    let (code, _, err) =
        run(&["xmlsec", "decrypt", "--key", &key("test-ec"), &file("saml_ec_Brainpool_kw-aes256_encrypted_response")]);
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn cli_refuses_doctype_with_a_code() {
    let f = TempFile::new("d.xml", b"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>");
    let (code, _, err) = run(&["xmlsec", "verify", "--cert", &pki("idp-rsa3072", "crt"), f.path()]);
    assert_eq!((code, err.lines().next().unwrap_or("")), (1, "error: xml.doctype_forbidden"));
}
