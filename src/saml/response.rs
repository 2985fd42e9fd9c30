//! Web Browser SSO `<samlp:Response>` processing at the SP's assertion consumer service.
//!
//! Specifications: SAML 2.0 Core §3.2.2 (`StatusResponseType`: `ID`, `InResponseTo`,
//! `Destination`, `Issuer`, `Status`), §3.3.3 (`Response`), §2.3–2.7 (`Assertion`: §2.3.3,
//! `Subject`/`NameID` §2.2.3 and §2.4, `SubjectConfirmation` §2.4.1.1–2, `Conditions` §2.5.1 with
//! `AudienceRestriction` §2.5.1.4, `AuthnStatement` §2.7.2, `AttributeStatement` §2.7.3), §1.3.3
//! (times are `xs:dateTime` in UTC with `Z`); Profiles §4.1.4.2–3 (Web Browser SSO response and
//! processing rules: bearer `SubjectConfirmationData` with `Recipient`, `NotOnOrAfter`,
//! `InResponseTo`; `AudienceRestriction`; `AuthnStatement`); Bindings §3.5.5.2 (a signed POST
//! message carries `Destination`).
//!
//! Two phases, because the edge verifies signatures with Web Crypto (asynchronously) and
//! consumes the `InResponseTo` state in between:
//!
//! 1. [`parse`] runs every structural check and extracts everything into an owned
//!    [`ParsedResponse`], with one [`SignedInfoCheck`] per signature. The caller must then verify
//!    **every** entry of [`ParsedResponse::checks`] against one of the IdP's configured keys
//!    ([`SignedInfoCheck::for_key`]) and refuse the response if any fails.
//! 2. [`ParsedResponse::validate`] applies the Profiles §4.1.4.3 rules (status, issuer,
//!    destination, `InResponseTo`, bearer confirmation, time window, audience) and returns the
//!    [`Identity`].
//!
//! # Why the identity read is the signed one (XML Signature Wrapping)
//!
//! Wrapping attacks (Somorovsky et al., "On Breaking SAML", 2012: XSW1–XSW8) keep a validly
//! signed element somewhere in the document while the processor reads an unsigned one
//! elsewhere. They need two candidate elements, or a signature that covers something other than
//! what is read. [`parse`] therefore insists that:
//!
//! - the document has exactly one `saml:Assertion`, anywhere, and it is a direct child of the
//!   root `samlp:Response` (so there is no second copy to confuse "verified" and "read");
//! - a `ds:Signature` appears only as a direct child of the Response or of that Assertion, at
//!   most one each; any other `ds:Signature` anywhere refuses the document;
//! - each present signature is an enveloped signature ([`dsig::enveloped`]) whose reference is
//!   the ID of its own parent (IDs are unique in the document), and whose signed node is
//!   *exactly* (same node id) the Response root or the Assertion;
//! - at least one of the two exists.
//!
//! The identity is read only from that one Assertion, which is then covered either by its own
//! signature or by the Response's (an enveloped signature of the root digests the whole
//! document but itself, the Assertion included). `saml:EncryptedAssertion` is refused: this SP
//! does not decrypt ([`SamlError::EncryptedAssertionUnsupported`]). `NameID` and attribute values
//! are read with [`xml::text`], which refuses comments inside them (exclusive c14n drops
//! comments, so `admin@x.test<!---->.evil.test` would otherwise verify and be read truncated).
//!
//! Deviations from the letter of Profiles §4.1.4.2, on purpose: a bearer
//! `SubjectConfirmationData` `NotBefore` (which the profile says MUST NOT be present) is
//! tolerated but enforced like `Conditions/@NotBefore`; a non-success `Status` is refused
//! already in [`parse`], because IdP error responses carry no Assertion and the IdP's reason is
//! more useful than "no assertion" (that reason is unauthenticated: audit it as reported, never
//! act on it beyond refusing). Not checked here: `IssueInstant` freshness (the Conditions and
//! bearer windows bound acceptance) and replay, which the edge enforces by remembering
//! [`Identity::assertion_id`] until [`Identity::replay_until_ms`].

use std::fmt;

use roxmltree::{Document, Node};

use super::dsig::{self, DsigError, SignedInfoCheck};
use super::xml::{self, XmlError, NS_DS, NS_SAML, NS_SAMLP};
use crate::error::ErrorCode;

/// Core §3.2.2.2: the top-level status code of a successful response.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// Profiles §3.3 / Core §2.4.1.1: the bearer confirmation method.
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Which element a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covered {
    /// The root `samlp:Response` (and so everything in it).
    Response,
    /// The one `saml:Assertion`.
    Assertion,
}

impl fmt::Display for Covered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Covered::Response => "samlp:Response",
            Covered::Assertion => "saml:Assertion",
        })
    }
}

/// One `saml:SubjectConfirmation` (Core §2.4.1.1) and its `SubjectConfirmationData` (§2.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectConfirmation {
    /// `Method`, e.g. [`CM_BEARER`].
    pub method: String,
    /// `SubjectConfirmationData/@Recipient`.
    pub recipient: Option<String>,
    /// `SubjectConfirmationData/@NotOnOrAfter`, Unix ms.
    pub not_on_or_after_ms: Option<i64>,
    /// `SubjectConfirmationData/@InResponseTo`.
    pub in_response_to: Option<String>,
    /// `SubjectConfirmationData/@NotBefore`, Unix ms.
    pub not_before_ms: Option<i64>,
}

