//! Live round trips with independent implementations on every run (xmlsec-profile §5.4):
//! what we sign verifies under signxml and python-xmlsec, what signxml signs verifies under
//! us, what python-xmlsec encrypts we decrypt and what we encrypt `cryptography` decrypts,
//! and our exclusive c14n equals lxml's on generated documents.

use eidas_connector::xmlsec::c14n::canonicalize;
use eidas_connector::xmlsec::dsig::{sign_element, verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use eidas_connector::xmlsec::serialize::to_xml;
use eidas_connector::xmlsec::xmlenc::{
    decrypt_bytes, encrypt_element, ContentAlgorithm, DecryptionPolicy, KeyTransport,
};
use eidas_connector::xmlsec::{Document, Limits, NS_XENC};

use crate::support::{oracle, python, repo_file, TempFile};

const RESPONSE: &str = r#"<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:eidas-natural="http://eidas.europa.eu/attributes/naturalperson" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_5f1c0d8e" Version="2.0" IssueInstant="2026-11-25T10:00:00Z">
  <saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">https://proxy.example.eu/metadata</saml2:Issuer>
  <saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>
  <saml2:Assertion ID="_a9" Version="2.0" IssueInstant="2026-11-25T10:00:00Z">
    <saml2:Issuer>https://proxy.example.eu/metadata</saml2:Issuer>
    <saml2:AttributeStatement>
      <saml2:Attribute Name="http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName" xml:lang="el">
        <saml2:AttributeValue xsi:type="eidas-natural:CurrentFamilyNameType">Ελληνικά &amp; "q" &lt;x&gt;&#13;</saml2:AttributeValue>
      </saml2:Attribute>
    </saml2:AttributeStatement>
  </saml2:Assertion>
</saml2p:Response>"#;

fn pki(name: &str) -> (String, String) {
    (
        repo_file(&format!("certs/test-pki/{name}.key.pem")).to_string_lossy().into_owned(),
        repo_file(&format!("certs/test-pki/{name}.crt.pem")).to_string_lossy().into_owned(),
    )
}

fn private(name: &str) -> PrivateKey {
    let (k, c) = pki(name);
    PrivateKey::from_pem(&std::fs::read(k).unwrap(), Some(&std::fs::read(c).unwrap())).unwrap()
}

fn trusted(name: &str) -> Vec<TrustedCert> {
    TrustedCert::from_pem(&std::fs::read(pki(name).1).unwrap()).unwrap()
}

#[test]
fn what_we_sign_verifies_under_signxml_and_python_xmlsec() {
    let Some(py) = python() else { return };
    let cases = [
        ("idp-rsa3072", SignatureAlgorithm::RsaPssSha256),
        ("idp-rsa3072", SignatureAlgorithm::RsaPssSha384),
        ("idp-rsa3072", SignatureAlgorithm::RsaPssSha512),
        ("idp-ec-p256", SignatureAlgorithm::EcdsaSha256),
        ("idp-ec-p384", SignatureAlgorithm::EcdsaSha384),
        ("idp-ec-p521", SignatureAlgorithm::EcdsaSha512),
    ];
    for (key, alg) in cases {
        let mut doc = Document::parse(RESPONSE.as_bytes(), &Limits::default()).unwrap();
        let root = doc.root();
        sign_element(&mut doc, root, &private(key), alg, alg.digest()).unwrap();
        let file = TempFile::new("signed.xml", to_xml(&doc).as_bytes());
        let cert = pki(key).1;
        let (ok, _, err) = oracle(&py, "verify_signxml.py", &["--cert", &cert, "--alg", alg.uri(), file.path()]);
        assert!(ok, "signxml refused our {alg:?} signature: {err}");
        let (ok, _, err) = oracle(&py, "verify_xmlsec.py", &["--cert", &cert, file.path()]);
        assert!(ok, "python-xmlsec refused our {alg:?} signature: {err}");
    }
}

#[test]
fn what_signxml_signs_verifies_under_us() {
    let Some(py) = python() else { return };
    let unsigned = TempFile::new("unsigned.xml", RESPONSE.as_bytes());
    for (key, alg) in
        [("idp-rsa3072", SignatureAlgorithm::RsaPssSha256), ("idp-ec-p256", SignatureAlgorithm::EcdsaSha256)]
    {
        let (k, c) = pki(key);
        let (ok, out, err) = oracle(
            &py,
            "sign_signxml.py",
            &[
                "--key",
                &k,
                "--cert",
                &c,
                "--alg",
                alg.uri(),
                "--digest",
                DigestAlgorithm::Sha256.uri(),
                unsigned.path(),
            ],
        );
        assert!(ok, "signxml failed: {err}");
        let doc = Document::parse(&out, &Limits::default()).unwrap();
        let v = verify_element(&doc, doc.root(), &trusted(key), &SignaturePolicy::default()).unwrap();
        assert_eq!(v.algorithm(), alg);
        // Tampering after an independent signer signed is caught by us.
        let evil = String::from_utf8(out).unwrap().replace("Ελληνικά", "Evil");
        let doc = Document::parse(evil.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            verify_element(&doc, doc.root(), &trusted(key), &SignaturePolicy::default()).unwrap_err().code(),
            "sig.digest_mismatch"
        );
    }
}

#[test]
fn what_python_xmlsec_encrypts_we_decrypt_and_the_reverse() {
    let Some(py) = python() else { return };
    let doc = Document::parse(RESPONSE.as_bytes(), &Limits::default()).unwrap();
    let assertion = doc.child_elements(doc.root()).nth(2).unwrap();
    let expected = canonicalize(&doc, assertion, None, &[]).unwrap();
    let plain =
        TempFile::new("assertion.xml", eidas_connector::xmlsec::serialize::subtree_to_xml(&doc, assertion).as_bytes());
    let (_, cert) = pki("sp-enc-rsa3072");
    for cipher in ["aes128-gcm", "aes192-gcm", "aes256-gcm"] {
        let (ok, out, err) = oracle(&py, "encrypt_xmlsec.py", &["--cert", &cert, "--cipher", cipher, plain.path()]);
        assert!(ok, "python-xmlsec failed to encrypt: {err}");
        let enc = Document::parse(&out, &Limits::default()).unwrap();
        let bytes =
            decrypt_bytes(&enc, enc.root(), &[private("sp-enc-rsa3072")], &DecryptionPolicy::default()).unwrap();
        let got = Document::parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(canonicalize(&got, got.root(), None, &[]).unwrap(), expected, "{cipher}");
    }
    // Ours → cryptography, for RSA-OAEP and ECDH-ES.
    for (recipient, transport) in [
        ("sp-enc-rsa3072", KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 }),
        ("sp-enc-rsa3072", KeyTransport::RsaOaepMgf1p { digest: DigestAlgorithm::Sha1 }),
        ("sp-enc-ec-p256", KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 }),
        ("sp-enc-ec-bp256", KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 }),
    ] {
        let mut d = Document::parse(RESPONSE.as_bytes(), &Limits::default()).unwrap();
        let a = d.child_elements(d.root()).nth(2).unwrap();
        let cert = &trusted(recipient)[0];
        let data = encrypt_element(&mut d, a, cert, ContentAlgorithm::Aes256Gcm, transport).unwrap();
        assert!(d.is(data, NS_XENC, "EncryptedData"));
        let file = TempFile::new("enc.xml", to_xml(&d).as_bytes());
        let (ok, out, err) = oracle(&py, "decrypt_cryptography.py", &["--key", &pki(recipient).0, file.path()]);
        assert!(ok, "cryptography could not decrypt what we encrypted to {recipient}: {err}");
        let got = Document::parse_in_context(&out, &Limits::default(), &doc.in_scope_namespaces(doc.root())).unwrap();
        assert_eq!(canonicalize(&got, got.root(), None, &[]).unwrap(), expected, "{recipient}");
    }
}

