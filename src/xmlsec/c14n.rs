//! Exclusive XML Canonicalization 1.0 without comments (W3C `xml-exc-c14n#`) over a subtree
//! of a [`Document`], with an excluded node (the enveloped signature) and an
//! `InclusiveNamespaces PrefixList`.
//!
//! Output is the octet stream that is digested or signed. Namespace nodes are rendered only
//! where visibly utilized (or listed in the PrefixList) and not already rendered with the
//! same value by an output ancestor; declarations sort default first then by prefix;
//! attributes sort by (namespace URI, local name). Comments are never output.

use super::dom::{Document, Node, NodeId, NsDecl, NS_XML};
use super::XmlError;

/// Canonicalizes the subtree at `apex`, leaving out the subtree `exclude` (if any).
///
/// `inclusive_prefixes` is the PrefixList (`#default` names the default namespace).
/// Fails on a node that is not an element, so a void canonical form is never digested
/// (attacks.md C9).
pub fn canonicalize(
    doc: &Document,
    apex: NodeId,
    exclude: Option<NodeId>,
    inclusive_prefixes: &[String],
) -> Result<Vec<u8>, XmlError> {
    if doc.element(apex).is_none() {
        return Err(XmlError::Malformed("canonicalization apex is not an element"));
    }
    let mut out = Vec::with_capacity(4096);
    let apex_scope = doc.in_scope_namespaces(apex);
    let c = Canon { doc, exclude, inclusive: inclusive_prefixes };
    // Bindings in scope at the apex's parent: the apex's own declarations are pushed by `element`.
    let own: Vec<&NsDecl> = doc.element(apex).map(|e| e.ns_decls.iter().collect()).unwrap_or_default();
    let mut scope: Vec<(Option<&str>, &str)> =
        apex_scope.iter().filter(|d| !own.contains(d)).map(|d| (d.prefix.as_deref(), d.uri.as_str())).collect();
    let mut rendered: Vec<(Option<&str>, &str)> = Vec::new();
    c.element(apex, &mut scope, &mut rendered, &mut out);
    Ok(out)
}

/// Namespace bindings as a stack: later entries shadow earlier ones.
type Bindings<'a> = Vec<(Option<&'a str>, &'a str)>;

fn lookup<'a>(stack: &[(Option<&'a str>, &'a str)], prefix: Option<&str>) -> &'a str {
    stack.iter().rev().find(|(p, _)| *p == prefix).map_or("", |(_, u)| u)
}

struct Canon<'a> {
    doc: &'a Document,
    exclude: Option<NodeId>,
    inclusive: &'a [String],
}

