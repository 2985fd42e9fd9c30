//! XML Signature Syntax and Processing 1.1 (W3C Recommendation, 11 April 2013,
//! <https://www.w3.org/TR/xmldsig-core1/>) for enveloped signatures as SAML 2.0 uses them
//! (SAML Core §5.4): the structure of `ds:Signature` (§4.1–§4.4), reference validation (§3.2.1,
//! §4.4.3, the enveloped-signature transform of §6.6.4, exclusive canonicalization of §6.5.2)
//! and the SignedInfo message whose signature (§3.2.2, §6.4: RSASSA-PKCS1-v1_5 SHA-256, and
//! ECDSA P-256 SHA-256 whose SignatureValue is the raw `r‖s` of RFC 6931 §2.3.6 / §6.4.3) the
//! caller verifies with Web Crypto against keys from configuration — never from `ds:KeyInfo`.
//!
//! The profile is deliberately narrow, which is what defeats signature wrapping: exactly one
//! Reference, whose URI is `#` + the `ID` of the Signature's own parent element, which must be
//! the only element in the document carrying that identifier; transforms exactly
//! enveloped-signature then exc-c14n; SHA-256 digests only; SHA-1 anything refused as weak.

use super::c14n::{self, C14nError};
use super::xml::{self, XmlError, NS_DS, NS_EXC_C14N};
use crate::webauthn::{CoseKey, SignatureCheck};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::Node;
use sha2::{Digest, Sha256};
use std::fmt;

/// Exclusive canonicalization with comments (Exclusive XML Canonicalization 1.0 §3).
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// The enveloped-signature transform (§6.6.4).
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// SHA-256 digest (§6.2.2).
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// RSASSA-PKCS1-v1_5 with SHA-256 (§6.4.2, RFC 6931 §2.3.2).
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// ECDSA with SHA-256 (§6.4.3, RFC 6931 §2.3.6).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// Digest and signature algorithms refused as weak (SHA-1 and MD5 based).
const WEAK: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#md5",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    "http://www.w3.org/2001/04/xmldsig-more#hmac-md5",
];

/// The signature algorithms accepted on SignedInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// `rsa-sha256`: RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
    /// `ecdsa-sha256`: ECDSA on P-256 with SHA-256, raw `r‖s` signature values.
    EcdsaSha256,
}

impl SignatureAlgorithm {
    /// The algorithm named by a SignatureMethod `Algorithm` URI.
    pub fn from_uri(uri: &str) -> Result<Self, DsigError> {
        match uri {
            RSA_SHA256 => Ok(SignatureAlgorithm::RsaSha256),
            ECDSA_SHA256 => Ok(SignatureAlgorithm::EcdsaSha256),
            _ => Err(refused_algorithm(uri)),
        }
    }

    /// The algorithm's URI.
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => RSA_SHA256,
            SignatureAlgorithm::EcdsaSha256 => ECDSA_SHA256,
        }
    }
}

/// The signature over canonical SignedInfo that still has to be verified with the IdP key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInfoCheck {
    pub algorithm: SignatureAlgorithm,
    /// Exclusive canonical form of `ds:SignedInfo`: the signed message.
    pub message: Vec<u8>,
    /// The decoded SignatureValue (RSA: modulus-sized; ECDSA: raw `r‖s`).
    pub signature: Vec<u8>,
}

impl SignedInfoCheck {
    /// The Web Crypto check for `key`, or `None` when the key does not fit the algorithm
    /// (RSA for rsa-sha256, P-256 for ecdsa-sha256) or the signature has the wrong length for it
    /// (the modulus length for RSA, 64 bytes for P-256).
    pub fn for_key(&self, key: &CoseKey) -> Option<SignatureCheck> {
        let fits = match (self.algorithm, key) {
            (SignatureAlgorithm::RsaSha256, CoseKey::Rs256 { n, .. }) => self.signature.len() == n.len(),
            (SignatureAlgorithm::EcdsaSha256, CoseKey::Es256 { .. }) => self.signature.len() == 64,
            _ => false,
        };
        fits.then(|| SignatureCheck {
            key: key.clone(),
            message: self.message.clone(),
            signature: self.signature.clone(),
        })
    }
}

/// A signature whose structure and reference digest are good: `signed` is the element it
/// covers (the Signature's parent), `check` what the caller must still verify. Once `check`
/// verifies, read signed values from `signed` and its descendants only, never by searching the
/// document again (that is how signature wrapping gets in).
#[derive(Debug, Clone)]
pub struct Verified<'a, 'i> {
    pub signed: Node<'a, 'i>,
    pub check: SignedInfoCheck,
}

