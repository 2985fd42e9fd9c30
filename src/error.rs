//! The one error contract: every wire error code, its HTTP status and its meaning.
//!
//! `api/error-codes.md` is the published table; `ErrorCode::status` is the only place a status
//! is chosen, and a test checks every variant against that table (code, status, and that no
//! row is missing on either side). Every error body is the envelope
//! `{"error": <human text>, "code": <stable code>, "reason"?: <detail>}`.

use serde_json::{json, Map, Value};

/// A stable, machine-readable error code. The doc line on each variant is what the code means;
/// `api/error-codes.md` carries the remediation text shown to integrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // --- Authentication --------------------------------------------------------------------
    /// The caller's email is not provisioned as a user of any active workspace.
    NotProvisioned,
    /// The workspace is password-only; SSO sign-in is refused.
    SsoNotAllowed,
    /// The user account is disabled.
    AccountDisabled,
    /// The workspace is suspended or cancelled.
    WorkspaceInactive,
    /// Wrong email/password combination.
    InvalidCredentials,
    /// Too many failed sign-ins: the account is locked for a while (`Retry-After`).
    AccountLocked,
    /// The workspace is SSO-only; password sign-in is refused.
    SsoRequired,
    /// A new password does not meet the password policy.
    WeakPassword,
    // --- Sessions and credentials -----------------------------------------------------------
    /// The session was revoked (by the user, an admin, or deprovisioning).
    SessionRevoked,
    /// The session outlived its maximum lifetime.
    SessionExpired,
    /// The bearer token was revoked.
    TokenRevoked,
    /// The bearer token is past its expiry.
    TokenExpired,
    /// A cookie-authenticated write carried no proof that it came from this site: no allowed
    /// `Origin`, no `Sec-Fetch-Site: same-origin`, no `X-AxisSynapse-Request` header.
    CsrfCheckFailed,
    // --- Multi-factor and step-up -----------------------------------------------------------
    /// The workspace requires a second factor and the caller has not enrolled one.
    MfaRequired,
    /// The action needs a fresh step-up proof; the body names the `purpose`.
    StepUpRequired,
    /// The step-up token was already spent.
    StepUpReused,
    /// The action needs a phishing-resistant factor (passkey or hardware key).
    PhishingResistantRequired,
    /// The step-up purpose is not one of the closed set.
    UnknownPurpose,
    /// The user has no enrolled factor that this purpose accepts.
    NoFactorAvailable,
    /// The TOTP or backup code is wrong.
    InvalidMfaCode,
    /// The TOTP code's time step was already used.
    MfaCodeReused,
    /// The WebAuthn response failed verification (reason says which check).
    WebauthnVerificationFailed,
    /// No pending ceremony challenge (never issued, already used, or expired).
    ChallengeExpired,
    // --- SCIM provisioning ------------------------------------------------------------------
    /// The SCIM filter expression could not be parsed.
    InvalidFilter,
    /// The SCIM user id does not exist in this workspace.
    UserNotFound,
    /// A request tried to change a read-only attribute.
    MutabilityViolation,
    /// A PATCH path names no attribute this server stores, or is malformed; or a Bulk
    /// operation's path names no endpoint.
    ScimInvalidPath,
    /// A PATCH path or filter matched nothing to change (or `remove` had no path).
    ScimNoTarget,
    /// A value has the wrong type, is missing where required, or breaks a limit.
    ScimInvalidValue,
    /// The request body is not a valid SCIM message (schemas, Operations, shape).
    ScimInvalidSyntax,
    /// The filter cannot be answered from the indexes and would scan too many resources.
    ScimTooMany,
    /// userName (users) or displayName (groups) is already taken in this workspace.
    ScimUniqueness,
    /// `If-Match` (or a bulk operation's `version`) names a version the resource is no longer
    /// at; nothing was written.
    ScimPreconditionFailed,
    /// The SCIM group id does not exist in this workspace.
    GroupNotFound,
    /// The operation exists in SCIM but this server does not implement it.
    NotImplemented,
    /// A SCIM Bulk request has more than maxOperations operations or a body over maxPayloadSize.
    ScimBulkTooLarge,
    /// A Bulk operation's bulkId references form a cycle, which this server does not break.
    ScimBulkCircularReference,
    /// A Bulk operation references (bulkId) a POST of the same request that failed or did not run.
    ScimBulkDependencyFailed,
    // --- SAML single sign-on -----------------------------------------------------------------
    /// No enabled SAML identity provider has this id.
    SamlNotConfigured,
    /// The SAML Response is malformed or breaks a structural rule (one assertion, signatures only where allowed, no DTD, size limits); `check` names the rule.
    InvalidSamlResponse,
    /// The Response or Assertion is unsigned, its signature breaks the XML-DSig profile (e.g. the signed ID is carried by two elements), its digest does not match, it uses a refused algorithm (SHA-1), or it does not verify with the configured IdP certificates.
    SamlSignatureInvalid,
    /// The assertion is outside its validity window (Conditions or SubjectConfirmationData), beyond the allowed clock skew.
    SamlExpired,
    /// This assertion ID was already used to sign in.
    SamlReplayed,
    /// The assertion is not addressed to this service provider (AudienceRestriction lacks our entity ID).
    SamlAudienceMismatch,
    /// The Response Destination or the bearer Recipient is not this provider's ACS URL.
    SamlDestinationMismatch,
    /// InResponseTo names no pending AuthnRequest of ours (unknown, already used or older than 10 minutes), or the response is unsolicited.
    SamlInResponseToInvalid,
    /// The Response or Assertion Issuer is not the configured IdP entity ID.
    SamlIssuerMismatch,
    /// The Response carries an EncryptedAssertion; this service provider does not decrypt assertions.
    SamlEncryptedAssertionUnsupported,
    /// The IdP answered with a non-Success StatusCode (e.g. Responder, AuthnFailed, RequestDenied).
    SamlStatusNotSuccess,
    /// relayState is not a same-origin relative path (open-redirect protection).
    SamlRelayStateInvalid,
    /// An IdP certificate is not an X.509 certificate with an RSA (2048–4096 bit) or P-256 key, or the count is not one or two.
    SamlCertificateInvalid,
    /// The pasted IdP metadata is not SAML 2.0 metadata with an IDPSSODescriptor, a SingleSignOnService and a signing certificate (DTDs are refused).
    SamlMetadataInvalid,
    // --- Event webhooks ---------------------------------------------------------------------
    /// The webhook endpoint's circuit breaker is open.
    CircuitOpen,
    /// A test delivery's signature was not accepted by the receiver.
    SignatureFailed,
    /// The webhook subscription does not exist in this workspace.
    WebhookNotFound,
    /// No delivery with that message id exists for this subscription.
    WebhookMessageNotFound,
    /// The receiver URL is not an absolute URL this server will call (malformed, too long, ambiguous host, or a fragment).
    WebhookUrlInvalid,
    /// The receiver URL does not use https (plain http is only allowed for a loopback receiver when the development setting is on).
    WebhookUrlInsecure,
    /// The receiver URL carries credentials (`user:password@`).
    WebhookUrlCredentials,
    /// The receiver URL points at a private, loopback, link-local or reserved address, or a local-only name.
    WebhookUrlPrivate,
    /// An event filter is not a valid glob (only A-Z, 0-9, _ and *; 1 to 100 characters; 1 to 50 filters).
    WebhookFilterInvalid,
    /// An event filter matches no event in the catalog, so it would never deliver anything.
    WebhookFilterUnmatched,
    /// Another webhook subscription in this workspace already has that name.
    WebhookNameTaken,
    /// The test delivery got no HTTP answer: the connection failed or the receiver took longer than 15 s.
    WebhookReceiverUnreachable,
    // --- Network policy ---------------------------------------------------------------------
    /// The source IP is denied by the workspace network policy.
    IpBlocked,
    /// A network-policy change would block the caller's own current address.
    NetworkPolicyLockout,
    // --- Attestation policy -----------------------------------------------------------------
    /// The authenticator's attestation is not allowed by the workspace policy.
    AttestationBlocked,
    // --- Generic ----------------------------------------------------------------------------
    /// The caller is not authenticated.
    Unauthorized,
    /// The caller is authenticated but lacks permission.
    Forbidden,
    /// The resource does not exist or is not visible to the caller.
    NotFound,
    /// The request body or parameters failed validation.
    ValidationError,
    /// Too many requests in the current window (`Retry-After`).
    RateLimited,
    /// The request body is not well-formed JSON.
    InvalidJson,
    /// The request body's content type is not one the endpoint accepts.
    UnsupportedMediaType,
    /// The request body exceeds the endpoint's size limit.
    PayloadTooLarge,
    /// The route exists but not for this HTTP method (`Allow` lists the methods).
    MethodNotAllowed,
    /// The change conflicts with the current state (e.g. a duplicate name).
    Conflict,
    /// The workspace is moving to another storage shard: writes pause for the switch
    /// (`Retry-After`); reads keep working.
    WorkspaceMoving,
    /// No audit signing key is configured (`AUDIT_SIGNING_KEY`), or none is valid now: checkpoints
    /// cannot be signed.
    AuditSigningNotConfigured,
    /// An unexpected server fault; the body carries a request id for support.
    InternalError,
}

