//! XML Encryption to the eIDAS profile (xmlsec-profile checklist 22–28; eidas-spec §5.3):
//! decrypting the `EncryptedAssertion` a proxy service sends us, and encrypting an element for
//! a recipient (the mock proxy service and tests).
//!
//! Decryption is allow-list first: the data algorithm (AES-GCM only), the key transport
//! (RSA-OAEP) or key agreement (ECDH-ES + ConcatKDF + AES-KW) parameters and the document shape
//! are all checked, and the private key is chosen from what the `EncryptedKey` names, before
//! any private-key operation. Every failure of the cryptography itself is the single
//! [`EncError::DecryptionFailed`] (rule 27, no oracle), and the plaintext goes back through
//! the same hardened parser (rule 28).
//!
//! This module knows nothing of SAML beyond "the element that holds the `EncryptedData`"; it
//! neither logs nor reads the clock (what a caller may want to log comes back as
//! [`DecryptionInfo`]), and it never follows references out of the structure it is given: the
//! one `RetrievalMethod` it resolves points from the `EncryptedData` to a sibling
//! `EncryptedKey` in the same container, and `CipherReference` is refused.

mod agreement;
mod keytransport;
mod selection;

use openssl::pkey::Id;
use openssl::symm::Cipher;

use super::dom::{Document, Element, Limits, Node, NodeId};
use super::keys::{DigestAlgorithm, KeyPolicy, PrivateKey, TrustedCert};
use super::{decode_base64, encode_base64, serialize, XmlError, NS_DS, NS_XENC};
use selection::{encrypted_keys, select_key};

const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
const AES192_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes192-gcm";
const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const KW_AES128: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes128";
const KW_AES192: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes192";
const KW_AES256: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes256";

/// GCM layout of a CipherValue (XMLEnc 1.1 §5.2.4): IV ‖ ciphertext ‖ tag.
const GCM_IV_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;

/// Which decryption algorithms we accept, beyond the fixed allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecryptionPolicy {
    /// Strength floor for our own decryption keys (RSA ≥ 3072 by default, allowed curves).
    pub keys: KeyPolicy,
    /// Accept `xmlenc#rsa-oaep-mgf1p` (digest SHA-1 or SHA-2, MGF1 always SHA-1), still sent by
    /// eIDAS-Node ≤ 2.6 (eidas-spec fact 25). Default `true`. [`Self::allow_sha1_oaep`] does not
    /// apply to it.
    pub allow_rsa_oaep_mgf1p: bool,
    /// Accept `xmlenc11#rsa-oaep` whose OAEP digest or MGF1 hash is SHA-1, including the
    /// XMLEnc 1.1 defaults when `ds:DigestMethod` or `xenc11:MGF` is absent (OpenSAML's
    /// default, which the EU reference node inherits). Default `true`.
    ///
    /// OAEP's security rests on the hash behaving as a random oracle, not on its collision
    /// resistance, so SHA-1 here is not the SHA-1 of signatures; the reference node and
    /// Sweden Connect accept it. A country can still be refused it (`false`): SHA-1 digest or
    /// MGF1-SHA1 is then [`EncError::AlgorithmForbidden`] before any private-key operation.
    /// Each use is reported in [`DecryptionInfo::sha1_oaep`].
    pub allow_sha1_oaep: bool,
}

impl Default for DecryptionPolicy {
    fn default() -> Self {
        Self { keys: KeyPolicy::default(), allow_rsa_oaep_mgf1p: true, allow_sha1_oaep: true }
    }
}

/// What a successful decryption used, for the caller to log or count (this module cannot log).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecryptionInfo {
    /// The content key came by RSA-OAEP with SHA-1 as the OAEP digest or as the MGF1 hash,
    /// explicit or by default: `xmlenc11#rsa-oaep` under [`DecryptionPolicy::allow_sha1_oaep`],
    /// and every `xmlenc#rsa-oaep-mgf1p` (its MGF1 is always SHA-1). `false` for SHA-2-only
    /// OAEP and for ECDH-ES.
    pub sha1_oaep: bool,
}