/// What is read from the one `saml:Assertion` (Core §2.3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionFields {
    /// `ID`: the key the edge remembers to refuse a replay.
    pub id: String,
    /// `saml:Issuer`, trimmed.
    pub issuer: String,
    /// `Subject/NameID`, trimmed.
    pub name_id: String,
    /// `Subject/NameID/@Format`.
    pub name_id_format: Option<String>,
    /// Every `Subject/SubjectConfirmation`, in order.
    pub subject_confirmations: Vec<SubjectConfirmation>,
    /// `Conditions/@NotBefore`, Unix ms.
    pub not_before_ms: Option<i64>,
    /// `Conditions/@NotOnOrAfter`, Unix ms.
    pub not_on_or_after_ms: Option<i64>,
    /// The `Audience` values of each `Conditions/AudienceRestriction`, one inner list per
    /// restriction (Core §2.5.1.4: the SP must be named in every one).
    pub audience_restrictions: Vec<Vec<String>>,
    /// Whether the assertion has an `AuthnStatement` (Profiles §4.1.4.2 requires one).
    pub has_authn_statement: bool,
    /// First `AuthnStatement/@SessionIndex`.
    pub session_index: Option<String>,
    /// First `AuthnStatement/@AuthnInstant`, Unix ms.
    pub authn_instant_ms: Option<i64>,
    /// `(Name, values)` of every `AttributeStatement/Attribute`, in document order; values
    /// trimmed.
    pub attributes: Vec<(String, Vec<String>)>,
}

/// A Response that passed every structural check of [`parse`], owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedResponse {
    /// `Response/@ID`.
    pub response_id: String,
    /// `Response/@InResponseTo`.
    pub in_response_to: Option<String>,
    /// `Response/@Destination`.
    pub destination: Option<String>,
    /// `Response/Issuer`, trimmed.
    pub issuer: Option<String>,
    /// The top-level `StatusCode/@Value`.
    pub status: String,
    /// The nested second-level `StatusCode/@Value`.
    pub sub_status: Option<String>,
    /// The one Assertion.
    pub assertion: AssertionFields,
    /// The Response carries an enveloped signature.
    pub response_signed: bool,
    /// The Assertion carries an enveloped signature.
    pub assertion_signed: bool,
    /// The signature checks the caller must all verify (at least one).
    pub checks: Vec<(Covered, SignedInfoCheck)>,
}

/// What the SP expects of this Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expectations<'a> {
    /// This SP's entity ID: must be an `Audience` of every `AudienceRestriction`.
    pub sp_entity_id: &'a str,
    /// This SP's ACS URL: `Destination` and bearer `Recipient`.
    pub acs_url: &'a str,
    /// The IdP's entity ID: Response and Assertion `Issuer`.
    pub idp_entity_id: &'a str,
    /// The ID of the AuthnRequest the edge found pending for this Response's `InResponseTo`;
    /// `None` for an unsolicited (IdP-initiated) Response.
    pub request_id: Option<&'a str>,
    /// Accept unsolicited Responses (which then must carry no `InResponseTo`).
    pub allow_idp_initiated: bool,
    /// The current time, Unix ms.
    pub now_ms: i64,
    /// Clock skew tolerated on every time comparison, ms.
    pub skew_ms: i64,
    /// Require the Assertion's own signature (a signed Response alone is not enough).
    pub want_assertions_signed: bool,
}

/// The authenticated subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `NameID`, trimmed, non-empty.
    pub name_id: String,
    /// `NameID/@Format`.
    pub name_id_format: Option<String>,
    /// `AuthnStatement/@SessionIndex`.
    pub session_index: Option<String>,
    /// `(Name, values)` pairs of the attribute statements.
    pub attributes: Vec<(String, Vec<String>)>,
    /// `Assertion/@ID`: remember it until `replay_until_ms` and refuse it if seen again.
    pub assertion_id: String,
    /// The latest instant this assertion could still be accepted: the later of the
    /// Conditions and bearer `NotOnOrAfter`, plus the skew.
    pub replay_until_ms: i64,
}

/// The first value of the first attribute among `names` that is present (attribute mapping,
/// e.g. `&["email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"]`).
pub fn attribute<'a>(identity: &'a Identity, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| {
        identity.attributes.iter().filter(|(n, _)| n == name).find_map(|(_, values)| values.first()).map(String::as_str)
    })
}