impl ErrorCode {
    /// Every code, in table order.
    pub const ALL: [ErrorCode; 80] = [
        Self::NotProvisioned,
        Self::SsoNotAllowed,
        Self::AccountDisabled,
        Self::WorkspaceInactive,
        Self::InvalidCredentials,
        Self::AccountLocked,
        Self::SsoRequired,
        Self::WeakPassword,
        Self::SessionRevoked,
        Self::SessionExpired,
        Self::TokenRevoked,
        Self::TokenExpired,
        Self::CsrfCheckFailed,
        Self::MfaRequired,
        Self::StepUpRequired,
        Self::StepUpReused,
        Self::PhishingResistantRequired,
        Self::UnknownPurpose,
        Self::NoFactorAvailable,
        Self::InvalidMfaCode,
        Self::MfaCodeReused,
        Self::WebauthnVerificationFailed,
        Self::ChallengeExpired,
        Self::InvalidFilter,
        Self::UserNotFound,
        Self::MutabilityViolation,
        Self::ScimInvalidPath,
        Self::ScimNoTarget,
        Self::ScimInvalidValue,
        Self::ScimInvalidSyntax,
        Self::ScimTooMany,
        Self::ScimUniqueness,
        Self::ScimPreconditionFailed,
        Self::GroupNotFound,
        Self::NotImplemented,
        Self::ScimBulkTooLarge,
        Self::ScimBulkCircularReference,
        Self::ScimBulkDependencyFailed,
        Self::SamlNotConfigured,
        Self::InvalidSamlResponse,
        Self::SamlSignatureInvalid,
        Self::SamlExpired,
        Self::SamlReplayed,
        Self::SamlAudienceMismatch,
        Self::SamlDestinationMismatch,
        Self::SamlInResponseToInvalid,
        Self::SamlIssuerMismatch,
        Self::SamlEncryptedAssertionUnsupported,
        Self::SamlStatusNotSuccess,
        Self::SamlRelayStateInvalid,
        Self::SamlCertificateInvalid,
        Self::SamlMetadataInvalid,
        Self::CircuitOpen,
        Self::SignatureFailed,
        Self::WebhookNotFound,
        Self::WebhookMessageNotFound,
        Self::WebhookUrlInvalid,
        Self::WebhookUrlInsecure,
        Self::WebhookUrlCredentials,
        Self::WebhookUrlPrivate,
        Self::WebhookFilterInvalid,
        Self::WebhookFilterUnmatched,
        Self::WebhookNameTaken,
        Self::WebhookReceiverUnreachable,
        Self::IpBlocked,
        Self::NetworkPolicyLockout,
        Self::AttestationBlocked,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::ValidationError,
        Self::RateLimited,
        Self::InvalidJson,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::WorkspaceMoving,
        Self::AuditSigningNotConfigured,
        Self::InternalError,
    ];

