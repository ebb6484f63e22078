//! The checks of [`validate_response`], in order. Each is preceded by its source.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::identity::VerifiedIdentity;
use super::structure::{check_assertion_shape, has_shared_id, has_stray_assertion};
use super::{CheckResult, Outcome, ResponseContext, ResponseError};
use crate::saml::attributes::{self, parse_attribute_statement, IdentifierCountries};
use crate::saml::status::{classify, parse_status};
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat, NAMEID_FORMAT_ENTITY, NS_SAML, NS_SAMLP};
use crate::xmlsec::dsig::{verify_element, SignaturePolicy};
use crate::xmlsec::keys::CertValidity;
use crate::xmlsec::xmlenc::{decrypt_element_with_info, DecryptionPolicy};
use crate::xmlsec::{read_message, Document, NodeId, NS_DS};

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// The anti-replay cache: remembers an ID until `until`.
///
/// A valid message asks about two keys, `response:<issuer>:<Response ID>` then
/// `assertion:<issuer>:<Assertion ID>`, never the same ID twice (`assertion.unique_ids` runs first).
pub trait ReplayGuard {
    /// True the first time `id` is seen (and records it until `until`); false on a replay.
    fn first_use(&mut self, id: &str, until: OffsetDateTime) -> bool;
}

impl ReplayGuard for std::collections::HashMap<String, OffsetDateTime> {
    fn first_use(&mut self, id: &str, until: OffsetDateTime) -> bool {
        if self.contains_key(id) {
            return false;
        }
        self.insert(id.to_owned(), until);
        true
    }
}

struct Trace<'t>(&'t mut Vec<CheckResult>);

impl Trace<'_> {
    fn check<T>(&mut self, check: &'static str, r: Result<T, ResponseError>) -> Result<T, ResponseError> {
        self.0.push(CheckResult {
            check,
            passed: r.is_ok(),
            code: r.as_ref().err().map(ResponseError::code),
            relaxed: None,
        });
        r
    }

    /// Records a check that may have passed only by a per-country relaxation.
    fn check_relaxable(
        &mut self,
        check: &'static str,
        r: Result<Option<&'static str>, ResponseError>,
    ) -> Result<(), ResponseError> {
        let relaxed = r.as_ref().ok().copied().flatten();
        self.0.push(CheckResult { check, passed: r.is_ok(), code: r.as_ref().err().map(ResponseError::code), relaxed });
        r.map(|_| ())
    }
}

/// eIDAS IA 6.3; CEF 2.9 `check.certificate.validity.period=true`: the published certificate
/// that verified a signature must be within its validity period, unless the country's
/// configuration relaxes it (then `Ok(Some(note))`).
fn signer_validity(ctx: &ResponseContext<'_>, signer: usize) -> Result<Option<&'static str>, ResponseError> {
    let validity = ctx
        .peer
        .signing_certs
        .get(signer)
        .map_or(CertValidity::Expired, |c| c.validity_at(ctx.now, ctx.policy.clock_skew));
    match (validity, ctx.peer.insecure_ignore_certificate_validity) {
        (CertValidity::Valid, _) => Ok(None),
        (CertValidity::Expired, true) => {
            Ok(Some("certificate expired; accepted by insecure_ignore_certificate_validity"))
        }
        (CertValidity::NotYetValid, true) => {
            Ok(Some("certificate not yet valid; accepted by insecure_ignore_certificate_validity"))
        }
        (v, false) => Err(ResponseError::SigningCertificate(v)),
    }
}

fn ensure(cond: bool, err: ResponseError) -> Result<(), ResponseError> {
    if cond {
        Ok(())
    } else {
        Err(err)
    }
}

fn instant(s: Option<&str>) -> Option<OffsetDateTime> {
    s.and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok())
}

/// Compares URLs as the reference node does, tolerating surrounding whitespace only
/// (eidas-spec fact 16).
fn same_url(got: Option<&str>, want: &str) -> bool {
    got.is_some_and(|g| g.trim() == want)
}

