//! The wire contract: error envelope for malformed requests, discovery documents, headers.

use crate::common::*;
use serde_json::{json, Value};

#[test]
fn unknown_route_and_wrong_method_use_the_envelope() {
    req("GET", "/api/nope").send().expect_error(404, "NotFound");
    let resp = req("PUT", "/api/me/tokens").send();
    resp.expect_error(405, "MethodNotAllowed");
    assert_eq!(resp.header("allow"), Some("GET, POST"));
}

#[test]
fn malformed_bodies_get_precise_codes_never_500() {
    let login = |ct: &str, body: &[u8]| req("POST", "/api/auth/login").raw(ct, body).send();
    login("application/json", b"{not json").expect_error(400, "InvalidJson");
    login("application/json", b"").expect_error(400, "InvalidJson");
    login("text/plain", b"{}").expect_error(415, "UnsupportedMediaType");
    login("application/json", br#"{"email": 5}"#).expect_error(400, "ValidationError");
    login("application/json", br#"{"email": "a@b.test"}"#).expect_error(400, "ValidationError");
    login("application/json", br#"{"email": "not-an-email", "password": "x"}"#).expect_error(400, "ValidationError");
    let big = format!(r#"{{"email": "a@b.test", "password": "{}"}}"#, "x".repeat(70_000));
    login("application/json", big.as_bytes()).expect_error(413, "PayloadTooLarge");
    req("GET", "/api/settings/audit-log?q=%zz").bearer(&admin_pat()).send().expect_error(400, "ValidationError");
}

#[test]
fn every_response_carries_a_request_id() {
    let resp = req("GET", "/api/nope").send();
    assert!(resp.header("x-request-id").is_some_and(|id| !id.is_empty()));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
}

#[test]
fn openapi_is_served_with_version_etag_and_revalidation() {
    let resp = req("GET", "/api/developers/openapi.json").send();
    let served = resp.ok();
    let committed: Value = serde_json::from_str(include_str!("../../api/openapi.json")).unwrap();
    assert_eq!(served, committed, "served document is api/openapi.json");
    let version = resp.header("x-axissynapse-spec-version").expect("version header").to_string();
    assert_eq!(version.len(), 16);
    let etag = resp.header("etag").expect("etag").to_string();
    assert_eq!(etag, format!("\"{version}\""));
    let again = req("GET", "/api/developers/openapi.json").header("if-none-match", &etag).send();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

#[test]
fn event_catalog_lists_what_the_ledger_writes() {
    let catalog = req("GET", "/api/developers/events.json").send().ok();
    let types: Vec<&str> = catalog["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    for action in axissynapse_edge::audit::actions::Action::ALL {
        assert!(types.contains(&action.code()), "{} missing", action.code());
    }
    let login_event =
        catalog["events"].as_array().unwrap().iter().find(|e| e["type"] == "ACCOUNT_SIGNIN_SUCCEEDED").unwrap();
    assert_eq!(login_event["example"]["type"], "ACCOUNT_SIGNIN_SUCCEEDED");
    assert!(login_event["example"]["data"].is_object());
}

#[test]
fn sso_discovery_validates_its_body() {
    req("POST", "/api/auth/sso/discover")
        .json(&json!({"mail": "x@y.test"}))
        .send()
        .expect_error(400, "ValidationError");
}

/// Leaves state for `tests/e2e_after_restart.rs`, which runs after `wrangler dev` restarts.
#[test]
fn persistence_handoff() {
    let s = login(ADMIN);
    let pat = req("POST", "/api/me/tokens").session(&s).json(&json!({"name": "survives restart"})).send().ok();
    let handoff = json!({"cookie": s.cookie, "sid": s.sid, "pat": pat["token"], "patId": pat["id"]});
    std::fs::write(format!("{}/handoff.json", env("AXIS_STATE")), handoff.to_string()).unwrap();
}

/// A panic in wasm restarts the isolate; the isolate id (development only) would change.
#[test]
fn malformed_requests_leave_the_isolate_alive() {
    let isolate = |r: &Resp| r.header("x-axissynapse-isolate").expect("isolate id in development").to_string();
    let before = isolate(&req("GET", "/api/developers/events.json").send());
    let scim = secrets()["scimToken"].as_str().unwrap().to_string();
    let deep = format!("{}userName eq \"x\"{}", "(".repeat(500), ")".repeat(500));
    let hostile = vec![
        req("POST", "/api/auth/login").raw("application/json", b"{\"email\":"),
        req("POST", "/api/auth/login").raw("application/json", &[0xff, 0xfe, b'{', b'}']),
        req("POST", "/api/auth/login").raw("application/json", &vec![b'['; 200_000]),
        req("GET", "/api/settings/audit-log?cursor=%FF%FE%00&limit=-1").bearer(&admin_pat()),
        req("GET", &format!("/api/scim/v2/Users?filter={}", form(&deep))).bearer(&scim),
        req("PATCH", "/api/scim/v2/Users/u_demo_admin")
            .bearer(&scim)
            .raw("application/scim+json", br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq ","value":1}]}"#),
        req("POST", "/api/saml/samlp_nope/acs").raw("application/x-www-form-urlencoded", b"SAMLResponse=%%%"),
        req("POST", "/api/settings/webhooks").bearer(&admin_pat()).raw("application/json", b"{\"name\":[1,2]}"),
        req("GET", "/api/%00/..%2F..%2Fetc%2Fpasswd"),
        req("PUT", "/api/settings/network-policy").bearer(&admin_pat()).raw("application/json", b"{\"mode\":\"\\ud800\"}"),
    ];
    for r in hostile {
        let resp = r.send();
        assert!(resp.status < 500, "{} {}", resp.status, resp.body);
        assert_eq!(isolate(&resp), before, "the isolate restarted while answering: {}", resp.body);
    }
    let after = req("GET", "/api/developers/events.json").send();
    assert_eq!((after.status, isolate(&after)), (200, before));
}

fn form(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
