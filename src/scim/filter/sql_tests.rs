//! Host tests of [`super`]: the compiled SQL of RFC 7644 §3.4.2.2 filters, its agreement with
//! `eval::matches` through SQLite (`mod oracle`), and the query plans of indexed filters
//! (`mod plans`).

use super::*;
use crate::scim::filter::parse;
use crate::scim::schema::{GROUP_TYPE, USER_TYPE};

fn user(text: &str) -> SqlFilter {
    compile(&parse(text, &USER_TYPE).unwrap_or_else(|e| panic!("{text}: {e}")), &USER_TYPE, 2)
}

fn text(s: &str) -> SqlParam {
    SqlParam::Text(s.to_string())
}

/// RFC 7644 §3.4.2.2 examples: `eq` on indexed attributes is a plain `column = ?N`.
#[test]
fn rfc7644_3_4_2_2_examples_compile_to_plain_index_friendly_sql() {
    let cases = [
        ("userName eq \"bjensen\"", "(u.user_name = ?2)", vec![text("bjensen")]),
        ("externalId eq \"00u1\"", "(u.external_id IS NOT NULL AND u.external_id = ?2)", vec![text("00u1")]),
        ("displayName eq \"B\"", "(u.display_name IS NOT NULL AND u.display_name = ?2)", vec![text("B")]),
        ("name.givenName eq \"B\"", "(u.given_name IS NOT NULL AND u.given_name = ?2)", vec![text("B")]),
        ("name.familyName eq \"J\"", "(u.family_name IS NOT NULL AND u.family_name = ?2)", vec![text("J")]),
        ("id eq \"u_1\"", "(u.id = ?2)", vec![text("u_1")]),
        (
            "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
            "(u.updated_at > ?2)",
            vec![SqlParam::Int(1_305_261_754_000)],
        ),
        ("meta.created le \"2011-05-13T04:42:34Z\"", "(u.created_at <= ?2)", vec![SqlParam::Int(1_305_261_754_000)]),
        ("userName sw \"J\"", "(u.user_name >= ?2 AND u.user_name < ?3)", vec![text("j"), text("k")]),
        (
            "emails.value eq \"b@x\"",
            "u.id IN (SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1 AND (e.value = ?2))",
            vec![text("b@x")],
        ),
        (
            "groups eq \"g_1\"",
            "u.id IN (SELECT m.user_id FROM scim_group_members m WHERE m.workspace_id = ?1 AND (m.group_id = ?2))",
            vec![text("g_1")],
        ),
        ("active eq true", "(u.status = 'active')", vec![]),
        ("active eq false", "(u.status <> 'active')", vec![]),
        ("active ne false", "NOT ((u.status <> 'active'))", vec![]),
        (
            "title pr",
            "(json_extract(u.scim, '$.\"title\"') IS NOT NULL AND json_extract(u.scim, '$.\"title\"') <> '')",
            vec![],
        ),
    ];
    for (filter, sql, params) in cases {
        let c = user(filter);
        assert_eq!((c.sql.as_str(), &c.params, c.exact), (sql, &params, true), "{filter}");
    }
}

#[test]
fn value_paths_share_one_subquery_and_plain_paths_do_not() {
    let c = user("emails[type eq \"work\" and value co \"@X\"]");
    assert_eq!(
        c.sql,
        "u.id IN (SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1 AND \
             ((e.type IS NOT NULL AND e.type = ?2) AND (e.value LIKE ?3 ESCAPE '\\')))"
    );
    assert_eq!(c.params, [text("work"), text("%@X%")]);
    let c = user("emails.type eq \"work\" and emails.value co \"@X\"");
    assert_eq!(c.sql.matches("SELECT e.user_id").count(), 2);
    let c = user("emails.type ne \"work\"");
    assert!(c.sql.starts_with("NOT (u.id IN (SELECT"), "{}", c.sql);
}

#[test]
fn extension_and_case_rules_for_json_values() {
    let c = user("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"R&D\"");
    let x = "json_extract(u.scim, '$.\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\".\"department\"')";
    assert_eq!(c.sql, format!("({x} IS NOT NULL AND {x} = ?2 COLLATE NOCASE)"));
    let c = user("manager.value eq \"u_2\"");
    let x = "json_extract(u.scim, '$.\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\".\"manager\".\"value\"')";
    assert_eq!(c.sql, format!("({x} IS NOT NULL AND {x} = ?2)"));
    let c = user("manager.value co \"U\"");
    assert_eq!(c.sql, format!("({x} IS NOT NULL AND instr({x}, ?2) > 0)"));
    let c = user("name pr");
    let x = "json_extract(u.scim, '$.\"name\"')";
    assert_eq!(c.sql, format!("({x} IS NOT NULL AND {x} <> '{{}}')"));
    let c = user("title ew \"Eer\"");
    let x = "json_extract(u.scim, '$.\"title\"')";
    assert_eq!(c.sql, format!("({x} IS NOT NULL AND substr({x}, ?2) = ?3 COLLATE NOCASE)"));
    assert_eq!(c.params, [SqlParam::Int(-3), text("Eer")]);
    let c = user("displayName ew \"x\"");
    assert!(c.sql.ends_with("substr(u.display_name, ?2) = ?3 COLLATE NOCASE)"), "{}", c.sql);
    assert_eq!(user("externalId ew \"x\"").sql, "(u.external_id IS NOT NULL AND substr(u.external_id, ?2) = ?3)");
}

#[test]
fn null_pr_and_ne_are_two_valued() {
    assert_eq!(user("displayName eq null").sql, "NOT ((u.display_name IS NOT NULL AND u.display_name <> ''))");
    assert_eq!(user("displayName ne null").sql, "(u.display_name IS NOT NULL AND u.display_name <> '')");
    assert_eq!(user("displayName ne \"x\"").sql, "NOT ((u.display_name IS NOT NULL AND u.display_name = ?2))");
    assert_eq!(user("meta.created pr").sql, "1");
    assert_eq!(user("meta eq null").sql, "NOT (1)");
    assert_eq!(
        user("emails eq null").sql,
        "NOT (u.id IN (SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1 AND (e.value <> '')))"
    );
    assert_eq!(user("emails pr").sql, "u.id IN (SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1 AND 1)");
    assert_eq!(user("userName co \"\"").sql, "(1)");
    assert_eq!(user("title sw \"\"").sql, "(json_extract(u.scim, '$.\"title\"') IS NOT NULL AND 1)");
}