    /// The HTTP status for this code: the single place a status is chosen.
    pub const fn status(self) -> u16 {
        match self {
            Self::NotProvisioned
            | Self::SsoNotAllowed
            | Self::AccountDisabled
            | Self::WorkspaceInactive
            | Self::InvalidCredentials
            | Self::SsoRequired
            | Self::SessionRevoked
            | Self::SessionExpired
            | Self::TokenRevoked
            | Self::TokenExpired
            | Self::MfaRequired
            | Self::StepUpRequired
            | Self::StepUpReused
            | Self::PhishingResistantRequired
            | Self::InvalidMfaCode
            | Self::MfaCodeReused
            | Self::Unauthorized => 401,
            Self::InvalidFilter
            | Self::MutabilityViolation
            | Self::ScimInvalidPath
            | Self::ScimNoTarget
            | Self::ScimInvalidValue
            | Self::ScimInvalidSyntax
            | Self::ScimTooMany
            | Self::SignatureFailed
            | Self::InvalidSamlResponse
            | Self::SamlSignatureInvalid
            | Self::SamlExpired
            | Self::SamlReplayed
            | Self::SamlAudienceMismatch
            | Self::SamlDestinationMismatch
            | Self::SamlInResponseToInvalid
            | Self::SamlIssuerMismatch
            | Self::SamlEncryptedAssertionUnsupported
            | Self::SamlStatusNotSuccess
            | Self::SamlRelayStateInvalid
            | Self::SamlCertificateInvalid
            | Self::SamlMetadataInvalid
            | Self::WebhookUrlInvalid
            | Self::WebhookUrlInsecure
            | Self::WebhookUrlCredentials
            | Self::WebhookUrlPrivate
            | Self::WebhookFilterInvalid
            | Self::WebhookFilterUnmatched
            | Self::ValidationError
            | Self::WeakPassword
            | Self::UnknownPurpose
            | Self::WebauthnVerificationFailed
            | Self::ChallengeExpired
            | Self::InvalidJson => 400,
            Self::IpBlocked
            | Self::AttestationBlocked
            | Self::NoFactorAvailable
            | Self::CsrfCheckFailed
            | Self::Forbidden => 403,
            Self::UserNotFound
            | Self::GroupNotFound
            | Self::WebhookNotFound
            | Self::SamlNotConfigured
            | Self::WebhookMessageNotFound
            | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict
            | Self::NetworkPolicyLockout
            | Self::ScimUniqueness
            | Self::WebhookNameTaken
            | Self::ScimBulkCircularReference
            | Self::ScimBulkDependencyFailed => 409,
            Self::ScimPreconditionFailed => 412,
            Self::PayloadTooLarge | Self::ScimBulkTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::AccountLocked | Self::RateLimited => 429,
            Self::InternalError => 500,
            Self::NotImplemented => 501,
            Self::WebhookReceiverUnreachable => 502,
            Self::CircuitOpen | Self::WorkspaceMoving | Self::AuditSigningNotConfigured => 503,
        }
    }

