//! Sign-in, sign-out and SSO discovery: every authentication code reachable over HTTP.

use crate::common::*;
use axissynapse_edge::session::jwe;
use serde_json::json;

#[test]
fn login_sets_authjs_cookie_that_authjs_can_open() {
    let resp = try_login(ADMIN, &password(ADMIN));
    let body = resp.ok();
    assert_eq!(body["user"]["email"], ADMIN);
    assert_eq!(body["user"]["role"], "owner");
    let cookies = resp.set_cookies();
    let session = cookies.iter().find(|c| c.starts_with("authjs.session-token=")).expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(attr), "{attr} missing in {session}");
    }
    assert!(!session.contains("Secure"), "plain http must not set Secure");
    let sid = body["session"]["id"].as_str().expect("sid");
    assert!(cookies.iter().any(|c| c.starts_with(&format!("as_sid={sid};"))), "as_sid mirrors the session id");
    // The cookie is a standard Auth.js JWE under AUTH_SECRET: decode it as Auth.js would.
    let token = session.trim_start_matches("authjs.session-token=").split(';').next().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims =
        jwe::open_session(token, env("AXIS_AUTH_SECRET").as_bytes(), "authjs.session-token", now).expect("opens");
    assert_eq!((claims.sub.as_str(), claims.wid.as_str(), claims.sid.as_str()), ("u_demo_admin", "ws_demo", sid));
    assert!(claims.exp > now + 29 * 86400);
}

#[test]
fn cookie_sealed_by_the_dashboard_is_accepted() {
    // A dashboard using Auth.js with the same AUTH_SECRET re-encodes the token (new iat/jti/IV).
    let s = login(MEMBER);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let secret = env("AXIS_AUTH_SECRET");
    let mut claims = jwe::open_session(&s.token, secret.as_bytes(), "authjs.session-token", now).unwrap();
    claims.jti = "dashboard-reissued".into();
    claims.iat = now;
    let resealed = jwe::seal_session(&claims, secret.as_bytes(), "authjs.session-token", [7; 16]).unwrap();
    let me = req("GET", "/api/me").cookie(&format!("authjs.session-token={resealed}")).send().ok();
    assert_eq!(me["user"]["email"], MEMBER);
    // Sealed under another secret, it is refused.
    let forged =
        jwe::seal_session(&claims, b"another-secret-another-secret-another", "authjs.session-token", [7; 16]).unwrap();
    req("GET", "/api/me").cookie(&format!("authjs.session-token={forged}")).send().expect_error(401, "Unauthorized");
}

#[test]
fn wrong_password_is_invalid_credentials() {
    try_login(MEMBER, "not-the-password").expect_error(401, "INVALID_CREDENTIALS");
}

#[test]
fn unknown_email_is_not_provisioned() {
    try_login("nobody@nowhere.test", "whatever-password").expect_error(401, "NOT_PROVISIONED");
}

#[test]
fn sso_only_workspace_refuses_password_sign_in() {
    try_login("user@sso.test", &password("user@sso.test")).expect_error(401, "SSO_REQUIRED");
}

#[test]
fn suspended_workspace_is_inactive_once_the_password_is_right() {
    try_login("user@suspended.test", "wrong-password-here").expect_error(401, "INVALID_CREDENTIALS");
    try_login("user@suspended.test", &password("user@suspended.test")).expect_error(401, "WORKSPACE_INACTIVE");
}

#[test]
fn disabled_account_is_refused() {
    let email = "disabled@demo.axissynapse.test";
    try_login(email, &password(email)).expect_error(401, "ACCOUNT_DISABLED");
}

