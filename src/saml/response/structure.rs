//! The tree-shape checks of [`super::validate_response`]: where an assertion may stand in
//! the Response, which children the decrypted Assertion may have, and ID uniqueness across
//! the Response and the Assertion decrypted from it.
//!
//! Pure predicates over already parsed documents: they read no value, decide nothing about
//! signatures and return only what is wrong (the caller maps it to a [`super::ResponseError`]).

use crate::saml::NS_SAML;
use crate::xmlsec::{Document, Node, NodeId, NS_DS};

/// True when an assertion other than `selected` (the one `EncryptedAssertion` child that will
/// be decrypted) stands anywhere under `response`: a plaintext `saml2:Assertion` at any depth,
/// or another `saml2:EncryptedAssertion` (in `Extensions`, `StatusDetail`, a foreign element…).
///
/// # Security
/// Only the decrypted content of `selected` is ever read; a second assertion elsewhere is the
/// raw material of wrapping attacks (attacks.md XSW7) and has no legitimate use.
pub(super) fn has_stray_assertion(doc: &Document, response: NodeId, selected: NodeId) -> bool {
    doc.descendants(response)
        .any(|n| doc.is(n, NS_SAML, "Assertion") || (n != selected && doc.is(n, NS_SAML, "EncryptedAssertion")))
}

/// A child position in `saml:AssertionType` (SAML Core 2.3.3), in schema order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Issuer,
    Signature,
    Subject,
    Conditions,
    Advice,
    /// `Statement`, `AuthnStatement`, `AuthzDecisionStatement`, `AttributeStatement`: any number.
    Statement,
}

impl Slot {
    fn of(doc: &Document, child: NodeId) -> Option<Self> {
        let e = doc.element(child)?;
        match (e.ns.as_deref(), e.local.as_str()) {
            (Some(NS_SAML), "Issuer") => Some(Self::Issuer),
            (Some(NS_DS), "Signature") => Some(Self::Signature),
            (Some(NS_SAML), "Subject") => Some(Self::Subject),
            (Some(NS_SAML), "Conditions") => Some(Self::Conditions),
            (Some(NS_SAML), "Advice") => Some(Self::Advice),
            (Some(NS_SAML), "Statement" | "AuthnStatement" | "AuthzDecisionStatement" | "AttributeStatement") => {
                Some(Self::Statement)
            }
            _ => None,
        }
    }

    /// The detail of a second occurrence; `None` where the schema allows several.
    fn second(self) -> Option<&'static str> {
        match self {
            Self::Issuer => Some("second Issuer"),
            Self::Signature => Some("second Signature"),
            Self::Subject => Some("second Subject"),
            Self::Conditions => Some("second Conditions"),
            Self::Advice => Some("second Advice"),
            Self::Statement => None,
        }
    }
}

/// Checks that `assertion` has the shape of `saml:AssertionType`: element children exactly
/// `Issuer, ds:Signature?, Subject?, Conditions?, Advice?, (statements)*` in that order, no
/// character data among them, and no `saml2:Assertion` at any depth inside it. Returns the
/// defect as a fixed detail.
///
/// Presence (Issuer, Subject, the statements eIDAS requires) and what Advice may hold are
/// judged by the field checks that follow; this check only refuses what the schema does not
/// allow at all, so that those checks never have to choose between two candidates.
pub(super) fn check_assertion_shape(doc: &Document, assertion: NodeId) -> Result<(), &'static str> {
    // xmlsec-profile 17; attacks.md XSW3–XSW8: an Assertion inside the Assertion (in Advice,
    // SubjectConfirmationData, anywhere), signed or not, is never a second source of data.
    if doc.descendants(assertion).any(|n| doc.is(n, NS_SAML, "Assertion")) {
        return Err("nested Assertion");
    }
    let mut last: Option<Slot> = None;
    for child in doc.children(assertion) {
        match doc.node(*child) {
            Node::Element(_) => {}
            // SAML Core schema: AssertionType has element-only content.
            Node::Text(t) if !t.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) => return Err("text content"),
            Node::Text(_) | Node::Comment(_) => continue,
        }
        // SAML Core 2.3.3: nothing outside the AssertionType sequence (no extension point).
        let slot = Slot::of(doc, *child).ok_or("unknown child")?;
        if let Some(prev) = last {
            // SAML Core 2.3.3: the sequence order.
            if slot < prev {
                return Err("children out of order");
            }
            // SAML Core 2.3.3: maxOccurs 1 for everything but the statements.
            if slot == prev {
                if let Some(detail) = slot.second() {
                    return Err(detail);
                }
            }
        }
        last = Some(slot);
    }
    Ok(())
}

