//! The per-workspace network policy: its JSON shape, validation, compilation into
//! longest-prefix-match sets (RFC 4632 §5.1; IPv6 per RFC 4291 §2.2, IPv4-mapped addresses per
//! RFC 4291 §2.5.5.2 are matched against IPv4 rules), evaluation and the lockout guard.
//!
//! Semantics of [`evaluate`], in order:
//! 1. mode `off`, or the request's surface not enforced → allowed, not enforced;
//! 2. admin bypass: with `adminsExempt` an admin is allowed; with `adminAllowlist` an admin whose
//!    IP matches that list is allowed (the matched admin rule is reported), otherwise the normal
//!    rules apply;
//! 3. `allowlist`: allowed iff a rule matches; `denylist`: allowed iff no rule matches;
//!    `monitorOnly`: evaluated as an allowlist but never enforced (the caller logs would-be blocks).
//!
//! A request is blocked iff `enforced && !allowed` ([`Decision::blocks`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::cidr::Cidr;
use super::prefix_set::PrefixSet;

/// Most rules in one list (the edge is benchmarked at this size).
pub const MAX_RULES: usize = 10_000;
/// Longest rule id.
pub const MAX_ID_LEN: usize = 64;
/// Longest rule label.
pub const MAX_LABEL_LEN: usize = 200;

/// How the rules are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    #[default]
    Off,
    Allowlist,
    Denylist,
    MonitorOnly,
}

/// A part of the product a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Surface {
    SignIn,
    Dashboard,
    Api,
    Scim,
}

impl Surface {
    /// Every surface.
    pub const ALL: [Surface; 4] = [Surface::SignIn, Surface::Dashboard, Surface::Api, Surface::Scim];

    /// The wire name (`SIGN_IN`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::SignIn => "SIGN_IN",
            Surface::Dashboard => "DASHBOARD",
            Surface::Api => "API",
            Surface::Scim => "SCIM",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled CIDR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub cidr: Cidr,
    #[serde(default)]
    pub label: String,
}

/// Which surfaces the policy is enforced on. Missing from JSON → all enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Surfaces {
    pub sign_in: bool,
    pub dashboard: bool,
    pub api: bool,
    pub scim: bool,
}

impl Default for Surfaces {
    fn default() -> Self {
        Self { sign_in: true, dashboard: true, api: true, scim: true }
    }
}

impl Surfaces {
    /// Whether `surface` is enforced.
    pub fn enforces(&self, surface: Surface) -> bool {
        match surface {
            Surface::SignIn => self.sign_in,
            Surface::Dashboard => self.dashboard,
            Surface::Api => self.api,
            Surface::Scim => self.scim,
        }
    }
}

/// How admins are treated. JSON: `{"type":"none"}`, `{"type":"adminsExempt"}`,
/// `{"type":"adminAllowlist","rules":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", content = "rules", rename_all = "camelCase")]
pub enum AdminBypass {
    #[default]
    None,
    AdminsExempt,
    AdminAllowlist(Vec<Rule>),
}

/// A workspace's network policy as stored and exchanged as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    pub mode: Mode,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub surfaces: Surfaces,
    #[serde(default)]
    pub admin_bypass: AdminBypass,
}

/// Why a policy was refused by [`Policy::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    TooManyRules { count: usize, max: usize },
    InvalidId { id: String },
    DuplicateId { id: String },
    LabelTooLong { id: String, len: usize, max: usize },
    DuplicateCidr { cidr: String, first: String, second: String },
    EmptyAllowlist,
    EmptyAdminAllowlist,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyRules { count, max } => write!(f, "{count} rules given, at most {max} allowed"),
            Self::InvalidId { id } => {
                write!(f, "rule id {id:?} must be 1..={MAX_ID_LEN} characters of A-Z a-z 0-9 . _ -")
            }
            Self::DuplicateId { id } => write!(f, "rule id {id:?} is used twice"),
            Self::LabelTooLong { id, len, max } => write!(f, "label of rule {id:?} is {len} bytes, at most {max}"),
            Self::DuplicateCidr { cidr, first, second } => {
                write!(f, "rules {first:?} and {second:?} both cover {cidr}")
            }
            Self::EmptyAllowlist => write!(f, "an allowlist without rules would block everyone"),
            Self::EmptyAdminAllowlist => write!(f, "the admin allowlist has no rules"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// A refusal of [`Policy::check`]: the error and the part of the policy it is about, as a path
/// for the error body's `field` (`rules`, `rules[3].cidr`, `adminBypass.rules[0].id`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub error: PolicyError,
    pub field: String,
}