/// Every reason a Response is refused: one variant per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlError {
    /// Not bounded, DTD-free, well-formed XML, or a value that must be pure text is not.
    Xml(XmlError),
    /// A signature's structure, reference, transforms or digest is refused.
    Signature(DsigError),
    /// The document element is not `samlp:Response`.
    NotAResponse { actual: String },
    /// `Version` is not `2.0`.
    UnsupportedVersion { element: Covered, actual: Option<String> },
    /// A required `ID` is missing or empty.
    MissingId { element: Covered },
    /// A required element is missing.
    MissingElement { parent: &'static str, element: &'static str },
    /// A required attribute is missing.
    MissingAttribute { element: &'static str, attribute: &'static str },
    /// A time is not an `xs:dateTime` in UTC with `Z` (Core §1.3.3).
    BadTime { field: &'static str, value: String },
    /// The document contains a `saml:EncryptedAssertion`; this SP does not decrypt.
    EncryptedAssertionUnsupported,
    /// More than one `saml:Assertion` in the document (signature wrapping).
    MultipleAssertions { count: usize },
    /// No `saml:Assertion` at all.
    NoAssertion,
    /// The one `saml:Assertion` is not a direct child of the root Response (wrapping).
    AssertionMisplaced { parent: String },
    /// A `ds:Signature` is somewhere other than directly under the Response or Assertion.
    SignatureMisplaced { parent: String },
    /// The Response or the Assertion has more than one `ds:Signature` child.
    DuplicateSignature { element: Covered, count: usize },
    /// A signature's signed node is not the element it sits in.
    SignedElementMismatch { element: Covered, expected_id: String, actual_id: Option<String> },
    /// Neither the Response nor the Assertion is signed.
    Unsigned,
    /// Core §3.2.2.2: the top-level status is not Success.
    StatusNotSuccess { status: String, sub_status: Option<String> },
    /// `want_assertions_signed`, but only the Response is signed.
    AssertionNotSigned,
    /// `Destination` differs from the ACS URL (Core §3.2.2).
    DestinationMismatch { expected: String, actual: String },
    /// A signed Response has no `Destination` (Bindings §3.5.5.2).
    DestinationMissing { expected: String },
    /// `Response/Issuer` differs from the IdP entity ID.
    ResponseIssuerMismatch { expected: String, actual: String },
    /// `Assertion/Issuer` differs from the IdP entity ID.
    AssertionIssuerMismatch { expected: String, actual: String },
    /// An unsolicited Response while IdP-initiated login is disabled.
    UnsolicitedRefused { in_response_to: Option<String> },
    /// `InResponseTo` (`field` says of which element) differs from the request's ID (or is
    /// present on an unsolicited Response).
    InResponseToMismatch { field: &'static str, expected: Option<String>, actual: Option<String> },
    /// No `SubjectConfirmation` with the bearer method.
    NoBearerConfirmation { methods: Vec<String> },
    /// The bearer `Recipient` differs from the ACS URL.
    RecipientMismatch { expected: String, actual: Option<String> },
    /// The bearer `SubjectConfirmationData` has no `NotOnOrAfter`.
    BearerMissingNotOnOrAfter,
    /// The bearer confirmation is past its `NotOnOrAfter` (plus skew).
    BearerExpired { not_on_or_after_ms: i64, now_ms: i64, skew_ms: i64 },
    /// The bearer confirmation is before its `NotBefore` (minus skew).
    BearerNotYetValid { not_before_ms: i64, now_ms: i64, skew_ms: i64 },
    /// `Conditions/@NotBefore` is after now plus skew.
    NotYetValid { not_before_ms: i64, now_ms: i64, skew_ms: i64 },
    /// `Conditions/@NotOnOrAfter` is at or before now minus skew.
    Expired { not_on_or_after_ms: i64, now_ms: i64, skew_ms: i64 },
    /// No `AudienceRestriction` (Profiles §4.1.4.2 requires one naming the SP).
    AudienceMissing,
    /// An `AudienceRestriction` does not name this SP.
    AudienceMismatch { expected: String, actual: Vec<String> },
    /// No `AuthnStatement` (Profiles §4.1.4.2).
    AuthnStatementMissing,
    /// `NameID` is empty or whitespace.
    EmptyNameId,
}

impl From<XmlError> for SamlError {
    fn from(e: XmlError) -> Self {
        SamlError::Xml(e)
    }
}

impl From<DsigError> for SamlError {
    fn from(e: DsigError) -> Self {
        SamlError::Signature(e)
    }
}

impl SamlError {
    /// The stable name of the failed rule: the `check` of the ACS error body and of the
    /// sign-in failure audit row (listed in `api/error-codes.md`).
    pub fn code(&self) -> &'static str {
        match self {
            SamlError::Xml(e) => xml_code(e),
            SamlError::Signature(e) => dsig_code(e),
            SamlError::NotAResponse { .. } => "not_a_response",
            SamlError::UnsupportedVersion { .. } => "unsupported_version",
            SamlError::MissingId { .. } => "missing_id",
            SamlError::MissingElement { .. } => "missing_element",
            SamlError::MissingAttribute { .. } => "missing_attribute",
            SamlError::BadTime { .. } => "bad_time",
            SamlError::EncryptedAssertionUnsupported => "encrypted_assertion_unsupported",
            SamlError::MultipleAssertions { .. } => "xsw_multiple_assertions",
            SamlError::NoAssertion => "no_assertion",
            SamlError::AssertionMisplaced { .. } => "xsw_assertion_misplaced",
            SamlError::SignatureMisplaced { .. } => "xsw_signature_misplaced",
            SamlError::DuplicateSignature { .. } => "xsw_duplicate_signature",
            SamlError::SignedElementMismatch { .. } => "xsw_signed_element_mismatch",
            SamlError::Unsigned => "unsigned",
            SamlError::StatusNotSuccess { .. } => "status_not_success",
            SamlError::AssertionNotSigned => "assertion_unsigned",
            SamlError::DestinationMismatch { .. } => "destination_mismatch",
            SamlError::DestinationMissing { .. } => "destination_missing",
            SamlError::ResponseIssuerMismatch { .. } => "issuer_mismatch",
            SamlError::AssertionIssuerMismatch { .. } => "assertion_issuer_mismatch",
            SamlError::UnsolicitedRefused { .. } => "unsolicited_response",
            SamlError::InResponseToMismatch { .. } => "in_response_to_mismatch",
            SamlError::NoBearerConfirmation { .. } => "no_bearer_confirmation",
            SamlError::RecipientMismatch { .. } => "recipient_mismatch",
            SamlError::BearerMissingNotOnOrAfter => "subject_confirmation_missing_not_on_or_after",
            SamlError::BearerExpired { .. } => "subject_confirmation_expired",
            SamlError::BearerNotYetValid { .. } => "subject_confirmation_not_yet_valid",
            SamlError::NotYetValid { .. } => "not_yet_valid",
            SamlError::Expired { .. } => "expired",
            SamlError::AudienceMissing => "no_audience_restriction",
            SamlError::AudienceMismatch { .. } => "audience_mismatch",
            SamlError::AuthnStatementMissing => "authn_statement_missing",
            SamlError::EmptyNameId => "name_id_empty",
        }
    }

    /// The API error the ACS answers with (its `check` is [`SamlError::code`]): signature,
    /// validity window, audience, destination, request matching, issuer, encryption and the
    /// IdP's status each have their own code; every other structural rule is
    /// `INVALID_SAML_RESPONSE`. Exhaustive with no catch-all, so a new check chooses its code
    /// here (and gets a row in the `check` table of `api/error-codes.md`).
    pub fn error_code(&self) -> ErrorCode {
        match self {
            // Every DsigError is a refused signature (structure, algorithm, reference, digest).
            SamlError::Signature(_) | SamlError::Unsigned | SamlError::AssertionNotSigned => {
                ErrorCode::SamlSignatureInvalid
            }
            SamlError::NotYetValid { .. }
            | SamlError::Expired { .. }
            | SamlError::BearerExpired { .. }
            | SamlError::BearerNotYetValid { .. } => ErrorCode::SamlExpired,
            SamlError::AudienceMissing | SamlError::AudienceMismatch { .. } => ErrorCode::SamlAudienceMismatch,
            SamlError::DestinationMismatch { .. }
            | SamlError::DestinationMissing { .. }
            | SamlError::RecipientMismatch { .. } => ErrorCode::SamlDestinationMismatch,
            SamlError::UnsolicitedRefused { .. } | SamlError::InResponseToMismatch { .. } => {
                ErrorCode::SamlInResponseToInvalid
            }
            SamlError::ResponseIssuerMismatch { .. } | SamlError::AssertionIssuerMismatch { .. } => {
                ErrorCode::SamlIssuerMismatch
            }
            SamlError::EncryptedAssertionUnsupported => ErrorCode::SamlEncryptedAssertionUnsupported,
            SamlError::StatusNotSuccess { .. } => ErrorCode::SamlStatusNotSuccess,
            SamlError::Xml(_)
            | SamlError::NotAResponse { .. }
            | SamlError::UnsupportedVersion { .. }
            | SamlError::MissingId { .. }
            | SamlError::MissingElement { .. }
            | SamlError::MissingAttribute { .. }
            | SamlError::BadTime { .. }
            | SamlError::MultipleAssertions { .. }
            | SamlError::NoAssertion
            | SamlError::AssertionMisplaced { .. }
            | SamlError::SignatureMisplaced { .. }
            | SamlError::DuplicateSignature { .. }
            | SamlError::SignedElementMismatch { .. }
            | SamlError::NoBearerConfirmation { .. }
            | SamlError::BearerMissingNotOnOrAfter
            | SamlError::AuthnStatementMissing
            | SamlError::EmptyNameId => ErrorCode::InvalidSamlResponse,
        }
    }
}

