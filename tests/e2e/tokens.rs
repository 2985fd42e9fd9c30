//! Personal access tokens and SCIM tokens: minted once, stored hashed, revocable, scoped.

use crate::common::*;
use serde_json::json;

fn mint_pat(s: &Session, name: &str) -> serde_json::Value {
    let resp = req("POST", "/api/me/tokens").session(s).json(&json!({"name": name, "expiresInDays": 30})).send();
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()
}

#[test]
fn pat_is_shown_once_listed_without_secret_and_revocable() {
    let s = login(MEMBER);
    let minted = mint_pat(&s, "ci deploys");
    let token = minted["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("pat_"));
    assert!(minted["expiresAt"].is_string());
    let me = req("GET", "/api/me").bearer(&token).send().ok();
    assert_eq!(me["user"]["email"], MEMBER);
    let list = req("GET", "/api/me/tokens").session(&s).send();
    assert!(!list.body.contains(&token) && !list.body.contains("token_hash") && !list.body.contains("\"token\""));
    let row =
        list.json()["tokens"].as_array().unwrap().iter().find(|t| t["id"] == minted["id"]).cloned().expect("listed");
    assert_eq!(row["hint"], format!("…{}", &token[token.len() - 4..]));
    let revoked = req("DELETE", &format!("/api/me/tokens/{}", minted["id"].as_str().unwrap())).session(&s).send().ok();
    assert!(revoked["revokedAt"].is_string());
    req("GET", "/api/me").bearer(&token).send().expect_error(401, "TOKEN_REVOKED");
}

#[test]
fn pat_cannot_mint_pats_and_bad_input_is_rejected() {
    req("POST", "/api/me/tokens")
        .bearer(&admin_pat())
        .json(&json!({"name": "x"}))
        .send()
        .expect_error(401, "Unauthorized");
    let s = login(MEMBER);
    req("POST", "/api/me/tokens").session(&s).json(&json!({"name": ""})).send().expect_error(400, "ValidationError");
    req("POST", "/api/me/tokens")
        .session(&s)
        .json(&json!({"name": "x", "expiresInDays": 0}))
        .send()
        .expect_error(400, "ValidationError");
    req("POST", "/api/me/tokens")
        .session(&s)
        .json(&json!({"name": "x", "scope": "all"}))
        .send()
        .expect_error(400, "ValidationError");
}

#[test]
fn expired_and_malformed_tokens_are_refused() {
    let expired = secrets()["expiredPat"].as_str().unwrap().to_string();
    req("GET", "/api/me").bearer(&expired).send().expect_error(401, "TOKEN_EXPIRED");
    req("GET", "/api/me")
        .bearer("pat_nothex000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .send()
        .expect_error(401, "Unauthorized");
    let mut forged = admin_pat();
    forged.replace_range(forged.len() - 2.., if forged.ends_with("AA") { "BB" } else { "AA" });
    req("GET", "/api/me").bearer(&forged).send().expect_error(401, "Unauthorized");
}

#[test]
fn member_pat_cannot_reach_admin_routes() {
    let s = login(MEMBER);
    let token = mint_pat(&s, "member automation")["token"].as_str().unwrap().to_string();
    for path in
        ["/api/settings/audit-log", "/api/settings/scim-tokens", "/api/settings/users", "/api/settings/workspace"]
    {
        req("GET", path).bearer(&token).send().expect_error(403, "Forbidden");
    }
}

#[test]
fn scim_tokens_are_admin_only_and_not_api_credentials() {
    let admin = login(ADMIN);
    let resp =
        req("POST", "/api/settings/scim-tokens").session(&admin).json(&json!({"name": "Okta provisioning"})).send();
    assert_eq!(resp.status, 201, "{}", resp.body);
    let minted = resp.json();
    let token = minted["token"].as_str().unwrap();
    assert!(token.starts_with("scim_"));
    req("GET", "/api/me").bearer(token).send().expect_error(401, "Unauthorized");
    let list = req("GET", "/api/settings/scim-tokens").bearer(&admin_pat()).send();
    assert!(!list.body.contains(token));
    assert!(list.json()["tokens"].as_array().unwrap().iter().any(|t| t["id"] == minted["id"]));
    let member = login(MEMBER);
    req("POST", "/api/settings/scim-tokens")
        .session(&member)
        .json(&json!({"name": "nope"}))
        .send()
        .expect_error(403, "Forbidden");
    let path = format!("/api/settings/scim-tokens/{}", minted["id"].as_str().unwrap());
    assert!(req("DELETE", &path).session(&admin).send().ok()["revokedAt"].is_string());
    let query =
        format!("/api/settings/audit-log?action=WORKSPACE_SCIM_TOKEN_*&resourceId={}", minted["id"].as_str().unwrap());
    let log = req("GET", &query).session(&admin).send().ok();
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["WORKSPACE_SCIM_TOKEN_REVOKED", "WORKSPACE_SCIM_TOKEN_CREATED"]);
}

#[test]
fn another_workspace_sees_none_of_this_ones_resources() {
    let demo_admin = login(ADMIN);
    let scim = req("POST", "/api/settings/scim-tokens")
        .session(&demo_admin)
        .json(&json!({"name": "isolation probe"}))
        .send()
        .json();
    let pat = mint_pat(&login(MEMBER), "isolation probe");
    let other = login(OTHER_ADMIN);
    let scim_path = format!("/api/settings/scim-tokens/{}", scim["id"].as_str().unwrap());
    req("DELETE", &scim_path).session(&other).send().expect_error(404, "NotFound");
    req("DELETE", &format!("/api/me/tokens/{}", pat["id"].as_str().unwrap()))
        .session(&other)
        .send()
        .expect_error(404, "NotFound");
    req("PATCH", "/api/settings/users/u_demo_member")
        .session(&other)
        .json(&json!({"status": "disabled"}))
        .send()
        .expect_error(404, "NotFound");
    let users = req("GET", "/api/settings/users").session(&other).send().ok();
    assert!(users["users"].as_array().unwrap().iter().all(|u| u["id"].as_str().unwrap().contains("other")), "{users}");
    let tokens = req("GET", "/api/settings/scim-tokens").session(&other).send().ok();
    assert!(tokens["tokens"].as_array().unwrap().iter().all(|t| t["id"] != scim["id"]));
    // The demo member's PAT still works: nothing was revoked from outside.
    req("GET", "/api/me").bearer(pat["token"].as_str().unwrap()).send().ok();
}
