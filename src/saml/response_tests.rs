//! Host tests of [`super`]: the fixtures of `tests/fixtures/saml/responses/` (see the README
//! there), verified with pure-Rust RSA / P-256 standing in for Web Crypto, and each check's
//! edge cases on a parsed valid Response.

use super::*;
use crate::error::ErrorCode;
use crate::saml::c14n::C14nError;
use crate::webauthn::CoseKey;

const SP: &str = "https://edge.axissynapse.test/api/saml/sp_fixture/metadata";
const ACS: &str = "https://edge.axissynapse.test/api/saml/sp_fixture/acs";
const IDP: &str = "https://idp.example.test/saml";
const REQUEST_ID: &str = "_req_fixture_1";
const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const SKEW_MS: i64 = 60_000;
/// The IdP keys an admin configured: the primary, the rotated and the P-256 one.
const CONFIGURED: [&str; 3] = ["idp-rsa", "idp-rsa-rotated", "idp-ec"];

fn ms(rfc3339: &str) -> i64 {
    crate::time::parse(rfc3339).unwrap()
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/saml/responses/{name}.xml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parsed(name: &str) -> ParsedResponse {
    parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e} ({})", e.code()))
}

fn key(name: &str) -> CoseKey {
    let path = format!("{}/tests/fixtures/saml/keys/{name}.crt.pem", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    crate::webauthn::certificate_public_key(&xml::decode_base64(&body).unwrap()).unwrap()
}

/// Whether `check` verifies under the certificate `key_name`.
fn verifies_with(check: &SignedInfoCheck, key_name: &str) -> bool {
    check.for_key(&key(key_name)).is_some_and(|c| crate::webauthn::testutil::verify(&c))
}

/// What the edge does: every check must verify under one of the configured keys.
fn all_verify(response: &ParsedResponse, keys: &[&str]) -> bool {
    response.checks.iter().all(|(_, check)| keys.iter().any(|k| verifies_with(check, k)))
}

fn expectations() -> Expectations<'static> {
    Expectations {
        sp_entity_id: SP,
        acs_url: ACS,
        idp_entity_id: IDP,
        request_id: Some(REQUEST_ID),
        allow_idp_initiated: false,
        now_ms: ms("2026-06-01T10:01:00Z"),
        skew_ms: SKEW_MS,
        want_assertions_signed: false,
    }
}