/// Why decryption (or encryption) was refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncError {
    /// A data, key-transport, key-agreement, KDF or key-wrap algorithm (or parameter, or our
    /// own key) that the profile does not allow (attacks.md E1–E4, E9).
    #[error("encryption algorithm not allowed")]
    AlgorithmForbidden,
    /// An XML-Enc shape we do not process: wrong `Type`, missing or repeated elements, a
    /// `RetrievalMethod` other than a same-document pointer to a sibling `EncryptedKey`, more
    /// than two `EncryptedKey`s, bad ConcatKDF parameters, `KA-Nonce`.
    #[error("XML-Enc structure not allowed")]
    Structure,
    /// No `EncryptedKey` names one of our keys by certificate, `DEREncodedKeyValue` or
    /// `KeyValue` (`RSAKeyValue`, `ECKeyValue`).
    #[error("no encrypted key names one of our keys")]
    KeyNotFound,
    /// The cryptography failed. Deliberately says nothing about which step (rule 27).
    #[error("decryption failed")]
    DecryptionFailed,
    /// OpenSSL failed while encrypting (random generator, key derivation, …).
    #[error("encryption failed")]
    EncryptionFailed,
    /// The markup around the ciphertext, or the decrypted plaintext, was refused by the parser.
    #[error(transparent)]
    Xml(#[from] XmlError),
}

impl EncError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlgorithmForbidden => "enc.algorithm_forbidden",
            Self::Structure => "enc.structure",
            Self::KeyNotFound => "enc.key_not_found",
            Self::DecryptionFailed => "enc.decryption_failed",
            Self::EncryptionFailed => "enc.encryption_failed",
            Self::Xml(e) => e.code(),
        }
    }
}

/// The data-encryption algorithms of CR 3.2: AES-GCM only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAlgorithm {
    /// `xmlenc11#aes128-gcm`.
    Aes128Gcm,
    /// `xmlenc11#aes192-gcm`.
    Aes192Gcm,
    /// `xmlenc11#aes256-gcm` (the eIDAS-Node default).
    Aes256Gcm,
}

impl ContentAlgorithm {
    /// Parses an `EncryptionMethod/@Algorithm`; `None` for anything not allow-listed (CBC…).
    pub fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            AES128_GCM => Self::Aes128Gcm,
            AES192_GCM => Self::Aes192Gcm,
            AES256_GCM => Self::Aes256Gcm,
            _ => return None,
        })
    }

    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Aes128Gcm => AES128_GCM,
            Self::Aes192Gcm => AES192_GCM,
            Self::Aes256Gcm => AES256_GCM,
        }
    }

    /// The content-encryption key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes192Gcm => 24,
            Self::Aes256Gcm => 32,
        }
    }

    fn cipher(self) -> Cipher {
        match self {
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes192Gcm => Cipher::aes_192_gcm(),
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
        }
    }
}

/// How [`encrypt_element`] transports the content key to an RSA recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTransport {
    /// `xmlenc11#rsa-oaep` with an explicit digest and MGF1 hash (eIDAS-Node ≥ 2.7: SHA-256/SHA-256).
    RsaOaep {
        /// The OAEP digest (`ds:DigestMethod`).
        digest: DigestAlgorithm,
        /// The MGF1 hash (`xenc11:MGF`).
        mgf: DigestAlgorithm,
    },
    /// `xmlenc#rsa-oaep-mgf1p` (eIDAS-Node ≤ 2.6); MGF1 is always SHA-1.
    RsaOaepMgf1p {
        /// The OAEP digest (`ds:DigestMethod`).
        digest: DigestAlgorithm,
    },
}

/// What one `EncryptedKey` asks for, allow-listed but not yet used.
enum KeyMethod {
    Transport(keytransport::Oaep),
    Agreement(agreement::EcdhEs),
}

struct ParsedKey {
    method: KeyMethod,
    /// The KeyInfo that names the recipient key (`RecipientKeyInfo` for key agreement).
    names: Option<NodeId>,
    wrapped: Vec<u8>,
}

/// Decrypts `node`, which is an `xenc:EncryptedData` or an element (e.g.
/// `saml2:EncryptedAssertion`) whose single `xenc:EncryptedData` child is to be decrypted,
/// with the one of `keys` that the `EncryptedKey` names. Returns the plaintext bytes.
///
/// # Security
/// The bytes are unparsed; to get a tree use [`decrypt_element`], which applies the hardened
/// parser and its limits. Nothing here says who encrypted the data: the caller must have
/// verified the signature covering `node`.
pub fn decrypt_bytes(
    doc: &Document,
    node: NodeId,
    keys: &[PrivateKey],
    policy: &DecryptionPolicy,
) -> Result<Vec<u8>, EncError> {
    decrypt_bytes_with_info(doc, node, keys, policy).map(|(plaintext, _)| plaintext)
}