/// Why a signature is refused: one variant per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsigError {
    /// The element given is not `ds:Signature`.
    NotASignature { actual: String },
    /// An element has more than one direct `ds:Signature` child.
    MultipleSignatures { count: usize },
    /// An element's children are not the content model this profile allows.
    UnexpectedContent { element: &'static str, expected: &'static str, actual: Vec<String> },
    /// Text (other than whitespace) or a processing instruction where only elements belong.
    UnexpectedText { element: &'static str },
    /// A required attribute is absent.
    MissingAttribute { element: &'static str, attribute: &'static str },
    /// SignedInfo's CanonicalizationMethod is not exclusive canonicalization.
    UnsupportedCanonicalization { uri: String },
    /// A SHA-1 or MD5 based digest or signature algorithm.
    WeakAlgorithm { uri: String },
    /// Any other digest or signature algorithm not accepted here.
    UnsupportedAlgorithm { uri: String },
    /// SignedInfo must hold exactly one Reference.
    ReferenceCount { expected: usize, actual: usize },
    /// The Signature is the document element: nothing envelops it.
    NotEnveloped,
    /// The Signature's parent has no (or an empty) `ID` attribute to reference.
    ParentWithoutId { element: String },
    /// The Reference URI is not `#` followed by the `ID` of the Signature's parent.
    ReferenceUri { expected: String, actual: String },
    /// More than one element of the document carries the referenced identifier (as an `ID`,
    /// `AssertionID` or `Id` attribute, in any namespace).
    DuplicateId { id: String },
    /// The Reference's transforms are not exactly enveloped-signature then exc-c14n.
    UnexpectedTransforms { found: Vec<String> },
    /// The DigestValue (`expected`, as signed) differs from the digest of the referenced
    /// element (`actual`), both base64.
    DigestMismatch { expected: String, actual: String },
    /// A DigestValue or SignatureValue that is not base64 character data.
    Xml(XmlError),
    /// The referenced element or SignedInfo cannot be canonicalized.
    C14n(C14nError),
}

