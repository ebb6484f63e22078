//! Keys, certificates and the algorithm allow-lists of the eIDAS crypto profile
//! (eIDAS Crypto Requirements 1.4 §3.2–3.4; `reference/eidas-spec.md` §5).
//!
//! Verification keys come only from the caller (verified metadata); nothing here reads a
//! key out of a message. `Debug` of private keys never prints key material.

use std::cmp::Ordering;

use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::x509::X509;
use time::{Duration, OffsetDateTime};

/// Problems loading keys or certificates.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The PEM holds no certificate or key, or does not parse.
    #[error("cannot read {0}")]
    Unreadable(&'static str),
}

impl KeyError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "key.unreadable"
    }
}

/// Digest algorithms allowed for references, KDFs and OAEP (SHA-1 only where a policy
/// explicitly tolerates it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// SHA-1: refused everywhere except as a tolerated OAEP digest.
    Sha1,
    /// SHA-224: only as an MGF1 hash.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Parses a `DigestMethod/@Algorithm` URI.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Self::Sha1,
            "http://www.w3.org/2001/04/xmldsig-more#sha224" => Self::Sha224,
            "http://www.w3.org/2001/04/xmlenc#sha256" => Self::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Self::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The URI we write.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            Self::Sha224 => "http://www.w3.org/2001/04/xmldsig-more#sha224",
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    /// The openssl digest.
    pub fn md(self) -> MessageDigest {
        match self {
            Self::Sha1 => MessageDigest::sha1(),
            Self::Sha224 => MessageDigest::sha224(),
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    /// True for the SHA-2 digests of at least 256 bits the profile allows (CR 3.1).
    pub fn is_strong(self) -> bool {
        matches!(self, Self::Sha256 | Self::Sha384 | Self::Sha512)
    }
}

/// The six signature algorithms of CR 1.4 §3.3. Anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32.
    RsaPssSha256,
    /// RSASSA-PSS, SHA-384.
    RsaPssSha384,
    /// RSASSA-PSS, SHA-512.
    RsaPssSha512,
    /// ECDSA with SHA-256, raw r‖s.
    EcdsaSha256,
    /// ECDSA with SHA-384.
    EcdsaSha384,
    /// ECDSA with SHA-512.
    EcdsaSha512,
}

impl SignatureAlgorithm {
    /// All allowed algorithms.
    pub const ALL: [Self; 6] = [
        Self::RsaPssSha256,
        Self::RsaPssSha384,
        Self::RsaPssSha512,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
        Self::EcdsaSha512,
    ];

    /// Parses a `SignatureMethod/@Algorithm` URI; `None` for anything not allow-listed.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.uri() == uri)
    }

    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaPssSha256 => "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
            Self::RsaPssSha384 => "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
            Self::RsaPssSha512 => "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
            Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            Self::EcdsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        }
    }

    /// The hash of the algorithm.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Self::RsaPssSha256 | Self::EcdsaSha256 => DigestAlgorithm::Sha256,
            Self::RsaPssSha384 | Self::EcdsaSha384 => DigestAlgorithm::Sha384,
            Self::RsaPssSha512 | Self::EcdsaSha512 => DigestAlgorithm::Sha512,
        }
    }

    /// True for the RSASSA-PSS family.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::RsaPssSha256 | Self::RsaPssSha384 | Self::RsaPssSha512)
    }
}

/// Curves allowed for ECDSA and ECDH-ES (CR 3.4).
pub const ALLOWED_CURVES: [Nid; 6] = [
    Nid::X9_62_PRIME256V1,
    Nid::SECP384R1,
    Nid::SECP521R1,
    Nid::BRAINPOOL_P256R1,
    Nid::BRAINPOOL_P384R1,
    Nid::BRAINPOOL_P512R1,
];

/// Key-strength policy for signatures and key transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Smallest RSA modulus accepted, in bits (CR: 3072).
    pub min_rsa_bits: u32,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self { min_rsa_bits: 3072 }
    }
}

/// Why a key does not fit the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRejection {
    /// RSA modulus below the floor.
    TooSmall,
    /// EC key on a curve not allow-listed.
    CurveForbidden,
    /// Neither RSA nor EC.
    UnsupportedType,
}

impl KeyPolicy {
    /// Checks a public key against the policy.
    pub fn check<T: openssl::pkey::HasPublic>(&self, key: &PKey<T>) -> Result<(), KeyRejection> {
        match key.id() {
            Id::RSA => {
                if key.bits() < self.min_rsa_bits {
                    Err(KeyRejection::TooSmall)
                } else {
                    Ok(())
                }
            }
            Id::EC => {
                let ec = key.ec_key().map_err(|_| KeyRejection::UnsupportedType)?;
                match ec.group().curve_name() {
                    Some(nid) if ALLOWED_CURVES.contains(&nid) => Ok(()),
                    _ => Err(KeyRejection::CurveForbidden),
                }
            }
            _ => Err(KeyRejection::UnsupportedType),
        }
    }
}

/// A certificate whose key is trusted to sign, taken from verified metadata or configuration.
#[derive(Clone)]
pub struct TrustedCert {
    /// The certificate.
    pub cert: X509,
    /// Its public key.
    pub key: PKey<Public>,
}

impl std::fmt::Debug for TrustedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedCert({})", subject_line(&self.cert))
    }
}

impl TrustedCert {
    /// Wraps a certificate.
    pub fn from_x509(cert: X509) -> Result<Self, KeyError> {
        let key = cert.public_key().map_err(|_| KeyError::Unreadable("certificate public key"))?;
        Ok(Self { cert, key })
    }

