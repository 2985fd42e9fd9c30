//! Compiles a parsed SCIM filter (RFC 7644 §3.4.2.2) to a SQLite (Cloudflare D1) boolean
//! expression over the users (`u`) or scim_groups (`g`) row, with the semantics of `eval`.
//!
//! Use it as `… FROM users u WHERE u.workspace_id = ?1 AND (<sql>)` (groups:
//! `FROM scim_groups g WHERE g.workspace_id = ?1 AND (<sql>)`). `?1` is the workspace id,
//! also used by the sub-queries; the filter's values are bound as `?first_param`, … in the
//! order of `params`. Only identifiers and JSON paths from the static schema are written into
//! the SQL text, never a value from the filter.
//!
//! Mapping. User: `id userName externalId displayName name.givenName name.familyName` are
//! columns, `active` is `u.status = 'active'`, `meta.created` / `meta.lastModified` are the
//! `created_at` / `updated_at` milliseconds; `emails.value/type/primary` are rows of
//! `user_emails` and `groups.value` rows of `scim_group_members`, tested with
//! `u.id IN (SELECT … WHERE … AND <condition on one row>)` (a value filter `emails[…]` puts
//! its whole inner filter in one sub-query, so it holds for one element); other single-valued
//! attributes, the enterprise extension included, are read from the `u.scim` document with
//! `json_extract`. Group: `id displayName externalId meta.created meta.lastModified`
//! columns, `members.value` rows of `scim_group_members`.
//!
//! Exactness. What these tables cannot express (phoneNumbers, `emails.display`,
//! `emails.primary eq false` and `pr` — an absent `primary` is stored as 0 — `groups.display`,
//! `members.display/type/$ref`, other `meta` sub-attributes, numbers, …) compiles to a bound
//! and clears `SqlFilter::exact`: in a positive position the upper bound `1`, under an odd
//! number of `not` (and inside `ne`, `eq null`, which negate) the lower bound `0`, so the
//! whole expression always selects a superset of what the evaluator matches; the caller
//! then re-checks each row with `eval::matches`. Exact filters select exactly that set.
//!
//! Equivalence with the evaluator, leaf by leaf:
//! * Every leaf is two-valued: a nullable operand is tested `X IS NOT NULL AND …`, and
//!   `u.id IN (SELECT …)` is never NULL, so `NOT` and `ne` agree with the evaluator.
//! * Case: columns carry the collation of their attribute's `caseExact` (NOCASE for
//!   case-insensitive ones, BINARY otherwise); `json_extract` values of case-insensitive
//!   attributes get `COLLATE NOCASE`. NOCASE folds exactly ASCII `A`-`Z`, as `eval` does.
//! * `eq gt ge lt le`: `X op ?N`: plain, so `userName eq` and the like use their indexes.
//! * `sw p`: the range `X >= ?a AND X < ?b`, `?a` the folded prefix and `?b` the least string
//!   above every folded string starting with it (last character incremented, skipping
//!   `A`-`Z` under NOCASE since folded strings never contain them, and surrogates), so it is
//!   an index range scan; `substr` when no such bound exists.
//! * `ew s`: `substr(X, -len(s)) = ?N`. `co s`: `instr(X, ?N) > 0` for case-exact attributes;
//!   otherwise `X LIKE '%s%' ESCAPE '\'` with `% _ \` escaped, LIKE being case-insensitive
//!   for ASCII only, like NOCASE (SQLite without the ICU extension, which would make it fold
//!   other letters too). An empty operand of `co sw ew` only needs the value to be there.
//! * `pr`: `X <> ''` on text, `X <> '{}'` on a complex JSON value (`name`, `manager`), `1` on
//!   what every resource has (`active`, `meta`, `meta.created`, `meta.lastModified`), and for
//!   a multi-valued attribute an `IN` sub-query over its rows (each row a non-empty element).
//!
//! Agreement assumes what the storage layer guarantees: stored values have their attribute's
//! JSON type, every User has `active`, the `scim` document and the columns hold the same
//! values, and stored strings contain no U+0000 (SQLite's LIKE and substr stop at it).
//!
//! Plans (tested with `EXPLAIN QUERY PLAN`): `eq` and `sw` on the indexed columns and the
//! date comparisons search their `(workspace_id, …)` index. Sub-queries search theirs
//! (`user_emails_by_value` for `emails.value`); without `ANALYZE` statistics SQLite then
//! walks the workspace's users and probes the sub-query's result, with them it fetches the
//! few matching users by id.