/// The whole ACS pipeline; the error is the reason code (`signature_invalid` for a check that
/// no configured key verifies, the edge's own code).
fn accept(name: &str, e: &Expectations<'_>) -> Result<Identity, &'static str> {
    let response = parse(&fixture(name)).map_err(|e| e.code())?;
    if !all_verify(&response, &CONFIGURED) {
        return Err("signature_invalid");
    }
    response.validate(e).map_err(|e| e.code())
}

fn okta_identity() -> Identity {
    Identity {
        name_id: "alice@example.test".into(),
        name_id_format: Some(EMAIL_FORMAT.into()),
        session_index: Some("_session_fixture_1".into()),
        attributes: vec![
            ("email".into(), vec!["alice@example.test".into()]),
            ("givenName".into(), vec!["Alice".into()]),
            ("surname".into(), vec!["Example".into()]),
            ("groups".into(), vec!["Engineering".into(), "Admins".into()]),
        ],
        assertion_id: "id_assert_fixture_1".into(),
        replay_until_ms: ms("2026-06-01T10:05:00Z") + SKEW_MS,
    }
}

const VALID_OKTA: [(&str, bool, bool, &str); 6] = [
    // (fixture, response_signed, assertion_signed, key)
    ("valid-assertion-signed-rsa", false, true, "idp-rsa"),
    ("valid-response-signed-rsa", true, false, "idp-rsa"),
    ("valid-both-signed-rsa", true, true, "idp-rsa"),
    ("valid-assertion-signed-ec", false, true, "idp-ec"),
    ("valid-assertion-signed-rotated", false, true, "idp-rsa-rotated"),
    ("valid-inclusive-namespaces", true, true, "idp-rsa"),
];

#[test]
fn every_valid_fixture_parses_verifies_and_yields_the_identity() {
    for (name, response_signed, assertion_signed, key_name) in VALID_OKTA {
        let response = parsed(name);
        assert_eq!(
            (response.response_signed, response.assertion_signed),
            (response_signed, assertion_signed),
            "{name}"
        );
        let covered: Vec<_> = response.checks.iter().map(|(c, _)| *c).collect();
        let expected: Vec<_> = [(response_signed, Covered::Response), (assertion_signed, Covered::Assertion)]
            .into_iter()
            .filter_map(|(signed, c)| signed.then_some(c))
            .collect();
        assert_eq!(covered, expected, "{name}");
        assert!(response.checks.iter().all(|(_, c)| verifies_with(c, key_name)), "{name} with {key_name}");
        assert_eq!(response.validate(&expectations()), Ok(okta_identity()), "{name}");
        assert_eq!(accept(name, &expectations()), Ok(okta_identity()), "{name}");
    }
}

#[test]
fn parse_extracts_every_field_of_the_okta_fixture() {
    let response = parsed("valid-both-signed-rsa");
    assert_eq!(response.response_id, "id_resp_fixture_1");
    assert_eq!(response.in_response_to.as_deref(), Some(REQUEST_ID));
    assert_eq!(response.destination.as_deref(), Some(ACS));
    assert_eq!(response.issuer.as_deref(), Some(IDP));
    assert_eq!((response.status.as_str(), response.sub_status.as_deref()), (STATUS_SUCCESS, None));
    let a = &response.assertion;
    assert_eq!(
        (a.id.as_str(), a.issuer.as_str(), a.name_id.as_str()),
        ("id_assert_fixture_1", IDP, "alice@example.test")
    );
    assert_eq!(
        a.subject_confirmations,
        [SubjectConfirmation {
            method: CM_BEARER.into(),
            recipient: Some(ACS.into()),
            not_on_or_after_ms: Some(ms("2026-06-01T10:05:00Z")),
            in_response_to: Some(REQUEST_ID.into()),
            not_before_ms: None,
        }]
    );
    assert_eq!(
        (a.not_before_ms, a.not_on_or_after_ms),
        (Some(ms("2026-06-01T09:59:00Z")), Some(ms("2026-06-01T10:05:00Z")))
    );
    assert_eq!(a.audience_restrictions, [vec![SP.to_owned()]]);
    assert!(a.has_authn_statement);
    assert_eq!(a.authn_instant_ms, Some(ms("2026-06-01T10:00:00Z")));
}

#[test]
fn entra_style_default_namespaces_validate() {
    let response = parsed("valid-entra-style");
    assert!(!response.response_signed && response.assertion_signed);
    assert!(all_verify(&response, &["idp-rsa"]));
    let identity = response.validate(&expectations()).unwrap();
    assert_eq!(identity.name_id, "alice@example.test");
    assert_eq!(identity.assertion_id, "_assert-entra-fixture-1");
    assert_eq!(identity.session_index.as_deref(), Some("_assert-entra-fixture-1"));
    // Conditions end at 11:00, the bearer at 10:05: the later one bounds the replay cache.
    assert_eq!(identity.replay_until_ms, ms("2026-06-01T11:00:00Z") + SKEW_MS);
    let email = attribute(&identity, &["email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"]);
    assert_eq!(email, Some("alice@example.test"));
    let groups = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
    assert_eq!(identity.attributes.iter().find(|(n, _)| n == groups).unwrap().1, ["Engineering", "Admins"]);
}

#[test]
fn rotated_key_fixture_verifies_with_the_rotated_cert_only() {
    let response = parsed("valid-assertion-signed-rotated");
    assert!(all_verify(&response, &["idp-rsa-rotated"]));
    assert!(!all_verify(&response, &["idp-rsa"]));
    assert!(!all_verify(&response, &["idp-ec", "attacker"]));
}

#[test]
fn ec_fixture_verifies_with_the_p256_cert_only() {
    let response = parsed("valid-assertion-signed-ec");
    assert!(all_verify(&response, &["idp-ec"]));
    assert!(!all_verify(&response, &["idp-rsa", "idp-rsa-rotated"]));
}

#[test]
fn attacker_signed_verifies_with_no_configured_key() {
    let response = parsed("attacker-signed");
    assert!(!all_verify(&response, &CONFIGURED));
    assert!(all_verify(&response, &["attacker"]), "the fixture itself is a valid signature");
    assert_eq!(accept("attacker-signed", &expectations()), Err("signature_invalid"));
}

#[test]
fn unsolicited_response_accepted_only_when_allowed() {
    let idp_initiated = Expectations { request_id: None, allow_idp_initiated: true, ..expectations() };
    let identity = accept("valid-unsolicited", &idp_initiated).unwrap();
    assert_eq!(identity.name_id, "alice@example.test");
    let refused = Expectations { request_id: None, ..expectations() };
    assert_eq!(
        parsed("valid-unsolicited").validate(&refused),
        Err(SamlError::UnsolicitedRefused { in_response_to: None })
    );
    assert_eq!(
        parsed("valid-unsolicited").validate(&expectations()),
        Err(SamlError::InResponseToMismatch {
            field: "samlp:Response",
            expected: Some(REQUEST_ID.into()),
            actual: None
        })
    );
}

#[test]
fn solicited_response_refused_when_no_request_is_pending() {
    let idp_initiated = Expectations { request_id: None, allow_idp_initiated: true, ..expectations() };
    assert_eq!(
        parsed("valid-assertion-signed-rsa").validate(&idp_initiated),
        Err(SamlError::InResponseToMismatch {
            field: "samlp:Response",
            expected: None,
            actual: Some(REQUEST_ID.into())
        })
    );
    let mut bearer_only = parsed("valid-assertion-signed-rsa");
    bearer_only.in_response_to = None;
    assert_eq!(
        bearer_only.validate(&idp_initiated).unwrap_err(),
        SamlError::InResponseToMismatch {
            field: "SubjectConfirmationData",
            expected: None,
            actual: Some(REQUEST_ID.into())
        }
    );
}

#[test]
fn want_assertions_signed_refuses_a_response_only_signature() {
    let strict = Expectations { want_assertions_signed: true, ..expectations() };
    assert_eq!(parsed("valid-response-signed-rsa").validate(&strict), Err(SamlError::AssertionNotSigned));
    assert!(parsed("valid-both-signed-rsa").validate(&strict).is_ok());
    assert!(parsed("valid-assertion-signed-rsa").validate(&strict).is_ok());
}

// --- hostile fixtures: each refused by the check named in the README ---------------------------

/// Every hostile fixture and the reason code that must refuse it.
const HOSTILE: [(&str, &str); 29] = [
    ("xsw1-response-wrapped-in-signature", "xsw_multiple_assertions"),
    ("xsw2-response-wrapped-before-signature", "xsw_multiple_assertions"),
    ("xsw3-evil-assertion-before-signed", "xsw_multiple_assertions"),
    ("xsw4-signed-assertion-inside-evil", "xsw_multiple_assertions"),
    ("xsw5-modified-signed-copy-original-appended", "xsw_multiple_assertions"),
    ("xsw6-original-inside-signature", "xsw_multiple_assertions"),
    ("xsw7-evil-assertion-in-extensions", "xsw_multiple_assertions"),
    ("xsw8-original-in-signature-object", "xsw_multiple_assertions"),
    ("xsw-response-in-extensions", "xsw_assertion_misplaced"),
    ("signature-in-extensions", "xsw_signature_misplaced"),
    ("signature-reference-elsewhere", "signature_reference_mismatch"),
    ("replaced-assertion-after-signing", "signature_digest_mismatch"),
    ("unsigned", "unsigned"),
    ("signature-stripped", "unsigned"),
    ("tampered-attribute", "signature_digest_mismatch"),
    ("wrong-audience", "audience_mismatch"),
    ("wrong-destination", "destination_mismatch"),
    ("wrong-recipient", "recipient_mismatch"),
    ("wrong-issuer", "assertion_issuer_mismatch"),
    ("wrong-in-response-to", "in_response_to_mismatch"),
    ("expired", "expired"),
    ("not-yet-valid", "not_yet_valid"),
    ("nameid-comment-injection", "xml_mixed_content"),
    ("dtd-billion-laughs", "xml_dtd"),
    ("encrypted-assertion", "encrypted_assertion_unsupported"),
    ("attacker-signed", "signature_invalid"),
    ("sha1-signature", "signature_algorithm_weak"),
    ("two-assertions", "xsw_multiple_assertions"),
    ("status-responder", "status_not_success"),
];

fn refused_with(name: &str) -> &'static str {
    match accept(name, &expectations()) {
        Ok(identity) => panic!("{name} was accepted as {identity:?}"),
        Err(code) => code,
    }
}

