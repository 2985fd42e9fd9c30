//! Step-up tokens: the single-use proof that a user just completed a step-up ceremony for one
//! purpose. Format, fixed length: `sut_` + 32 random bytes as base64url without padding
//! (RFC 4648 §5), 47 characters; sent as a bearer value (RFC 6750 §2.1). Only the lowercase
//! hex SHA-256 (FIPS 180-4) of the whole token is stored.
//!
//! This module decides; the atomic consume (set `used_at_ms` exactly once) happens in the
//! user's Durable Object, which calls [`check`] and then marks the record used in one step.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::purposes::{Factor, Purpose};
use super::sha256_hex;

/// Every step-up token starts with this.
pub const PREFIX: &str = "sut_";
/// Random bytes in a token.
pub const SECRET_BYTES: usize = 32;
/// Length of a token: the prefix plus 43 base64url characters.
pub const TOKEN_LEN: usize = PREFIX.len() + 43;

/// A new token (show once) and its stored hash.
pub fn mint(random: &[u8; SECRET_BYTES]) -> (String, String) {
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}

/// The stored hash of a presented token, or `None` unless it is exactly `sut_` followed by
/// the canonical unpadded base64url of 32 bytes.
pub fn hash(token: &str) -> Option<String> {
    if token.len() != TOKEN_LEN {
        return None;
    }
    let secret = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
    (secret.len() == SECRET_BYTES).then(|| sha256_hex(token.as_bytes()))
}

/// One issued step-up token, as the Durable Object keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepUpRecord {
    pub token_hash: String,
    pub user_id: String,
    /// The session the ceremony ran in; `None` binds the token to the user only.
    pub session_id: Option<String>,
    /// A [`Purpose::code`].
    pub purpose: String,
    /// A [`Factor::code`]: `webauthn`, `totp` or `backup_code`.
    pub factor: String,
    pub phishing_resistant: bool,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    pub used_at_ms: Option<i64>,
}

impl StepUpRecord {
    /// The record for a token minted at `now_ms` after a successful `factor` ceremony; it
    /// expires after the purpose's TTL.
    pub fn issue(
        token_hash: String,
        user_id: &str,
        session_id: Option<&str>,
        purpose: Purpose,
        factor: Factor,
        now_ms: i64,
    ) -> Self {
        Self {
            token_hash,
            user_id: user_id.to_owned(),
            session_id: session_id.map(str::to_owned),
            purpose: purpose.code().to_owned(),
            factor: factor.code().to_owned(),
            phishing_resistant: factor.is_phishing_resistant(),
            issued_at_ms: now_ms,
            expires_at_ms: now_ms.saturating_add(i64::from(purpose.ttl_secs()) * 1000),
            used_at_ms: None,
        }
    }

    /// Phishing-resistant only if both the flag and the recorded factor say so.
    fn proves_phishing_resistance(&self) -> bool {
        self.phishing_resistant && Factor::parse(&self.factor).is_some_and(Factor::is_phishing_resistant)
    }
}

/// Why a step-up token does not authorise the action. Wire codes: `Reused` →
/// `STEP_UP_REUSED`, `NotPhishingResistant` → `PHISHING_RESISTANT_REQUIRED`, the rest →
/// `STEP_UP_REQUIRED` with [`StepUpRefusal::reason`] as `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUpRefusal {
    /// No token, an unknown token, or another user's token.
    Missing,
    Expired,
    Reused,
    WrongPurpose,
    WrongSession,
    NotPhishingResistant,
}

impl StepUpRefusal {
    /// The stable `reason` detail for the error envelope.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Expired => "expired",
            Self::Reused => "reused",
            Self::WrongPurpose => "wrong_purpose",
            Self::WrongSession => "wrong_session",
            Self::NotPhishingResistant => "not_phishing_resistant",
        }
    }
}

/// Whether `record` (looked up by the presented token's hash) authorises `purpose` for this
/// user and session at `now_ms`. Checked in order: owner, purpose, session, single use,
/// expiry, phishing resistance.
pub fn check(
    record: Option<&StepUpRecord>,
    purpose: Purpose,
    user_id: &str,
    session_id: Option<&str>,
    now_ms: i64,
) -> Result<(), StepUpRefusal> {
    let record = record.filter(|r| r.user_id == user_id).ok_or(StepUpRefusal::Missing)?;
    if record.purpose != purpose.code() {
        return Err(StepUpRefusal::WrongPurpose);
    }
    if record.session_id.as_deref().is_some_and(|bound| session_id != Some(bound)) {
        return Err(StepUpRefusal::WrongSession);
    }
    if record.used_at_ms.is_some() {
        return Err(StepUpRefusal::Reused);
    }
    if now_ms >= record.expires_at_ms {
        return Err(StepUpRefusal::Expired);
    }
    if purpose.requires_phishing_resistant() && !record.proves_phishing_resistance() {
        return Err(StepUpRefusal::NotPhishingResistant);
    }
    Ok(())
}