fn xml_code(e: &XmlError) -> &'static str {
    match e {
        XmlError::TooLarge { .. } => "xml_too_large",
        XmlError::Dtd => "xml_dtd",
        XmlError::TooManyNodes => "xml_too_many_nodes",
        XmlError::TooDeep => "xml_too_deep",
        XmlError::ReservedPiTarget { .. } => "xml_reserved_pi_target",
        XmlError::Malformed(_) => "xml_malformed",
        XmlError::Base64 => "xml_base64",
        XmlError::MixedContent { .. } => "xml_mixed_content",
    }
}

fn dsig_code(e: &DsigError) -> &'static str {
    match e {
        DsigError::NotASignature { .. } => "signature_not_a_signature",
        DsigError::MultipleSignatures { .. } => "signature_multiple",
        DsigError::UnexpectedContent { .. } => "signature_unexpected_content",
        DsigError::UnexpectedText { .. } => "signature_unexpected_text",
        DsigError::MissingAttribute { .. } => "signature_missing_attribute",
        DsigError::UnsupportedCanonicalization { .. } => "signature_canonicalization_unsupported",
        DsigError::WeakAlgorithm { .. } => "signature_algorithm_weak",
        DsigError::UnsupportedAlgorithm { .. } => "signature_algorithm_unsupported",
        DsigError::ReferenceCount { .. } => "signature_reference_count",
        DsigError::NotEnveloped => "signature_not_enveloped",
        DsigError::ParentWithoutId { .. } => "signature_parent_without_id",
        DsigError::ReferenceUri { .. } => "signature_reference_mismatch",
        DsigError::DuplicateId { .. } => "signature_duplicate_id",
        DsigError::UnexpectedTransforms { .. } => "signature_transforms_unexpected",
        DsigError::DigestMismatch { .. } => "signature_digest_mismatch",
        DsigError::Xml(_) => "signature_value_invalid",
        DsigError::C14n(_) => "signature_c14n_failed",
    }
}

/// `a time` for messages: the RFC 3339 form of Unix ms.
fn at(ms: i64) -> String {
    crate::time::format_ms(ms)
}

impl fmt::Display for SamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_structure(f)
    }
}