/// What the tables cannot say compiles to `1` in positive positions and `0` under an odd
/// number of negations, so the result is always a superset.
#[test]
fn inexact_leaves_widen_in_both_polarities() {
    let cases = [
        ("phoneNumbers.value eq \"1\"", "1"),
        ("not (phoneNumbers.value eq \"1\")", "NOT (0)"),
        ("phoneNumbers.value ne \"1\"", "NOT (0)"),
        ("not (not (phoneNumbers pr))", "NOT (NOT (1))"),
        ("phoneNumbers eq null", "NOT (0)"),
        ("emails.primary eq false", "u.id IN (SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1 AND 1)"),
        (
            "not (emails[display co \"x\"])",
            "NOT (u.id IN (SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1 AND 0))",
        ),
        ("meta.resourceType eq \"User\"", "1"),
        (
            "groups[display eq \"x\"]",
            "u.id IN (SELECT m.user_id FROM scim_group_members m WHERE m.workspace_id = ?1 AND 1)",
        ),
    ];
    for (filter, sql) in cases {
        let c = user(filter);
        assert_eq!((c.sql.as_str(), c.exact), (sql, false), "{filter}");
    }
    let c = user("not (userName eq \"a\" or phoneNumbers pr)");
    assert_eq!(c.sql, "NOT (((u.user_name = ?2) OR 0))");
    assert!(!c.exact);
    assert!(user("not (userName eq \"a\" or emails.primary eq true)").exact);
    assert!(!user("title co \"a\\u0000b\"").exact);
}

#[test]
fn placeholders_number_from_first_param() {
    let f = parse("userName sw \"a\" and title ew \"b\" or emails[value co \"c\"]", &USER_TYPE).unwrap();
    let c = compile(&f, &USER_TYPE, 7);
    assert_eq!(c.params.len(), 5);
    for n in 7..12 {
        assert!(c.sql.contains(&format!("?{n}")), "{n}: {}", c.sql);
    }
    assert!(!c.sql.contains("?12") && !c.sql.contains("?6"));
}

#[test]
fn values_are_never_spliced_into_sql() {
    let c = user("userName eq \"'; DROP TABLE users; --\" or title co \"x') OR 1=1 --\"");
    assert!(!c.sql.contains("DROP") && !c.sql.contains("1=1"), "{}", c.sql);
}

#[test]
fn groups_map_to_scim_groups() {
    let group = |text: &str| compile(&parse(text, &GROUP_TYPE).unwrap(), &GROUP_TYPE, 2);
    assert_eq!(group("displayName eq \"Eng\"").sql, "(g.display_name = ?2)");
    assert_eq!(group("externalId eq \"x\"").sql, "(g.external_id IS NOT NULL AND g.external_id = ?2)");
    assert_eq!(group("meta.lastModified ge \"2020-01-01\"").sql, "(g.updated_at >= ?2)");
    assert_eq!(
        group("members[value eq \"u_1\"]").sql,
        "g.id IN (SELECT m.group_id FROM scim_group_members m WHERE m.workspace_id = ?1 AND (m.user_id = ?2))"
    );
    let c = group("members.display co \"a\" or members.type eq \"User\"");
    assert!(!c.exact);
}

#[test]
fn prefix_upper_bounds() {
    assert_eq!(prefix_upper_bound("a@", false).as_deref(), Some("a["));
    assert_eq!(prefix_upper_bound("a@", true).as_deref(), Some("aA"));
    assert_eq!(prefix_upper_bound("az", false).as_deref(), Some("a{"));
    assert_eq!(prefix_upper_bound("é", false).as_deref(), Some("ê"));
    assert_eq!(prefix_upper_bound("a\u{D7FF}", true).as_deref(), Some("a\u{E000}"));
    assert_eq!(prefix_upper_bound("a\u{10FFFF}", true).as_deref(), Some("b"));
    assert_eq!(prefix_upper_bound("\u{10FFFF}\u{10FFFF}", true), None);
    let c = user("title sw \"\u{10FFFF}\"");
    assert!(c.sql.contains("substr(json_extract(u.scim, '$.\"title\"'), 1, ?2) = ?3 COLLATE NOCASE"), "{}", c.sql);
}