/// [`decrypt_bytes`], also saying what the decryption used (e.g. SHA-1 OAEP parameters), so
/// that the caller can log or count it.
pub fn decrypt_bytes_with_info(
    doc: &Document,
    node: NodeId,
    keys: &[PrivateKey],
    policy: &DecryptionPolicy,
) -> Result<(Vec<u8>, DecryptionInfo), EncError> {
    let (data, container) = locate_encrypted_data(doc, node)?;
    // xmlsec-profile 22; eIDAS CR 3.2.1.
    if doc.attr(data, "Type") != Some(TYPE_ELEMENT) {
        return Err(EncError::Structure);
    }
    // attacks.md E1/E2: CBC (or anything but GCM) is refused before any key is looked at.
    let content = ContentAlgorithm::from_uri(encryption_method(doc, data)?.1).ok_or(EncError::AlgorithmForbidden)?;
    // attacks.md E8: at most two EncryptedKeys, inline or sibling; the only RetrievalMethod is
    // SAML Core's pointer to a sibling.
    let key_nodes = encrypted_keys(doc, data, container)?;
    let ciphertext = cipher_value(doc, data)?;
    let parsed = key_nodes.iter().map(|k| parse_encrypted_key(doc, *k, policy)).collect::<Result<Vec<_>, _>>()?;
    // eidas-spec fact 27: the EncryptedKey names our key; we try only that one.
    let (chosen, key) = select_key(doc, &parsed, keys)?;
    policy.keys.check(&key.key).map_err(|_| EncError::AlgorithmForbidden)?;
    let (cek, info) = match &chosen.method {
        KeyMethod::Transport(oaep) if key.key.id() == Id::RSA => {
            (keytransport::decrypt_cek(oaep, &key.key, &chosen.wrapped), DecryptionInfo { sha1_oaep: oaep.uses_sha1() })
        }
        KeyMethod::Agreement(ecdh) if key.key.id() == Id::EC => {
            (agreement::unwrap_cek(ecdh, &key.key, &chosen.wrapped), DecryptionInfo::default())
        }
        _ => return Err(EncError::Structure),
    };
    // attacks.md E3/E4 (Bleichenbacher/Manger class): a failed unwrap carries on with a random
    // key, so it fails at the GCM tag like any other tampering, with the same error and path.
    let cek = match cek {
        Some(k) if k.len() == content.key_len() => k,
        _ => random_bytes(content.key_len()).map_err(|_| EncError::DecryptionFailed)?,
    };
    Ok((gcm_decrypt(content, &cek, &ciphertext)?, info))
}

/// Same as [`decrypt_bytes`], then parses the plaintext with the same hardened parser under
/// `limits`, in the in-scope namespace context of `node` (xmlsec-profile 28; attacks.md E10).
/// The result is a [`Document`] with exactly one root element.
pub fn decrypt_element(
    doc: &Document,
    node: NodeId,
    keys: &[PrivateKey],
    policy: &DecryptionPolicy,
    limits: &Limits,
) -> Result<Document, EncError> {
    decrypt_element_with_info(doc, node, keys, policy, limits).map(|(element, _)| element)
}

/// [`decrypt_element`], also saying what the decryption used (e.g. SHA-1 OAEP parameters), so
/// that the caller can log or count it.
pub fn decrypt_element_with_info(
    doc: &Document,
    node: NodeId,
    keys: &[PrivateKey],
    policy: &DecryptionPolicy,
    limits: &Limits,
) -> Result<(Document, DecryptionInfo), EncError> {
    let (plaintext, info) = decrypt_bytes_with_info(doc, node, keys, policy)?;
    Ok((Document::parse_in_context(&plaintext, limits, &doc.in_scope_namespaces(node))?, info))
}

/// Encrypts the subtree at `element` (serialized with [`serialize::subtree_to_xml`] so it
/// carries its in-scope namespaces) to `recipient` and replaces `element` in the tree by an
/// `xenc:EncryptedData` (`Type=#Element`) holding, inside its `ds:KeyInfo`, one
/// `xenc:EncryptedKey` whose `ds:KeyInfo/ds:X509Data/ds:X509Certificate` names the recipient
/// certificate. Returns the id of the `EncryptedData`.
///
/// An RSA recipient gets key transport as given by `transport`; an EC recipient gets ECDH-ES
/// (fresh ephemeral key on its curve, ConcatKDF SHA-256 with empty AlgorithmID/PartyUInfo/
/// PartyVInfo written `"00"`, kw-aes256) and `transport` is ignored. The content key and the
/// 12-byte IV are fresh from `openssl::rand`. Recipient keys below [`KeyPolicy::default`] are
/// refused with [`EncError::AlgorithmForbidden`].
pub fn encrypt_element(
    doc: &mut Document,
    element: NodeId,
    recipient: &TrustedCert,
    content: ContentAlgorithm,
    transport: KeyTransport,
) -> Result<NodeId, EncError> {
    if doc.element(element).is_none() {
        return Err(EncError::Structure);
    }
    let plaintext = serialize::subtree_to_xml(doc, element);
    let fragment = encrypted_data_for(plaintext.as_bytes(), recipient, content, transport)?;
    let new = doc.import(&fragment, fragment.root());
    doc.replace(element, new);
    // The encrypted element's IDs are gone from the tree.
    doc.reindex_ids()?;
    Ok(new)
}

