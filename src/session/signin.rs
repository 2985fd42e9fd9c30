//! Password and SSO sign-in decisions: workspace sign-in policy, account state, lockout
//! and the MFA requirement, decided from plain facts and `now` (no I/O).
//!
//! Order matters for what a caller learns: policy and lockout are checked before the
//! password (identifier-first, and a locked account never verifies a guess); workspace and
//! account state only after a correct password, so they are revealed only to the owner.

use crate::error::{ApiError, ErrorCode};

/// Consecutive failures that lock an account.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInPolicy {
    PasswordOnly,
    SsoOnly,
    PasswordAndSso,
}

impl SignInPolicy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "password_only" => Some(Self::PasswordOnly),
            "sso_only" => Some(Self::SsoOnly),
            "password_and_sso" => Some(Self::PasswordAndSso),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PasswordOnly => "password_only",
            Self::SsoOnly => "sso_only",
            Self::PasswordAndSso => "password_and_sso",
        }
    }
}

/// What sign-in needs to know about the account and its workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub workspace_active: bool,
    pub policy: SignInPolicy,
    pub mfa_required: bool,
    pub user_active: bool,
    pub mfa_enrolled: bool,
    pub has_password: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

impl Account {
    /// An active account in an active password-and-SSO workspace, with no failures: the
    /// baseline that callers override field by field.
    pub fn unlocked() -> Self {
        Self {
            workspace_active: true,
            policy: SignInPolicy::PasswordAndSso,
            mfa_required: false,
            user_active: true,
            mfa_enrolled: false,
            has_password: true,
            failed_logins: 0,
            locked_until: None,
        }
    }
}

/// Why a sign-in is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    SsoRequired,
    SsoNotAllowed,
    Locked { retry_after_secs: u64 },
    InvalidCredentials,
    WorkspaceInactive,
    AccountDisabled,
    MfaRequired,
}

impl Refusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SsoRequired => ErrorCode::SsoRequired,
            Self::SsoNotAllowed => ErrorCode::SsoNotAllowed,
            Self::Locked { .. } => ErrorCode::AccountLocked,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::WorkspaceInactive => ErrorCode::WorkspaceInactive,
            Self::AccountDisabled => ErrorCode::AccountDisabled,
            Self::MfaRequired => ErrorCode::MfaRequired,
        }
    }

    pub fn to_error(&self) -> ApiError {
        let err = ApiError::new(self.code());
        match self {
            Self::Locked { retry_after_secs } => err.retry_after(*retry_after_secs),
            _ => err,
        }
    }
}

fn locked(locked_until: Option<i64>, now_ms: i64) -> Option<Refusal> {
    let until = locked_until.filter(|&until| until > now_ms)?;
    let retry_after_secs = u64::try_from((until - now_ms + 999) / 1000).unwrap_or(1);
    Some(Refusal::Locked { retry_after_secs })
}

/// Checks made before the password is looked at.
pub fn before_password(a: &Account, now_ms: i64) -> Result<(), Refusal> {
    if a.policy == SignInPolicy::SsoOnly {
        return Err(Refusal::SsoRequired);
    }
    if let Some(refusal) = locked(a.locked_until, now_ms) {
        return Err(refusal);
    }
    if !a.has_password {
        return Err(Refusal::InvalidCredentials);
    }
    Ok(())
}

/// Counters after a wrong password: the new failure count and, when this failure reaches the
/// threshold, the lock expiry (the count then starts again from zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

pub fn after_failure(a: &Account, now_ms: i64) -> Failure {
    let failed = a.failed_logins.saturating_add(1);
    if failed >= MAX_FAILED_ATTEMPTS {
        Failure { failed_logins: 0, locked_until: Some(now_ms + LOCKOUT_MS) }
    } else {
        Failure { failed_logins: failed, locked_until: None }
    }
}

/// Checks made once the password is known to be right.
pub fn after_password(a: &Account) -> Result<(), Refusal> {
    if !a.workspace_active {
        return Err(Refusal::WorkspaceInactive);
    }
    if !a.user_active {
        return Err(Refusal::AccountDisabled);
    }
    if a.mfa_required && !a.mfa_enrolled {
        return Err(Refusal::MfaRequired);
    }
    Ok(())
}

/// Whether SSO may start for a workspace (identifier-first discovery).
pub fn sso_allowed(workspace_active: bool, policy: SignInPolicy) -> Result<(), Refusal> {
    if !workspace_active {
        return Err(Refusal::WorkspaceInactive);
    }
    if policy == SignInPolicy::PasswordOnly {
        return Err(Refusal::SsoNotAllowed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account::unlocked()
    }

    #[test]
    fn sso_only_workspace_refuses_passwords_before_checking_them() {
        let a = Account { policy: SignInPolicy::SsoOnly, ..account() };
        assert_eq!(before_password(&a, 0), Err(Refusal::SsoRequired));
    }

    #[test]
    fn locked_account_reports_seconds_left_rounded_up() {
        let a = Account { locked_until: Some(10_500), ..account() };
        assert_eq!(before_password(&a, 0), Err(Refusal::Locked { retry_after_secs: 11 }));
        assert_eq!(before_password(&a, 10_500), Ok(()));
    }

    #[test]
    fn fifth_failure_locks_and_resets_the_count() {
        let mut a = account();
        for n in 1..MAX_FAILED_ATTEMPTS {
            let f = after_failure(&a, 1_000);
            assert_eq!(f, Failure { failed_logins: n, locked_until: None });
            a.failed_logins = f.failed_logins;
        }
        assert_eq!(after_failure(&a, 1_000), Failure { failed_logins: 0, locked_until: Some(1_000 + LOCKOUT_MS) });
    }

    #[test]
    fn state_checks_after_password_in_order() {
        assert_eq!(
            after_password(&Account { workspace_active: false, user_active: false, ..account() }),
            Err(Refusal::WorkspaceInactive)
        );
        assert_eq!(after_password(&Account { user_active: false, ..account() }), Err(Refusal::AccountDisabled));
        assert_eq!(after_password(&Account { mfa_required: true, ..account() }), Err(Refusal::MfaRequired));
        assert_eq!(after_password(&Account { mfa_required: true, mfa_enrolled: true, ..account() }), Ok(()));
    }

    #[test]
    fn account_without_password_cannot_password_sign_in() {
        assert_eq!(before_password(&Account { has_password: false, ..account() }, 0), Err(Refusal::InvalidCredentials));
    }

    #[test]
    fn sso_discovery_respects_policy_and_status() {
        assert_eq!(sso_allowed(true, SignInPolicy::PasswordOnly), Err(Refusal::SsoNotAllowed));
        assert_eq!(sso_allowed(false, SignInPolicy::SsoOnly), Err(Refusal::WorkspaceInactive));
        assert_eq!(sso_allowed(true, SignInPolicy::SsoOnly), Ok(()));
    }

    #[test]
    fn every_refusal_maps_to_its_code() {
        assert_eq!(Refusal::Locked { retry_after_secs: 3 }.to_error().retry_after, Some(3));
        assert_eq!(Refusal::MfaRequired.code().as_str(), "MFA_REQUIRED");
    }
}
