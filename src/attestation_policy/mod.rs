//! WebAuthn attestation policy: which authenticators a workspace admits at registration,
//! decided from the AAGUID of the attested credential data (WebAuthn Level 3 §6.5.1), the
//! backup-eligibility flag (§6.1, BE: a synced, multi-device credential), the authenticator
//! attachment (§5.4.5) and whether the attestation statement verified (§6.5.3).
//!
//! Order of the rules in [`decide`]: an explicit deny wins, then the restrictions
//! (`requireAttestation`, `blockSynced`), then the mode's allowance. The zero AAGUID of `none`
//! attestation (§6.5.4) is an unknown authenticator. Without `requireAttestation`, an AAGUID is
//! the authenticator's own claim, so a category it implies is only as good as that claim.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub mod catalog;

pub use catalog::{
    catalog_rust_source, format_aaguid, lookup, parse_aaguid, parse_catalog, CatalogEntry, CatalogError, Category,
    ZERO_AAGUID,
};

include!(concat!(env!("OUT_DIR"), "/aaguid_catalog.rs"));

/// Most AAGUIDs an allow or deny list may hold.
pub const MAX_LIST_ENTRIES: usize = 500;

/// Which authenticators the policy admits before its restrictions apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every authenticator.
    #[default]
    Any,
    /// Authenticators whose category is listed (`hardware` includes FIPS hardware).
    AllowCategories(Vec<Category>),
    /// Only the listed AAGUIDs (UUID text).
    AllowList(Vec<String>),
    /// Every authenticator but the listed AAGUIDs.
    DenyList(Vec<String>),
}

impl Mode {
    fn code(&self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::AllowCategories(_) => "allow_categories",
            Self::AllowList(_) => "allow_list",
            Self::DenyList(_) => "deny_list",
        }
    }
}

/// A workspace's attestation policy. JSON: `{"mode": "any" | "allow_categories" | "allow_list"
/// | "deny_list", "categories": [...], "aaguids": [...], "blockSynced": bool,
/// "requireAttestation": bool}`; the list the mode does not use is ignored on input and empty on
/// output, the booleans default to `false`, other keys are refused. Deserialising checks the
/// shape only: call [`Policy::validate`] before storing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "PolicyWire", into = "PolicyWire")]
pub struct Policy {
    pub mode: Mode,
    pub block_synced: bool,
    pub require_attestation: bool,
}

/// Why a policy is refused (a `VALIDATION_ERROR` reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    /// The mode needs a non-empty list.
    EmptyList { mode: &'static str },
    /// More than [`MAX_LIST_ENTRIES`] AAGUIDs.
    TooManyEntries,
    /// `aaguids[index]` is not UUID text.
    InvalidAaguid { index: usize },
    /// `categories[index]` is not a category code.
    UnknownCategory { index: usize },
    /// Entry `index` of the mode's list repeats an earlier one.
    Duplicate { index: usize },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyList { mode } => write!(f, "mode {mode} needs at least one entry"),
            Self::TooManyEntries => write!(f, "at most {MAX_LIST_ENTRIES} AAGUIDs may be listed"),
            Self::InvalidAaguid { index } => write!(f, "aaguids[{index}] is not a UUID"),
            Self::UnknownCategory { index } => {
                write!(f, "categories[{index}] is not one of fips_hardware, hardware, platform, synced")
            }
            Self::Duplicate { index } => write!(f, "entry {index} repeats an earlier entry"),
        }
    }
}

impl Policy {
    /// Checks what the shape cannot: list modes have 1..=[`MAX_LIST_ENTRIES`] distinct
    /// entries, and every AAGUID is UUID text (compared case-insensitively).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let empty = PolicyError::EmptyList { mode: self.mode.code() };
        match &self.mode {
            Mode::Any => Ok(()),
            Mode::AllowCategories(categories) if categories.is_empty() => Err(empty),
            Mode::AllowCategories(categories) => no_duplicates(categories.iter()),
            Mode::AllowList(list) | Mode::DenyList(list) if list.is_empty() => Err(empty),
            Mode::AllowList(list) | Mode::DenyList(list) => validate_aaguids(list),
        }
    }
}

fn validate_aaguids(list: &[String]) -> Result<(), PolicyError> {
    if list.len() > MAX_LIST_ENTRIES {
        return Err(PolicyError::TooManyEntries);
    }
    let parsed = list
        .iter()
        .enumerate()
        .map(|(index, text)| parse_aaguid(text).ok_or(PolicyError::InvalidAaguid { index }))
        .collect::<Result<Vec<_>, _>>()?;
    no_duplicates(parsed.iter())
}

fn no_duplicates<T: Eq + Hash>(items: impl Iterator<Item = T>) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    for (index, item) in items.enumerate() {
        if !seen.insert(item) {
            return Err(PolicyError::Duplicate { index });
        }
    }
    Ok(())
}

/// The JSON document of a [`Policy`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyWire {
    mode: ModeTag,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    aaguids: Vec<String>,
    #[serde(default)]
    block_synced: bool,
    #[serde(default)]
    require_attestation: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ModeTag {
    Any,
    AllowCategories,
    AllowList,
    DenyList,
}

impl TryFrom<PolicyWire> for Policy {
    type Error = PolicyError;

    fn try_from(wire: PolicyWire) -> Result<Self, PolicyError> {
        let mode = match wire.mode {
            ModeTag::Any => Mode::Any,
            ModeTag::AllowCategories => Mode::AllowCategories(parse_categories(&wire.categories)?),
            ModeTag::AllowList => Mode::AllowList(wire.aaguids),
            ModeTag::DenyList => Mode::DenyList(wire.aaguids),
        };
        Ok(Self { mode, block_synced: wire.block_synced, require_attestation: wire.require_attestation })
    }
}

