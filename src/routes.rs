//! The route table: method + path pattern → operation + who may call it.
//!
//! One table drives dispatch and is checked against the served OpenAPI document
//! (`api/openapi.json`): a route missing from the document, a documented path with no route,
//! or a security requirement that disagrees with the route's access rule fails the tests.

/// What a route does. One variant per operation; the edge maps each to a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    OpenApi,
    EventsCatalog,
    AuditKeys,
    Login,
    Logout,
    SsoDiscover,
    Me,
    SessionsList,
    SessionRevoke,
    SessionsHeartbeat,
    SessionsRevokeOthers,
    PatList,
    PatCreate,
    PatRevoke,
    ScimTokenList,
    ScimTokenCreate,
    ScimTokenRevoke,
    ScimSummary,
    WorkspaceGet,
    WorkspaceUpdate,
    UsersList,
    UserUpdate,
    AuditQuery,
    AuditExport,
    AuditVerify,
    AuditHistogram,
    AuditCheckpointCreate,
    AuditCheckpointList,
    InvitationList,
    InvitationCreate,
    InvitationRevoke,
    InvitationAccept,
    PasswordChange,
    StepUpPurposes,
    PasskeyOptions,
    PasskeyRegister,
    PasskeyList,
    PasskeyRename,
    PasskeyDelete,
    TotpEnrol,
    TotpConfirm,
    StepUpOptions,
    StepUpVerify,
    StepUpStatus,
    StepUpDemo,
    AttestationGet,
    AttestationPut,
    AttestationTest,
    SecurityPage,
    Portal,
    PortalAsset,
    SignatureBench,
    BindingBench,
    SamlBench,
    CheckpointBench,
    LoginSecondFactor,
    NetworkPolicyGet,
    NetworkPolicyPut,
    NetworkPolicyTest,
    NetworkPolicyWhatIf,
    ScimServiceProviderConfig,
    ScimSchemas,
    ScimSchema,
    ScimResourceTypes,
    ScimResourceType,
    ScimUsersList,
    ScimUserCreate,
    ScimUsersSearch,
    ScimUserGet,
    ScimUserReplace,
    ScimUserPatch,
    ScimUserDelete,
    ScimGroupsList,
    ScimGroupCreate,
    ScimGroupsSearch,
    ScimGroupGet,
    ScimGroupReplace,
    ScimGroupPatch,
    ScimGroupDelete,
    ScimRootSearch,
    ScimBulk,
    WebhooksList,
    WebhookCreate,
    WebhookGet,
    WebhookUpdate,
    WebhookDelete,
    WebhookRotateSecret,
    WebhookTest,
    WebhookDeliveries,
    WebhookHealth,
    WebhookRedeliver,
    SamlProvidersList,
    SamlProviderCreate,
    SamlProviderGet,
    SamlProviderUpdate,
    SamlProviderDelete,
    SamlProviderTestStart,
    SamlProviderTestResult,
    SamlMetadata,
    SamlLogin,
    SamlAcs,
    WorkspaceMove,
}

/// Where the SCIM 2.0 service (RFC 7644) is mounted; errors under it use SCIM bodies.
pub const SCIM_PREFIX: &str = "/api/scim/v2";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials.
    Public,
    /// A browser session cookie only (never a bearer token).
    Session,
    /// A session cookie or a personal access token.
    User,
    /// A session cookie or PAT of a workspace owner or admin.
    Admin,
    /// A session cookie of a workspace owner or admin (step-up protected changes: the step-up
    /// token is bound to the browser session that earned it).
    AdminSession,
    /// A SCIM provisioning token (`Bearer scim_…`), scoped to one workspace.
    Scim,
    /// The platform operator (`Bearer <OPERATOR_TOKEN>`), checked by the handler; the route
    /// answers 404 when no operator token is configured. Operator routes are not part of the
    /// public API document (docs/api.md, "Operator API").
    Operator,
}