use super::ast::{CompareOp, Filter, Literal};
use super::eval::target_sub;
use crate::scim::schema::{AttrType, Attribute, Resolved, ResourceType};

/// A value bound to a `?N` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlParam {
    Text(String),
    Int(i64),
}

/// A compiled filter: `sql` is a boolean expression over `u` (User) or `g` (Group) whose
/// placeholders `?first_param…` take `params` in order (`?1` being the workspace id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFilter {
    pub sql: String,
    pub params: Vec<SqlParam>,
    /// False when `sql` selects a superset of the matching resources (check each with
    /// `eval::matches`); true when it selects exactly them.
    pub exact: bool,
}

impl SqlFilter {
    /// `sql` with its workspace placeholder (`?1`, in the multi-valued attributes' subqueries)
    /// replaced by `workspace`, an SQL expression: for a caller that binds something else at
    /// `?1` and names the workspace through it. `?10`, `?11`, … are left alone.
    pub fn sql_with_workspace(&self, workspace: &str) -> String {
        let mut out = String::with_capacity(self.sql.len());
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find("?1") {
            let after = &rest[at + 2..];
            out.push_str(&rest[..at]);
            if after.starts_with(|c: char| c.is_ascii_digit()) {
                out.push_str("?1");
            } else {
                out.push_str(workspace);
            }
            rest = after;
        }
        out.push_str(rest);
        out
    }
}

/// Compiles `filter`, parsed for `rt`, numbering its placeholders from `first_param`.
pub fn compile(filter: &Filter, rt: &ResourceType, first_param: usize) -> SqlFilter {
    let table = if rt.id == GROUPS.resource { &GROUPS } else { &USERS };
    let mut c = Compiler { table, next: first_param, params: Vec::new(), exact: true };
    let sql = c.filter(filter, None, Bound::Upper);
    SqlFilter { sql, params: c.params, exact: c.exact }
}

// ---------------------------------------------------------------------------------------------
// Storage map

/// A resource type's table.
struct Table {
    resource: &'static str,
    alias: &'static str,
    /// Columns by `attr` or `attr.sub` (core schema only).
    columns: &'static [(&'static str, Column)],
    /// Multi-valued attributes stored one row per element.
    children: &'static [Child],
    /// Whether the row has the SCIM document in a `scim` column.
    has_document: bool,
}

/// A multi-valued attribute's rows: `<select> AND <condition on one row>` gives the ids of
/// the resources having a matching element.
struct Child {
    attr: &'static str,
    select: &'static str,
    columns: &'static [(&'static str, Column)],
}

struct Column {
    expr: &'static str,
    nullable: bool,
    kind: ColumnKind,
}

enum ColumnKind {
    /// Text in the collation of the attribute's `caseExact`.
    Text,
    /// A dateTime as Unix milliseconds.
    Millis,
    /// A boolean: the conditions for `eq true` and, if it can be told from absent, `eq false`.
    Flag { when_true: &'static str, when_false: Option<&'static str> },
    /// A complex attribute every resource has (`meta`).
    AlwaysPresent,
}

const fn text(expr: &'static str, nullable: bool) -> Column {
    Column { expr, nullable, kind: ColumnKind::Text }
}

const fn millis(expr: &'static str) -> Column {
    Column { expr, nullable: false, kind: ColumnKind::Millis }
}

const META: Column = Column { expr: "", nullable: false, kind: ColumnKind::AlwaysPresent };

static USERS: Table = Table {
    resource: "User",
    alias: "u",
    columns: &[
        ("id", text("u.id", false)),
        ("userName", text("u.user_name", false)),
        ("externalId", text("u.external_id", true)),
        ("displayName", text("u.display_name", true)),
        ("name.givenName", text("u.given_name", true)),
        ("name.familyName", text("u.family_name", true)),
        (
            "active",
            Column {
                expr: "u.status",
                nullable: false,
                kind: ColumnKind::Flag { when_true: "u.status = 'active'", when_false: Some("u.status <> 'active'") },
            },
        ),
        ("meta", META),
        ("meta.created", millis("u.created_at")),
        ("meta.lastModified", millis("u.updated_at")),
    ],
    children: &[
        Child {
            attr: "emails",
            select: "SELECT e.user_id FROM user_emails e WHERE e.workspace_id = ?1",
            columns: &[
                ("value", text("e.value", false)),
                ("type", text("e.type", true)),
                (
                    "primary",
                    Column {
                        expr: "e.is_primary",
                        nullable: false,
                        kind: ColumnKind::Flag { when_true: "e.is_primary = 1", when_false: None },
                    },
                ),
            ],
        },
        Child {
            attr: "groups",
            select: "SELECT m.user_id FROM scim_group_members m WHERE m.workspace_id = ?1",
            columns: &[("value", text("m.group_id", false))],
        },
    ],
    has_document: true,
};