#[test]
fn workspace_requiring_mfa_gives_unenrolled_users_an_enrolment_only_session() {
    use axissynapse_edge::stepup::totp;
    const USER: &str = "user@mfa.test";
    let refused = try_login(USER, &password(USER));
    let body = refused.expect_error(401, "MFA_REQUIRED");
    assert_eq!(body["enrolmentSession"], true);
    let cookie = session_cookie(&refused).expect("an enrolment-only session cookie");
    let enrolling = Session { cookie: format!("authjs.session-token={cookie}"), sid: String::new(), token: cookie };
    // It reaches the enrolment routes and nothing else.
    assert_eq!(req("GET", "/api/me").session(&enrolling).send().ok()["user"]["email"], USER);
    for (method, path) in
        [("GET", "/api/me/sessions"), ("GET", "/api/me/tokens"), ("POST", "/api/me/sessions/revoke-others")]
    {
        req(method, path).session(&enrolling).send().expect_error(401, "MFA_REQUIRED");
    }
    let started = req("POST", "/api/me/totp").session(&enrolling).send();
    assert_eq!(started.status, 201, "{}", started.body);
    let secret = totp::base32_decode(started.json()["secret"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let step = now / 30;
    let code = |s: u64| totp::totp(&secret, s * 30, 30, 6, totp::Alg::Sha1);
    req("POST", "/api/me/totp/confirm").session(&enrolling).json(&json!({"code": code(step)})).send().ok();
    // Now sign-in asks for the factor, and the factor gives a full session.
    let challenge = try_login(USER, &password(USER)).ok();
    assert_eq!(challenge["mfaRequired"], true);
    let done = req("POST", "/api/auth/login/mfa")
        .json(&json!({"mfaToken": challenge["mfaToken"], "totp": code(step + 1)}))
        .send();
    req("GET", "/api/me/sessions").session(&session_of(&done)).send().ok();
}

#[test]
fn sso_discovery_reports_policy() {
    let discover = |email: &str| req("POST", "/api/auth/sso/discover").json(&json!({"email": email})).send();
    discover("user@pwonly.test").expect_error(401, "SSO_NOT_ALLOWED");
    discover("user@suspended.test").expect_error(401, "WORKSPACE_INACTIVE");
    discover("ghost@nowhere.test").expect_error(401, "NOT_PROVISIONED");
    let ok = discover("user@sso.test").ok();
    assert_eq!(ok["signInPolicy"], "sso_only");
    assert_eq!(ok["workspaceId"], "ws_sso");
}

#[test]
fn email_in_two_workspaces_needs_the_slug() {
    let email = "shared@multi.test";
    let body = try_login(email, &password(email)).expect_error(400, "ValidationError");
    assert!(body["reason"].as_str().unwrap().contains("workspace"));
    let resp = req("POST", "/api/auth/login")
        .json(&json!({"email": email, "password": password(email), "workspace": "other"}))
        .send();
    assert_eq!(resp.ok()["user"]["id"], "u_shared_other");
}

#[test]
fn five_failures_lock_the_account_even_for_the_right_password() {
    let email = "lockout@demo.axissynapse.test";
    for _ in 0..4 {
        try_login(email, "wrong-password-again").expect_error(401, "INVALID_CREDENTIALS");
    }
    let locked = try_login(email, "wrong-password-again");
    locked.expect_error(429, "ACCOUNT_LOCKED");
    let retry: u64 = locked.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((850..=900).contains(&retry), "retry-after {retry}");
    try_login(email, &password(email)).expect_error(429, "ACCOUNT_LOCKED");
    let audit = req("GET", "/api/settings/audit-log?action=ACCOUNT_LOCKED_OUT&resourceId=u_lockout")
        .bearer(&admin_pat())
        .send()
        .ok();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit["items"][0]["data"]["lockedForSeconds"], 900);
}

#[test]
fn parallel_guesses_cannot_slip_past_the_lockout() {
    let email = "parallel@demo.axissynapse.test";
    let guesses: Vec<_> =
        (0..12).map(|_| std::thread::spawn(move || try_login(email, "parallel-guess-wrong"))).collect();
    let codes: Vec<String> =
        guesses.into_iter().map(|g| g.join().unwrap().json()["code"].as_str().unwrap().to_string()).collect();
    let invalid = codes.iter().filter(|c| *c == "INVALID_CREDENTIALS").count();
    let locked = codes.iter().filter(|c| *c == "ACCOUNT_LOCKED").count();
    assert_eq!((invalid, locked), (4, 8), "{codes:?}");
    try_login(email, &password(email)).expect_error(429, "ACCOUNT_LOCKED");
    let audit = req("GET", "/api/settings/audit-log?action=ACCOUNT_LOCKED_OUT&resourceId=u_parallel")
        .bearer(&admin_pat())
        .send()
        .ok();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "exactly one lockout: {audit}");
}

