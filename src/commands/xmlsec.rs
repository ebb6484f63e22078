//! `eidas-connector xmlsec verify|decrypt|sign`: the XML security core from the shell.

use std::path::PathBuf;

use super::{read_input, CommandError};
use crate::xmlsec::dsig::{sign_element, verify_element, SignaturePolicy};
use crate::xmlsec::keys::{DigestAlgorithm, KeyPolicy, PrivateKey, SignatureAlgorithm, TrustedCert};
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::xmlenc::{decrypt_element_with_info, DecryptionPolicy};
use crate::xmlsec::{read_message, Document, Limits, NodeId, NS_XENC};

/// `xmlsec verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Trusted certificate (PEM); repeat for several.
    #[arg(long = "cert", required = true)]
    pub certs: Vec<PathBuf>,
    /// ID of the element whose signature to verify (default: the document element).
    #[arg(long)]
    pub element: Option<String>,
    /// Smallest RSA key accepted, in bits.
    #[arg(long, default_value_t = 3072)]
    pub min_rsa_bits: u32,
    /// Accept `Reference URI=""` on the document element (signed metadata).
    #[arg(long)]
    pub metadata: bool,
    /// The document: XML or base64 (as posted); `-` for standard input.
    pub file: PathBuf,
}

/// `xmlsec decrypt`.
#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    /// Our private key (PEM); repeat for several (key rollover).
    #[arg(long = "key", required = true)]
    pub keys: Vec<PathBuf>,
    /// Smallest RSA key of ours accepted, in bits.
    #[arg(long, default_value_t = 3072)]
    pub min_rsa_bits: u32,
    /// Refuse `xmlenc#rsa-oaep-mgf1p` (sent by reference nodes up to 2.6).
    #[arg(long)]
    pub refuse_mgf1p: bool,
    /// Refuse SHA-1 as the `xmlenc11#rsa-oaep` digest or MGF1 hash (accepted by default, as
    /// the reference node does; every use is reported on standard error).
    #[arg(long)]
    pub refuse_sha1_oaep: bool,
    /// The document: XML or base64; `-` for standard input.
    pub file: PathBuf,
}

/// `xmlsec sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Signing key (PEM).
    #[arg(long)]
    pub key: PathBuf,
    /// Its certificate (PEM), put in `KeyInfo`.
    #[arg(long)]
    pub cert: PathBuf,
    /// Signature method URI (RSASSA-PSS or ECDSA with SHA-256/384/512).
    #[arg(long)]
    pub algorithm: String,
    /// Digest method URI (default: the signature method's hash).
    #[arg(long)]
    pub digest: Option<String>,
    /// The document: XML or base64; `-` for standard input.
    pub file: PathBuf,
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CommandError> {
    std::fs::read(path).map_err(|e| CommandError::new("io.read", format!("{}: {e}", path.display())))
}

fn parse_input(path: &std::path::Path) -> Result<Document, CommandError> {
    let limits = Limits::metadata();
    let raw = read_input(path)?;
    let xml = read_message(&raw, &limits).map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    Document::parse(&xml, &limits).map_err(|e| CommandError::new(e.code(), e.to_string()))
}

/// Verifies and returns the verified element, canonicalized.
pub fn verify(args: &VerifyArgs) -> Result<Vec<u8>, CommandError> {
    let mut trusted = Vec::new();
    for c in &args.certs {
        trusted.extend(
            TrustedCert::from_pem(&read_file(c)?)
                .map_err(|e| CommandError::new(e.code(), format!("{}: {e}", c.display())))?,
        );
    }
    let doc = parse_input(&args.file)?;
    let element = match &args.element {
        None => doc.root(),
        Some(id) => {
            doc.find_id(id).ok_or_else(|| CommandError::new("sig.missing", format!("no element with ID {id}")))?
        }
    };
    let policy = SignaturePolicy {
        keys: KeyPolicy { min_rsa_bits: args.min_rsa_bits },
        allow_whole_document_reference: args.metadata,
    };
    let verified =
        verify_element(&doc, element, &trusted, &policy).map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    Ok(verified.canonical().to_vec())
}

fn load_keys(paths: &[PathBuf]) -> Result<Vec<PrivateKey>, CommandError> {
    paths
        .iter()
        .map(|p| {
            PrivateKey::from_pem(&read_file(p)?, None)
                .map_err(|e| CommandError::new(e.code(), format!("{}: {e}", p.display())))
        })
        .collect()
}

/// Decrypts every `xenc:EncryptedData` and returns the document with the plaintexts in place;
/// notes on standard error each one whose key came by SHA-1 OAEP.
pub fn decrypt(args: &DecryptArgs) -> Result<String, CommandError> {
    let keys = load_keys(&args.keys)?;
    let mut doc = parse_input(&args.file)?;
    let policy = DecryptionPolicy {
        keys: KeyPolicy { min_rsa_bits: args.min_rsa_bits },
        allow_rsa_oaep_mgf1p: !args.refuse_mgf1p,
        allow_sha1_oaep: !args.refuse_sha1_oaep,
    };
    let targets = encrypted_data_nodes(&doc);
    if targets.is_empty() {
        return Err(CommandError::new("enc.structure", "no xenc:EncryptedData in the document"));
    }
    for node in targets {
        let (plain, info) = decrypt_element_with_info(&doc, node, &keys, &policy, &Limits::default())
            .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
        if info.sha1_oaep {
            eprintln!("note: the content key came by RSA-OAEP with SHA-1 (digest or MGF1)");
        }
        // Keys carried beside the data (rule 26) go with it.
        if let Some(parent) = doc.parent(node) {
            let siblings: Vec<NodeId> = doc.children_named(parent, NS_XENC, "EncryptedKey").collect();
            for s in siblings {
                doc.detach(s);
            }
        }
        let copy = doc.import(&plain, plain.root());
        doc.replace(node, copy);
    }
    doc.reindex_ids().map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    Ok(to_xml(&doc))
}

fn encrypted_data_nodes(doc: &Document) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut stack = vec![doc.root()];
    while let Some(n) = stack.pop() {
        if doc.is(n, NS_XENC, "EncryptedData") {
            out.push(n);
            continue;
        }
        stack.extend(doc.child_elements(n));
    }
    out
}

/// Signs the document element and returns the signed document.
pub fn sign(args: &SignArgs) -> Result<String, CommandError> {
    let key = PrivateKey::from_pem(&read_file(&args.key)?, Some(&read_file(&args.cert)?))
        .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    let algorithm = SignatureAlgorithm::from_uri(&args.algorithm).ok_or_else(|| {
        CommandError::new("sig.algorithm_forbidden", format!("not an allowed signature method: {}", args.algorithm))
    })?;
    let digest = match &args.digest {
        None => algorithm.digest(),
        Some(uri) => DigestAlgorithm::from_uri(uri)
            .filter(|d| d.is_strong())
            .ok_or_else(|| CommandError::new("sig.digest_forbidden", format!("not an allowed digest method: {uri}")))?,
    };
    let mut doc = parse_input(&args.file)?;
    let root = doc.root();
    sign_element(&mut doc, root, &key, algorithm, digest).map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    Ok(to_xml(&doc))
}