static GROUPS: Table = Table {
    resource: "Group",
    alias: "g",
    columns: &[
        ("id", text("g.id", false)),
        ("displayName", text("g.display_name", false)),
        ("externalId", text("g.external_id", true)),
        ("meta", META),
        ("meta.created", millis("g.created_at")),
        ("meta.lastModified", millis("g.updated_at")),
    ],
    children: &[Child {
        attr: "members",
        select: "SELECT m.group_id FROM scim_group_members m WHERE m.workspace_id = ?1",
        columns: &[("value", text("m.user_id", false))],
    }],
    has_document: false,
};

/// Top-level attributes not in the `scim` document (beside the columns).
const NOT_IN_DOCUMENT: [&str; 4] = ["id", "meta", "groups", "password"];

fn lookup<'t>(columns: &'t [(&str, Column)], key: &str) -> Option<&'t Column> {
    columns.iter().find(|(k, _)| *k == key).map(|(_, c)| c)
}

impl Table {
    fn child(&self, r: &Resolved) -> Option<&Child> {
        self.children.iter().find(|c| !r.in_extension() && c.attr == r.attr.name)
    }

    fn column(&self, r: &Resolved, sub: Option<&Attribute>) -> Option<&Column> {
        let key = match sub {
            Some(s) => format!("{}.{}", r.attr.name, s.name),
            None => r.attr.name.to_string(),
        };
        lookup(self.columns, &key).filter(|_| !r.in_extension())
    }

    /// `json_extract(<alias>.scim, '$."attr"."sub"')` for a single-valued attribute in the
    /// document.
    fn document(&self, r: &Resolved, sub: Option<&Attribute>) -> Option<String> {
        let stored = self.has_document && !r.attr.multi_valued && !NOT_IN_DOCUMENT.contains(&r.attr.name);
        if !stored {
            return None;
        }
        let mut path = String::from("$");
        let keys = r.in_extension().then_some(r.schema.id).into_iter().chain([r.attr.name]).chain(sub.map(|s| s.name));
        for key in keys {
            path.push_str(&format!(".\"{key}\""));
        }
        Some(format!("json_extract({}.scim, '{path}')", self.alias))
    }
}

// ---------------------------------------------------------------------------------------------
// Compiler

/// Which side an inexpressible leaf errs on: `Upper` (a superset, `1`) in positive
/// positions, `Lower` (a subset, `0`) under an odd number of negations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Upper,
    Lower,
}

impl Bound {
    fn flip(self) -> Self {
        match self {
            Bound::Upper => Bound::Lower,
            Bound::Lower => Bound::Upper,
        }
    }
}

/// A leaf's test, on the attribute found.
#[derive(Clone, Copy)]
enum Test<'f> {
    Present,
    Compare(CompareOp, &'f Literal),
}

struct Compiler {
    table: &'static Table,
    next: usize,
    params: Vec<SqlParam>,
    exact: bool,
}

impl Compiler {
    /// `child`: inside `attr[…]`, the rows the paths are sub-attributes of.
    fn filter(&mut self, f: &Filter, child: Option<&'static Child>, bound: Bound) -> String {
        match f {
            Filter::And(a, b) => format!("({} AND {})", self.filter(a, child, bound), self.filter(b, child, bound)),
            Filter::Or(a, b) => format!("({} OR {})", self.filter(a, child, bound), self.filter(b, child, bound)),
            Filter::Not(a) => self.not(|c, b| c.filter(a, child, b), bound),
            Filter::Present { path } => self.leaf(&path.resolved, path.resolved.sub, Test::Present, child, bound),
            Filter::Compare { path, op, value } => self.compare(&path.resolved, *op, value, child, bound),
            Filter::ValuePath { path, filter } => match self.table.child(&path.resolved) {
                Some(rows) => {
                    let inner = self.filter(filter, Some(rows), bound);
                    self.rows_matching(rows, &inner)
                }
                None => self.inexact(bound),
            },
        }
    }

