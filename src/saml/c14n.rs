//! Exclusive XML Canonicalization 1.0 (W3C Recommendation, 18 July 2002,
//! <https://www.w3.org/TR/xml-exc-c14n/>) of one element subtree, optionally minus one
//! descendant subtree (the enveloped `ds:Signature`, XML-DSig 1.1 §6.6.4), with or without
//! comments and with an InclusiveNamespaces PrefixList (§3, whose prefixes follow Canonical
//! XML 1.0, <https://www.w3.org/TR/xml-c14n>, §2.3 and §4.7 instead).
//!
//! The rendering follows Canonical XML 1.0 §2.3: UTF-8, no XML declaration, empty elements as
//! start/end pairs, namespace declarations then attributes in canonical order, the character
//! escapes of §2.3, comments only `with_comments`, PIs kept. Exclusive §3: a namespace
//! declaration is rendered on an element only if the element visibly utilizes its prefix (its
//! own prefix, or the default namespace when it has none, or an attribute's prefix) and the
//! nearest output ancestor that did so rendered a different value. Prefixes are read back from
//! the source text (roxmltree keeps only namespace URIs), so two prefixes bound to the same URI
//! are rendered as written. Attribute values and text are already XML 1.0 normalized by the
//! parser (§2.3 of Canonical XML asks for exactly that), and entities are already expanded.

use roxmltree::{Node, NodeId, NodeType};
use std::fmt;

/// `xml:` is bound by definition and never declared (Canonical XML 1.0 §2.3, namespace nodes).
const XML_PREFIX: &str = "xml";

/// Why a subtree cannot be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum C14nError {
    /// The apex of the subtree must be an element.
    NotAnElement { actual: String },
    /// The node to exclude must be a strict descendant of the apex.
    ExcludeOutside { apex: String, exclude: String },
    /// An element or attribute name could not be read back from the source text.
    QName { expected: String, actual: String },
    /// A prefix is used with no declaration in scope.
    UndeclaredPrefix { prefix: String },
}

impl fmt::Display for C14nError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            C14nError::NotAnElement { actual } => write!(f, "canonicalization expects an element, got {actual}"),
            C14nError::ExcludeOutside { apex, exclude } => {
                write!(f, "excluded node {exclude} is not a descendant of <{apex}>, expected one inside it")
            }
            C14nError::QName { expected, actual } => {
                write!(f, "source text names {actual:?}, expected a qualified name for {expected:?}")
            }
            C14nError::UndeclaredPrefix { prefix } => {
                write!(f, "prefix {prefix:?} is used, expected a namespace declaration for it in scope")
            }
        }
    }
}

impl std::error::Error for C14nError {}

/// The exclusive canonical form of the subtree rooted at element `node`, without the subtree
/// of `exclude` (which must lie strictly inside it). `inclusive_prefixes` is the PrefixList
/// (`#default` names the default namespace); comments are rendered only `with_comments`.
pub fn exclusive(
    node: Node<'_, '_>,
    exclude: Option<NodeId>,
    inclusive_prefixes: &[String],
    with_comments: bool,
) -> Result<Vec<u8>, C14nError> {
    if !node.is_element() {
        return Err(C14nError::NotAnElement { actual: format!("{:?}", node.node_type()) });
    }
    if let Some(id) = exclude {
        check_inside(node, id)?;
    }
    let inclusive = inclusive_prefixes.iter().map(|p| if p == "#default" { None } else { Some(p.as_str()) }).collect();
    let mut canonicalizer = Canonicalizer { out: Vec::new(), rendered: Vec::new(), inclusive, exclude, with_comments };
    canonicalizer.run(node)?;
    Ok(canonicalizer.out)
}

fn check_inside(apex: Node<'_, '_>, exclude: NodeId) -> Result<(), C14nError> {
    let inside = apex.document().get_node(exclude).is_some_and(|n| n.ancestors().skip(1).any(|a| a.id() == apex.id()));
    match inside {
        true => Ok(()),
        false => Err(C14nError::ExcludeOutside {
            apex: apex.tag_name().name().to_owned(),
            exclude: format!("#{}", exclude.get()),
        }),
    }
}

/// A prefix (`None`: the default namespace) and the namespace URI it is bound to.
type Binding<'s> = (Option<&'s str>, &'s str);