/// A small deterministic generator of SAML-like documents that stress namespaces,
/// attributes, escaping and whitespace.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn element(&mut self, depth: u32, out: &mut String, counter: &mut u32) {
        let prefixes = ["saml2", "saml2p", "ds", "eidas", "", "x"];
        let p = self.pick(&prefixes);
        let name = if p.is_empty() { "Plain".to_owned() } else { format!("{p}:E{}", self.next() % 4) };
        out.push('<');
        out.push_str(&name);
        if self.next().is_multiple_of(3) {
            let uri = self.pick(&["urn:a", "urn:b", "urn:oasis:names:tc:SAML:2.0:assertion"]);
            let decl = self.pick(&["saml2", "x", "eidas", "unused"]);
            out.push_str(&format!(" xmlns:{decl}=\"{uri}\""));
        }
        if self.next().is_multiple_of(5) {
            out.push_str(&format!(" xmlns=\"{}\"", self.pick(&["urn:d1", "urn:d2", ""])));
        }
        *counter += 1;
        out.push_str(&format!(" ID=\"_id{counter}\""));
        for i in 0..(self.next() % 4) {
            let aname = self.pick(&["Name", "x:attr", "xml:lang", "zeta", "saml2:q", "alpha"]);
            if out.rsplit('<').next().unwrap_or("").contains(&format!(" {aname}=")) {
                continue;
            }
            let val = self.pick(&["v", "a&amp;b", "&lt;&gt;&quot;", "tab&#9;nl&#10;cr&#13;", "l1\nl2\tx", "Ω"]);
            out.push_str(&format!(" {aname}=\"{val}{i}\""));
        }
        out.push('>');
        for _ in 0..(self.next() % 4) {
            match self.next() % 6 {
                0 if depth < 6 => self.element(depth + 1, out, counter),
                1 if depth < 6 => self.element(depth + 1, out, counter),
                2 => out.push_str(
                    self.pick(&["text", " & ", "a&amp;b&gt;", "\r\n", "Ελλάδα", "&#13;"])
                        .replace(" & ", " &amp; ")
                        .as_str(),
                ),
                3 => out.push_str("<!-- c -->"),
                4 => out.push_str("<![CDATA[<cdata>&]]>"),
                _ => out.push_str("\n  "),
            }
        }
        out.push_str(&format!("</{name}>"));
    }
}