impl Policy {
    /// Checks limits, ids (unique across both lists), labels and duplicate CIDRs.
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.check().map_err(|invalid| invalid.error)
    }

    /// [`Policy::validate`], naming where the first problem is.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.mode == Mode::Allowlist && self.rules.is_empty() {
            return Err(Invalid { error: PolicyError::EmptyAllowlist, field: "rules".into() });
        }
        let mut ids = HashSet::new();
        validate_list(&self.rules, "rules", &mut ids)?;
        match &self.admin_bypass {
            AdminBypass::AdminAllowlist(rules) if rules.is_empty() => {
                Err(Invalid { error: PolicyError::EmptyAdminAllowlist, field: ADMIN_RULES.into() })
            }
            AdminBypass::AdminAllowlist(rules) => validate_list(rules, ADMIN_RULES, &mut ids),
            AdminBypass::None | AdminBypass::AdminsExempt => Ok(()),
        }
    }
}

/// Where the admin allowlist sits in a policy's JSON.
const ADMIN_RULES: &str = "adminBypass.rules";

fn validate_list<'a>(rules: &'a [Rule], list: &str, ids: &mut HashSet<&'a str>) -> Result<(), Invalid> {
    if rules.len() > MAX_RULES {
        let error = PolicyError::TooManyRules { count: rules.len(), max: MAX_RULES };
        return Err(Invalid { error, field: list.into() });
    }
    let mut cidrs: HashMap<Cidr, &str> = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        let at = |part: &str, error| Invalid { error, field: format!("{list}[{i}].{part}") };
        validate_rule(rule).map_err(|(part, error)| at(part, error))?;
        if !ids.insert(rule.id.as_str()) {
            return Err(at("id", PolicyError::DuplicateId { id: rule.id.clone() }));
        }
        if let Some(first) = cidrs.insert(rule.cidr, &rule.id) {
            let (cidr, second) = (rule.cidr.to_string(), rule.id.clone());
            return Err(at("cidr", PolicyError::DuplicateCidr { cidr, first: first.to_string(), second }));
        }
    }
    Ok(())
}

/// A rule's own checks; the error comes with the rule's member it is about.
fn validate_rule(rule: &Rule) -> Result<(), (&'static str, PolicyError)> {
    let id_ok = (1..=MAX_ID_LEN).contains(&rule.id.len())
        && rule.id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !id_ok {
        return Err(("id", PolicyError::InvalidId { id: rule.id.chars().take(MAX_ID_LEN).collect() }));
    }
    if rule.label.len() > MAX_LABEL_LEN {
        let error = PolicyError::LabelTooLong { id: rule.id.clone(), len: rule.label.len(), max: MAX_LABEL_LEN };
        return Err(("label", error));
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum CompiledBypass {
    None,
    AdminsExempt,
    AdminAllowlist(PrefixSet<Rule>),
}

/// A policy compiled for evaluation; cache it per isolate keyed by the policy version.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    mode: Mode,
    surfaces: Surfaces,
    rules: PrefixSet<Rule>,
    bypass: CompiledBypass,
}

impl CompiledPolicy {
    /// Compiles the rule lists into prefix sets. Call [`Policy::validate`] first: on a
    /// duplicate CIDR the first rule wins here.
    pub fn compile(policy: &Policy) -> Self {
        let bypass = match &policy.admin_bypass {
            AdminBypass::None => CompiledBypass::None,
            AdminBypass::AdminsExempt => CompiledBypass::AdminsExempt,
            AdminBypass::AdminAllowlist(rules) => CompiledBypass::AdminAllowlist(prefix_set(rules)),
        };
        Self { mode: policy.mode, surfaces: policy.surfaces, rules: prefix_set(&policy.rules), bypass }
    }
}

fn prefix_set(rules: &[Rule]) -> PrefixSet<Rule> {
    rules.iter().map(|r| (r.cidr, r.clone())).collect()
}

/// The outcome of evaluating one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Whether the policy admits the request (in monitor-only: would admit).
    pub allowed: bool,
    /// False when the mode is off or monitor-only, or the surface is not enforced.
    pub enforced: bool,
    /// Id of the rule that decided, if any.
    pub matched_rule: Option<String>,
    /// Human-readable explanation.
    pub reason: String,
}

