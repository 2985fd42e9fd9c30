//! Audit action codes: the constants the ledger writes and the webhook event catalog serves.
//!
//! `GET /api/developers/events.json` is generated from `Action::ALL`, so the catalog cannot
//! drift from what the ledger records. Codes are `UPPER_SNAKE`, grouped by prefix so that
//! glob filters such as `ACCOUNT_SESSION_*` select a family.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SigninSucceeded,
    SigninFailed,
    SigninMfaChallenged,
    LockedOut,
    RateLimitTripped,
    SignedOut,
    SessionRevoked,
    SessionsRevokedOthers,
    PatCreated,
    PatRevoked,
    ScimTokenCreated,
    ScimTokenRevoked,
    WorkspaceUpdated,
    WorkspaceMoved,
    UserUpdated,
    UserInvited,
    InvitationRevoked,
    UserJoined,
    PasswordChanged,
    StepUpChallenged,
    StepUpVerified,
    StepUpFailed,
    StepUpTokenUsed,
    StepUpTokenRefused,
    TotpEnrolled,
    BackupCodeUsed,
    PasskeyRegistered,
    PasskeyBlocked,
    PasskeyRenamed,
    PasskeyDeleted,
    PasskeyCounterRegressed,
    AttestationPolicyUpdated,
    NetworkPolicyUpdated,
    NetworkPolicyBlocked,
    NetworkPolicyWouldBlock,
    AuditLogExported,
    AuditCheckpointSigned,
    ScimUserProvisioned,
    ScimUserUpdated,
    ScimUserDeactivated,
    ScimUserReactivated,
    ScimUserDeleted,
    ScimGroupCreated,
    ScimGroupUpdated,
    ScimGroupDeleted,
    ScimRequestRefused,
    SamlProviderCreated,
    SamlProviderUpdated,
    SamlProviderDeleted,
    SamlUserProvisioned,
    SamlProviderTested,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WebhookSecretRotated,
    WebhookCircuitOpened,
    WebhookCircuitClosed,
    WebhookDisabled,
    WebhookRedeliveryRequested,
}

