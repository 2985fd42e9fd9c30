//! Tests of the attestation policy (WebAuthn Level 3 §6.5 attestation, §6.1 BE flag): the JSON
//! shape, validation, and every mode × `blockSynced` × `requireAttestation` branch of `decide`.

use super::*;

const YUBIKEY_5: &str = "ee882879-721c-4913-9775-3dfcce97072a";
const YUBIKEY_5_FIPS_NFC: &str = "fcc0118f-cd45-435b-8da1-9782b2da0715";
const GOOGLE_PASSWORD_MANAGER: &str = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";
const WINDOWS_HELLO: &str = "08987058-cadc-4b81-b6e1-30de50dcbe96";
const NOT_IN_CATALOG: &str = "01234567-89ab-cdef-0123-456789abcdef";

fn aaguid(text: &str) -> [u8; 16] {
    parse_aaguid(text).unwrap_or_default()
}

fn facts(text: &str, platform: bool, backup_eligible: bool, verified: bool) -> Facts {
    Facts { aaguid: aaguid(text), is_platform_authenticator: platform, backup_eligible, attestation_verified: verified }
}

/// The four authenticators of the matrix.
fn yubikey() -> Facts {
    facts(YUBIKEY_5, false, false, true)
}
fn yubikey_unattested() -> Facts {
    facts(YUBIKEY_5, false, false, false)
}
fn synced() -> Facts {
    facts(GOOGLE_PASSWORD_MANAGER, true, true, true)
}
fn unknown() -> Facts {
    Facts { aaguid: ZERO_AAGUID, ..facts(YUBIKEY_5, false, false, false) }
}

fn policy(mode: Mode, block_synced: bool, require_attestation: bool) -> Policy {
    Policy { mode, block_synced, require_attestation }
}

fn outcome(policy: &Policy, facts: &Facts) -> (bool, String) {
    let decision = decide(policy, CATALOG, facts);
    (decision.allowed, decision.rule)
}

const ALLOW: bool = true;
const DENY: bool = false;