fn child_text(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Option<String> {
    doc.first_child_named(parent, ns, local).and_then(|n| doc.simple_text(n).ok())
}

/// Validates a Response (XML or base64) against `ctx`, recording each check in `trace`.
pub fn validate_response(
    message: &[u8],
    ctx: &ResponseContext<'_>,
    replay: &mut dyn ReplayGuard,
    trace: &mut Vec<CheckResult>,
) -> Result<Outcome, ResponseError> {
    let mut t = Trace(trace);
    let policy = ctx.policy;
    let now = ctx.now;
    let skew = policy.clock_skew;

    // xmlsec-profile 1–5: size, then one hardened parse for verification and extraction.
    let doc = t.check(
        "parse",
        read_message(message, &policy.limits)
            .and_then(|xml| Document::parse(&xml, &policy.limits))
            .map_err(ResponseError::from),
    )?;
    let root = doc.root();
    t.check("response.element", ensure(doc.is(root, NS_SAMLP, "Response"), ResponseError::NotAResponse))?;

    // xmlsec-profile 16; eIDAS IA 3.2.2.2: signed by a key of the issuer's verified metadata.
    let sig_policy = SignaturePolicy { keys: policy.keys, allow_whole_document_reference: false };
    let verified = t.check(
        "response.signature",
        verify_element(&doc, root, &ctx.peer.signing_certs, &sig_policy).map_err(ResponseError::Signature),
    )?;
    t.check_relaxable("response.signing_certificate", signer_validity(ctx, verified.signer()))?;
    // From here on, read only from the verified element.
    let response = verified.node();

    // SAML Core 3.2.2: Version, ID, IssueInstant.
    let issue_instant = instant(doc.attr(response, "IssueInstant"));
    t.check(
        "response.version",
        ensure(
            doc.attr(response, "Version") == Some("2.0")
                && doc.attr(response, "ID").is_some()
                && issue_instant.is_some(),
            ResponseError::Version,
        ),
    )?;
    // SAML Bindings 3.5.5.2: Destination = the ACS it was posted to (the reference node only checks presence).
    t.check(
        "response.destination",
        ensure(same_url(doc.attr(response, "Destination"), ctx.acs_url), ResponseError::DestinationMismatch),
    )?;
    // eIDAS IA 3.2.2.2: unsolicited responses MUST NOT be accepted.
    t.check(
        "response.in_response_to",
        ensure(
            doc.attr(response, "InResponseTo") == Some(ctx.pending.id.as_str()),
            ResponseError::InResponseToMismatch,
        ),
    )?;
    // eidas-spec §2.6 step 5: the Issuer is the proxy the request went to; Format entity if present.
    let issuer_ok =
        ctx.pending.proxy_entity_id == ctx.peer.entity_id && issuer_ok_in(&doc, response, &ctx.peer.entity_id);
    t.check("response.issuer", ensure(issuer_ok, ResponseError::IssuerMismatch))?;
    // Sweden Connect max-message-age; eidas-spec §2.6 step 14.
    let fresh = issue_instant.is_some_and(|i| i <= now + skew && i + policy.max_message_age + skew >= now);
    t.check("response.issue_instant", ensure(fresh, ResponseError::Stale))?;

    // eidas-spec §2.6 step 7: a non-success status is an outcome; any assertion is ignored.
    let status_node = doc.first_child_named(response, NS_SAMLP, "Status").ok_or(ResponseError::Status);
    let status =
        t.check("response.status", status_node.and_then(|n| parse_status(&doc, n).map_err(|_| ResponseError::Status)))?;
    if !status.is_success() {
        let code = classify(&status);
        return Ok(Outcome::Failed { status, code });
    }

    // xmlsec-profile 17; eIDAS IA 3.2.2: exactly one EncryptedAssertion, no plaintext Assertion.
    let encrypted: Vec<NodeId> = doc.children_named(response, NS_SAML, "EncryptedAssertion").collect();
    let plain = doc.children_named(response, NS_SAML, "Assertion").count();
    let encrypted_assertion = t.check(
        "response.assertion_count",
        match (encrypted.as_slice(), plain) {
            ([one], 0) => Ok(*one),
            _ => Err(ResponseError::AssertionCount),
        },
    )?;
    // xmlsec-profile 17; attacks.md XSW7: no assertion anywhere else in the Response, at any depth.
    t.check(
        "response.no_stray_assertion",
        ensure(!has_stray_assertion(&doc, response, encrypted_assertion), ResponseError::StrayAssertion),
    )?;

    // eidas-spec §2.6 step 9: rsa-oaep-mgf1p is refused from peers announcing protocol 1.4 (CEF).
    let announces_1_4 = ctx.peer.highest_protocol_version.as_deref().is_some_and(|v| v >= "1.4");
    // Issue 6: SHA-1 OAEP parameters can be refused per country.
    let decryption = DecryptionPolicy {
        allow_rsa_oaep_mgf1p: policy.decryption.allow_rsa_oaep_mgf1p && !announces_1_4,
        allow_sha1_oaep: policy.decryption.allow_sha1_oaep && ctx.peer.allow_sha1_oaep,
        ..policy.decryption
    };
    // xmlsec-profile 22–28: the plaintext is parsed by the same hardened parser, in context.
    let (assertion_doc, decrypted) = t.check(
        "assertion.decrypt",
        decrypt_element_with_info(&doc, encrypted_assertion, ctx.decryption_keys, &decryption, &policy.limits)
            .map_err(ResponseError::Decryption),
    )?;
    let a = assertion_doc.root();
    if !assertion_doc.is(a, NS_SAML, "Assertion") {
        return t.check("assertion.decrypt", Err(ResponseError::NotAnAssertion));
    }

    // xmlsec-profile 18: a present signature must verify; required per country.
    let has_sig = assertion_doc.first_child_named(a, NS_DS, "Signature").is_some();
    let assertion_verified = t.check(
        "assertion.signature",
        if has_sig || ctx.peer.require_signed_assertion {
            verify_element(&assertion_doc, a, &ctx.peer.signing_certs, &sig_policy)
                .map(Some)
                .map_err(ResponseError::AssertionSignature)
        } else {
            // Unsigned: it came decrypted out of the verified Response, which covered it.
            Ok(None)
        },
    )?;
    // An unsigned Assertion has no certificate of its own to check (it came in the Response).
    t.check_relaxable(
        "assertion.signing_certificate",
        assertion_verified.as_ref().map_or(Ok(None), |v| signer_validity(ctx, v.signer())),
    )?;
    let assertion = assertion_verified.as_ref().map_or(a, |v| v.node());

    let ad = &assertion_doc;
    // SAML Core 2.3.3 (AssertionType); xmlsec-profile 17: the schema's children, no nested Assertion.
    t.check("assertion.shape", check_assertion_shape(ad, assertion).map_err(ResponseError::AssertionShape))?;
    // xmlsec-profile 5 across the two documents; attacks.md C6: one element per ID in the message.
    t.check("assertion.unique_ids", ensure(!has_shared_id(&doc, ad), ResponseError::DuplicateId))?;

    // SAML Core 2.3.3 / eIDAS IA 3.2.2 / eidas-spec §2.6 step 12.
    let subject = ad.first_child_named(assertion, NS_SAML, "Subject");
    let name_id_node = subject.and_then(|s| ad.first_child_named(s, NS_SAML, "NameID"));
    let authn: Vec<NodeId> = ad.children_named(assertion, NS_SAML, "AuthnStatement").collect();
    let attr_statements: Vec<NodeId> = ad.children_named(assertion, NS_SAML, "AttributeStatement").collect();
    let structure = (|| {
        ensure(ad.attr(assertion, "Version") == Some("2.0"), ResponseError::AssertionStructure("Version"))?;
        ensure(ad.attr(assertion, "ID").is_some(), ResponseError::AssertionStructure("ID"))?;
        ensure(issuer_ok_in(ad, assertion, &ctx.peer.entity_id), ResponseError::IssuerMismatch)?;
        // xmlsec-profile 17: no assertion carried in Advice.
        ensure(
            ad.first_child_named(assertion, NS_SAML, "Advice").is_none(),
            ResponseError::AssertionStructure("Advice"),
        )?;
        let name_id = name_id_node.ok_or(ResponseError::AssertionStructure("Subject/NameID"))?;
        let value = ad.simple_text(name_id).map_err(|_| ResponseError::AssertionStructure("NameID value"))?;
        ensure(!value.trim().is_empty(), ResponseError::AssertionStructure("NameID value"))?;
        match (authn.as_slice(), attr_statements.as_slice()) {
            ([one], [stmt]) => Ok((value, *one, *stmt)),
            _ => Err(ResponseError::AssertionStructure("one AuthnStatement and one AttributeStatement")),
        }
    })();
    let (name_id, authn_statement, attribute_statement) = t.check("assertion.fields", structure)?;

    // SAML Profiles 4.1.4.2: a bearer SubjectConfirmation for our ACS, our request, still valid;
    // and only that one (attacks.md P7, as the Estonia client: a second confirmation for another
    // recipient or method is refused, never ignored).
    let bearer_ok = subject.is_some_and(|s| {
        let mut confirmations = ad.children_named(s, NS_SAML, "SubjectConfirmation");
        let (first, second) = (confirmations.next(), confirmations.next());
        second.is_none()
            && first.is_some_and(|sc| {
                let Some(data) = ad.first_child_named(sc, NS_SAML, "SubjectConfirmationData") else { return false };
                ad.attr(sc, "Method") == Some(BEARER)
                    && same_url(ad.attr(data, "Recipient"), ctx.acs_url)
                    && ad.attr(data, "InResponseTo") == Some(ctx.pending.id.as_str())
                    && instant(ad.attr(data, "NotOnOrAfter")).is_some_and(|n| now < n + skew)
                    && ad.attr(data, "NotBefore").is_none()
            })
    });
    t.check("assertion.subject_confirmation", ensure(bearer_ok, ResponseError::SubjectConfirmation))?;

    // SAML Core 2.5.1.2; eidas-spec fact 14 (the reference node allows 60 s on NotBefore).
    let conditions = ad.first_child_named(assertion, NS_SAML, "Conditions");
    let not_before = conditions.and_then(|c| instant(ad.attr(c, "NotBefore")));
    let not_on_or_after = conditions.and_then(|c| instant(ad.attr(c, "NotOnOrAfter")));
    let window = match (not_before, not_on_or_after) {
        (Some(nb), Some(na)) => ensure(nb <= now + skew && now < na + skew, ResponseError::Expired).map(|()| na),
        _ => Err(ResponseError::Expired),
    };
    let valid_until = t.check("assertion.conditions", window)?;
    // SAML Core 2.5.1.4: at least one AudienceRestriction, each naming us.
    let restrictions: Vec<NodeId> =
        conditions.map(|c| ad.children_named(c, NS_SAML, "AudienceRestriction").collect()).unwrap_or_default();
    let audience_ok = !restrictions.is_empty()
        && restrictions.iter().all(|r| {
            ad.children_named(*r, NS_SAML, "Audience")
                .any(|au| ad.simple_text(au).is_ok_and(|v| v.trim() == ctx.entity_id))
        });
    t.check("assertion.audience", ensure(audience_ok, ResponseError::AudienceMismatch))?;

    // eidas-spec §2.6 step 16: Response and Assertion IDs until NotOnOrAfter. The two keys are
    // distinct (namespaced, and assertion.unique_ids refused an Assertion ID equal to the Response
    // ID), so one message never looks like a replay of itself.
    let response_id = doc.attr(response, "ID").unwrap_or_default().to_owned();
    let assertion_id = ad.attr(assertion, "ID").unwrap_or_default().to_owned();
    let fresh_ids = replay.first_use(&format!("response:{}:{response_id}", ctx.peer.entity_id), valid_until + skew)
        & replay.first_use(&format!("assertion:{}:{assertion_id}", ctx.peer.entity_id), valid_until + skew);
    t.check("replay", ensure(fresh_ids, ResponseError::Replay))?;

    // eidas-spec §2.6 step 17 (CEF 200015).
    let asked = CountryCode::parse(&ctx.pending.country);
    let country_ok = asked == Some(ctx.peer.country) && ctx.peer.node_country.is_none_or(|c| Some(c) == asked);
    t.check("country", ensure(country_ok, ResponseError::CountryMismatch))?;

    // eidas-spec §4, fact 18: ≥ requested and published by the proxy.
    let loa = (|| {
        let ctx_node = ad
            .first_child_named(authn_statement, NS_SAML, "AuthnContext")
            .ok_or(ResponseError::Loa("no AuthnContext"))?;
        let uri = child_text(ad, ctx_node, NS_SAML, "AuthnContextClassRef")
            .ok_or(ResponseError::Loa("no AuthnContextClassRef"))?;
        // Exact match, no normalisation (attacks.md L3): ` …/substantial ` is not a notified level.
        let loa = LevelOfAssurance::from_uri(&uri).ok_or(ResponseError::Loa("not a notified level"))?;
        ensure(loa >= ctx.pending.level_of_assurance, ResponseError::Loa("below the requested level"))?;
        ensure(
            ctx.peer.levels_of_assurance.is_empty() || ctx.peer.levels_of_assurance.contains(&loa),
            ResponseError::Loa("not published by the proxy service"),
        )?;
        Ok(loa)
    })();
    let loa = t.check("loa", loa)?;
    let authn_instant = instant(ad.attr(authn_statement, "AuthnInstant"));

    // eIDAS AP 1.4; eidas-spec §2.6 steps 19–20.
    let attrs = (|| {
        let attrs = parse_attribute_statement(ad, attribute_statement).map_err(ResponseError::Attributes)?;
        // eIDAS AP 1.4 §2.8: representation is not supported on this path.
        ensure(!attrs.has_representatives(), ResponseError::Representative)?;
        let missing = ctx.pending.requested_attributes.iter().any(|r| r.required && attrs.get(&r.name).is_empty());
        ensure(!missing, ResponseError::AttributesMissing)?;
        Ok(attrs)
    })();
    let attrs = t.check("attributes", attrs)?;
    let pid = (|| {
        let country = asked.ok_or(ResponseError::CountryMismatch)?;
        let countries = IdentifierCountries { issuing: country, destination: ctx.our_country };
        ensure(!attrs.get(attributes::PERSON_IDENTIFIER.name).is_empty(), ResponseError::AttributesMissing)?;
        // eidas-spec fact 19: the first letters are the country asked; eIDAS AP 1.4 §2.2.1: the
        // next two are the destination, ours. The same rule for a LegalPersonIdentifier (CEF
        // AttributeValidator), whenever the proxy service sends one.
        let identifiers = [&attributes::PERSON_IDENTIFIER, &attributes::LEGAL_PERSON_IDENTIFIER]
            .into_iter()
            .flat_map(|def| attrs.get(def.name));
        for id in identifiers {
            attributes::check_person_identifier(&id.value, countries).map_err(|_| ResponseError::PersonIdentifier)?;
        }
        Ok(countries)
    })();
    let countries = t.check("person_identifier", pid)?;

    // eidas-spec §2.5: a format other than the one asked (unless unspecified was asked).
    let format = name_id_node.and_then(|n| ad.attr(n, "Format")).and_then(NameIdFormat::from_uri);
    let format_ok = match (ctx.pending.name_id_format, format) {
        (NameIdFormat::Unspecified, Some(_)) => true,
        (asked, Some(got)) => asked == got,
        (_, None) => false,
    };
    t.check("name_id_format", ensure(format_ok, ResponseError::NameIdFormat))?;

    let identity = VerifiedIdentity::new(
        ctx.peer.entity_id.clone(),
        countries,
        loa,
        authn_instant,
        name_id,
        format.unwrap_or(NameIdFormat::Unspecified),
        attrs,
        response_id,
        assertion_id,
    )
    .map_err(ResponseError::Attributes)?
    .with_decryption(decrypted);
    Ok(Outcome::Authenticated(Box::new(identity)))
}

fn issuer_ok_in(doc: &Document, parent: NodeId, entity_id: &str) -> bool {
    let Some(issuer) = doc.first_child_named(parent, NS_SAML, "Issuer") else { return false };
    doc.attr(issuer, "Format").is_none_or(|f| f == NAMEID_FORMAT_ENTITY)
        && doc.simple_text(issuer).is_ok_and(|v| v.trim() == entity_id)
}