#[test]
fn logout_revokes_the_session_and_clears_cookies() {
    let s = login("sessions@demo.axissynapse.test");
    let out = req("POST", "/api/auth/logout").session(&s).send();
    assert_eq!(out.ok()["signedOut"], true);
    assert!(out.set_cookies().iter().any(|c| c.starts_with("authjs.session-token=;") && c.contains("Max-Age=0")));
    req("GET", "/api/me").session(&s).send().expect_error(401, "SESSION_REVOKED");
}

#[test]
fn cross_origin_writes_with_a_cookie_are_refused() {
    let s = login(MEMBER);
    let resp = req("POST", "/api/me/sessions/heartbeat").session(&s).header("origin", "https://evil.example").send();
    resp.expect_error(403, "CSRF_CHECK_FAILED");
    let login = req("POST", "/api/auth/login")
        .header("origin", "https://evil.example")
        .json(&json!({"email": MEMBER, "password": password(MEMBER)}))
        .send();
    login.expect_error(403, "CSRF_CHECK_FAILED");
}

#[test]
fn disabling_a_user_kills_their_sessions_and_tokens_at_once() {
    let victim = login("victim@demo.axissynapse.test");
    let pat = req("POST", "/api/me/tokens").session(&victim).json(&json!({"name": "victim laptop"})).send().ok()
        ["token"]
        .as_str()
        .unwrap()
        .to_string();
    req("GET", "/api/me").bearer(&pat).send().ok();
    let admin = login(ADMIN);
    let off =
        req("PATCH", "/api/settings/users/u_victim").session(&admin).json(&json!({"status": "disabled"})).send().ok();
    assert_eq!(off["status"], "disabled");
    req("GET", "/api/me").session(&victim).send().expect_error(401, "SESSION_REVOKED");
    req("GET", "/api/me").bearer(&pat).send().expect_error(401, "ACCOUNT_DISABLED");
    req("PATCH", "/api/settings/users/u_victim").session(&admin).json(&json!({"status": "active"})).send().ok();
    req("GET", "/api/me").bearer(&pat).send().ok();
}

#[test]
fn admins_cannot_edit_themselves_and_members_cannot_edit_anyone() {
    let admin = login(ADMIN);
    req("PATCH", "/api/settings/users/u_demo_admin")
        .session(&admin)
        .json(&json!({"role": "member"}))
        .send()
        .expect_error(403, "Forbidden");
    let member = login(MEMBER);
    req("PATCH", "/api/settings/users/u_victim")
        .session(&member)
        .json(&json!({"role": "admin"}))
        .send()
        .expect_error(403, "Forbidden");
    req("PATCH", "/api/settings/users/u_victim")
        .session(&admin)
        .json(&json!({"role": "root"}))
        .send()
        .expect_error(400, "ValidationError");
}

#[test]
fn workspace_settings_change_is_audited_with_a_diff() {
    // ws_pwonly is used by this test alone: flipping its MFA switch disturbs nobody else.
    let admin = login("user@pwonly.test");
    let before = req("GET", "/api/settings/workspace").session(&admin).send().ok();
    assert_eq!(before["id"], "ws_pwonly");
    let after = req("PATCH", "/api/settings/workspace").session(&admin).json(&json!({"mfaRequired": true})).send().ok();
    assert_eq!(after["mfaRequired"], true);
    let log = req("GET", "/api/settings/audit-log?action=WORKSPACE_SETTINGS_UPDATED").session(&admin).send().ok();
    assert_eq!(log["items"][0]["data"]["after"]["mfaRequired"], true);
    req("PATCH", "/api/settings/workspace").session(&admin).json(&json!({"mfaRequired": false})).send().ok();
    req("PATCH", "/api/settings/workspace")
        .session(&admin)
        .json(&json!({"signInPolicy": "magic"}))
        .send()
        .expect_error(400, "ValidationError");
}
