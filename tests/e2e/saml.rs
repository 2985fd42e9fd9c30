//! SAML SSO end to end: an admin configures an identity provider; a browser-less client
//! follows SP-initiated login; `tests/saml/idp.py` (signxml) plays the IdP, answering the
//! AuthnRequest with a signed Response; the ACS verifies it and sets a working session. An
//! admin's test sign-in runs the same checks and keeps a verdict instead.

use crate::common::*;
use serde_json::{json, Value};

const IDP: &str = "https://idp.example.test/saml";
const KEYS: &str = "tests/fixtures/saml/keys";

fn pem(name: &str) -> String {
    std::fs::read_to_string(format!("{KEYS}/{name}.crt.pem")).expect("fixture certificate")
}

fn python() -> String {
    std::env::var("AXIS_PYTHON").unwrap_or_else(|_| format!("{}/scim-venv/bin/python", env("AXIS_TOOLS")))
}

fn provider(owner: &Session, name: &str, certs: &[&str], extra: Value) -> Value {
    let mut body = json!({"name": name, "idpEntityId": IDP, "ssoUrl": "https://idp.example.test/sso",
                          "certificates": certs.iter().map(|c| pem(c)).collect::<Vec<_>>()});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    req("POST", "/api/settings/saml-providers").session(owner).json(&body).send().ok()
}

/// `SAMLRequest` and `RelayState` from the login page's auto-submitting form.
fn login_form(provider: &str, relay: Option<&str>) -> (String, Option<String>) {
    let path = match relay {
        Some(r) => format!("/api/saml/{provider}/login?relayState={r}"),
        None => format!("/api/saml/{provider}/login"),
    };
    login_form_at(&path)
}

fn login_form_at(path: &str) -> (String, Option<String>) {
    let page = req("GET", path).send();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.header("content-security-policy").unwrap().contains("form-action https://idp.example.test/sso"));
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        page.body.split(&marker).nth(1).map(|rest| rest.split('"').next().unwrap().to_string())
    };
    (field("SAMLRequest").expect("SAMLRequest in the form"), field("RelayState"))
}

/// The IdP's base64 Response to a request, signed with fixture key `key`.
fn idp(request: &str, email: &str, key: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(python())
        .args(["tests/saml/idp.py", request, email, &format!("{KEYS}/{key}.key.pem"), &format!("{KEYS}/{key}.crt.pem")])
        .args(args)
        .output()
        .expect("idp.py runs");
    assert!(out.status.success(), "idp.py: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn acs(provider: &str, response: &str) -> Resp {
    let body = format!("SAMLResponse={}&RelayState=ignored", form_encode(response));
    req("POST", &format!("/api/saml/{provider}/acs")).raw("application/x-www-form-urlencoded", body.as_bytes()).send()
}

/// Login → IdP → ACS for `email`, signed with `key`.
fn sign_in(provider: &str, email: &str, key: &str, args: &[&str]) -> Resp {
    let (request, _) = login_form(provider, Some("/welcome"));
    acs(provider, &idp(&request, email, key, args))
}

#[test]
fn sp_initiated_login_with_a_signed_response_opens_a_working_session() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "Okta", &["idp-rsa"], json!({}));
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["certificates"][0]["keyType"], "RSA");
    let meta = req("GET", &format!("/api/saml/{id}/metadata")).send();
    assert!(meta.header("content-type").unwrap().starts_with("application/samlmetadata+xml"));
    assert!(meta.body.contains(&format!("entityID=\"{}\"", p["spEntityId"].as_str().unwrap())), "{}", meta.body);
    assert!(meta.body.contains(p["acsUrl"].as_str().unwrap()));
    // pysaml2 validates it against the SAML 2.0 metadata schema and loads it as an SP.
    let out = std::process::Command::new(python())
        .args(["tests/saml/check_sp_metadata.py", &format!("{}/api/saml/{id}/metadata", base())])
        .output()
        .expect("check_sp_metadata.py runs");
    assert!(out.status.success(), "pysaml2 refused our metadata: {}", String::from_utf8_lossy(&out.stderr));
    let loaded: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(loaded["entityId"], p["spEntityId"]);
    assert_eq!(loaded["acs"], json!([p["acsUrl"]]));
    assert_eq!(
        (loaded["wantAssertionsSigned"].as_str(), loaded["authnRequestsSigned"].as_str()),
        (Some("false"), Some("false"))
    );

    let discovered = req("POST", "/api/auth/sso/discover").json(&json!({"email": "alice@saml.test"})).send().ok();
    let listed = discovered["providers"].as_array().unwrap().iter().find(|d| d["id"] == id).cloned().expect("listed");
    assert_eq!(listed["loginUrl"], p["loginUrl"]);
    let (request, relay) = login_form(id, Some("/welcome"));
    assert_eq!(relay.as_deref(), Some("/welcome"));
    let response = idp(&request, "alice@saml.test", "idp-rsa", &[]);
    let done = acs(id, &response);
    assert_eq!((done.status, done.header("location")), (303, Some("/welcome")), "{}", done.body);
    let session = session_cookie(&done).expect("session cookie");
    let me = req("GET", "/api/me").cookie(&format!("authjs.session-token={session}")).send().ok();
    assert_eq!(me["user"]["email"], "alice@saml.test", "{me}");
    let signed_in = req("GET", "/api/settings/audit-log?action=ACCOUNT_SIGNIN_SUCCEEDED").session(&owner).send().ok();
    let saml_sign_in = signed_in["items"].as_array().unwrap().iter().find(|e| e["data"]["method"] == "saml").cloned();
    assert_eq!(saml_sign_in.expect("audited")["data"]["groups"], json!(["engineering", "sso-users"]));

    // The same Response again: its request was consumed.
    acs(id, &response).expect_error(400, "SAML_IN_RESPONSE_TO_INVALID");
    // A response signed over the whole Response with the same key works as well.
    assert_eq!(sign_in(id, "alice@saml.test", "idp-rsa", &["--sign", "response"]).status, 303);
    // A second response reusing an accepted assertion ID is a replay.
    let first = sign_in(id, "alice@saml.test", "idp-rsa", &["--assertion-id", "_fixed_assertion_1"]);
    assert_eq!(first.status, 303, "{}", first.body);
    sign_in(id, "alice@saml.test", "idp-rsa", &["--assertion-id", "_fixed_assertion_1"])
        .expect_error(400, "SAML_REPLAYED");
    let failed = req("GET", "/api/settings/audit-log?action=ACCOUNT_SIGNIN_FAILED").session(&owner).send().ok();
    assert!(failed["items"].as_array().unwrap().iter().any(|e| e["data"]["check"] == "replayed"), "{failed}");
}