impl<'a> Canon<'a> {
    /// `scope` holds the bindings in scope at the parent; `rendered` the bindings already
    /// output by output ancestors. Both are restored before returning.
    fn element(&self, id: NodeId, scope: &mut Bindings<'a>, rendered: &mut Bindings<'a>, out: &mut Vec<u8>) {
        let Some(e) = self.doc.element(id) else { return };
        let scope_mark = scope.len();
        scope.extend(e.ns_decls.iter().map(|d| (d.prefix.as_deref(), d.uri.as_str())));

        // Visibly utilized prefixes: the element's own, and its prefixed attributes' (never `xml`).
        let mut needed: Vec<(Option<&'a str>, &'a str)> = Vec::with_capacity(4);
        let mut want = |p: Option<&'a str>, uri: &'a str| {
            if p != Some("xml") && !needed.iter().any(|(q, _)| *q == p) {
                needed.push((p, uri));
            }
        };
        want(e.prefix.as_deref(), e.ns.as_deref().unwrap_or(""));
        for a in &e.attributes {
            if let Some(p) = a.prefix.as_deref() {
                want(Some(p), a.ns.as_deref().unwrap_or(""));
            }
        }
        for p in self.inclusive {
            let p = if p == "#default" { None } else { Some(p.as_str()) };
            let uri = lookup(scope, p);
            // A listed prefix that is not in scope is not rendered.
            if p.is_some() && uri.is_empty() {
                continue;
            }
            want(p, uri);
        }

        let rendered_mark = rendered.len();
        let mut emit: Vec<(Option<&'a str>, &'a str)> = Vec::with_capacity(needed.len());
        for (p, uri) in needed {
            if lookup(rendered, p) != uri {
                emit.push((p, uri));
            }
        }
        emit.sort_by(|a, b| a.0.cmp(&b.0));
        rendered.extend(emit.iter().copied());

        out.push(b'<');
        write_qname(e.prefix.as_deref(), &e.local, out);
        for (p, uri) in &emit {
            match p {
                None => out.extend_from_slice(b" xmlns=\""),
                Some(p) => {
                    out.extend_from_slice(b" xmlns:");
                    out.extend_from_slice(p.as_bytes());
                    out.extend_from_slice(b"=\"");
                }
            }
            escape_attr(uri, out);
            out.push(b'"');
        }
        let mut attrs: Vec<_> = e.attributes.iter().collect();
        attrs.sort_by(|a, b| {
            (a.ns.as_deref().unwrap_or(""), a.local.as_str()).cmp(&(b.ns.as_deref().unwrap_or(""), b.local.as_str()))
        });
        for a in attrs {
            out.push(b' ');
            if a.ns.as_deref() == Some(NS_XML) {
                out.extend_from_slice(b"xml:");
            } else if let Some(p) = &a.prefix {
                out.extend_from_slice(p.as_bytes());
                out.push(b':');
            }
            out.extend_from_slice(a.local.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(&a.value, out);
            out.push(b'"');
        }
        out.push(b'>');
        for c in &e.children {
            if Some(*c) == self.exclude {
                continue;
            }
            match self.doc.node(*c) {
                Node::Element(_) => self.element(*c, scope, rendered, out),
                Node::Text(t) => escape_text(t, out),
                Node::Comment(_) => {}
            }
        }
        out.extend_from_slice(b"</");
        write_qname(e.prefix.as_deref(), &e.local, out);
        out.push(b'>');
        rendered.truncate(rendered_mark);
        scope.truncate(scope_mark);
    }
}

fn write_qname(prefix: Option<&str>, local: &str, out: &mut Vec<u8>) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

/// Writes `s`, escaping the bytes `special` selects with `replace`, in runs: most text (base64
/// above all) has nothing to escape and is copied at once.
#[inline(always)]
fn escape_with(s: &str, out: &mut Vec<u8>, special: impl Fn(u8) -> bool, replace: impl Fn(u8) -> &'static [u8]) {
    let bytes = s.as_bytes();
    // Branch-free scan first, so that it vectorizes.
    if !bytes.iter().fold(false, |any, b| any | special(*b)) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if special(*b) {
            out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            out.extend_from_slice(replace(*b));
            start = i + 1;
        }
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

fn escape_text(s: &str, out: &mut Vec<u8>) {
    escape_with(
        s,
        out,
        |b| (b == b'&') | (b == b'<') | (b == b'>') | (b == b'\r'),
        |b| match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            _ => b"&#xD;",
        },
    );
}

fn escape_attr(s: &str, out: &mut Vec<u8>) {
    escape_with(
        s,
        out,
        |b| (b == b'&') | (b == b'<') | (b == b'"') | (b == b'\t') | (b == b'\n') | (b == b'\r'),
        |b| match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            _ => b"&#xD;",
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::Limits;

    fn c14n(xml: &str, id: Option<&str>, prefixes: &[&str]) -> String {
        let d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let apex = id.map_or(d.root(), |i| d.find_id(i).unwrap());
        let p: Vec<String> = prefixes.iter().map(|s| s.to_string()).collect();
        String::from_utf8(canonicalize(&d, apex, None, &p).unwrap()).unwrap()
    }

    #[test]
    fn c14n_renders_only_visibly_utilized_namespaces() {
        let xml = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en" ID="e2"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        assert_eq!(
            c14n(xml, Some("e2"), &[]),
            r#"<n1:elem2 xmlns:n1="http://example.net" ID="e2" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#
        );
    }

    #[test]
    fn c14n_honours_inclusive_prefix_list_and_default() {
        let xml = r#"<r xmlns="urn:d" xmlns:xs="urn:xs" xmlns:u="urn:u"><a ID="a"><b xmlns=""/></a></r>"#;
        assert_eq!(
            c14n(xml, Some("a"), &["xs", "#default", "absent"]),
            r#"<a xmlns="urn:d" xmlns:xs="urn:xs" ID="a"><b xmlns=""></b></a>"#
        );
    }

    #[test]
    fn c14n_sorts_attributes_escapes_and_drops_comments() {
        let xml = "<r xmlns:b=\"urn:b\" xmlns:a=\"urn:a\" z=\"1\" b:y=\"&lt;&quot;&#9;&#13;\" a:x=\"2\"><!--c-->t&gt;&amp;&#13;<![CDATA[<]]></r>";
        assert_eq!(
            c14n(xml, None, &[]),
            "<r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" z=\"1\" a:x=\"2\" b:y=\"&lt;&quot;&#x9;&#xD;\">t&gt;&amp;&#xD;&lt;</r>"
        );
    }

    #[test]
    fn c14n_does_not_redeclare_what_an_output_ancestor_rendered() {
        let xml = r#"<p:r xmlns:p="urn:p"><p:x xmlns:p="urn:p"><p:y xmlns:p="urn:other"/></p:x></p:r>"#;
        assert_eq!(c14n(xml, None, &[]), r#"<p:r xmlns:p="urn:p"><p:x><p:y xmlns:p="urn:other"></p:y></p:x></p:r>"#);
    }
}
