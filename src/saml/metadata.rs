//! SAML 2.0 metadata (Metadata §2): this SP's own `EntityDescriptor`, and the few facts read
//! from an IdP's.
//!
//! - [`sp_metadata`] writes Metadata §2.3.2 `EntityDescriptor` with one §2.4.4
//!   `SPSSODescriptor` (`protocolSupportEnumeration` per §2.4.1, `AuthnRequestsSigned="false"`
//!   because requests are sent unsigned, `WantAssertionsSigned="false"` because a signed Response, which covers its one Assertion, is accepted as well as a signed Assertion), its §2.4.2
//!   `NameIDFormat`s and one §2.2.3 indexed `AssertionConsumerService` (Bindings §3.5 HTTP-POST,
//!   index 0, default), in the schema's element order (`SSODescriptorType`'s `NameIDFormat`
//!   precedes `SPSSODescriptorType`'s `AssertionConsumerService`). §2.3.2 `validUntil` is
//!   optional.
//! - [`parse_idp_metadata`] reads an `EntityDescriptor` (or, inside §2.3.1 `EntitiesDescriptor`,
//!   the first one with an IdP role) through the bounded, DTD-free [`super::xml::parse`]: its
//!   `entityID`, `validUntil`, the first §2.4.3 `IDPSSODescriptor` supporting the SAML 2.0
//!   protocol, its `SingleSignOnService` locations for HTTP-POST and HTTP-Redirect, its
//!   `NameIDFormat`s and the X.509 certificates (§2.4.1.1 `KeyDescriptor` with `use="signing"`
//!   or no `use`, XML-DSig §4.4.4 `X509Data/X509Certificate`), each checked to hold a key the
//!   edge can verify with (RSA or P-256). Certificates are trusted because an admin configured
//!   this metadata, not through a chain; metadata signatures are not checked.

use std::fmt;

use roxmltree::Node;

use super::authn_request::{escape, BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};
use super::xml::{self, XmlError, NS_DS, NS_MD};

/// Core §3: the SAML 2.0 protocol URN, listed in `protocolSupportEnumeration`.
pub const PROTOCOL_SAML2: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// Most signing certificates kept from one IdP descriptor.
pub const MAX_SIGNING_CERTIFICATES: usize = 4;

/// This SP's metadata document (UTF-8 XML with a declaration); every value is escaped.
pub fn sp_metadata(sp_entity_id: &str, acs_url: &str, name_id_formats: &[&str], valid_until_ms: Option<i64>) -> String {
    let valid_until =
        valid_until_ms.map(|ms| format!(" validUntil=\"{}\"", crate::time::format_ms(ms))).unwrap_or_default();
    let formats: String =
        name_id_formats.iter().map(|f| format!("\n    <md:NameIDFormat>{}</md:NameIDFormat>", escape(f))).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"{NS_MD}\" entityID=\"{entity}\"{valid_until}>\n  \
         <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"false\" \
         protocolSupportEnumeration=\"{PROTOCOL_SAML2}\">{formats}\n    \
         <md:AssertionConsumerService Binding=\"{BINDING_HTTP_POST}\" Location=\"{acs}\" index=\"0\" \
         isDefault=\"true\"/>\n  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n",
        entity = escape(sp_entity_id),
        acs = escape(acs_url),
    )
}

/// What the SP needs from an IdP's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// `EntityDescriptor/@entityID`: the Issuer expected on Responses and Assertions.
    pub entity_id: String,
    /// `validUntil` of the `EntityDescriptor` (or, failing that, of the enclosing
    /// `EntitiesDescriptor`), Unix ms: the caller should refuse metadata past it.
    pub valid_until_ms: Option<i64>,
    /// `SingleSignOnService/@Location` for the HTTP-POST binding.
    pub sso_post_url: Option<String>,
    /// `SingleSignOnService/@Location` for the HTTP-Redirect binding.
    pub sso_redirect_url: Option<String>,
    /// DER X.509 signing certificates, in document order, at most [`MAX_SIGNING_CERTIFICATES`].
    pub signing_certificates: Vec<Vec<u8>>,
    /// `IDPSSODescriptor/NameIDFormat` values, trimmed.
    pub name_id_formats: Vec<String>,
}

