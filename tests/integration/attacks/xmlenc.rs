//! attacks.md §2.5, XML Encryption: CBC, PKCS#1 v1.5, OAEP parameter games, GCM tampering,
//! attacker-encrypted assertions, hostile plaintexts, key-selection abuse; and the valid
//! variants (a sibling EncryptedKey via RetrievalMethod, SHA-1 OAEP parameters, mgf1p from a
//! protocol-1.2 peer, AES-128-GCM). EncryptedKeys are assembled from `vectorgen.encryption`.

use super::*;

const ROWS: &[Row] = &[
    refused("atk_aes_cbc", "enc.algorithm_forbidden"),
    refused("atk_rsa_1_5", "enc.algorithm_forbidden"),
    refused("atk_oaep_md5_digest", "enc.algorithm_forbidden"),
    // MGF1-SHA224 is in the profile's list (xmlsec-profile 24); the key was wrapped with MGF1-SHA256.
    refused("atk_oaep_mgf1sha224", "enc.decryption_failed"),
    refused("atk_gcm_truncated", "enc.decryption_failed"),
    refused("atk_gcm_tag_flipped", "enc.decryption_failed"),
    refused("atk_gcm_short_tag", "enc.decryption_failed"),
    refused("atk_gcm_not_xml", "xml.malformed"),
    refused("atk_unsigned_attacker_assertion", "sig.missing"),
    refused("atk_second_encrypted_assertion", "sig.digest_mismatch"),
    refused("atk_plaintext_is_response", "saml.not_an_assertion"),
    refused("atk_plaintext_two_assertions", "xml.malformed"),
    refused("atk_many_encrypted_keys", "enc.structure"),
    refused("atk_retrieval_method_external", "enc.structure"),
    refused("atk_other_recipient", "enc.key_not_found"),
    refused("atk_content_type", "enc.structure"),
    refused("atk_plaintext_doctype", "xml.doctype_forbidden"),
    refused("atk_plaintext_deep", "xml.too_deep"),
];

#[tokio::test]
async fn acs_refuses_every_xml_encryption_attack() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("xmlenc: {n} attacks refused");
}

#[tokio::test]
async fn acs_accepts_the_valid_key_transport_variants() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_accepted(&lab, &["ok_retrieval_method", "ok_oaep_label", "ok_sha1_oaep", "ok_mgf1p", "ok_aes128_gcm"])
        .await;
    eprintln!("xmlenc: {n} valid variants accepted");
}