impl fmt::Display for DsigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DsigError as E;
        match self {
            E::NotASignature { actual } => write!(f, "expected ds:Signature, got {actual}"),
            E::MultipleSignatures { count } => write!(f, "expected at most one ds:Signature child, found {count}"),
            E::UnexpectedContent { element, expected, actual } => {
                write!(f, "{element} must contain {expected}, found {actual:?}")
            }
            E::UnexpectedText { element } => {
                write!(f, "{element} must contain only elements, found text or a processing instruction")
            }
            E::MissingAttribute { element, attribute } => write!(f, "{element} must have a {attribute} attribute"),
            E::UnsupportedCanonicalization { uri } => {
                write!(f, "canonicalization {uri:?}, expected {NS_EXC_C14N:?} (or #WithComments)")
            }
            E::WeakAlgorithm { uri } => write!(f, "algorithm {uri:?} is too weak, expected a SHA-256 one"),
            E::UnsupportedAlgorithm { uri } => write!(f, "algorithm {uri:?} is not supported"),
            E::ReferenceCount { expected, actual } => {
                write!(f, "SignedInfo has {actual} References, expected {expected}")
            }
            E::NotEnveloped => f.write_str("ds:Signature is the document element, expected it inside the signed one"),
            E::ParentWithoutId { element } => write!(f, "<{element}> holds a signature, expected it to have an ID"),
            E::ReferenceUri { expected, actual } => write!(f, "Reference URI {actual:?}, expected {expected:?}"),
            E::DuplicateId { id } => write!(f, "ID {id:?} is carried by several elements, expected exactly one"),
            E::UnexpectedTransforms { found } => {
                write!(f, "transforms {found:?}, expected [{ENVELOPED_SIGNATURE:?}, {NS_EXC_C14N:?}]")
            }
            E::DigestMismatch { expected, actual } => {
                write!(f, "digest of the signed element is {actual}, DigestValue says {expected}")
            }
            E::Xml(error) => error.fmt(f),
            E::C14n(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for DsigError {}

impl From<XmlError> for DsigError {
    fn from(error: XmlError) -> Self {
        DsigError::Xml(error)
    }
}

impl From<C14nError> for DsigError {
    fn from(error: C14nError) -> Self {
        DsigError::C14n(error)
    }
}

fn refused_algorithm(uri: &str) -> DsigError {
    match WEAK.contains(&uri) {
        true => DsigError::WeakAlgorithm { uri: uri.to_owned() },
        false => DsigError::UnsupportedAlgorithm { uri: uri.to_owned() },
    }
}

/// The direct `ds:Signature` child of `element`, if any; more than one is refused.
pub fn signature_of<'a, 'i>(element: Node<'a, 'i>) -> Result<Option<Node<'a, 'i>>, DsigError> {
    let mut signatures = xml::children(element, NS_DS, "Signature");
    let first = signatures.next();
    match signatures.count() {
        0 => Ok(first),
        more => Err(DsigError::MultipleSignatures { count: more + 1 }),
    }
}

/// Checks the enveloped `signature` strictly and verifies its reference digest; returns the
/// element it signs and the SignedInfo signature the caller must verify with the IdP key.
pub fn enveloped<'a, 'i>(signature: Node<'a, 'i>) -> Result<Verified<'a, 'i>, DsigError> {
    if !signature.has_tag_name((NS_DS, "Signature")) {
        return Err(DsigError::NotASignature { actual: expanded_name(signature) });
    }
    let [signed_info, signature_value] = signature_parts(signature)?;
    let (canonicalization, algorithm, reference) = signed_info_parts(signed_info)?;
    let signed = signed_element(signature, reference)?;
    check_digest(signed, signature, reference)?;
    let message = c14n::exclusive(signed_info, None, &canonicalization.prefixes, canonicalization.with_comments)?;
    let signature = xml::decode_base64(&xml::text(signature_value)?)?;
    Ok(Verified { signed, check: SignedInfoCheck { algorithm, message, signature } })
}

/// `ds:SignedInfo` and `ds:SignatureValue`, after checking the Signature's content model.
fn signature_parts<'a, 'i>(signature: Node<'a, 'i>) -> Result<[Node<'a, 'i>; 2], DsigError> {
    const MODEL: &str = "ds:SignedInfo, ds:SignatureValue, ds:KeyInfo?";
    let children = element_children(signature, "ds:Signature")?;
    match children.as_slice() {
        [info, value] | [info, value, _] if sequence_is(&children, &["SignedInfo", "SignatureValue", "KeyInfo"]) => {
            Ok([*info, *value])
        }
        _ => Err(unexpected("ds:Signature", MODEL, &children)),
    }
}

/// Canonicalization settings from a CanonicalizationMethod or exc-c14n Transform.
struct Canonicalization {
    prefixes: Vec<String>,
    with_comments: bool,
}

/// The SignedInfo canonicalization, signature algorithm and single Reference.
fn signed_info_parts<'a, 'i>(
    signed_info: Node<'a, 'i>,
) -> Result<(Canonicalization, SignatureAlgorithm, Node<'a, 'i>), DsigError> {
    const MODEL: &str = "ds:CanonicalizationMethod, ds:SignatureMethod, ds:Reference";
    let children = element_children(signed_info, "ds:SignedInfo")?;
    let references = children.iter().filter(|c| c.has_tag_name((NS_DS, "Reference"))).count();
    if references != 1 {
        return Err(DsigError::ReferenceCount { expected: 1, actual: references });
    }
    let [method, signature_method, reference] = children.as_slice() else {
        return Err(unexpected("ds:SignedInfo", MODEL, &children));
    };
    if !sequence_is(&children, &["CanonicalizationMethod", "SignatureMethod", "Reference"]) {
        return Err(unexpected("ds:SignedInfo", MODEL, &children));
    }
    let canonicalization = canonicalization_method(*method)?;
    let algorithm = SignatureAlgorithm::from_uri(algorithm_of(*signature_method, "ds:SignatureMethod")?)?;
    no_children(*signature_method, "ds:SignatureMethod")?;
    Ok((canonicalization, algorithm, *reference))
}

fn canonicalization_method(method: Node<'_, '_>) -> Result<Canonicalization, DsigError> {
    let with_comments = match algorithm_of(method, "ds:CanonicalizationMethod")? {
        NS_EXC_C14N => false,
        EXC_C14N_WITH_COMMENTS => true,
        other => return Err(DsigError::UnsupportedCanonicalization { uri: other.to_owned() }),
    };
    let prefixes = inclusive_namespaces(method, "ds:CanonicalizationMethod")?;
    Ok(Canonicalization { prefixes, with_comments })
}

/// The PrefixList of an optional `ec:InclusiveNamespaces`, the only child allowed.
fn inclusive_namespaces(method: Node<'_, '_>, element: &'static str) -> Result<Vec<String>, DsigError> {
    let children = element_children(method, element)?;
    match children.as_slice() {
        [] => Ok(Vec::new()),
        [list] if list.has_tag_name((NS_EXC_C14N, "InclusiveNamespaces")) => {
            let prefixes = list
                .attribute("PrefixList")
                .ok_or(DsigError::MissingAttribute { element: "ec:InclusiveNamespaces", attribute: "PrefixList" })?;
            Ok(prefixes.split_ascii_whitespace().map(str::to_owned).collect())
        }
        _ => Err(unexpected(element, "ec:InclusiveNamespaces?", &children)),
    }
}

/// The Signature's parent, after checking that it holds no other Signature and that the
/// Reference URI names it and only it.
fn signed_element<'a, 'i>(signature: Node<'a, 'i>, reference: Node<'_, '_>) -> Result<Node<'a, 'i>, DsigError> {
    let parent = signature.parent_element().ok_or(DsigError::NotEnveloped)?;
    signature_of(parent)?;
    let id = parent.attribute("ID").filter(|id| !id.is_empty());
    let id = id.ok_or_else(|| DsigError::ParentWithoutId { element: expanded_name(parent) })?;
    let uri =
        reference.attribute("URI").ok_or(DsigError::MissingAttribute { element: "ds:Reference", attribute: "URI" })?;
    if uri.strip_prefix('#') != Some(id) {
        return Err(DsigError::ReferenceUri { expected: format!("#{id}"), actual: uri.to_owned() });
    }
    let carriers = parent.document().descendants().filter(|node| carries_id(*node, id)).count();
    match carriers {
        1 => Ok(parent),
        _ => Err(DsigError::DuplicateId { id: id.to_owned() }),
    }
}

/// Whether `node` is an element with an `ID`, `AssertionID` or `Id` attribute (in any
/// namespace) equal to `id`.
fn carries_id(node: Node<'_, '_>, id: &str) -> bool {
    let names = ["ID", "AssertionID", "Id"];
    node.is_element() && node.attributes().any(|a| names.contains(&a.name()) && a.value() == id)
}

/// Checks the Reference's transforms, digest method and digest value against `signed`.
fn check_digest(signed: Node<'_, '_>, signature: Node<'_, '_>, reference: Node<'_, '_>) -> Result<(), DsigError> {
    const MODEL: &str = "ds:Transforms, ds:DigestMethod, ds:DigestValue";
    let children = element_children(reference, "ds:Reference")?;
    let [transforms, method, value] = children.as_slice() else {
        return Err(unexpected("ds:Reference", MODEL, &children));
    };
    if !sequence_is(&children, &["Transforms", "DigestMethod", "DigestValue"]) {
        return Err(unexpected("ds:Reference", MODEL, &children));
    }
    let prefixes = transforms_prefixes(*transforms)?;
    match algorithm_of(*method, "ds:DigestMethod")? {
        SHA256 => no_children(*method, "ds:DigestMethod")?,
        other => return Err(refused_algorithm(other)),
    }
    let canonical = c14n::exclusive(signed, Some(signature.id()), &prefixes, false)?;
    let actual = Sha256::digest(&canonical);
    let expected = xml::decode_base64(&xml::text(*value)?)?;
    match expected.as_slice() == actual.as_slice() {
        true => Ok(()),
        false => {
            Err(DsigError::DigestMismatch { expected: STANDARD.encode(expected), actual: STANDARD.encode(actual) })
        }
    }
}

/// The exc-c14n PrefixList, after checking the transforms are exactly enveloped-signature
/// then exc-c14n (without comments: a same-document reference drops them anyway).
fn transforms_prefixes(transforms: Node<'_, '_>) -> Result<Vec<String>, DsigError> {
    let children = element_children(transforms, "ds:Transforms")?;
    let found: Vec<String> = children.iter().map(|t| t.attribute("Algorithm").unwrap_or_default().to_owned()).collect();
    let all_transforms = children.iter().all(|t| t.has_tag_name((NS_DS, "Transform")));
    match (children.as_slice(), all_transforms && found == [ENVELOPED_SIGNATURE, NS_EXC_C14N]) {
        ([enveloped, exclusive], true) => {
            no_children(*enveloped, "ds:Transform")?;
            inclusive_namespaces(*exclusive, "ds:Transform")
        }
        _ => Err(DsigError::UnexpectedTransforms { found }),
    }
}

/// The `Algorithm` attribute of `node`.
fn algorithm_of<'a>(node: Node<'a, '_>, element: &'static str) -> Result<&'a str, DsigError> {
    node.attribute("Algorithm").ok_or(DsigError::MissingAttribute { element, attribute: "Algorithm" })
}

