//! The hardened, namespace-aware XML tree (xmlsec-profile checklist 1–5).
//!
//! One parse feeds both signature verification and data extraction: nothing in this crate
//! re-parses raw input with another parser. The tree is an arena of nodes built from
//! `quick-xml` events. DOCTYPE, entity references other than the five predefined ones,
//! processing instructions, non-UTF-8 input and illegal characters are refused; size,
//! depth, attribute, namespace-declaration and node limits are enforced while reading;
//! `ID` attributes must be NCNames and unique in the whole document.
//!
//! This module knows nothing of SAML or of signatures; it must not call `openssl`.

use std::collections::HashMap;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::XmlError;

/// The namespace bound to the `xml` prefix.
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations; never bindable.
pub const NS_XMLNS: &str = "http://www.w3.org/2000/xmlns/";

/// Parser limits (attacks.md A5, A6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document, in bytes (after any base64 decoding).
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Most attributes on one element (namespace declarations excluded).
    pub max_attributes: usize,
    /// Most namespace declarations on one element.
    pub max_namespaces: usize,
    /// Most nodes (elements, text, comments) in the document.
    pub max_nodes: usize,
}

impl Default for Limits {
    /// Limits for protocol messages: a Response is 6–20 kB in practice.
    fn default() -> Self {
        Self { max_bytes: 512 * 1024, max_depth: 64, max_attributes: 64, max_namespaces: 32, max_nodes: 20_000 }
    }
}

impl Limits {
    /// Limits for metadata documents, which may aggregate many entities.
    pub fn metadata() -> Self {
        Self {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_attributes: 64,
            max_namespaces: 64,
            max_nodes: 2_000_000,
        }
    }
}

/// Index of a node in its [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

/// A namespace declaration: `xmlns="uri"` (prefix `None`) or `xmlns:p="uri"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsDecl {
    /// The declared prefix; `None` for the default namespace.
    pub prefix: Option<String>,
    /// The namespace name; empty only for an undeclaration of the default namespace.
    pub uri: String,
}

/// An attribute (never a namespace declaration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Prefix as written, if any.
    pub prefix: Option<String>,
    /// Local name.
    pub local: String,
    /// Resolved namespace; `None` for unprefixed attributes (shared, not copied, per node).
    pub ns: Option<Arc<str>>,
    /// Normalized value (XML 1.0 attribute-value normalization applied).
    pub value: String,
}

/// An element node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Prefix as written, if any.
    pub prefix: Option<String>,
    /// Local name.
    pub local: String,
    /// Resolved namespace, `None` when the element is in no namespace (shared, not copied, per node).
    pub ns: Option<Arc<str>>,
    /// Attributes in document order.
    pub attributes: Vec<Attribute>,
    /// Namespace declarations made on this element, in document order.
    pub ns_decls: Vec<NsDecl>,
    /// Child nodes.
    pub children: Vec<NodeId>,
}

impl Element {
    /// A new element in namespace `ns` written with `prefix`; the caller declares namespaces.
    pub fn new(ns: Option<&str>, prefix: Option<&str>, local: &str) -> Self {
        Self {
            prefix: prefix.map(str::to_owned),
            local: local.to_owned(),
            ns: ns.map(Arc::from),
            attributes: Vec::new(),
            ns_decls: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Adds an unqualified attribute (builder style).
    pub fn with_attr(mut self, local: &str, value: &str) -> Self {
        self.set_attr(local, value);
        self
    }

    /// Declares a namespace on this element (builder style).
    pub fn with_ns(mut self, prefix: Option<&str>, uri: &str) -> Self {
        self.ns_decls.push(NsDecl { prefix: prefix.map(str::to_owned), uri: uri.to_owned() });
        self
    }

    /// Sets (or replaces) an unqualified attribute.
    pub fn set_attr(&mut self, local: &str, value: &str) {
        if let Some(a) = self.attributes.iter_mut().find(|a| a.ns.is_none() && a.local == local) {
            a.value = value.to_owned();
        } else {
            self.attributes.push(Attribute {
                prefix: None,
                local: local.to_owned(),
                ns: None,
                value: value.to_owned(),
            });
        }
    }

    /// The value of the unqualified attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attributes.iter().find(|a| a.ns.is_none() && a.local == local).map(|a| a.value.as_str())
    }

    /// The value of the attribute `{ns}local`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attributes.iter().find(|a| a.ns.as_deref() == Some(ns) && a.local == local).map(|a| a.value.as_str())
    }

    /// The element's qualified name as written.
    pub fn qname(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }

    /// True when this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }
}

/// The kinds of node kept in the tree. Processing instructions never get this far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element.
    Element(Element),
    /// Character data (text and CDATA sections merged, end-of-line normalized).
    Text(String),
    /// A comment; never part of canonical or extracted content.
    Comment(String),
}