/// A standalone document whose root is the `xenc:EncryptedData` for `plaintext`.
fn encrypted_data_for(
    plaintext: &[u8],
    recipient: &TrustedCert,
    content: ContentAlgorithm,
    transport: KeyTransport,
) -> Result<Document, EncError> {
    let cek = random_bytes(content.key_len()).map_err(|_| EncError::EncryptionFailed)?;
    encrypted_data_with_cek(plaintext, &cek, recipient, content, transport)
}

/// [`encrypted_data_for`] with a given content key (tests use it to build rollover messages).
fn encrypted_data_with_cek(
    plaintext: &[u8],
    cek: &[u8],
    recipient: &TrustedCert,
    content: ContentAlgorithm,
    transport: KeyTransport,
) -> Result<Document, EncError> {
    KeyPolicy::default().check(&recipient.key).map_err(|_| EncError::AlgorithmForbidden)?;
    // openssl's `Crypter` asserts on a short key: check before calling it.
    if cek.len() != content.key_len() {
        return Err(EncError::EncryptionFailed);
    }
    let mut value = random_bytes(GCM_IV_LEN).map_err(|_| EncError::EncryptionFailed)?;
    let mut tag = [0u8; GCM_TAG_LEN];
    let ct = openssl::symm::encrypt_aead(content.cipher(), cek, Some(&value), &[], plaintext, &mut tag)
        .map_err(|_| EncError::EncryptionFailed)?;
    value.extend_from_slice(&ct);
    value.extend_from_slice(&tag);

    let root =
        xenc("EncryptedData").with_ns(Some("xenc"), NS_XENC).with_ns(Some("ds"), NS_DS).with_attr("Type", TYPE_ELEMENT);
    let mut out = Document::new(root);
    let data = out.root();
    out.append(data, Node::Element(xenc("EncryptionMethod").with_attr("Algorithm", content.uri())));
    let key_info = out.append(data, Node::Element(ds("KeyInfo")));
    let encrypted_key = out.append(key_info, Node::Element(xenc("EncryptedKey")));
    match recipient.key.id() {
        Id::RSA => keytransport::write_encrypted_key(&mut out, encrypted_key, recipient, cek, transport)?,
        Id::EC => agreement::write_encrypted_key(&mut out, encrypted_key, recipient, cek)?,
        _ => return Err(EncError::AlgorithmForbidden),
    }
    append_cipher_data(&mut out, data, &value);
    Ok(out)
}

/// The EncryptedData to decrypt, and the element that may hold sibling EncryptedKeys.
fn locate_encrypted_data(doc: &Document, node: NodeId) -> Result<(NodeId, Option<NodeId>), EncError> {
    if doc.is(node, NS_XENC, "EncryptedData") {
        return Ok((node, doc.parent(node)));
    }
    if doc.element(node).is_none() {
        return Err(EncError::Structure);
    }
    let mut found = doc.children_named(node, NS_XENC, "EncryptedData");
    match (found.next(), found.next()) {
        (Some(data), None) => Ok((data, Some(node))),
        _ => Err(EncError::Structure),
    }
}

/// Allow-lists one EncryptedKey's algorithms and reads its parameters and wrapped key.
fn parse_encrypted_key(doc: &Document, key: NodeId, policy: &DecryptionPolicy) -> Result<ParsedKey, EncError> {
    let (method, algorithm) = encryption_method(doc, key)?;
    let method = match algorithm {
        // attacks.md E3: PKCS#1 v1.5 is refused before the RSA private operation.
        RSA_1_5 => return Err(EncError::AlgorithmForbidden),
        RSA_OAEP | RSA_OAEP_MGF1P => KeyMethod::Transport(keytransport::parse(doc, method, algorithm, policy)?),
        KW_AES128 | KW_AES192 | KW_AES256 => KeyMethod::Agreement(agreement::parse(doc, key, algorithm)?),
        _ => return Err(EncError::AlgorithmForbidden),
    };
    let names = match &method {
        KeyMethod::Transport(_) => opt_child(doc, key, NS_DS, "KeyInfo")?,
        KeyMethod::Agreement(ecdh) => ecdh.recipient_key_info,
    };
    let wrapped = cipher_value(doc, key)?;
    Ok(ParsedKey { method, names, wrapped })
}

