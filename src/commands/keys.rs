//! `eidas-connector keys generate`: demo and test key material that fits the connector's own
//! key policy (eIDAS Crypto Requirements: RSA at least 3072 bits, allowed curves): a private
//! key (PKCS#8 PEM, optionally encrypted) and a self-signed certificate whose key usage fits
//! its use. Production keys belong in the operator's PKI, an HSM or a secret store.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::symm::Cipher;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

use super::CommandError;
use crate::config::keys::{CertSummary, Passphrase};
use crate::xmlsec::keys::KeyPolicy;

/// The key algorithms `keys generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// RSA, 3072 bits (the eIDAS minimum).
    #[value(name = "rsa-3072")]
    Rsa3072,
    /// RSA, 4096 bits.
    #[value(name = "rsa-4096")]
    Rsa4096,
    /// EC, NIST P-256.
    #[value(name = "ec-p256")]
    EcP256,
    /// EC, NIST P-384.
    #[value(name = "ec-p384")]
    EcP384,
}

/// What the key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyUse {
    /// Signs AuthnRequests and metadata (keyUsage digitalSignature).
    Signing,
    /// Decrypts Assertions (keyUsage keyEncipherment for RSA, keyAgreement for EC).
    Encryption,
}

/// `keys generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Base name of the files: NAME.key.pem and NAME.crt.pem.
    #[arg(long)]
    pub name: String,
    /// Folder to write into (made when missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "rsa-3072")]
    pub algorithm: Algorithm,
    /// What the key is for (sets the certificate's key usage).
    #[arg(long = "use", value_enum, default_value = "signing")]
    pub key_use: KeyUse,
    /// Certificate subject, e.g. "CN=eIDAS connector,O=Example,C=FR".
    #[arg(long)]
    pub subject: String,
    /// Certificate validity, days from now.
    #[arg(long, default_value_t = 730)]
    pub days: u32,
    /// Encrypt the private key (PKCS#8, AES-256-CBC) with the passphrase in this file (one
    /// trailing newline ignored).
    #[arg(long, conflicts_with = "passphrase_env")]
    pub passphrase_file: Option<PathBuf>,
    /// Encrypt the private key with the passphrase in this environment variable.
    #[arg(long)]
    pub passphrase_env: Option<String>,
}

fn fail(code: &str, detail: impl Into<String>) -> CommandError {
    CommandError::new(code, detail)
}

fn crypto(e: openssl::error::ErrorStack) -> CommandError {
    fail("keys.crypto", e.to_string())
}

/// Makes the key and certificate, writes them (never over existing files), and says what it
/// made and the `[keys]` lines to use them.
pub fn generate(args: &GenerateArgs) -> Result<String, CommandError> {
    if args.days == 0 {
        return Err(fail("usage.days", "--days must be at least 1"));
    }
    if args.name.is_empty() || args.name.contains(['/', '\\']) || args.name.starts_with('.') {
        return Err(fail("usage.name", "--name must be a plain file name"));
    }
    let passphrase = Passphrase::from_sources(args.passphrase_file.as_deref(), args.passphrase_env.as_deref())
        .map_err(|e| fail(e.code(), e.to_string()))?;
    let key_path = args.out.join(format!("{}.key.pem", args.name));
    let cert_path = args.out.join(format!("{}.crt.pem", args.name));
    for path in [&key_path, &cert_path] {
        if path.exists() {
            return Err(fail("keys.exists", format!("{} exists: not overwritten", path.display())));
        }
    }
    let key = new_key(args.algorithm)?;
    // The connector's own policy: what we make must load (`config check`).
    KeyPolicy::default().check(&key).map_err(|r| fail("keys.policy", format!("{r:?}")))?;
    let cert = self_signed(&key, args)?;
    let key_pem = match &passphrase {
        Some(p) => key.private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), p.bytes()).map_err(crypto)?,
        None => key.private_key_to_pem_pkcs8().map_err(crypto)?,
    };
    std::fs::create_dir_all(&args.out).map_err(|e| fail("io.write", format!("{}: {e}", args.out.display())))?;
    write_new(&key_path, &key_pem, 0o600)?;
    write_new(&cert_path, &cert.to_pem().map_err(crypto)?, 0o644)?;
    Ok(report(args, &key_path, &cert_path, &cert, passphrase.is_some()))
}

fn new_key(algorithm: Algorithm) -> Result<PKey<Private>, CommandError> {
    let ec = |nid: Nid| -> Result<PKey<Private>, CommandError> {
        let group = EcGroup::from_curve_name(nid).map_err(crypto)?;
        PKey::from_ec_key(EcKey::generate(&group).map_err(crypto)?).map_err(crypto)
    };
    match algorithm {
        Algorithm::Rsa3072 => PKey::from_rsa(Rsa::generate(3072).map_err(crypto)?).map_err(crypto),
        Algorithm::Rsa4096 => PKey::from_rsa(Rsa::generate(4096).map_err(crypto)?).map_err(crypto),
        Algorithm::EcP256 => ec(Nid::X9_62_PRIME256V1),
        Algorithm::EcP384 => ec(Nid::SECP384R1),
    }
}