#[derive(Debug, Clone)]
struct Slot {
    node: Node,
    parent: Option<NodeId>,
}

/// A parsed (or built) XML document.
#[derive(Debug, Clone)]
pub struct Document {
    slots: Vec<Slot>,
    root: NodeId,
    /// Namespaces in scope around the root, for fragments parsed out of context (checklist 28).
    context: Vec<NsDecl>,
    ids: HashMap<String, NodeId>,
}

impl Document {
    /// Parses `input` under `limits`.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Self, XmlError> {
        Self::parse_in_context(input, limits, &[])
    }

    /// Parses `input` as if it stood where `context` namespaces are in scope
    /// (a decrypted assertion inside its `EncryptedAssertion`, checklist 28).
    pub fn parse_in_context(input: &[u8], limits: &Limits, context: &[NsDecl]) -> Result<Self, XmlError> {
        Parser::new(limits, context).run(input)
    }

    /// A new document whose root is `root`.
    pub fn new(root: Element) -> Self {
        Self {
            slots: vec![Slot { node: Node::Element(root), parent: None }],
            root: NodeId(0),
            context: Vec::new(),
            ids: HashMap::new(),
        }
    }

    /// The document element.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The namespaces in scope around the root that the document itself does not declare.
    pub fn context(&self) -> &[NsDecl] {
        &self.context
    }

    /// The node at `id`. Ids come from this document, so the lookup cannot miss; a foreign id
    /// yields an empty comment rather than a panic.
    pub fn node(&self, id: NodeId) -> &Node {
        static NONE: Node = Node::Comment(String::new());
        self.slots.get(id.0).map_or(&NONE, |s| &s.node)
    }

    /// The element at `id`, if it is one.
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match self.slots.get(id.0).map(|s| &s.node) {
            Some(Node::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// Mutable access to the element at `id`, if it is one. Changing an `ID` attribute
    /// this way requires [`Document::reindex_ids`].
    pub fn element_mut(&mut self, id: NodeId) -> Option<&mut Element> {
        match self.slots.get_mut(id.0).map(|s| &mut s.node) {
            Some(Node::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// The parent of `id`.
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.slots.get(id.0).and_then(|s| s.parent)
    }

    /// The child nodes of `id` (empty for non-elements).
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.element(id).map_or(&[], |e| e.children.as_slice())
    }

    /// The element children of `id`.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.children(id).iter().copied().filter(|c| self.element(*c).is_some())
    }

    /// The element children of `id` named `{ns}local`.
    pub fn children_named<'a>(&'a self, id: NodeId, ns: &'a str, local: &'a str) -> impl Iterator<Item = NodeId> + 'a {
        self.child_elements(id).filter(move |c| self.is(*c, ns, local))
    }

    /// The first element child of `id` named `{ns}local`.
    pub fn first_child_named(&self, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        self.children_named(id, ns, local).next()
    }

    /// True when `id` is the element `{ns}local`.
    pub fn is(&self, id: NodeId, ns: &str, local: &str) -> bool {
        self.element(id).is_some_and(|e| e.is(ns, local))
    }

    /// The unqualified attribute `local` of element `id`.
    pub fn attr(&self, id: NodeId, local: &str) -> Option<&str> {
        self.element(id).and_then(|e| e.attr(local))
    }

    /// The element carrying `ID`/`Id` value `value`, if any.
    pub fn find_id(&self, value: &str) -> Option<NodeId> {
        self.ids.get(value).copied()
    }

    /// The character content of a simple-typed element: all its text children concatenated.
    ///
    /// # Security
    /// Refuses element and comment children (xmlsec-profile 21, CVE-2017-11428 class), so a
    /// value is never read from the first text node only.
    pub fn simple_text(&self, id: NodeId) -> Result<String, XmlError> {
        let mut out = String::new();
        for c in self.children(id) {
            match self.node(*c) {
                Node::Text(t) => out.push_str(t),
                Node::Element(_) | Node::Comment(_) => return Err(XmlError::MixedContent),
            }
        }
        Ok(out)
    }

    /// The namespace bindings in scope at element `id`, innermost last wins
    /// (`None` prefix = default namespace; an empty URI undeclares it).
    pub fn in_scope_namespaces(&self, id: NodeId) -> Vec<NsDecl> {
        let mut chain = Vec::new();
        let mut cur = Some(id);
        while let Some(n) = cur {
            chain.push(n);
            cur = self.parent(n);
        }
        let mut map: Vec<NsDecl> = self.context.clone();
        for n in chain.iter().rev() {
            if let Some(e) = self.element(*n) {
                for d in &e.ns_decls {
                    map.retain(|m| m.prefix != d.prefix);
                    map.push(d.clone());
                }
            }
        }
        map
    }

    /// Appends `node` as the last child of `parent` and returns its id.
    pub fn append(&mut self, parent: NodeId, node: Node) -> NodeId {
        let len = self.children(parent).len();
        self.insert(parent, len, node)
    }

    /// Inserts `node` as child number `index` of `parent` (clamped) and returns its id.
    pub fn insert(&mut self, parent: NodeId, index: usize, node: Node) -> NodeId {
        let id = NodeId(self.slots.len());
        self.slots.push(Slot { node, parent: Some(parent) });
        if let Some(e) = self.element_mut(parent) {
            let at = index.min(e.children.len());
            e.children.insert(at, id);
        }
        id
    }

    /// Detaches `child` from its parent (the node stays in the arena, unreachable).
    pub fn detach(&mut self, child: NodeId) {
        if let Some(p) = self.parent(child) {
            if let Some(e) = self.element_mut(p) {
                e.children.retain(|c| *c != child);
            }
        }
        if let Some(s) = self.slots.get_mut(child.0) {
            s.parent = None;
        }
    }

    /// Copies the subtree of `other` rooted at `from` into this document and returns the
    /// copy's id (not yet attached: pass it to [`Document::replace`]).
    pub fn import(&mut self, other: &Document, from: NodeId) -> NodeId {
        let mut node = other.node(from).clone();
        let kids: Vec<NodeId> = match &mut node {
            Node::Element(e) => std::mem::take(&mut e.children),
            _ => Vec::new(),
        };
        let id = NodeId(self.slots.len());
        self.slots.push(Slot { node, parent: None });
        for k in kids {
            let c = self.import(other, k);
            if let Some(s) = self.slots.get_mut(c.0) {
                s.parent = Some(id);
            }
            if let Some(e) = self.element_mut(id) {
                e.children.push(c);
            }
        }
        id
    }

    /// Puts the detached node `new` where `old` stands; `old` is detached.
    pub fn replace(&mut self, old: NodeId, new: NodeId) {
        if let Some(p) = self.parent(old) {
            if let Some(e) = self.element_mut(p) {
                for c in e.children.iter_mut() {
                    if *c == old {
                        *c = new;
                    }
                }
            }
            if let Some(s) = self.slots.get_mut(new.0) {
                s.parent = Some(p);
            }
            if let Some(s) = self.slots.get_mut(old.0) {
                s.parent = None;
            }
        } else if old == self.root {
            self.root = new;
        }
    }

    /// Rebuilds the ID index over the attached tree; refuses duplicates and non-NCName IDs.
    pub fn reindex_ids(&mut self) -> Result<(), XmlError> {
        let mut ids = HashMap::new();
        let mut stack = vec![self.root];
        while let Some(n) = stack.pop() {
            if let Some(e) = self.element(n) {
                for v in id_values(e) {
                    register_id(&mut ids, v, n)?;
                }
                stack.extend(e.children.iter().rev().copied());
            }
        }
        self.ids = ids;
        Ok(())
    }
}