/// Why IdP metadata was refused: one variant per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataError {
    /// Not bounded, DTD-free, well-formed XML (or a certificate that is not base64).
    Xml(XmlError),
    /// The document element is neither `md:EntityDescriptor` nor `md:EntitiesDescriptor`.
    NotMetadata { actual: String },
    /// No `EntityDescriptor` has an `IDPSSODescriptor` listing the SAML 2.0 protocol.
    NoIdpDescriptor,
    /// The chosen `EntityDescriptor` has no (or an empty) `entityID`.
    MissingEntityId,
    /// A time attribute is not an `xs:dateTime` in UTC (`…Z`).
    BadTime { field: &'static str, value: String },
    /// No `SingleSignOnService` for HTTP-POST or HTTP-Redirect with a `Location`.
    NoSingleSignOnService { bindings: Vec<String> },
    /// No signing `KeyDescriptor` with an `X509Certificate`.
    NoSigningCertificate,
    /// More signing certificates than [`MAX_SIGNING_CERTIFICATES`].
    TooManyCertificates { limit: usize, actual: usize },
    /// A certificate whose public key the edge cannot use (not X.509 v3, not RSA or P-256).
    UnusableCertificate { index: usize, reason: String },
}

impl MetadataError {
    /// A stable short reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Xml(XmlError::Dtd) => "metadata_xml_dtd",
            Self::Xml(XmlError::Base64) => "metadata_certificate_base64",
            Self::Xml(_) => "metadata_xml_invalid",
            Self::NotMetadata { .. } => "metadata_not_entity_descriptor",
            Self::NoIdpDescriptor => "metadata_no_idp_descriptor",
            Self::MissingEntityId => "metadata_missing_entity_id",
            Self::BadTime { .. } => "metadata_bad_time",
            Self::NoSingleSignOnService { .. } => "metadata_no_sso_service",
            Self::NoSigningCertificate => "metadata_no_signing_certificate",
            Self::TooManyCertificates { .. } => "metadata_too_many_certificates",
            Self::UnusableCertificate { .. } => "metadata_unusable_certificate",
        }
    }
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml(e) => write!(f, "IdP metadata refused: {e}"),
            Self::NotMetadata { actual } => {
                write!(f, "expected md:EntityDescriptor or md:EntitiesDescriptor as document element, found {actual}")
            }
            Self::NoIdpDescriptor => {
                write!(f, "expected an md:IDPSSODescriptor supporting {PROTOCOL_SAML2}, found none")
            }
            Self::MissingEntityId => f.write_str("expected a non-empty entityID on the md:EntityDescriptor"),
            Self::BadTime { field, value } => write!(f, "expected {field} as xs:dateTime in UTC (Z), found {value:?}"),
            Self::NoSingleSignOnService { bindings } => {
                write!(f, "expected a SingleSignOnService for HTTP-POST or HTTP-Redirect, found bindings {bindings:?}")
            }
            Self::NoSigningCertificate => {
                f.write_str("expected a signing KeyDescriptor with a ds:X509Certificate, found none")
            }
            Self::TooManyCertificates { limit, actual } => {
                write!(f, "expected at most {limit} signing certificates, found {actual}")
            }
            Self::UnusableCertificate { index, reason } => {
                write!(f, "signing certificate #{index} is unusable (expected an RSA or P-256 key): {reason}")
            }
        }
    }
}

impl std::error::Error for MetadataError {}

impl From<XmlError> for MetadataError {
    fn from(e: XmlError) -> Self {
        Self::Xml(e)
    }
}

/// Reads an IdP's metadata; see the module header for what is read and refused.
pub fn parse_idp_metadata(text: &str) -> Result<IdpMetadata, MetadataError> {
    let document = xml::parse(text)?;
    let root = document.root_element();
    let entity = find_idp_entity(root)?;
    let descriptor = idp_descriptor(entity).ok_or(MetadataError::NoIdpDescriptor)?;
    let entity_id = entity.attribute("entityID").filter(|id| !id.trim().is_empty());
    let entity_id = entity_id.ok_or(MetadataError::MissingEntityId)?.trim().to_owned();
    let (sso_post_url, sso_redirect_url) = sso_locations(descriptor)?;
    Ok(IdpMetadata {
        entity_id,
        valid_until_ms: valid_until(entity, root)?,
        sso_post_url,
        sso_redirect_url,
        signing_certificates: signing_certificates(descriptor)?,
        name_id_formats: name_id_formats(descriptor)?,
    })
}