/// True when an ID value registered in the decrypted `assertion` document (its `ID`s and
/// XML-Sig/XML-Enc `Id`s, as [`Document::find_id`] indexes them) is also registered in the
/// `response` document.
///
/// # Security
/// Each document refuses duplicates on its own (xmlsec-profile 5); this closes the gap between
/// the two, so that an ID names one element of the message (attacks.md C6) and the Response
/// and Assertion IDs kept by the replay cache are distinct.
pub(super) fn has_shared_id(response: &Document, assertion: &Document) -> bool {
    assertion.ids().any(|id| response.find_id(id).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::Limits;

    const NS: &str = "xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
                      xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" \
                      xmlns:saml2p=\"urn:oasis:names:tc:SAML:2.0:protocol\"";

    fn doc(xml: &str) -> Document {
        Document::parse(xml.as_bytes(), &Limits::default()).unwrap()
    }

    fn shape(children: &str) -> Result<(), &'static str> {
        let d = doc(&format!("<saml2:Assertion {NS} ID=\"_a\">{children}</saml2:Assertion>"));
        check_assertion_shape(&d, d.root())
    }

    #[test]
    fn assertion_shape_accepts_the_schema_sequence_with_optional_parts_left_out() {
        let full = "<saml2:Issuer>i</saml2:Issuer>\n<ds:Signature/><saml2:Subject/><saml2:Conditions/>\
                    <saml2:Advice/><saml2:AuthnStatement/><saml2:AttributeStatement/><saml2:AuthnStatement/>\
                    <saml2:AuthzDecisionStatement/><saml2:Statement/><!-- c -->\n";
        assert_eq!(shape(full), Ok(()));
        assert_eq!(shape("<saml2:Issuer>i</saml2:Issuer><saml2:Subject/><saml2:AttributeStatement/>"), Ok(()));
        assert_eq!(shape("<saml2:Issuer>i</saml2:Issuer>"), Ok(()));
    }

    #[test]
    fn assertion_shape_refuses_a_second_issuer_subject_or_conditions() {
        let i = "<saml2:Issuer>i</saml2:Issuer>";
        assert_eq!(shape(&format!("{i}{i}<saml2:Subject/>")), Err("second Issuer"));
        assert_eq!(shape(&format!("{i}<saml2:Subject/><saml2:Subject/>")), Err("second Subject"));
        assert_eq!(shape(&format!("{i}<saml2:Conditions/><saml2:Conditions/>")), Err("second Conditions"));
        assert_eq!(shape(&format!("{i}<ds:Signature/><ds:Signature/>")), Err("second Signature"));
        assert_eq!(shape(&format!("{i}<saml2:Advice/><saml2:Advice/>")), Err("second Advice"));
    }

    #[test]
    fn assertion_shape_refuses_children_out_of_order() {
        let i = "<saml2:Issuer>i</saml2:Issuer>";
        assert_eq!(shape(&format!("{i}<saml2:Conditions/><saml2:Subject/>")), Err("children out of order"));
        assert_eq!(shape(&format!("<saml2:Subject/>{i}")), Err("children out of order"));
        assert_eq!(shape(&format!("{i}<saml2:Subject/><ds:Signature/>")), Err("children out of order"));
        assert_eq!(shape(&format!("{i}<saml2:AuthnStatement/><saml2:Conditions/>")), Err("children out of order"));
    }

    #[test]
    fn assertion_shape_refuses_unknown_children_and_text() {
        let i = "<saml2:Issuer>i</saml2:Issuer>";
        for child in [
            "<saml2:NameID>x</saml2:NameID>",
            "<saml2:EncryptedAttribute/>",
            "<x:Issuer xmlns:x=\"urn:other\">i</x:Issuer>",
            "<Subject/>",
            "<saml2p:Extensions/>",
            "<ds:Object/>",
        ] {
            assert_eq!(shape(&format!("{i}{child}<saml2:Subject/>")), Err("unknown child"), "{child}");
        }
        assert_eq!(shape(&format!("{i} ES/FR/1 <saml2:Subject/>")), Err("text content"));
    }

    #[test]
    fn assertion_shape_refuses_a_nested_assertion_at_any_depth() {
        let i = "<saml2:Issuer>i</saml2:Issuer>";
        let inner = "<saml2:Assertion ID=\"_b\"><saml2:Issuer>x</saml2:Issuer></saml2:Assertion>";
        for place in [
            format!("{i}<saml2:Advice>{inner}</saml2:Advice>"),
            format!(
                "{i}<saml2:Subject><saml2:SubjectConfirmation><saml2:SubjectConfirmationData>{inner}\
                     </saml2:SubjectConfirmationData></saml2:SubjectConfirmation></saml2:Subject>"
            ),
            format!("{i}{inner}"),
        ] {
            assert_eq!(shape(&place), Err("nested Assertion"), "{place}");
        }
    }

    #[test]
    fn stray_assertion_is_found_at_any_depth_but_the_selected_encrypted_assertion_is_not_one() {
        let response = |extra: &str| {
            doc(&format!(
                "<saml2p:Response {NS} ID=\"_r\"><saml2:Issuer>i</saml2:Issuer>{extra}\
                 <saml2:EncryptedAssertion><x/></saml2:EncryptedAssertion></saml2p:Response>"
            ))
        };
        let selected = |d: &Document| d.first_child_named(d.root(), NS_SAML, "EncryptedAssertion").unwrap();
        let clean = response("<saml2p:Status/>");
        assert!(!has_stray_assertion(&clean, clean.root(), selected(&clean)));
        for extra in [
            "<saml2p:Extensions><saml2:Assertion ID=\"_e\"/></saml2p:Extensions>",
            "<saml2p:Status><saml2p:StatusDetail><w><saml2:Assertion ID=\"_e\"/></w></saml2p:StatusDetail></saml2p:Status>",
            "<saml2p:Extensions><saml2:EncryptedAssertion/></saml2p:Extensions>",
        ] {
            let d = response(extra);
            assert!(has_stray_assertion(&d, d.root(), selected(&d)), "{extra}");
        }
    }

    #[test]
    fn shared_id_is_found_whether_it_is_the_root_id_or_a_nested_one() {
        let response = doc(&format!(
            "<saml2p:Response {NS} ID=\"_r\"><saml2p:Extensions><x ID=\"_x\"/></saml2p:Extensions></saml2p:Response>"
        ));
        let assertion = |xml: &str| doc(&format!("<saml2:Assertion {NS} {xml}</saml2:Assertion>"));
        assert!(!has_shared_id(&response, &assertion("ID=\"_a\"><y ID=\"_y\"/>")));
        assert!(has_shared_id(&response, &assertion("ID=\"_r\">")));
        assert!(has_shared_id(&response, &assertion("ID=\"_a\"><y ID=\"_x\"/>")));
        assert!(has_shared_id(&response, &assertion("ID=\"_a\"><ds:Signature Id=\"_r\"/>")));
    }
}
