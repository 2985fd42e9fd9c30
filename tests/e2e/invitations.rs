//! Invitations (admin invites, invitee accepts and is signed in) and password change.

use crate::common::*;
use serde_json::json;

fn invite(admin: &Session, email: &str, role: &str) -> serde_json::Value {
    let resp =
        req("POST", "/api/settings/invitations").session(admin).json(&json!({"email": email, "role": role})).send();
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()
}

fn accept(body: serde_json::Value) -> Resp {
    req("POST", "/api/auth/invitations/accept").json(&body).send()
}

#[test]
fn invited_person_joins_with_the_role_and_is_signed_in() {
    let admin = login(ADMIN);
    let email = format!("new.hire.{}@demo.axissynapse.test", std::process::id());
    let inv = invite(&admin, &email, "admin");
    let token = inv["token"].as_str().unwrap();
    assert!(token.starts_with("inv_"));
    let listed = req("GET", "/api/settings/invitations").session(&admin).send();
    assert!(listed.json()["invitations"].as_array().unwrap().iter().any(|i| i["id"] == inv["id"]));
    assert!(!listed.body.contains(token), "tokens are never listed");
    accept(json!({"token": token, "password": "short"})).expect_error(400, "WEAK_PASSWORD");
    let joined = accept(json!({"token": token, "password": "a long enough passphrase", "displayName": "New Hire"}));
    assert_eq!(joined.status, 201, "{}", joined.body);
    assert_eq!(joined.json()["user"]["role"], "admin");
    assert_eq!(joined.json()["user"]["provisionedBy"], "invitation");
    assert!(joined.set_cookies().iter().any(|c| c.starts_with("authjs.session-token=ey")));
    accept(json!({"token": token, "password": "a long enough passphrase"})).expect_error(404, "NotFound");
    let again = try_login(&email, "a long enough passphrase").ok();
    assert_eq!(again["user"]["email"], email);
    let log = req("GET", "/api/settings/audit-log?action=WORKSPACE_USER_INVITED,WORKSPACE_USER_JOINED")
        .session(&admin)
        .send()
        .ok();
    let ours: Vec<_> =
        log["items"].as_array().unwrap().iter().filter(|i| i["data"]["invitationId"] == inv["id"]).collect();
    assert_eq!(ours.len(), 2, "{log}");
}

#[test]
fn invitations_are_admin_only_and_refuse_existing_members() {
    let member = login(MEMBER);
    req("POST", "/api/settings/invitations")
        .session(&member)
        .json(&json!({"email": "x@y.test", "role": "member"}))
        .send()
        .expect_error(403, "Forbidden");
    let admin = login(ADMIN);
    req("POST", "/api/settings/invitations")
        .session(&admin)
        .json(&json!({"email": MEMBER, "role": "member"}))
        .send()
        .expect_error(409, "Conflict");
    req("POST", "/api/settings/invitations")
        .session(&admin)
        .json(&json!({"email": "x@y.test", "role": "owner"}))
        .send()
        .expect_error(400, "ValidationError");
    let inv = invite(&admin, "withdrawn@demo.axissynapse.test", "member");
    let path = format!("/api/settings/invitations/{}", inv["id"].as_str().unwrap());
    req("DELETE", &path).session(&login(OTHER_ADMIN)).send().expect_error(404, "NotFound");
    req("DELETE", &path).session(&admin).send().ok();
    accept(json!({"token": inv["token"], "password": "a long enough passphrase"})).expect_error(404, "NotFound");
}

#[test]
fn sso_only_workspace_invitee_joins_without_a_password() {
    let token = secrets()["ssoInvitation"].as_str().unwrap().to_string();
    accept(json!({"token": token, "password": "a long enough passphrase"})).expect_error(401, "SSO_REQUIRED");
    let joined = accept(json!({"token": token}));
    assert_eq!(joined.status, 201, "{}", joined.body);
    assert_eq!(joined.json()["signIn"], "sso");
    assert!(joined.set_cookies().is_empty());
}

#[test]
fn password_change_needs_the_current_one_and_ends_other_sessions() {
    const USER: &str = "pwchange@demo.axissynapse.test";
    let here = login(USER);
    let elsewhere = login(USER);
    let change = |current: &str, new: &str| {
        req("POST", "/api/me/password")
            .session(&here)
            .json(&json!({"currentPassword": current, "newPassword": new}))
            .send()
    };
    change("wrong-current-password", "a brand new passphrase").expect_error(401, "INVALID_CREDENTIALS");
    change(&password(USER), "tiny").expect_error(400, "WEAK_PASSWORD");
    let done = change(&password(USER), "a brand new passphrase").ok();
    assert_eq!(done["revokedSessions"], json!([elsewhere.sid]));
    req("GET", "/api/me").session(&elsewhere).send().expect_error(401, "SESSION_REVOKED");
    req("GET", "/api/me").session(&here).send().ok();
    try_login(USER, &password(USER)).expect_error(401, "INVALID_CREDENTIALS");
    try_login(USER, "a brand new passphrase").ok();
}