#[test]
fn like_patterns_escape_wildcards() {
    assert_eq!(like_contains("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
    assert_eq!(user("title co \"50%\"").params, [text("%50\\%%")]);
}

/// Agreement of `compile` with `eval::matches`, through SQLite: random users and groups
/// (deterministic PRNG), stored both as served resources and as the D1 rows, and random
/// well-typed filters; for each, the ids SQLite selects must equal the evaluator's matches
/// (a superset of them when not `exact`). SQLite runs in Python's standard `sqlite3` module,
/// driven by `tests/fixtures/scim/sqlite_oracle.py` through a JSON job file.
mod oracle {
    use std::collections::{BTreeSet, HashMap};
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{json, Map, Value};

    use super::super::{compile, SqlParam};
    use crate::scim::filter::{matches, parse};
    use crate::scim::schema::{ResourceType, ENTERPRISE_URN, GROUP_TYPE, GROUP_URN, USER_TYPE, USER_URN};
    use crate::test_rng::Rng;
    use crate::time::format_ms;

    const WORKSPACE: &str = "w_1";
    const OTHER_WORKSPACE: &str = "w_2";
    const USERS: usize = 300;
    const GROUPS: usize = 12;
    const USER_FILTERS: usize = 500;
    const GROUP_FILTERS: usize = 150;

    /// The D1 schema `compile` targets: the repository's `schema.sql`, as deployed.
    pub(super) const SCHEMA: &str = include_str!("../../../schema.sql");

    /// Runs a job through `sqlite_oracle.py` and returns its JSON output.
    pub(super) fn run_sqlite(name: &str, job: &Value) -> Value {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scim/sqlite_oracle.py");
        static JOBS: AtomicUsize = AtomicUsize::new(0);
        let n = JOBS.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("scim_filter_{name}_{}_{n}.json", std::process::id()));
        std::fs::write(&path, job.to_string()).unwrap();
        let out = Command::new("python3").arg(script).arg(&path).output().expect("python3 runs");
        std::fs::remove_file(&path).unwrap();
        assert!(out.status.success(), "sqlite_oracle.py failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub(super) fn params_json(workspace: &str, params: &[SqlParam]) -> Value {
        let bound = params.iter().map(|p| match p {
            SqlParam::Text(s) => json!(s),
            SqlParam::Int(i) => json!(i),
        });
        Value::Array(std::iter::once(json!(workspace)).chain(bound).collect())
    }

    const WORDS: &[&str] = &[
        "ann",
        "Ann",
        "ANNA",
        "bob",
        "Bobby",
        "Émile",
        "émile",
        "ÉMILE",
        "zoë",
        "Zoë",
        "o'neil",
        "O'Neil",
        "a%b",
        "a_b",
        "back\\slash",
        "_under",
        "[br]",
        "日本",
        "x",
        "X",
        "mary-jane",
        "MARY-Jane",
        "smith",
        "Smith",
        "~tilde",
        "z",
        "ß",
        "R&D",
        "r&d",
        "Sales",
        "SALES",
    ];
    const DOMAINS: &[&str] = &["example.com", "Example.COM", "exämple.org", "corp.io"];

    /// Values present in the data, by attribute, to draw literals from.
    type Pools = HashMap<&'static str, Vec<String>>;

    struct Data {
        users: Vec<Value>,
        groups: Vec<Value>,
        pools: Pools,
        times: Vec<i64>,
        user_rows: Vec<Value>,
        email_rows: Vec<Value>,
        group_rows: Vec<Value>,
        member_rows: Vec<Value>,
    }

    impl Data {
        fn text(&mut self, pool: &'static str, value: String) -> String {
            self.pools.entry(pool).or_default().push(value.clone());
            value
        }
    }

    fn word(rng: &mut Rng) -> String {
        rng.pick(WORDS).to_string()
    }

    fn mangle_case(rng: &mut Rng, s: &str) -> String {
        match rng.below(10) {
            0..=4 => s.to_string(),
            5..=6 => s.to_uppercase(),
            7..=8 => s.to_lowercase(),
            _ => s
                .chars()
                .map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect(),
        }
    }

    fn generate(rng: &mut Rng) -> Data {
        let mut data = Data {
            users: Vec::new(),
            groups: Vec::new(),
            pools: Pools::new(),
            times: Vec::new(),
            user_rows: Vec::new(),
            email_rows: Vec::new(),
            group_rows: Vec::new(),
            member_rows: Vec::new(),
        };
        let group_names: Vec<(String, String)> = (0..GROUPS)
            .map(|j| (format!("{}_{j}", rng.pick(&["g", "G", "grp"])), format!("{} team {j}", word(rng))))
            .collect();
        let ids: Vec<String> = (0..USERS).map(|i| format!("{}{i:03}", rng.pick(&["u_", "U_", "usr-"]))).collect();
        let mut members: Vec<Vec<(String, String)>> = vec![Vec::new(); GROUPS];
        for (i, id) in ids.iter().enumerate() {
            let groups: Vec<usize> = (0..GROUPS).filter(|_| rng.chance(15)).collect();
            let user = user(rng, &mut data, i, id, &ids, &groups, &group_names);
            for &g in &groups {
                members[g].push((id.clone(), user["displayName"].as_str().unwrap_or("").to_string()));
            }
            data.users.push(user);
        }
        for (j, (id, name)) in group_names.iter().enumerate() {
            group(rng, &mut data, id, name, &members[j]);
        }
        for i in 0..30 {
            other_workspace_user(&mut data, i);
        }
        data
    }

    fn time(rng: &mut Rng, data: &mut Data, from: i64) -> i64 {
        let t = from + (rng.next_u64() % 63_072_000_000) as i64;
        data.times.push(t);
        t
    }

    fn user(
        rng: &mut Rng,
        data: &mut Data,
        i: usize,
        id: &str,
        ids: &[String],
        groups: &[usize],
        group_names: &[(String, String)],
    ) -> Value {
        let mut r = Map::new();
        r.insert("schemas".into(), json!([USER_URN, ENTERPRISE_URN]));
        r.insert("id".into(), json!(data.text("id", id.to_string())));
        if rng.chance(75) {
            let ext = format!("{}{}", rng.pick(&["ext-", "EXT-", "Ext-"]), rng.below(60));
            r.insert("externalId".into(), json!(data.text("externalId", ext)));
        }
        let user_name = format!("{}.{}{i}@{}", word(rng), word(rng), rng.pick(DOMAINS));
        r.insert("userName".into(), json!(data.text("userName", user_name)));
        if rng.chance(85) {
            r.insert("name".into(), Value::Object(name(rng, data)));
        }
        if rng.chance(80) {
            let display = if rng.chance(5) { String::new() } else { format!("{} {}", word(rng), word(rng)) };
            r.insert("displayName".into(), json!(data.text("displayName", display)));
        }
        for key in ["title", "nickName", "userType", "locale", "timezone", "preferredLanguage"] {
            if rng.chance(45) {
                let value = match (key, rng.below(3)) {
                    (_, 0) if rng.chance(15) => String::new(),
                    ("userType", _) => rng.pick(&["Employee", "employee", "Intern", "Contractor"]).to_string(),
                    ("locale" | "preferredLanguage", _) => rng.pick(&["en-US", "EN-us", "fr-FR", "de"]).to_string(),
                    _ => word(rng),
                };
                r.insert(key.into(), json!(data.text(key, value)));
            }
        }
        r.insert("active".into(), json!(rng.chance(70)));
        let emails = emails(rng, data);
        if !emails.is_empty() || rng.chance(10) {
            r.insert("emails".into(), Value::Array(emails));
        }
        let phones: Vec<Value> = (0..rng.below(3))
            .map(|_| {
                let value = data.text("phoneNumbers.value", format!("+1 555 01{:02}", rng.below(100)));
                let ty = data.text("phoneNumbers.type", rng.pick(&["mobile", "Work", "home"]).to_string());
                json!({"value": value, "type": ty})
            })
            .collect();
        if !phones.is_empty() {
            r.insert("phoneNumbers".into(), Value::Array(phones));
        }
        let group_refs: Vec<Value> = groups
            .iter()
            .map(|&g| {
                let (gid, gname) = &group_names[g];
                data.pools.entry("groups.value").or_default().push(gid.clone());
                data.pools.entry("groups.display").or_default().push(gname.clone());
                json!({"value": gid, "display": gname, "$ref": format!("https://x/Groups/{gid}")})
            })
            .collect();
        if rng.chance(70) {
            r.insert(ENTERPRISE_URN.into(), Value::Object(enterprise(rng, data, ids)));
        }
        let created = time(rng, data, 1_704_067_200_000);
        let updated = time(rng, data, created);
        let mut doc = r.clone();
        doc.remove("id");
        store_user(data, &r, &doc, created, updated, WORKSPACE);
        for (position, e) in r.get("emails").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let primary = i64::from(e["primary"] == json!(true));
            data.email_rows.push(json!([WORKSPACE, id, position, e["value"], e["type"], primary]));
        }
        if !group_refs.is_empty() {
            r.insert("groups".into(), Value::Array(group_refs));
        }
        r.insert("meta".into(), meta("User", id, created, updated));
        Value::Object(r)
    }

    fn name(rng: &mut Rng, data: &mut Data) -> Map<String, Value> {
        let mut n = Map::new();
        for (key, pool, percent) in [
            ("givenName", "name.givenName", 70),
            ("familyName", "name.familyName", 70),
            ("formatted", "name.formatted", 40),
            ("middleName", "name.middleName", 20),
            ("honorificPrefix", "name.honorificPrefix", 15),
        ] {
            if rng.chance(percent) {
                let value = if rng.chance(4) { String::new() } else { word(rng) };
                n.insert(key.into(), json!(data.text(pool, value)));
            }
        }
        n
    }

    fn emails(rng: &mut Rng, data: &mut Data) -> Vec<Value> {
        (0..rng.below(4))
            .map(|_| {
                let mut e = Map::new();
                let value = if rng.chance(3) {
                    String::new()
                } else {
                    format!("{}{}@{}", word(rng), rng.below(20), rng.pick(DOMAINS))
                };
                e.insert("value".into(), json!(data.text("emails.value", value)));
                if rng.chance(75) {
                    let ty = rng.pick(&["work", "Work", "WORK", "home", "other"]).to_string();
                    e.insert("type".into(), json!(data.text("emails.type", ty)));
                }
                match rng.below(3) {
                    0 => e.insert("primary".into(), json!(true)),
                    1 => e.insert("primary".into(), json!(false)),
                    _ => None,
                };
                if rng.chance(30) {
                    let display = word(rng);
                    e.insert("display".into(), json!(data.text("emails.display", display)));
                }
                Value::Object(e)
            })
            .collect()
    }

    fn enterprise(rng: &mut Rng, data: &mut Data, ids: &[String]) -> Map<String, Value> {
        let mut x = Map::new();
        for key in ["employeeNumber", "costCenter", "organization", "division", "department"] {
            if rng.chance(50) {
                let value = match key {
                    "employeeNumber" => format!("{}", rng.below(1000)),
                    "department" => rng.pick(&["R&D", "r&d", "Sales", "SALES", "Ops", "Légal", "légal"]).to_string(),
                    _ => word(rng),
                };
                x.insert(key.into(), json!(data.text(key, value)));
            }
        }
        if rng.chance(40) {
            let value = data.text("manager.value", ids[rng.below(ids.len())].clone());
            let display = data.text("manager.displayName", word(rng));
            x.insert("manager".into(), json!({"value": value, "displayName": display}));
        }
        x
    }

    fn meta(resource_type: &str, id: &str, created: i64, updated: i64) -> Value {
        json!({
            "resourceType": resource_type,
            "created": format_ms(created),
            "lastModified": format_ms(updated),
            "location": format!("https://x/{resource_type}s/{id}"),
            "version": format!("W/\"{updated}\""),
        })
    }

    fn store_user(
        data: &mut Data,
        r: &Map<String, Value>,
        doc: &Map<String, Value>,
        created: i64,
        updated: i64,
        ws: &str,
    ) {
        let name = |key: &str| r.get("name").map_or(Value::Null, |n| n.get(key).cloned().unwrap_or(Value::Null));
        let user_name = r["userName"].as_str().unwrap_or_default();
        data.user_rows.push(json!([
            r["id"],
            ws,
            user_name.to_lowercase(),
            user_name,
            r.get("externalId"),
            r.get("displayName"),
            name("givenName"),
            name("familyName"),
            if r["active"] == json!(true) { "active" } else { "disabled" },
            Value::Object(doc.clone()).to_string(),
            created,
            updated,
        ]));
    }

    fn group(rng: &mut Rng, data: &mut Data, id: &str, name: &str, members: &[(String, String)]) {
        data.pools.entry("gid").or_default().push(id.to_string());
        data.pools.entry("group.displayName").or_default().push(name.to_string());
        let ext = rng.chance(60).then(|| format!("{}{}", rng.pick(&["team-", "TEAM-"]), rng.below(8)));
        data.pools.entry("group.externalId").or_default().extend(ext.clone());
        let created = time(rng, data, 1_704_067_200_000);
        let updated = time(rng, data, created);
        data.group_rows.push(json!([id, WORKSPACE, name, ext, created, updated]));
        let mut r = Map::new();
        r.insert("schemas".into(), json!([GROUP_URN]));
        r.insert("id".into(), json!(id));
        r.insert("displayName".into(), json!(name));
        if let Some(ext) = ext {
            r.insert("externalId".into(), json!(ext));
        }
        let list: Vec<Value> = members
            .iter()
            .map(|(uid, display)| {
                data.member_rows.push(json!([WORKSPACE, id, uid]));
                data.pools.entry("members.value").or_default().push(uid.clone());
                data.pools.entry("members.display").or_default().push(display.clone());
                json!({"value": uid, "display": display, "type": "User", "$ref": format!("https://x/Users/{uid}")})
            })
            .collect();
        if !list.is_empty() {
            r.insert("members".into(), Value::Array(list));
        }
        r.insert("meta".into(), meta("Group", id, created, updated));
        data.groups.push(Value::Object(r));
    }

    /// A user of another workspace, matching many filters: must never be selected.
    fn other_workspace_user(data: &mut Data, i: usize) {
        let id = format!("o_{i}");
        let r = json!({"id": id, "userName": format!("ann.bob{i}@example.com"), "displayName": "ann bob",
                       "name": {"givenName": "ann", "familyName": "smith"}, "title": "x", "active": true});
        let Value::Object(r) = r else { unreachable!() };
        store_user(data, &r, &r, 1_704_067_200_000, 1_704_067_200_000, OTHER_WORKSPACE);
        data.email_rows.push(json!([OTHER_WORKSPACE, id, 0, "ann@example.com", "work", 1]));
    }

    fn inserts(data: &Data) -> Value {
        json!([
            {"sql": "INSERT INTO users (id, workspace_id, email, user_name, external_id, display_name, given_name, \
                     family_name, status, scim, role, created_at, updated_at) \
                     VALUES (?,?,?,?,?,?,?,?,?,?,'member',?,?)",
             "rows": data.user_rows},
            {"sql": "INSERT INTO user_emails (workspace_id, user_id, position, value, type, is_primary) \
                     VALUES (?,?,?,?,?,?)", "rows": data.email_rows},
            {"sql": "INSERT INTO scim_groups (id, workspace_id, display_name, external_id, created_at, updated_at) \
                     VALUES (?,?,?,?,?,?)", "rows": data.group_rows},
            {"sql": "INSERT INTO scim_group_members (workspace_id, group_id, user_id) VALUES (?,?,?)",
             "rows": data.member_rows},
        ])
    }

    // -----------------------------------------------------------------------------------------
    // Filters

    #[derive(Clone, Copy)]
    enum Ty {
        Text,
        Bool,
        Date,
        Complex,
    }

    /// An attribute to filter on: its spellings, the pool its literals come from, its type.
    type Attr = (&'static [&'static str], &'static str, Ty);

    /// A multi-valued attribute for `attr[…]`: its spellings and sub-attributes.
    type ValuePathAttr = (&'static [&'static str], &'static [Attr]);

    const USER_ATTRS: &[Attr] = &[
        (&["userName", "USERNAME", "urn:ietf:params:scim:schemas:core:2.0:User:userName"], "userName", Ty::Text),
        (&["displayName", "displayname"], "displayName", Ty::Text),
        (&["name.givenName", "NAME.GIVENNAME"], "name.givenName", Ty::Text),
        (&["name.familyName"], "name.familyName", Ty::Text),
        (&["name.formatted"], "name.formatted", Ty::Text),
        (&["name.middleName"], "name.middleName", Ty::Text),
        (&["name.honorificPrefix"], "name.honorificPrefix", Ty::Text),
        (&["title"], "title", Ty::Text),
        (&["nickName"], "nickName", Ty::Text),
        (&["userType"], "userType", Ty::Text),
        (&["locale"], "locale", Ty::Text),
        (&["preferredLanguage"], "preferredLanguage", Ty::Text),
        (&["externalId"], "externalId", Ty::Text),
        (&["id"], "id", Ty::Text),
        (&["emails", "emails.value", "EMAILS.Value"], "emails.value", Ty::Text),
        (&["emails.type"], "emails.type", Ty::Text),
        (&["emails.display"], "emails.display", Ty::Text),
        (&["emails.primary"], "", Ty::Bool),
        (&["phoneNumbers", "phoneNumbers.value"], "phoneNumbers.value", Ty::Text),
        (&["phoneNumbers.type"], "phoneNumbers.type", Ty::Text),
        (&["groups", "groups.value"], "groups.value", Ty::Text),
        (&["groups.display"], "groups.display", Ty::Text),
        (
            &["department", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
            "department",
            Ty::Text,
        ),
        (&["costCenter"], "costCenter", Ty::Text),
        (&["employeeNumber"], "employeeNumber", Ty::Text),
        (&["division"], "division", Ty::Text),
        (
            &["manager.value", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"],
            "manager.value",
            Ty::Text,
        ),
        (&["manager.displayName"], "manager.displayName", Ty::Text),
        (&["active", "ACTIVE"], "", Ty::Bool),
        (&["meta.created"], "", Ty::Date),
        (&["meta.lastModified", "urn:ietf:params:scim:schemas:core:2.0:User:meta.lastModified"], "", Ty::Date),
        (&["meta.resourceType", "meta.version"], "", Ty::Text),
        (&["name", "manager", "meta", "emails", "phoneNumbers", "groups", "name.givenName", "title"], "", Ty::Complex),
    ];

    const USER_VALUE_PATHS: &[ValuePathAttr] = &[
        (
            &["emails", "Emails"],
            &[
                (&["value", "VALUE"], "emails.value", Ty::Text),
                (&["type"], "emails.type", Ty::Text),
                (&["display"], "emails.display", Ty::Text),
                (&["primary"], "", Ty::Bool),
            ],
        ),
        (&["groups"], &[(&["value"], "groups.value", Ty::Text), (&["display"], "groups.display", Ty::Text)]),
        (
            &["phoneNumbers"],
            &[(&["value"], "phoneNumbers.value", Ty::Text), (&["type"], "phoneNumbers.type", Ty::Text)],
        ),
    ];

    const GROUP_ATTRS: &[Attr] = &[
        (&["displayName", "urn:ietf:params:scim:schemas:core:2.0:Group:displayName"], "group.displayName", Ty::Text),
        (&["externalId"], "group.externalId", Ty::Text),
        (&["id"], "gid", Ty::Text),
        (&["members", "members.value"], "members.value", Ty::Text),
        (&["members.display"], "members.display", Ty::Text),
        (&["members.type"], "", Ty::Text),
        (&["meta.created", "meta.lastModified"], "", Ty::Date),
        (&["meta.resourceType"], "", Ty::Text),
        (&["members", "meta", "externalId"], "", Ty::Complex),
    ];

    const GROUP_VALUE_PATHS: &[ValuePathAttr] = &[(
        &["members"],
        &[
            (&["value"], "members.value", Ty::Text),
            (&["display"], "members.display", Ty::Text),
            (&["type", "$ref"], "", Ty::Text),
        ],
    )];

    struct Gen<'a> {
        rng: &'a mut Rng,
        data: &'a Data,
        attrs: &'static [Attr],
        value_paths: &'static [ValuePathAttr],
    }

    impl Gen<'_> {
        fn keyword(&mut self, k: &str) -> String {
            if self.rng.chance(20) {
                k.to_uppercase()
            } else {
                k.to_string()
            }
        }

        fn filter(&mut self, depth: usize) -> String {
            let roll = if depth >= 3 { 0 } else { self.rng.below(10) };
            match roll {
                0..=3 => {
                    let attr = self.rng.pick(self.attrs);
                    self.leaf(attr)
                }
                4 | 5 => {
                    let op = self.keyword(if roll == 4 { "and" } else { "or" });
                    format!("{} {op} {}", self.filter(depth + 1), self.filter(depth + 1))
                }
                6 => format!("{} ({})", self.keyword("not"), self.filter(depth + 1)),
                7 | 8 => {
                    let (names, subs) = self.rng.pick(self.value_paths);
                    let name = self.rng.pick(names);
                    format!("{name}[{}]", self.inner(subs, depth + 1))
                }
                _ => format!("({})", self.filter(depth + 1)),
            }
        }

        fn inner(&mut self, subs: &'static [Attr], depth: usize) -> String {
            let roll = if depth >= 3 { 0 } else { self.rng.below(6) };
            match roll {
                0..=2 => {
                    let attr = self.rng.pick(subs);
                    self.leaf(attr)
                }
                3 => format!("{} and {}", self.inner(subs, depth + 1), self.inner(subs, depth + 1)),
                4 => format!("{} or {}", self.inner(subs, depth + 1), self.inner(subs, depth + 1)),
                _ => format!("not ({})", self.inner(subs, depth + 1)),
            }
        }

        fn leaf(&mut self, (names, pool, ty): Attr) -> String {
            let path = self.rng.pick(names);
            if self.rng.chance(8) || matches!(ty, Ty::Complex) {
                let test = self.rng.pick(&["pr", "eq null", "ne null", "pr"]);
                return format!("{path} {}", self.keyword(test));
            }
            let (op, value) = match ty {
                Ty::Text => {
                    let op = self.rng.pick(&["eq", "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
                    (op, self.text(pool, op))
                }
                Ty::Bool => {
                    (self.rng.pick(&["eq", "ne"]), self.rng.pick(&["true", "false", "TRUE", "False"]).to_string())
                }
                Ty::Date => (self.rng.pick(&["eq", "ne", "gt", "ge", "lt", "le"]), self.date()),
                Ty::Complex => unreachable!(),
            };
            format!("{path} {} {value}", self.keyword(op))
        }

        fn text(&mut self, pool: &str, op: &str) -> String {
            let s = match self.rng.below(10) {
                0..=5 => self.pool_literal(pool, op),
                6 | 7 => {
                    let w = word(self.rng);
                    mangle_case(self.rng, &w)
                }
                8 => String::new(),
                _ => self.rng.pick(&["%", "_", "\\", "a%", "'", "Z", "zz", "É", "@", ".", "[", "a_b"]).to_string(),
            };
            serde_json::to_string(&s).unwrap()
        }

        fn pool_literal(&mut self, pool: &str, op: &str) -> String {
            let Some(values) = self.data.pools.get(pool).filter(|v| !v.is_empty()) else {
                return word(self.rng);
            };
            let chars: Vec<char> = values[self.rng.below(values.len())].chars().collect();
            let (from, to) = match (op, chars.len()) {
                (_, 0) => (0, 0),
                ("sw", n) => (0, 1 + self.rng.below(n)),
                ("ew", n) => (self.rng.below(n), n),
                ("co", n) => {
                    let from = self.rng.below(n);
                    (from, from + 1 + self.rng.below(n - from))
                }
                (_, n) => (0, n),
            };
            mangle_case(self.rng, &chars[from..to].iter().collect::<String>())
        }

        fn date(&mut self) -> String {
            let base = self.data.times[self.rng.below(self.data.times.len())];
            let t = base + self.rng.pick(&[0, 0, 0, 1, -1, 1000, -86_400_000]);
            let text = match self.rng.below(4) {
                0 | 1 => format_ms(t),
                2 => format_ms(t + 7_200_000).replace('Z', "+02:00"),
                _ => format_ms(t)[..10].to_string(),
            };
            format!("\"{text}\"")
        }
    }

    struct Outcome {
        exact: usize,
        inexact: usize,
        strict_superset: usize,
        nontrivial: usize,
    }

    /// Generates `count` filters, runs them both ways, and checks agreement.
    fn check(rng: &mut Rng, data: &Data, rt: &'static ResourceType, count: usize) -> Outcome {
        let (attrs, value_paths, resources, from) = if rt.id == "User" {
            (USER_ATTRS, USER_VALUE_PATHS, &data.users, "users u WHERE u.workspace_id = ?1")
        } else {
            (GROUP_ATTRS, GROUP_VALUE_PATHS, &data.groups, "scim_groups g WHERE g.workspace_id = ?1")
        };
        let alias = if rt.id == "User" { "u" } else { "g" };
        let mut gen = Gen { rng, data, attrs, value_paths };
        let mut cases = Vec::new();
        for _ in 0..count {
            let text = gen.filter(0);
            let filter = parse(&text, rt).unwrap_or_else(|e| panic!("{text}: {e}"));
            let expected: BTreeSet<String> = resources
                .iter()
                .filter(|r| matches(&filter, r))
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect();
            cases.push((text, compile(&filter, rt, 2), expected));
        }
        let queries: Vec<Value> = cases
            .iter()
            .map(|(_, c, _)| {
                json!({"sql": format!("SELECT {alias}.id FROM {from} AND ({})", c.sql),
                       "params": params_json(WORKSPACE, &c.params)})
            })
            .collect();
        let job = json!({"ddl": SCHEMA, "inserts": inserts(data), "queries": queries});
        let out = run_sqlite(&format!("oracle_{}", rt.id), &job);
        let results = out["results"].as_array().unwrap();
        assert_eq!(results.len(), cases.len());
        let mut outcome = Outcome { exact: 0, inexact: 0, strict_superset: 0, nontrivial: 0 };
        let mut failures = Vec::new();
        for ((text, compiled, expected), result) in cases.iter().zip(results) {
            let Some(ids) = result["ids"].as_array() else {
                failures.push(format!("{text}\n  SQL error {}\n  {}", result["error"], compiled.sql));
                continue;
            };
            let got: BTreeSet<String> = ids.iter().map(|v| v.as_str().unwrap().to_string()).collect();
            let agrees = if compiled.exact { got == *expected } else { got.is_superset(expected) };
            if !agrees {
                let missing: Vec<_> = expected.difference(&got).take(5).collect();
                let extra: Vec<_> = got.difference(expected).take(5).collect();
                failures.push(format!(
                    "{text}\n  exact={} sql={}\n  params={:?}\n  only in eval: {missing:?}\n  only in SQL: {extra:?}",
                    compiled.exact, compiled.sql, compiled.params
                ));
            }
            outcome.nontrivial += usize::from(!expected.is_empty() && expected.len() < resources.len());
            if compiled.exact {
                outcome.exact += 1;
            } else {
                outcome.inexact += 1;
                outcome.strict_superset += usize::from(got.len() > expected.len());
            }
        }
        assert!(failures.is_empty(), "{} of {count} filters disagree:\n{}", failures.len(), failures.join("\n"));
        outcome
    }

    #[test]
    fn sql_agrees_with_eval_on_random_users_and_filters() {
        let mut rng = Rng(0x5C1A_F11E);
        let data = generate(&mut rng);
        let o = check(&mut rng, &data, &USER_TYPE, USER_FILTERS);
        eprintln!(
            "users: {} exact, {} inexact ({} strictly wider), {} with a non-trivial match set",
            o.exact, o.inexact, o.strict_superset, o.nontrivial
        );
        assert!(o.exact >= USER_FILTERS / 2, "too few exact filters: {}", o.exact);
        assert!(o.inexact >= USER_FILTERS / 10 && o.strict_superset > 0, "inexact filters under-exercised");
        assert!(o.nontrivial >= USER_FILTERS / 3, "too few filters with a non-trivial match set: {}", o.nontrivial);
    }

    #[test]
    fn sql_agrees_with_eval_on_random_groups_and_filters() {
        let mut rng = Rng(0x6120_u64);
        let data = generate(&mut rng);
        let o = check(&mut rng, &data, &GROUP_TYPE, GROUP_FILTERS);
        eprintln!("groups: {} exact, {} inexact, {} non-trivial", o.exact, o.inexact, o.nontrivial);
        assert!(o.exact >= GROUP_FILTERS / 3 && o.inexact > 0 && o.nontrivial >= GROUP_FILTERS / 4);
    }
}

/// `EXPLAIN QUERY PLAN` of exact filters on indexed columns: SQLite searches an index instead
/// of scanning the users table, with or without `ANALYZE` statistics.
mod plans {
    use serde_json::{json, Value};

    use super::super::compile;
    use super::oracle::{params_json, run_sqlite, SCHEMA};
    use crate::scim::filter::parse;
    use crate::scim::schema::{ResourceType, GROUP_TYPE, USER_TYPE};

    /// (filter, index the plan must use, whether it tests rows of a multi-valued attribute).
    /// In `schema.sql` the users table's automatic indexes are, in order, its primary key `id`
    /// (`_1`), `UNIQUE (workspace_id, email)` (`_2`) and `UNIQUE (workspace_id, user_name)` (`_3`).
    const USER_CASES: [(&str, &str, bool); 14] = [
        ("userName eq \"Bjensen@example.com\"", "sqlite_autoindex_users_3", false),
        ("externalId eq \"00u1\"", "users_scim_external", false),
        ("displayName eq \"Babs Jensen\"", "users_scim_display", false),
        ("name.familyName eq \"Jensen\"", "users_scim_family", false),
        ("name.givenName eq \"Barbara\"", "users_scim_given", false),
        ("emails.value eq \"bjensen@example.com\"", "user_emails_by_value", true),
        ("emails[value eq \"bjensen@example.com\" and type eq \"work\"]", "user_emails_by_value", true),
        // The group's memberships come from scim_group_members_by_group; without statistics
        // SQLite then walks the workspace's users, with them it fetches the members by id.
        ("groups.value eq \"g_1\"", "scim_group_members", true),
        ("meta.lastModified gt \"2011-05-13T04:42:34Z\"", "users_scim_updated", false),
        ("meta.created le \"2011-05-13T04:42:34Z\"", "users_by_workspace", false),
        ("userName sw \"bj\"", "sqlite_autoindex_users_3", false),
        ("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"", "sqlite_autoindex_users_3", false),
        ("displayName sw \"Ba\"", "users_scim_display", false),
        ("id eq \"u_1\"", "sqlite_autoindex_users_1", false),
    ];

    /// Many users in one workspace, so that `ANALYZE` finds `workspace_id` unselective.
    fn rows() -> Value {
        let users: Vec<Value> = (0..2000)
            .map(|i| {
                let text = |prefix: &str| format!("{prefix}{i}");
                json!([text("u_"), "w_1", text("e"), text("n"), text("x"), text("d"), text("g"), text("f"), i, i])
            })
            .collect();
        let emails: Vec<Value> =
            (0..2000).map(|i| json!(["w_1", format!("u_{i}"), format!("v{i}@x"), "work"])).collect();
        let members: Vec<Value> =
            (0..2000).map(|i| json!(["w_1", format!("g_{}", i % 500), format!("u_{i}")])).collect();
        let groups: Vec<Value> =
            (0..500).map(|i| json!([format!("g_{i}"), "w_1", format!("group {i}"), format!("x{i}")])).collect();
        json!([
            {"sql": "INSERT INTO users (id, workspace_id, email, user_name, external_id, display_name, given_name, \
                     family_name, status, role, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', 'member', ?, ?)",
             "rows": users},
            {"sql": "INSERT INTO user_emails (workspace_id, user_id, position, value, type) VALUES (?, ?, 0, ?, ?)",
             "rows": emails},
            {"sql": "INSERT INTO scim_group_members (workspace_id, group_id, user_id) VALUES (?, ?, ?)", "rows": members},
            {"sql": "INSERT INTO scim_groups (id, workspace_id, display_name, external_id, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, 0, 0)", "rows": groups},
        ])
    }

    fn plans(rt: &'static ResourceType, filters: &[&str], analyze: bool) -> Vec<Vec<String>> {
        let from = if rt.id == "User" { "u.id FROM users u WHERE u" } else { "g.id FROM scim_groups g WHERE g" };
        let queries: Vec<Value> = filters
            .iter()
            .map(|text| {
                let c = compile(&parse(text, rt).unwrap(), rt, 2);
                assert!(c.exact, "{text}");
                json!({"sql": format!("SELECT {from}.workspace_id = ?1 AND ({})", c.sql),
                       "params": params_json("w_1", &c.params)})
            })
            .collect();
        let after = if analyze { "ANALYZE;" } else { "" };
        let out = run_sqlite("plans", &json!({"ddl": SCHEMA, "inserts": rows(), "after": after, "plans": queries}));
        let plans = out["plans"].as_array().unwrap().iter();
        plans.map(|p| p.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()).collect()
    }

    fn scans(plan: &[String]) -> bool {
        plan.iter().any(|l| l.starts_with("SCAN u") || l.starts_with("SCAN g") || l.contains("SCAN users"))
    }

    #[test]
    fn indexed_user_filters_search_instead_of_scanning() {
        let filters: Vec<&str> = USER_CASES.iter().map(|c| c.0).collect();
        for analyze in [false, true] {
            for ((text, index, rows), plan) in USER_CASES.iter().zip(plans(&USER_TYPE, &filters, analyze)) {
                assert!(!scans(&plan), "{text} (ANALYZE: {analyze}): {plan:?}");
                assert!(plan.iter().any(|l| l.contains(index)), "{text}: expected {index} in {plan:?}");
                // With statistics, the few matching rows lead: users are then fetched by id.
                let by_id = plan.iter().any(|l| l.starts_with("SEARCH u USING INDEX sqlite_autoindex_users_1 (id=?)"));
                assert!(!(analyze && *rows) || by_id, "{text}: users not fetched by id in {plan:?}");
            }
        }
    }

    /// Every order `sortBy`/`sortOrder` can ask for (`crate::scim::sort`), as the unfiltered
    /// page asks for it (the page's rowids, deep into the workspace): one walk of a covering
    /// index, forwards or backwards, and never a sort of the workspace in a temporary B-tree.
    #[test]
    fn rfc7644_3_4_2_3_every_sort_order_walks_a_covering_index() {
        use crate::scim::sort::{Sort, SortOrder};
        let mut queries = Vec::new();
        let mut labels = Vec::new();
        for (rt, table, names) in [
            (
                &USER_TYPE,
                "users u",
                &["userName", "name.familyName", "displayName", "meta.created", "meta.lastModified"][..],
            ),
            (&GROUP_TYPE, "scim_groups g", &["displayName", "meta.created", "meta.lastModified"][..]),
        ] {
            let alias = &table[table.len() - 1..];
            for name in names {
                for order in [SortOrder::Ascending, SortOrder::Descending] {
                    let sort = Sort { order, ..Sort::parse(rt, Some(name), None).unwrap() };
                    let sql = format!(
                        "SELECT {alias}.rowid FROM {table} WHERE {alias}.workspace_id = ?1 ORDER BY {} LIMIT 100 OFFSET 1500",
                        sort.order_by(alias, rt)
                    );
                    queries.push(json!({"sql": sql, "params": ["w_1"]}));
                    labels.push(format!("{} {name} {order:?}", rt.id));
                }
            }
        }
        for analyze in [false, true] {
            let after = if analyze { "ANALYZE;" } else { "" };
            let out = run_sqlite("sorts", &json!({"ddl": SCHEMA, "inserts": rows(), "after": after, "plans": queries}));
            for (label, plan) in labels.iter().zip(out["plans"].as_array().unwrap()) {
                let lines: Vec<&str> = plan.as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
                assert!(
                    lines.iter().any(|l| l.contains("USING COVERING INDEX")),
                    "{label} (ANALYZE {analyze}): {lines:?}"
                );
                assert!(!lines.iter().any(|l| l.contains("TEMP B-TREE")), "{label} (ANALYZE {analyze}): {lines:?}");
            }
        }
    }

    #[test]
    fn indexed_group_filters_search_instead_of_scanning() {
        let filters =
            ["displayName eq \"group 1\"", "externalId eq \"x\"", "members.value eq \"u_1\"", "id eq \"g_1\""];
        for analyze in [false, true] {
            for (text, plan) in filters.iter().zip(plans(&GROUP_TYPE, &filters, analyze)) {
                assert!(!scans(&plan), "{text} (ANALYZE: {analyze}): {plan:?}");
            }
        }
    }
}

/// The workspace placeholder of the multi-valued subqueries can be swapped for an expression;
/// parameters `?10` and up are untouched.
#[test]
fn workspace_placeholder_is_replaced_and_params_from_ten_are_kept() {
    let many = (0..10).map(|i| format!("userName eq \"u{i}\"")).collect::<Vec<_>>().join(" or ");
    let f = user(&format!("{many} or emails[value eq \"a@b\"]"));
    assert!(f.params.len() >= 11, "{f:?}");
    let scoped = f.sql_with_workspace("(W)");
    assert!(scoped.contains("workspace_id = (W)"), "{scoped}");
    assert!(scoped.contains("?10") && scoped.contains("?11") && scoped.contains("?12"), "{scoped}");
    assert_eq!(scoped.replace("(W)", "?1"), f.sql);
    let plain = user("userName eq \"x\"");
    assert_eq!(plain.sql_with_workspace("(W)"), plain.sql);
}
