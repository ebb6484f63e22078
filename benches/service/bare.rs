//! The bare openssl operations the request path cannot avoid, the yardstick of the table.

use std::hint::black_box;

use eidas_connector::xmlsec::keys::TrustedCert;
use openssl::encrypt::{Decrypter, Encrypter};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};

use crate::read;

/// The openssl operations the path cannot avoid: one RSA-3072 PSS signature with our signing
/// key (the AuthnRequest), one RSA-3072 OAEP decryption with our encryption key (the
/// Assertion's content key) and one RSA-3072 PSS verification with the proxy's key (the
/// Response).
pub(crate) struct BareCrypto {
    sign_key: PKey<Private>,
    enc_key: PKey<Private>,
    proxy_key: PKey<Public>,
    signature: Vec<u8>,
    wrapped: Vec<u8>,
}

const DIGEST_INPUT: &[u8] = b"0123456789abcdef0123456789abcdef";

impl BareCrypto {
    pub(crate) fn new() -> Self {
        let sign_key = PKey::private_key_from_pem(&read("certs/demo/sign.key.pem")).unwrap();
        let enc_key = PKey::private_key_from_pem(&read("certs/demo/enc.key.pem")).unwrap();
        let proxy_key = TrustedCert::from_pem(&read("certs/test-pki/idp-rsa3072.crt.pem")).unwrap().remove(0).key;
        let idp = PKey::private_key_from_pem(&read("certs/test-pki/idp-rsa3072.key.pem")).unwrap();
        let signature = pss_sign(&idp);
        let wrapped = {
            let mut e = Encrypter::new(&enc_key).unwrap();
            e.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
            e.set_rsa_oaep_md(MessageDigest::sha256()).unwrap();
            e.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
            let mut out = vec![0; e.encrypt_len(&[7u8; 32]).unwrap()];
            let n = e.encrypt(&[7u8; 32], &mut out).unwrap();
            out.truncate(n);
            out
        };
        Self { sign_key, enc_key, proxy_key, signature, wrapped }
    }

    pub(crate) fn sign(&self) {
        black_box(pss_sign(&self.sign_key));
    }

    pub(crate) fn decrypt(&self) {
        let mut d = Decrypter::new(&self.enc_key).unwrap();
        d.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
        d.set_rsa_oaep_md(MessageDigest::sha256()).unwrap();
        d.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
        let mut out = vec![0; d.decrypt_len(&self.wrapped).unwrap()];
        black_box(d.decrypt(&self.wrapped, &mut out).unwrap());
    }

    pub(crate) fn verify(&self) {
        let mut v = Verifier::new(MessageDigest::sha256(), &self.proxy_key).unwrap();
        v.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
        v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
        assert!(v.verify_oneshot(&self.signature, DIGEST_INPUT).unwrap());
    }
}

fn pss_sign(key: &PKey<Private>) -> Vec<u8> {
    let mut s = Signer::new(MessageDigest::sha256(), key).unwrap();
    s.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
    s.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
    s.sign_oneshot_to_vec(DIGEST_INPUT).unwrap()
}