/// `CN=a,O=b,C=FR` as an X.509 name (attribute types as OpenSSL names them).
fn parse_subject(subject: &str) -> Result<openssl::x509::X509Name, CommandError> {
    let mut name = X509NameBuilder::new().map_err(crypto)?;
    let mut any = false;
    for part in subject.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, value) = part
            .split_once('=')
            .ok_or_else(|| fail("usage.subject", format!("{part:?} is not TYPE=value (e.g. CN=eIDAS connector)")))?;
        name.append_entry_by_text(field.trim(), value.trim())
            .map_err(|_| fail("usage.subject", format!("{field:?} is not an attribute type (CN, O, OU, C, …)")))?;
        any = true;
    }
    if !any {
        return Err(fail("usage.subject", "the subject is empty"));
    }
    Ok(name.build())
}

fn self_signed(key: &PKey<Private>, args: &GenerateArgs) -> Result<X509, CommandError> {
    let name = parse_subject(&args.subject)?;
    let mut b = X509Builder::new().map_err(crypto)?;
    b.set_version(2).map_err(crypto)?;
    let mut serial = BigNum::new().map_err(crypto)?;
    serial.rand(127, openssl::bn::MsbOption::MAYBE_ZERO, false).map_err(crypto)?;
    let serial = Asn1Integer::from_bn(&serial).map_err(crypto)?;
    b.set_serial_number(&serial).map_err(crypto)?;
    b.set_subject_name(&name).map_err(crypto)?;
    b.set_issuer_name(&name).map_err(crypto)?;
    b.set_pubkey(key).map_err(crypto)?;
    let (not_before, not_after) =
        (Asn1Time::days_from_now(0).map_err(crypto)?, Asn1Time::days_from_now(args.days).map_err(crypto)?);
    b.set_not_before(&not_before).map_err(crypto)?;
    b.set_not_after(&not_after).map_err(crypto)?;
    b.append_extension(BasicConstraints::new().critical().build().map_err(crypto)?).map_err(crypto)?;
    let mut usage = KeyUsage::new();
    usage.critical();
    match (args.key_use, key.ec_key().is_ok()) {
        (KeyUse::Signing, _) => usage.digital_signature(),
        (KeyUse::Encryption, false) => usage.key_encipherment(),
        (KeyUse::Encryption, true) => usage.key_agreement(),
    };
    b.append_extension(usage.build().map_err(crypto)?).map_err(crypto)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None)).map_err(crypto)?;
    b.append_extension(ski).map_err(crypto)?;
    let digest = if args.algorithm == Algorithm::EcP384 { MessageDigest::sha384() } else { MessageDigest::sha256() };
    b.sign(key, digest).map_err(crypto)?;
    Ok(b.build())
}

/// Writes `bytes` to a file that must not exist yet, with `mode` (Unix).
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CommandError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => fail("keys.exists", format!("{} exists: not overwritten", path.display())),
        _ => fail("io.write", format!("{}: {e}", path.display())),
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail("io.write", format!("{}: {e}", path.display())))
}

fn report(args: &GenerateArgs, key_path: &Path, cert_path: &Path, cert: &X509, encrypted: bool) -> String {
    let s = CertSummary::of(cert, time::OffsetDateTime::now_utc());
    let mut pair = format!("{{ key = \"{}\", cert = \"{}\"", key_path.display(), cert_path.display());
    if let Some(f) = &args.passphrase_file {
        pair.push_str(&format!(", passphrase_file = \"{}\"", f.display()));
    }
    if let Some(v) = &args.passphrase_env {
        pair.push_str(&format!(", passphrase_env = \"{v}\""));
    }
    pair.push_str(" }");
    let toml = match args.key_use {
        KeyUse::Signing => format!("signing = {pair}"),
        KeyUse::Encryption => format!("encryption = [{pair}]"),
    };
    let algorithm_line = match (args.key_use, args.algorithm) {
        (KeyUse::Signing, Algorithm::EcP256) => {
            "\nsignature_algorithm = \"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\""
        }
        (KeyUse::Signing, Algorithm::EcP384) => {
            "\nsignature_algorithm = \"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384\""
        }
        (KeyUse::Signing, _) => "\nsignature_algorithm = \"http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1\"",
        (KeyUse::Encryption, _) => "",
    };
    format!(
        "wrote {key} (private key{enc}, mode 0600)\n\
         wrote {crt} (self-signed certificate)\n\
         \x20 algorithm   {alg}\n\
         \x20 subject     {subject}\n\
         \x20 not after   {not_after}\n\
         \x20 SHA-256     {fp}\n\
         \n# In [keys]:\n{toml}{algorithm_line}\n",
        key = key_path.display(),
        enc = if encrypted { ", encrypted PKCS#8" } else { ", PKCS#8" },
        crt = cert_path.display(),
        alg = s.algorithm,
        subject = s.subject,
        not_after = s.not_after,
        fp = s.sha256,
    )
}