impl Op {
    /// What an enrolment-only session (MFA required, no factor yet) may call: enough to enrol
    /// a passkey or an authenticator app, and to sign out.
    pub fn allowed_while_enrolling(self) -> bool {
        matches!(
            self,
            Op::Me
                | Op::Logout
                | Op::SessionsHeartbeat
                | Op::PasskeyOptions
                | Op::PasskeyRegister
                | Op::PasskeyList
                | Op::TotpEnrol
                | Op::TotpConfirm
        )
    }
}

impl Access {
    /// The OpenAPI security scheme names that satisfy this rule, in document order.
    pub fn schemes(self) -> &'static [&'static str] {
        match self {
            Access::Public => &[],
            Access::Session | Access::AdminSession => &["SessionCookie"],
            Access::User | Access::Admin => &["SessionCookie", "PAT"],
            Access::Scim => &["ScimToken"],
            Access::Operator => &["OperatorToken"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub op: Op,
    pub access: Access,
}

const fn route(method: &'static str, path: &'static str, op: Op, access: Access) -> Route {
    Route { method, path, op, access }
}

pub const ROUTES: &[Route] = &[
    route("GET", "/api/developers/openapi.json", Op::OpenApi, Access::Public),
    route("GET", "/api/developers/events.json", Op::EventsCatalog, Access::Public),
    route("GET", "/api/developers/audit-keys.json", Op::AuditKeys, Access::Public),
    route("GET", "/api/developers/step-up-purposes.json", Op::StepUpPurposes, Access::Public),
    route("GET", "/account/security", Op::SecurityPage, Access::Public),
    route("GET", "/portal", Op::Portal, Access::Public),
    route("GET", "/portal/{page}", Op::Portal, Access::Public),
    route("GET", "/portal/assets/{file}", Op::PortalAsset, Access::Public),
    route("GET", "/api/developers/bench/signature", Op::SignatureBench, Access::Public),
    route("GET", "/api/developers/bench/binding", Op::BindingBench, Access::Public),
    route("GET", "/api/developers/bench/saml", Op::SamlBench, Access::Public),
    route("GET", "/api/developers/bench/checkpoint", Op::CheckpointBench, Access::Public),
    route("POST", "/api/auth/login", Op::Login, Access::Public),
    route("POST", "/api/auth/login/mfa", Op::LoginSecondFactor, Access::Public),
    route("POST", "/api/auth/sso/discover", Op::SsoDiscover, Access::Public),
    route("POST", "/api/auth/logout", Op::Logout, Access::Session),
    route("POST", "/api/auth/invitations/accept", Op::InvitationAccept, Access::Public),
    route("GET", "/api/me", Op::Me, Access::User),
    route("GET", "/api/me/sessions", Op::SessionsList, Access::User),
    route("DELETE", "/api/me/sessions/{id}", Op::SessionRevoke, Access::User),
    route("POST", "/api/me/sessions/heartbeat", Op::SessionsHeartbeat, Access::Session),
    route("POST", "/api/me/sessions/revoke-others", Op::SessionsRevokeOthers, Access::Session),
    route("POST", "/api/me/password", Op::PasswordChange, Access::Session),
    route("POST", "/api/me/passkeys/registration-options", Op::PasskeyOptions, Access::Session),
    route("POST", "/api/me/passkeys", Op::PasskeyRegister, Access::Session),
    route("GET", "/api/me/passkeys", Op::PasskeyList, Access::User),
    route("PATCH", "/api/me/passkeys/{id}", Op::PasskeyRename, Access::Session),
    route("DELETE", "/api/me/passkeys/{id}", Op::PasskeyDelete, Access::Session),
    route("POST", "/api/me/totp", Op::TotpEnrol, Access::Session),
    route("POST", "/api/me/totp/confirm", Op::TotpConfirm, Access::Session),
    route("POST", "/api/auth/step-up/challenge-options", Op::StepUpOptions, Access::Session),
    route("POST", "/api/auth/step-up/verify", Op::StepUpVerify, Access::Session),
    route("GET", "/api/auth/step-up/status", Op::StepUpStatus, Access::Session),
    route("POST", "/api/step-up/actions/{id}", Op::StepUpDemo, Access::Session),
    route("GET", "/api/me/tokens", Op::PatList, Access::User),
    route("POST", "/api/me/tokens", Op::PatCreate, Access::Session),
    route("DELETE", "/api/me/tokens/{id}", Op::PatRevoke, Access::User),
    route("GET", "/api/settings/workspace", Op::WorkspaceGet, Access::Admin),
    route("PATCH", "/api/settings/workspace", Op::WorkspaceUpdate, Access::Admin),
    route("GET", "/api/settings/users", Op::UsersList, Access::Admin),
    route("PATCH", "/api/settings/users/{id}", Op::UserUpdate, Access::Admin),
    route("GET", "/api/settings/invitations", Op::InvitationList, Access::Admin),
    route("POST", "/api/settings/invitations", Op::InvitationCreate, Access::Admin),
    route("DELETE", "/api/settings/invitations/{id}", Op::InvitationRevoke, Access::Admin),
    route("GET", "/api/settings/scim-tokens", Op::ScimTokenList, Access::Admin),
    route("POST", "/api/settings/scim-tokens", Op::ScimTokenCreate, Access::Admin),
    route("DELETE", "/api/settings/scim-tokens/{id}", Op::ScimTokenRevoke, Access::Admin),
    route("GET", "/api/settings/scim/summary", Op::ScimSummary, Access::Admin),
    route("GET", "/api/scim/v2/ServiceProviderConfig", Op::ScimServiceProviderConfig, Access::Public),
    route("GET", "/api/scim/v2/Schemas", Op::ScimSchemas, Access::Public),
    route("GET", "/api/scim/v2/Schemas/{id}", Op::ScimSchema, Access::Public),
    route("GET", "/api/scim/v2/ResourceTypes", Op::ScimResourceTypes, Access::Public),
    route("GET", "/api/scim/v2/ResourceTypes/{id}", Op::ScimResourceType, Access::Public),
    route("POST", "/api/scim/v2/.search", Op::ScimRootSearch, Access::Scim),
    route("POST", "/api/scim/v2/Bulk", Op::ScimBulk, Access::Scim),
    route("GET", "/api/scim/v2/Users", Op::ScimUsersList, Access::Scim),
    route("POST", "/api/scim/v2/Users", Op::ScimUserCreate, Access::Scim),
    route("POST", "/api/scim/v2/Users/.search", Op::ScimUsersSearch, Access::Scim),
    route("GET", "/api/scim/v2/Users/{id}", Op::ScimUserGet, Access::Scim),
    route("PUT", "/api/scim/v2/Users/{id}", Op::ScimUserReplace, Access::Scim),
    route("PATCH", "/api/scim/v2/Users/{id}", Op::ScimUserPatch, Access::Scim),
    route("DELETE", "/api/scim/v2/Users/{id}", Op::ScimUserDelete, Access::Scim),
    route("GET", "/api/scim/v2/Groups", Op::ScimGroupsList, Access::Scim),
    route("POST", "/api/scim/v2/Groups", Op::ScimGroupCreate, Access::Scim),
    route("POST", "/api/scim/v2/Groups/.search", Op::ScimGroupsSearch, Access::Scim),
    route("GET", "/api/scim/v2/Groups/{id}", Op::ScimGroupGet, Access::Scim),
    route("PUT", "/api/scim/v2/Groups/{id}", Op::ScimGroupReplace, Access::Scim),
    route("PATCH", "/api/scim/v2/Groups/{id}", Op::ScimGroupPatch, Access::Scim),
    route("DELETE", "/api/scim/v2/Groups/{id}", Op::ScimGroupDelete, Access::Scim),
    route("GET", "/api/settings/network-policy", Op::NetworkPolicyGet, Access::Admin),
    route("PUT", "/api/settings/network-policy", Op::NetworkPolicyPut, Access::AdminSession),
    route("POST", "/api/settings/network-policy/test", Op::NetworkPolicyTest, Access::Admin),
    route("POST", "/api/settings/network-policy/what-if", Op::NetworkPolicyWhatIf, Access::Admin),
    route("GET", "/api/settings/attestation-policy", Op::AttestationGet, Access::Admin),
    route("PUT", "/api/settings/attestation-policy", Op::AttestationPut, Access::AdminSession),
    route("POST", "/api/settings/attestation-policy/test", Op::AttestationTest, Access::Admin),
    route("GET", "/api/settings/webhooks", Op::WebhooksList, Access::AdminSession),
    route("POST", "/api/settings/webhooks", Op::WebhookCreate, Access::AdminSession),
    route("GET", "/api/settings/webhooks/{id}", Op::WebhookGet, Access::AdminSession),
    route("PATCH", "/api/settings/webhooks/{id}", Op::WebhookUpdate, Access::AdminSession),
    route("DELETE", "/api/settings/webhooks/{id}", Op::WebhookDelete, Access::AdminSession),
    route("POST", "/api/settings/webhooks/{id}/rotate-secret", Op::WebhookRotateSecret, Access::AdminSession),
    route("POST", "/api/settings/webhooks/{id}/test", Op::WebhookTest, Access::AdminSession),
    route("GET", "/api/settings/webhooks/{id}/deliveries", Op::WebhookDeliveries, Access::AdminSession),
    route("GET", "/api/settings/webhooks/{id}/health", Op::WebhookHealth, Access::AdminSession),
    route("POST", "/api/settings/webhooks/{id}/redeliver", Op::WebhookRedeliver, Access::AdminSession),
    route("GET", "/api/settings/saml-providers", Op::SamlProvidersList, Access::Admin),
    route("POST", "/api/settings/saml-providers", Op::SamlProviderCreate, Access::AdminSession),
    route("GET", "/api/settings/saml-providers/{id}", Op::SamlProviderGet, Access::Admin),
    route("PATCH", "/api/settings/saml-providers/{id}", Op::SamlProviderUpdate, Access::AdminSession),
    route("DELETE", "/api/settings/saml-providers/{id}", Op::SamlProviderDelete, Access::AdminSession),
    route("POST", "/api/settings/saml-providers/{id}/test", Op::SamlProviderTestStart, Access::AdminSession),
    route("GET", "/api/settings/saml-providers/{id}/test", Op::SamlProviderTestResult, Access::AdminSession),
    route("GET", "/api/saml/{providerId}/metadata", Op::SamlMetadata, Access::Public),
    route("GET", "/api/saml/{providerId}/login", Op::SamlLogin, Access::Public),
    route("POST", "/api/saml/{providerId}/acs", Op::SamlAcs, Access::Public),
    route("GET", "/api/settings/audit-log", Op::AuditQuery, Access::Admin),
    route("GET", "/api/settings/audit-log/export", Op::AuditExport, Access::Admin),
    route("GET", "/api/settings/audit-log/verify", Op::AuditVerify, Access::Admin),
    route("GET", "/api/settings/audit-log/histogram", Op::AuditHistogram, Access::Admin),
    route("POST", "/api/settings/audit-log/checkpoints", Op::AuditCheckpointCreate, Access::Admin),
    route("GET", "/api/settings/audit-log/checkpoints", Op::AuditCheckpointList, Access::Admin),
    route("POST", "/api/operator/workspaces/{workspaceId}/move", Op::WorkspaceMove, Access::Operator),
];

/// Where the operator routes live; none of them is in `api/openapi.json`.
pub const OPERATOR_PREFIX: &str = "/api/operator/";

/// The routes of the public API document (every route but the operator's).
pub fn public_routes() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(|r| r.access != Access::Operator)
}

/// The outcome of matching a request line against the table.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution<'p> {
    Found(&'static Route, Option<&'p str>),
    /// The path exists with other methods (listed for the `Allow` header).
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

/// Matches one pattern segment list against a path; returns the `{id}` capture if any.
fn capture<'p>(pattern: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    let mut param = None;
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(param),
            (Some(want), Some(got)) if want.starts_with('{') => {
                if got.is_empty() || got.len() > 128 {
                    return None;
                }
                param = Some(got);
            }
            (Some(want), Some(got)) if want == got => {}
            _ => return None,
        }
    }
}

