//! What the demo hub makes of the consume API's answer (DESIGN §2.1): on success the claims it
//! would issue (`reference/franceconnect.md` §3b) and the raw eIDAS attributes with their two
//! scripts side by side; on failure the code, the OIDC error and the proxy's SAML status.
//!
//! Language-neutral data only: the words are added by `pages`. The identity is personal data:
//! its `Debug` shows none of it.

use std::fmt;

use serde_json::Value;

use crate::flow::types::Consumed;

/// The claims shown, in this order, when present in `claims` (`acr` and `amr` follow).
const CLAIMS: [&str; 7] =
    ["given_name", "family_name", "birthdate", "gender", "birthplace", "preferred_username", "sub_source"];

/// At most this many rows of the typed person are shown (a safety net against a huge answer).
const MAX_PERSON_ROWS: usize = 100;

/// Why an answer of the consume API cannot be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// `status` is neither `success` nor `failure`, or a field the status needs is missing.
    #[error("malformed consume answer: {0}")]
    Malformed(&'static str),
}

impl ViewError {
    /// Stable code (shown on the error page).
    pub fn code(self) -> &'static str {
        "connector_answer_malformed"
    }
}

/// One raw eIDAS attribute.
#[derive(Clone, PartialEq, Eq)]
pub struct AttributeRow {
    /// The last segment of its Name URI (`CurrentFamilyName`).
    pub friendly_name: String,
    /// Its Name URI.
    pub name: String,
    /// Its Latin-script values (`LatinScript` absent or `true`).
    pub latin: Vec<String>,
    /// Its original-script values (`LatinScript="false"`).
    pub original: Vec<String>,
}

/// A successful authentication, as the consent and signed-in pages show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// `claims.given_name`.
    pub given_name: String,
    /// `claims.family_name`.
    pub family_name: String,
    /// (claim, value) in [`CLAIMS`] order, then `acr` and `amr`; absent claims left out.
    pub claims: Vec<(String, String)>,
    /// `citizen_country` (eIDAS code).
    pub country: Option<String>,
    /// `level_of_assurance`.
    pub level_of_assurance: Option<String>,
    /// `issuer`: the proxy service's entityID.
    pub issuer: Option<String>,
    /// The connector's request id.
    pub request_id: String,
    /// `attributes`, by Name URI.
    pub attributes: Vec<AttributeRow>,
    /// `person`, flattened: (`family_name.original`, value).
    pub person: Vec<(String, String)>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: only what identifies the request.
        f.debug_struct("Identity")
            .field("request_id", &self.request_id)
            .field("country", &self.country)
            .field("level_of_assurance", &self.level_of_assurance)
            .finish_non_exhaustive()
    }
}

/// The SAML status a proxy service answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlStatus {
    /// Top-level StatusCode.
    pub status_code: String,
    /// Second-level StatusCode.
    pub sub_status_code: Option<String>,
    /// StatusMessage.
    pub status_message: Option<String>,
}

/// A failed authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `user_cancelled`, `authentication_failed`, …
    pub code: String,
    /// The OIDC error the hub sends its service provider (`access_denied`, …).
    pub oidc_error: String,
    /// The proxy's status, when it sent one.
    pub saml: Option<SamlStatus>,
    /// The connector's request id.
    pub request_id: String,
}

/// What the consume call gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An identity (step 4 follows).
    Success(Box<Identity>),
    /// No identity, and why.
    Failure(Failure),
}

/// Reads the consume API's answer.
pub fn read_consumed(body: Consumed) -> Result<Outcome, ViewError> {
    match body.status.as_str() {
        "success" => read_identity(body).map(|i| Outcome::Success(Box::new(i))),
        "failure" => {
            let error = body.error.ok_or(ViewError::Malformed("failure without error"))?;
            Ok(Outcome::Failure(Failure {
                code: error.code,
                oidc_error: error.oidc_error,
                saml: error.saml.map(|s| SamlStatus {
                    status_code: s.status_code,
                    sub_status_code: s.sub_status_code,
                    status_message: s.status_message,
                }),
                request_id: body.request_id,
            }))
        }
        _ => Err(ViewError::Malformed("unknown status")),
    }
}

fn read_identity(body: Consumed) -> Result<Identity, ViewError> {
    let claims =
        body.claims.as_ref().and_then(Value::as_object).ok_or(ViewError::Malformed("success without claims"))?;
    let name = |claim: &str| claims.get(claim).and_then(Value::as_str).map(str::to_owned);
    let given_name = name("given_name").ok_or(ViewError::Malformed("no given_name"))?;
    let family_name = name("family_name").ok_or(ViewError::Malformed("no family_name"))?;
    let mut rows: Vec<(String, String)> = CLAIMS
        .iter()
        .filter_map(|c| claims.get(*c).filter(|v| !v.is_null()).map(|v| ((*c).to_owned(), text(v))))
        .collect();
    if let Some(acr) = &body.acr {
        rows.push(("acr".into(), acr.clone()));
    }
    if let Some(amr) = &body.amr {
        rows.push(("amr".into(), amr.join(", ")));
    }
    let mut person = Vec::new();
    if let Some(p) = &body.person {
        flatten("", p, &mut person, 0);
    }
    person.truncate(MAX_PERSON_ROWS);
    Ok(Identity {
        given_name,
        family_name,
        claims: rows,
        country: body.citizen_country,
        level_of_assurance: body.level_of_assurance,
        issuer: body.issuer,
        request_id: body.request_id,
        attributes: body.attributes.as_ref().map(attribute_rows).unwrap_or_default(),
        person,
    })
}

