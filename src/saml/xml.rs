//! Bounded, DTD-free XML parsing for SAML 2.0 messages (XML 1.0 Fifth Edition, Namespaces in
//! XML 1.0), on top of `roxmltree`, plus the few reading helpers the SAML checks share.
//!
//! Every document is refused unless it is at most [`MAX_XML_BYTES`] long, has no DTD at all
//! (so no entity declarations: no XXE, no entity expansion), has at most [`MAX_NODES`] nodes and
//! nests elements at most [`MAX_DEPTH`] deep. Processing instructions are kept (the exclusive
//! canonicalisation in [`super::c14n`] renders them); the XML declaration is not a node.
//! [`text`] refuses an element whose content is not pure character data, which is what defeats
//! comment injection into signed values (`user@evil.com<!---->.good.com`, CVE-2017-11427 class).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::{Document, Node, ParsingOptions};
use std::fmt;

/// Largest document accepted, in bytes.
pub const MAX_XML_BYTES: usize = 256 * 1024;
/// Most nodes (elements, text, comments, PIs) a document may have.
pub const MAX_NODES: u32 = 20_000;
/// Deepest element nesting accepted; the document element is at depth 1.
pub const MAX_DEPTH: usize = 64;

/// SAML 2.0 protocol (`samlp:`).
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion (`saml:`).
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 metadata (`md:`).
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig (`ds:`).
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive XML Canonicalization 1.0 (`ec:`), also its algorithm URI.
pub const NS_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// XML Encryption (`xenc:`).
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

/// Why a document or a value in it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The document is longer than [`MAX_XML_BYTES`].
    TooLarge { limit: usize, actual: usize },
    /// The document has a DTD (`<!DOCTYPE …>`), possibly declaring entities.
    Dtd,
    /// The document has more than [`MAX_NODES`] nodes.
    TooManyNodes,
    /// Elements are nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A processing instruction is named `xml` in some letter case, which XML 1.0 §2.6 reserves
    /// (`roxmltree` lets `<?xml=…?>` through; rendered by c14n it would read as a declaration).
    ReservedPiTarget { target: String },
    /// The text is not well-formed namespace-aware XML; the parser's message.
    Malformed(String),
    /// Text that is not standard padded base64 (ASCII whitespace aside).
    Base64,
    /// An element that must hold only character data holds a comment, an element or a PI.
    MixedContent { element: String },
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::TooLarge { limit, actual } => {
                write!(f, "XML document is {actual} bytes, expected at most {limit}")
            }
            XmlError::Dtd => f.write_str("XML document has a DTD, expected none"),
            XmlError::TooManyNodes => write!(f, "XML document has more than the {MAX_NODES} nodes allowed"),
            XmlError::TooDeep => write!(f, "XML elements nest deeper than the {MAX_DEPTH} levels allowed"),
            XmlError::ReservedPiTarget { target } => {
                write!(f, "processing instruction target {target:?} is reserved, expected any other name")
            }
            XmlError::Malformed(why) => write!(f, "expected well-formed XML: {why}"),
            XmlError::Base64 => f.write_str("expected standard base64, found other characters or bad padding"),
            XmlError::MixedContent { element } => {
                write!(f, "<{element}> must contain only text, found a comment, element or processing instruction")
            }
        }
    }
}

impl std::error::Error for XmlError {}

/// Parses `text` within the limits above, refusing any DTD.
pub fn parse(text: &str) -> Result<Document<'_>, XmlError> {
    if text.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge { limit: MAX_XML_BYTES, actual: text.len() });
    }
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let document = Document::parse_with_options(text, options).map_err(parse_error)?;
    check_nodes(&document)?;
    Ok(document)
}

fn parse_error(error: roxmltree::Error) -> XmlError {
    match error {
        roxmltree::Error::DtdDetected => XmlError::Dtd,
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes,
        other => XmlError::Malformed(other.to_string()),
    }
}

/// Refuses elements deeper than [`MAX_DEPTH`] (`ancestors` counts the element and the root) and
/// processing instructions with a reserved target.
fn check_nodes(document: &Document<'_>) -> Result<(), XmlError> {
    for node in document.descendants() {
        if node.is_element() && node.ancestors().nth(MAX_DEPTH + 1).is_some() {
            return Err(XmlError::TooDeep);
        }
        if let Some(pi) = node.pi().filter(|pi| pi.target.eq_ignore_ascii_case("xml")) {
            return Err(XmlError::ReservedPiTarget { target: pi.target.to_string() });
        }
    }
    Ok(())
}

/// Decodes standard (padded) base64, ignoring ASCII whitespace such as XML line wrapping.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, XmlError> {
    let compact: Vec<u8> = text.bytes().filter(|byte| !byte.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).map_err(|_| XmlError::Base64)
}

/// The first element child of `node` named `{ns}name`.
pub fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    children(node, ns, name).next()
}

/// The element children of `node` named `{ns}name`, in document order.
pub fn children<'a, 'i: 'a>(node: Node<'a, 'i>, ns: &str, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    let (ns, name) = (ns.to_owned(), name.to_owned());
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().namespace() == Some(&ns) && c.tag_name().name() == name)
}