impl Decision {
    /// Whether the request must be refused (403 IP_BLOCKED).
    pub fn blocks(&self) -> bool {
        self.enforced && !self.allowed
    }

    fn new(allowed: bool, enforced: bool, rule: Option<&Rule>, reason: String) -> Self {
        Self { allowed, enforced, matched_rule: rule.map(|r| r.id.clone()), reason }
    }
}

/// Decides whether a request from `ip` on `surface` is admitted (see the module docs).
pub fn evaluate(policy: &CompiledPolicy, ip: IpAddr, surface: Surface, is_admin: bool) -> Decision {
    if policy.mode == Mode::Off {
        return Decision::new(true, false, None, "network policy is off".to_string());
    }
    if !policy.surfaces.enforces(surface) {
        return Decision::new(true, false, None, format!("network policy is not enforced on {surface}"));
    }
    let enforced = policy.mode != Mode::MonitorOnly;
    if is_admin {
        if let Some(decision) = admin_bypass(&policy.bypass, ip, enforced) {
            return decision;
        }
    }
    let matched = policy.rules.longest_match(ip);
    let allowed = match policy.mode {
        Mode::Denylist => matched.is_none(),
        Mode::Off | Mode::Allowlist | Mode::MonitorOnly => matched.is_some(),
    };
    Decision::new(allowed, enforced, matched, rule_reason(policy.mode, ip, matched))
}

fn admin_bypass(bypass: &CompiledBypass, ip: IpAddr, enforced: bool) -> Option<Decision> {
    match bypass {
        CompiledBypass::None => None,
        CompiledBypass::AdminsExempt => Some(Decision::new(true, enforced, None, "admins are exempt".to_string())),
        CompiledBypass::AdminAllowlist(set) => set.longest_match(ip).map(|rule| {
            let reason = format!("{ip} matches admin allowlist rule {} ({})", rule.id, rule.cidr);
            Decision::new(true, enforced, Some(rule), reason)
        }),
    }
}

fn rule_reason(mode: Mode, ip: IpAddr, matched: Option<&Rule>) -> String {
    let list = if mode == Mode::Denylist { "denylist" } else { "allowlist" };
    let monitor = if mode == Mode::MonitorOnly { " (monitor only)" } else { "" };
    match matched {
        Some(rule) => format!("{ip} matches {list} rule {} ({}){monitor}", rule.id, rule.cidr),
        None => format!("{ip} matches no {list} rule{monitor}"),
    }
}

/// A policy change refused because it would block the caller's own request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockoutRisk {
    pub ip: String,
    pub surface: Surface,
    pub matched_rule: Option<String>,
    pub reason: String,
}

impl fmt::Display for LockoutRisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this policy would block your current IP {} on {}: {}", self.ip, self.surface, self.reason)
    }
}

impl std::error::Error for LockoutRisk {}