/// One pending step of the depth-first walk (explicit, so depth never grows the call stack).
enum Step<'a, 'i> {
    Open(Node<'a, 'i>),
    Close { qname: &'i str, rendered_mark: usize },
}

struct Canonicalizer<'a, 'p> {
    out: Vec<u8>,
    /// Namespace declarations rendered by the output ancestors, innermost last.
    rendered: Vec<Binding<'a>>,
    inclusive: Vec<Option<&'p str>>,
    exclude: Option<NodeId>,
    with_comments: bool,
}

impl<'a, 'i: 'a> Canonicalizer<'a, '_> {
    fn run(&mut self, apex: Node<'a, 'i>) -> Result<(), C14nError> {
        let mut steps = vec![Step::Open(apex)];
        while let Some(step) = steps.pop() {
            match step {
                Step::Open(node) => self.open(node, apex, &mut steps)?,
                Step::Close { qname, rendered_mark } => {
                    self.push_all(&["</", qname, ">"]);
                    self.rendered.truncate(rendered_mark);
                }
            }
        }
        Ok(())
    }

    fn open(&mut self, node: Node<'a, 'i>, apex: Node<'a, 'i>, steps: &mut Vec<Step<'a, 'i>>) -> Result<(), C14nError> {
        if Some(node.id()) == self.exclude {
            return Ok(());
        }
        match node.node_type() {
            NodeType::Element => self.element(node, node != apex, steps)?,
            NodeType::Text => escape_text(node.text().unwrap_or_default(), &mut self.out),
            NodeType::Comment if self.with_comments => self.push_all(&["<!--", node.text().unwrap_or_default(), "-->"]),
            NodeType::PI => self.processing_instruction(node),
            NodeType::Comment | NodeType::Root => {}
        }
        Ok(())
    }

    fn element(
        &mut self,
        node: Node<'a, 'i>,
        has_parent: bool,
        steps: &mut Vec<Step<'a, 'i>>,
    ) -> Result<(), C14nError> {
        let (qname, prefix) = element_qname(node)?;
        let attributes = attributes(node)?;
        let declarations = self.declarations(node, prefix, &attributes, has_parent)?;
        let rendered_mark = self.rendered.len();
        self.push_all(&["<", qname]);
        for (prefix, uri) in &declarations {
            self.declaration(*prefix, uri);
        }
        for attribute in &attributes {
            self.push_all(&[" ", attribute.qname, "=\""]);
            escape_attribute(attribute.value, &mut self.out);
            self.out.push(b'"');
        }
        self.out.push(b'>');
        self.rendered.extend(declarations);
        steps.push(Step::Close { qname, rendered_mark });
        steps.extend(node.children().rev().map(Step::Open));
        Ok(())
    }

    /// The namespace declarations to render on `node`, in canonical order (default first).
    fn declarations(
        &self,
        node: Node<'a, 'i>,
        prefix: Option<&'i str>,
        attributes: &[Attribute<'a, 'i>],
        has_parent: bool,
    ) -> Result<Vec<Binding<'a>>, C14nError> {
        let utilized = std::iter::once(prefix).chain(attributes.iter().filter_map(|a| a.prefix.map(Some)));
        let mut out = Vec::new();
        for prefix in utilized.filter(|p| *p != Some(XML_PREFIX) && !self.inclusive.contains(p)) {
            let uri = in_scope(node, prefix).ok_or_else(|| undeclared(prefix))?;
            if self.rendered_value(prefix) != Some(uri) && !out.contains(&(prefix, uri)) {
                out.push((prefix, uri));
            }
        }
        for &prefix in self.inclusive.iter().filter(|p| **p != Some(XML_PREFIX)) {
            if let Some(binding) = inclusive_binding(node, prefix, has_parent) {
                out.push(binding);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The value the nearest output ancestor rendered for `prefix` (the default starts empty).
    fn rendered_value(&self, prefix: Option<&str>) -> Option<&'a str> {
        let found = self.rendered.iter().rev().find(|(p, _)| *p == prefix).map(|(_, uri)| *uri);
        found.or(if prefix.is_none() { Some("") } else { None })
    }

    fn declaration(&mut self, prefix: Option<&str>, uri: &str) {
        match prefix {
            None => self.out.extend_from_slice(b" xmlns=\""),
            Some(prefix) => self.push_all(&[" xmlns:", prefix, "=\""]),
        }
        escape_attribute(uri, &mut self.out);
        self.out.push(b'"');
    }

    fn processing_instruction(&mut self, node: Node<'a, 'i>) {
        if let Some(pi) = node.pi() {
            self.push_all(&["<?", pi.target]);
            if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                self.push_all(&[" ", value]);
            }
            self.out.extend_from_slice(b"?>");
        }
    }

