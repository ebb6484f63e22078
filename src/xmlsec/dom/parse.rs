//! The hardened parser: `quick-xml` events to a [`Document`] (xmlsec-profile checklist 1–5).
//!
//! Refuses DOCTYPE, entity references other than the five predefined ones, processing
//! instructions, non-UTF-8 input and illegal characters; enforces the limits while reading;
//! resolves namespaces itself (an initial context for decrypted fragments); registers IDs.

use std::collections::HashMap;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{
    id_values, is_ncname, register_id, Attribute, Document, Element, Limits, Node, NodeId, NsDecl, Slot, NS_XML,
    NS_XMLNS,
};
use crate::xmlsec::XmlError;

/// XML 1.0 `Char` production.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn check_chars(s: &str) -> Result<(), XmlError> {
    // Fast path, branch-free so that it vectorizes: printable ASCII and the three allowed
    // controls need no decoding; only text with other bytes is checked char by char.
    let (bad_control, non_ascii) = s.bytes().fold((false, false), |(bad, high), b| {
        let allowed_control = (b == b'\t') | (b == b'\n') | (b == b'\r');
        (bad | ((b < 0x20) & !allowed_control), high | (b >= 0x80))
    });
    if !bad_control && (!non_ascii || s.chars().all(is_xml_char)) {
        Ok(())
    } else {
        Err(XmlError::Malformed("illegal character"))
    }
}

/// A namespace name must be a plain URI reference: printable ASCII, no spaces
/// (attacks.md C8 rejects the non-ASCII one).
fn check_ns_uri(uri: &str) -> Result<(), XmlError> {
    if uri.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'<' && b != b'>' && b != b'"') {
        Ok(())
    } else {
        Err(XmlError::Malformed("invalid namespace name"))
    }
}

fn split_qname(raw: &str) -> Result<(Option<&str>, &str), XmlError> {
    match raw.split_once(':') {
        None if is_ncname(raw) => Ok((None, raw)),
        Some((p, l)) if is_ncname(p) && is_ncname(l) => Ok((Some(p), l)),
        _ => Err(XmlError::Malformed("invalid name")),
    }
}

fn map_qx(err: quick_xml::Error) -> XmlError {
    match err {
        quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(..)) => XmlError::EntityForbidden,
        _ => XmlError::Malformed("not well-formed"),
    }
}

pub(super) struct Parser<'l> {
    limits: &'l Limits,
    slots: Vec<Slot>,
    stack: Vec<NodeId>,
    /// Namespace scopes: (prefix, uri) pushed per element, with the count to pop at its end.
    scope: Vec<(Option<String>, Arc<str>)>,
    scope_marks: Vec<usize>,
    context: Vec<NsDecl>,
    root: Option<NodeId>,
    text: String,
    ids: HashMap<String, NodeId>,
}

impl<'l> Parser<'l> {
    pub(super) fn new(limits: &'l Limits, context: &[NsDecl]) -> Self {
        Self {
            limits,
            slots: Vec::new(),
            stack: Vec::new(),
            scope: context.iter().map(|d| (d.prefix.clone(), Arc::from(d.uri.as_str()))).collect(),
            scope_marks: Vec::new(),
            context: context.to_vec(),
            root: None,
            text: String::new(),
            ids: HashMap::new(),
        }
    }

    pub(super) fn run(mut self, input: &[u8]) -> Result<Document, XmlError> {
        // checklist 1: size before anything else.
        if input.len() > self.limits.max_bytes {
            return Err(XmlError::TooLarge);
        }
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        // attacks.md A7: UTF-8 only.
        let text = std::str::from_utf8(input).map_err(|_| XmlError::Malformed("not UTF-8"))?;
        // Roughly one node per 16 bytes of SAML; avoids regrowing the arena.
        self.slots.reserve(text.len() / 16);
        let mut reader = Reader::from_str(text);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        let mut seen_decl = false;
        loop {
            let ev = reader.read_event().map_err(map_qx)?;
            match ev {
                Event::Decl(d) => {
                    if seen_decl || !self.slots.is_empty() {
                        return Err(XmlError::Malformed("misplaced XML declaration"));
                    }
                    seen_decl = true;
                    let version = d.version().map_err(map_qx)?;
                    if version != "1.0" {
                        return Err(XmlError::Malformed("XML version other than 1.0"));
                    }
                    if let Some(enc) = d.encoding() {
                        let enc = enc.map_err(|_| XmlError::Malformed("bad encoding declaration"))?;
                        if !enc.eq_ignore_ascii_case("utf-8") {
                            return Err(XmlError::Malformed("encoding other than UTF-8"));
                        }
                    }
                }
                // checklist 2; attacks.md A1–A4, C7, C8.
                Event::DocType(_) => return Err(XmlError::DoctypeForbidden),
                // checklist 2; attacks.md A8.
                Event::PI(_) => return Err(XmlError::PiForbidden),
                Event::Start(e) => {
                    self.flush_text()?;
                    let id = self.open(&e)?;
                    self.stack.push(id);
                }
                Event::Empty(e) => {
                    self.flush_text()?;
                    self.open(&e)?;
                    self.close();
                }
                Event::End(_) => {
                    self.flush_text()?;
                    self.stack.pop();
                    self.close();
                }
                Event::Text(t) => {
                    let s = t.xml10_content();
                    self.push_text(&s)?;
                }
                Event::CData(c) => {
                    let s = c.xml10_content();
                    self.push_text(&s)?;
                }
                Event::GeneralRef(r) => {
                    let ch = match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch,
                        Ok(None) => match &*r {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "apos" => '\'',
                            "quot" => '"',
                            _ => return Err(XmlError::EntityForbidden),
                        },
                        Err(_) => return Err(XmlError::Malformed("invalid character reference")),
                    };
                    if !is_xml_char(ch) {
                        return Err(XmlError::Malformed("illegal character reference"));
                    }
                    if self.stack.is_empty() {
                        return Err(XmlError::Malformed("reference outside the document element"));
                    }
                    self.text.push(ch);
                }
                Event::Comment(c) => {
                    self.flush_text()?;
                    let s = c.xml10_content();
                    check_chars(&s)?;
                    if let Some(parent) = self.stack.last().copied() {
                        self.add(Node::Comment(s.into_owned()), Some(parent))?;
                    }
                }
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(XmlError::Malformed("unclosed element"));
        }
        let root = self.root.ok_or(XmlError::Malformed("no document element"))?;
        Ok(Document { slots: self.slots, root, context: self.context, ids: self.ids })
    }