/// Refuses a new policy that would block the caller's own IP on the surface they are using.
pub fn lockout_guard(
    new_policy: &Policy,
    caller_ip: IpAddr,
    caller_surface: Surface,
    caller_is_admin: bool,
) -> Result<(), LockoutRisk> {
    let decision = evaluate(&CompiledPolicy::compile(new_policy), caller_ip, caller_surface, caller_is_admin);
    if !decision.blocks() {
        return Ok(());
    }
    Err(LockoutRisk {
        ip: caller_ip.to_string(),
        surface: caller_surface,
        matched_rule: decision.matched_rule,
        reason: decision.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICE: &str = "203.0.113.0/24";
    const ADMIN_VPN: &str = "198.51.100.7";

    fn rule(id: &str, cidr: &str) -> Rule {
        Rule { id: id.into(), cidr: Cidr::parse(cidr).unwrap(), label: format!("{id} label") }
    }

    fn ip(s: &str) -> IpAddr {
        super::super::cidr::parse_ip(s).unwrap()
    }

    fn bypasses() -> [AdminBypass; 3] {
        [AdminBypass::None, AdminBypass::AdminsExempt, AdminBypass::AdminAllowlist(vec![rule("vpn", ADMIN_VPN)])]
    }

    fn only(surface: Surface, on: bool) -> Surfaces {
        let mut s = Surfaces { sign_in: !on, dashboard: !on, api: !on, scim: !on };
        match surface {
            Surface::SignIn => s.sign_in = on,
            Surface::Dashboard => s.dashboard = on,
            Surface::Api => s.api = on,
            Surface::Scim => s.scim = on,
        }
        s
    }

    /// The specification, written independently of `evaluate`'s control flow.
    fn expected(p: &Policy, client: &str, surface: Surface, admin: bool) -> (bool, bool, Option<&'static str>) {
        if p.mode == Mode::Off || !p.surfaces.enforces(surface) {
            return (true, false, None);
        }
        let enforced = p.mode != Mode::MonitorOnly;
        match (&p.admin_bypass, admin, client) {
            (AdminBypass::AdminsExempt, true, _) => return (true, enforced, None),
            (AdminBypass::AdminAllowlist(_), true, ADMIN_VPN) => return (true, enforced, Some("vpn")),
            _ => {}
        }
        let in_office = client == "203.0.113.9" || client == "::ffff:203.0.113.200";
        let rule = in_office.then_some("office");
        match p.mode {
            Mode::Denylist => (!in_office, enforced, rule),
            _ => (in_office, enforced, rule),
        }
    }

    #[test]
    fn every_mode_surface_admin_and_bypass_combination() {
        let clients = ["203.0.113.9", "::ffff:203.0.113.200", "192.0.2.1", ADMIN_VPN, "2001:db8::1"];
        let mut checked = 0;
        for mode in [Mode::Off, Mode::Allowlist, Mode::Denylist, Mode::MonitorOnly] {
            for bypass in bypasses() {
                for surface in Surface::ALL {
                    for on in [true, false] {
                        let p = Policy {
                            mode,
                            rules: vec![rule("office", OFFICE)],
                            surfaces: only(surface, on),
                            admin_bypass: bypass.clone(),
                        };
                        p.validate().unwrap();
                        let compiled = CompiledPolicy::compile(&p);
                        for admin in [false, true] {
                            for client in clients {
                                let d = evaluate(&compiled, ip(client), surface, admin);
                                let (allowed, enforced, matched) = expected(&p, client, surface, admin);
                                let ctx =
                                    format!("{mode:?} {bypass:?} {surface} on={on} admin={admin} {client}: {d:?}");
                                assert_eq!(
                                    (d.allowed, d.enforced, d.matched_rule.as_deref()),
                                    (allowed, enforced, matched),
                                    "{ctx}"
                                );
                                assert_eq!(d.blocks(), enforced && !allowed, "{ctx}");
                                assert!(!d.reason.is_empty());
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 4 * 3 * 4 * 2 * 2 * 5);
    }

    #[test]
    fn reasons_explain_the_decision() {
        let p = Policy { mode: Mode::Denylist, rules: vec![rule("scanner", "192.0.2.0/24")], ..Policy::default() };
        let d = evaluate(&CompiledPolicy::compile(&p), ip("192.0.2.5"), Surface::Api, false);
        assert!(d.blocks());
        assert_eq!(d.reason, "192.0.2.5 matches denylist rule scanner (192.0.2.0/24)");
        let p = Policy { mode: Mode::MonitorOnly, ..p };
        let d = evaluate(&CompiledPolicy::compile(&p), ip("10.0.0.1"), Surface::Scim, false);
        assert_eq!(d.reason, "10.0.0.1 matches no allowlist rule (monitor only)");
        let p = Policy { surfaces: only(Surface::Api, false), ..p };
        let d = evaluate(&CompiledPolicy::compile(&p), ip("10.0.0.1"), Surface::Api, false);
        assert_eq!(d.reason, "network policy is not enforced on API");
    }

    #[test]
    fn longest_prefix_decides() {
        let rules = vec![rule("wide", "10.0.0.0/8"), rule("narrow", "10.1.0.0/16"), rule("v6", "2001:db8::/32")];
        let p = Policy { mode: Mode::Allowlist, rules, ..Policy::default() };
        let c = CompiledPolicy::compile(&p);
        let id = |s: &str| evaluate(&c, ip(s), Surface::Api, false).matched_rule;
        assert_eq!(id("10.1.2.3").as_deref(), Some("narrow"));
        assert_eq!(id("10.2.2.3").as_deref(), Some("wide"));
        assert_eq!(id("2001:DB8::5").as_deref(), Some("v6"));
        assert_eq!(id("2001:db9::5"), None);
    }

    #[test]
    fn lockout_guard_refuses_self_block_only() {
        let p = Policy { mode: Mode::Allowlist, rules: vec![rule("office", OFFICE)], ..Policy::default() };
        assert_eq!(lockout_guard(&p, ip("203.0.113.1"), Surface::Dashboard, false), Ok(()));
        let risk = lockout_guard(&p, ip("192.0.2.1"), Surface::Dashboard, true).unwrap_err();
        assert_eq!(
            (risk.ip.as_str(), risk.surface, risk.matched_rule.as_deref()),
            ("192.0.2.1", Surface::Dashboard, None)
        );
        assert!(risk.to_string().contains("192.0.2.1 on DASHBOARD"), "{risk}");
        let exempt = Policy { admin_bypass: AdminBypass::AdminsExempt, ..p.clone() };
        assert_eq!(lockout_guard(&exempt, ip("192.0.2.1"), Surface::Dashboard, true), Ok(()));
        let api_off = Policy { surfaces: only(Surface::Dashboard, false), ..p.clone() };
        assert_eq!(lockout_guard(&api_off, ip("192.0.2.1"), Surface::Dashboard, true), Ok(()));
        let monitor = Policy { mode: Mode::MonitorOnly, ..p };
        assert_eq!(lockout_guard(&monitor, ip("192.0.2.1"), Surface::Dashboard, true), Ok(()));
        let deny = Policy { mode: Mode::Denylist, rules: vec![rule("me", "192.0.2.1")], ..Policy::default() };
        let risk = lockout_guard(&deny, ip("::ffff:192.0.2.1"), Surface::Api, false).unwrap_err();
        assert_eq!(risk.matched_rule.as_deref(), Some("me"));
    }

    #[test]
    fn json_shape_is_camel_case() {
        let json = r#"{"mode":"monitorOnly","rules":[{"id":"hq","cidr":"2001:DB8::/32","label":"HQ"}],
            "surfaces":{"signIn":true,"dashboard":false,"api":true,"scim":false},
            "adminBypass":{"type":"adminAllowlist","rules":[{"id":"vpn","cidr":"::ffff:198.51.100.0/120"}]}}"#;
        let p: Policy = serde_json::from_str(json).unwrap();
        p.validate().unwrap();
        assert_eq!(p.rules[0].cidr.to_string(), "2001:db8::/32");
        let out = serde_json::to_value(&p).unwrap();
        assert_eq!(out["adminBypass"]["rules"][0]["cidr"], "198.51.100.0/24");
        assert_eq!(out["surfaces"]["signIn"], true);
        assert_eq!(serde_json::from_value::<Policy>(out).unwrap(), p);
        let minimal: Policy = serde_json::from_str(r#"{"mode":"off"}"#).unwrap();
        assert_eq!((minimal.surfaces, minimal.admin_bypass), (Surfaces::default(), AdminBypass::None));
        let exempt: Policy =
            serde_json::from_str(r#"{"mode":"denylist","adminBypass":{"type":"adminsExempt"}}"#).unwrap();
        assert_eq!(exempt.admin_bypass, AdminBypass::AdminsExempt);
        assert!(serde_json::from_str::<Policy>(r#"{"mode":"off","extra":1}"#).is_err());
        let bad = serde_json::from_str::<Policy>(r#"{"mode":"denylist","rules":[{"id":"a","cidr":"10.0.0.1/8"}]}"#);
        assert!(bad.unwrap_err().to_string().contains("10.0.0.0/8"));
        let d = Decision { allowed: false, enforced: true, matched_rule: Some("x".into()), reason: "r".into() };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"allowed":false,"enforced":true,"matchedRule":"x","reason":"r"}"#
        );
        assert_eq!(serde_json::to_string(&Surface::SignIn).unwrap(), "\"SIGN_IN\"");
    }

    #[test]
    fn validation_errors_name_their_field() {
        let p = Policy {
            mode: Mode::Denylist,
            rules: vec![rule("a", "10.0.0.0/8"), rule("b", "11.0.0.0/8"), rule("c", "10.0.0.0/8")],
            admin_bypass: AdminBypass::AdminAllowlist(vec![rule("vpn", "1.2.3.4"), rule("b", "1.2.3.5")]),
            ..Policy::default()
        };
        let field = |p: &Policy| p.check().unwrap_err().field;
        assert_eq!(field(&p), "rules[2].cidr");
        let p = Policy { rules: p.rules[..2].to_vec(), ..p };
        assert_eq!(field(&p), "adminBypass.rules[1].id");
        let mut p = Policy { admin_bypass: AdminBypass::AdminsExempt, ..p };
        p.rules[1].label = "l".repeat(201);
        assert_eq!(field(&p), "rules[1].label");
        p.rules[0].id = "bad id".into();
        assert_eq!(field(&p), "rules[0].id");
        assert_eq!(field(&Policy { mode: Mode::Allowlist, ..Policy::default() }), "rules");
        let empty_admin = Policy { admin_bypass: AdminBypass::AdminAllowlist(vec![]), ..Policy::default() };
        assert_eq!(field(&empty_admin), "adminBypass.rules");
        let many: Vec<Rule> = (0..=MAX_RULES).map(|i| rule(&format!("r{i}"), "10.0.0.0/8")).collect();
        let admin_many = Policy { admin_bypass: AdminBypass::AdminAllowlist(many.clone()), ..Policy::default() };
        assert_eq!(field(&admin_many), "adminBypass.rules");
        assert_eq!(field(&Policy { rules: many, ..Policy::default() }), "rules");
    }

    #[test]
    fn validation_errors() {
        let base = Policy { mode: Mode::Denylist, rules: vec![rule("a", "10.0.0.0/8")], ..Policy::default() };
        let with = |rules: Vec<Rule>| Policy { rules, ..base.clone() }.validate();
        assert_eq!(Policy { mode: Mode::Allowlist, ..Policy::default() }.validate(), Err(PolicyError::EmptyAllowlist));
        assert_eq!(
            with(vec![rule("a", "10.0.0.0/8"), rule("a", "11.0.0.0/8")]),
            Err(PolicyError::DuplicateId { id: "a".into() })
        );
        assert!(matches!(
            with(vec![rule("a", "10.0.0.0/8"), rule("b", "10.0.0.0/8")]),
            Err(PolicyError::DuplicateCidr { .. })
        ));
        assert!(matches!(with(vec![rule("bad id", "10.0.0.0/8")]), Err(PolicyError::InvalidId { .. })));
        assert!(matches!(with(vec![rule("", "10.0.0.0/8")]), Err(PolicyError::InvalidId { .. })));
        assert!(matches!(with(vec![rule(&"x".repeat(65), "10.0.0.0/8")]), Err(PolicyError::InvalidId { .. })));
        let long_label = Rule { label: "l".repeat(201), ..rule("a", "10.0.0.0/8") };
        assert!(matches!(with(vec![long_label]), Err(PolicyError::LabelTooLong { .. })));
        let many = (0..=MAX_RULES).map(|i| rule(&format!("r{i}"), "10.0.0.0/8")).collect();
        assert_eq!(with(many), Err(PolicyError::TooManyRules { count: MAX_RULES + 1, max: MAX_RULES }));
        let admin = |rules| Policy { admin_bypass: AdminBypass::AdminAllowlist(rules), ..base.clone() }.validate();
        assert_eq!(admin(vec![]), Err(PolicyError::EmptyAdminAllowlist));
        assert_eq!(admin(vec![rule("a", "1.2.3.4")]), Err(PolicyError::DuplicateId { id: "a".into() }));
        assert_eq!(admin(vec![rule("b", "10.0.0.0/8")]), Ok(()));
    }
}
