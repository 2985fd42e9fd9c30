//! Input rules that hold on every route (issue 15): CSRF proof on every cookie-authenticated
//! write, no control characters in names, labels and emails, one value per query parameter,
//! UTF-8-only JSON, broken JSON always `InvalidJson`, and query-string errors under the SCIM
//! prefix in the RFC 7644 body.

use crate::common::*;
use crate::scim::{expect_scim_error, scim, scim_token};
use serde_json::{json, Value};

const CSRF: &str = "CSRF_CHECK_FAILED";
const EVIL: &str = "https://evil.example";

/// Every documented operation a session cookie may call with a method that writes.
fn cookie_write_routes() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(include_str!("../../api/openapi.json")).unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let takes_cookie =
                op["security"].as_array().is_some_and(|s| s.iter().any(|req| req.get("SessionCookie").is_some()));
            if takes_cookie && ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.replace("{id}", "csrf_x").replace("{providerId}", "csrf_x")));
            }
        }
    }
    routes
}

/// A body that would do something on the three routes the defect report named.
fn body_for(method: &str, path: &str) -> Value {
    match (method, path) {
        ("POST", "/api/me/tokens") => json!({"name": "minted by a forged request"}),
        ("PATCH", "/api/settings/workspace") => json!({"mfaRequired": true}),
        _ => json!({}),
    }
}