impl SamlError {
    /// The reasons of phase 1 (document structure and signatures).
    fn fmt_structure(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamlError::Xml(e) => write!(f, "SAML Response is not acceptable XML: {e}"),
            SamlError::Signature(e) => write!(f, "SAML signature refused: {e}"),
            SamlError::NotAResponse { actual } => {
                write!(f, "expected samlp:Response as document element, found {actual}")
            }
            SamlError::UnsupportedVersion { element, actual } => {
                write!(f, "expected {element} Version=\"2.0\", found {actual:?}")
            }
            SamlError::MissingId { element } => write!(f, "expected a non-empty ID on {element}, found none"),
            SamlError::MissingElement { parent, element } => write!(f, "expected {element} in {parent}, found none"),
            SamlError::MissingAttribute { element, attribute } => {
                write!(f, "expected attribute {attribute} on {element}, found none")
            }
            SamlError::BadTime { field, value } => {
                write!(f, "expected {field} as xs:dateTime in UTC ending in Z, found {value:?}")
            }
            SamlError::EncryptedAssertionUnsupported => {
                f.write_str("found saml:EncryptedAssertion: this SP does not decrypt, configure the IdP to sign only")
            }
            SamlError::MultipleAssertions { count } => {
                write!(f, "expected exactly one saml:Assertion in the document, found {count} (signature wrapping?)")
            }
            SamlError::NoAssertion => f.write_str("expected one saml:Assertion, found none"),
            SamlError::AssertionMisplaced { parent } => write!(
                f,
                "expected the saml:Assertion as a direct child of the samlp:Response, found it under {parent} \
                 (signature wrapping?)"
            ),
            SamlError::SignatureMisplaced { parent } => write!(
                f,
                "expected ds:Signature only directly under the samlp:Response or saml:Assertion, found one under \
                 {parent} (signature wrapping?)"
            ),
            SamlError::DuplicateSignature { element, count } => {
                write!(f, "expected at most one ds:Signature child of {element}, found {count}")
            }
            SamlError::SignedElementMismatch { element, expected_id, actual_id } => {
                write!(f, "expected the signature in {element} to sign it (ID {expected_id:?}), it signs {actual_id:?}")
            }
            SamlError::Unsigned => {
                f.write_str("expected a signed samlp:Response or saml:Assertion, found no signature")
            }
            other => other.fmt_processing(f),
        }
    }

    /// The reasons of phase 2 (Profiles §4.1.4.3 processing rules).
    fn fmt_processing(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamlError::StatusNotSuccess { status, sub_status } => {
                write!(f, "expected status {STATUS_SUCCESS}, the IdP answered {status}")?;
                match sub_status {
                    Some(sub) => write!(f, " ({sub})"),
                    None => Ok(()),
                }
            }
            SamlError::AssertionNotSigned => {
                f.write_str("expected the saml:Assertion to carry its own signature, only the Response is signed")
            }
            SamlError::DestinationMismatch { expected, actual } => {
                write!(f, "expected Destination {expected:?}, found {actual:?}")
            }
            SamlError::DestinationMissing { expected } => {
                write!(f, "expected Destination {expected:?} on a signed Response, found none")
            }
            SamlError::ResponseIssuerMismatch { expected, actual } => {
                write!(f, "expected Response Issuer {expected:?}, found {actual:?}")
            }
            SamlError::AssertionIssuerMismatch { expected, actual } => {
                write!(f, "expected Assertion Issuer {expected:?}, found {actual:?}")
            }
            SamlError::UnsolicitedRefused { in_response_to } => write!(
                f,
                "expected a Response to a pending AuthnRequest, found an unsolicited one (InResponseTo \
                 {in_response_to:?}) while IdP-initiated login is disabled"
            ),
            SamlError::InResponseToMismatch { field, expected, actual } => {
                write!(f, "expected {field} InResponseTo {expected:?}, found {actual:?}")
            }
            SamlError::NoBearerConfirmation { methods } => {
                write!(f, "expected a SubjectConfirmation with Method {CM_BEARER}, found {methods:?}")
            }
            SamlError::RecipientMismatch { expected, actual } => {
                write!(f, "expected bearer Recipient {expected:?}, found {actual:?}")
            }
            SamlError::BearerMissingNotOnOrAfter => {
                f.write_str("expected NotOnOrAfter on the bearer SubjectConfirmationData, found none")
            }
            SamlError::BearerExpired { not_on_or_after_ms, now_ms, skew_ms } => write!(
                f,
                "bearer confirmation expired: NotOnOrAfter {} is not after now {} minus {skew_ms} ms skew",
                at(*not_on_or_after_ms),
                at(*now_ms)
            ),
            SamlError::BearerNotYetValid { not_before_ms, now_ms, skew_ms } => write!(
                f,
                "bearer confirmation not yet valid: NotBefore {} is after now {} plus {skew_ms} ms skew",
                at(*not_before_ms),
                at(*now_ms)
            ),
            SamlError::NotYetValid { not_before_ms, now_ms, skew_ms } => write!(
                f,
                "assertion not yet valid: Conditions NotBefore {} is after now {} plus {skew_ms} ms skew",
                at(*not_before_ms),
                at(*now_ms)
            ),
            SamlError::Expired { not_on_or_after_ms, now_ms, skew_ms } => write!(
                f,
                "assertion expired: Conditions NotOnOrAfter {} is not after now {} minus {skew_ms} ms skew",
                at(*not_on_or_after_ms),
                at(*now_ms)
            ),
            SamlError::AudienceMissing => {
                f.write_str("expected a Conditions/AudienceRestriction naming this SP, found none")
            }
            SamlError::AudienceMismatch { expected, actual } => {
                write!(f, "expected Audience {expected:?} in every AudienceRestriction, found {actual:?}")
            }
            SamlError::AuthnStatementMissing => f.write_str("expected an AuthnStatement in the assertion, found none"),
            SamlError::EmptyNameId => f.write_str("expected a non-empty NameID, found an empty one"),
            // Every other variant is rendered by `fmt_structure`, which sends only these here.
            other => f.write_str(other.code()),
        }
    }
}

impl std::error::Error for SamlError {}

// ---------------------------------------------------------------------------------------------
// Phase 1: structure, signatures located and digested, fields extracted
// ---------------------------------------------------------------------------------------------

/// Phase 1: parses `text` and runs every structural check (see the module header).
pub fn parse(text: &str) -> Result<ParsedResponse, SamlError> {
    let document = xml::parse(text)?;
    let root = response_root(&document)?;
    let (status, sub_status) = status_codes(root)?;
    if status != STATUS_SUCCESS {
        return Err(SamlError::StatusNotSuccess { status, sub_status });
    }
    refuse_encrypted_assertions(&document)?;
    let assertion = the_assertion(&document, root)?;
    let checks = signature_checks(&document, root, assertion)?;
    Ok(ParsedResponse {
        response_id: required_id(root, Covered::Response)?,
        in_response_to: root.attribute("InResponseTo").map(str::to_owned),
        destination: root.attribute("Destination").map(str::to_owned),
        issuer: xml::child(root, NS_SAML, "Issuer").map(trimmed_text).transpose()?,
        status,
        sub_status,
        assertion: assertion_fields(assertion)?,
        response_signed: checks.iter().any(|(c, _)| *c == Covered::Response),
        assertion_signed: checks.iter().any(|(c, _)| *c == Covered::Assertion),
        checks,
    })
}

/// The root must be a `samlp:Response`, `Version="2.0"`, with an `ID`.
fn response_root<'a, 'i>(document: &'a Document<'i>) -> Result<Node<'a, 'i>, SamlError> {
    let root = document.root_element();
    if !root.has_tag_name((NS_SAMLP, "Response")) {
        return Err(SamlError::NotAResponse { actual: expanded_name(root) });
    }
    check_version(root, Covered::Response)?;
    required_id(root, Covered::Response)?;
    Ok(root)
}