#[test]
fn every_hostile_fixture_is_refused_by_its_check() {
    for (name, code) in HOSTILE {
        assert_eq!(refused_with(name), code, "{name}");
    }
}

#[test]
fn every_fixture_file_is_covered_by_a_test() {
    let dir = format!("{}/tests/fixtures/saml/responses", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| entry.unwrap().file_name().to_str()?.strip_suffix(".xml").map(str::to_owned))
        .collect();
    names.sort();
    let mut known: Vec<String> = HOSTILE.iter().map(|(n, _)| (*n).to_owned()).collect();
    known.extend(VALID_OKTA.iter().map(|(n, ..)| (*n).to_owned()));
    known.extend(["valid-entra-style".to_owned(), "valid-unsolicited".to_owned()]);
    known.sort();
    assert_eq!(names, known);
}

#[test]
fn xsw_variants_never_yield_the_evil_name() {
    let classic = |n: &str| n.strip_prefix("xsw").is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    for (name, _) in HOSTILE.iter().filter(|(n, _)| classic(n)) {
        assert!(accept(name, &expectations()).is_err(), "{name}");
        assert!(fixture(name).contains("admin@example.test"), "{name} carries the evil NameID");
    }
}

#[test]
fn xsw3_reports_the_assertion_count() {
    assert_eq!(
        parse(&fixture("xsw3-evil-assertion-before-signed")).unwrap_err(),
        SamlError::MultipleAssertions { count: 2 }
    );
}

#[test]
fn response_wrapped_in_extensions_is_misplaced() {
    assert_eq!(
        parse(&fixture("xsw-response-in-extensions")).unwrap_err(),
        SamlError::AssertionMisplaced { parent: format!("{{{NS_SAMLP}}}Response") }
    );
}