#[test]
fn the_redirect_binding_sends_a_deflated_request_the_idp_can_answer() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "Redirect IdP", &["idp-rsa"], json!({"ssoBinding": "redirect"}));
    let id = p["id"].as_str().unwrap();
    let sent = req("GET", &format!("/api/saml/{id}/login?relayState=/after")).send();
    assert_eq!(sent.status, 302, "{}", sent.body);
    let location = sent.header("location").unwrap().to_string();
    assert!(location.starts_with("https://idp.example.test/sso?SAMLRequest="), "{location}");
    // What the IdP does (Bindings §3.4.4.1): URL-decode, base64-decode, raw-inflate.
    let inflate = "import base64, sys, urllib.parse, zlib\n\
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)\n\
        xml = zlib.decompress(base64.b64decode(q['SAMLRequest'][0]), -15)\n\
        print(base64.b64encode(xml).decode(), q['RelayState'][0])";
    let out = std::process::Command::new(python()).args(["-c", inflate, &location]).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (request, relay) = text.trim().split_once(' ').unwrap();
    assert_eq!(relay, "/after");
    let done = acs(id, &idp(request, "alice@saml.test", "idp-rsa", &[]));
    assert_eq!((done.status, done.header("location")), (303, Some("/after")), "{}", done.body);
}

#[test]
fn a_rotated_idp_certificate_signs_in_only_when_configured() {
    let owner = login("owner@saml.test");
    let one = provider(&owner, "Rotating one", &["idp-rsa"], json!({}));
    let two = provider(&owner, "Rotating two", &["idp-rsa", "idp-rsa-rotated"], json!({}));
    let ec = provider(&owner, "EC", &["idp-ec"], json!({}));
    sign_in(one["id"].as_str().unwrap(), "alice@saml.test", "idp-rsa-rotated", &[])
        .expect_error(400, "SAML_SIGNATURE_INVALID");
    assert_eq!(sign_in(two["id"].as_str().unwrap(), "alice@saml.test", "idp-rsa-rotated", &[]).status, 303);
    assert_eq!(sign_in(two["id"].as_str().unwrap(), "alice@saml.test", "idp-rsa", &[]).status, 303);
    let ec_id = ec["id"].as_str().unwrap();
    assert_eq!(sign_in(ec_id, "alice@saml.test", "idp-ec", &["--alg", "ecdsa-sha256"]).status, 303);
    sign_in(ec_id, "alice@saml.test", "attacker", &[]).expect_error(400, "SAML_SIGNATURE_INVALID");
}

