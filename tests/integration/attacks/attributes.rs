//! attacks.md §2.8, eIDAS attribute semantics: a missing mandatory attribute, a PersonIdentifier
//! of another country or for another destination, repeated or multi-valued identifiers, and
//! Name / NameFormat variants.

use super::*;

const ROWS: &[Row] = &[
    refused("atk_attr_date_of_birth_missing", "attributes.missing"),
    refused("atk_attr_person_identifier_other_country", "saml.person_identifier"),
    refused("atk_attr_person_identifier_other_destination", "saml.person_identifier"),
    refused("atk_attr_person_identifier_twice", "attributes.duplicate_attribute"),
    refused("atk_attr_person_identifier_two_values", "attributes.multiple_values"),
    Row { scenario: "atk_attr_name_trailing_space", hub: "attributes_missing", code: Some("saml.attributes_missing") },
    refused("atk_attr_name_format_basic", "attributes.name_format"),
];

#[tokio::test]
async fn acs_refuses_every_attribute_attack() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("attributes: {n} attacks refused");
}