    fn push_text(&mut self, s: &str) -> Result<(), XmlError> {
        check_chars(s)?;
        if self.stack.is_empty() {
            if s.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
                return Ok(());
            }
            return Err(XmlError::Malformed("text outside the document element"));
        }
        self.text.push_str(s);
        Ok(())
    }

    fn flush_text(&mut self) -> Result<(), XmlError> {
        if self.text.is_empty() {
            return Ok(());
        }
        let t = std::mem::take(&mut self.text);
        if let Some(parent) = self.stack.last().copied() {
            self.add(Node::Text(t), Some(parent))?;
        }
        Ok(())
    }

    fn add(&mut self, node: Node, parent: Option<NodeId>) -> Result<NodeId, XmlError> {
        if self.slots.len() >= self.limits.max_nodes {
            return Err(XmlError::TooManyNodes);
        }
        let id = NodeId(self.slots.len());
        self.slots.push(Slot { node, parent });
        if let Some(p) = parent {
            if let Some(Slot { node: Node::Element(e), .. }) = self.slots.get_mut(p.0) {
                e.children.push(id);
            }
        }
        Ok(id)
    }

    fn resolve(&self, prefix: Option<&str>) -> Result<Option<Arc<str>>, XmlError> {
        if prefix == Some("xml") {
            return Ok(Some(Arc::from(NS_XML)));
        }
        let found = self.scope.iter().rev().find(|(p, _)| p.as_deref() == prefix);
        match (prefix, found) {
            (_, Some((_, uri))) if !uri.is_empty() => Ok(Some(Arc::clone(uri))),
            (None, _) => Ok(None),
            (Some(_), _) => Err(XmlError::Malformed("unbound namespace prefix")),
        }
    }

    fn open(&mut self, e: &BytesStart<'_>) -> Result<NodeId, XmlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep);
        }
        if self.stack.is_empty() && self.root.is_some() {
            return Err(XmlError::Malformed("more than one document element"));
        }
        let mut ns_decls = Vec::new();
        let mut raw_attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|_| XmlError::Malformed("bad attribute"))?;
            let key = a.key.0;
            let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(map_qx)?.into_owned();
            check_chars(&value)?;
            if key == "xmlns" {
                check_ns_uri_or_empty(&value)?;
                ns_decls.push(NsDecl { prefix: None, uri: value });
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                if !is_ncname(p) || p == "xmlns" || value.is_empty() {
                    return Err(XmlError::Malformed("invalid namespace declaration"));
                }
                if (p == "xml") != (value == NS_XML) || value == NS_XMLNS {
                    return Err(XmlError::Malformed("reserved namespace misused"));
                }
                check_ns_uri(&value)?;
                ns_decls.push(NsDecl { prefix: Some(p.to_owned()), uri: value });
            } else {
                raw_attrs.push((key, value));
            }
        }
        // attacks.md A6.
        if ns_decls.len() > self.limits.max_namespaces {
            return Err(XmlError::TooManyNamespaces);
        }
        if raw_attrs.len() > self.limits.max_attributes {
            return Err(XmlError::TooManyAttributes);
        }
        self.scope_marks.push(ns_decls.len());
        self.scope.extend(ns_decls.iter().map(|d| (d.prefix.clone(), Arc::from(d.uri.as_str()))));

        let name = e.name();
        let (prefix, local) = split_qname(name.0)?;
        let ns = self.resolve(prefix)?;
        let mut attributes: Vec<Attribute> = Vec::with_capacity(raw_attrs.len());
        for (key, value) in raw_attrs {
            let (ap, al) = split_qname(key)?;
            let ans = match ap {
                Some(_) => self.resolve(ap)?,
                None => None,
            };
            if attributes.iter().any(|x| x.local == al && x.ns == ans) {
                return Err(XmlError::Malformed("duplicate attribute"));
            }
            attributes.push(Attribute { prefix: ap.map(str::to_owned), local: al.to_owned(), ns: ans, value });
        }
        let element = Element {
            prefix: prefix.map(str::to_owned),
            local: local.to_owned(),
            ns,
            attributes,
            ns_decls,
            children: Vec::new(),
        };
        let parent = self.stack.last().copied();
        let values: Vec<String> = id_values(&element).map(str::to_owned).collect();
        let id = self.add(Node::Element(element), parent)?;
        for v in values {
            register_id(&mut self.ids, &v, id)?;
        }
        if parent.is_none() {
            self.root = Some(id);
        }
        Ok(id)
    }

    fn close(&mut self) {
        let n = self.scope_marks.pop().unwrap_or(0);
        let keep = self.scope.len().saturating_sub(n);
        self.scope.truncate(keep);
    }
}

fn check_ns_uri_or_empty(uri: &str) -> Result<(), XmlError> {
    if uri.is_empty() {
        Ok(())
    } else {
        check_ns_uri(uri)
    }
}