fn check_version(node: Node<'_, '_>, element: Covered) -> Result<(), SamlError> {
    match node.attribute("Version") {
        Some("2.0") => Ok(()),
        other => Err(SamlError::UnsupportedVersion { element, actual: other.map(str::to_owned) }),
    }
}

fn required_id(node: Node<'_, '_>, element: Covered) -> Result<String, SamlError> {
    let id = node.attribute("ID").filter(|id| !id.is_empty());
    id.map(str::to_owned).ok_or(SamlError::MissingId { element })
}

fn expanded_name(node: Node<'_, '_>) -> String {
    match node.tag_name().namespace() {
        Some(ns) => format!("{{{ns}}}{}", node.tag_name().name()),
        None => node.tag_name().name().to_owned(),
    }
}

/// Core §3.2.2.1–2: the top-level `StatusCode/@Value` and the nested one, if any.
fn status_codes(root: Node<'_, '_>) -> Result<(String, Option<String>), SamlError> {
    let status = xml::child(root, NS_SAMLP, "Status")
        .ok_or(SamlError::MissingElement { parent: "samlp:Response", element: "samlp:Status" })?;
    let code = xml::child(status, NS_SAMLP, "StatusCode")
        .ok_or(SamlError::MissingElement { parent: "samlp:Status", element: "samlp:StatusCode" })?;
    let value = code
        .attribute("Value")
        .ok_or(SamlError::MissingAttribute { element: "samlp:StatusCode", attribute: "Value" })?;
    let sub = xml::child(code, NS_SAMLP, "StatusCode").and_then(|s| s.attribute("Value")).map(str::to_owned);
    Ok((value.to_owned(), sub))
}

fn refuse_encrypted_assertions(document: &Document<'_>) -> Result<(), SamlError> {
    match document.descendants().any(|n| n.has_tag_name((NS_SAML, "EncryptedAssertion"))) {
        true => Err(SamlError::EncryptedAssertionUnsupported),
        false => Ok(()),
    }
}

/// The document's only `saml:Assertion`, which must be a direct child of the root.
fn the_assertion<'a, 'i>(document: &'a Document<'i>, root: Node<'a, 'i>) -> Result<Node<'a, 'i>, SamlError> {
    let all: Vec<_> = document.descendants().filter(|n| n.has_tag_name((NS_SAML, "Assertion"))).collect();
    let assertion = match all.as_slice() {
        [] => return Err(SamlError::NoAssertion),
        [one] => *one,
        more => return Err(SamlError::MultipleAssertions { count: more.len() }),
    };
    match assertion.parent_element() {
        Some(parent) if parent.id() == root.id() => Ok(assertion),
        parent => Err(SamlError::AssertionMisplaced { parent: parent.map(expanded_name).unwrap_or_default() }),
    }
}

/// Places, counts and digests the signatures; returns the checks left for the caller.
fn signature_checks(
    document: &Document<'_>,
    root: Node<'_, '_>,
    assertion: Node<'_, '_>,
) -> Result<Vec<(Covered, SignedInfoCheck)>, SamlError> {
    refuse_misplaced_signatures(document, root, assertion)?;
    let mut checks = Vec::new();
    for (covered, element) in [(Covered::Response, root), (Covered::Assertion, assertion)] {
        if let Some(check) = enveloped_check(covered, element)? {
            checks.push((covered, check));
        }
    }
    match checks.is_empty() {
        true => Err(SamlError::Unsigned),
        false => Ok(checks),
    }
}

/// Every `ds:Signature` must be a direct child of the root or the assertion, at most one each.
fn refuse_misplaced_signatures(
    document: &Document<'_>,
    root: Node<'_, '_>,
    assertion: Node<'_, '_>,
) -> Result<(), SamlError> {
    let (mut on_root, mut on_assertion) = (0, 0);
    for signature in document.descendants().filter(|n| n.has_tag_name((NS_DS, "Signature"))) {
        match signature.parent_element() {
            Some(p) if p.id() == root.id() => on_root += 1,
            Some(p) if p.id() == assertion.id() => on_assertion += 1,
            parent => {
                return Err(SamlError::SignatureMisplaced { parent: parent.map(expanded_name).unwrap_or_default() })
            }
        }
    }
    for (element, count) in [(Covered::Response, on_root), (Covered::Assertion, on_assertion)] {
        if count > 1 {
            return Err(SamlError::DuplicateSignature { element, count });
        }
    }
    Ok(())
}

/// Verifies the reference and digest of `element`'s own signature, if it has one, and that
/// the signed node is exactly `element`.
fn enveloped_check(covered: Covered, element: Node<'_, '_>) -> Result<Option<SignedInfoCheck>, SamlError> {
    let Some(signature) = dsig::signature_of(element)? else {
        return Ok(None);
    };
    let verified = dsig::enveloped(signature)?;
    if verified.signed.id() != element.id() {
        return Err(SamlError::SignedElementMismatch {
            element: covered,
            expected_id: element.attribute("ID").unwrap_or_default().to_owned(),
            actual_id: verified.signed.attribute("ID").map(str::to_owned),
        });
    }
    Ok(Some(verified.check))
}

fn trimmed_text(node: Node<'_, '_>) -> Result<String, SamlError> {
    Ok(xml::text(node)?.trim().to_owned())
}

/// An `xs:dateTime` attribute in UTC (Core §1.3.3), as Unix ms.
fn time_attribute(node: Node<'_, '_>, name: &str, field: &'static str) -> Result<Option<i64>, SamlError> {
    let Some(value) = node.attribute(name) else {
        return Ok(None);
    };
    let is_utc = value.ends_with('Z') && value.as_bytes().get(10) == Some(&b'T');
    let parsed = is_utc.then(|| crate::time::parse(value).ok()).flatten();
    parsed.map(Some).ok_or_else(|| SamlError::BadTime { field, value: value.to_owned() })
}