fn pat_names(s: &Session) -> Vec<String> {
    let list = req("GET", "/api/me/tokens").session(s).send().ok();
    list["tokens"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_cookie_write_without_a_csrf_proof_is_refused_and_changes_nothing() {
    let s = login(ADMIN);
    let workspace_before = req("GET", "/api/settings/workspace").session(&s).send().ok();
    let routes = cookie_write_routes();
    assert!(routes.len() >= 30, "the matrix covers the documented cookie writes: {routes:?}");
    let forged: [(&str, &[(&str, &str)]); 5] = [
        ("no Origin, no Sec-Fetch-Site", &[]),
        ("Sec-Fetch-Site: none", &[("sec-fetch-site", "none")]),
        ("cross-site", &[("sec-fetch-site", "cross-site"), ("x-axissynapse-request", "1")]),
        ("foreign Origin", &[("origin", EVIL), ("sec-fetch-site", "same-origin")]),
        ("foreign Origin with the custom header", &[("origin", EVIL), ("x-axissynapse-request", "1")]),
    ];
    for (method, path) in &routes {
        for (what, headers) in forged {
            // The bare cookie: no Origin added, as a forged request or a careless server sends it.
            let mut r = req(method, path).cookie(&s.cookie);
            for (k, v) in headers {
                r = r.header(k, v);
            }
            let resp = r.json(&body_for(method, path)).send();
            assert_eq!(resp.status, 403, "{method} {path} ({what}) was not refused: {}", resp.body);
            assert_eq!(resp.json()["code"], CSRF, "{method} {path} ({what}): {}", resp.body);
        }
    }
    assert!(!pat_names(&s).iter().any(|n| n == "minted by a forged request"), "a forged request minted a PAT");
    let workspace_after = req("GET", "/api/settings/workspace").session(&s).send().ok();
    assert_eq!(workspace_before, workspace_after, "a forged request changed the workspace");
    req("GET", "/api/me").session(&s).send().ok(); // the forged logout did not sign the session out
}

#[test]
fn each_csrf_proof_lets_a_cookie_write_through() {
    let s = login(ADMIN);
    let proofs: [(&str, &[(&str, &str)]); 3] = [
        ("same Origin", &[("origin", &base())]),
        ("Sec-Fetch-Site: same-origin", &[("sec-fetch-site", "same-origin")]),
        ("server-side caller", &[("x-axissynapse-request", "1")]),
    ];
    for (what, headers) in proofs {
        let name = format!("csrf proof: {what}");
        let mut r = req("POST", "/api/me/tokens").cookie(&s.cookie);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        let resp = r.json(&json!({"name": name})).send();
        assert_eq!(resp.status, 201, "{what}: {}", resp.body);
        assert!(pat_names(&s).contains(&name), "{what}");
    }
    // Reads need no proof, and bearer tokens are not cookies.
    req("GET", "/api/me").cookie(&s.cookie).send().ok();
    let pat = req("POST", "/api/me/tokens").session(&s).json(&json!({"name": "csrf bearer"})).send().ok();
    let token = pat["token"].as_str().unwrap();
    req("DELETE", &format!("/api/me/tokens/{}", pat["id"].as_str().unwrap())).bearer(token).send().ok();
}

#[test]
fn sign_in_refuses_a_foreign_origin_but_not_a_command_line_client() {
    let login_as = |headers: &[(&str, &str)]| {
        let mut r = req("POST", "/api/auth/login");
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.json(&json!({"email": MEMBER, "password": password(MEMBER)})).send()
    };
    login_as(&[("origin", EVIL)]).expect_error(403, CSRF);
    login_as(&[("sec-fetch-site", "cross-site")]).expect_error(403, CSRF);
    login_as(&[]).ok();
}

/// Issue 15: an invitation for an email containing U+0000 was accepted (201).
#[test]
fn control_characters_are_refused_in_emails_names_and_labels() {
    let s = login(ADMIN);
    for email in ["ctl\u{0}@demo.axissynapse.test", "ctl\u{1b}[31m@demo.axissynapse.test", "ctl\u{7f}@x.test"] {
        let resp = req("POST", "/api/settings/invitations")
            .session(&s)
            .json(&json!({"email": email, "role": "member"}))
            .send();
        let body = resp.expect_error(400, "ValidationError");
        assert!(body["reason"].as_str().unwrap().starts_with("email: control characters"), "{body}");
    }
    let cases = [
        ("/api/me/tokens", json!({"name": "laptop\u{0}"}), "name"),
        ("/api/settings/scim-tokens", json!({"name": "okta\u{8}"}), "name"),
        ("/api/settings/webhooks", json!({"name": "ho\nok", "url": "https://example.com/h"}), "name"),
        ("/api/auth/sso/discover", json!({"email": "a\u{9}b@demo.axissynapse.test"}), "email"),
        ("/api/auth/login", json!({"email": "a\u{0}@demo.axissynapse.test", "password": "x"}), "email"),
        ("/api/auth/invitations/accept", json!({"token": "inv_x", "displayName": "Ada\u{7}"}), "displayName"),
    ];
    for (path, body, field) in cases {
        let resp = req("POST", path).session(&s).json(&body).send();
        let err = resp.expect_error(400, "ValidationError");
        let reason = err["reason"].as_str().unwrap();
        assert!(reason.starts_with(&format!("{field}: control characters")), "{path}: {err}");
    }
    let token = scim_token("control characters");
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ctl\u{0}@scim.test"});
    let resp = scim("POST", "/Users", &token).raw("application/scim+json", user.to_string().as_bytes()).send();
    let err = expect_scim_error(&resp, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    assert!(err["detail"].as_str().unwrap().contains("userName: control characters"), "{err}");
    // Trailing whitespace is still trimmed, not refused.
    req("POST", "/api/me/tokens").session(&s).json(&json!({"name": "  tidy name \n"})).send().ok();
    assert!(pat_names(&s).contains(&"tidy name".to_string()));
}

/// Issue 15: audit-log refused duplicates, export `format` and SCIM `count` took the first.
#[test]
fn a_repeated_query_parameter_is_refused_everywhere() {
    let pat = admin_pat();
    for (path, param) in [
        ("/api/settings/audit-log/export?format=csv&format=ndjson", "format"),
        ("/api/settings/audit-log?limit=1&limit=2", "limit"),
        ("/api/settings/audit-log?unknown=1&unknown=2", "unknown"),
    ] {
        let err = req("GET", path).bearer(&pat).send().expect_error(400, "ValidationError");
        assert_eq!(err["reason"], format!("{param}: given more than once; send it once"), "{path}");
    }
    let token = scim_token("repeated params");
    for query in ["count=1&count=2", "count=1&COUNT=2", "startIndex=1&startindex=5"] {
        let resp = scim("GET", &format!("/Users?{query}"), &token).send();
        let err = expect_scim_error(&resp, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
        assert!(err["detail"].as_str().unwrap().contains("more than once"), "{query}: {err}");
    }
}

/// Issue 15: query strings SCIM can't parse answered the generic envelope, not RFC 7644's.
#[test]
fn malformed_query_strings_under_scim_get_the_scim_error_body() {
    let token = scim_token("query errors");
    let long = format!("/Users?filter={}", "a".repeat(4100));
    for path in ["/Users?filter=%zz", "/Users?filter=%e2%82", long.as_str(), "/Groups?count=%FF"] {
        let resp = scim("GET", path, &token).send();
        expect_scim_error(&resp, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    }
    // Outside SCIM the same problem keeps the generic envelope.
    req("GET", "/api/settings/audit-log?q=%zz").bearer(&admin_pat()).send().expect_error(400, "ValidationError");
}

/// Issue 15: `application/json; charset=utf-16` was accepted.
#[test]
fn json_bodies_in_another_charset_are_415() {
    let body = json!({"email": MEMBER, "password": "x"}).to_string();
    for ct in [
        "application/json; charset=utf-16",
        "application/json;charset=\"ISO-8859-1\"",
        "application/json; charset=utf8",
    ] {
        req("POST", "/api/auth/login").raw(ct, body.as_bytes()).send().expect_error(415, "UnsupportedMediaType");
    }
    let token = scim_token("charset");
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "charset@scim.test"});
    let resp =
        scim("POST", "/Users", &token).raw("application/scim+json; charset=utf-16", user.to_string().as_bytes()).send();
    expect_scim_error(&resp, 415, "UnsupportedMediaType", None);
    let ok = req("POST", "/api/auth/sso/discover").raw("application/json; charset=UTF-8", br#"{"email": "x@y.test"}"#);
    assert_ne!(ok.send().status, 415);
}

/// Issue 15: broken JSON whose first key was unknown answered ValidationError.
#[test]
fn broken_json_is_always_invalid_json() {
    for body in [r#"{"bogus": 1,"#, r#"{"bogus": 1} trailing"#, r#"{"email": 5,,}"#] {
        let resp = req("POST", "/api/auth/login").raw("application/json", body.as_bytes()).send();
        resp.expect_error(400, "InvalidJson");
    }
    let token = scim_token("broken json");
    let resp = scim("POST", "/Users", &token).raw("application/scim+json", br#"{"bogusAttr": 1,"#).send();
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(resp.json()["scimType"], "invalidSyntax");
}