#[test]
fn signature_moved_into_extensions_is_misplaced() {
    assert_eq!(
        parse(&fixture("signature-in-extensions")).unwrap_err(),
        SamlError::SignatureMisplaced { parent: format!("{{{NS_SAMLP}}}Extensions") }
    );
}

#[test]
fn nameid_comment_injection_is_refused_not_truncated() {
    assert_eq!(
        parse(&fixture("nameid-comment-injection")).unwrap_err(),
        SamlError::Xml(XmlError::MixedContent { element: "NameID".into() })
    );
}

#[test]
fn status_responder_reports_the_idp_reason() {
    assert_eq!(
        parse(&fixture("status-responder")).unwrap_err(),
        SamlError::StatusNotSuccess {
            status: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
            sub_status: Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
        }
    );
}

#[test]
fn wrong_in_response_to_reports_expected_and_actual() {
    assert_eq!(
        parsed("wrong-in-response-to").validate(&expectations()),
        Err(SamlError::InResponseToMismatch {
            field: "samlp:Response",
            expected: Some(REQUEST_ID.into()),
            actual: Some("_req_someone_else".into())
        })
    );
}

#[test]
fn expired_and_not_yet_valid_report_the_times() {
    let now_ms = ms("2026-06-01T10:01:00Z");
    assert_eq!(
        parsed("expired").validate(&expectations()),
        Err(SamlError::Expired { not_on_or_after_ms: ms("2026-06-01T09:05:00Z"), now_ms, skew_ms: SKEW_MS })
    );
    assert_eq!(
        parsed("not-yet-valid").validate(&expectations()),
        Err(SamlError::NotYetValid { not_before_ms: ms("2026-06-01T10:29:00Z"), now_ms, skew_ms: SKEW_MS })
    );
}

#[test]
fn wrong_audience_destination_recipient_report_expected_and_actual() {
    assert_eq!(
        parsed("wrong-audience").validate(&expectations()),
        Err(SamlError::AudienceMismatch {
            expected: SP.into(),
            actual: vec!["https://other-sp.example.test/metadata".into()]
        })
    );
    assert_eq!(
        parsed("wrong-destination").validate(&expectations()),
        Err(SamlError::DestinationMismatch { expected: ACS.into(), actual: "https://evil.example.test/acs".into() })
    );
    assert_eq!(
        parsed("wrong-recipient").validate(&expectations()),
        Err(SamlError::RecipientMismatch {
            expected: ACS.into(),
            actual: Some("https://evil.example.test/acs".into())
        })
    );
}

// --- each check's edges, on a parsed valid Response ---------------------------------------------

fn both() -> ParsedResponse {
    parsed("valid-both-signed-rsa")
}

fn at(now: &str) -> Expectations<'static> {
    Expectations { now_ms: ms(now), ..expectations() }
}

#[test]
fn conditions_window_edges_include_the_skew() {
    // NotBefore 09:59:00, NotOnOrAfter 10:05:00, skew 60 s.
    assert!(both().validate(&at("2026-06-01T09:58:00Z")).is_ok());
    assert_eq!(both().validate(&at("2026-06-01T09:57:59.999Z")).unwrap_err().code(), "not_yet_valid");
    let mut response = both();
    response.assertion.subject_confirmations[0].not_on_or_after_ms = Some(ms("2026-06-01T11:00:00Z"));
    assert!(response.validate(&at("2026-06-01T10:05:59.999Z")).is_ok());
    assert_eq!(response.validate(&at("2026-06-01T10:06:00Z")).unwrap_err().code(), "expired");
}

#[test]
fn bearer_window_edges_include_the_skew() {
    let mut response = both();
    response.assertion.not_on_or_after_ms = None;
    assert!(response.validate(&at("2026-06-01T10:05:59.999Z")).is_ok());
    assert_eq!(
        response.validate(&at("2026-06-01T10:06:00Z")),
        Err(SamlError::BearerExpired {
            not_on_or_after_ms: ms("2026-06-01T10:05:00Z"),
            now_ms: ms("2026-06-01T10:06:00Z"),
            skew_ms: SKEW_MS
        })
    );
    response.assertion.subject_confirmations[0].not_before_ms = Some(ms("2026-06-01T10:02:00.001Z"));
    assert_eq!(response.validate(&expectations()).unwrap_err().code(), "subject_confirmation_not_yet_valid");
    response.assertion.subject_confirmations[0].not_before_ms = Some(ms("2026-06-01T10:02:00Z"));
    assert!(response.validate(&expectations()).is_ok());
}

