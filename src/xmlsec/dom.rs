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

mod parse;

use self::parse::Parser;

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
pub(super) struct Slot {
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

    /// Every registered `ID`/`Id` value of the document (the index behind [`Document::find_id`]),
    /// in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.ids.keys().map(String::as_str)
    }

    /// The element descendants of `id` (not `id` itself), in document order.
    pub fn descendants(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let mut stack: Vec<NodeId> = self.child_elements(id).collect();
        stack.reverse();
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            let before = stack.len();
            stack.extend(self.child_elements(next));
            if let Some(pushed) = stack.get_mut(before..) {
                pushed.reverse();
            }
            Some(next)
        })
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
pub(super) fn id_values(e: &Element) -> impl Iterator<Item = &str> {
    let xmlsec_ns =
        matches!(e.ns.as_deref(), Some(super::NS_DS | super::NS_XENC | super::NS_XENC11 | super::NS_DSIG11));
    e.attributes
        .iter()
        .filter(move |a| a.ns.is_none() && (a.local == "ID" || (xmlsec_ns && a.local == "Id")))
        .map(|a| a.value.as_str())
}

pub(super) fn register_id(ids: &mut HashMap<String, NodeId>, value: &str, node: NodeId) -> Result<(), XmlError> {
    // xsd:ID is an NCName (checklist 5; attacks.md C6: no surrounding whitespace either).
    if !is_ncname(value) {
        return Err(XmlError::InvalidId);
    }
    if ids.insert(value.to_owned(), node).is_some() {
        return Err(XmlError::DuplicateId);
    }
    Ok(())
}

/// True when every character of `s` is an XML 1.0 `Char`: text a document can carry (the
/// serializer escapes markup and white space, but no escape exists for U+0000–U+001F other
/// than tab and line ends, nor for U+FFFE and U+FFFF).
pub fn is_xml_text(s: &str) -> bool {
    s.chars().all(parse::is_xml_char)
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

#[cfg(test)]
mod tests;