    fn push_all(&mut self, parts: &[&str]) {
        for part in parts {
            self.out.extend_from_slice(part.as_bytes());
        }
    }
}

/// Canonical XML 1.0 rule for a PrefixList prefix: rendered where its in-scope value differs
/// from the parent's (at the apex: wherever it is bound, never `xmlns=""`).
fn inclusive_binding<'a>(node: Node<'a, '_>, prefix: Option<&str>, has_parent: bool) -> Option<Binding<'a>> {
    let own = binding(node, prefix)?;
    let parent = node.parent_element().filter(|_| has_parent).and_then(|p| in_scope(p, prefix));
    match parent {
        None if own.1.is_empty() => None,
        Some(parent) if parent == own.1 => None,
        _ => Some(own),
    }
}

/// `prefix` and its in-scope URI on `node`; the default namespace is `""` when undeclared.
fn binding<'a>(node: Node<'a, '_>, prefix: Option<&str>) -> Option<Binding<'a>> {
    match node.namespaces().find(|ns| ns.name() == prefix) {
        Some(ns) => Some((ns.name(), ns.uri())),
        None => prefix.is_none().then_some((None, "")),
    }
}

/// The URI bound to `prefix` on `node`; for the default namespace, `""` when undeclared.
fn in_scope<'a>(node: Node<'a, '_>, prefix: Option<&str>) -> Option<&'a str> {
    binding(node, prefix).map(|(_, uri)| uri)
}

fn undeclared(prefix: Option<&str>) -> C14nError {
    C14nError::UndeclaredPrefix { prefix: prefix.unwrap_or_default().to_owned() }
}

/// One attribute ready to render.
struct Attribute<'a, 'i> {
    qname: &'i str,
    prefix: Option<&'i str>,
    namespace: &'a str,
    local: &'i str,
    value: &'a str,
}

/// The attributes of `node` in canonical order: by namespace URI (none first), then local name.
fn attributes<'a, 'i>(node: Node<'a, 'i>) -> Result<Vec<Attribute<'a, 'i>>, C14nError> {
    let source = node.document().input_text();
    let mut out = Vec::new();
    for attribute in node.attributes() {
        let qname = source.get(attribute.range_qname()).unwrap_or_default();
        let prefix = split_qname(qname, attribute.name())?;
        let (namespace, local, value) =
            (attribute.namespace().unwrap_or_default(), attribute.name(), attribute.value());
        out.push(Attribute { qname, prefix, namespace, local, value });
    }
    out.sort_by(|a, b| (a.namespace, a.local).cmp(&(b.namespace, b.local)));
    Ok(out)
}

/// The element's qualified name as written, and its prefix.
fn element_qname<'i>(node: Node<'_, 'i>) -> Result<(&'i str, Option<&'i str>), C14nError> {
    let source = node.document().input_text();
    let tail = source.get(node.range().start + 1..).unwrap_or_default();
    let end = tail.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(tail.len());
    let qname = tail.get(..end).unwrap_or_default();
    Ok((qname, split_qname(qname, node.tag_name().name())?))
}

/// The prefix of `qname`, after checking that its local part is `local`.
fn split_qname<'i>(qname: &'i str, local: &str) -> Result<Option<&'i str>, C14nError> {
    let (prefix, rest) = match qname.split_once(':') {
        Some((prefix, rest)) => (Some(prefix), rest),
        None => (None, qname),
    };
    match rest == local {
        true => Ok(prefix),
        false => Err(C14nError::QName { expected: local.to_owned(), actual: qname.to_owned() }),
    }
}

/// Text node escapes (Canonical XML 1.0 §2.3).
fn escape_text(text: &str, out: &mut Vec<u8>) {
    for c in text.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => push_char(c, out),
        }
    }
}

/// Attribute value escapes (Canonical XML 1.0 §2.3).
fn escape_attribute(value: &str, out: &mut Vec<u8>) {
    for c in value.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#x9;"),
            '\n' => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => push_char(c, out),
        }
    }
}

fn push_char(c: char, out: &mut Vec<u8>) {
    let mut buffer = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
}

#[cfg(test)]
#[path = "c14n_tests.rs"]
mod tests;
