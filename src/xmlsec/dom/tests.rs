//! Parser and tree tests: hardening rules, limits, namespaces, IDs, text normalization.

use super::*;

fn parse(s: &str) -> Result<Document, XmlError> {
    Document::parse(s.as_bytes(), &Limits::default())
}

#[test]
fn parse_resolves_namespaces_and_merges_text() {
    let d = parse(r#"<a:r xmlns:a="urn:a" ID="_1"><a:x>t&amp;<![CDATA[<c>]]>&#x41;</a:x><y a:k="v"/></a:r>"#).unwrap();
    let r = d.root();
    assert!(d.is(r, "urn:a", "r"));
    let x = d.first_child_named(r, "urn:a", "x").unwrap();
    assert_eq!(d.simple_text(x).unwrap(), "t&<c>A");
    let y = d.child_elements(r).nth(1).unwrap();
    assert_eq!(d.element(y).unwrap().attr_ns("urn:a", "k"), Some("v"));
    assert_eq!(d.find_id("_1"), Some(r));
}

#[test]
fn parse_rejects_doctype_entities_and_pis() {
    assert_eq!(parse("<!DOCTYPE r><r/>").unwrap_err(), XmlError::DoctypeForbidden);
    assert_eq!(parse("<r>&foo;</r>").unwrap_err(), XmlError::EntityForbidden);
    assert_eq!(parse("<r a='&foo;'/>").unwrap_err(), XmlError::EntityForbidden);
    assert_eq!(parse("<r><?pi x?></r>").unwrap_err(), XmlError::PiForbidden);
    assert_eq!(parse("<?xml version='1.0' encoding='ISO-8859-1'?><r/>").unwrap_err().code(), "xml.malformed");
    assert_eq!(parse("<r>&#xD800;</r>").unwrap_err().code(), "xml.malformed");
    assert_eq!(parse("<r>&#0;</r>").unwrap_err().code(), "xml.malformed");
    assert_eq!(parse("<p:r/>").unwrap_err().code(), "xml.malformed");
}

#[test]
fn parse_rejects_duplicate_and_invalid_ids() {
    assert_eq!(parse("<r ID='a'><x ID='a'/></r>").unwrap_err(), XmlError::DuplicateId);
    assert_eq!(parse("<r ID='1a'/>").unwrap_err(), XmlError::InvalidId);
    assert_eq!(parse("<r ID=' a'/>").unwrap_err(), XmlError::InvalidId);
}

#[test]
fn parse_enforces_limits() {
    let deep = "<a>".repeat(65) + &"</a>".repeat(65);
    assert_eq!(parse(&deep).unwrap_err(), XmlError::TooDeep);
    let attrs: String = (0..65).map(|i| format!(" a{i}='x'")).collect();
    assert_eq!(parse(&format!("<r{attrs}/>")).unwrap_err(), XmlError::TooManyAttributes);
    let nss: String = (0..33).map(|i| format!(" xmlns:p{i}='urn:{i}'")).collect();
    assert_eq!(parse(&format!("<r{nss}/>")).unwrap_err(), XmlError::TooManyNamespaces);
    let big = vec![b' '; 512 * 1024 + 1];
    assert_eq!(Document::parse(&big, &Limits::default()).unwrap_err(), XmlError::TooLarge);
}

#[test]
fn simple_text_refuses_comments_and_elements() {
    let d = parse("<r><n>a<!---->b</n><m>a<x/>b</m></r>").unwrap();
    let mut kids = d.child_elements(d.root());
    assert_eq!(d.simple_text(kids.next().unwrap()).unwrap_err(), XmlError::MixedContent);
    assert_eq!(d.simple_text(kids.next().unwrap()).unwrap_err(), XmlError::MixedContent);
}

#[test]
fn parse_in_context_resolves_outer_prefixes() {
    let ctx = [NsDecl { prefix: Some("s".into()), uri: "urn:s".into() }];
    let d = Document::parse_in_context(b"<s:A/>", &Limits::default(), &ctx).unwrap();
    assert!(d.is(d.root(), "urn:s", "A"));
    assert_eq!(d.in_scope_namespaces(d.root()), ctx.to_vec());
}

#[test]
fn attribute_values_are_normalized_and_crlf_text_is_normalized() {
    let d = parse("<r a=\"x\r\ny\tz&#x9;w\">l1\r\nl2&#13;</r>").unwrap();
    assert_eq!(d.attr(d.root(), "a"), Some("x y z\tw"));
    assert_eq!(d.simple_text(d.root()).unwrap(), "l1\nl2\r");
}

#[test]
fn descendants_walks_elements_in_document_order_without_the_start_node() {
    let d = parse("<r><a><b/><c><d/></c></a>text<!--x--><e/></r>").unwrap();
    let names: Vec<String> = d.descendants(d.root()).map(|n| d.element(n).unwrap().local.clone()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let a = d.child_elements(d.root()).next().unwrap();
    let under_a: Vec<String> = d.descendants(a).map(|n| d.element(n).unwrap().local.clone()).collect();
    assert_eq!(under_a, ["b", "c", "d"]);
}

#[test]
fn ids_lists_every_indexed_id_and_xmlsec_id() {
    let d =
        parse(r#"<r ID="_r"><x ID="_x"/><e:E xmlns:e="http://www.w3.org/2001/04/xmlenc#" Id="_e"/><y Id="_no"/></r>"#)
            .unwrap();
    let mut ids: Vec<&str> = d.ids().collect();
    ids.sort_unstable();
    assert_eq!(ids, ["_e", "_r", "_x"]);
}