/// AES-GCM one-shot decryption of IV ‖ ciphertext ‖ tag; no plaintext on tag failure.
fn gcm_decrypt(content: ContentAlgorithm, cek: &[u8], value: &[u8]) -> Result<Vec<u8>, EncError> {
    // xmlsec-profile 23; attacks.md E5: lengths are checked before slicing (and before
    // openssl, whose `Crypter` asserts on a short key).
    if cek.len() != content.key_len() || value.len() < GCM_IV_LEN + GCM_TAG_LEN {
        return Err(EncError::DecryptionFailed);
    }
    let (iv, rest) = value.split_at_checked(GCM_IV_LEN).ok_or(EncError::DecryptionFailed)?;
    let tag_at = rest.len().checked_sub(GCM_TAG_LEN).ok_or(EncError::DecryptionFailed)?;
    let (ct, tag) = rest.split_at_checked(tag_at).ok_or(EncError::DecryptionFailed)?;
    openssl::symm::decrypt_aead(content.cipher(), cek, Some(iv), &[], ct, tag).map_err(|_| EncError::DecryptionFailed)
}

/// The single `xenc:EncryptionMethod` child of `parent` and its Algorithm.
fn encryption_method(doc: &Document, parent: NodeId) -> Result<(NodeId, &str), EncError> {
    let method = one_child(doc, parent, NS_XENC, "EncryptionMethod")?;
    Ok((method, algorithm(doc, method)?))
}

/// The `Algorithm` attribute of `node`, which must be present.
fn algorithm(doc: &Document, node: NodeId) -> Result<&str, EncError> {
    doc.attr(node, "Algorithm").ok_or(EncError::Structure)
}

/// The decoded `xenc:CipherData/xenc:CipherValue` of `parent` (no `CipherReference`).
fn cipher_value(doc: &Document, parent: NodeId) -> Result<Vec<u8>, EncError> {
    let cipher_data = one_child(doc, parent, NS_XENC, "CipherData")?;
    if doc.child_elements(cipher_data).count() != 1 {
        return Err(EncError::Structure);
    }
    let value = one_child(doc, cipher_data, NS_XENC, "CipherValue")?;
    Ok(decode_base64(&doc.simple_text(value)?)?)
}

/// The only child `{ns}local` of `parent`; none or several is [`EncError::Structure`].
fn one_child(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Result<NodeId, EncError> {
    opt_child(doc, parent, ns, local)?.ok_or(EncError::Structure)
}

/// The child `{ns}local` of `parent`, if any; several is [`EncError::Structure`].
fn opt_child(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Result<Option<NodeId>, EncError> {
    let mut found = doc.children_named(parent, ns, local);
    match (found.next(), found.next()) {
        (first, None) => Ok(first),
        _ => Err(EncError::Structure),
    }
}

fn random_bytes(len: usize) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let mut buf = vec![0u8; len];
    openssl::rand::rand_bytes(&mut buf)?;
    Ok(buf)
}

/// A new `xenc:` element (the prefix is declared on the EncryptedData).
fn xenc(local: &str) -> Element {
    Element::new(Some(NS_XENC), Some("xenc"), local)
}

/// A new `ds:` element (the prefix is declared on the EncryptedData).
fn ds(local: &str) -> Element {
    Element::new(Some(NS_DS), Some("ds"), local)
}

/// Appends `element` holding the text `text`.
fn append_text_element(doc: &mut Document, parent: NodeId, element: Element, text: String) -> NodeId {
    let id = doc.append(parent, Node::Element(element));
    doc.append(id, Node::Text(text));
    id
}

/// Appends `xenc:CipherData/xenc:CipherValue` holding `value` in base64.
fn append_cipher_data(doc: &mut Document, parent: NodeId, value: &[u8]) {
    let cipher_data = doc.append(parent, Node::Element(xenc("CipherData")));
    append_text_element(doc, cipher_data, xenc("CipherValue"), encode_base64(value));
}

/// Appends `ds:X509Data/ds:X509Certificate` naming `cert`.
fn append_x509_data(doc: &mut Document, parent: NodeId, cert: &TrustedCert) -> Result<(), EncError> {
    let der = cert.cert.to_der().map_err(|_| EncError::EncryptionFailed)?;
    let x509_data = doc.append(parent, Node::Element(ds("X509Data")));
    append_text_element(doc, x509_data, ds("X509Certificate"), encode_base64(&der));
    Ok(())
}

#[cfg(test)]
mod tests;