    fn not(&mut self, inner: impl FnOnce(&mut Self, Bound) -> String, bound: Bound) -> String {
        format!("NOT ({})", inner(self, bound.flip()))
    }

    fn compare(
        &mut self,
        r: &Resolved,
        op: CompareOp,
        value: &Literal,
        child: Option<&'static Child>,
        b: Bound,
    ) -> String {
        let sub = target_sub(r);
        match (op, value) {
            (CompareOp::Eq, Literal::Null) => self.not(|c, b| c.leaf(r, sub, Test::Present, child, b), b),
            (CompareOp::Ne, Literal::Null) => self.leaf(r, sub, Test::Present, child, b),
            (_, Literal::Null) => "0".to_string(),
            (CompareOp::Ne, _) => self.not(|c, b| c.compare(r, CompareOp::Eq, value, child, b), b),
            _ => self.leaf(r, sub, Test::Compare(op, value), child, b),
        }
    }

    /// `test` on `r`'s attribute, then `sub` if given.
    fn leaf(
        &mut self,
        r: &Resolved,
        sub: Option<&'static Attribute>,
        test: Test,
        child: Option<&Child>,
        b: Bound,
    ) -> String {
        let attr = sub.unwrap_or(r.attr);
        if let Some(rows) = child {
            return self.in_row(rows, sub, test, b);
        }
        if let Some(rows) = self.table.child(r) {
            let condition = self.in_row(rows, sub, test, b);
            return self.rows_matching(rows, &condition);
        }
        if let Some(column) = self.table.column(r, sub) {
            return self.column(column, attr, test, b);
        }
        match self.table.document(r, sub) {
            Some(expr) => self.json(&expr, attr, test, b),
            None => self.inexact(b),
        }
    }

    /// `test` on one row of a multi-valued attribute (the element itself when `sub` is None).
    fn in_row(&mut self, rows: &Child, sub: Option<&'static Attribute>, test: Test, b: Bound) -> String {
        match (sub, test) {
            (None, Test::Present) => "1".to_string(),
            (None, Test::Compare(..)) => self.inexact(b),
            (Some(sub), _) => match lookup(rows.columns, sub.name) {
                Some(column) => self.column(column, sub, test, b),
                None => self.inexact(b),
            },
        }
    }

    fn rows_matching(&self, rows: &Child, condition: &str) -> String {
        format!("{}.id IN ({} AND {condition})", self.table.alias, rows.select)
    }

    fn column(&mut self, column: &Column, attr: &Attribute, test: Test, b: Bound) -> String {
        let x = column.expr;
        match (&column.kind, test) {
            (ColumnKind::Text, Test::Present) => guard(x, column.nullable, format!("{x} <> ''")),
            (ColumnKind::Text, Test::Compare(op, Literal::Str(s))) => {
                let condition = self.text(x, attr.case_exact, "", op, s);
                match condition {
                    Some(condition) => guard(x, column.nullable, condition),
                    None => self.inexact(b),
                }
            }
            (ColumnKind::Millis | ColumnKind::AlwaysPresent, Test::Present) => "1".to_string(),
            (ColumnKind::Millis, Test::Compare(op, Literal::DateTime(ms))) => match ordering(op) {
                Some(symbol) => format!("({x} {symbol} {})", self.param(SqlParam::Int(*ms))),
                None => self.inexact(b),
            },
            (ColumnKind::Flag { when_false: Some(_), .. }, Test::Present) => "1".to_string(),
            (ColumnKind::Flag { when_true, .. }, Test::Compare(CompareOp::Eq, Literal::Bool(true))) => {
                format!("({when_true})")
            }
            (
                ColumnKind::Flag { when_false: Some(when_false), .. },
                Test::Compare(CompareOp::Eq, Literal::Bool(false)),
            ) => {
                format!("({when_false})")
            }
            _ => self.inexact(b),
        }
    }

    fn json(&mut self, x: &str, attr: &Attribute, test: Test, b: Bound) -> String {
        let textual = matches!(attr.ty, AttrType::String | AttrType::Reference);
        match test {
            Test::Present if textual => guard(x, true, format!("{x} <> ''")),
            Test::Present if attr.ty == AttrType::Complex => guard(x, true, format!("{x} <> '{{}}'")),
            Test::Compare(op, Literal::Str(s)) if textual => {
                let collate = if attr.case_exact { "" } else { " COLLATE NOCASE" };
                match self.text(x, attr.case_exact, collate, op, s) {
                    Some(condition) => guard(x, true, condition),
                    None => self.inexact(b),
                }
            }
            _ => self.inexact(b),
        }
    }