/// Finds the route for `method` and `path` (no query string). A path names one resource: the
/// literal pattern when one matches, else the parameterised one (`/api/me/sessions/heartbeat`
/// is not `/api/me/sessions/{id}`), so `Allow` lists only that resource's methods.
pub fn resolve<'p>(method: &str, path: &'p str) -> Resolution<'p> {
    let mut literal = false;
    let mut found = None;
    let mut allowed = Vec::new();
    for r in ROUTES {
        let Some(param) = capture(r.path, path) else { continue };
        if param.is_none() && !literal {
            // The first literal match: what the parameterised routes offered does not apply.
            literal = true;
            found = None;
            allowed.clear();
        }
        if literal && param.is_some() {
            continue;
        }
        if r.method == method {
            found = found.or(Some((r, param)));
        } else {
            allowed.push(r.method);
        }
    }
    match (found, allowed.is_empty()) {
        (Some((r, param)), _) => Resolution::Found(r, param),
        (None, true) => Resolution::NotFound,
        (None, false) => Resolution::MethodNotAllowed(allowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn document() -> Value {
        serde_json::from_str(include_str!("../api/openapi.json")).expect("openapi.json parses")
    }

    fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
        let mut ops = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths").iter() {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    ops.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        ops
    }

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_routed() {
        let documented = documented_operations(&document());
        let routed: BTreeSet<_> = public_routes().map(|r| (r.method.to_string(), r.path.to_string())).collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(undocumented.is_empty(), "routes missing from api/openapi.json: {undocumented:?}");
        assert!(unrouted.is_empty(), "documented but not routed: {unrouted:?}");
    }

    /// JSON pointers of `type: object` schemas that say nothing about their members.
    fn bare_objects(node: &Value, at: &str, found: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                let described = ["properties", "additionalProperties", "$ref", "allOf", "oneOf", "anyOf", "const"];
                if map.get("type") == Some(&Value::from("object")) && !described.iter().any(|k| map.contains_key(*k)) {
                    found.push(at.to_string());
                }
                for (key, value) in map {
                    bare_objects(value, &format!("{at}/{key}"), found);
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    bare_objects(value, &format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }

    /// Issue 8: every request and response body is described, so contract fuzzing can check it.
    #[test]
    fn every_body_is_described_with_no_bare_objects() {
        let doc = document();
        let mut bare = Vec::new();
        bare_objects(&doc, "", &mut bare);
        assert!(bare.is_empty(), "bare `type: object` schemas: {bare:#?}");
        for (method, path) in documented_operations(&doc) {
            let op = &doc["paths"][&path][method.to_lowercase()];
            for (status, response) in op["responses"].as_object().expect("responses") {
                let bodiless = matches!(status.as_str(), "204" | "302" | "303" | "304" | "308");
                let described = response.get("$ref").is_some()
                    || response["content"].as_object().is_some_and(|c| c.values().all(|m| m.get("schema").is_some()));
                assert!(bodiless || described, "{method} {path} {status} has no body schema");
            }
            if op.get("requestBody").is_some() {
                assert!(op["responses"].get("415").is_some(), "{method} {path} takes a body but does not document 415");
            }
        }
    }

    #[test]
    fn the_documented_step_up_purposes_are_the_closed_set() {
        let doc = document();
        let documented: Vec<&str> = doc["components"]["schemas"]["StepUpPurpose"]["enum"]
            .as_array()
            .expect("StepUpPurpose enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let codes: Vec<&str> = crate::stepup::purposes::Purpose::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(documented, codes);
    }

    #[test]
    fn documented_security_matches_each_routes_access_rule() {
        let doc = document();
        for r in public_routes() {
            let op = &doc["paths"][r.path][r.method.to_lowercase()];
            let schemes: Vec<String> = op["security"]
                .as_array()
                .expect("every operation states its security")
                .iter()
                .flat_map(|req| req.as_object().expect("requirement").keys().cloned())
                .collect();
            assert_eq!(schemes, r.access.schemes(), "{} {}", r.method, r.path);
        }
    }

    /// Operator routes stay out of the public document, under their own prefix.
    #[test]
    fn operator_routes_are_apart() {
        let doc = document();
        for r in ROUTES.iter().filter(|r| r.access == Access::Operator) {
            assert!(r.path.starts_with(OPERATOR_PREFIX), "{}", r.path);
            assert!(doc["paths"].get(r.path).is_none(), "{} is in api/openapi.json", r.path);
        }
        for r in public_routes() {
            assert!(!r.path.starts_with(OPERATOR_PREFIX), "{}", r.path);
        }
        assert!(matches!(
            resolve("POST", "/api/operator/workspaces/ws_demo/move"),
            Resolution::Found(Route { op: Op::WorkspaceMove, .. }, Some("ws_demo"))
        ));
    }

    #[test]
    fn literal_segment_wins_over_parameter() {
        let Resolution::Found(r, None) = resolve("POST", "/api/me/sessions/heartbeat") else {
            panic!("heartbeat not found")
        };
        assert_eq!(r.op, Op::SessionsHeartbeat);
        assert_eq!(
            resolve("DELETE", "/api/me/sessions/sess_1"),
            Resolution::Found(ROUTES.iter().find(|r| r.op == Op::SessionRevoke).unwrap(), Some("sess_1"))
        );
    }

    #[test]
    fn enrolment_sessions_reach_only_enrolment_routes() {
        let allowed: Vec<&str> = ROUTES.iter().filter(|r| r.op.allowed_while_enrolling()).map(|r| r.path).collect();
        assert!(allowed.contains(&"/api/me/totp/confirm") && allowed.contains(&"/api/me/passkeys"));
        for r in ROUTES.iter().filter(|r| r.op.allowed_while_enrolling()) {
            assert!(r.path.starts_with("/api/me") || r.path == "/api/auth/logout", "{} {}", r.method, r.path);
        }
        assert!(!Op::PatCreate.allowed_while_enrolling() && !Op::SessionsList.allowed_while_enrolling());
    }

    #[test]
    fn wrong_method_lists_allowed_methods() {
        assert_eq!(resolve("PUT", "/api/me/tokens"), Resolution::MethodNotAllowed(vec!["GET", "POST"]));
    }

    /// Found by schemathesis (`allow_header_conformance`): a literal path's `Allow` listed the
    /// methods of the `{id}` route beside it.
    #[test]
    fn allow_lists_only_the_literal_resource_methods() {
        assert_eq!(resolve("OPTIONS", "/api/me/sessions/heartbeat"), Resolution::MethodNotAllowed(vec!["POST"]));
        assert_eq!(resolve("GET", "/api/me/passkeys/registration-options"), Resolution::MethodNotAllowed(vec!["POST"]));
        assert_eq!(resolve("GET", "/api/scim/v2/Users/.search"), Resolution::MethodNotAllowed(vec!["POST"]));
        assert!(matches!(resolve("DELETE", "/api/me/sessions/abc"), Resolution::Found(_, Some("abc"))));
    }

    #[test]
    fn unknown_paths_and_empty_params_are_not_found() {
        assert_eq!(resolve("GET", "/api/nope"), Resolution::NotFound);
        assert_eq!(resolve("DELETE", "/api/me/sessions/"), Resolution::NotFound);
        assert_eq!(resolve("GET", "/api/me/sessions/a/b"), Resolution::NotFound);
    }
}