    /// The stable wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotProvisioned => "NOT_PROVISIONED",
            Self::SsoNotAllowed => "SSO_NOT_ALLOWED",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::WorkspaceInactive => "WORKSPACE_INACTIVE",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::AccountLocked => "ACCOUNT_LOCKED",
            Self::SsoRequired => "SSO_REQUIRED",
            Self::WeakPassword => "WEAK_PASSWORD",
            Self::SessionRevoked => "SESSION_REVOKED",
            Self::SessionExpired => "SESSION_EXPIRED",
            Self::TokenRevoked => "TOKEN_REVOKED",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::CsrfCheckFailed => "CSRF_CHECK_FAILED",
            Self::MfaRequired => "MFA_REQUIRED",
            Self::StepUpRequired => "STEP_UP_REQUIRED",
            Self::StepUpReused => "STEP_UP_REUSED",
            Self::PhishingResistantRequired => "PHISHING_RESISTANT_REQUIRED",
            Self::UnknownPurpose => "UNKNOWN_PURPOSE",
            Self::NoFactorAvailable => "NO_FACTOR_AVAILABLE",
            Self::InvalidMfaCode => "INVALID_MFA_CODE",
            Self::MfaCodeReused => "MFA_CODE_REUSED",
            Self::WebauthnVerificationFailed => "WEBAUTHN_VERIFICATION_FAILED",
            Self::ChallengeExpired => "CHALLENGE_EXPIRED",
            Self::InvalidFilter => "INVALID_FILTER",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::MutabilityViolation => "MUTABILITY_VIOLATION",
            Self::ScimInvalidPath => "SCIM_INVALID_PATH",
            Self::ScimNoTarget => "SCIM_NO_TARGET",
            Self::ScimInvalidValue => "SCIM_INVALID_VALUE",
            Self::ScimInvalidSyntax => "SCIM_INVALID_SYNTAX",
            Self::ScimTooMany => "SCIM_TOO_MANY",
            Self::ScimUniqueness => "SCIM_UNIQUENESS",
            Self::ScimPreconditionFailed => "SCIM_PRECONDITION_FAILED",
            Self::GroupNotFound => "GROUP_NOT_FOUND",
            Self::NotImplemented => "NOT_IMPLEMENTED",
            Self::ScimBulkTooLarge => "SCIM_BULK_TOO_LARGE",
            Self::ScimBulkCircularReference => "SCIM_BULK_CIRCULAR_REFERENCE",
            Self::ScimBulkDependencyFailed => "SCIM_BULK_DEPENDENCY_FAILED",
            Self::SamlNotConfigured => "SAML_NOT_CONFIGURED",
            Self::InvalidSamlResponse => "INVALID_SAML_RESPONSE",
            Self::SamlSignatureInvalid => "SAML_SIGNATURE_INVALID",
            Self::SamlExpired => "SAML_EXPIRED",
            Self::SamlReplayed => "SAML_REPLAYED",
            Self::SamlAudienceMismatch => "SAML_AUDIENCE_MISMATCH",
            Self::SamlDestinationMismatch => "SAML_DESTINATION_MISMATCH",
            Self::SamlInResponseToInvalid => "SAML_IN_RESPONSE_TO_INVALID",
            Self::SamlIssuerMismatch => "SAML_ISSUER_MISMATCH",
            Self::SamlEncryptedAssertionUnsupported => "SAML_ENCRYPTED_ASSERTION_UNSUPPORTED",
            Self::SamlStatusNotSuccess => "SAML_STATUS_NOT_SUCCESS",
            Self::SamlRelayStateInvalid => "SAML_RELAY_STATE_INVALID",
            Self::SamlCertificateInvalid => "SAML_CERTIFICATE_INVALID",
            Self::SamlMetadataInvalid => "SAML_METADATA_INVALID",
            Self::CircuitOpen => "CIRCUIT_OPEN",
            Self::SignatureFailed => "SIGNATURE_FAILED",
            Self::WebhookNotFound => "WEBHOOK_NOT_FOUND",
            Self::WebhookMessageNotFound => "WEBHOOK_MESSAGE_NOT_FOUND",
            Self::WebhookUrlInvalid => "WEBHOOK_URL_INVALID",
            Self::WebhookUrlInsecure => "WEBHOOK_URL_INSECURE",
            Self::WebhookUrlCredentials => "WEBHOOK_URL_CREDENTIALS",
            Self::WebhookUrlPrivate => "WEBHOOK_URL_PRIVATE",
            Self::WebhookFilterInvalid => "WEBHOOK_FILTER_INVALID",
            Self::WebhookFilterUnmatched => "WEBHOOK_FILTER_UNMATCHED",
            Self::WebhookNameTaken => "WEBHOOK_NAME_TAKEN",
            Self::WebhookReceiverUnreachable => "WEBHOOK_RECEIVER_UNREACHABLE",
            Self::IpBlocked => "IP_BLOCKED",
            Self::NetworkPolicyLockout => "NETWORK_POLICY_LOCKOUT",
            Self::AttestationBlocked => "ATTESTATION_BLOCKED",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "NotFound",
            Self::ValidationError => "ValidationError",
            Self::RateLimited => "RateLimited",
            Self::InvalidJson => "InvalidJson",
            Self::UnsupportedMediaType => "UnsupportedMediaType",
            Self::PayloadTooLarge => "PayloadTooLarge",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::Conflict => "Conflict",
            Self::WorkspaceMoving => "WORKSPACE_MOVING",
            Self::AuditSigningNotConfigured => "AUDIT_SIGNING_NOT_CONFIGURED",
            Self::InternalError => "InternalError",
        }
    }

    /// The default human message for the `error` field.
    pub const fn message(self) -> &'static str {
        match self {
            Self::NotProvisioned => "This email is not provisioned in the workspace.",
            Self::SsoNotAllowed => "This workspace does not allow SSO sign-in.",
            Self::AccountDisabled => "This account is disabled.",
            Self::WorkspaceInactive => "This workspace is suspended or cancelled.",
            Self::InvalidCredentials => "The email or password is incorrect.",
            Self::AccountLocked => "Too many failed sign-in attempts; the account is locked.",
            Self::SsoRequired => "This workspace requires single sign-on.",
            Self::WeakPassword => "The password does not meet the password policy.",
            Self::SessionRevoked => "This session has been revoked.",
            Self::SessionExpired => "This session has expired.",
            Self::TokenRevoked => "This token has been revoked.",
            Self::TokenExpired => "This token has expired.",
            Self::CsrfCheckFailed => "This request did not show that it came from this site.",
            Self::MfaRequired => "The workspace requires a second factor.",
            Self::StepUpRequired => "This action needs a fresh step-up proof.",
            Self::StepUpReused => "This step-up token has already been used.",
            Self::PhishingResistantRequired => "This action needs a phishing-resistant factor.",
            Self::UnknownPurpose => "Unknown step-up purpose.",
            Self::NoFactorAvailable => "No enrolled factor can complete this step-up.",
            Self::InvalidMfaCode => "The verification code is incorrect.",
            Self::MfaCodeReused => "This verification code was already used.",
            Self::WebauthnVerificationFailed => "The passkey response could not be verified.",
            Self::ChallengeExpired => "The challenge expired or was already used.",
            Self::InvalidFilter => "The SCIM filter could not be parsed.",
            Self::UserNotFound => "The user does not exist.",
            Self::MutabilityViolation => "The request tried to change a read-only attribute.",
            Self::ScimInvalidPath => "The PATCH path is not valid for this resource.",
            Self::ScimNoTarget => "The PATCH operation matched no value.",
            Self::ScimInvalidValue => "A SCIM attribute value is invalid.",
            Self::ScimInvalidSyntax => "The SCIM request body is malformed.",
            Self::ScimTooMany => "The SCIM filter would match too many resources to evaluate.",
            Self::ScimUniqueness => "A SCIM resource with this unique value already exists.",
            Self::ScimPreconditionFailed => "The resource is no longer at the version the request names.",
            Self::GroupNotFound => "The group does not exist.",
            Self::NotImplemented => "This operation is not implemented.",
            Self::ScimBulkTooLarge => "The bulk request exceeds maxOperations or maxPayloadSize.",
            Self::ScimBulkCircularReference => "The bulkId references of these operations form a cycle.",
            Self::ScimBulkDependencyFailed => "The operation refers to a resource whose creation failed.",
            Self::SamlNotConfigured => "SAML is not configured for this provider id.",
            Self::InvalidSamlResponse => "The SAML response is invalid.",
            Self::SamlSignatureInvalid => "The SAML signature could not be verified.",
            Self::SamlExpired => "The SAML assertion has expired or is not yet valid.",
            Self::SamlReplayed => "This SAML assertion was already used.",
            Self::SamlAudienceMismatch => "The SAML assertion is for another service provider.",
            Self::SamlDestinationMismatch => "The SAML response was sent to another address.",
            Self::SamlInResponseToInvalid => "The SAML response does not answer a pending sign-in.",
            Self::SamlIssuerMismatch => "The SAML response comes from another identity provider.",
            Self::SamlEncryptedAssertionUnsupported => "Encrypted SAML assertions are not supported.",
            Self::SamlStatusNotSuccess => "The identity provider did not sign the user in.",
            Self::SamlRelayStateInvalid => "relayState must be a path on this site.",
            Self::SamlCertificateInvalid => "The IdP signing certificate is not usable.",
            Self::SamlMetadataInvalid => "The IdP metadata could not be imported.",
            Self::CircuitOpen => "The webhook endpoint's circuit breaker is open.",
            Self::SignatureFailed => "The receiver did not accept the delivery signature.",
            Self::WebhookNotFound => "The webhook subscription does not exist in this workspace.",
            Self::WebhookMessageNotFound => "No delivery with that message id exists for this subscription.",
            Self::WebhookUrlInvalid => "The receiver URL is not a usable absolute URL.",
            Self::WebhookUrlInsecure => "The receiver URL must use https.",
            Self::WebhookUrlCredentials => "The receiver URL must not carry credentials.",
            Self::WebhookUrlPrivate => "The receiver URL points at a private or local address.",
            Self::WebhookFilterInvalid => "An event filter is not valid.",
            Self::WebhookFilterUnmatched => "An event filter matches no event.",
            Self::WebhookNameTaken => "A webhook subscription with this name already exists.",
            Self::WebhookReceiverUnreachable => "The webhook receiver could not be reached.",
            Self::IpBlocked => "The source IP is blocked by the workspace network policy.",
            Self::NetworkPolicyLockout => "This policy would block your own current address.",
            Self::AttestationBlocked => "The authenticator is not allowed by the workspace policy.",
            Self::Unauthorized => "Authentication is required.",
            Self::Forbidden => "You do not have permission to do this.",
            Self::NotFound => "Not found.",
            Self::ValidationError => "The request failed validation.",
            Self::RateLimited => "Too many requests.",
            Self::InvalidJson => "The request body is not valid JSON.",
            Self::UnsupportedMediaType => "Unsupported content type.",
            Self::PayloadTooLarge => "The request body is too large.",
            Self::MethodNotAllowed => "Method not allowed on this route.",
            Self::Conflict => "The request conflicts with the current state.",
            Self::WorkspaceMoving => "This workspace is moving to another storage shard; retry the change shortly.",
            Self::AuditSigningNotConfigured => "No audit signing key is configured.",
            Self::InternalError => "Internal error.",
        }
    }
}