/// The ID-typed attribute values of `e`: unqualified `ID` (SAML) and `Id` on XML-DSig and
/// XML-Enc elements (attacks.md C6: one map over every ID-typed attribute).
fn id_values(e: &Element) -> impl Iterator<Item = &str> {
    let xmlsec_ns =
        matches!(e.ns.as_deref(), Some(super::NS_DS | super::NS_XENC | super::NS_XENC11 | super::NS_DSIG11));
    e.attributes
        .iter()
        .filter(move |a| a.ns.is_none() && (a.local == "ID" || (xmlsec_ns && a.local == "Id")))
        .map(|a| a.value.as_str())
}

fn register_id(ids: &mut HashMap<String, NodeId>, value: &str, node: NodeId) -> Result<(), XmlError> {
    // xsd:ID is an NCName (checklist 5; attacks.md C6: no surrounding whitespace either).
    if !is_ncname(value) {
        return Err(XmlError::InvalidId);
    }
    if ids.insert(value.to_owned(), node).is_some() {
        return Err(XmlError::DuplicateId);
    }
    Ok(())
}

/// True when `s` is an XML NCName.
pub fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
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

struct Parser<'l> {
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
    fn new(limits: &'l Limits, context: &[NsDecl]) -> Self {
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

    fn run(mut self, input: &[u8]) -> Result<Document, XmlError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document, XmlError> {
        Document::parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn parse_resolves_namespaces_and_merges_text() {
        let d =
            parse(r#"<a:r xmlns:a="urn:a" ID="_1"><a:x>t&amp;<![CDATA[<c>]]>&#x41;</a:x><y a:k="v"/></a:r>"#).unwrap();
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
}