#[test]
fn acs_refusals_name_the_failed_check() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "Strict", &["idp-rsa"], json!({}));
    let id = p["id"].as_str().unwrap();
    sign_in(id, "alice@saml.test", "idp-rsa", &["--audience", "https://other-sp.test"])
        .expect_error(400, "SAML_AUDIENCE_MISMATCH");
    sign_in(id, "alice@saml.test", "idp-rsa", &["--issuer", "https://evil-idp.test"])
        .expect_error(400, "SAML_ISSUER_MISMATCH");
    sign_in(id, "nobody@saml.test", "idp-rsa", &[]).expect_error(401, "NOT_PROVISIONED");
    sign_in(id, "disabled@saml.test", "idp-rsa", &[]).expect_error(401, "ACCOUNT_DISABLED");
    let garbage = acs(id, "PHNhbWxwOlJlc3BvbnNlLz4=");
    assert_eq!(garbage.status, 400, "{}", garbage.body);
    req("GET", &format!("/api/saml/{id}/login?relayState=//evil.example"))
        .send()
        .expect_error(400, "SAML_RELAY_STATE_INVALID");
    req("GET", &format!("/api/saml/{id}/login?relayState=https://evil.example/"))
        .send()
        .expect_error(400, "SAML_RELAY_STATE_INVALID");
    req("GET", "/api/saml/samlp_nope/metadata").send().expect_error(404, "SAML_NOT_CONFIGURED");
    req("POST", "/api/settings/saml-providers")
        .session(&owner)
        .json(&json!({"name": "Bad", "idpEntityId": IDP, "ssoUrl": "https://idp.example.test/sso", "certificates": ["not a cert"]}))
        .send()
        .expect_error(400, "SAML_CERTIFICATE_INVALID");

    let pw_owner = login("owner@saml-pwonly.test");
    let pw = provider(&pw_owner, "Blocked", &["idp-rsa"], json!({}));
    req("GET", &format!("/api/saml/{}/login", pw["id"].as_str().unwrap())).send().expect_error(401, "SSO_NOT_ALLOWED");
}

#[test]
fn just_in_time_provisioning_creates_the_user_once() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "JIT", &["idp-rsa"], json!({"jitProvisioning": true}));
    let id = p["id"].as_str().unwrap();
    let email = "new.hire@saml.test";
    assert_eq!(sign_in(id, email, "idp-rsa", &["--given", "New", "--family", "Hire"]).status, 303);
    assert_eq!(sign_in(id, email, "idp-rsa", &[]).status, 303);
    let users = req("GET", "/api/settings/users").session(&owner).send().ok();
    let hires: Vec<&Value> = users["users"].as_array().unwrap().iter().filter(|u| u["email"] == email).collect();
    assert_eq!(hires.len(), 1, "{users}");
    assert_eq!(hires[0]["role"], "member");
    let audit = req("GET", "/api/settings/audit-log?action=SAML_USER_PROVISIONED").session(&owner).send().ok();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

#[test]
fn providers_are_admin_only_and_import_idp_metadata() {
    let owner = login("owner@saml.test");
    let metadata = std::fs::read_to_string("tests/fixtures/saml/metadata/okta-idp.xml").expect("metadata fixture");
    let imported = req("POST", "/api/settings/saml-providers")
        .session(&owner)
        .json(&json!({"name": "Imported", "metadataXml": metadata}))
        .send()
        .ok();
    assert!(imported["ssoUrl"].as_str().unwrap().starts_with("https://"), "{imported}");
    assert_eq!(imported["certificates"].as_array().unwrap().len(), 1);
    let id = imported["id"].as_str().unwrap();
    let patched = req("PATCH", &format!("/api/settings/saml-providers/{id}"))
        .session(&owner)
        .json(&json!({"allowedSkewSeconds": 120, "enabled": false}))
        .send()
        .ok();
    assert_eq!((patched["allowedSkewSeconds"].as_i64(), patched["enabled"].as_bool()), (Some(120), Some(false)));
    req("GET", &format!("/api/saml/{id}/login")).send().expect_error(404, "SAML_NOT_CONFIGURED");
    let member = login("alice@saml.test");
    req("GET", "/api/settings/saml-providers").session(&member).send().expect_error(403, "Forbidden");
    let stranger = login(OTHER_ADMIN);
    req("GET", &format!("/api/settings/saml-providers/{id}"))
        .session(&stranger)
        .send()
        .expect_error(404, "SAML_NOT_CONFIGURED");
    req("DELETE", &format!("/api/settings/saml-providers/{id}")).session(&owner).send().ok();
    let audit = req("GET", "/api/settings/audit-log?action=SAML_PROVIDER_*").session(&owner).send().ok();
    assert!(audit["items"].as_array().unwrap().len() >= 3);
}