fn required_child<'a, 'i>(
    node: Node<'a, 'i>,
    parent: &'static str,
    name: &'static str,
    element: &'static str,
) -> Result<Node<'a, 'i>, SamlError> {
    xml::child(node, NS_SAML, name).ok_or(SamlError::MissingElement { parent, element })
}

/// Extracts the owned fields of the (already located) Assertion.
fn assertion_fields(assertion: Node<'_, '_>) -> Result<AssertionFields, SamlError> {
    check_version(assertion, Covered::Assertion)?;
    let issuer = required_child(assertion, "saml:Assertion", "Issuer", "saml:Issuer")?;
    let subject = required_child(assertion, "saml:Assertion", "Subject", "saml:Subject")?;
    let name_id = required_child(subject, "saml:Subject", "NameID", "saml:NameID")?;
    let conditions = xml::child(assertion, NS_SAML, "Conditions");
    let authn = xml::child(assertion, NS_SAML, "AuthnStatement");
    Ok(AssertionFields {
        id: required_id(assertion, Covered::Assertion)?,
        issuer: trimmed_text(issuer)?,
        name_id: trimmed_text(name_id)?,
        name_id_format: name_id.attribute("Format").map(str::to_owned),
        subject_confirmations: subject_confirmations(subject)?,
        not_before_ms: conditions
            .map(|c| time_attribute(c, "NotBefore", "Conditions NotBefore"))
            .transpose()?
            .flatten(),
        not_on_or_after_ms: conditions
            .map(|c| time_attribute(c, "NotOnOrAfter", "Conditions NotOnOrAfter"))
            .transpose()?
            .flatten(),
        audience_restrictions: conditions.map(audience_restrictions).transpose()?.unwrap_or_default(),
        has_authn_statement: authn.is_some(),
        session_index: authn.and_then(|a| a.attribute("SessionIndex")).map(str::to_owned),
        authn_instant_ms: authn.map(|a| time_attribute(a, "AuthnInstant", "AuthnInstant")).transpose()?.flatten(),
        attributes: attributes(assertion)?,
    })
}

fn subject_confirmations(subject: Node<'_, '_>) -> Result<Vec<SubjectConfirmation>, SamlError> {
    xml::children(subject, NS_SAML, "SubjectConfirmation").map(subject_confirmation).collect()
}

fn subject_confirmation(node: Node<'_, '_>) -> Result<SubjectConfirmation, SamlError> {
    let method = node
        .attribute("Method")
        .ok_or(SamlError::MissingAttribute { element: "saml:SubjectConfirmation", attribute: "Method" })?;
    let data = xml::child(node, NS_SAML, "SubjectConfirmationData");
    let time = |name, field| data.map(|d| time_attribute(d, name, field)).transpose().map(Option::flatten);
    Ok(SubjectConfirmation {
        method: method.to_owned(),
        recipient: data.and_then(|d| d.attribute("Recipient")).map(str::to_owned),
        not_on_or_after_ms: time("NotOnOrAfter", "SubjectConfirmationData NotOnOrAfter")?,
        in_response_to: data.and_then(|d| d.attribute("InResponseTo")).map(str::to_owned),
        not_before_ms: time("NotBefore", "SubjectConfirmationData NotBefore")?,
    })
}

fn audience_restrictions(conditions: Node<'_, '_>) -> Result<Vec<Vec<String>>, SamlError> {
    xml::children(conditions, NS_SAML, "AudienceRestriction")
        .map(|r| xml::children(r, NS_SAML, "Audience").map(trimmed_text).collect())
        .collect()
}

fn attributes(assertion: Node<'_, '_>) -> Result<Vec<(String, Vec<String>)>, SamlError> {
    xml::children(assertion, NS_SAML, "AttributeStatement")
        .flat_map(|statement| xml::children(statement, NS_SAML, "Attribute"))
        .map(attribute_values)
        .collect()
}

fn attribute_values(attribute: Node<'_, '_>) -> Result<(String, Vec<String>), SamlError> {
    let name = attribute
        .attribute("Name")
        .ok_or(SamlError::MissingAttribute { element: "saml:Attribute", attribute: "Name" })?;
    let values = xml::children(attribute, NS_SAML, "AttributeValue").map(trimmed_text).collect::<Result<_, _>>()?;
    Ok((name.to_owned(), values))
}

// ---------------------------------------------------------------------------------------------
// Phase 2: Profiles §4.1.4.3 processing rules
// ---------------------------------------------------------------------------------------------

impl ParsedResponse {
    /// Phase 2: call only after every entry of [`Self::checks`] verified with an IdP key.
    pub fn validate(&self, e: &Expectations<'_>) -> Result<Identity, SamlError> {
        self.check_status()?;
        self.check_assertion_signed(e)?;
        self.check_destination(e)?;
        self.check_issuers(e)?;
        self.check_in_response_to(e)?;
        check_conditions_window(&self.assertion, e)?;
        check_audience(&self.assertion, e)?;
        let bearer = bearer_confirmation(&self.assertion, e)?;
        if !self.assertion.has_authn_statement {
            return Err(SamlError::AuthnStatementMissing);
        }
        if self.assertion.name_id.is_empty() {
            return Err(SamlError::EmptyNameId);
        }
        Ok(self.identity(bearer, e.skew_ms))
    }

    fn check_status(&self) -> Result<(), SamlError> {
        match self.status == STATUS_SUCCESS {
            true => Ok(()),
            false => {
                Err(SamlError::StatusNotSuccess { status: self.status.clone(), sub_status: self.sub_status.clone() })
            }
        }
    }

    fn check_assertion_signed(&self, e: &Expectations<'_>) -> Result<(), SamlError> {
        match e.want_assertions_signed && !self.assertion_signed {
            true => Err(SamlError::AssertionNotSigned),
            false => Ok(()),
        }
    }