/// An error on its way to the wire: a code plus optional detail.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub reason: Option<String>,
    /// Seconds, sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// Extra top-level fields some codes carry (e.g. `purpose` on STEP_UP_REQUIRED).
    pub extra: Map<String, Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `Retry-After` on `WORKSPACE_MOVING`.
pub const MOVING_RETRY_AFTER_SECS: u64 = 2;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self { code, reason: None, retry_after: None, extra: Map::new() }
    }

    pub fn with_reason(code: ErrorCode, reason: impl Into<String>) -> Self {
        Self::new(code).reason(reason)
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// A write refused while its workspace moves between shards: the switch takes about a
    /// second (docs/api.md, "Moving a workspace").
    pub fn workspace_moving() -> Self {
        Self::new(ErrorCode::WorkspaceMoving).retry_after(MOVING_RETRY_AFTER_SECS)
    }

    /// The JSON envelope `{"error","code","reason"?}` plus any extra fields.
    pub fn body(&self) -> Value {
        let mut body = self.extra.clone();
        body.insert("error".into(), json!(self.code.message()));
        body.insert("code".into(), json!(self.code.as_str()));
        if let Some(reason) = &self.reason {
            body.insert("reason".into(), json!(reason));
        }
        Value::Object(body)
    }
}

impl ErrorCode {
    /// The RFC 7644 §3.12 `scimType` this code carries on SCIM routes, if any.
    pub const fn scim_type(self) -> Option<&'static str> {
        match self {
            Self::InvalidFilter => Some("invalidFilter"),
            Self::ScimTooMany => Some("tooMany"),
            Self::ScimUniqueness => Some("uniqueness"),
            Self::MutabilityViolation => Some("mutability"),
            Self::ScimInvalidSyntax | Self::InvalidJson => Some("invalidSyntax"),
            Self::ScimInvalidPath => Some("invalidPath"),
            Self::ScimNoTarget => Some("noTarget"),
            Self::ScimInvalidValue | Self::ValidationError => Some("invalidValue"),
            _ => None,
        }
    }
}