/// Opens a test sign-in on `provider` as `admin`: the test id and the SAMLRequest its login
/// page posts to the IdP.
fn start_test(admin: &Session, provider: &str) -> (String, String) {
    let started = req("POST", &format!("/api/settings/saml-providers/{provider}/test")).session(admin).send();
    assert_eq!(started.status, 201, "{}", started.body);
    let body = started.json();
    let test_id = body["testId"].as_str().expect("testId").to_string();
    let login_url = body["loginUrl"].as_str().expect("loginUrl");
    let path = &login_url[login_url.find("/api/saml/").expect("a login path")..];
    assert_eq!(path, format!("/api/saml/{provider}/login?test={test_id}"));
    let (request, relay) = login_form_at(path);
    assert_eq!(relay, None, "a test carries no relay state");
    (test_id, request)
}

fn verdict(admin: &Session, provider: &str, test_id: &str) -> Resp {
    req("GET", &format!("/api/settings/saml-providers/{provider}/test?testId={test_id}")).session(admin).send()
}

/// The ACS's answer to a test's Response: the portal-headed page that tells the opener, and
/// no session.
fn assert_test_page(done: &Resp) {
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.header("content-type").unwrap().starts_with("text/html"));
    assert!(done.header("content-security-policy").unwrap().starts_with("default-src 'none'; script-src 'self';"));
    assert!(done.body.contains("/portal/assets/saml-test.js"), "{}", done.body);
    assert_eq!(session_cookie(done), None, "a test sign-in opens no session");
}

#[test]
fn a_test_sign_in_judges_the_response_but_signs_no_one_in() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "Tested JIT", &["idp-rsa"], json!({"jitProvisioning": true, "enabled": false}));
    let id = p["id"].as_str().unwrap();
    let (test_id, request) = start_test(&owner, id);
    let pending = verdict(&owner, id, &test_id).ok();
    assert_eq!((pending["status"].as_str(), &pending["verdict"]), (Some("pending"), &Value::Null));
    // A test starts once.
    req("GET", &format!("/api/saml/{id}/login?test={test_id}")).send().expect_error(404, "NotFound");
    req("GET", &format!("/api/saml/{id}/login?test=samlt_guessed")).send().expect_error(404, "NotFound");
    // The provider is disabled: real sign-ins are still refused.
    req("GET", &format!("/api/saml/{id}/login")).send().expect_error(404, "SAML_NOT_CONFIGURED");

    let email = "tested.hire@saml.test";
    assert_test_page(&acs(id, &idp(&request, email, "idp-rsa", &["--given", "Tess"])));
    // Another workspace's admin cannot read it, and trying does not spend it.
    let stranger = login(OTHER_ADMIN);
    verdict(&stranger, id, &test_id).expect_error(404, "SAML_NOT_CONFIGURED");
    let done = verdict(&owner, id, &test_id).ok();
    assert_eq!(done["status"], "done", "{done}");
    let v = &done["verdict"];
    assert_eq!((v["ok"].as_bool(), v["nameId"].as_str(), v["email"].as_str()), (Some(true), Some(email), Some(email)));
    assert_eq!(v["account"], "would_provision", "{v}");
    assert!(v["attributes"].as_array().unwrap().contains(&json!({"name": "givenName", "values": ["Tess"]})), "{v}");
    // Read once.
    verdict(&owner, id, &test_id).expect_error(404, "NotFound");
    // Nobody was provisioned, and the test is audited with its admin as the actor.
    let users = req("GET", "/api/settings/users").session(&owner).send().ok();
    assert!(!users["users"].as_array().unwrap().iter().any(|u| u["email"] == email), "{users}");
    let audit = req("GET", "/api/settings/audit-log?action=SAML_PROVIDER_TESTED").session(&owner).send().ok();
    let row = audit["items"].as_array().unwrap().iter().find(|e| e["data"]["testId"] == test_id.as_str()).cloned();
    let row = row.expect("audited");
    assert_eq!((row["data"]["ok"].as_bool(), row["actor"]["id"].as_str()), (Some(true), Some("u_saml_owner")), "{row}");

    // An existing user is recognised, and still no session is opened.
    let (test_id, request) = start_test(&owner, id);
    assert_test_page(&acs(id, &idp(&request, "alice@saml.test", "idp-rsa", &[])));
    assert_eq!(verdict(&owner, id, &test_id).ok()["verdict"]["account"], "existing");
}

