//! Step-up over HTTP: TOTP enrolment and backup codes, purpose rules, single-use tokens
//! (100 concurrent spends of one token: exactly one wins), and the attestation policy API.

use crate::common::*;
use axissynapse_edge::stepup::totp;
use serde_json::{json, Value};

const OWNER: &str = "owner@stepup.test";
const RACER: &str = "race@stepup.test";
const TOTP_USER: &str = "totp@stepup.test";

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Enrols an authenticator app; returns (secret, backup codes).
fn enrol_totp(s: &Session) -> (Vec<u8>, Vec<String>) {
    let started = req("POST", "/api/me/totp").session(s).send();
    assert_eq!(started.status, 201, "{}", started.body);
    let body = started.json();
    assert!(body["otpauthUri"].as_str().unwrap().starts_with("otpauth://totp/AxisSynapse:"));
    let secret = totp::base32_decode(body["secret"].as_str().unwrap()).unwrap();
    req("POST", "/api/me/totp/confirm").session(s).json(&json!({"code": "000000x"})).send().expect_error(401, "INVALID_MFA_CODE");
    let code = totp::totp(&secret, now(), 30, 6, totp::Alg::Sha1);
    let done = req("POST", "/api/me/totp/confirm").session(s).json(&json!({"code": code})).send().ok();
    let codes: Vec<String> = serde_json::from_value(done["backupCodes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// A TOTP code for a step offset from now (the server accepts ±1 step, each step once).
fn code_at(secret: &[u8], offset: i64) -> String {
    totp::totp(secret, (now() as i64 + offset * 30) as u64, 30, 6, totp::Alg::Sha1)
}

fn verify(s: &Session, purpose: &str, factor: Value) -> Resp {
    let mut body = json!({"purpose": purpose});
    body.as_object_mut().unwrap().extend(factor.as_object().unwrap().clone());
    req("POST", "/api/auth/step-up/verify").session(s).json(&body).send()
}

#[test]
fn totp_step_up_rules_replay_backup_codes_and_status() {
    let s = login(TOTP_USER);
    req("POST", "/api/auth/step-up/challenge-options").session(&s).json(&json!({"purpose": "SETTINGS_WORKSPACE"})).send().expect_error(403, "NO_FACTOR_AVAILABLE");
    let (secret, backup) = enrol_totp(&s);
    req("POST", "/api/me/totp").session(&s).send().expect_error(409, "Conflict");

    let options = req("POST", "/api/auth/step-up/challenge-options").session(&s).json(&json!({"purpose": "SETTINGS_WORKSPACE"})).send().ok();
    assert_eq!(options["factors"], json!(["totp", "backup_code"]));
    assert!(options["publicKey"].is_null());
    req("POST", "/api/auth/step-up/challenge-options").session(&s).json(&json!({"purpose": "LAUNCH_ROCKETS"})).send().expect_error(400, "UNKNOWN_PURPOSE");
    req("POST", "/api/auth/step-up/challenge-options").session(&s).json(&json!({"purpose": "PAYROLL_SEAL"})).send().expect_error(403, "NO_FACTOR_AVAILABLE");
    verify(&s, "PAYROLL_SEAL", json!({"totp": code_at(&secret, -1)})).expect_error(401, "PHISHING_RESISTANT_REQUIRED");

    verify(&s, "SETTINGS_WORKSPACE", json!({"totp": "123456"})).expect_error(401, "INVALID_MFA_CODE");
    let first = verify(&s, "SETTINGS_WORKSPACE", json!({"totp": code_at(&secret, -1)})).ok();
    assert_eq!(first["factor"], "totp");
    verify(&s, "SETTINGS_WORKSPACE", json!({"totp": code_at(&secret, -1)})).expect_error(401, "MFA_CODE_REUSED");

    let status = req("GET", "/api/auth/step-up/status?purpose=SETTINGS_WORKSPACE").session(&s).send().ok();
    assert_eq!(status["valid"], true, "{status}");
    assert_eq!(status["expiresAt"], first["expiresAt"]);
    req("GET", "/api/auth/step-up/status?purpose=NOPE").session(&s).send().expect_error(400, "UNKNOWN_PURPOSE");

    // A token is for one purpose and one use.
    let token = first["token"].as_str().unwrap();
    let wrong = req("POST", "/api/step-up/actions/PAYROLL_SEAL").session(&s).header("x-step-up-token", token).send();
    let body = wrong.expect_error(401, "STEP_UP_REQUIRED");
    assert_eq!(body["purpose"], "PAYROLL_SEAL");
    assert_eq!(wrong.header("www-authenticate"), Some("StepUp purpose=\"PAYROLL_SEAL\""));
    req("POST", "/api/step-up/actions/SETTINGS_WORKSPACE").session(&s).header("x-step-up-token", token).send().ok();
    req("POST", "/api/step-up/actions/SETTINGS_WORKSPACE").session(&s).header("x-step-up-token", token).send().expect_error(401, "STEP_UP_REUSED");
    let after = req("GET", "/api/auth/step-up/status?purpose=SETTINGS_WORKSPACE").session(&s).send().ok();
    assert_eq!(after["valid"], false);

    // Backup codes work once each.
    let by_code = verify(&s, "TOKEN_MINT", json!({"backupCode": backup[0]})).ok();
    assert_eq!(by_code["factor"], "backup_code");
    verify(&s, "TOKEN_MINT", json!({"backupCode": backup[0]})).expect_error(401, "INVALID_MFA_CODE");

    // With a factor enrolled, minting a PAT needs a TOKEN_MINT step-up.
    req("POST", "/api/me/tokens").session(&s).json(&json!({"name": "after mfa"})).send().expect_error(401, "STEP_UP_REQUIRED");
    let minted = req("POST", "/api/me/tokens").session(&s).header("x-step-up-token", by_code["token"].as_str().unwrap()).json(&json!({"name": "after mfa"})).send();
    assert_eq!(minted.status, 201, "{}", minted.body);

    // A token earned in one session is useless in another.
    let other = login(TOTP_USER);
    let t = verify(&s, "SETTINGS_WORKSPACE", json!({"totp": code_at(&secret, 0)})).ok();
    req("POST", "/api/step-up/actions/SETTINGS_WORKSPACE").session(&other).header("x-step-up-token", t["token"].as_str().unwrap()).send().expect_error(401, "STEP_UP_REQUIRED");

    // The member's ceremonies are in the workspace ledger for admins to read.
    let admin_view = req("GET", "/api/settings/audit-log?action=ACCOUNT_STEPUP_*&userId=u_stepup_totp&limit=200").session(&login(OWNER)).send().ok();
    let actions: Vec<&str> = admin_view["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    for expected in ["ACCOUNT_STEPUP_CHALLENGED", "ACCOUNT_STEPUP_VERIFIED", "ACCOUNT_STEPUP_FAILED", "ACCOUNT_STEPUP_TOKEN_USED", "ACCOUNT_STEPUP_TOKEN_REFUSED"] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
}

#[test]
fn one_token_spent_by_100_concurrent_requests_succeeds_exactly_once() {
    let s = login(RACER);
    let (secret, _) = enrol_totp(&s);
    let token = verify(&s, "SETTINGS_WORKSPACE", json!({"totp": code_at(&secret, 1)})).ok()["token"].as_str().unwrap().to_string();
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let (s, token) = (s.clone(), token.clone());
            std::thread::spawn(move || req("POST", "/api/step-up/actions/SETTINGS_WORKSPACE").session(&s).header("x-step-up-token", &token).send())
        })
        .collect();
    let results: Vec<Resp> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.status == 200).count();
    let reused = results.iter().filter(|r| r.status == 401 && r.json()["code"] == "STEP_UP_REUSED").count();
    assert_eq!((ok, reused), (1, 99), "statuses: {:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
}

#[test]
fn attestation_policy_is_readable_previewable_and_step_up_protected() {
    let owner = login(OWNER);
    let read = req("GET", "/api/settings/attestation-policy").session(&owner).send().ok();
    assert_eq!(read["policy"]["mode"], "any");
    let catalog = read["catalog"].as_array().unwrap();
    assert!(catalog.len() >= 50);
    assert!(catalog.iter().any(|e| e["aaguid"] == "ee882879-721c-4913-9775-3dfcce97072a"));
    let preview = |body: Value| req("POST", "/api/settings/attestation-policy/test").session(&owner).json(&body).send();
    let yubikey = json!({"aaguid": "ee882879-721c-4913-9775-3dfcce97072a", "policy": {"mode": "allow_categories", "categories": ["hardware"], "blockSynced": true, "requireAttestation": false}});
    let allowed = preview(yubikey).ok();
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert_eq!(allowed["entry"]["category"], "hardware");
    let synced = preview(json!({"aaguid": "ee882879-721c-4913-9775-3dfcce97072a", "backupEligible": true, "policy": {"mode": "any", "blockSynced": true, "requireAttestation": false}})).ok();
    assert_eq!((synced["allowed"].clone(), synced["rule"].clone()), (json!(false), json!("block_synced")));
    preview(json!({"aaguid": "not-a-uuid"})).expect_error(400, "ValidationError");
    preview(json!({"aaguid": "ee882879-721c-4913-9775-3dfcce97072a", "policy": {"mode": "allow_list", "aaguids": []}})).expect_error(400, "ValidationError");

    let policy = json!({"mode": "deny_list", "aaguids": ["ee882879-721c-4913-9775-3dfcce97072a"], "blockSynced": false, "requireAttestation": false});
    let put = req("PUT", "/api/settings/attestation-policy").session(&owner).json(&policy).send();
    let body = put.expect_error(401, "STEP_UP_REQUIRED");
    assert_eq!(body["purpose"], "SETTINGS_ATTESTATION_POLICY");
    assert_eq!(body["requiresPhishingResistant"], true);
    req("PUT", "/api/settings/attestation-policy").bearer(&admin_pat()).json(&policy).send().expect_error(401, "Unauthorized");
    let member = login(TOTP_USER);
    req("GET", "/api/settings/attestation-policy").session(&member).send().expect_error(403, "Forbidden");
    // Still the default: nothing was persisted by the refused PUT or by the previews.
    assert_eq!(req("GET", "/api/settings/attestation-policy").session(&owner).send().ok()["policy"]["mode"], "any");
}

#[test]
fn step_up_purposes_are_served_in_discovery() {
    let doc = req("GET", "/api/developers/step-up-purposes.json").send().ok();
    let purposes: Vec<&str> = doc["purposes"].as_array().unwrap().iter().map(|p| p["purpose"].as_str().unwrap()).collect();
    for p in ["PAYROLL_TRANSMIT_ACH", "PAYROLL_SEAL", "EQUITY_GRANT_COSIGN", "ERASURE_FINALIZE", "TOKEN_MINT", "SETTINGS_ATTESTATION_POLICY"] {
        assert!(purposes.contains(&p), "{p}");
    }
    let page = req("GET", "/account/security").send();
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.body.contains("parseCreationOptionsFromJSON"));
}