/// The character data of an element that holds nothing else (CDATA sections count as text;
/// nothing is trimmed). An element with a comment, PI or element child is refused.
pub fn text(node: Node<'_, '_>) -> Result<String, XmlError> {
    let mut value = String::new();
    for part in node.children() {
        if !part.is_text() {
            return Err(XmlError::MixedContent { element: node.tag_name().name().to_owned() });
        }
        value.push_str(part.text().unwrap_or_default());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_saml_document() {
        let doc = parse(
            r#"<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>"#,
        )
        .unwrap();
        assert!(doc.root_element().has_tag_name((NS_SAMLP, "Response")));
    }

    #[test]
    fn refuses_documents_over_the_size_limit() {
        let big = format!("<a>{}</a>", "x".repeat(MAX_XML_BYTES));
        assert_eq!(parse(&big).unwrap_err(), XmlError::TooLarge { limit: MAX_XML_BYTES, actual: MAX_XML_BYTES + 7 });
    }

    #[test]
    fn refuses_every_kind_of_dtd() {
        for text in [
            "<!DOCTYPE a><a/>",
            "<!DOCTYPE a []><a/>",
            "<!DOCTYPE a SYSTEM \"http://example.com/a.dtd\"><a/>",
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
            "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><a>&b;</a>",
        ] {
            assert_eq!(parse(text).unwrap_err(), XmlError::Dtd, "{text}");
        }
    }

    #[test]
    fn refuses_unknown_entities_as_malformed() {
        assert!(matches!(parse("<a>&nbsp;</a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<p:a/>"), Err(XmlError::Malformed(_))));
    }

    #[test]
    fn refuses_too_many_nodes() {
        let many = format!("<a>{}</a>", "<b/>".repeat(MAX_NODES as usize));
        assert_eq!(parse(&many).unwrap_err(), XmlError::TooManyNodes);
    }

    #[test]
    fn refuses_documents_deeper_than_the_limit() {
        let nest = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(parse(&nest(MAX_DEPTH)).is_ok());
        assert_eq!(parse(&nest(MAX_DEPTH + 1)).unwrap_err(), XmlError::TooDeep);
    }

    #[test]
    fn keeps_processing_instructions() {
        let doc = parse("<?xml version=\"1.0\"?><a><?pi data?></a>").unwrap();
        assert!(doc.root_element().first_child().unwrap().is_pi());
    }

    /// Regression for the `saml_c14n` fuzz finding (2026-11-23): `<?xml=…?>` inside an element
    /// was accepted, and its canonical form `<?xml =…?>` no longer parsed.
    #[test]
    fn refuses_processing_instructions_named_xml() {
        for text in ["<a><?xml=<?x'>?></a>", "<a><?XmL data?></a>", "<a/><?xml-ish?>"] {
            let result = parse(text);
            if text.contains("xml-ish") {
                assert!(result.is_ok(), "{text}");
            } else {
                assert!(
                    matches!(result, Err(XmlError::ReservedPiTarget { .. }) | Err(XmlError::Malformed(_))),
                    "{text}: {result:?}"
                );
            }
        }
        assert_eq!(parse("<a><?xml=<?x'>?></a>").unwrap_err(), XmlError::ReservedPiTarget { target: "xml".into() });
    }

    #[test]
    fn decodes_line_wrapped_base64() {
        assert_eq!(decode_base64(" aGVs\n bG8=\r\n\t").unwrap(), b"hello");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("aGVsbG8").unwrap_err(), XmlError::Base64);
        assert_eq!(decode_base64("aGV*bG8=").unwrap_err(), XmlError::Base64);
        assert_eq!(decode_base64("aGVsbG8_").unwrap_err(), XmlError::Base64);
    }

    #[test]
    fn finds_children_by_expanded_name() {
        let text = concat!(
            r#"<r xmlns:s="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:t="urn:other">"#,
            r#"<t:A/><s:A n="1"/>x<s:A n="2"/></r>"#
        );
        let doc = parse(text).unwrap();
        let root = doc.root_element();
        assert_eq!(child(root, NS_SAML, "A").unwrap().attribute("n"), Some("1"));
        assert_eq!(children(root, NS_SAML, "A").count(), 2);
        assert!(child(root, NS_SAML, "B").is_none());
    }

    #[test]
    fn text_returns_character_data_untrimmed() {
        let doc = parse("<a> x &amp; <![CDATA[<y>]]> </a>").unwrap();
        assert_eq!(text(doc.root_element()).unwrap(), " x & <y> ");
        let empty = parse("<a/>").unwrap();
        assert_eq!(text(empty.root_element()).unwrap(), "");
    }

    #[test]
    fn text_refuses_comment_injection() {
        let doc = parse("<NameID>user@evil.com<!---->.good.com</NameID>").unwrap();
        assert_eq!(text(doc.root_element()).unwrap_err(), XmlError::MixedContent { element: "NameID".into() });
        for mixed in ["<a>x<b/></a>", "<a>x<?pi?></a>", "<a><!-- only --></a>"] {
            let doc = parse(mixed).unwrap();
            assert!(matches!(text(doc.root_element()), Err(XmlError::MixedContent { .. })), "{mixed}");
        }
    }

    #[test]
    fn errors_display_expected_and_actual() {
        let shown = XmlError::TooLarge { limit: 10, actual: 11 }.to_string();
        assert!(shown.contains("11") && shown.contains("10"), "{shown}");
        assert!(XmlError::MixedContent { element: "NameID".into() }.to_string().contains("NameID"));
    }
}