/// The `EntityDescriptor` itself, or the first one in an `EntitiesDescriptor` (at any depth)
/// that has a SAML 2.0 `IDPSSODescriptor`.
fn find_idp_entity<'a, 'i>(root: Node<'a, 'i>) -> Result<Node<'a, 'i>, MetadataError> {
    if root.has_tag_name((NS_MD, "EntityDescriptor")) {
        return Ok(root);
    }
    if !root.has_tag_name((NS_MD, "EntitiesDescriptor")) {
        return Err(MetadataError::NotMetadata { actual: expanded_name(root) });
    }
    root.descendants()
        .filter(|n| n.has_tag_name((NS_MD, "EntityDescriptor")))
        .find(|n| idp_descriptor(*n).is_some())
        .ok_or(MetadataError::NoIdpDescriptor)
}

fn expanded_name(node: Node<'_, '_>) -> String {
    match node.tag_name().namespace() {
        Some(ns) => format!("{{{ns}}}{}", node.tag_name().name()),
        None => node.tag_name().name().to_owned(),
    }
}

/// The first `IDPSSODescriptor` whose `protocolSupportEnumeration` lists SAML 2.0.
fn idp_descriptor<'a, 'i>(entity: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    xml::children(entity, NS_MD, "IDPSSODescriptor").find(|d| {
        d.attribute("protocolSupportEnumeration")
            .is_some_and(|list| list.split_whitespace().any(|p| p == PROTOCOL_SAML2))
    })
}

/// Metadata §2.3.2 / §2.3.1 `validUntil`: the entity's own, else the enclosing group's.
fn valid_until(entity: Node<'_, '_>, root: Node<'_, '_>) -> Result<Option<i64>, MetadataError> {
    let Some(value) = entity.attribute("validUntil").or_else(|| root.attribute("validUntil")) else {
        return Ok(None);
    };
    utc_time(value).map(Some).ok_or_else(|| MetadataError::BadTime { field: "validUntil", value: value.to_owned() })
}

/// An `xs:dateTime` in UTC (`YYYY-MM-DDThh:mm:ss[.fff]Z`), as Unix ms.
fn utc_time(value: &str) -> Option<i64> {
    let is_utc = value.ends_with('Z') && value.as_bytes().get(10) == Some(&b'T');
    is_utc.then(|| crate::time::parse(value).ok()).flatten()
}

/// `(HTTP-POST location, HTTP-Redirect location)`: the first of each binding; at least one.
fn sso_locations(descriptor: Node<'_, '_>) -> Result<(Option<String>, Option<String>), MetadataError> {
    let services: Vec<_> = xml::children(descriptor, NS_MD, "SingleSignOnService").collect();
    let location = |binding: &str| {
        services
            .iter()
            .filter(|s| s.attribute("Binding") == Some(binding))
            .find_map(|s| s.attribute("Location").map(str::trim).filter(|l| !l.is_empty()))
            .map(str::to_owned)
    };
    let (post, redirect) = (location(BINDING_HTTP_POST), location(BINDING_HTTP_REDIRECT));
    if post.is_none() && redirect.is_none() {
        let bindings = services.iter().filter_map(|s| s.attribute("Binding")).map(str::to_owned).collect();
        return Err(MetadataError::NoSingleSignOnService { bindings });
    }
    Ok((post, redirect))
}

/// The DER certificates of signing `KeyDescriptor`s (`use="signing"` or no `use`).
fn signing_certificates(descriptor: Node<'_, '_>) -> Result<Vec<Vec<u8>>, MetadataError> {
    let nodes: Vec<_> = xml::children(descriptor, NS_MD, "KeyDescriptor")
        .filter(|k| matches!(k.attribute("use"), None | Some("signing")))
        .filter_map(|k| xml::child(k, NS_DS, "KeyInfo"))
        .flat_map(|info| xml::children(info, NS_DS, "X509Data"))
        .flat_map(|data| xml::children(data, NS_DS, "X509Certificate"))
        .collect();
    if nodes.is_empty() {
        return Err(MetadataError::NoSigningCertificate);
    }
    if nodes.len() > MAX_SIGNING_CERTIFICATES {
        return Err(MetadataError::TooManyCertificates { limit: MAX_SIGNING_CERTIFICATES, actual: nodes.len() });
    }
    nodes.into_iter().enumerate().map(|(index, node)| usable_certificate(index, node)).collect()
}

/// Decodes one `X509Certificate` and checks its key is one the edge verifies with.
fn usable_certificate(index: usize, node: Node<'_, '_>) -> Result<Vec<u8>, MetadataError> {
    let der = xml::decode_base64(&xml::text(node)?)?;
    crate::webauthn::certificate_public_key(&der)
        .map_err(|e| MetadataError::UnusableCertificate { index, reason: e.to_string() })?;
    Ok(der)
}