impl Action {
    pub const ALL: [Action; 59] = [
        Self::SigninSucceeded,
        Self::SigninFailed,
        Self::SigninMfaChallenged,
        Self::LockedOut,
        Self::RateLimitTripped,
        Self::SignedOut,
        Self::SessionRevoked,
        Self::SessionsRevokedOthers,
        Self::PatCreated,
        Self::PatRevoked,
        Self::ScimTokenCreated,
        Self::ScimTokenRevoked,
        Self::WorkspaceUpdated,
        Self::WorkspaceMoved,
        Self::UserUpdated,
        Self::UserInvited,
        Self::InvitationRevoked,
        Self::UserJoined,
        Self::PasswordChanged,
        Self::StepUpChallenged,
        Self::StepUpVerified,
        Self::StepUpFailed,
        Self::StepUpTokenUsed,
        Self::StepUpTokenRefused,
        Self::TotpEnrolled,
        Self::BackupCodeUsed,
        Self::PasskeyRegistered,
        Self::PasskeyBlocked,
        Self::PasskeyRenamed,
        Self::PasskeyDeleted,
        Self::PasskeyCounterRegressed,
        Self::AttestationPolicyUpdated,
        Self::NetworkPolicyUpdated,
        Self::NetworkPolicyBlocked,
        Self::NetworkPolicyWouldBlock,
        Self::AuditLogExported,
        Self::AuditCheckpointSigned,
        Self::ScimUserProvisioned,
        Self::ScimUserUpdated,
        Self::ScimUserDeactivated,
        Self::ScimUserReactivated,
        Self::ScimUserDeleted,
        Self::ScimGroupCreated,
        Self::ScimGroupUpdated,
        Self::ScimGroupDeleted,
        Self::ScimRequestRefused,
        Self::SamlProviderCreated,
        Self::SamlProviderUpdated,
        Self::SamlProviderDeleted,
        Self::SamlUserProvisioned,
        Self::SamlProviderTested,
        Self::WebhookCreated,
        Self::WebhookUpdated,
        Self::WebhookDeleted,
        Self::WebhookSecretRotated,
        Self::WebhookCircuitOpened,
        Self::WebhookCircuitClosed,
        Self::WebhookDisabled,
        Self::WebhookRedeliveryRequested,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::SigninSucceeded => "ACCOUNT_SIGNIN_SUCCEEDED",
            Self::SigninFailed => "ACCOUNT_SIGNIN_FAILED",
            Self::SigninMfaChallenged => "ACCOUNT_SIGNIN_MFA_CHALLENGED",
            Self::LockedOut => "ACCOUNT_LOCKED_OUT",
            Self::RateLimitTripped => "ACCOUNT_RATE_LIMIT_TRIPPED",
            Self::SignedOut => "ACCOUNT_SIGNED_OUT",
            Self::SessionRevoked => "ACCOUNT_SESSION_REVOKED",
            Self::SessionsRevokedOthers => "ACCOUNT_SESSIONS_REVOKED_OTHERS",
            Self::PatCreated => "ACCOUNT_PAT_CREATED",
            Self::PatRevoked => "ACCOUNT_PAT_REVOKED",
            Self::ScimTokenCreated => "WORKSPACE_SCIM_TOKEN_CREATED",
            Self::ScimTokenRevoked => "WORKSPACE_SCIM_TOKEN_REVOKED",
            Self::WorkspaceUpdated => "WORKSPACE_SETTINGS_UPDATED",
            Self::WorkspaceMoved => "WORKSPACE_MOVED",
            Self::UserUpdated => "WORKSPACE_USER_UPDATED",
            Self::UserInvited => "WORKSPACE_USER_INVITED",
            Self::InvitationRevoked => "WORKSPACE_INVITATION_REVOKED",
            Self::UserJoined => "WORKSPACE_USER_JOINED",
            Self::PasswordChanged => "ACCOUNT_PASSWORD_CHANGED",
            Self::StepUpChallenged => "ACCOUNT_STEPUP_CHALLENGED",
            Self::StepUpVerified => "ACCOUNT_STEPUP_VERIFIED",
            Self::StepUpFailed => "ACCOUNT_STEPUP_FAILED",
            Self::StepUpTokenUsed => "ACCOUNT_STEPUP_TOKEN_USED",
            Self::StepUpTokenRefused => "ACCOUNT_STEPUP_TOKEN_REFUSED",
            Self::TotpEnrolled => "ACCOUNT_MFA_TOTP_ENROLLED",
            Self::BackupCodeUsed => "ACCOUNT_MFA_BACKUP_CODE_USED",
            Self::PasskeyRegistered => "ACCOUNT_PASSKEY_REGISTERED",
            Self::PasskeyBlocked => "ACCOUNT_PASSKEY_BLOCKED",
            Self::PasskeyRenamed => "ACCOUNT_PASSKEY_RENAMED",
            Self::PasskeyDeleted => "ACCOUNT_PASSKEY_DELETED",
            Self::PasskeyCounterRegressed => "ACCOUNT_PASSKEY_COUNTER_REGRESSED",
            Self::AttestationPolicyUpdated => "WORKSPACE_ATTESTATION_POLICY_UPDATED",
            Self::NetworkPolicyUpdated => "WORKSPACE_NETWORK_POLICY_UPDATED",
            Self::NetworkPolicyBlocked => "WORKSPACE_NETWORK_POLICY_BLOCKED",
            Self::NetworkPolicyWouldBlock => "WORKSPACE_NETWORK_POLICY_WOULD_BLOCK",
            Self::AuditLogExported => "ACCOUNT_AUDIT_LOG_EXPORTED",
            Self::AuditCheckpointSigned => "AUDIT_CHECKPOINT_SIGNED",
            Self::ScimUserProvisioned => "SCIM_USER_PROVISIONED",
            Self::ScimUserUpdated => "SCIM_USER_UPDATED",
            Self::ScimUserDeactivated => "SCIM_USER_DEACTIVATED",
            Self::ScimUserReactivated => "SCIM_USER_REACTIVATED",
            Self::ScimUserDeleted => "SCIM_USER_DELETED",
            Self::ScimGroupCreated => "SCIM_GROUP_CREATED",
            Self::ScimGroupUpdated => "SCIM_GROUP_UPDATED",
            Self::ScimGroupDeleted => "SCIM_GROUP_DELETED",
            Self::ScimRequestRefused => "SCIM_REQUEST_REFUSED",
            Self::SamlProviderCreated => "SAML_PROVIDER_CREATED",
            Self::SamlProviderUpdated => "SAML_PROVIDER_UPDATED",
            Self::SamlProviderDeleted => "SAML_PROVIDER_DELETED",
            Self::SamlUserProvisioned => "SAML_USER_PROVISIONED",
            Self::SamlProviderTested => "SAML_PROVIDER_TESTED",
            Self::WebhookCreated => "WEBHOOK_CREATED",
            Self::WebhookUpdated => "WEBHOOK_UPDATED",
            Self::WebhookDeleted => "WEBHOOK_DELETED",
            Self::WebhookSecretRotated => "WEBHOOK_SECRET_ROTATED",
            Self::WebhookCircuitOpened => "WEBHOOK_CIRCUIT_OPENED",
            Self::WebhookCircuitClosed => "WEBHOOK_CIRCUIT_CLOSED",
            Self::WebhookDisabled => "WEBHOOK_DISABLED",
            Self::WebhookRedeliveryRequested => "WEBHOOK_REDELIVERY_REQUESTED",
        }
    }

    /// What happened, for the catalog.
    pub const fn description(self) -> &'static str {
        match self {
            Self::SigninSucceeded => "A user signed in (`data.method`: password, password+mfa or saml); a session was created.",
            Self::SigninFailed => "A sign-in attempt was refused; `data.code` says why.",
            Self::SigninMfaChallenged => "The password was right; the user was asked for their second factor.",
            Self::LockedOut => "Repeated failures locked the account for `data.lockedForSeconds`.",
            Self::RateLimitTripped => {
                "A sign-in or second-factor rate limit started refusing this account or its address; `data.limit` says which (one row per trip, not per refused attempt)."
            }
            Self::SignedOut => "A user signed out; the session was revoked.",
            Self::SessionRevoked => "A session was revoked from the sessions list.",
            Self::SessionsRevokedOthers => "A user revoked every session but the current one.",
            Self::PatCreated => "A personal access token was minted (the secret is never logged).",
            Self::PatRevoked => "A personal access token was revoked.",
            Self::ScimTokenCreated => "A SCIM provisioning token was minted.",
            Self::ScimTokenRevoked => "A SCIM provisioning token was revoked.",
            Self::WorkspaceUpdated => "Workspace sign-in settings changed; `data` holds before/after.",
            Self::WorkspaceMoved => {
                "An operator moved the workspace to another storage shard (`data.fromShard`, `data.toShard`); its ledger was verified on both sides, and every credential keeps working."
            }
            Self::UserUpdated => "An admin changed a user's role or status; `data` holds before/after.",
            Self::UserInvited => "An admin invited an email to the workspace with a role.",
            Self::InvitationRevoked => "An admin withdrew a pending invitation.",
            Self::UserJoined => "An invitee accepted an invitation and became a user.",
            Self::PasswordChanged => "A user changed their password; their other sessions were revoked.",
            Self::StepUpChallenged => "A step-up ceremony began for `data.purpose`.",
            Self::StepUpVerified => "A step-up ceremony succeeded; a single-use token was issued.",
            Self::StepUpFailed => "A step-up ceremony failed; `data.code` says why.",
            Self::StepUpTokenUsed => "A step-up token was spent on a protected action.",
            Self::StepUpTokenRefused => "A protected action was refused: missing, expired or reused step-up token.",
            Self::TotpEnrolled => "An authenticator app was enrolled and backup codes issued.",
            Self::BackupCodeUsed => "A one-time backup code was used.",
            Self::PasskeyRegistered => "A passkey or security key was enrolled.",
            Self::PasskeyBlocked => "An enrolment was refused by the attestation policy.",
            Self::PasskeyRenamed => "A passkey's nickname changed.",
            Self::PasskeyDeleted => "A passkey was removed.",
            Self::PasskeyCounterRegressed => {
                "An assertion's signature counter went backwards (possible cloned key); recorded, not fatal."
            }
            Self::AttestationPolicyUpdated => "The attestation policy changed; `data` holds before/after.",
            Self::NetworkPolicyUpdated => {
                "The network policy changed; `data.diff` lists changed fields and added, removed and changed rules (up to 50 each, exact counts)."
            }
            Self::NetworkPolicyBlocked => {
                "A request was refused by the network policy (one row per address, rule and surface every 10 minutes)."
            }
            Self::NetworkPolicyWouldBlock => {
                "Monitor-only mode: a request the policy would have refused was let through."
            }
            Self::AuditLogExported => "The audit log was exported; `data` holds the format and filters.",
            Self::AuditCheckpointSigned => {
                "The chain head was signed (Ed25519); `data` is the signed checkpoint, verifiable offline with the keys at /api/developers/audit-keys.json."
            }
            Self::ScimUserProvisioned => "An identity provider created a user over SCIM.",
            Self::ScimUserUpdated => "An identity provider changed a user over SCIM (PUT or PATCH, one row per request).",
            Self::ScimUserDeactivated => "SCIM set `active` to false: the user's sessions and personal access tokens were revoked.",
            Self::ScimUserReactivated => "SCIM set `active` back to true.",
            Self::ScimUserDeleted => "SCIM deleted a user and what only they owned.",
            Self::ScimGroupCreated => "An identity provider pushed a new group.",
            Self::ScimGroupUpdated => "A group's name or members changed over SCIM.",
            Self::ScimGroupDeleted => "A group was deleted over SCIM.",
            Self::ScimRequestRefused => {
                "A SCIM write (POST, PUT, PATCH or DELETE of a user or group, or Bulk) was refused: its method, path, status and error code. Reads are not recorded."
            }
            Self::SamlProviderCreated => "A SAML identity provider was configured.",
            Self::SamlProviderUpdated => "A SAML identity provider's settings changed; `data.changed` lists the fields.",
            Self::SamlProviderDeleted => "A SAML identity provider was removed.",
            Self::SamlUserProvisioned => "A SAML sign-in created the user just in time (the provider allows JIT provisioning).",
            Self::SamlProviderTested => "An admin's test sign-in through a SAML identity provider finished: `data.ok`, and `data.check` when a check failed. No session was opened and no user provisioned.",
            Self::WebhookCreated => "A webhook subscription was created (its secret is never logged).",
            Self::WebhookUpdated => "A webhook subscription was changed (URL, filters, name, threshold, enabled); `data.before`/`data.after` hold what changed.",
            Self::WebhookDeleted => "A webhook subscription was deleted with its outbox and delivery log.",
            Self::WebhookSecretRotated => "A webhook signing secret was rotated; the old one also signs until `data.previousValidUntil`.",
            Self::WebhookCircuitOpened => "A webhook endpoint failed `data.consecutiveFailures` times in a row: its circuit opened and new deliveries are parked.",
            Self::WebhookCircuitClosed => "An admin enabled a webhook endpoint whose circuit was open: it closed and `data.drained` parked deliveries are being sent in order.",
            Self::WebhookDisabled => "A webhook endpoint answered 410 Gone and was disabled.",
            Self::WebhookRedeliveryRequested => "An admin asked for deliveries to be sent again (one message, or every failed one since a time).",
        }
    }

    /// The resource type the action is about.
    pub const fn resource_type(self) -> &'static str {
        match self {
            Self::SigninSucceeded
            | Self::SigninFailed
            | Self::SigninMfaChallenged
            | Self::LockedOut
            | Self::RateLimitTripped
            | Self::UserUpdated
            | Self::UserJoined
            | Self::PasswordChanged => "user",
            Self::UserInvited | Self::InvitationRevoked => "invitation",
            Self::TotpEnrolled | Self::BackupCodeUsed => "user",
            Self::StepUpChallenged
            | Self::StepUpVerified
            | Self::StepUpFailed
            | Self::StepUpTokenUsed
            | Self::StepUpTokenRefused => "step_up",
            Self::PasskeyRegistered
            | Self::PasskeyBlocked
            | Self::PasskeyRenamed
            | Self::PasskeyDeleted
            | Self::PasskeyCounterRegressed => "passkey",
            Self::AttestationPolicyUpdated => "attestation_policy",
            Self::NetworkPolicyUpdated | Self::NetworkPolicyBlocked | Self::NetworkPolicyWouldBlock => "network_policy",
            Self::SignedOut | Self::SessionRevoked | Self::SessionsRevokedOthers => "session",
            Self::PatCreated | Self::PatRevoked => "pat",
            Self::ScimTokenCreated | Self::ScimTokenRevoked => "scim_token",
            Self::WorkspaceUpdated | Self::WorkspaceMoved => "workspace",
            Self::AuditLogExported => "audit_log",
            Self::AuditCheckpointSigned => "audit_checkpoint",
            Self::ScimUserProvisioned
            | Self::ScimUserUpdated
            | Self::ScimUserDeactivated
            | Self::ScimUserReactivated
            | Self::ScimUserDeleted => "user",
            Self::ScimGroupCreated | Self::ScimGroupUpdated | Self::ScimGroupDeleted => "group",
            Self::ScimRequestRefused => "scim_request",
            Self::SamlProviderCreated
            | Self::SamlProviderUpdated
            | Self::SamlProviderDeleted
            | Self::SamlProviderTested => "saml_provider",
            Self::SamlUserProvisioned => "user",
            Self::WebhookCreated
            | Self::WebhookUpdated
            | Self::WebhookDeleted
            | Self::WebhookSecretRotated
            | Self::WebhookCircuitOpened
            | Self::WebhookCircuitClosed
            | Self::WebhookDisabled
            | Self::WebhookRedeliveryRequested => "webhook",
        }
    }

    /// A representative `data` payload.
    pub fn example_data(self) -> Value {
        match self {
            Self::SigninSucceeded => json!({"sessionId": "sess_3f9c2a", "method": "password"}),
            Self::SigninFailed => json!({"code": "INVALID_CREDENTIALS", "email": "alice@example.com"}),
            Self::SigninMfaChallenged => json!({"factors": ["webauthn", "totp"]}),
            Self::LockedOut => json!({"failedAttempts": 5, "lockedForSeconds": 900}),
            Self::RateLimitTripped => {
                json!({"limit": "SIGN_IN_PER_IP", "retryAfterSeconds": 2, "capacity": 30, "perMinute": 30})
            }
            Self::SignedOut | Self::SessionRevoked => json!({"sessionId": "sess_3f9c2a"}),
            Self::SessionsRevokedOthers => json!({"revoked": 3, "kept": "sess_3f9c2a"}),
            Self::PatCreated | Self::ScimTokenCreated => {
                json!({"tokenId": "0a1b2c3d4e5f", "name": "CI deploys", "expiresAt": null})
            }
            Self::PatRevoked | Self::ScimTokenRevoked => json!({"tokenId": "0a1b2c3d4e5f"}),
            Self::WorkspaceUpdated => {
                json!({"before": {"mfaRequired": false}, "after": {"mfaRequired": true}})
            }
            Self::WorkspaceMoved => json!({
                "fromShard": 0, "toShard": 2, "rows": 10250, "ledgerHeadSeq": 10012,
                "ledgerHeadHash": "9f2c5e0b7a1d4c3e8f6a2b9d0c1e7f4a5b3d2c1e0f9a8b7c6d5e4f3a2b1c0d9e"
            }),
            Self::UserUpdated => json!({"before": {"status": "active"}, "after": {"status": "disabled"}}),
            Self::UserInvited => json!({"invitationId": "inv_5d1e", "email": "new.hire@example.com", "role": "member"}),
            Self::InvitationRevoked => json!({"invitationId": "inv_5d1e", "email": "new.hire@example.com"}),
            Self::UserJoined => json!({"invitationId": "inv_5d1e", "role": "member"}),
            Self::PasswordChanged => json!({"revokedSessions": 2}),
            Self::StepUpChallenged => json!({"purpose": "PAYROLL_SEAL", "factors": ["webauthn"]}),
            Self::StepUpVerified => {
                json!({"purpose": "PAYROLL_SEAL", "factor": "webauthn", "expiresAt": "2026-06-09T07:58:42.626Z"})
            }
            Self::StepUpFailed => {
                json!({"purpose": "PAYROLL_SEAL", "factor": "totp", "code": "PHISHING_RESISTANT_REQUIRED"})
            }
            Self::StepUpTokenUsed => json!({"purpose": "PAYROLL_SEAL"}),
            Self::StepUpTokenRefused => json!({"purpose": "PAYROLL_SEAL", "code": "STEP_UP_REUSED"}),
            Self::TotpEnrolled => json!({"backupCodes": 10}),
            Self::BackupCodeUsed => json!({"remaining": 9}),
            Self::PasskeyRegistered => {
                json!({"aaguid": "ee882879-721c-4913-9775-3dfcce97072a", "attestation": "packed", "backupEligible": false})
            }
            Self::PasskeyBlocked => json!({"aaguid": "ee882879-721c-4913-9775-3dfcce97072a", "rule": "deny_list"}),
            Self::PasskeyRenamed => json!({"nickname": "Work laptop"}),
            Self::PasskeyDeleted => json!({"aaguid": "ee882879-721c-4913-9775-3dfcce97072a"}),
            Self::PasskeyCounterRegressed => json!({"stored": 12, "received": 3}),
            Self::AttestationPolicyUpdated => json!({"before": {"mode": "any"}, "after": {"mode": "deny_list"}}),
            Self::NetworkPolicyUpdated => json!({
                "diff": {
                    "changed": {"mode": {"before": "off", "after": "allowlist"}},
                    "rules": {
                        "count": {"before": 0, "after": 1, "added": 1, "removed": 0, "changed": 0},
                        "added": [{"id": "office", "cidr": "198.51.100.0/24", "label": "Office"}],
                        "removed": [], "changed": [], "truncated": false
                    }
                },
                "lockoutAcknowledged": false
            }),
            Self::NetworkPolicyBlocked => {
                json!({"surface": "API", "matchedRule": null, "reason": "not in the allowlist"})
            }
            Self::NetworkPolicyWouldBlock => {
                json!({"surface": "DASHBOARD", "matchedRule": null, "reason": "not in the allowlist"})
            }
            Self::AuditLogExported => json!({"format": "csv", "rows": 1200, "filters": {"action": "ACCOUNT_*"}}),
            Self::AuditCheckpointSigned => {
                json!({"type": "axissynapse.audit.checkpoint.v1", "workspaceId": "ws_3f9c2a7b1d0e4c6a8b52", "seq": 1834,
                "hash": "9c1b0d5e3f7a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1b", "time": "2026-12-07T14:00:00.000Z",
                "kid": "audit-2026-12", "sig": "base64url Ed25519 signature", "trigger": "cron"})
            }
            Self::ScimUserProvisioned => {
                json!({"userName": "alice@example.com", "externalId": "00u1abc", "active": true, "passwordSet": false})
            }
            Self::ScimUserUpdated => json!({"userName": "alice@example.com", "passwordChanged": false, "version": 4}),
            Self::ScimUserDeactivated => {
                json!({"userName": "alice@example.com", "passwordChanged": false, "version": 5})
            }
            Self::ScimUserReactivated => {
                json!({"userName": "alice@example.com", "passwordChanged": false, "version": 6})
            }
            Self::ScimUserDeleted => json!({"userName": "alice@example.com"}),
            Self::ScimGroupCreated => json!({"displayName": "Engineering", "members": 12}),
            Self::ScimGroupUpdated => json!({"displayName": "Engineering", "membersAdded": 1, "membersRemoved": 0}),
            Self::ScimGroupDeleted => json!({"displayName": "Engineering"}),
            Self::ScimRequestRefused => json!({
                "method": "POST", "path": "/Users", "status": 409, "code": "SCIM_UNIQUENESS",
                "reason": "userName is already taken in this workspace"
            }),
            Self::SamlProviderCreated => {
                json!({"providerId": "samlp_3f9c", "name": "Okta", "idpEntityId": "http://www.okta.com/exk1", "ssoUrl": "https://acme.okta.com/app/acme/exk1/sso/saml"})
            }
            Self::SamlProviderUpdated => {
                json!({"providerId": "samlp_3f9c", "name": "Okta", "changed": ["certificates"]})
            }
            Self::SamlProviderDeleted => json!({"providerId": "samlp_3f9c", "name": "Okta"}),
            Self::SamlUserProvisioned => {
                json!({"providerId": "samlp_3f9c", "email": "new.hire@example.com", "nameId": "new.hire@example.com"})
            }
            Self::SamlProviderTested => {
                json!({"providerId": "samlp_3f9c", "name": "Okta", "testId": "samlt_9a1e", "ok": false, "check": "audience_mismatch"})
            }
            Self::WebhookCreated => {
                json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "url": "https://hooks.example.com/axis", "eventFilters": ["*"]})
            }
            Self::WebhookUpdated => {
                json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "before": {"enabled": false}, "after": {"enabled": true}})
            }
            Self::WebhookDeleted => json!({"subscriptionId": "wh_3f9c", "name": "SIEM"}),
            Self::WebhookSecretRotated => {
                json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "previousValidUntil": "2026-06-10T07:53:42.626Z"})
            }
            Self::WebhookCircuitOpened => {
                json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "consecutiveFailures": 5})
            }
            Self::WebhookCircuitClosed => json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "drained": 12}),
            Self::WebhookDisabled => {
                json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "reason": "gone", "responseStatus": 410})
            }
            Self::WebhookRedeliveryRequested => json!({"subscriptionId": "wh_3f9c", "name": "SIEM", "messages": 3}),
        }
    }
}

/// The webhook event catalog served at `/api/developers/events.json`.
pub fn catalog() -> Value {
    let events: Vec<Value> = Action::ALL
        .iter()
        .map(|a| {
            json!({
                "type": a.code(),
                "description": a.description(),
                "resourceType": a.resource_type(),
                "example": {
                    "type": a.code(),
                    "id": "evt_01j9z3k4m5n6p7q8",
                    "timestamp": "2026-06-09T07:53:42.626Z",
                    "workspaceId": "ws_demo",
                    "data": a.example_data(),
                },
            })
        })
        .collect();
    json!({ "version": 1, "events": events })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_upper_snake() {
        let codes: std::collections::BTreeSet<_> = Action::ALL.iter().map(|a| a.code()).collect();
        assert_eq!(codes.len(), Action::ALL.len());
        for code in codes {
            assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{code}");
        }
    }

    #[test]
    fn catalog_lists_every_action_with_an_example() {
        let catalog = catalog();
        let events = catalog["events"].as_array().expect("events");
        assert_eq!(events.len(), Action::ALL.len());
        for (event, action) in events.iter().zip(Action::ALL) {
            assert_eq!(event["type"], action.code());
            assert!(event["example"]["data"].is_object());
        }
    }
}