/// `GET /api/auth/step-up/status`: the freshest record that [`check`] would accept now, as
/// `{"valid": true, "purpose", "factor", "expiresAt", "expiresInSeconds"}`, else
/// `{"valid": false, "purpose"}`. `format_ms` renders the RFC 3339 timestamp the API uses.
pub fn status(
    records: &[StepUpRecord],
    purpose: Purpose,
    user_id: &str,
    session_id: Option<&str>,
    now_ms: i64,
    format_ms: fn(i64) -> String,
) -> Value {
    let freshest = records
        .iter()
        .filter(|r| check(Some(r), purpose, user_id, session_id, now_ms).is_ok())
        .max_by_key(|r| r.issued_at_ms);
    match freshest {
        Some(r) => json!({
            "valid": true,
            "purpose": purpose.code(),
            "factor": r.factor,
            "expiresAt": format_ms(r.expires_at_ms),
            "expiresInSeconds": r.expires_at_ms.saturating_sub(now_ms).saturating_add(999) / 1000,
        }),
        None => json!({ "valid": false, "purpose": purpose.code() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000;
    const RANDOM: [u8; 32] = [7u8; 32];

    fn record(purpose: Purpose, factor: Factor) -> StepUpRecord {
        let (_, hash) = mint(&RANDOM);
        StepUpRecord::issue(hash, "u1", Some("s1"), purpose, factor, NOW)
    }

    fn check_now(r: &StepUpRecord, purpose: Purpose) -> Result<(), StepUpRefusal> {
        check(Some(r), purpose, "u1", Some("s1"), NOW + 1_000)
    }

    fn format_for_test(ms: i64) -> String {
        format!("t{ms}")
    }

    #[test]
    fn mint_makes_a_47_char_sut_token_and_its_sha256() {
        let (token, hash_hex) = mint(&[0u8; 32]);
        assert_eq!(token, format!("sut_{}", "A".repeat(43)));
        assert_eq!(token.len(), TOKEN_LEN);
        assert_eq!(hash_hex, sha256_hex(token.as_bytes()));
        assert_eq!(hash(&token), Some(hash_hex));
    }

    #[test]
    fn mint_uses_the_url_safe_alphabet() {
        let (token, _) = mint(&[0xfb; 32]);
        assert!(token.contains('-') || token.contains('_'));
        assert!(!token.contains('+') && !token.contains('/'));
        assert!(hash(&token).is_some());
    }

    #[test]
    fn hash_refuses_wrong_prefix_length_alphabet_padding_and_trailing_bits() {
        let (token, _) = mint(&RANDOM);
        let body = token.strip_prefix(PREFIX).unwrap_or_default();
        assert_eq!(hash(&format!("pat_{body}")), None);
        assert_eq!(hash(&token[..TOKEN_LEN - 1]), None);
        assert_eq!(hash(&format!("{token}A")), None);
        assert_eq!(hash(&format!("sut_{}+", &body[..42])), None);
        assert_eq!(hash(&format!("sut_{}=", &body[..42])), None);
        assert_eq!(hash(&format!("sut_{}B", "A".repeat(42))), None, "non-canonical last symbol");
        assert_eq!(hash(""), None);
    }

    #[test]
    fn issue_sets_expiry_from_the_purpose_ttl_and_factor_strength() {
        let r = record(Purpose::PayrollSeal, Factor::Webauthn);
        assert_eq!(r.expires_at_ms, NOW + 300_000);
        assert!(r.phishing_resistant);
        let r = record(Purpose::WebhookChange, Factor::Totp);
        assert_eq!(r.expires_at_ms, NOW + 600_000);
        assert!(!r.phishing_resistant);
    }

    #[test]
    fn record_serialises_camel_case_and_round_trips() {
        let r = record(Purpose::TokenMint, Factor::BackupCode);
        let value = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(value["purpose"], "TOKEN_MINT");
        assert_eq!(value["factor"], "backup_code");
        assert_eq!(value["usedAtMs"], Value::Null);
        assert_eq!(value["expiresAtMs"], NOW + 300_000);
        let back: Option<StepUpRecord> = serde_json::from_value(value).ok();
        assert_eq!(back, Some(r));
    }

    #[test]
    fn check_accepts_a_fresh_token_for_its_purpose_user_and_session() {
        let r = record(Purpose::PayrollTransmitAch, Factor::Webauthn);
        assert_eq!(check_now(&r, Purpose::PayrollTransmitAch), Ok(()));
    }

    #[test]
    fn check_refuses_no_record_and_another_users_record_as_missing() {
        let r = record(Purpose::TokenMint, Factor::Totp);
        let refusal = check(None, Purpose::TokenMint, "u1", Some("s1"), NOW);
        assert_eq!(refusal, Err(StepUpRefusal::Missing));
        let refusal = check(Some(&r), Purpose::TokenMint, "u2", Some("s1"), NOW);
        assert_eq!(refusal, Err(StepUpRefusal::Missing));
    }

    #[test]
    fn check_refuses_a_token_minted_for_another_purpose() {
        let r = record(Purpose::SamlProviderChange, Factor::Webauthn);
        assert_eq!(check_now(&r, Purpose::WebhookChange), Err(StepUpRefusal::WrongPurpose));
    }

    #[test]
    fn check_refuses_a_session_bound_token_from_another_or_no_session() {
        let r = record(Purpose::TokenMint, Factor::Totp);
        let other = check(Some(&r), Purpose::TokenMint, "u1", Some("s2"), NOW);
        assert_eq!(other, Err(StepUpRefusal::WrongSession));
        let none = check(Some(&r), Purpose::TokenMint, "u1", None, NOW);
        assert_eq!(none, Err(StepUpRefusal::WrongSession));
    }

    #[test]
    fn check_accepts_a_token_bound_to_no_session_from_any_session() {
        let mut r = record(Purpose::TokenMint, Factor::Totp);
        r.session_id = None;
        assert_eq!(check(Some(&r), Purpose::TokenMint, "u1", Some("s9"), NOW), Ok(()));
    }

    #[test]
    fn check_refuses_a_used_token_as_reused_even_when_also_expired() {
        let mut r = record(Purpose::TokenMint, Factor::Totp);
        r.used_at_ms = Some(NOW + 10);
        assert_eq!(check_now(&r, Purpose::TokenMint), Err(StepUpRefusal::Reused));
        let late = check(Some(&r), Purpose::TokenMint, "u1", Some("s1"), NOW + 3_600_000);
        assert_eq!(late, Err(StepUpRefusal::Reused));
    }

    #[test]
    fn check_refuses_at_and_after_expiry() {
        let r = record(Purpose::TokenMint, Factor::Totp);
        let edge = check(Some(&r), Purpose::TokenMint, "u1", Some("s1"), r.expires_at_ms - 1);
        assert_eq!(edge, Ok(()));
        let at = check(Some(&r), Purpose::TokenMint, "u1", Some("s1"), r.expires_at_ms);
        assert_eq!(at, Err(StepUpRefusal::Expired));
    }

    #[test]
    fn check_refuses_totp_and_backup_code_for_phishing_resistant_purposes() {
        for factor in [Factor::Totp, Factor::BackupCode] {
            let r = record(Purpose::ErasureFinalize, factor);
            let refusal = check_now(&r, Purpose::ErasureFinalize);
            assert_eq!(refusal, Err(StepUpRefusal::NotPhishingResistant));
        }
    }

    #[test]
    fn check_refuses_a_phishing_resistant_flag_on_a_non_webauthn_factor() {
        let mut r = record(Purpose::EquityGrantCosign, Factor::Totp);
        r.phishing_resistant = true;
        let refusal = check_now(&r, Purpose::EquityGrantCosign);
        assert_eq!(refusal, Err(StepUpRefusal::NotPhishingResistant));
    }

    #[test]
    fn refusal_reasons_are_stable_snake_case() {
        assert_eq!(StepUpRefusal::Missing.reason(), "missing");
        assert_eq!(StepUpRefusal::NotPhishingResistant.reason(), "not_phishing_resistant");
    }

    #[test]
    fn status_reports_the_freshest_usable_token() {
        let older = record(Purpose::PayrollSeal, Factor::Webauthn);
        let mut newer = older.clone();
        newer.issued_at_ms = NOW + 60_000;
        newer.expires_at_ms = NOW + 360_000;
        let doc = status(&[older, newer], Purpose::PayrollSeal, "u1", Some("s1"), NOW + 60_500, format_for_test);
        assert_eq!(
            doc,
            json!({"valid": true, "purpose": "PAYROLL_SEAL", "factor": "webauthn",
                   "expiresAt": format!("t{}", NOW + 360_000), "expiresInSeconds": 300})
        );
    }

    #[test]
    fn status_skips_used_expired_other_purpose_and_other_session_tokens() {
        let mut used = record(Purpose::PayrollSeal, Factor::Webauthn);
        used.used_at_ms = Some(NOW);
        let mut expired = record(Purpose::PayrollSeal, Factor::Webauthn);
        expired.expires_at_ms = NOW;
        let other_purpose = record(Purpose::PayrollTransmitAch, Factor::Webauthn);
        let mut other_session = record(Purpose::PayrollSeal, Factor::Webauthn);
        other_session.session_id = Some("s2".into());
        let records = [used, expired, other_purpose, other_session];
        let doc = status(&records, Purpose::PayrollSeal, "u1", Some("s1"), NOW, format_for_test);
        assert_eq!(doc, json!({"valid": false, "purpose": "PAYROLL_SEAL"}));
    }

    #[test]
    fn status_with_no_records_is_not_valid() {
        let doc = status(&[], Purpose::TokenMint, "u1", None, NOW, format_for_test);
        assert_eq!(doc["valid"], false);
    }
}