fn no_children(node: Node<'_, '_>, element: &'static str) -> Result<(), DsigError> {
    let children = element_children(node, element)?;
    match children.is_empty() {
        true => Ok(()),
        false => Err(unexpected(element, "nothing", &children)),
    }
}

/// The element children of `node`; only whitespace text and comments may sit between them.
fn element_children<'a, 'i>(node: Node<'a, 'i>, element: &'static str) -> Result<Vec<Node<'a, 'i>>, DsigError> {
    let mut out = Vec::new();
    for child in node.children() {
        match child.node_type() {
            roxmltree::NodeType::Element => out.push(child),
            roxmltree::NodeType::Text if child.text().unwrap_or_default().trim_ascii().is_empty() => {}
            roxmltree::NodeType::Comment => {}
            _ => return Err(DsigError::UnexpectedText { element }),
        }
    }
    Ok(out)
}

/// Whether `children` are XML-DSig elements whose local names start `names`, in order and
/// with no more of them than `names`.
fn sequence_is(children: &[Node<'_, '_>], names: &[&str]) -> bool {
    children.len() <= names.len() && children.iter().zip(names).all(|(child, name)| child.has_tag_name((NS_DS, *name)))
}

fn unexpected(element: &'static str, expected: &'static str, children: &[Node<'_, '_>]) -> DsigError {
    DsigError::UnexpectedContent { element, expected, actual: children.iter().map(|c| expanded_name(*c)).collect() }
}

