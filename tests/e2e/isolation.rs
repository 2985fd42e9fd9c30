//! The tenant-isolation matrix: every operation of the API, attacked from outside.
//!
//! Workspace A is the demo workspace (owner `ADMIN`, member `MEMBER`, shard 0); workspace B is
//! played twice: `OTHER_ADMIN`'s (another shard) and `NEIGHBOUR_ADMIN`'s (the same shard as A),
//! so isolation holds both across tenant databases and within one. The test creates one of each A resource the parameterised routes address
//! (a PAT, a SCIM token, an invitation, a webhook, a SAML provider, a SCIM user and group; A's
//! session id comes from its sign-in), arms B with a session, a PAT and a SCIM token, and then
//! plays `MATRIX`: one line per documented operation, `(method, path, body, checks)`, where
//! `{id}` / `{providerId}` in the path become the A resource of that route family
//! (`TenantA::targets`) and `{userName}` / `{groupName}` / `{userId}` / `{groupId}` in the body
//! A's SCIM names and ids. The checks:
//!
//! - `Public`: no credentials and no tenant data; the sample request answers below 500.
//! - `SsoPublic`: a public SSO route about A's provider; it answers without A's IdP
//!   configuration (entity id, certificate; the SSO URL only on the login page, which must
//!   send the browser there).
//! - `Cross(b, status, code)`: B's credential on A's resource is refused exactly so.
//! - `OwnOnly(b)`: B's credential answers (2xx) about B alone.
//! - `OwnLedger(b)`: B's audit log answers (2xx) with B's rows alone.
//! - `SelfOnly`: an `/api/me/…/{id}` route on A's owner's own thing: B's session and, in the same
//!   workspace, `MEMBER`'s session both get 404 NotFound.
//! - `MemberOnAdmin`: `MEMBER`'s session on an admin route gets 403 Forbidden.
//! - `WrongKind(b)`: the route takes another kind of credential: 401 Unauthorized.
//!
//! No answer to B or `MEMBER` may carry A's data (webhook URL, IdP configuration, SCIM
//! externalId, invitee email, audit event ids), nor A's identifiers (resource, user and
//! workspace ids, emails) unless the request named them: a 404 may echo the id it was asked
//! for, and B's ledger may record what B's own requests named. Afterwards A re-reads everything
//! that was attacked (`TenantA::snapshot`) and finds it unchanged, and A's PATs and session
//! still work. All failures are collected and reported together, after the cleanup.
//!
//! Adding a route: the test first compares `MATRIX` with the served OpenAPI document and fails
//! naming each operation without a line. Add its line with the checks that apply (an admin route
//! needs `MemberOnAdmin`, a route on a tenant resource a `Cross` or `SelfOnly`) and, for a new
//! `{id}` family, the A resource it addresses to `TenantA::targets` (created in
//! `TenantA::create`, re-read in `TenantA::snapshot`).

use crate::common::*;
use axissynapse_edge::routes::{public_routes, Access};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A credential of workspace B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum B {
    Session,
    Pat,
    Scim,
}

/// What a MATRIX line asserts (see above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Public,
    SsoPublic,
    Cross(B, u16, &'static str),
    OwnOnly(B),
    OwnLedger(B),
    SelfOnly,
    MemberOnAdmin,
    WrongKind(B),
}

use Check::*;

const NF: &str = "NotFound";
const WH_NF: &str = "WEBHOOK_NOT_FOUND";
const SAML_NF: &str = "SAML_NOT_CONFIGURED";
const USER_NF: &str = "USER_NOT_FOUND";
const GROUP_NF: &str = "GROUP_NOT_FOUND";