/// Expected (allowed, rule) for yubikey, yubikey_unattested, synced, unknown.
type Row = (bool, bool, [(bool, &'static str); 4]);

fn assert_matrix(mode: Mode, rows: [Row; 4]) {
    let subjects = [yubikey(), yubikey_unattested(), synced(), unknown()];
    for (block_synced, require_attestation, expected) in rows {
        let p = policy(mode.clone(), block_synced, require_attestation);
        for (subject, (allowed, rule)) in subjects.iter().zip(expected) {
            assert_eq!(
                outcome(&p, subject),
                (allowed, rule.to_owned()),
                "{mode:?} blockSynced={block_synced} requireAttestation={require_attestation} {subject:?}"
            );
        }
    }
}

// Rules, shortened so each matrix row reads on one line.
const ANY: &str = "mode_any";
const CAT: &str = "allow_categories";
const AL: &str = "allow_list";
const DL: &str = "deny_list";
const BS: &str = "block_synced";
const RA: &str = "require_attestation";

#[test]
#[rustfmt::skip]
fn matrix_mode_any() {
    assert_matrix(Mode::Any, [
        // blockSynced, requireAttestation: yubikey, yubikey unattested, synced, unknown
        (false, false, [(ALLOW, ANY), (ALLOW, ANY), (ALLOW, ANY), (ALLOW, ANY)]),
        (true, false, [(ALLOW, ANY), (ALLOW, ANY), (DENY, BS), (ALLOW, ANY)]),
        (false, true, [(ALLOW, ANY), (DENY, RA), (ALLOW, ANY), (DENY, RA)]),
        (true, true, [(ALLOW, ANY), (DENY, RA), (DENY, BS), (DENY, RA)]),
    ]);
}

#[test]
#[rustfmt::skip]
fn matrix_mode_allow_categories_hardware() {
    assert_matrix(Mode::AllowCategories(vec![Category::Hardware]), [
        (false, false, [(ALLOW, CAT), (ALLOW, CAT), (DENY, CAT), (DENY, CAT)]),
        (true, false, [(ALLOW, CAT), (ALLOW, CAT), (DENY, BS), (DENY, CAT)]),
        (false, true, [(ALLOW, CAT), (DENY, RA), (DENY, CAT), (DENY, RA)]),
        (true, true, [(ALLOW, CAT), (DENY, RA), (DENY, BS), (DENY, RA)]),
    ]);
}

#[test]
#[rustfmt::skip]
fn matrix_mode_allow_list() {
    assert_matrix(Mode::AllowList(vec![YUBIKEY_5.to_owned()]), [
        (false, false, [(ALLOW, AL), (ALLOW, AL), (DENY, AL), (DENY, AL)]),
        (true, false, [(ALLOW, AL), (ALLOW, AL), (DENY, BS), (DENY, AL)]),
        (false, true, [(ALLOW, AL), (DENY, RA), (DENY, AL), (DENY, RA)]),
        (true, true, [(ALLOW, AL), (DENY, RA), (DENY, BS), (DENY, RA)]),
    ]);
}

#[test]
#[rustfmt::skip]
fn matrix_mode_deny_list() {
    assert_matrix(Mode::DenyList(vec![YUBIKEY_5.to_owned()]), [
        (false, false, [(DENY, DL), (DENY, DL), (ALLOW, DL), (ALLOW, DL)]),
        (true, false, [(DENY, DL), (DENY, DL), (DENY, BS), (ALLOW, DL)]),
        (false, true, [(DENY, DL), (DENY, DL), (ALLOW, DL), (DENY, RA)]),
        (true, true, [(DENY, DL), (DENY, DL), (DENY, BS), (DENY, RA)]),
    ]);
}

#[test]
fn backup_eligible_counts_as_synced_even_for_a_hardware_aaguid() {
    let p = policy(Mode::Any, true, false);
    let decision = decide(&p, CATALOG, &facts(YUBIKEY_5, false, true, true));
    assert_eq!((decision.allowed, decision.rule.as_str()), (false, "block_synced"));
    assert_eq!(decision.entry.map(|e| e.category), Some(Category::Hardware));
}

#[test]
fn synced_catalog_entry_counts_as_synced_even_without_backup_eligibility() {
    let p = policy(Mode::Any, true, false);
    let decision = decide(&p, CATALOG, &facts(GOOGLE_PASSWORD_MANAGER, true, false, false));
    assert_eq!((decision.allowed, decision.rule.as_str()), (false, "block_synced"));
    let p = policy(Mode::AllowCategories(vec![Category::Synced]), false, false);
    assert!(decide(&p, CATALOG, &facts(GOOGLE_PASSWORD_MANAGER, true, false, false)).allowed);
}

#[test]
fn allowing_hardware_admits_fips_hardware_but_not_the_reverse() {
    let fips = facts(YUBIKEY_5_FIPS_NFC, false, false, true);
    let hardware_only = policy(Mode::AllowCategories(vec![Category::Hardware]), false, false);
    assert!(decide(&hardware_only, CATALOG, &fips).allowed);
    let fips_only = policy(Mode::AllowCategories(vec![Category::FipsHardware]), false, false);
    assert!(decide(&fips_only, CATALOG, &fips).allowed);
    let decision = decide(&fips_only, CATALOG, &yubikey());
    assert!(!decision.allowed);
    assert_eq!(
        decision.reason,
        format!("AAGUID {YUBIKEY_5} (YubiKey 5 Series) is hardware, which is not an allowed category")
    );
}

#[test]
fn unknown_platform_authenticator_counts_as_platform() {
    let platform_only = policy(Mode::AllowCategories(vec![Category::Platform]), false, false);
    assert!(decide(&platform_only, CATALOG, &facts(NOT_IN_CATALOG, true, false, false)).allowed);
    let zero_platform = Facts { aaguid: ZERO_AAGUID, ..facts(WINDOWS_HELLO, true, false, false) };
    assert!(decide(&platform_only, CATALOG, &zero_platform).allowed);
    assert!(!decide(&platform_only, CATALOG, &facts(NOT_IN_CATALOG, false, false, false)).allowed);
}

#[test]
fn catalog_category_wins_over_the_client_reported_attachment() {
    let platform_only = policy(Mode::AllowCategories(vec![Category::Platform]), false, false);
    let claims_platform = facts(YUBIKEY_5, true, false, true);
    assert!(!decide(&platform_only, CATALOG, &claims_platform).allowed);
    assert!(decide(&platform_only, CATALOG, &facts(WINDOWS_HELLO, false, false, true)).allowed);
}

#[test]
fn zero_aaguid_is_unknown_and_listable() {
    let decision = decide(&Policy::default(), CATALOG, &unknown());
    assert_eq!(decision.entry, None);
    assert!(decision.reason.contains("00000000-0000-0000-0000-000000000000 (unknown authenticator)"));
    let zero = format_aaguid(&ZERO_AAGUID);
    assert!(decide(&policy(Mode::AllowList(vec![zero.clone()]), false, false), CATALOG, &unknown()).allowed);
    assert!(!decide(&policy(Mode::DenyList(vec![zero]), false, false), CATALOG, &unknown()).allowed);
}

#[test]
fn lists_match_aaguids_case_insensitively() {
    let upper = policy(Mode::AllowList(vec![YUBIKEY_5.to_uppercase()]), false, false);
    assert!(decide(&upper, CATALOG, &yubikey()).allowed);
}

#[test]
fn decision_json_carries_the_rule_reason_and_catalog_entry() {
    let decision = decide(&Policy::default(), CATALOG, &yubikey());
    assert_eq!(
        decision.to_json(),
        json!({
            "allowed": true,
            "rule": "mode_any",
            "reason": format!("AAGUID {YUBIKEY_5} (YubiKey 5 Series) is allowed: any authenticator may register"),
            "entry": {"aaguid": YUBIKEY_5, "name": "YubiKey 5 Series", "category": "hardware"},
        })
    );
    assert_eq!(decide(&Policy::default(), CATALOG, &unknown()).to_json()["entry"], Value::Null);
}

#[test]
fn static_catalog_matches_the_data_file() {
    let parsed = parse_catalog(include_str!("../../data/aaguids.json")).unwrap_or_default();
    assert_eq!(parsed.as_slice(), CATALOG);
}

fn from_json(value: Value) -> Result<Policy, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[test]
fn policy_json_round_trips_every_mode() {
    let policies = [
        policy(Mode::Any, false, false),
        policy(Mode::AllowCategories(vec![Category::FipsHardware, Category::Platform]), true, false),
        policy(Mode::AllowList(vec![YUBIKEY_5.to_owned()]), false, true),
        policy(Mode::DenyList(vec![GOOGLE_PASSWORD_MANAGER.to_owned()]), true, true),
    ];
    for p in policies {
        let value = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(from_json(value), Ok(p));
    }
}

#[test]
fn policy_json_shape_is_snake_case_modes_and_camel_case_flags() {
    let p = policy(Mode::AllowCategories(vec![Category::FipsHardware]), true, false);
    assert_eq!(
        serde_json::to_value(&p).unwrap_or_default(),
        json!({"mode": "allow_categories", "categories": ["fips_hardware"], "aaguids": [],
               "blockSynced": true, "requireAttestation": false})
    );
}

#[test]
fn policy_json_defaults_flags_and_ignores_the_unused_list() {
    let parsed = from_json(json!({"mode": "allow_list", "aaguids": [YUBIKEY_5], "categories": ["bogus"]}));
    assert_eq!(parsed, Ok(policy(Mode::AllowList(vec![YUBIKEY_5.to_owned()]), false, false)));
}

#[test]
fn policy_json_refuses_unknown_modes_keys_and_categories() {
    assert!(from_json(json!({"mode": "allow_all"})).is_err());
    assert!(from_json(json!({"mode": "any", "blocksynced": true})).is_err());
    assert!(from_json(json!({})).is_err());
    let bad_category = from_json(json!({"mode": "allow_categories", "categories": ["hardware", "usb"]}));
    assert!(bad_category.is_err_and(|e| e.contains("categories[1] is not one of")));
}

#[test]
fn validate_accepts_good_policies() {
    assert_eq!(Policy::default().validate(), Ok(()));
    let list: Vec<String> = (0..MAX_LIST_ENTRIES).map(|i| format!("{i:08x}-0000-0000-0000-000000000000")).collect();
    assert_eq!(policy(Mode::DenyList(list), false, false).validate(), Ok(()));
    let categories = Mode::AllowCategories(vec![Category::Hardware, Category::Synced]);
    assert_eq!(policy(categories, false, false).validate(), Ok(()));
}

#[test]
fn validate_refuses_empty_lists_for_list_modes() {
    for (mode, code) in [
        (Mode::AllowCategories(vec![]), "allow_categories"),
        (Mode::AllowList(vec![]), "allow_list"),
        (Mode::DenyList(vec![]), "deny_list"),
    ] {
        assert_eq!(policy(mode, false, false).validate(), Err(PolicyError::EmptyList { mode: code }));
    }
}

#[test]
fn validate_refuses_more_than_500_aaguids() {
    let list: Vec<String> = (0..=MAX_LIST_ENTRIES).map(|i| format!("{i:08x}-0000-0000-0000-000000000000")).collect();
    assert_eq!(policy(Mode::AllowList(list), false, false).validate(), Err(PolicyError::TooManyEntries));
}

#[test]
fn validate_refuses_bad_aaguid_syntax_with_its_index() {
    let list = vec![YUBIKEY_5.to_owned(), "ee882879721c491397753dfcce97072a".to_owned()];
    assert_eq!(policy(Mode::AllowList(list), false, false).validate(), Err(PolicyError::InvalidAaguid { index: 1 }));
}

#[test]
fn validate_refuses_duplicates_in_any_case() {
    let list = vec![YUBIKEY_5.to_owned(), NOT_IN_CATALOG.to_owned(), YUBIKEY_5.to_uppercase()];
    assert_eq!(policy(Mode::DenyList(list), false, false).validate(), Err(PolicyError::Duplicate { index: 2 }));
    let categories = Mode::AllowCategories(vec![Category::Synced, Category::Synced]);
    assert_eq!(policy(categories, false, false).validate(), Err(PolicyError::Duplicate { index: 1 }));
}

#[test]
fn policy_errors_read_as_validation_reasons() {
    assert_eq!(PolicyError::EmptyList { mode: "allow_list" }.to_string(), "mode allow_list needs at least one entry");
    assert_eq!(PolicyError::TooManyEntries.to_string(), "at most 500 AAGUIDs may be listed");
    assert_eq!(PolicyError::InvalidAaguid { index: 3 }.to_string(), "aaguids[3] is not a UUID");
}
