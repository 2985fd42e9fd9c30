//! The audit diff of a network-policy change: what changed, not two copies of a policy that
//! may hold 10,000 rules. Rules are matched by id; a rule whose CIDR or label changed is
//! "changed". At most [`MAX_LISTED`] rules are listed per kind; the counts are always exact.

use serde_json::{json, Map, Value};

use super::policy::{AdminBypass, Policy, Rule};

/// Most rules listed per kind (added, removed, changed) in one audit row.
pub const MAX_LISTED: usize = 50;

/// The diff as audit `data`: `{"changed": {field: {before, after}}, "rules": {...},
/// "adminRules": {...}}`, each part present only when something changed.
pub fn diff(before: &Policy, after: &Policy) -> Value {
    let mut fields = Map::new();
    let mut field = |name: &str, b: Value, a: Value| {
        if b != a {
            fields.insert(name.into(), json!({"before": b, "after": a}));
        }
    };
    field("mode", json!(before.mode), json!(after.mode));
    field("surfaces", json!(before.surfaces), json!(after.surfaces));
    field("adminBypass", json!(bypass_kind(&before.admin_bypass)), json!(bypass_kind(&after.admin_bypass)));
    let mut out = Map::new();
    if !fields.is_empty() {
        out.insert("changed".into(), Value::Object(fields));
    }
    if let Some(rules) = rule_diff(&before.rules, &after.rules) {
        out.insert("rules".into(), rules);
    }
    if let Some(rules) = rule_diff(admin_rules(&before.admin_bypass), admin_rules(&after.admin_bypass)) {
        out.insert("adminRules".into(), rules);
    }
    Value::Object(out)
}

fn bypass_kind(bypass: &AdminBypass) -> &'static str {
    match bypass {
        AdminBypass::None => "none",
        AdminBypass::AdminsExempt => "adminsExempt",
        AdminBypass::AdminAllowlist(_) => "adminAllowlist",
    }
}

fn admin_rules(bypass: &AdminBypass) -> &[Rule] {
    match bypass {
        AdminBypass::AdminAllowlist(rules) => rules,
        _ => &[],
    }
}

fn rule_diff(before: &[Rule], after: &[Rule]) -> Option<Value> {
    let old: std::collections::HashMap<&str, &Rule> = before.iter().map(|r| (r.id.as_str(), r)).collect();
    let new: std::collections::HashSet<&str> = after.iter().map(|r| r.id.as_str()).collect();
    let added: Vec<&Rule> = after.iter().filter(|r| !old.contains_key(r.id.as_str())).collect();
    let removed: Vec<&Rule> = before.iter().filter(|r| !new.contains(r.id.as_str())).collect();
    let changed: Vec<Value> = after
        .iter()
        .filter_map(|r| old.get(r.id.as_str()).filter(|o| **o != r).map(|o| json!({"before": o, "after": r})))
        .collect();
    if added.is_empty() && removed.is_empty() && changed.is_empty() {
        return None;
    }
    let truncated = [added.len(), removed.len(), changed.len()].into_iter().any(|n| n > MAX_LISTED);
    Some(json!({
        "count": {"before": before.len(), "after": after.len(), "added": added.len(), "removed": removed.len(), "changed": changed.len()},
        "added": added.iter().take(MAX_LISTED).collect::<Vec<_>>(),
        "removed": removed.iter().take(MAX_LISTED).collect::<Vec<_>>(),
        "changed": changed.into_iter().take(MAX_LISTED).collect::<Vec<_>>(),
        "truncated": truncated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpolicy::policy::Mode;

    fn rule(id: &str, cidr: &str) -> Rule {
        Rule { id: id.into(), cidr: cidr.parse().unwrap(), label: String::new() }
    }

    fn allowlist(rules: Vec<Rule>) -> Policy {
        Policy { mode: Mode::Allowlist, rules, ..Policy::default() }
    }

    #[test]
    fn identical_policies_have_an_empty_diff() {
        let p = allowlist(vec![rule("a", "10.0.0.0/8")]);
        assert_eq!(diff(&p, &p), json!({}));
    }

    #[test]
    fn fields_and_rules_added_removed_changed() {
        let before = allowlist(vec![rule("a", "10.0.0.0/8"), rule("b", "192.0.2.0/24")]);
        let mut after = allowlist(vec![rule("a", "10.0.0.0/16"), rule("c", "2001:db8::/32")]);
        after.mode = Mode::MonitorOnly;
        after.admin_bypass = AdminBypass::AdminsExempt;
        let d = diff(&before, &after);
        assert_eq!(d["changed"]["mode"], json!({"before": "allowlist", "after": "monitorOnly"}));
        assert_eq!(d["changed"]["adminBypass"], json!({"before": "none", "after": "adminsExempt"}));
        assert!(d["changed"].get("surfaces").is_none());
        assert_eq!(d["rules"]["count"], json!({"before": 2, "after": 2, "added": 1, "removed": 1, "changed": 1}));
        assert_eq!(d["rules"]["added"][0]["id"], "c");
        assert_eq!(d["rules"]["removed"][0]["cidr"], "192.0.2.0/24");
        assert_eq!(d["rules"]["changed"][0]["before"]["cidr"], "10.0.0.0/8");
        assert_eq!(d["rules"]["changed"][0]["after"]["cidr"], "10.0.0.0/16");
        assert!(d.get("adminRules").is_none());
    }

    #[test]
    fn ten_thousand_new_rules_are_counted_exactly_and_listed_up_to_the_cap() {
        let rules =
            (0..10_000u32).map(|i| rule(&format!("r{i}"), &format!("10.{}.{}.0/24", i >> 8, i & 0xff))).collect();
        let d = diff(&Policy::default(), &allowlist(rules));
        assert_eq!(d["rules"]["count"]["added"], 10_000);
        assert_eq!(d["rules"]["added"].as_array().unwrap().len(), MAX_LISTED);
        assert_eq!(d["rules"]["truncated"], true);
        assert!(d.to_string().len() < 8_000, "bounded audit row");
    }

    #[test]
    fn admin_allowlist_rules_are_diffed_separately() {
        let before = Policy {
            admin_bypass: AdminBypass::AdminAllowlist(vec![rule("vpn", "198.51.100.0/24")]),
            ..allowlist(vec![rule("a", "10.0.0.0/8")])
        };
        let after = Policy { admin_bypass: AdminBypass::AdminAllowlist(vec![]), ..before.clone() };
        let d = diff(&before, &after);
        assert_eq!(d["adminRules"]["removed"][0]["id"], "vpn");
        assert!(d.get("rules").is_none() && d.get("changed").is_none());
    }
}