#[test]
fn a_failed_test_sign_in_names_the_failed_check() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "Tested strict", &["idp-rsa"], json!({}));
    let id = p["id"].as_str().unwrap();
    let cases: &[(&str, &[&str], &str, &str)] = &[
        ("idp-rsa", &["--audience", "https://other-sp.test"], "SAML_AUDIENCE_MISMATCH", "audience_mismatch"),
        ("idp-rsa", &["--issuer", "https://evil-idp.test"], "SAML_ISSUER_MISMATCH", "issuer_mismatch"),
        // Refused before the request is consumed: the test is still found by its request.
        ("attacker", &[], "SAML_SIGNATURE_INVALID", "signature_not_trusted"),
    ];
    for (key, args, code, check) in cases {
        let (test_id, request) = start_test(&owner, id);
        let response = idp(&request, "alice@saml.test", key, args);
        assert_test_page(&acs(id, &response));
        let v = verdict(&owner, id, &test_id).ok()["verdict"].clone();
        assert_eq!(
            (v["ok"].as_bool(), v["code"].as_str(), v["check"].as_str()),
            (Some(false), Some(*code), Some(*check)),
            "{v}"
        );
        assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
        // The Response cannot be used again, as a test or to sign in.
        let again = acs(id, &response);
        assert_eq!((again.status, session_cookie(&again)), (400, None), "{}", again.body);
    }
    let audit = req("GET", "/api/settings/audit-log?action=SAML_PROVIDER_TESTED").session(&owner).send().ok();
    let checks: Vec<&Value> = audit["items"].as_array().unwrap().iter().map(|e| &e["data"]["check"]).collect();
    assert!(
        checks.contains(&&json!("audience_mismatch")) && checks.contains(&&json!("signature_not_trusted")),
        "{audit}"
    );
    // Members and other workspaces cannot start one.
    let member = login("alice@saml.test");
    req("POST", &format!("/api/settings/saml-providers/{id}/test"))
        .session(&member)
        .send()
        .expect_error(403, "Forbidden");
    let stranger = login(OTHER_ADMIN);
    req("POST", &format!("/api/settings/saml-providers/{id}/test"))
        .session(&stranger)
        .send()
        .expect_error(404, "SAML_NOT_CONFIGURED");
}

#[test]
fn certificates_show_their_subject_and_validity() {
    let owner = login("owner@saml.test");
    let p = provider(&owner, "Certificates", &["idp-rsa", "idp-ec"], json!({}));
    let certs = p["certificates"].as_array().unwrap();
    assert_eq!(certs[0]["subject"], "CN=idp.example.test signing, O=AxisSynapse test fixtures, C=US");
    assert_eq!(certs[1]["subject"], "CN=idp.example.test signing (P-256), O=AxisSynapse test fixtures, C=US");
    assert_eq!(certs[0]["notBefore"], "2026-01-01T00:00:00.000Z");
    assert_eq!(certs[0]["notAfter"], "2036-01-01T00:00:00.000Z");
    let days = certs[0]["daysLeft"].as_i64().unwrap();
    assert!((3000..3700).contains(&days), "{days}");
    assert_eq!(certs[0]["expired"], false);
    // A rotation sends the list back: the old one removed by its `der`.
    let id = p["id"].as_str().unwrap();
    let path = format!("/api/settings/saml-providers/{id}");
    let rotated = req("PATCH", &path).session(&owner).json(&json!({"certificates": [certs[1]["der"]]})).send().ok();
    assert_eq!(rotated["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(rotated["certificates"][0]["sha256"], certs[1]["sha256"]);
    // Refusals name the field.
    let bad = req("PATCH", &path).session(&owner).json(&json!({"metadataXml": "<nope/>"})).send();
    assert_eq!(bad.expect_error(400, "SAML_METADATA_INVALID")["field"], "metadataXml");
    let bad = req("PATCH", &path).session(&owner).json(&json!({"certificates": ["not a cert"]})).send();
    assert_eq!(bad.expect_error(400, "SAML_CERTIFICATE_INVALID")["field"], "certificates");
}