/// A JSON value as text: strings as they are, arrays joined with ", ".
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `attributes`: Name URI → `[{value, latin_script}]`, values split by script.
fn attribute_rows(attributes: &Value) -> Vec<AttributeRow> {
    let Some(map) = attributes.as_object() else { return Vec::new() };
    map.iter()
        .map(|(name, values)| {
            let mut row = AttributeRow {
                friendly_name: name.rsplit('/').next().unwrap_or(name).to_owned(),
                name: name.clone(),
                latin: Vec::new(),
                original: Vec::new(),
            };
            for v in values.as_array().map(Vec::as_slice).unwrap_or_default() {
                let value = v.get("value").map(text).unwrap_or_default();
                // AP 2.4: a value is Latin script unless it says `LatinScript="false"`.
                if v.get("latin_script").and_then(Value::as_bool) == Some(false) {
                    row.original.push(value);
                } else {
                    row.latin.push(value);
                }
            }
            row
        })
        .collect()
}

/// `person` as (dotted path, text) rows; arrays of scalars joined, deeper nesting cut.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>, depth: usize) {
    let path = |key: &str| if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") };
    match v {
        Value::Object(map) if depth < 4 => {
            for (k, v) in map {
                flatten(&path(k), v, out, depth + 1);
            }
        }
        Value::Array(items) if depth < 4 && items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&path(&i.to_string()), v, out, depth + 1);
            }
        }
        Value::Null => {}
        other => out.push((prefix.to_owned(), text(other))),
    }
}

#[cfg(test)]
impl Identity {
    /// A small identity for the tests.
    pub fn sample() -> Self {
        Self {
            given_name: "Javier".into(),
            family_name: "Garcia".into(),
            claims: vec![("given_name".into(), "Javier".into()), ("family_name".into(), "Garcia".into())],
            country: Some("XA".into()),
            level_of_assurance: Some("substantial".into()),
            issuer: Some("http://127.0.0.1:1/metadata".into()),
            request_id: "req-1".into(),
            attributes: Vec::new(),
            person: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumed(v: Value) -> Consumed {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_success_gives_the_claims_in_order_and_the_two_scripts_side_by_side() {
        let body = consumed(serde_json::json!({
            "status": "success", "request_id": "r1", "citizen_country": "XA", "level_of_assurance": "high",
            "claims": {"sub_source": "XA/FR/1", "given_name": "Eleni", "family_name": "Papadopoulou",
                       "birthdate": "1990-01-02", "preferred_username": "Papadopoulou"},
            "acr": "eidas3", "amr": ["eidas"],
            "attributes": {"http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName": [
                {"value": "Παπαδοπούλου", "latin_script": false}, {"value": "Papadopoulou", "latin_script": true}]},
            "person": {"family_name": {"latin": "Papadopoulou", "original": "Παπαδοπούλου"},
                       "nationality": ["EL", "FR"], "current_address": null},
        }));
        let Outcome::Success(id) = read_consumed(body).unwrap() else { panic!("not a success") };
        let names: Vec<&str> = id.claims.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["given_name", "family_name", "birthdate", "preferred_username", "sub_source", "acr", "amr"]);
        assert_eq!(id.claims.last().unwrap().1, "eidas");
        let row = &id.attributes[0];
        assert_eq!(row.friendly_name, "CurrentFamilyName");
        assert_eq!(
            (row.latin.as_slice(), row.original.as_slice()),
            (&["Papadopoulou".to_owned()][..], &["Παπαδοπούλου".to_owned()][..])
        );
        assert!(id.person.contains(&("family_name.original".into(), "Παπαδοπούλου".into())));
        assert!(id.person.contains(&("nationality".into(), "EL, FR".into())));
        assert!(!format!("{id:?}").contains("Papadopoulou"), "Debug shows no personal data");
    }

    #[test]
    fn a_failure_keeps_the_code_the_oidc_error_and_the_saml_status() {
        let body = consumed(serde_json::json!({
            "status": "failure", "request_id": "r2",
            "error": {"code": "user_cancelled", "oidc_error": "access_denied",
                      "saml": {"status_code": "urn:…:Responder", "sub_status_code": null, "status_message": "no"}},
        }));
        let Outcome::Failure(f) = read_consumed(body).unwrap() else { panic!("not a failure") };
        assert_eq!(
            (f.code.as_str(), f.oidc_error.as_str(), f.request_id.as_str()),
            ("user_cancelled", "access_denied", "r2")
        );
        assert_eq!(f.saml.unwrap().status_message.as_deref(), Some("no"));
    }

    #[test]
    fn answers_without_what_their_status_needs_are_malformed() {
        for v in [
            serde_json::json!({"status": "success", "request_id": "r"}),
            serde_json::json!({"status": "success", "request_id": "r", "claims": {"given_name": "A"}}),
            serde_json::json!({"status": "failure", "request_id": "r"}),
            serde_json::json!({"status": "maybe", "request_id": "r"}),
        ] {
            assert!(matches!(read_consumed(consumed(v.clone())), Err(ViewError::Malformed(_))), "{v}");
        }
    }
}
