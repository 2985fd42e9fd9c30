//! The closed `STEP_UP_PURPOSES` set of the product spec (Step-Up Authentication:
//! `POST /api/auth/step-up/challenge-options`, `GET /api/auth/step-up/status`) and the factors
//! that can satisfy each purpose. "Phishing-resistant" follows NIST SP 800-63B §5.2.5
//! (verifier-impersonation resistance): WebAuthn qualifies, TOTP and recovery codes do not.

use serde_json::{json, Value};

/// Longest purpose string [`Purpose::parse`] looks at (the longest code is 27 bytes).
const MAX_PURPOSE_LEN: usize = 64;
/// Step-up lifetime for moving money, equity, erasure and credential minting.
const SENSITIVE_TTL_SECS: u32 = 5 * 60;
/// Step-up lifetime for workspace settings changes.
const SETTINGS_TTL_SECS: u32 = 10 * 60;

/// An action that needs a fresh step-up proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    PayrollTransmitAch,
    PayrollSeal,
    EquityGrantCosign,
    ErasureFinalize,
    TokenMint,
    AttestationPolicyChange,
    NetworkPolicyChange,
    SamlProviderChange,
    WebhookChange,
    WorkspaceSettingsChange,
}

impl Purpose {
    /// Every purpose, in catalog order.
    pub const ALL: [Purpose; 10] = [
        Self::PayrollTransmitAch,
        Self::PayrollSeal,
        Self::EquityGrantCosign,
        Self::ErasureFinalize,
        Self::TokenMint,
        Self::AttestationPolicyChange,
        Self::NetworkPolicyChange,
        Self::SamlProviderChange,
        Self::WebhookChange,
        Self::WorkspaceSettingsChange,
    ];

    /// The wire code (`purpose` in requests, records and `STEP_UP_REQUIRED` bodies).
    pub fn code(self) -> &'static str {
        match self {
            Self::PayrollTransmitAch => "PAYROLL_TRANSMIT_ACH",
            Self::PayrollSeal => "PAYROLL_SEAL",
            Self::EquityGrantCosign => "EQUITY_GRANT_COSIGN",
            Self::ErasureFinalize => "ERASURE_FINALIZE",
            Self::TokenMint => "TOKEN_MINT",
            Self::AttestationPolicyChange => "SETTINGS_ATTESTATION_POLICY",
            Self::NetworkPolicyChange => "SETTINGS_NETWORK_POLICY",
            Self::SamlProviderChange => "SETTINGS_SAML",
            Self::WebhookChange => "SETTINGS_WEBHOOKS",
            Self::WorkspaceSettingsChange => "SETTINGS_WORKSPACE",
        }
    }

    /// The purpose with this exact (case-sensitive) code.
    pub fn parse(code: &str) -> Option<Purpose> {
        if code.len() > MAX_PURPOSE_LEN {
            return None;
        }
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// How long a step-up token for this purpose stays valid after issue.
    pub fn ttl_secs(self) -> u32 {
        match self {
            Self::PayrollTransmitAch
            | Self::PayrollSeal
            | Self::EquityGrantCosign
            | Self::ErasureFinalize
            | Self::TokenMint => SENSITIVE_TTL_SECS,
            Self::AttestationPolicyChange
            | Self::NetworkPolicyChange
            | Self::SamlProviderChange
            | Self::WebhookChange
            | Self::WorkspaceSettingsChange => SETTINGS_TTL_SECS,
        }
    }

    /// Whether only a phishing-resistant factor (WebAuthn) may satisfy this purpose.
    pub fn requires_phishing_resistant(self) -> bool {
        matches!(
            self,
            Self::PayrollTransmitAch
                | Self::PayrollSeal
                | Self::EquityGrantCosign
                | Self::ErasureFinalize
                | Self::AttestationPolicyChange
        )
    }

    /// One line for people: what the step-up authorises.
    pub fn description(self) -> &'static str {
        match self {
            Self::PayrollTransmitAch => "Transmit a payroll ACH file to the bank",
            Self::PayrollSeal => "Seal a payroll run so it can no longer change",
            Self::EquityGrantCosign => "Co-sign an equity grant",
            Self::ErasureFinalize => "Finalize an irreversible personal-data erasure",
            Self::TokenMint => "Mint a personal access token or SCIM token",
            Self::AttestationPolicyChange => "Change the WebAuthn attestation policy",
            Self::NetworkPolicyChange => "Change the workspace network policy",
            Self::SamlProviderChange => "Add, change or remove a SAML identity provider",
            Self::WebhookChange => "Create, change or delete a webhook subscription",
            Self::WorkspaceSettingsChange => "Change workspace settings",
        }
    }

    /// Whether a proof made with `factor` satisfies this purpose.
    pub fn allows(self, factor: Factor) -> bool {
        !self.requires_phishing_resistant() || factor.is_phishing_resistant()
    }

    /// The factors that satisfy this purpose, strongest first.
    pub fn factors(self) -> Vec<Factor> {
        Factor::ALL.into_iter().filter(|f| self.allows(*f)).collect()
    }
}