#[test]
fn our_exclusive_c14n_equals_lxml_on_generated_documents() {
    let Some(py) = python() else { return };
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut compared = 0;
    for n in 0..120 {
        let mut body = String::new();
        let mut counter = 0;
        g.element(0, &mut body, &mut counter);
        let xml = format!(
            "<saml2p:Response xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:eidas=\"http://eidas.europa.eu/attributes/naturalperson\" xmlns:x=\"urn:x\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" ID=\"_root\">{body}</saml2p:Response>"
        );
        let Ok(doc) = Document::parse(xml.as_bytes(), &Limits::default()) else { continue };
        let file = TempFile::new("c14n.xml", xml.as_bytes());
        let target = format!("_id{}", 1 + (n % counter.max(1)));
        let prefixes = if n % 3 == 0 { "xs eidas" } else { "" };
        let (ok, theirs, err) =
            oracle(&py, "c14n_lxml.py", &["--prefixes", prefixes, "--xpath-id", &target, file.path()]);
        assert!(ok, "lxml failed on document {n}: {err}");
        let list: Vec<String> = prefixes.split_whitespace().map(str::to_owned).collect();
        let apex = doc.find_id(&target).unwrap();
        let ours = canonicalize(&doc, apex, None, &list).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "document {n}:\n{xml}");
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} documents compared");
}
