//! Sessions: list with `current`, revoke (immediate, global), heartbeat, revoke-others.

use crate::common::*;
use axissynapse_edge::session::jwe;
use serde_json::Value;

const USER: &str = "sessions@demo.axissynapse.test";

fn sessions(s: &Session) -> Vec<Value> {
    req("GET", "/api/me/sessions").session(s).send().ok()["sessions"].as_array().unwrap().clone()
}

#[test]
fn list_marks_the_current_session_and_describes_devices() {
    let a = session_of(
        &req("POST", "/api/auth/login")
            .client_ip("203.0.113.77")
            .json(&serde_json::json!({"email": MEMBER, "password": password(MEMBER)}))
            .send(),
    );
    let b = login(MEMBER);
    let list = sessions(&a);
    let mine = list.iter().find(|s| s["id"] == a.sid.as_str()).expect("own session listed");
    let other = list.iter().find(|s| s["id"] == b.sid.as_str()).expect("other session listed");
    assert_eq!(mine["current"], true);
    assert_eq!(other["current"], false);
    assert_eq!(mine["deviceLabel"], "ureq");
    assert_eq!(mine["ipPrefix"], "203.0.113.0/24");
    assert!(mine["lastSeenAt"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn revoking_another_session_takes_effect_immediately() {
    let a = login(USER);
    let b = login(USER);
    let resp = req("DELETE", &format!("/api/me/sessions/{}", b.sid)).session(&a).send().ok();
    assert_eq!(resp["signOut"], false);
    req("GET", "/api/me").session(&b).send().expect_error(401, "SESSION_REVOKED");
    req("POST", "/api/me/sessions/heartbeat").session(&b).send().expect_error(401, "SESSION_REVOKED");
    req("GET", "/api/me").session(&a).send().ok();
    req("DELETE", &format!("/api/me/sessions/{}", b.sid)).session(&a).send().expect_error(404, "NotFound");
}

#[test]
fn revoking_the_current_session_signs_out() {
    let a = login(USER);
    let resp = req("DELETE", &format!("/api/me/sessions/{}", a.sid)).session(&a).send();
    assert_eq!(resp.ok()["signOut"], true);
    assert!(resp.set_cookies().iter().any(|c| c.contains("Max-Age=0")));
    req("GET", "/api/me").session(&a).send().expect_error(401, "SESSION_REVOKED");
}

#[test]
fn another_users_session_id_is_not_found() {
    let mine = login(USER);
    let theirs = login(MEMBER);
    req("DELETE", &format!("/api/me/sessions/{}", theirs.sid)).session(&mine).send().expect_error(404, "NotFound");
    req("GET", "/api/me").session(&theirs).send().ok();
}

#[test]
fn heartbeat_refreshes_cookies_and_records_the_device() {
    let s = login(MEMBER);
    let resp = req("POST", "/api/me/sessions/heartbeat")
        .session(&s)
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
        .send();
    let body = resp.ok();
    assert_eq!(body["session"]["id"], s.sid.as_str());
    assert_eq!(body["session"]["deviceLabel"], "Firefox on Linux");
    let cookies = resp.set_cookies();
    assert!(cookies.iter().any(|c| c.starts_with("authjs.session-token=ey")));
    assert!(cookies.iter().any(|c| c.starts_with(&format!("as_sid={};", s.sid))));
    let listed = sessions(&s);
    assert_eq!(listed.iter().find(|x| x["id"] == s.sid.as_str()).unwrap()["deviceLabel"], "Firefox on Linux");
}

#[test]
fn revoke_others_keeps_only_the_current_session() {
    // Its own user: revoking "all others" would race every other test's sessions.
    const REVOKER: &str = "revoker@demo.axissynapse.test";
    let keep = login(REVOKER);
    let other1 = login(REVOKER);
    let other2 = login(REVOKER);
    let resp = req("POST", "/api/me/sessions/revoke-others").session(&keep).send().ok();
    let revoked: Vec<&str> = resp["revoked"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(revoked.contains(&other1.sid.as_str()) && revoked.contains(&other2.sid.as_str()));
    assert!(!revoked.contains(&keep.sid.as_str()));
    req("GET", "/api/me").session(&other1).send().expect_error(401, "SESSION_REVOKED");
    req("GET", "/api/me").session(&keep).send().ok();
}

#[test]
fn heartbeat_and_revoke_others_need_a_browser_session() {
    req("POST", "/api/me/sessions/heartbeat").bearer(&admin_pat()).send().expect_error(401, "Unauthorized");
    req("POST", "/api/me/sessions/revoke-others").bearer(&admin_pat()).send().expect_error(401, "Unauthorized");
    // Listing works with a PAT; no row is `current`.
    let list = req("GET", "/api/me/sessions").bearer(&admin_pat()).send().ok();
    assert!(list["sessions"].as_array().unwrap().iter().all(|s| s["current"] == false));
}

#[test]
fn expired_and_garbage_cookies_are_refused() {
    let s = login(MEMBER);
    let secret = env("AXIS_AUTH_SECRET");
    let mut claims = jwe::open_session(&s.token, secret.as_bytes(), "authjs.session-token", 0).unwrap();
    claims.exp = 1_000_000;
    let old = jwe::seal_session(&claims, secret.as_bytes(), "authjs.session-token", [1; 16]).unwrap();
    req("GET", "/api/me").cookie(&format!("authjs.session-token={old}")).send().expect_error(401, "SESSION_EXPIRED");
    req("GET", "/api/me").cookie("authjs.session-token=garbage").send().expect_error(401, "Unauthorized");
    req("GET", "/api/me").send().expect_error(401, "Unauthorized");
}