#[test]
fn bearer_confirmation_rules() {
    let mut response = both();
    response.assertion.subject_confirmations[0].method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".into();
    assert_eq!(
        response.validate(&expectations()),
        Err(SamlError::NoBearerConfirmation { methods: vec!["urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".into()] })
    );
    let mut response = both();
    response.assertion.subject_confirmations[0].not_on_or_after_ms = None;
    assert_eq!(response.validate(&expectations()), Err(SamlError::BearerMissingNotOnOrAfter));
    let mut response = both();
    response.assertion.subject_confirmations[0].recipient = None;
    assert_eq!(
        response.validate(&expectations()),
        Err(SamlError::RecipientMismatch { expected: ACS.into(), actual: None })
    );
    // A failing bearer confirmation followed by a good one: the good one is used.
    let good = response.assertion.subject_confirmations[0].clone();
    response.assertion.subject_confirmations.push(SubjectConfirmation { recipient: Some(ACS.into()), ..good });
    assert!(response.validate(&expectations()).is_ok());
}

#[test]
fn audience_rules() {
    let mut response = both();
    response.assertion.audience_restrictions.clear();
    assert_eq!(response.validate(&expectations()), Err(SamlError::AudienceMissing));
    let mut response = both();
    response.assertion.audience_restrictions[0].insert(0, "https://other.example.test".into());
    assert!(response.validate(&expectations()).is_ok(), "one of several audiences is enough");
    response.assertion.audience_restrictions.push(vec!["https://other.example.test".into()]);
    assert_eq!(
        response.validate(&expectations()),
        Err(SamlError::AudienceMismatch { expected: SP.into(), actual: vec!["https://other.example.test".into()] })
    );
}

#[test]
fn destination_and_issuer_rules() {
    let mut response = both();
    response.destination = None;
    assert_eq!(response.validate(&expectations()), Err(SamlError::DestinationMissing { expected: ACS.into() }));
    let mut assertion_only = parsed("valid-assertion-signed-rsa");
    assertion_only.destination = None;
    assert!(assertion_only.validate(&expectations()).is_ok(), "Destination is optional when the Response is unsigned");
    let mut response = both();
    response.issuer = Some("https://other-idp.example.test".into());
    assert_eq!(response.validate(&expectations()).unwrap_err().code(), "issuer_mismatch");
    response.issuer = None;
    assert!(response.validate(&expectations()).is_ok(), "the Response Issuer is optional");
    assert_eq!(parsed("wrong-issuer").validate(&expectations()).unwrap_err().code(), "assertion_issuer_mismatch");
}

#[test]
fn authn_statement_name_id_and_status_rules() {
    let mut response = both();
    response.assertion.has_authn_statement = false;
    assert_eq!(response.validate(&expectations()), Err(SamlError::AuthnStatementMissing));
    let mut response = both();
    response.assertion.name_id.clear();
    assert_eq!(response.validate(&expectations()), Err(SamlError::EmptyNameId));
    let mut response = both();
    response.status = "urn:oasis:names:tc:SAML:2.0:status:Requester".into();
    assert_eq!(response.validate(&expectations()).unwrap_err().code(), "status_not_success");
}

#[test]
fn times_must_be_utc_with_z() {
    let doc = roxmltree::Document::parse(
        r#"<a ok="2026-06-01T10:00:00.123Z" offset="2026-06-01T10:00:00+00:00" lower="2026-06-01T10:00:00z"
              date="2026-06-01" bad="soon"/>"#,
    )
    .unwrap();
    let node = doc.root_element();
    assert_eq!(time_attribute(node, "ok", "f"), Ok(Some(ms("2026-06-01T10:00:00.123Z"))));
    assert_eq!(time_attribute(node, "absent", "f"), Ok(None));
    for name in ["offset", "lower", "date", "bad"] {
        let value = node.attribute(name).unwrap().to_owned();
        assert_eq!(time_attribute(node, name, "f"), Err(SamlError::BadTime { field: "f", value }), "{name}");
    }
}