    /// Core §3.2.2 `Destination`; Bindings §3.5.5.2: required on a signed Response.
    fn check_destination(&self, e: &Expectations<'_>) -> Result<(), SamlError> {
        match &self.destination {
            Some(actual) if actual != e.acs_url => {
                Err(SamlError::DestinationMismatch { expected: e.acs_url.to_owned(), actual: actual.clone() })
            }
            None if self.response_signed => Err(SamlError::DestinationMissing { expected: e.acs_url.to_owned() }),
            _ => Ok(()),
        }
    }

    /// Profiles §4.1.4.2: the Issuers name the IdP (the Response's is optional).
    fn check_issuers(&self, e: &Expectations<'_>) -> Result<(), SamlError> {
        if let Some(actual) = self.issuer.as_ref().filter(|i| *i != e.idp_entity_id) {
            return Err(SamlError::ResponseIssuerMismatch {
                expected: e.idp_entity_id.to_owned(),
                actual: actual.clone(),
            });
        }
        match self.assertion.issuer == e.idp_entity_id {
            true => Ok(()),
            false => Err(SamlError::AssertionIssuerMismatch {
                expected: e.idp_entity_id.to_owned(),
                actual: self.assertion.issuer.clone(),
            }),
        }
    }

    /// Profiles §4.1.4.2–3: `InResponseTo` equals the pending request's ID; unsolicited
    /// Responses only when allowed, and then without `InResponseTo`.
    fn check_in_response_to(&self, e: &Expectations<'_>) -> Result<(), SamlError> {
        if e.request_id.is_none() && !e.allow_idp_initiated {
            return Err(SamlError::UnsolicitedRefused { in_response_to: self.in_response_to.clone() });
        }
        same_in_response_to("samlp:Response", e.request_id, self.in_response_to.as_deref())
    }

    fn identity(&self, bearer: &SubjectConfirmation, skew_ms: i64) -> Identity {
        let a = &self.assertion;
        let bearer_until = bearer.not_on_or_after_ms.unwrap_or(i64::MIN);
        let until = a.not_on_or_after_ms.map_or(bearer_until, |c| c.max(bearer_until));
        Identity {
            name_id: a.name_id.clone(),
            name_id_format: a.name_id_format.clone(),
            session_index: a.session_index.clone(),
            attributes: a.attributes.clone(),
            assertion_id: a.id.clone(),
            replay_until_ms: until.saturating_add(skew_ms),
        }
    }
}

fn same_in_response_to(field: &'static str, expected: Option<&str>, actual: Option<&str>) -> Result<(), SamlError> {
    match expected == actual {
        true => Ok(()),
        false => Err(SamlError::InResponseToMismatch {
            field,
            expected: expected.map(str::to_owned),
            actual: actual.map(str::to_owned),
        }),
    }
}

/// Core §2.5.1.2: `NotBefore <= now + skew` and `now - skew < NotOnOrAfter`.
fn check_conditions_window(a: &AssertionFields, e: &Expectations<'_>) -> Result<(), SamlError> {
    let (now_ms, skew_ms) = (e.now_ms, e.skew_ms);
    if let Some(not_before_ms) = a.not_before_ms.filter(|nb| *nb > now_ms.saturating_add(skew_ms)) {
        return Err(SamlError::NotYetValid { not_before_ms, now_ms, skew_ms });
    }
    match a.not_on_or_after_ms.filter(|noa| *noa <= now_ms.saturating_sub(skew_ms)) {
        Some(not_on_or_after_ms) => Err(SamlError::Expired { not_on_or_after_ms, now_ms, skew_ms }),
        None => Ok(()),
    }
}

/// Core §2.5.1.4: the SP must be named in every `AudienceRestriction`; Profiles §4.1.4.2:
/// at least one must exist.
fn check_audience(a: &AssertionFields, e: &Expectations<'_>) -> Result<(), SamlError> {
    if a.audience_restrictions.is_empty() {
        return Err(SamlError::AudienceMissing);
    }
    match a.audience_restrictions.iter().find(|r| !r.iter().any(|aud| aud == e.sp_entity_id)) {
        Some(r) => Err(SamlError::AudienceMismatch { expected: e.sp_entity_id.to_owned(), actual: r.clone() }),
        None => Ok(()),
    }
}

/// Profiles §4.1.4.2: the first bearer confirmation that passes every check; if none does,
/// the error of the first bearer confirmation.
fn bearer_confirmation<'p>(a: &'p AssertionFields, e: &Expectations<'_>) -> Result<&'p SubjectConfirmation, SamlError> {
    let mut first_error = None;
    for confirmation in a.subject_confirmations.iter().filter(|c| c.method == CM_BEARER) {
        match check_bearer(confirmation, e) {
            Ok(()) => return Ok(confirmation),
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| SamlError::NoBearerConfirmation {
        methods: a.subject_confirmations.iter().map(|c| c.method.clone()).collect(),
    }))
}

fn check_bearer(c: &SubjectConfirmation, e: &Expectations<'_>) -> Result<(), SamlError> {
    if c.recipient.as_deref() != Some(e.acs_url) {
        return Err(SamlError::RecipientMismatch { expected: e.acs_url.to_owned(), actual: c.recipient.clone() });
    }
    let (now_ms, skew_ms) = (e.now_ms, e.skew_ms);
    let not_on_or_after_ms = c.not_on_or_after_ms.ok_or(SamlError::BearerMissingNotOnOrAfter)?;
    if not_on_or_after_ms <= now_ms.saturating_sub(skew_ms) {
        return Err(SamlError::BearerExpired { not_on_or_after_ms, now_ms, skew_ms });
    }
    if let Some(not_before_ms) = c.not_before_ms.filter(|nb| *nb > now_ms.saturating_add(skew_ms)) {
        return Err(SamlError::BearerNotYetValid { not_before_ms, now_ms, skew_ms });
    }
    same_in_response_to("SubjectConfirmationData", e.request_id, c.in_response_to.as_deref())
}

#[cfg(test)]
#[path = "response_tests.rs"]
pub(crate) mod tests;