const NONE: &str = "";
const EMPTY: &str = "{}";
const DISCOVER_A: &str = r#"{"email":"member@demo.axissynapse.test"}"#;
const GUESSED_INVITATION: &str = r#"{"token":"inv_guessed"}"#;
const RENAME: &str = r#"{"nickname":"taken over"}"#;
const DISABLE: &str = r#"{"status":"disabled"}"#;
/// B "creates" a user with A's userName: the create is idempotent on userName, so a lookup
/// that crossed workspaces would answer 200 with A's user. The primary email is B's own
/// admin's (`{bEmail}`), so the correct path (no such user in B: create) fails on B's unique
/// sign-in email and writes nothing.
const CLAIM_USER_NAME: &str = concat!(
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{userName}","#,
    r#""emails":[{"value":"{bEmail}","primary":true}]}"#
);
const SEARCH_USER: &str =
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"{userName}\""}"#;
const SEARCH_GROUP: &str =
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"displayName eq \"{groupName}\""}"#;
const REPLACE_USER: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"taken.over@other.test","active":false}"#;
const DEACTIVATE: &str = concat!(
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"#,
    r#""Operations":[{"op":"replace","value":{"active":false}}]}"#
);
/// B names its own group like A's: names are unique per workspace only.
const SAME_GROUP_NAME: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"{groupName}"}"#;
const REPLACE_GROUP: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"taken over","members":[]}"#;
const EMPTY_GROUP: &str =
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}"#;
/// B's Bulk request on A's user and group by id (deactivate, take over, delete, with and without
/// a `version`) and on A's userName: every operation must miss, the request still answers 200.
const BULK_ATTACK: &str = concat!(
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":["#,
    r#"{"method":"PATCH","path":"/Users/{userId}","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"#,
    r#""Operations":[{"op":"replace","value":{"active":false}}]}},"#,
    r#"{"method":"PUT","path":"/Groups/{groupId}","data":{"displayName":"taken over","members":[]}},"#,
    r#"{"method":"DELETE","path":"/Users/{userId}","version":"W/\"1\""},"#,
    r#"{"method":"DELETE","path":"/Groups/{groupId}"},"#,
    r#"{"method":"POST","path":"/Users","bulkId":"claim","data":{"userName":"{userName}","#,
    r#""emails":[{"value":"{bEmail}","primary":true}]}}]}"#
);
/// A draft that refuses every address: B's what-if lists whom it would block, which must be B's
/// own users and addresses only.
const WHAT_IF: &str =
    r#"{"policy":{"mode":"denylist","rules":[{"id":"all","cidr":"0.0.0.0/0"},{"id":"all6","cidr":"::/0"}]}}"#;
const REDIRECT_HOOK: &str = r#"{"url":"https://evil.example.com/steal","enabled":true}"#;
const ROTATE_NOW: &str = r#"{"overlapSeconds":0}"#;
const REDELIVER_ALL: &str = r#"{"failedSince":"2026-01-01T00:00:00Z"}"#;
const REDIRECT_SSO: &str = r#"{"ssoUrl":"https://evil.example.com/sso","enabled":true}"#;
const GARBAGE_RESPONSE: &str = "SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D&RelayState=%2F";