fn wrap(assertion_body: &str) -> String {
    format!(
        r#"<samlp:Response xmlns:samlp="{NS_SAMLP}" xmlns:saml="{NS_SAML}" ID="r" Version="2.0">{}{}</samlp:Response>"#,
        status_element(),
        format_args!(r#"<saml:Assertion ID="a" Version="2.0">{assertion_body}</saml:Assertion>"#),
    )
}

fn status_element() -> String {
    format!(r#"<samlp:Status><samlp:StatusCode Value="{STATUS_SUCCESS}"/></samlp:Status>"#)
}

#[test]
fn structural_checks_before_signatures() {
    assert_eq!(
        parse(r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#).unwrap_err().code(),
        "not_a_response"
    );
    let v1 = wrap("").replace(r#"ID="r" Version="2.0""#, r#"ID="r" Version="1.1""#);
    assert_eq!(
        parse(&v1).unwrap_err(),
        SamlError::UnsupportedVersion { element: Covered::Response, actual: Some("1.1".into()) }
    );
    let no_id = wrap("").replace(r#"ID="r" "#, "");
    assert_eq!(parse(&no_id).unwrap_err(), SamlError::MissingId { element: Covered::Response });
    let no_status = wrap("").replace(&status_element(), "");
    assert_eq!(
        parse(&no_status).unwrap_err(),
        SamlError::MissingElement { parent: "samlp:Response", element: "samlp:Status" }
    );
    assert_eq!(parse(&wrap("")).unwrap_err(), SamlError::Unsigned);
    let no_assertion = wrap("").replace(r#"<saml:Assertion ID="a" Version="2.0"></saml:Assertion>"#, "");
    assert_eq!(parse(&no_assertion).unwrap_err(), SamlError::NoAssertion);
}

#[test]
fn two_signatures_on_one_element_are_refused() {
    let text = fixture("valid-assertion-signed-rsa");
    let start = text.find("<ds:Signature").unwrap();
    let end = text.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let doubled = format!("{}{}{}", &text[..end], &text[start..end], &text[end..]);
    assert_eq!(parse(&doubled).unwrap_err(), SamlError::DuplicateSignature { element: Covered::Assertion, count: 2 });
}

#[test]
fn attribute_helper_takes_the_first_value_of_the_first_present_name() {
    let identity = okta_identity();
    assert_eq!(attribute(&identity, &["mail", "email"]), Some("alice@example.test"));
    assert_eq!(attribute(&identity, &["groups"]), Some("Engineering"));
    assert_eq!(attribute(&identity, &["missing"]), None);
    let mut empty = okta_identity();
    empty.attributes.insert(0, ("email".into(), vec![]));
    assert_eq!(attribute(&empty, &["email"]), Some("alice@example.test"), "an empty Attribute is skipped");
}

/// One row per check: the pattern of its variant (all in one `match`, with no catch-all, so a
/// new `SamlError`, `XmlError` or `DsigError` variant does not compile until it has a row),
/// an example value, the API code and the `check` the ACS answers with.
macro_rules! every_error {
    ($($pattern:pat => $example:expr, $code:ident, $check:literal;)*) => {
        /// The check of the row whose pattern `e` matches.
        fn row_check(e: &SamlError) -> &'static str {
            match e {
                $($pattern => $check,)*
            }
        }

        /// Every row: an example of each check, with its API code and check name.
        pub(crate) fn every_error() -> Vec<(SamlError, ErrorCode, &'static str)> {
            vec![$(($example, ErrorCode::$code, $check),)*]
        }
    };
}

every_error! {
    SamlError::Xml(XmlError::TooLarge { .. }) =>
        SamlError::Xml(XmlError::TooLarge { limit: 1, actual: 2 }), InvalidSamlResponse, "xml_too_large";
    SamlError::Xml(XmlError::Dtd) => SamlError::Xml(XmlError::Dtd), InvalidSamlResponse, "xml_dtd";
    SamlError::Xml(XmlError::TooManyNodes) =>
        SamlError::Xml(XmlError::TooManyNodes), InvalidSamlResponse, "xml_too_many_nodes";
    SamlError::Xml(XmlError::TooDeep) => SamlError::Xml(XmlError::TooDeep), InvalidSamlResponse, "xml_too_deep";
    SamlError::Xml(XmlError::ReservedPiTarget { .. }) =>
        SamlError::Xml(XmlError::ReservedPiTarget { target: "XML".into() }), InvalidSamlResponse,
        "xml_reserved_pi_target";
    SamlError::Xml(XmlError::Malformed(_)) =>
        SamlError::Xml(XmlError::Malformed("m".into())), InvalidSamlResponse, "xml_malformed";
    SamlError::Xml(XmlError::Base64) => SamlError::Xml(XmlError::Base64), InvalidSamlResponse, "xml_base64";
    SamlError::Xml(XmlError::MixedContent { .. }) =>
        SamlError::Xml(XmlError::MixedContent { element: "e".into() }), InvalidSamlResponse, "xml_mixed_content";
    SamlError::Signature(DsigError::NotASignature { .. }) =>
        SamlError::Signature(DsigError::NotASignature { actual: "x".into() }), SamlSignatureInvalid,
        "signature_not_a_signature";
    SamlError::Signature(DsigError::MultipleSignatures { .. }) =>
        SamlError::Signature(DsigError::MultipleSignatures { count: 2 }), SamlSignatureInvalid, "signature_multiple";
    SamlError::Signature(DsigError::UnexpectedContent { .. }) =>
        SamlError::Signature(DsigError::UnexpectedContent { element: "e", expected: "x", actual: vec![] }),
        SamlSignatureInvalid, "signature_unexpected_content";
    SamlError::Signature(DsigError::UnexpectedText { .. }) =>
        SamlError::Signature(DsigError::UnexpectedText { element: "e" }), SamlSignatureInvalid,
        "signature_unexpected_text";
    SamlError::Signature(DsigError::MissingAttribute { .. }) =>
        SamlError::Signature(DsigError::MissingAttribute { element: "e", attribute: "a" }), SamlSignatureInvalid,
        "signature_missing_attribute";
    SamlError::Signature(DsigError::UnsupportedCanonicalization { .. }) =>
        SamlError::Signature(DsigError::UnsupportedCanonicalization { uri: "u".into() }), SamlSignatureInvalid,
        "signature_canonicalization_unsupported";
    SamlError::Signature(DsigError::WeakAlgorithm { .. }) =>
        SamlError::Signature(DsigError::WeakAlgorithm { uri: "u".into() }), SamlSignatureInvalid,
        "signature_algorithm_weak";
    SamlError::Signature(DsigError::UnsupportedAlgorithm { .. }) =>
        SamlError::Signature(DsigError::UnsupportedAlgorithm { uri: "u".into() }), SamlSignatureInvalid,
        "signature_algorithm_unsupported";
    SamlError::Signature(DsigError::ReferenceCount { .. }) =>
        SamlError::Signature(DsigError::ReferenceCount { expected: 1, actual: 2 }), SamlSignatureInvalid,
        "signature_reference_count";
    SamlError::Signature(DsigError::NotEnveloped) =>
        SamlError::Signature(DsigError::NotEnveloped), SamlSignatureInvalid, "signature_not_enveloped";
    SamlError::Signature(DsigError::ParentWithoutId { .. }) =>
        SamlError::Signature(DsigError::ParentWithoutId { element: "e".into() }), SamlSignatureInvalid,
        "signature_parent_without_id";
    SamlError::Signature(DsigError::ReferenceUri { .. }) =>
        SamlError::Signature(DsigError::ReferenceUri { expected: "E".into(), actual: "A".into() }),
        SamlSignatureInvalid, "signature_reference_mismatch";
    SamlError::Signature(DsigError::DuplicateId { .. }) =>
        SamlError::Signature(DsigError::DuplicateId { id: "i".into() }), SamlSignatureInvalid,
        "signature_duplicate_id";
    SamlError::Signature(DsigError::UnexpectedTransforms { .. }) =>
        SamlError::Signature(DsigError::UnexpectedTransforms { found: vec![] }), SamlSignatureInvalid,
        "signature_transforms_unexpected";
    SamlError::Signature(DsigError::DigestMismatch { .. }) =>
        SamlError::Signature(DsigError::DigestMismatch { expected: "E".into(), actual: "A".into() }),
        SamlSignatureInvalid, "signature_digest_mismatch";
    SamlError::Signature(DsigError::Xml(_)) =>
        SamlError::Signature(DsigError::Xml(XmlError::Base64)), SamlSignatureInvalid, "signature_value_invalid";
    SamlError::Signature(DsigError::C14n(_)) =>
        SamlError::Signature(DsigError::C14n(C14nError::UndeclaredPrefix { prefix: "p".into() })),
        SamlSignatureInvalid, "signature_c14n_failed";
    SamlError::NotAResponse { .. } =>
        SamlError::NotAResponse { actual: "x".into() }, InvalidSamlResponse, "not_a_response";
    SamlError::UnsupportedVersion { .. } =>
        SamlError::UnsupportedVersion { element: Covered::Assertion, actual: None }, InvalidSamlResponse,
        "unsupported_version";
    SamlError::MissingId { .. } =>
        SamlError::MissingId { element: Covered::Response }, InvalidSamlResponse, "missing_id";
    SamlError::MissingElement { .. } =>
        SamlError::MissingElement { parent: "p", element: "e" }, InvalidSamlResponse, "missing_element";
    SamlError::MissingAttribute { .. } =>
        SamlError::MissingAttribute { element: "e", attribute: "a" }, InvalidSamlResponse, "missing_attribute";
    SamlError::BadTime { .. } =>
        SamlError::BadTime { field: "f", value: "v".into() }, InvalidSamlResponse, "bad_time";
    SamlError::EncryptedAssertionUnsupported =>
        SamlError::EncryptedAssertionUnsupported, SamlEncryptedAssertionUnsupported,
        "encrypted_assertion_unsupported";
    SamlError::MultipleAssertions { .. } =>
        SamlError::MultipleAssertions { count: 2 }, InvalidSamlResponse, "xsw_multiple_assertions";
    SamlError::NoAssertion => SamlError::NoAssertion, InvalidSamlResponse, "no_assertion";
    SamlError::AssertionMisplaced { .. } =>
        SamlError::AssertionMisplaced { parent: "p".into() }, InvalidSamlResponse, "xsw_assertion_misplaced";
    SamlError::SignatureMisplaced { .. } =>
        SamlError::SignatureMisplaced { parent: "p".into() }, InvalidSamlResponse, "xsw_signature_misplaced";
    SamlError::DuplicateSignature { .. } =>
        SamlError::DuplicateSignature { element: Covered::Response, count: 2 }, InvalidSamlResponse,
        "xsw_duplicate_signature";
    SamlError::SignedElementMismatch { .. } =>
        SamlError::SignedElementMismatch { element: Covered::Response, expected_id: "a".into(), actual_id: None },
        InvalidSamlResponse, "xsw_signed_element_mismatch";
    SamlError::Unsigned => SamlError::Unsigned, SamlSignatureInvalid, "unsigned";
    SamlError::StatusNotSuccess { .. } =>
        SamlError::StatusNotSuccess { status: "s".into(), sub_status: Some("t".into()) }, SamlStatusNotSuccess,
        "status_not_success";
    SamlError::AssertionNotSigned => SamlError::AssertionNotSigned, SamlSignatureInvalid, "assertion_unsigned";
    SamlError::DestinationMismatch { .. } =>
        SamlError::DestinationMismatch { expected: "E".into(), actual: "A".into() }, SamlDestinationMismatch,
        "destination_mismatch";
    SamlError::DestinationMissing { .. } =>
        SamlError::DestinationMissing { expected: "X".into() }, SamlDestinationMismatch, "destination_missing";
    SamlError::ResponseIssuerMismatch { .. } =>
        SamlError::ResponseIssuerMismatch { expected: "E".into(), actual: "A".into() }, SamlIssuerMismatch,
        "issuer_mismatch";
    SamlError::AssertionIssuerMismatch { .. } =>
        SamlError::AssertionIssuerMismatch { expected: "E".into(), actual: "A".into() }, SamlIssuerMismatch,
        "assertion_issuer_mismatch";
    SamlError::UnsolicitedRefused { .. } =>
        SamlError::UnsolicitedRefused { in_response_to: None }, SamlInResponseToInvalid, "unsolicited_response";
    SamlError::InResponseToMismatch { .. } =>
        SamlError::InResponseToMismatch { field: "f", expected: Some("E".into()), actual: Some("A".into()) },
        SamlInResponseToInvalid, "in_response_to_mismatch";
    SamlError::NoBearerConfirmation { .. } =>
        SamlError::NoBearerConfirmation { methods: vec![] }, InvalidSamlResponse, "no_bearer_confirmation";
    SamlError::RecipientMismatch { .. } =>
        SamlError::RecipientMismatch { expected: "E".into(), actual: Some("A".into()) }, SamlDestinationMismatch,
        "recipient_mismatch";
    SamlError::BearerMissingNotOnOrAfter =>
        SamlError::BearerMissingNotOnOrAfter, InvalidSamlResponse, "subject_confirmation_missing_not_on_or_after";
    SamlError::BearerExpired { .. } =>
        SamlError::BearerExpired { not_on_or_after_ms: 0, now_ms: 1, skew_ms: 0 }, SamlExpired,
        "subject_confirmation_expired";
    SamlError::BearerNotYetValid { .. } =>
        SamlError::BearerNotYetValid { not_before_ms: 1, now_ms: 0, skew_ms: 0 }, SamlExpired,
        "subject_confirmation_not_yet_valid";
    SamlError::NotYetValid { .. } =>
        SamlError::NotYetValid { not_before_ms: 1, now_ms: 0, skew_ms: 0 }, SamlExpired, "not_yet_valid";
    SamlError::Expired { .. } =>
        SamlError::Expired { not_on_or_after_ms: 0, now_ms: 1, skew_ms: 0 }, SamlExpired, "expired";
    SamlError::AudienceMissing => SamlError::AudienceMissing, SamlAudienceMismatch, "no_audience_restriction";
    SamlError::AudienceMismatch { .. } =>
        SamlError::AudienceMismatch { expected: "E".into(), actual: vec!["A".into()] }, SamlAudienceMismatch,
        "audience_mismatch";
    SamlError::AuthnStatementMissing =>
        SamlError::AuthnStatementMissing, InvalidSamlResponse, "authn_statement_missing";
    SamlError::EmptyNameId => SamlError::EmptyNameId, InvalidSamlResponse, "name_id_empty";
}

#[test]
fn every_error_maps_to_its_api_code_and_check() {
    let rows = every_error();
    for (error, code, check) in &rows {
        assert_eq!(row_check(error), *check, "{error:?} is the example of another row");
        assert_eq!((error.error_code(), error.code()), (*code, *check), "{error:?}");
    }
    let checks: std::collections::BTreeSet<_> = rows.iter().map(|(_, _, check)| *check).collect();
    assert_eq!(checks.len(), rows.len(), "each check names one rule");
}

#[test]
fn every_error_has_a_reason_with_expected_and_actual() {
    for (error, _, _) in every_error() {
        let shown = error.to_string();
        assert!(shown.len() > 10, "{error:?}: {shown}");
        if shown.contains("\"E\"") {
            assert!(shown.contains("\"A\""), "{shown}");
        }
    }
    let expired = SamlError::Expired { not_on_or_after_ms: 0, now_ms: 1_000, skew_ms: 0 }.to_string();
    assert!(expired.contains("1970-01-01T00:00:00.000Z") && expired.contains("1970-01-01T00:00:01.000Z"), "{expired}");
}