fn parse_categories(codes: &[String]) -> Result<Vec<Category>, PolicyError> {
    codes
        .iter()
        .enumerate()
        .map(|(index, code)| Category::parse(code).ok_or(PolicyError::UnknownCategory { index }))
        .collect()
}

impl From<Policy> for PolicyWire {
    fn from(policy: Policy) -> Self {
        let (mode, categories, aaguids) = match policy.mode {
            Mode::Any => (ModeTag::Any, vec![], vec![]),
            Mode::AllowCategories(list) => {
                let codes = list.into_iter().map(|c| c.code().to_owned()).collect();
                (ModeTag::AllowCategories, codes, vec![])
            }
            Mode::AllowList(list) => (ModeTag::AllowList, vec![], list),
            Mode::DenyList(list) => (ModeTag::DenyList, vec![], list),
        };
        Self {
            mode,
            categories,
            aaguids,
            block_synced: policy.block_synced,
            require_attestation: policy.require_attestation,
        }
    }
}

/// What registration learned about the new credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// From the attested credential data; all zeros under `none` attestation.
    pub aaguid: [u8; 16],
    /// `authenticatorAttachment == "platform"` (client-reported).
    pub is_platform_authenticator: bool,
    /// The BE flag of the authenticator data.
    pub backup_eligible: bool,
    /// The attestation statement verified to a trusted root.
    pub attestation_verified: bool,
}

impl Facts {
    /// The category the policy judges: BE means synced whatever the catalog says; otherwise
    /// the catalog's; otherwise, for an AAGUID the catalog does not know, `platform` if the
    /// client reported a platform authenticator; otherwise unknown.
    fn category(&self, entry: Option<&CatalogEntry>) -> Option<Category> {
        if self.backup_eligible {
            return Some(Category::Synced);
        }
        entry.map(|e| e.category).or(self.is_platform_authenticator.then_some(Category::Platform))
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The rule that decided: `deny_list`, `require_attestation`, `block_synced`,
    /// `allow_list`, `allow_categories` or `mode_any`.
    pub rule: String,
    /// One sentence for people.
    pub reason: String,
    /// The catalog entry for the AAGUID, if any.
    pub entry: Option<CatalogEntry>,
}

impl Decision {
    /// `{"allowed", "rule", "reason", "entry": {...} | null}`.
    pub fn to_json(&self) -> Value {
        json!({
            "allowed": self.allowed,
            "rule": self.rule,
            "reason": self.reason,
            "entry": self.entry.as_ref().map(CatalogEntry::to_json),
        })
    }
}

/// Whether `policy` admits the authenticator described by `facts`, and why.
pub fn decide(policy: &Policy, catalog: &[CatalogEntry], facts: &Facts) -> Decision {
    let entry = lookup(catalog, &facts.aaguid).cloned();
    let category = facts.category(entry.as_ref());
    let (allowed, rule, predicate) =
        restriction(policy, facts, category).unwrap_or_else(|| allowance(&policy.mode, &facts.aaguid, category));
    Decision {
        allowed,
        rule: rule.to_owned(),
        reason: format!("{} {predicate}", describe(&facts.aaguid, entry.as_ref())),
        entry,
    }
}

/// (allowed, rule, what is said of the authenticator).
type Verdict = (bool, &'static str, String);

/// The deny list, then `requireAttestation`, then `blockSynced`: the first that refuses.
fn restriction(policy: &Policy, facts: &Facts, category: Option<Category>) -> Option<Verdict> {
    let refuse = |rule, predicate: &str| Some((false, rule, predicate.to_owned()));
    if matches!(&policy.mode, Mode::DenyList(list) if listed(list, &facts.aaguid)) {
        return refuse("deny_list", "is on the deny list");
    }
    if policy.require_attestation && !facts.attestation_verified {
        return refuse("require_attestation", "has no verified attestation");
    }
    if policy.block_synced && category == Some(Category::Synced) {
        return refuse("block_synced", "is a synced passkey; synced passkeys are blocked");
    }
    None
}

/// What the mode says once no restriction refused.
fn allowance(mode: &Mode, aaguid: &[u8; 16], category: Option<Category>) -> Verdict {
    match mode {
        Mode::Any => (true, "mode_any", "is allowed: any authenticator may register".into()),
        Mode::DenyList(_) => (true, "deny_list", "is not on the deny list".into()),
        Mode::AllowList(list) => {
            let on = listed(list, aaguid);
            let predicate = if on { "is on the allow list" } else { "is not on the allow list" };
            (on, "allow_list", predicate.into())
        }
        Mode::AllowCategories(allowed) => allowance_by_category(allowed, category),
    }
}

fn allowance_by_category(allowed: &[Category], category: Option<Category>) -> Verdict {
    match category {
        Some(c) if allowed.iter().any(|a| c.satisfies(*a)) => {
            let predicate = format!("is {} and that category is allowed", c.code());
            (true, "allow_categories", predicate)
        }
        Some(c) => {
            let predicate = format!("is {}, which is not an allowed category", c.code());
            (false, "allow_categories", predicate)
        }
        None => (false, "allow_categories", "has no known category".into()),
    }
}

/// Whether `aaguid` is in `list` (UUID text in either case; bad entries never match).
fn listed(list: &[String], aaguid: &[u8; 16]) -> bool {
    list.iter().any(|text| parse_aaguid(text).as_ref() == Some(aaguid))
}

/// `AAGUID <uuid> (<name>)`, or `(unknown authenticator)`.
fn describe(aaguid: &[u8; 16], entry: Option<&CatalogEntry>) -> String {
    let name = entry.map_or("unknown authenticator", |e| e.name.as_ref());
    format!("AAGUID {} ({name})", format_aaguid(aaguid))
}

#[cfg(test)]
mod tests;