/// How the user proved presence for a step-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Factor {
    Webauthn,
    Totp,
    BackupCode,
}

impl Factor {
    /// Every factor, strongest first.
    pub const ALL: [Factor; 3] = [Self::Webauthn, Self::Totp, Self::BackupCode];

    /// The wire code (`factor` in step-up records and responses).
    pub fn code(self) -> &'static str {
        match self {
            Self::Webauthn => "webauthn",
            Self::Totp => "totp",
            Self::BackupCode => "backup_code",
        }
    }

    /// The factor with this exact code.
    pub fn parse(code: &str) -> Option<Factor> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// WebAuthn binds the assertion to the origin; codes can be phished.
    pub fn is_phishing_resistant(self) -> bool {
        matches!(self, Self::Webauthn)
    }
}

/// The discovery document: every purpose with its lifetime, factor requirement and factors.
pub fn catalog() -> Value {
    let purposes: Vec<Value> = Purpose::ALL
        .into_iter()
        .map(|p| {
            json!({
                "purpose": p.code(),
                "description": p.description(),
                "ttlSeconds": p.ttl_secs(),
                "requiresPhishingResistant": p.requires_phishing_resistant(),
                "factors": p.factors().into_iter().map(Factor::code).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "purposes": purposes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_code_parses_back_to_itself() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()), Some(p));
        }
    }

    #[test]
    fn purpose_codes_match_the_closed_spec_set() {
        let codes: Vec<&str> = Purpose::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(
            codes,
            [
                "PAYROLL_TRANSMIT_ACH",
                "PAYROLL_SEAL",
                "EQUITY_GRANT_COSIGN",
                "ERASURE_FINALIZE",
                "TOKEN_MINT",
                "SETTINGS_ATTESTATION_POLICY",
                "SETTINGS_NETWORK_POLICY",
                "SETTINGS_SAML",
                "SETTINGS_WEBHOOKS",
                "SETTINGS_WORKSPACE",
            ]
        );
    }

    #[test]
    fn parse_refuses_unknown_lowercase_padded_and_overlong_codes() {
        for code in ["", "payroll_seal", " PAYROLL_SEAL", "PAYROLL", &"A".repeat(100)] {
            assert_eq!(Purpose::parse(code), None, "{code:?}");
        }
    }

    #[test]
    fn money_movement_equity_erasure_and_attestation_need_phishing_resistance() {
        let strict: Vec<Purpose> = Purpose::ALL.into_iter().filter(|p| p.requires_phishing_resistant()).collect();
        assert_eq!(
            strict,
            [
                Purpose::PayrollTransmitAch,
                Purpose::PayrollSeal,
                Purpose::EquityGrantCosign,
                Purpose::ErasureFinalize,
                Purpose::AttestationPolicyChange,
            ]
        );
    }

    #[test]
    fn sensitive_purposes_live_five_minutes_settings_ten() {
        assert_eq!(Purpose::PayrollTransmitAch.ttl_secs(), 300);
        assert_eq!(Purpose::TokenMint.ttl_secs(), 300);
        assert_eq!(Purpose::WebhookChange.ttl_secs(), 600);
        assert_eq!(Purpose::AttestationPolicyChange.ttl_secs(), 600);
    }

    #[test]
    fn phishing_resistant_purposes_accept_only_webauthn() {
        assert_eq!(Purpose::PayrollSeal.factors(), [Factor::Webauthn]);
        assert_eq!(Purpose::SamlProviderChange.factors(), Factor::ALL);
        assert!(!Purpose::ErasureFinalize.allows(Factor::BackupCode));
        assert!(Purpose::TokenMint.allows(Factor::Totp));
    }

    #[test]
    fn factor_codes_round_trip_and_unknown_is_refused() {
        for f in Factor::ALL {
            assert_eq!(Factor::parse(f.code()), Some(f));
        }
        assert_eq!(Factor::parse("sms"), None);
    }

    #[test]
    fn catalog_lists_every_purpose_with_its_rules() {
        let doc = catalog();
        let purposes = doc["purposes"].as_array().map(Vec::len);
        assert_eq!(purposes, Some(Purpose::ALL.len()));
        assert_eq!(doc["purposes"][0]["purpose"], "PAYROLL_TRANSMIT_ACH");
        assert_eq!(doc["purposes"][0]["ttlSeconds"], 300);
        assert_eq!(doc["purposes"][0]["requiresPhishingResistant"], true);
        assert_eq!(doc["purposes"][0]["factors"], json!(["webauthn"]));
        assert_eq!(doc["purposes"][9]["factors"], json!(["webauthn", "totp", "backup_code"]));
        assert!(doc["purposes"][9]["description"].is_string());
    }
}
