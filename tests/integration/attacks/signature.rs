//! attacks.md §2.3, signature semantics: comments, nested SignedInfo, stray DigestValues,
//! References to other nodes, duplicate and entity-defined IDs, key injection through KeyInfo,
//! algorithm downgrades and namespace confusion. Signatures are made by python-xmlsec or by
//! the hand-assembled signer of `tests/vectors/vectorgen` (lxml c14n + pyca/cryptography).

use super::*;

const ROWS: &[Row] = &[
    refused("atk_comment_in_person_identifier", "saml.assertion_structure"),
    refused("atk_comment_in_digest", "sig.structure"),
    refused("atk_nested_signed_info", "sig.structure"),
    refused("atk_digest_in_extensions", "sig.digest_mismatch"),
    refused("atk_reference_encrypted_data", "sig.reference"),
    refused("atk_reference_empty_uri", "sig.reference"),
    refused("atk_xpath_transform", "sig.transforms_forbidden"),
    refused("atk_two_references", "sig.reference"),
    refused("atk_duplicate_id", "xml.duplicate_id"),
    refused("atk_entity_defined_id", "xml.doctype_forbidden"),
    refused("atk_namespace_differential", "xml.doctype_forbidden"),
    refused("atk_keyinfo_attacker", "sig.invalid"),
    refused("atk_rsa_sha1", "sig.algorithm_forbidden"),
    refused("atk_rsa_sha256_pkcs1", "sig.algorithm_forbidden"),
    refused("atk_hmac_with_certificate", "sig.algorithm_forbidden"),
    refused("atk_digest_sha1", "sig.digest_forbidden"),
    refused("atk_digest_md5", "sig.digest_forbidden"),
    refused("atk_ecdsa_method_rsa_key", "sig.key_type_mismatch"),
    refused("atk_ns_rebound_ds", "sig.missing"),
    refused("atk_ns_rebound_saml2", "attributes.unexpected_element"),
];

#[tokio::test]
async fn acs_refuses_every_signature_semantics_attack() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("signature: {n} attacks refused");
}

/// The signature algorithms eIDAS allows, each by a key the proxy's metadata publishes
/// (`all_signers`): RSASSA-PSS SHA-384/512 and ECDSA on P-256/384/521 and brainpool 256/384/512.
#[tokio::test]
async fn acs_accepts_every_allowed_signature_algorithm_and_curve() {
    let Some(lab) = Lab::ready(Some("all_signers")).await else { return };
    let n = run_accepted(
        &lab,
        &[
            "ok_pss_sha384",
            "ok_pss_sha512",
            "ok_ecdsa_p256",
            "ok_ecdsa_p384",
            "ok_ecdsa_p521",
            "ok_ecdsa_bp256",
            "ok_ecdsa_bp384",
            "ok_ecdsa_bp512",
        ],
    )
    .await;
    eprintln!("signature: {n} valid variants accepted");
}