fn name_id_formats(descriptor: Node<'_, '_>) -> Result<Vec<String>, MetadataError> {
    xml::children(descriptor, NS_MD, "NameIDFormat").map(|n| Ok(xml::text(n)?.trim().to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: &str = "https://edge.axissynapse.test/api/saml/sp_fixture/metadata";
    const ACS: &str = "https://edge.axissynapse.test/api/saml/sp_fixture/acs";
    const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/saml/metadata/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn pem_der(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/saml/keys/{name}.crt.pem", env!("CARGO_MANIFEST_DIR"));
        let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        xml::decode_base64(&body).unwrap()
    }

    fn element_names<'a>(node: Node<'a, '_>) -> Vec<&'a str> {
        node.children().filter(Node::is_element).map(|c| c.tag_name().name()).collect()
    }

    #[test]
    fn sp_metadata_has_the_metadata_2_4_4_shape() {
        let text = sp_metadata(SP, ACS, &[EMAIL, PERSISTENT], Some(1_780_308_000_000));
        let doc = roxmltree::Document::parse(&text).unwrap();
        let root = doc.root_element();
        assert!(root.has_tag_name((NS_MD, "EntityDescriptor")));
        assert_eq!(root.attribute("entityID"), Some(SP));
        assert_eq!(root.attribute("validUntil"), Some("2026-06-01T10:00:00.000Z"));
        assert_eq!(element_names(root), ["SPSSODescriptor"]);
        let sp = root.first_element_child().unwrap();
        assert_eq!(sp.attribute("protocolSupportEnumeration"), Some(PROTOCOL_SAML2));
        assert_eq!(sp.attribute("AuthnRequestsSigned"), Some("false"));
        assert_eq!(sp.attribute("WantAssertionsSigned"), Some("false"));
        assert_eq!(element_names(sp), ["NameIDFormat", "NameIDFormat", "AssertionConsumerService"]);
        let formats: Vec<_> = xml::children(sp, NS_MD, "NameIDFormat").map(|n| n.text().unwrap()).collect();
        assert_eq!(formats, [EMAIL, PERSISTENT]);
        let acs = xml::child(sp, NS_MD, "AssertionConsumerService").unwrap();
        assert_eq!(acs.attribute("Binding"), Some(BINDING_HTTP_POST));
        assert_eq!(acs.attribute("Location"), Some(ACS));
        assert_eq!(acs.attribute("index"), Some("0"));
        assert_eq!(acs.attribute("isDefault"), Some("true"));
    }

    #[test]
    fn sp_metadata_without_formats_or_valid_until() {
        let text = sp_metadata(SP, ACS, &[], None);
        let doc = xml::parse(&text).unwrap();
        assert_eq!(doc.root_element().attribute("validUntil"), None);
        assert_eq!(element_names(doc.root_element().first_element_child().unwrap()), ["AssertionConsumerService"]);
    }

    #[test]
    fn sp_metadata_escapes_values() {
        let hostile = "https://x.test/?a=1&b=\"><md:Evil/>";
        let text = sp_metadata(hostile, hostile, &["<md:Evil/>"], None);
        let doc = xml::parse(&text).unwrap();
        assert_eq!(doc.root_element().attribute("entityID"), Some(hostile));
        assert!(doc.descendants().all(|n| n.tag_name().name() != "Evil"));
    }

    /// An independent XML parser (Python's `xml.etree`) agrees on the shape and schema order.
    #[test]
    fn sp_metadata_checked_by_python_xml_etree() {
        let text = sp_metadata(SP, ACS, &[EMAIL], Some(1_780_308_000_000));
        let script = r#"
import sys, xml.etree.ElementTree as ET
md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == md + "EntityDescriptor", root.tag
assert [c.tag for c in root] == [md + "SPSSODescriptor"]
sp = root[0]
order = [c.tag[len(md):] for c in sp]
assert order == ["NameIDFormat", "AssertionConsumerService"], order
acs = sp.find(md + "AssertionConsumerService")
assert acs.get("isDefault") == "true" and acs.get("index") == "0"
assert sp.get("WantAssertionsSigned") == "false" and sp.get("AuthnRequestsSigned") == "false"
print("ok", end="")
"#;
        use std::io::Write as _;
        let mut child = std::process::Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, b"ok");
    }

    #[test]
    fn parses_okta_like_metadata() {
        let idp = parse_idp_metadata(&fixture("okta-idp.xml")).unwrap();
        assert_eq!(idp.entity_id, "https://idp.example.test/saml");
        assert_eq!(idp.valid_until_ms, None);
        assert_eq!(idp.sso_post_url.as_deref(), Some("https://idp.example.test/app/axissynapse/sso/saml"));
        assert_eq!(idp.sso_redirect_url.as_deref(), Some("https://idp.example.test/app/axissynapse/sso/saml"));
        assert_eq!(idp.signing_certificates, [pem_der("idp-rsa")]);
        assert_eq!(idp.name_id_formats, [EMAIL, "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"]);
    }

    #[test]
    fn parses_entra_like_metadata_with_rotation_and_other_roles() {
        let idp = parse_idp_metadata(&fixture("entra-idp.xml")).unwrap();
        assert_eq!(idp.entity_id, "https://idp.example.test/saml");
        assert_eq!(crate::time::format_ms(idp.valid_until_ms.unwrap()), "2026-08-30T00:00:00.000Z");
        assert_eq!(idp.sso_post_url.as_deref(), Some("https://login.idp.example.test/tenant-1/saml2"));
        assert_eq!(idp.sso_redirect_url.as_deref(), Some("https://login.idp.example.test/tenant-1/saml2"));
        assert_eq!(idp.signing_certificates, [pem_der("idp-rsa"), pem_der("idp-rsa-rotated")]);
        assert!(idp.name_id_formats.is_empty());
    }

    #[test]
    fn picks_the_idp_entity_of_an_entities_descriptor() {
        let idp = parse_idp_metadata(&fixture("entities-descriptor.xml")).unwrap();
        assert_eq!(idp.entity_id, "https://idp-ec.example.test/saml");
        assert_eq!(idp.valid_until_ms, Some(crate::time::parse("2027-01-01T00:00:00Z").unwrap()));
        assert_eq!(idp.sso_post_url.as_deref(), Some("https://idp-ec.example.test/sso/post"));
        assert_eq!(idp.sso_redirect_url, None);
        assert_eq!(idp.signing_certificates, [pem_der("idp-ec")]);
    }

    #[test]
    fn refuses_billion_laughs() {
        assert_eq!(parse_idp_metadata(&fixture("hostile-billion-laughs.xml")), Err(MetadataError::Xml(XmlError::Dtd)));
    }

    #[test]
    fn refuses_external_entity() {
        assert_eq!(parse_idp_metadata(&fixture("hostile-xxe.xml")), Err(MetadataError::Xml(XmlError::Dtd)));
    }

    #[test]
    fn refuses_metadata_without_idp_descriptor() {
        let err = parse_idp_metadata(&fixture("hostile-sp-only.xml")).unwrap_err();
        assert_eq!(err, MetadataError::NoIdpDescriptor);
        assert_eq!(err.code(), "metadata_no_idp_descriptor");
    }

    #[test]
    fn refuses_metadata_without_certificate() {
        let err = parse_idp_metadata(&fixture("hostile-no-certificate.xml")).unwrap_err();
        assert_eq!(err, MetadataError::NoSigningCertificate);
        assert!(err.to_string().contains("X509Certificate"), "{err}");
    }

    fn idp_with(descriptor_body: &str, protocol: &str) -> String {
        format!(
            "<md:EntityDescriptor xmlns:md=\"{NS_MD}\" xmlns:ds=\"{NS_DS}\" entityID=\"https://idp.example.test/saml\">\
             <md:IDPSSODescriptor protocolSupportEnumeration=\"{protocol}\">{descriptor_body}</md:IDPSSODescriptor>\
             </md:EntityDescriptor>"
        )
    }

    fn key_descriptor(usage: Option<&str>, b64: &str) -> String {
        let usage = usage.map(|u| format!(" use=\"{u}\"")).unwrap_or_default();
        format!(
            "<md:KeyDescriptor{usage}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate>\
             </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        )
    }

    fn post_service() -> String {
        format!("<md:SingleSignOnService Binding=\"{BINDING_HTTP_POST}\" Location=\"https://idp.example.test/sso\"/>")
    }

    fn b64(der: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(der)
    }

    #[test]
    fn keeps_unspecified_use_and_skips_encryption_keys() {
        let rsa = b64(&pem_der("idp-rsa"));
        let ec = b64(&pem_der("idp-ec"));
        let body =
            format!("{}{}{}", key_descriptor(Some("encryption"), &rsa), key_descriptor(None, &ec), post_service());
        let idp = parse_idp_metadata(&idp_with(&body, PROTOCOL_SAML2)).unwrap();
        assert_eq!(idp.signing_certificates, [pem_der("idp-ec")]);
        let only_encryption = format!("{}{}", key_descriptor(Some("encryption"), &rsa), post_service());
        assert_eq!(
            parse_idp_metadata(&idp_with(&only_encryption, PROTOCOL_SAML2)),
            Err(MetadataError::NoSigningCertificate)
        );
    }

    #[test]
    fn refuses_more_than_four_certificates() {
        let rsa = b64(&pem_der("idp-rsa"));
        let body = format!("{}{}", key_descriptor(Some("signing"), &rsa).repeat(5), post_service());
        assert_eq!(
            parse_idp_metadata(&idp_with(&body, PROTOCOL_SAML2)),
            Err(MetadataError::TooManyCertificates { limit: 4, actual: 5 })
        );
    }

    #[test]
    fn refuses_bad_or_unusable_certificates() {
        let body = format!("{}{}", key_descriptor(None, "not*base64"), post_service());
        assert_eq!(parse_idp_metadata(&idp_with(&body, PROTOCOL_SAML2)), Err(MetadataError::Xml(XmlError::Base64)));
        let body = format!("{}{}", key_descriptor(None, "AAAA"), post_service());
        let err = parse_idp_metadata(&idp_with(&body, PROTOCOL_SAML2)).unwrap_err();
        assert!(matches!(err, MetadataError::UnusableCertificate { index: 0, .. }), "{err:?}");
        let body = format!("{}{}", key_descriptor(None, "<!-- x -->AAAA"), post_service());
        assert!(matches!(parse_idp_metadata(&idp_with(&body, PROTOCOL_SAML2)), Err(MetadataError::Xml(_))));
    }

    #[test]
    fn refuses_saml1_only_descriptor_and_missing_sso_service() {
        let cert = key_descriptor(None, &b64(&pem_der("idp-rsa")));
        let saml1 = idp_with(&format!("{cert}{}", post_service()), "urn:oasis:names:tc:SAML:1.1:protocol");
        assert_eq!(parse_idp_metadata(&saml1), Err(MetadataError::NoIdpDescriptor));
        let artifact = format!(
            "{cert}<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact\" \
             Location=\"https://idp.example.test/a\"/>"
        );
        assert_eq!(
            parse_idp_metadata(&idp_with(&artifact, PROTOCOL_SAML2)),
            Err(MetadataError::NoSingleSignOnService {
                bindings: vec!["urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact".into()]
            })
        );
    }

    #[test]
    fn refuses_other_roots_missing_entity_id_and_local_times() {
        let err = parse_idp_metadata("<md:Foo xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>").unwrap_err();
        assert_eq!(err, MetadataError::NotMetadata { actual: format!("{{{NS_MD}}}Foo") });
        let cert = key_descriptor(None, &b64(&pem_der("idp-rsa")));
        let no_id = idp_with(&format!("{cert}{}", post_service()), PROTOCOL_SAML2)
            .replace(" entityID=\"https://idp.example.test/saml\"", "");
        assert_eq!(parse_idp_metadata(&no_id), Err(MetadataError::MissingEntityId));
        let local = idp_with(&format!("{cert}{}", post_service()), PROTOCOL_SAML2)
            .replace(" entityID=", " validUntil=\"2026-06-01T10:00:00+02:00\" entityID=");
        assert_eq!(
            parse_idp_metadata(&local),
            Err(MetadataError::BadTime { field: "validUntil", value: "2026-06-01T10:00:00+02:00".into() })
        );
    }

    #[test]
    fn every_error_has_a_distinct_code_and_a_reason() {
        let errors = [
            MetadataError::Xml(XmlError::Dtd),
            MetadataError::Xml(XmlError::Base64),
            MetadataError::Xml(XmlError::TooDeep),
            MetadataError::NotMetadata { actual: "x".into() },
            MetadataError::NoIdpDescriptor,
            MetadataError::MissingEntityId,
            MetadataError::BadTime { field: "validUntil", value: "x".into() },
            MetadataError::NoSingleSignOnService { bindings: vec![] },
            MetadataError::NoSigningCertificate,
            MetadataError::TooManyCertificates { limit: 4, actual: 5 },
            MetadataError::UnusableCertificate { index: 0, reason: "x".into() },
        ];
        let codes: std::collections::BTreeSet<_> = errors.iter().map(MetadataError::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert!(errors.iter().all(|e| !e.to_string().is_empty()));
    }
}