    /// `x op s` on text. `collate` follows the bound operand of a comparison with `x` itself
    /// (empty for a column, whose own collation applies); comparisons of `substr(x, …)`, which
    /// has no collation, always name theirs. None when SQLite cannot say it exactly (LIKE
    /// stops at a NUL character).
    fn text(&mut self, x: &str, case_exact: bool, collate: &str, op: CompareOp, s: &str) -> Option<String> {
        if let Some(symbol) = ordering(op) {
            let p = self.param(SqlParam::Text(s.to_string()));
            return Some(format!("{x} {symbol} {p}{collate}"));
        }
        if s.is_empty() {
            return Some("1".to_string());
        }
        let substr_collate = if case_exact { "" } else { " COLLATE NOCASE" };
        Some(match op {
            CompareOp::Sw => self.starts_with(x, case_exact, (collate, substr_collate), s),
            CompareOp::Ew => {
                let from_end = self.param(SqlParam::Int(char_count(s).saturating_neg()));
                let p = self.param(SqlParam::Text(s.to_string()));
                format!("substr({x}, {from_end}) = {p}{substr_collate}")
            }
            _ if case_exact => format!("instr({x}, {}) > 0", self.param(SqlParam::Text(s.to_string()))),
            _ if s.contains('\0') => return None,
            _ => format!("{x} LIKE {} ESCAPE '\\'", self.param(SqlParam::Text(like_contains(s)))),
        })
    }

    fn starts_with(&mut self, x: &str, case_exact: bool, (collate, substr_collate): (&str, &str), s: &str) -> String {
        let prefix = if case_exact { s.to_string() } else { s.to_ascii_lowercase() };
        match prefix_upper_bound(&prefix, case_exact) {
            Some(upper) => {
                let (a, b) = (self.param(SqlParam::Text(prefix)), self.param(SqlParam::Text(upper)));
                format!("{x} >= {a}{collate} AND {x} < {b}{collate}")
            }
            None => {
                let len = self.param(SqlParam::Int(char_count(&prefix)));
                let p = self.param(SqlParam::Text(prefix));
                format!("substr({x}, 1, {len}) = {p}{substr_collate}")
            }
        }
    }

    fn param(&mut self, value: SqlParam) -> String {
        let placeholder = format!("?{}", self.next);
        self.next += 1;
        self.params.push(value);
        placeholder
    }

    fn inexact(&mut self, b: Bound) -> String {
        self.exact = false;
        match b {
            Bound::Upper => "1".to_string(),
            Bound::Lower => "0".to_string(),
        }
    }
}

/// Makes `condition` on `x` two-valued: false, not NULL, when `x` is NULL.
fn guard(x: &str, nullable: bool, condition: String) -> String {
    if nullable {
        format!("({x} IS NOT NULL AND {condition})")
    } else {
        format!("({condition})")
    }
}

fn ordering(op: CompareOp) -> Option<&'static str> {
    match op {
        CompareOp::Eq => Some("="),
        CompareOp::Gt => Some(">"),
        CompareOp::Ge => Some(">="),
        CompareOp::Lt => Some("<"),
        CompareOp::Le => Some("<="),
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => None,
    }
}

fn char_count(s: &str) -> i64 {
    i64::try_from(s.chars().count()).unwrap_or(i64::MAX)
}

/// `%s%` for LIKE with `\` as the escape character.
fn like_contains(s: &str) -> String {
    let mut pattern = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The least string greater than every string starting with `prefix` (already folded when
/// not `case_exact`), in the order SQLite compares them: BINARY, or NOCASE, under which `A`-`Z`
/// sort as `a`-`z` and so are skipped. None when every character is U+10FFFF.
fn prefix_upper_bound(prefix: &str, case_exact: bool) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = successor(last, case_exact) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn successor(c: char, case_exact: bool) -> Option<char> {
    let next = u32::from(c) + 1;
    let next = match next {
        0x41..=0x5A if !case_exact => 0x5B,
        0xD800..=0xDFFF => 0xE000,
        n => n,
    };
    char::from_u32(next)
}

#[cfg(test)]
#[path = "sql_tests.rs"]
mod tests;