impl ApiError {
    /// The RFC 7644 §3.12 error body used on SCIM routes, exactly `schemas`, `status` (a
    /// string), `scimType` and `detail` (strict SCIM clients refuse other members). Our code
    /// leads `detail` (`"INVALID_FILTER: …"`) and is also sent as `X-AxisSynapse-Error-Code`.
    pub fn scim_body(&self, request_id: &str) -> Value {
        let support = format!("quote request {request_id} to support");
        let reason =
            if self.code == ErrorCode::InternalError { Some(support.as_str()) } else { self.reason.as_deref() };
        let mut body = Map::new();
        body.insert("schemas".into(), json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
        body.insert("status".into(), json!(self.status().to_string()));
        body.insert(
            "detail".into(),
            json!(format!("{}: {}", self.code.as_str(), reason.unwrap_or(self.code.message()))),
        );
        if let Some(scim_type) = self.code.scim_type() {
            body.insert("scimType".into(), json!(scim_type));
        }
        Value::Object(body)
    }

    /// The body sent to the client. An internal error's reason is for the logs only: the
    /// client gets the opaque envelope plus the request id to quote to support.
    pub fn public_body(&self, request_id: &str) -> Value {
        if self.code == ErrorCode::InternalError {
            json!({"error": self.code.message(), "code": self.code.as_str(), "requestId": request_id})
        } else {
            self.body()
        }
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Rows of the published table: code → status.
    fn table(markdown: &str) -> BTreeMap<String, u16> {
        markdown
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let status = cells.get(1)?.parse::<u16>().ok()?;
                Some((cells.get(2)?.to_string(), status))
            })
            .collect()
    }