/// One line per documented operation, in `src/routes.rs` order.
const MATRIX: &[(&str, &str, &str, &[Check])] = &[
    ("GET", "/api/developers/openapi.json", NONE, &[Public]),
    ("GET", "/api/developers/events.json", NONE, &[Public]),
    ("GET", "/api/developers/audit-keys.json", NONE, &[Public]),
    ("GET", "/api/developers/step-up-purposes.json", NONE, &[Public]),
    ("GET", "/account/security", NONE, &[Public]),
    ("GET", "/portal", NONE, &[Public]),
    ("GET", "/portal/{page}", NONE, &[Public]),
    ("GET", "/portal/assets/{file}", NONE, &[Public]),
    ("GET", "/api/developers/bench/signature", NONE, &[Public]),
    ("GET", "/api/developers/bench/binding", NONE, &[Public]),
    ("GET", "/api/developers/bench/saml", NONE, &[Public]),
    ("GET", "/api/developers/bench/checkpoint", NONE, &[Public]),
    ("POST", "/api/auth/login", EMPTY, &[Public]),
    ("POST", "/api/auth/login/mfa", EMPTY, &[Public]),
    ("POST", "/api/auth/sso/discover", DISCOVER_A, &[SsoPublic]),
    ("POST", "/api/auth/logout", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/auth/invitations/accept", GUESSED_INVITATION, &[Public]),
    ("GET", "/api/me", NONE, &[OwnOnly(B::Pat)]),
    ("GET", "/api/me/sessions", NONE, &[OwnOnly(B::Session)]),
    ("DELETE", "/api/me/sessions/{id}", NONE, &[SelfOnly]),
    ("POST", "/api/me/sessions/heartbeat", NONE, &[OwnOnly(B::Session)]),
    ("POST", "/api/me/sessions/revoke-others", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/me/password", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/me/passkeys/registration-options", NONE, &[OwnOnly(B::Session)]),
    ("POST", "/api/me/passkeys", NONE, &[WrongKind(B::Pat)]),
    ("GET", "/api/me/passkeys", NONE, &[OwnOnly(B::Pat)]),
    ("PATCH", "/api/me/passkeys/{id}", RENAME, &[SelfOnly]),
    ("DELETE", "/api/me/passkeys/{id}", NONE, &[SelfOnly]),
    ("POST", "/api/me/totp", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/me/totp/confirm", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/auth/step-up/challenge-options", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/auth/step-up/verify", NONE, &[WrongKind(B::Pat)]),
    ("GET", "/api/auth/step-up/status", NONE, &[WrongKind(B::Pat)]),
    ("POST", "/api/step-up/actions/{id}", NONE, &[WrongKind(B::Pat)]),
    ("GET", "/api/me/tokens", NONE, &[OwnOnly(B::Pat)]),
    ("POST", "/api/me/tokens", NONE, &[WrongKind(B::Pat)]),
    ("DELETE", "/api/me/tokens/{id}", NONE, &[SelfOnly]),
    ("GET", "/api/settings/workspace", NONE, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("PATCH", "/api/settings/workspace", NONE, &[MemberOnAdmin]),
    ("GET", "/api/settings/users", NONE, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("PATCH", "/api/settings/users/{id}", DISABLE, &[Cross(B::Pat, 404, NF), MemberOnAdmin]),
    ("GET", "/api/settings/invitations", NONE, &[OwnOnly(B::Session), MemberOnAdmin]),
    ("POST", "/api/settings/invitations", NONE, &[MemberOnAdmin]),
    ("DELETE", "/api/settings/invitations/{id}", NONE, &[Cross(B::Session, 404, NF), MemberOnAdmin]),
    ("GET", "/api/settings/scim-tokens", NONE, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("POST", "/api/settings/scim-tokens", NONE, &[MemberOnAdmin]),
    ("DELETE", "/api/settings/scim-tokens/{id}", NONE, &[Cross(B::Pat, 404, NF), MemberOnAdmin]),
    ("GET", "/api/settings/scim/summary", NONE, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("GET", "/api/scim/v2/ServiceProviderConfig", NONE, &[Public]),
    ("GET", "/api/scim/v2/Schemas", NONE, &[Public]),
    ("GET", "/api/scim/v2/Schemas/{id}", NONE, &[Public]),
    ("GET", "/api/scim/v2/ResourceTypes", NONE, &[Public]),
    ("GET", "/api/scim/v2/ResourceTypes/{id}", NONE, &[Public]),
    ("POST", "/api/scim/v2/.search", SEARCH_USER, &[WrongKind(B::Pat)]),
    ("POST", "/api/scim/v2/Bulk", BULK_ATTACK, &[OwnOnly(B::Scim), WrongKind(B::Pat)]),
    ("GET", "/api/scim/v2/Users", NONE, &[OwnOnly(B::Scim)]),
    ("POST", "/api/scim/v2/Users", CLAIM_USER_NAME, &[Cross(B::Scim, 409, "SCIM_UNIQUENESS")]),
    ("POST", "/api/scim/v2/Users/.search", SEARCH_USER, &[OwnOnly(B::Scim)]),
    ("GET", "/api/scim/v2/Users/{id}", NONE, &[Cross(B::Scim, 404, USER_NF), WrongKind(B::Pat)]),
    ("PUT", "/api/scim/v2/Users/{id}", REPLACE_USER, &[Cross(B::Scim, 404, USER_NF)]),
    ("PATCH", "/api/scim/v2/Users/{id}", DEACTIVATE, &[Cross(B::Scim, 404, USER_NF)]),
    ("DELETE", "/api/scim/v2/Users/{id}", NONE, &[Cross(B::Scim, 404, USER_NF)]),
    ("GET", "/api/scim/v2/Groups", NONE, &[OwnOnly(B::Scim)]),
    ("POST", "/api/scim/v2/Groups", SAME_GROUP_NAME, &[OwnOnly(B::Scim)]),
    ("POST", "/api/scim/v2/Groups/.search", SEARCH_GROUP, &[OwnOnly(B::Scim)]),
    ("GET", "/api/scim/v2/Groups/{id}", NONE, &[Cross(B::Scim, 404, GROUP_NF), WrongKind(B::Pat)]),
    ("PUT", "/api/scim/v2/Groups/{id}", REPLACE_GROUP, &[Cross(B::Scim, 404, GROUP_NF)]),
    ("PATCH", "/api/scim/v2/Groups/{id}", EMPTY_GROUP, &[Cross(B::Scim, 404, GROUP_NF)]),
    ("DELETE", "/api/scim/v2/Groups/{id}", NONE, &[Cross(B::Scim, 404, GROUP_NF)]),
    ("GET", "/api/settings/network-policy", NONE, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("PUT", "/api/settings/network-policy", NONE, &[MemberOnAdmin]),
    ("POST", "/api/settings/network-policy/test", NONE, &[MemberOnAdmin]),
    ("POST", "/api/settings/network-policy/what-if", WHAT_IF, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("GET", "/api/settings/attestation-policy", NONE, &[MemberOnAdmin]),
    ("PUT", "/api/settings/attestation-policy", NONE, &[MemberOnAdmin]),
    ("POST", "/api/settings/attestation-policy/test", NONE, &[MemberOnAdmin]),
    ("GET", "/api/settings/webhooks", NONE, &[OwnOnly(B::Session), MemberOnAdmin]),
    ("POST", "/api/settings/webhooks", NONE, &[MemberOnAdmin]),
    ("GET", "/api/settings/webhooks/{id}", NONE, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("PATCH", "/api/settings/webhooks/{id}", REDIRECT_HOOK, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("DELETE", "/api/settings/webhooks/{id}", NONE, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("POST", "/api/settings/webhooks/{id}/rotate-secret", ROTATE_NOW, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("POST", "/api/settings/webhooks/{id}/test", NONE, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("GET", "/api/settings/webhooks/{id}/deliveries", NONE, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("GET", "/api/settings/webhooks/{id}/health", NONE, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("POST", "/api/settings/webhooks/{id}/redeliver", REDELIVER_ALL, &[Cross(B::Session, 404, WH_NF), MemberOnAdmin]),
    ("GET", "/api/settings/saml-providers", NONE, &[OwnOnly(B::Pat), MemberOnAdmin]),
    ("POST", "/api/settings/saml-providers", NONE, &[MemberOnAdmin]),
    ("GET", "/api/settings/saml-providers/{id}", NONE, &[Cross(B::Pat, 404, SAML_NF), MemberOnAdmin]),
    ("PATCH", "/api/settings/saml-providers/{id}", REDIRECT_SSO, &[Cross(B::Session, 404, SAML_NF), MemberOnAdmin]),
    ("DELETE", "/api/settings/saml-providers/{id}", NONE, &[Cross(B::Session, 404, SAML_NF), MemberOnAdmin]),
    ("POST", "/api/settings/saml-providers/{id}/test", NONE, &[Cross(B::Session, 404, SAML_NF), MemberOnAdmin]),
    ("GET", "/api/settings/saml-providers/{id}/test", NONE, &[Cross(B::Session, 404, SAML_NF), MemberOnAdmin]),
    ("GET", "/api/saml/{providerId}/metadata", NONE, &[SsoPublic]),
    ("GET", "/api/saml/{providerId}/login", NONE, &[SsoPublic]),
    ("POST", "/api/saml/{providerId}/acs", GARBAGE_RESPONSE, &[SsoPublic]),
    ("GET", "/api/settings/audit-log", NONE, &[OwnLedger(B::Pat), MemberOnAdmin]),
    ("GET", "/api/settings/audit-log/export", NONE, &[OwnLedger(B::Pat), MemberOnAdmin]),
    ("GET", "/api/settings/audit-log/verify", NONE, &[OwnLedger(B::Pat), MemberOnAdmin]),
    ("GET", "/api/settings/audit-log/histogram", NONE, &[OwnLedger(B::Pat), MemberOnAdmin]),
    ("POST", "/api/settings/audit-log/checkpoints", NONE, &[OwnLedger(B::Pat), MemberOnAdmin]),
    ("GET", "/api/settings/audit-log/checkpoints", NONE, &[OwnLedger(B::Pat), MemberOnAdmin]),
];

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Every operation the served OpenAPI document lists has exactly one line, fit for its
/// access rule in `src/routes.rs`, and every line is a documented operation.
fn assert_every_operation_has_a_line() {
    let doc = req("GET", "/api/developers/openapi.json").send().ok();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let mut rows = BTreeSet::new();
    for (method, path, _, checks) in MATRIX {
        assert!(rows.insert(format!("{method} {path}")), "two MATRIX lines for {method} {path}");
        assert!(!checks.is_empty(), "{method} {path}: a line needs at least one check");
    }
    let missing: Vec<&String> = documented.difference(&rows).collect();
    assert!(missing.is_empty(), "operations without a line in MATRIX (tests/e2e/isolation.rs): {missing:?}");
    let stale: Vec<&String> = rows.difference(&documented).collect();
    assert!(stale.is_empty(), "MATRIX lines for operations the API does not document: {stale:?}");

    // The checks must fit each route's access rule. (Operator routes are not in the document:
    // tests/e2e/moves.rs covers them.)
    for r in public_routes() {
        let (_, _, _, checks) = MATRIX.iter().find(|(m, p, _, _)| *m == r.method && *p == r.path).expect("covered");
        let public = checks.iter().all(|k| matches!(k, Public | SsoPublic));
        assert_eq!(
            public,
            r.access == Access::Public,
            "{} {}: public checks exactly on public routes",
            r.method,
            r.path
        );
        if matches!(r.access, Access::Admin | Access::AdminSession) {
            assert!(checks.contains(&MemberOnAdmin), "{} {}: an admin route needs MemberOnAdmin", r.method, r.path);
        }
    }
}

/// Workspace A's resources under attack, created through the API by its owner.
struct TenantA {
    session: Session,
    pat: String,
    pat_id: String,
    scim: String,
    scim_id: String,
    invitation: String,
    webhook: String,
    saml: String,
    user: String,
    user_name: String,
    group: String,
    group_name: String,
    /// A's IdP entity id, a line of its certificate, and its SSO URL: configuration.
    idp_entity: String,
    idp_certificate: String,
    sso_url: String,
    /// A's identifiers: an attacker may name them, and see them echoed.
    ids: Vec<String>,
    /// A's data: nobody outside A sends it, so no answer outside A may carry it.
    data: Vec<String>,
}

/// B's credentials, and A's member.
struct Attackers {
    b_session: Session,
    b_pat: String,
    b_pat_id: String,
    b_scim: String,
    b_scim_id: String,
    member: Session,
}

fn created(resp: Resp, what: &str) -> Value {
    assert!((200..300).contains(&resp.status), "creating {what}: {} {}", resp.status, resp.body);
    resp.json()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn scim_body(v: Value) -> (String, Vec<u8>) {
    ("application/scim+json".to_string(), v.to_string().into_bytes())
}

fn mint(s: &Session, path: &str, name: &str) -> (String, String) {
    let v = created(req("POST", path).session(s).json(&json!({"name": name})).send(), path);
    (v["token"].as_str().expect("token").to_string(), id_of(&v))
}

impl TenantA {
    fn create(run: &str) -> Self {
        let session = login(ADMIN);
        let (pat, pat_id) = mint(&session, "/api/me/tokens", &format!("isolation A {run}"));
        let (scim, scim_id) = mint(&session, "/api/settings/scim-tokens", &format!("isolation A {run}"));
        let invitee = format!("invitee-{run}@demo.axissynapse.test");
        let invitation = req("POST", "/api/settings/invitations")
            .session(&session)
            .json(&json!({"email": invitee, "role": "member"}))
            .send();
        let invitation = id_of(&created(invitation, "an invitation"));
        // Disabled: the suite's events in ws_demo are not queued for a receiver that does not exist.
        let hook_url = format!("https://hooks.example.com/iso-{run}");
        let webhook = req("POST", "/api/settings/webhooks")
            .session(&session)
            .json(&json!({"name": format!("isolation {run}"), "url": hook_url,
                          "eventFilters": ["WORKSPACE_SETTINGS_UPDATED"], "enabled": false}))
            .send();
        let webhook = id_of(&created(webhook, "a webhook"));
        let pem = std::fs::read_to_string("tests/fixtures/saml/keys/idp-rsa.crt.pem").expect("fixture certificate");
        let entity = format!("https://idp.example.test/iso-entity-{run}");
        let sso_url = format!("https://idp.example.test/iso-sso-{run}");
        let saml = req("POST", "/api/settings/saml-providers")
            .session(&session)
            .json(&json!({"name": format!("Isolation {run}"), "idpEntityId": entity, "ssoUrl": sso_url,
                          "certificates": [pem]}))
            .send();
        let saml = id_of(&created(saml, "a SAML provider"));
        let user_name = format!("scim-{run}@demo.axissynapse.test");
        let external = format!("ext-iso-{run}");
        let (ct, body) =
            scim_body(json!({"schemas": [USER_URN], "userName": user_name, "externalId": external, "active": true}));
        let user = id_of(&created(req("POST", "/api/scim/v2/Users").bearer(&scim).raw(&ct, &body).send(), "a user"));
        let group_name = format!("iso-{run}");
        let (ct, body) =
            scim_body(json!({"schemas": [GROUP_URN], "displayName": group_name, "members": [{"value": user}]}));
        let group = id_of(&created(req("POST", "/api/scim/v2/Groups").bearer(&scim).raw(&ct, &body).send(), "a group"));
        let idp_certificate = pem.lines().nth(2).expect("PEM body").to_string();
        let ids = vec![
            session.sid.clone(),
            pat_id.clone(),
            scim_id.clone(),
            invitation.clone(),
            webhook.clone(),
            saml.clone(),
            user.clone(),
            group.clone(),
            "u_demo_admin".into(),
            "u_demo_member".into(),
            "ws_demo".into(),
            ADMIN.into(),
            MEMBER.into(),
        ];
        let ledger = req("GET", "/api/settings/audit-log?limit=50").session(&session).send().ok();
        let events = ledger["items"].as_array().expect("items").iter().map(id_of);
        let mut data = vec![invitee, hook_url, entity.clone(), idp_certificate.clone(), sso_url.clone(), external];
        data.extend(events);
        TenantA {
            session,
            pat,
            pat_id,
            scim,
            scim_id,
            invitation,
            webhook,
            saml,
            user,
            user_name,
            group,
            group_name,
            idp_entity: entity,
            idp_certificate,
            sso_url,
            ids,
            data,
        }
    }

    /// The A resource a parameterised path addresses, by route family.
    fn targets(&self) -> Vec<(&'static str, String)> {
        vec![
            ("/api/me/sessions/", self.session.sid.clone()),
            // No passkey can be registered without a browser authenticator: an id B does not own.
            ("/api/me/passkeys/", "cred_isolation_probe".into()),
            ("/api/step-up/actions/", "SETTINGS_WORKSPACE".into()),
            ("/api/me/tokens/", self.pat_id.clone()),
            ("/api/settings/users/", self.user.clone()),
            ("/api/settings/invitations/", self.invitation.clone()),
            ("/api/settings/scim-tokens/", self.scim_id.clone()),
            ("/api/scim/v2/Schemas/", USER_URN.into()),
            ("/api/scim/v2/ResourceTypes/", "User".into()),
            ("/api/scim/v2/Users/", self.user.clone()),
            ("/api/scim/v2/Groups/", self.group.clone()),
            ("/api/settings/webhooks/", self.webhook.clone()),
            ("/api/settings/saml-providers/", self.saml.clone()),
            ("/api/saml/", self.saml.clone()),
            // The portal's pages and files are the same for everyone.
            ("/portal/assets/", "app.js".into()),
            ("/portal/", "audit".into()),
        ]
    }

    /// The concrete URL and body of a MATRIX line.
    fn fill(&self, path: &str, body: &str) -> (String, String) {
        let body = body
            .replace("{userName}", &self.user_name)
            .replace("{groupName}", &self.group_name)
            .replace("{userId}", &self.user)
            .replace("{groupId}", &self.group);
        let Some(open) = path.find('{') else { return (path.to_string(), body) };
        let close = open + path[open..].find('}').expect("closing brace");
        let targets = self.targets();
        let (_, id) = targets
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .unwrap_or_else(|| panic!("no A resource for {path}: add its family to TenantA::targets"));
        (format!("{}{id}{}", &path[..open], &path[close + 1..]), body)
    }

    /// What A sees of everything the matrix attacks: equal before and after it.
    fn snapshot(&self) -> Value {
        let get = |path: &str| req("GET", path).session(&self.session).send().ok();
        let scim = |path: &str| req("GET", path).bearer(&self.scim).send().ok();
        let entry = |list: Value, key: &str, id: &str, volatile: &[&str]| {
            let mut row = list[key].as_array().expect(key).iter().find(|x| x["id"] == id).cloned().unwrap_or_default();
            if let Some(fields) = row.as_object_mut() {
                fields.retain(|k, _| !volatile.contains(&k.as_str()));
            }
            row
        };
        json!({
            "webhook": get(&format!("/api/settings/webhooks/{}", self.webhook)),
            "samlProvider": get(&format!("/api/settings/saml-providers/{}", self.saml)),
            "scimUser": scim(&format!("/api/scim/v2/Users/{}", self.user)),
            "scimGroup": scim(&format!("/api/scim/v2/Groups/{}", self.group)),
            "user": entry(get("/api/settings/users"), "users", &self.user, &[]),
            "invitation": entry(get("/api/settings/invitations"), "invitations", &self.invitation, &[]),
            "pat": entry(get("/api/me/tokens"), "tokens", &self.pat_id, &["lastUsedAt"]),
            "scimToken": entry(get("/api/settings/scim-tokens"), "tokens", &self.scim_id, &["lastUsedAt"]),
            "session": entry(get("/api/me/sessions"), "sessions", &self.session.sid, &["lastSeenAt", "expiresAt"]),
        })
    }
}

/// Workspace B on A's shard (`ws_neighbour`, shard 0 in the seed).
const NEIGHBOUR_ADMIN: &str = "admin@neighbour.test";

impl Attackers {
    fn arm(run: &str, b_admin: &str) -> Self {
        let b_session = login(b_admin);
        let (b_pat, b_pat_id) = mint(&b_session, "/api/me/tokens", &format!("isolation B {run}"));
        let (b_scim, b_scim_id) = mint(&b_session, "/api/settings/scim-tokens", &format!("isolation B {run}"));
        Attackers { b_session, b_pat, b_pat_id, b_scim, b_scim_id, member: login(MEMBER) }
    }

    fn sign(&self, r: Req, cred: B) -> Req {
        match cred {
            B::Session => r.session(&self.b_session),
            B::Pat => r.bearer(&self.b_pat),
            B::Scim => r.bearer(&self.b_scim),
        }
    }
}

fn request(method: &str, url: &str, body: &str) -> Req {
    let r = req(method, url);
    if body.is_empty() {
        return r;
    }
    let content_type = if url.starts_with("/api/scim/") {
        "application/scim+json"
    } else if url.ends_with("/acs") {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    r.raw(content_type, body.as_bytes())
}

/// The error code of a refusal: the envelope's `code`, or for an RFC 7644 error the
/// `X-AxisSynapse-Error-Code` header, which must agree with the body's status and detail.
fn error_code(resp: &Resp) -> Option<String> {
    let body: Value = serde_json::from_str(&resp.body).ok()?;
    if resp.header("content-type").is_some_and(|c| c.starts_with("application/scim+json")) {
        let code = resp.header("x-axissynapse-error-code")?;
        let consistent = body["status"].as_str() == Some(resp.status.to_string().as_str())
            && body["detail"].as_str().is_some_and(|d| d.starts_with(&format!("{code}: ")));
        return consistent.then(|| code.to_string());
    }
    body["code"].as_str().map(str::to_string)
}

fn expect(resp: &Resp, status: u16, code: &str) -> Result<(), String> {
    match error_code(resp) {
        Some(got) if resp.status == status && got == code => Ok(()),
        got => Err(format!("expected {status} {code}, got {} {got:?}: {}", resp.status, clip(&resp.body))),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}

/// A's data in an answer, and A's identifiers unless the request named them or the answer is
/// B's ledger.
fn leaks(a: &TenantA, resp: &Resp, url: &str, body: &str, ledger: bool) -> Result<(), String> {
    let named = |m: &String| url.contains(m.as_str()) || body.contains(m.as_str());
    let ids = a.ids.iter().filter(|m| !ledger && !named(m));
    let leaked: Vec<&String> = a.data.iter().chain(ids).filter(|m| resp.body.contains(m.as_str())).collect();
    if leaked.is_empty() {
        Ok(())
    } else {
        Err(format!("answer {} carries A's {leaked:?}: {}", resp.status, clip(&resp.body)))
    }
}

/// What an answer must be.
enum Want {
    Below500,
    Success,
    Refused(u16, &'static str),
}

/// Plays one check of a MATRIX line.
fn attack(a: &TenantA, x: &Attackers, method: &str, url: &str, body: &str, check: Check) -> Result<(), String> {
    let r = || request(method, url, body);
    let b = |cred: B, want| (format!("B's {cred:?}"), x.sign(r(), cred), want);
    let member = |want| ("MEMBER".to_string(), r().session(&x.member), want);
    let plays = match check {
        Public | SsoPublic => vec![("anonymous".to_string(), r(), Want::Below500)],
        Cross(cred, status, code) => vec![b(cred, Want::Refused(status, code))],
        OwnOnly(cred) | OwnLedger(cred) => vec![b(cred, Want::Success)],
        SelfOnly => vec![b(B::Session, Want::Refused(404, NF)), member(Want::Refused(404, NF))],
        MemberOnAdmin => vec![member(Want::Refused(403, "Forbidden"))],
        WrongKind(cred) => vec![b(cred, Want::Refused(401, "Unauthorized"))],
    };
    for (who, request, want) in plays {
        let resp = request.send();
        let answered = match want {
            Want::Below500 if resp.status < 500 => Ok(()),
            Want::Success if (200..300).contains(&resp.status) => Ok(()),
            Want::Refused(status, code) => expect(&resp, status, code),
            _ => Err(format!("answered {}: {}", resp.status, clip(&resp.body))),
        };
        let verdict = answered.and_then(|()| match check {
            Public => Ok(()),
            SsoPublic => without_idp_config(a, url, &resp),
            _ => leaks(a, &resp, url, body, matches!(check, OwnLedger(_))),
        });
        verdict.map_err(|e| format!("as {who}: {e}"))?;
    }
    Ok(())
}

/// A public SSO answer names none of A's IdP configuration, but for the SSO URL on the login
/// page, which must send the browser there.
fn without_idp_config(a: &TenantA, url: &str, resp: &Resp) -> Result<(), String> {
    let sso = if url.ends_with("/login") { None } else { Some(&a.sso_url) };
    let config = [Some(&a.idp_entity), Some(&a.idp_certificate), sso];
    match config.into_iter().flatten().find(|c| resp.body.contains(c.as_str())) {
        Some(c) => Err(format!("public SSO answer carries A's IdP configuration {c:?}: {}", clip(&resp.body))),
        None => Ok(()),
    }
}

#[test]
fn tenant_isolation_matrix() {
    let shards = &secrets()["shards"];
    assert_ne!(shards["ws_demo"], shards["ws_other"], "B across shards: {shards}");
    assert_eq!(shards["ws_demo"], shards["ws_neighbour"], "B on A's shard: {shards}");
    assert_every_operation_has_a_line();
    for b_admin in [OTHER_ADMIN, NEIGHBOUR_ADMIN] {
        play(b_admin);
    }
}

/// Plays every MATRIX line with B = `b_admin`'s workspace.
fn play(b_admin: &str) {
    let started = std::time::Instant::now();
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros());
    let a = TenantA::create(&run);
    let x = Attackers::arm(&run, b_admin);
    let before = a.snapshot();

    let mut failures = Vec::new();
    for (method, path, body, checks) in MATRIX {
        let (url, body) = a.fill(path, body);
        let body = body.replace("{bEmail}", b_admin);
        for check in *checks {
            if let Err(e) = attack(&a, &x, method, &url, &body, *check) {
                failures.push(format!("{method} {path} {check:?}: {e}"));
            }
        }
    }

    // Nothing of A's changed, and its credentials still work.
    let after = a.snapshot();
    for (what, was) in before.as_object().expect("snapshot") {
        if after[what] != *was {
            failures.push(format!("A's {what} changed:\n  before: {was}\n  after:  {}", after[what]));
        }
    }
    for (what, r) in [
        ("A's session", req("GET", "/api/me").session(&a.session)),
        ("A's PAT", req("GET", "/api/me").bearer(&a.pat)),
        ("the seeded PAT", req("GET", "/api/me").bearer(&admin_pat())),
    ] {
        let resp = r.send();
        if resp.status != 200 || resp.json()["user"]["email"] != ADMIN {
            failures.push(format!("{what} no longer signs A's owner in: {} {}", resp.status, clip(&resp.body)));
        }
    }

    cleanup(&a, &x, &mut failures);
    assert!(failures.is_empty(), "B = {b_admin}: {} isolation failures:\n{}", failures.len(), failures.join("\n"));
    eprintln!("isolation matrix, B = {b_admin}: {} lines, {:.1} s", MATRIX.len(), started.elapsed().as_secs_f64());
}

/// Deletes what the test created in both workspaces, B's group named like A's included.
fn cleanup(a: &TenantA, x: &Attackers, failures: &mut Vec<String>) {
    let s = &a.session;
    let b = &x.b_session;
    let filter = format!("/api/scim/v2/Groups?filter=displayName%20eq%20%22{}%22", a.group_name);
    let b_groups = req("GET", &filter).bearer(&x.b_scim).send().ok();
    let mut steps: Vec<(&str, Req)> = b_groups["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| ("B's group", req("DELETE", &format!("/api/scim/v2/Groups/{}", id_of(g))).bearer(&x.b_scim)))
        .collect();
    steps.extend([
        ("A's webhook", req("DELETE", &format!("/api/settings/webhooks/{}", a.webhook)).session(s)),
        ("A's SAML provider", req("DELETE", &format!("/api/settings/saml-providers/{}", a.saml)).session(s)),
        ("A's invitation", req("DELETE", &format!("/api/settings/invitations/{}", a.invitation)).session(s)),
        ("A's group", req("DELETE", &format!("/api/scim/v2/Groups/{}", a.group)).bearer(&a.scim)),
        ("A's user", req("DELETE", &format!("/api/scim/v2/Users/{}", a.user)).bearer(&a.scim)),
        ("A's PAT", req("DELETE", &format!("/api/me/tokens/{}", a.pat_id)).session(s)),
        ("A's SCIM token", req("DELETE", &format!("/api/settings/scim-tokens/{}", a.scim_id)).session(s)),
        ("B's PAT", req("DELETE", &format!("/api/me/tokens/{}", x.b_pat_id)).session(b)),
        ("B's SCIM token", req("DELETE", &format!("/api/settings/scim-tokens/{}", x.b_scim_id)).session(b)),
    ]);
    for (what, r) in steps {
        let resp = r.send();
        if !(200..300).contains(&resp.status) {
            failures.push(format!("cleanup of {what}: {} {}", resp.status, clip(&resp.body)));
        }
    }
}