    /// Reads every certificate of a PEM bundle.
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Self>, KeyError> {
        let certs = X509::stack_from_pem(pem).map_err(|_| KeyError::Unreadable("certificate PEM"))?;
        if certs.is_empty() {
            return Err(KeyError::Unreadable("certificate PEM"));
        }
        certs.into_iter().map(Self::from_x509).collect()
    }

    /// Reads a certificate from base64 DER (as in `ds:X509Certificate`).
    pub fn from_base64_der(text: &str) -> Result<Self, KeyError> {
        let der = super::decode_base64(text).map_err(|_| KeyError::Unreadable("X509Certificate"))?;
        let cert = X509::from_der(&der).map_err(|_| KeyError::Unreadable("X509Certificate"))?;
        Self::from_x509(cert)
    }

    /// DER of the certificate.
    pub fn der(&self) -> Vec<u8> {
        self.cert.to_der().unwrap_or_default()
    }

    /// Whether `now` falls within the certificate's `notBefore`..=`notAfter` (RFC 5280
    /// §4.1.2.5), each bound widened by `skew`. A date that cannot be compared counts as
    /// out of validity (nothing fails open).
    pub fn validity_at(&self, now: OffsetDateTime, skew: Duration) -> CertValidity {
        let at = |t: OffsetDateTime| Asn1Time::from_unix(t.unix_timestamp()).ok();
        let (Some(early), Some(late)) = (at(now - skew), at(now + skew)) else {
            return CertValidity::Expired;
        };
        // notAfter < now - skew: expired; notBefore > now + skew: not yet valid.
        match (self.cert.not_after().compare(&early), self.cert.not_before().compare(&late)) {
            (Ok(Ordering::Less), _) | (Err(_), _) => CertValidity::Expired,
            (_, Ok(Ordering::Greater)) | (_, Err(_)) => CertValidity::NotYetValid,
            _ => CertValidity::Valid,
        }
    }
}

/// Where an instant falls in a certificate's validity period ([`TrustedCert::validity_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertValidity {
    /// Within `notBefore`..=`notAfter` (with the skew).
    Valid,
    /// Before `notBefore`.
    NotYetValid,
    /// After `notAfter`.
    Expired,
}

impl CertValidity {
    /// True for [`CertValidity::Valid`].
    pub fn is_valid(self) -> bool {
        self == Self::Valid
    }
}

/// A private key with its certificate: our signing key or one of our decryption keys.
pub struct PrivateKey {
    /// The private key.
    pub key: PKey<Private>,
    /// The matching certificate, when known.
    pub cert: Option<X509>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subject = self.cert.as_ref().map(subject_line).unwrap_or_default();
        write!(f, "PrivateKey({:?}, {} bits, {subject}, [redacted])", self.key.id(), self.key.bits())
    }
}

impl PrivateKey {
    /// Reads a PEM private key (PKCS#8 or traditional) and, optionally, its certificate.
    pub fn from_pem(key_pem: &[u8], cert_pem: Option<&[u8]>) -> Result<Self, KeyError> {
        let key = PKey::private_key_from_pem(key_pem).map_err(|_| KeyError::Unreadable("private key PEM"))?;
        let cert = match cert_pem {
            Some(p) => Some(X509::from_pem(p).map_err(|_| KeyError::Unreadable("certificate PEM"))?),
            None => None,
        };
        Ok(Self { key, cert })
    }

    /// The public half as DER SubjectPublicKeyInfo.
    pub fn public_der(&self) -> Vec<u8> {
        self.key.public_key_to_der().unwrap_or_default()
    }
}

/// True when two keys have the same public half (`EVP_PKEY_eq`: no encoding round trip).
pub fn same_public_key<A: openssl::pkey::HasPublic, B: openssl::pkey::HasPublic>(a: &PKey<A>, b: &PKey<B>) -> bool {
    a.public_eq(b)
}

fn subject_line(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .filter_map(|e| {
            e.data().to_string().ok().map(|s| format!("{}={}", e.object().nid().short_name().unwrap_or("?"), s))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod validity_tests {
    use super::*;
    use time::macros::datetime;

    fn twin(name: &str) -> TrustedCert {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/test-pki").join(name);
        TrustedCert::from_pem(&std::fs::read(path).unwrap()).unwrap().remove(0)
    }

    #[test]
    fn a_certificate_is_valid_only_within_its_period_widened_by_the_skew() {
        // idp-rsa3072-expired: 2020-01-01T00:00:00Z ..= 2021-01-01T00:00:00Z.
        let cert = twin("idp-rsa3072-expired.crt.pem");
        let skew = Duration::seconds(60);
        assert_eq!(cert.validity_at(datetime!(2020-06-01 00:00 UTC), skew), CertValidity::Valid);
        assert_eq!(cert.validity_at(datetime!(2021-01-01 00:01 UTC), skew), CertValidity::Valid);
        assert_eq!(cert.validity_at(datetime!(2021-01-01 00:01:01 UTC), skew), CertValidity::Expired);
        assert_eq!(cert.validity_at(datetime!(2019-12-31 23:59 UTC), skew), CertValidity::Valid);
        assert_eq!(cert.validity_at(datetime!(2019-12-31 23:58:59 UTC), skew), CertValidity::NotYetValid);
        assert_eq!(cert.validity_at(datetime!(2026-11-25 10:00 UTC), Duration::ZERO), CertValidity::Expired);
    }
}