    #[test]
    fn every_code_matches_the_published_table() {
        let published = table(include_str!("../api/error-codes.md"));
        for code in ErrorCode::ALL {
            assert_eq!(published.get(code.as_str()), Some(&code.status()), "{code:?}");
        }
        assert_eq!(published.len(), ErrorCode::ALL.len(), "table has rows with no variant");
    }

    #[test]
    fn our_table_keeps_every_row_of_the_shared_spec() {
        let Ok(shared) = std::fs::read_to_string("../shared/spec/error-codes.md") else {
            return; // the shared spec sits beside the clone in CI; nothing to compare elsewhere
        };
        let ours = table(include_str!("../api/error-codes.md"));
        for (code, status) in table(&shared) {
            assert_eq!(ours.get(&code), Some(&status), "{code} changed or dropped");
        }
    }

    #[test]
    fn envelope_has_error_code_and_optional_reason() {
        let plain = ApiError::new(ErrorCode::Forbidden).body();
        assert_eq!(plain, json!({"error": "You do not have permission to do this.", "code": "Forbidden"}));
        let detailed =
            ApiError::with_reason(ErrorCode::StepUpRequired, "stale").field("purpose", json!("PAYROLL_SEAL")).body();
        assert_eq!(detailed["code"], "STEP_UP_REQUIRED");
        assert_eq!(detailed["reason"], "stale");
        assert_eq!(detailed["purpose"], "PAYROLL_SEAL");
    }

    #[test]
    fn internal_errors_hide_their_detail_and_carry_the_request_id() {
        let err = ApiError::with_reason(ErrorCode::InternalError, "D1 batch: disk I/O error");
        let body = err.public_body("req_42");
        assert_eq!(body, json!({"error": "Internal error.", "code": "InternalError", "requestId": "req_42"}));
        assert_eq!(err.status(), 500);
        let shown = ApiError::with_reason(ErrorCode::ValidationError, "limit: 1 to 200").public_body("req_42");
        assert_eq!(shown["reason"], "limit: 1 to 200");
    }

    #[test]
    fn codes_are_unique() {
        let names: std::collections::BTreeSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
