//! What-if replay of a draft network policy over the audit ledger: each ledger row that records
//! a request (a sign-in, a dashboard or API write, a SCIM call, a network-policy block) is
//! mapped to the surface it came in on and evaluated with the same [`evaluate`] enforcement
//! uses (mode, surfaces, admin bypass included), then compared with what actually happened
//! (a `WORKSPACE_NETWORK_POLICY_BLOCKED` row was refused; every other row went through).
//!
//! Counts are ledger rows, not requests: enforcement records at most one block per address,
//! rule and surface every ten minutes, and reads write no rows. Pure: the edge reads the rows
//! (grouped by address, action and actor) and the clock, this module does the rest.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::cidr::parse_ip;
use super::policy::{evaluate, CompiledPolicy, Decision, Mode, Policy, Surface};
use crate::audit::actions::Action;

/// Window used when neither `from` nor `to` is given: the last seven days.
pub const DEFAULT_WINDOW_MS: i64 = 7 * DAY_MS;
/// Longest window one replay may cover.
pub const MAX_WINDOW_MS: i64 = 90 * DAY_MS;
/// Most addresses and users listed; the rest are counted in `total`.
pub const TOP: usize = 50;
/// The actor kinds whose rows record a request from a client address.
pub const REPLAYED_ACTORS: [&str; 3] = ["user", "pat", "scim_token"];

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The replayed interval, `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A window refused: the request field it is about and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowError {
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl Window {
    /// The window from the optional bounds: `to` defaults to now, `from` to seven days before
    /// `to`. `from` must be before `to`, and the window at most [`MAX_WINDOW_MS`] long.
    pub fn new(from: Option<i64>, to: Option<i64>, now_ms: i64) -> Result<Self, WindowError> {
        let to_ms = to.unwrap_or(now_ms);
        let from_ms = from.unwrap_or(to_ms.saturating_sub(DEFAULT_WINDOW_MS));
        if from_ms >= to_ms {
            return Err(WindowError { field: "to", reason: "must be later than from".into() });
        }
        if to_ms - from_ms > MAX_WINDOW_MS {
            return Err(WindowError { field: "from", reason: "the window is at most 90 days long".into() });
        }
        Ok(Self { from_ms, to_ms })
    }
}

/// Ledger rows sharing an address, action and actor (as the edge's query groups them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LedgerGroup {
    pub ip: String,
    pub action: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    /// `data.surface` of network-policy rows.
    pub surface: Option<String>,
    /// The actor's sign-in email and role, when the actor is a user of the workspace.
    pub email: Option<String>,
    pub role: Option<String>,
    /// How many rows.
    pub n: u64,
}

/// What the draft does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allow,
    Block,
    /// Monitor-only: let through, recorded as a would-be block.
    Monitor,
}

impl Outcome {
    fn of(decision: &Decision) -> Self {
        match (decision.allowed, decision.blocks()) {
            (true, _) => Self::Allow,
            (false, true) => Self::Block,
            (false, false) => Self::Monitor,
        }
    }
}

/// The counts of one surface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurfaceCounts {
    pub surface: &'static str,
    /// Whether the draft enforces this surface at all (mode not off, surface switched on).
    pub enforced: bool,
    pub rows: u64,
    pub allow: u64,
    pub block: u64,
    pub monitor: u64,
    /// Rows the stored policy actually refused.
    pub actually_blocked: u64,
    /// Went through, the draft would block.
    pub newly_blocked: u64,
    /// Were refused, the draft would let through.
    pub newly_allowed: u64,
}

/// A capped, sorted list with the number of distinct entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Top<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressCount {
    pub ip: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserCount {
    pub id: String,
    pub email: Option<String>,
    pub count: u64,
}

/// The answer of one replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub mode: Mode,
    /// Rows replayed.
    pub rows: u64,
    /// Rows whose recorded address does not parse (not replayed).
    pub skipped: u64,
    pub surfaces: Vec<SurfaceCounts>,
    /// Addresses the draft's rules refuse (blocked, or would-block in monitor-only), by rows.
    pub blocked_addresses: Top<AddressCount>,
    /// Users whose rows the draft's rules refuse (sessions and personal access tokens).
    pub affected_users: Top<UserCount>,
}

/// The surface a row's request came in on, and whether enforcement refused it.
fn classify(group: &LedgerGroup) -> Option<(Surface, bool)> {
    let policy_row = |s: &Option<String>| Surface::ALL.into_iter().find(|x| Some(x.as_str()) == s.as_deref());
    if group.action == Action::NetworkPolicyBlocked.code() {
        return policy_row(&group.surface).map(|s| (s, true));
    }
    if group.action == Action::NetworkPolicyWouldBlock.code() {
        return policy_row(&group.surface).map(|s| (s, false));
    }
    let surface = match group.actor_type.as_str() {
        "scim_token" => Surface::Scim,
        "pat" => Surface::Api,
        "user" if is_sign_in(&group.action) => Surface::SignIn,
        "user" => Surface::Dashboard,
        _ => return None,
    };
    Some((surface, false))
}

fn is_sign_in(action: &str) -> bool {
    let sign_in = [Action::SigninSucceeded, Action::SigninFailed, Action::SigninMfaChallenged, Action::LockedOut];
    sign_in.iter().any(|a| a.code() == action)
}

/// Replays `policy` (validated) over the grouped ledger rows.
pub fn replay(policy: &Policy, groups: &[LedgerGroup]) -> Report {
    let compiled = CompiledPolicy::compile(policy);
    let mut surfaces: Vec<SurfaceCounts> = Surface::ALL
        .iter()
        .map(|s| SurfaceCounts {
            surface: s.as_str(),
            enforced: policy.mode != Mode::Off && policy.surfaces.enforces(*s),
            ..SurfaceCounts::default()
        })
        .collect();
    let (mut rows, mut skipped) = (0, 0);
    let mut addresses: HashMap<IpAddr, u64> = HashMap::new();
    let mut users: HashMap<&str, (Option<&str>, u64)> = HashMap::new();
    for group in groups {
        let Some((surface, was_blocked)) = classify(group) else { continue };
        let Ok(ip) = parse_ip(&group.ip) else {
            skipped += group.n;
            continue;
        };
        rows += group.n;
        let is_admin = matches!(group.role.as_deref(), Some("owner" | "admin"));
        let outcome = Outcome::of(&evaluate(&compiled, ip, surface, is_admin));
        let index = Surface::ALL.iter().position(|s| *s == surface).unwrap_or_default();
        if let Some(counts) = surfaces.get_mut(index) {
            tally(counts, outcome, was_blocked, group.n);
        }
        if outcome != Outcome::Allow {
            *addresses.entry(ip).or_default() += group.n;
            if let (Some(id), "user" | "pat") = (group.actor_id.as_deref(), group.actor_type.as_str()) {
                users.entry(id).or_insert((group.email.as_deref(), 0)).1 += group.n;
            }
        }
    }
    let blocked_addresses = top(addresses.into_iter().map(|(ip, count)| AddressCount { ip: ip.to_string(), count }));
    let affected_users = top(users.into_iter().map(|(id, (email, count))| UserCount {
        id: id.to_string(),
        email: email.map(str::to_string),
        count,
    }));
    Report { mode: policy.mode, rows, skipped, surfaces, blocked_addresses, affected_users }
}

fn tally(counts: &mut SurfaceCounts, outcome: Outcome, was_blocked: bool, n: u64) {
    counts.rows += n;
    match outcome {
        Outcome::Allow => counts.allow += n,
        Outcome::Block => counts.block += n,
        Outcome::Monitor => counts.monitor += n,
    }
    if was_blocked {
        counts.actually_blocked += n;
    }
    match (was_blocked, outcome == Outcome::Block) {
        (false, true) => counts.newly_blocked += n,
        (true, false) => counts.newly_allowed += n,
        _ => {}
    }
}

/// Something listed by its row count.
trait Counted {
    fn count(&self) -> u64;
    fn key(&self) -> &str;
}

impl Counted for AddressCount {
    fn count(&self) -> u64 {
        self.count
    }
    fn key(&self) -> &str {
        &self.ip
    }
}

impl Counted for UserCount {
    fn count(&self) -> u64 {
        self.count
    }
    fn key(&self) -> &str {
        &self.id
    }
}

/// The [`TOP`] entries with the most rows (ties by key), and how many there were.
fn top<T: Counted>(entries: impl Iterator<Item = T>) -> Top<T> {
    let mut items: Vec<T> = entries.collect();
    items.sort_by(|a, b| b.count().cmp(&a.count()).then_with(|| a.key().cmp(b.key())));
    let total = items.len();
    items.truncate(TOP);
    Top { items, total, truncated: total > TOP }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpolicy::cidr::Cidr;
    use crate::netpolicy::policy::{AdminBypass, Rule, Surfaces};

    const NOW: i64 = 1_800_000_000_000;

    fn rule(id: &str, cidr: &str) -> Rule {
        Rule { id: id.into(), cidr: Cidr::parse(cidr).unwrap(), label: String::new() }
    }

    fn group(ip: &str, action: Action, actor: (&str, Option<&str>), role: Option<&str>, n: u64) -> LedgerGroup {
        LedgerGroup {
            ip: ip.into(),
            action: action.code().into(),
            actor_type: actor.0.into(),
            actor_id: actor.1.map(str::to_string),
            surface: None,
            email: actor.1.map(|id| format!("{id}@example.test")),
            role: role.map(str::to_string),
            n,
        }
    }

    fn blocked(ip: &str, surface: Surface, actor: (&str, Option<&str>), n: u64) -> LedgerGroup {
        LedgerGroup {
            surface: Some(surface.as_str().into()),
            ..group(ip, Action::NetworkPolicyBlocked, actor, Some("member"), n)
        }
    }

    const MEMBER: (&str, Option<&str>) = ("user", Some("u_member"));
    const ADMIN: (&str, Option<&str>) = ("user", Some("u_admin"));

    /// A small ledger: member and admin sign-ins and writes from the office and a café, a PAT
    /// call, SCIM calls, a real block, an unusable address and a system row.
    fn ledger() -> Vec<LedgerGroup> {
        vec![
            group("198.51.100.7", Action::SigninSucceeded, MEMBER, Some("member"), 4),
            group("203.0.113.9", Action::SigninFailed, MEMBER, Some("member"), 3),
            group("203.0.113.9", Action::SigninSucceeded, ADMIN, Some("owner"), 2),
            group("203.0.113.9", Action::PatCreated, MEMBER, Some("member"), 1),
            group("::ffff:203.0.113.10", Action::PatRevoked, ("pat", Some("u_member")), Some("member"), 5),
            group("192.0.2.1", Action::ScimUserProvisioned, ("scim_token", Some("tok_1")), None, 7),
            blocked("192.0.2.50", Surface::Api, ("pat", Some("u_member")), 1),
            group("not-an-ip", Action::SigninSucceeded, MEMBER, Some("member"), 6),
            group("10.0.0.1", Action::WebhookDisabled, ("system", None), None, 9),
        ]
    }

    fn counts(r: &Report, s: Surface) -> (u64, u64, u64, u64, u64, u64) {
        let c = r.surfaces.iter().find(|c| c.surface == s.as_str()).unwrap();
        (c.rows, c.allow, c.block, c.monitor, c.newly_blocked, c.newly_allowed)
    }

    fn allowlist(bypass: AdminBypass) -> Policy {
        Policy {
            mode: Mode::Allowlist,
            rules: vec![rule("office", "198.51.100.0/24"), rule("idp", "192.0.2.0/28")],
            surfaces: Surfaces::default(),
            admin_bypass: bypass,
        }
    }

    #[test]
    fn allowlist_replay_counts_every_surface_and_lists_who_it_blocks() {
        let r = replay(&allowlist(AdminBypass::None), &ledger());
        assert_eq!((r.rows, r.skipped), (23, 6));
        assert_eq!(counts(&r, Surface::SignIn), (9, 4, 5, 0, 5, 0));
        assert_eq!(counts(&r, Surface::Dashboard), (1, 0, 1, 0, 1, 0));
        assert_eq!(counts(&r, Surface::Api), (6, 0, 6, 0, 5, 0));
        assert_eq!(counts(&r, Surface::Scim), (7, 7, 0, 0, 0, 0));
        let ips: Vec<(&str, u64)> = r.blocked_addresses.items.iter().map(|a| (a.ip.as_str(), a.count)).collect();
        assert_eq!(ips, [("203.0.113.9", 6), ("203.0.113.10", 5), ("192.0.2.50", 1)]);
        let users: Vec<(&str, u64)> = r.affected_users.items.iter().map(|u| (u.id.as_str(), u.count)).collect();
        assert_eq!(users, [("u_member", 10), ("u_admin", 2)]);
        assert_eq!(r.affected_users.items[1].email.as_deref(), Some("u_admin@example.test"));
        assert!(!r.blocked_addresses.truncated && r.blocked_addresses.total == 3);
    }

    #[test]
    fn admin_bypass_and_surfaces_apply_as_enforcement_does() {
        let r = replay(&allowlist(AdminBypass::AdminsExempt), &ledger());
        assert_eq!(counts(&r, Surface::SignIn), (9, 6, 3, 0, 3, 0));
        assert_eq!(r.affected_users.items.len(), 1);
        let mut p = allowlist(AdminBypass::AdminAllowlist(vec![rule("vpn", "203.0.113.0/24")]));
        p.surfaces.api = false;
        let r = replay(&p, &ledger());
        assert_eq!(counts(&r, Surface::SignIn), (9, 6, 3, 0, 3, 0));
        let api = r.surfaces.iter().find(|c| c.surface == "API").unwrap();
        assert_eq!((api.enforced, api.allow, api.actually_blocked, api.newly_allowed), (false, 6, 1, 1));
    }

    #[test]
    fn denylist_monitor_and_off() {
        let deny = Policy { mode: Mode::Denylist, rules: vec![rule("cafe", "203.0.113.0/24")], ..Policy::default() };
        let r = replay(&deny, &ledger());
        assert_eq!(counts(&r, Surface::SignIn), (9, 4, 5, 0, 5, 0));
        assert_eq!(counts(&r, Surface::Api), (6, 1, 5, 0, 5, 1));
        let monitor = Policy { mode: Mode::MonitorOnly, ..allowlist(AdminBypass::None) };
        let r = replay(&monitor, &ledger());
        assert_eq!(counts(&r, Surface::SignIn), (9, 4, 0, 5, 0, 0));
        assert_eq!(r.blocked_addresses.total, 3, "monitor-only lists would-be blocks");
        let r = replay(&Policy::default(), &ledger());
        assert!(r.surfaces.iter().all(|c| !c.enforced && c.block == 0 && c.monitor == 0));
        assert_eq!(counts(&r, Surface::Api), (6, 6, 0, 0, 0, 1));
        assert!(r.blocked_addresses.items.is_empty() && r.affected_users.items.is_empty());
    }

    #[test]
    fn lists_are_capped_and_sorted_by_count_then_key() {
        let groups: Vec<LedgerGroup> = (0..120u64)
            .map(|i| group(&format!("10.0.{}.{}", i / 100, i % 100), Action::UserUpdated, MEMBER, None, i % 3 + 1))
            .collect();
        let deny = Policy { mode: Mode::Denylist, rules: vec![rule("ten", "10.0.0.0/8")], ..Policy::default() };
        let r = replay(&deny, &groups);
        assert_eq!((r.blocked_addresses.total, r.blocked_addresses.truncated), (120, true));
        assert_eq!(r.blocked_addresses.items.len(), TOP);
        assert_eq!(r.blocked_addresses.items[0], AddressCount { ip: "10.0.0.11".into(), count: 3 });
        assert!(r.blocked_addresses.items.windows(2).all(|w| w[0].count >= w[1].count));
        assert_eq!(
            r.affected_users.items,
            [UserCount { id: "u_member".into(), email: Some("u_member@example.test".into()), count: 240 }]
        );
    }

    #[test]
    fn ten_thousand_rules_over_fifty_thousand_rows() {
        let rules =
            (0..10_000u32).map(|i| rule(&format!("r{i}"), &format!("10.{}.{}.0/24", i >> 8, i & 0xff))).collect();
        let p = Policy { mode: Mode::Allowlist, rules, ..Policy::default() };
        let groups: Vec<LedgerGroup> = (0..50_000u32)
            .map(|i| group(&format!("10.{}.{}.1", i % 64, i % 250), Action::UserUpdated, MEMBER, None, 1))
            .collect();
        let r = replay(&p, &groups);
        // 10.0.0.0/24 … 10.39.15.0/24 are allowed: second octet below 39, or 39 with third below 16.
        let allowed = (0..50_000u32).filter(|i| (i % 64) < 39 || (i % 64 == 39 && i % 250 < 16)).count() as u64;
        assert_eq!(counts(&r, Surface::Dashboard), (50_000, allowed, 50_000 - allowed, 0, 50_000 - allowed, 0));
    }

    #[test]
    fn windows() {
        let w = Window::new(None, None, NOW).unwrap();
        assert_eq!((w.from_ms, w.to_ms), (NOW - DEFAULT_WINDOW_MS, NOW));
        let w = Window::new(None, Some(NOW - 1000), NOW).unwrap();
        assert_eq!(w.from_ms, NOW - 1000 - DEFAULT_WINDOW_MS);
        assert_eq!(Window::new(Some(NOW - MAX_WINDOW_MS), None, NOW).unwrap().from_ms, NOW - MAX_WINDOW_MS);
        assert_eq!(Window::new(Some(NOW), Some(NOW), NOW).unwrap_err().field, "to");
        assert_eq!(Window::new(Some(NOW + 1), None, NOW).unwrap_err().field, "to");
        let long = Window::new(Some(NOW - MAX_WINDOW_MS - 1), None, NOW).unwrap_err();
        assert_eq!((long.field, long.to_string().contains("90 days")), ("from", true));
        assert!(Window::new(Some(NOW + DAY_MS), Some(NOW + 2 * DAY_MS), NOW).is_ok(), "a future window is allowed");
    }

    #[test]
    fn report_json_shape() {
        let deny = Policy { mode: Mode::Denylist, rules: vec![rule("cafe", "203.0.113.9")], ..Policy::default() };
        let v = serde_json::to_value(replay(&deny, &ledger()[1..2])).unwrap();
        assert_eq!(v["mode"], "denylist");
        assert_eq!(v["surfaces"][0]["newlyBlocked"], 3);
        assert_eq!(
            v["blockedAddresses"],
            serde_json::json!({"items": [{"ip": "203.0.113.9", "count": 3}], "total": 1, "truncated": false})
        );
        assert_eq!(v["affectedUsers"]["items"][0]["email"], "u_member@example.test");
    }
}