/// `{namespace}local` (or just `local`) for messages.
fn expanded_name(node: Node<'_, '_>) -> String {
    let name = node.tag_name();
    match name.namespace() {
        Some(ns) => format!("{{{ns}}}{}", name.name()),
        None => name.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::xml::{parse, NS_SAML};
    use crate::webauthn::certificate_public_key;

    const ASSERTION_RSA: &str = include_str!("../../tests/fixtures/saml/dsig/assertion-rsa.xml");
    const ASSERTION_ECDSA: &str = include_str!("../../tests/fixtures/saml/dsig/assertion-ecdsa.xml");
    const RESPONSE_RSA: &str = include_str!("../../tests/fixtures/saml/dsig/response-rsa.xml");
    const RESPONSE_ECDSA: &str = include_str!("../../tests/fixtures/saml/dsig/response-ecdsa.xml");
    const RSA_CERT: &str = include_str!("../../tests/fixtures/saml/dsig/rsa.cert.pem");
    const P256_CERT: &str = include_str!("../../tests/fixtures/saml/dsig/p256.cert.pem");

    fn key(pem: &str) -> CoseKey {
        let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
        certificate_public_key(&xml::decode_base64(&body).unwrap()).unwrap()
    }

    /// Runs [`enveloped`] on the Signature directly inside the element with `ID` = `id`.
    fn check_of(text: &str, id: &str) -> Result<SignedInfoCheck, DsigError> {
        let doc = parse(text).unwrap();
        let element = doc.descendants().find(|n| n.attribute("ID") == Some(id)).unwrap();
        let verified = enveloped(signature_of(element)?.unwrap())?;
        assert_eq!(verified.signed.id(), element.id());
        Ok(verified.check)
    }

    fn verifies(text: &str, id: &str, cert: &str) -> bool {
        let check = check_of(text, id).unwrap();
        crate::webauthn::testutil::verify(&check.for_key(&key(cert)).unwrap())
    }

    #[test]
    fn signxml_fixtures_verify_with_the_configured_certificate() {
        assert!(verifies(ASSERTION_RSA, "_a-rsa", RSA_CERT));
        assert!(verifies(ASSERTION_ECDSA, "_a-ec", P256_CERT));
        assert!(verifies(RESPONSE_RSA, "_r-rsa", RSA_CERT));
        assert!(verifies(RESPONSE_RSA, "_a-in-r-rsa", RSA_CERT));
        assert!(verifies(RESPONSE_ECDSA, "_r-ec", P256_CERT));
    }

    #[test]
    fn algorithms_and_prefix_lists_are_read_from_the_signature() {
        let rsa = check_of(ASSERTION_RSA, "_a-rsa").unwrap();
        assert_eq!(rsa.algorithm, SignatureAlgorithm::RsaSha256);
        assert!(ASSERTION_RSA.contains(r#"PrefixList="xs""#), "the fixture exercises InclusiveNamespaces");
        assert!(rsa.message.starts_with(br#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xs="#));
        let ecdsa = check_of(ASSERTION_ECDSA, "_a-ec").unwrap();
        assert_eq!(ecdsa.algorithm, SignatureAlgorithm::EcdsaSha256);
        assert_eq!(SignatureAlgorithm::from_uri(ecdsa.algorithm.uri()), Ok(SignatureAlgorithm::EcdsaSha256));
    }

    #[test]
    fn ecdsa_signature_values_are_raw_r_s_and_passed_as_is() {
        let check = check_of(ASSERTION_ECDSA, "_a-ec").unwrap();
        assert_eq!(check.signature.len(), 64);
        assert_eq!(check.for_key(&key(P256_CERT)).unwrap().signature, check.signature);
        let short = SignedInfoCheck { signature: check.signature[..63].to_vec(), ..check.clone() };
        assert!(short.for_key(&key(P256_CERT)).is_none());
    }

    #[test]
    fn keys_that_do_not_fit_the_algorithm_give_no_check() {
        let rsa = check_of(ASSERTION_RSA, "_a-rsa").unwrap();
        let ecdsa = check_of(ASSERTION_ECDSA, "_a-ec").unwrap();
        assert!(rsa.for_key(&key(P256_CERT)).is_none());
        assert!(ecdsa.for_key(&key(RSA_CERT)).is_none());
        assert!(rsa.for_key(&CoseKey::EdDsa { x: [0; 32] }).is_none());
        let truncated = SignedInfoCheck { signature: rsa.signature[1..].to_vec(), ..rsa.clone() };
        assert!(truncated.for_key(&key(RSA_CERT)).is_none());
    }

    #[test]
    fn a_key_other_than_the_signers_does_not_verify() {
        let check = check_of(RESPONSE_ECDSA, "_r-ec").unwrap();
        let other = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let point = other.verifying_key().to_sec1_point(false);
        let (x, y) = (point.x().unwrap(), point.y().unwrap());
        let other = CoseKey::Es256 { x: x.as_slice().try_into().unwrap(), y: y.as_slice().try_into().unwrap() };
        assert!(!crate::webauthn::testutil::verify(&check.for_key(&other).unwrap()));
    }

    #[test]
    fn tampered_signed_text_is_a_digest_mismatch() {
        let tampered = ASSERTION_RSA.replace(">alice@example.com</saml:NameID>", ">mallory@example.com</saml:NameID>");
        assert!(matches!(check_of(&tampered, "_a-rsa"), Err(DsigError::DigestMismatch { .. })));
        let tampered = RESPONSE_RSA.replace("admins &amp; friends", "admins");
        assert!(matches!(check_of(&tampered, "_r-rsa"), Err(DsigError::DigestMismatch { .. })));
        assert!(matches!(check_of(&tampered, "_a-in-r-rsa"), Err(DsigError::DigestMismatch { .. })));
    }

    #[test]
    fn digest_mismatch_reports_both_digests() {
        let tampered = ASSERTION_ECDSA.replace(r#"Version="2.0""#, r#"Version="2.1""#);
        let Err(DsigError::DigestMismatch { expected, actual }) = check_of(&tampered, "_a-ec") else { panic!() };
        assert!(ASSERTION_ECDSA.contains(&format!("<ds:DigestValue>{expected}</ds:DigestValue>")));
        assert_ne!(expected, actual);
        assert_eq!(xml::decode_base64(&actual).unwrap().len(), 32);
    }

    #[test]
    fn comment_injection_keeps_the_digest_so_values_must_be_read_with_xml_text() {
        // Exclusive c14n without comments: the CVE-2017-11427 class of injection verifies…
        let injected =
            ASSERTION_RSA.replace(">alice@example.com</saml:NameID>", ">alice@example.com<!---->.evil</saml:NameID>");
        assert!(matches!(check_of(&injected, "_a-rsa"), Err(DsigError::DigestMismatch { .. })));
        let injected =
            ASSERTION_RSA.replace(">alice@example.com</saml:NameID>", ">alice@exa<!---->mple.com</saml:NameID>");
        assert!(verifies(&injected, "_a-rsa", RSA_CERT));
        // …so the value must be refused when read.
        let doc = parse(&injected).unwrap();
        let name_id = doc.descendants().find(|n| n.has_tag_name((NS_SAML, "NameID"))).unwrap();
        assert!(matches!(xml::text(name_id), Err(XmlError::MixedContent { .. })));
    }

    #[test]
    fn flipped_signature_value_does_not_verify() {
        let check = check_of(ASSERTION_RSA, "_a-rsa").unwrap();
        let original = STANDARD.encode(&check.signature);
        let mut flipped = check.signature.clone();
        flipped[100] ^= 1;
        let tampered = ASSERTION_RSA.replace(&original, &STANDARD.encode(&flipped));
        assert!(!verifies(&tampered, "_a-rsa", RSA_CERT));
        let check = check_of(ASSERTION_ECDSA, "_a-ec").unwrap();
        let mut flipped = check.signature.clone();
        flipped[5] ^= 0x80;
        let tampered = ASSERTION_ECDSA.replace(&STANDARD.encode(&check.signature), &STANDARD.encode(&flipped));
        assert!(!verifies(&tampered, "_a-ec", P256_CERT));
    }

    #[test]
    fn reference_must_name_the_signatures_parent() {
        let other = ASSERTION_ECDSA.replace(r##"URI="#_a-ec""##, r##"URI="#_other""##);
        let expected = DsigError::ReferenceUri { expected: "#_a-ec".into(), actual: "#_other".into() };
        assert_eq!(check_of(&other, "_a-ec").unwrap_err(), expected);
        let whole_document = ASSERTION_ECDSA.replace(r##"URI="#_a-ec""##, r#"URI="""#);
        assert!(matches!(check_of(&whole_document, "_a-ec"), Err(DsigError::ReferenceUri { .. })));
        let missing = ASSERTION_ECDSA.replace(r##" URI="#_a-ec""##, "");
        assert!(matches!(check_of(&missing, "_a-ec"), Err(DsigError::MissingAttribute { attribute: "URI", .. })));
    }

    /// Signature wrapping: the IdP's Signature moved into an attacker's element.
    #[test]
    fn signature_wrapping_is_refused() {
        let doc = parse(RESPONSE_ECDSA).unwrap();
        let signature = signature_of(doc.root_element()).unwrap().unwrap();
        let signature_xml = &RESPONSE_ECDSA[signature.range()];
        let evil = format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_evil">"#,
                r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil-a">{}"#,
                r#"</saml:Assertion><samlp:Extensions>{}</samlp:Extensions></samlp:Response>"#
            ),
            signature_xml,
            &RESPONSE_ECDSA[doc.root_element().range()]
        );
        assert!(matches!(check_of(&evil, "_evil-a"), Err(DsigError::ReferenceUri { .. })));
        // The attacker gives their element the signed ID, keeping the original for the digest.
        let same_id = evil.replace(r#"ID="_evil-a""#, r#"ID="_r-ec""#);
        let doc = parse(&same_id).unwrap();
        let wrapper = doc.descendants().find(|n| n.has_tag_name((NS_SAML, "Assertion"))).unwrap();
        let result = enveloped(signature_of(wrapper).unwrap().unwrap()).map(|v| v.check);
        assert_eq!(result.unwrap_err(), DsigError::DuplicateId { id: "_r-ec".into() });
    }

    #[test]
    fn duplicate_ids_are_refused_under_every_id_attribute_name() {
        for attribute in ["ID", "AssertionID", "Id"] {
            let extra = format!(r#"<saml:Audience {attribute}="_a-rsa">x</saml:Audience></saml:AudienceRestriction>"#);
            let twice = ASSERTION_RSA.replacen("</saml:AudienceRestriction>", &extra, 1);
            assert_eq!(check_of(&twice, "_a-rsa").unwrap_err(), DsigError::DuplicateId { id: "_a-rsa".into() });
        }
    }

    #[test]
    fn exactly_one_reference() {
        let doc = parse(ASSERTION_ECDSA).unwrap();
        let reference = doc.descendants().find(|n| n.has_tag_name((NS_DS, "Reference"))).unwrap();
        let reference_xml = &ASSERTION_ECDSA[reference.range()];
        let two = ASSERTION_ECDSA.replace(reference_xml, &format!("{reference_xml}{reference_xml}"));
        assert_eq!(check_of(&two, "_a-ec").unwrap_err(), DsigError::ReferenceCount { expected: 1, actual: 2 });
        let none = ASSERTION_ECDSA.replace(reference_xml, "");
        assert_eq!(check_of(&none, "_a-ec").unwrap_err(), DsigError::ReferenceCount { expected: 1, actual: 0 });
    }

    const ENVELOPED_TRANSFORM: &str =
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#;
    const EXC_TRANSFORM: &str = r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;

    #[test]
    fn transforms_must_be_enveloped_then_exclusive() {
        let xpath = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/>"#;
        let extra = ASSERTION_ECDSA.replace(EXC_TRANSFORM, &format!("{EXC_TRANSFORM}{xpath}"));
        let Err(DsigError::UnexpectedTransforms { found }) = check_of(&extra, "_a-ec") else { panic!() };
        assert_eq!(found, [ENVELOPED_SIGNATURE, NS_EXC_C14N, "http://www.w3.org/TR/1999/REC-xpath-19991116"]);
        let swapped = ASSERTION_ECDSA.replace(
            &format!("{ENVELOPED_TRANSFORM}{EXC_TRANSFORM}"),
            &format!("{EXC_TRANSFORM}{ENVELOPED_TRANSFORM}"),
        );
        assert!(matches!(check_of(&swapped, "_a-ec"), Err(DsigError::UnexpectedTransforms { .. })));
        let only_enveloped = ASSERTION_ECDSA.replace(EXC_TRANSFORM, "");
        assert!(matches!(check_of(&only_enveloped, "_a-ec"), Err(DsigError::UnexpectedTransforms { .. })));
        let with_comments =
            ASSERTION_ECDSA.replace(EXC_TRANSFORM, &EXC_TRANSFORM.replace("c14n#", "c14n#WithComments"));
        assert!(matches!(check_of(&with_comments, "_a-ec"), Err(DsigError::UnexpectedTransforms { .. })));
    }

    #[test]
    fn sha1_and_unknown_algorithms_are_refused() {
        let sha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
        let digest = ASSERTION_RSA.replace(SHA256, sha1);
        assert_eq!(check_of(&digest, "_a-rsa").unwrap_err(), DsigError::WeakAlgorithm { uri: sha1.into() });
        let rsa_sha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
        let method = ASSERTION_RSA.replace(RSA_SHA256, rsa_sha1);
        assert_eq!(check_of(&method, "_a-rsa").unwrap_err(), DsigError::WeakAlgorithm { uri: rsa_sha1.into() });
        let sha512 = "http://www.w3.org/2001/04/xmlenc#sha512";
        let digest = ASSERTION_RSA.replace(SHA256, sha512);
        assert_eq!(check_of(&digest, "_a-rsa").unwrap_err(), DsigError::UnsupportedAlgorithm { uri: sha512.into() });
    }

    #[test]
    fn canonicalization_method_must_be_exclusive() {
        let inclusive = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
        let method = ASSERTION_ECDSA.replace(
            &format!(r#"<ds:CanonicalizationMethod Algorithm="{NS_EXC_C14N}"/>"#),
            &format!(r#"<ds:CanonicalizationMethod Algorithm="{inclusive}"/>"#),
        );
        assert_eq!(
            check_of(&method, "_a-ec").unwrap_err(),
            DsigError::UnsupportedCanonicalization { uri: inclusive.into() }
        );
    }

    #[test]
    fn signed_info_with_comments_canonicalization_is_accepted_but_changes_the_message() {
        let with = ASSERTION_ECDSA.replace(
            &format!(r#"<ds:CanonicalizationMethod Algorithm="{NS_EXC_C14N}"/>"#),
            &format!(r#"<ds:CanonicalizationMethod Algorithm="{EXC_C14N_WITH_COMMENTS}"/><!--x-->"#),
        );
        let check = check_of(&with, "_a-ec").unwrap();
        assert!(check.message.windows(8).any(|w| w == b"<!--x-->"));
        assert!(!crate::webauthn::testutil::verify(&check.for_key(&key(P256_CERT)).unwrap()));
    }

    #[test]
    fn signature_content_model_is_strict() {
        let object = ASSERTION_ECDSA.replace("</ds:KeyInfo>", "</ds:KeyInfo><ds:Object/>");
        assert!(matches!(
            check_of(&object, "_a-ec"),
            Err(DsigError::UnexpectedContent { element: "ds:Signature", .. })
        ));
        let doc = parse(ASSERTION_ECDSA).unwrap();
        let value = doc.descendants().find(|n| n.has_tag_name((NS_DS, "SignatureValue"))).unwrap();
        let without_value = ASSERTION_ECDSA.replace(&ASSERTION_ECDSA[value.range()], "");
        assert!(matches!(check_of(&without_value, "_a-ec"), Err(DsigError::UnexpectedContent { .. })));
        let text = ASSERTION_ECDSA.replace("<ds:SignedInfo>", "text<ds:SignedInfo>");
        assert_eq!(check_of(&text, "_a-ec").unwrap_err(), DsigError::UnexpectedText { element: "ds:Signature" });
        let hmac = ASSERTION_ECDSA.replace(
            &format!(r#"<ds:SignatureMethod Algorithm="{ECDSA_SHA256}"/>"#),
            &format!(
                r#"<ds:SignatureMethod Algorithm="{ECDSA_SHA256}"><ds:HMACOutputLength>8</ds:HMACOutputLength>{}"#,
                "</ds:SignatureMethod>"
            ),
        );
        assert!(matches!(
            check_of(&hmac, "_a-ec"),
            Err(DsigError::UnexpectedContent { element: "ds:SignatureMethod", .. })
        ));
    }

    #[test]
    fn key_info_is_optional_and_ignored() {
        let doc = parse(ASSERTION_ECDSA).unwrap();
        let key_info = doc.descendants().find(|n| n.has_tag_name((NS_DS, "KeyInfo"))).unwrap();
        let without = ASSERTION_ECDSA.replace(&ASSERTION_ECDSA[key_info.range()], "");
        assert!(verifies(&without, "_a-ec", P256_CERT));
    }

    #[test]
    fn signature_of_finds_at_most_one_direct_child() {
        let doc = parse(RESPONSE_ECDSA).unwrap();
        let assertion = doc.descendants().find(|n| n.has_tag_name((NS_SAML, "Assertion"))).unwrap();
        assert_eq!(signature_of(assertion).unwrap(), None);
        let signature = signature_of(doc.root_element()).unwrap().unwrap();
        let signature_xml = &RESPONSE_ECDSA[signature.range()];
        let twice = RESPONSE_ECDSA.replace(signature_xml, &format!("{signature_xml}{signature_xml}"));
        let doc = parse(&twice).unwrap();
        assert_eq!(signature_of(doc.root_element()).unwrap_err(), DsigError::MultipleSignatures { count: 2 });
    }

    #[test]
    fn a_second_signature_in_the_signed_element_is_refused() {
        let doc = parse(RESPONSE_ECDSA).unwrap();
        let signature_xml = &RESPONSE_ECDSA[signature_of(doc.root_element()).unwrap().unwrap().range()];
        let twice = RESPONSE_ECDSA.replace(signature_xml, &format!("{signature_xml}{signature_xml}"));
        let doc = parse(&twice).unwrap();
        let first = doc.root_element().children().find(|n| n.has_tag_name((NS_DS, "Signature"))).unwrap();
        let result = enveloped(first).map(|v| v.check);
        assert_eq!(result.unwrap_err(), DsigError::MultipleSignatures { count: 2 });
    }

    #[test]
    fn signature_must_be_enveloped_in_an_element_with_an_id() {
        let doc = parse(ASSERTION_ECDSA).unwrap();
        let signature = signature_of(doc.root_element()).unwrap().unwrap();
        let alone = parse(&ASSERTION_ECDSA[signature.range()]).unwrap();
        assert_eq!(enveloped(alone.root_element()).unwrap_err(), DsigError::NotEnveloped);
        let no_id = ASSERTION_ECDSA.replace(r#" ID="_a-ec""#, "");
        let doc = parse(&no_id).unwrap();
        let result = enveloped(signature_of(doc.root_element()).unwrap().unwrap()).map(|v| v.check);
        assert!(matches!(result, Err(DsigError::ParentWithoutId { .. })));
        assert!(matches!(enveloped(doc.root_element()), Err(DsigError::NotASignature { .. })));
    }

    #[test]
    fn malformed_base64_values_are_refused() {
        let check = check_of(ASSERTION_ECDSA, "_a-ec").unwrap();
        let bad = ASSERTION_ECDSA.replace(&STANDARD.encode(&check.signature), "not*base64");
        assert_eq!(check_of(&bad, "_a-ec").unwrap_err(), DsigError::Xml(XmlError::Base64));
    }

    #[test]
    fn errors_display_expected_and_actual() {
        let shown = DsigError::ReferenceUri { expected: "#a".into(), actual: "#b".into() }.to_string();
        assert!(shown.contains("\"#a\"") && shown.contains("\"#b\""), "{shown}");
        let shown = DsigError::DigestMismatch { expected: "AAA=".into(), actual: "BBB=".into() }.to_string();
        assert!(shown.contains("AAA=") && shown.contains("BBB="), "{shown}");
        let shown = DsigError::ReferenceCount { expected: 1, actual: 2 }.to_string();
        assert!(shown.contains('1') && shown.contains('2'), "{shown}");
    }
}
