//! Audit-log query filters, their SQLite (D1) `WHERE` clause and the keyset page cursor.
//!
//! Query parameters (RFC 3986 §3.4 query, already percent-decoded into pairs): `userId`,
//! `action`, `resourceType`, `resourceId`, `from`, `to` (RFC 3339 §5.6, via `crate::time`),
//! `q`, `limit`, `cursor`. Unknown parameters are ignored; a known one given twice or empty is
//! rejected. The cursor is opaque base64url (RFC 4648 §5, unpadded) over `v1.<before_seq>`.
//!
//! SQL uses numbered placeholders `?N` (SQLite "Parameters", supported by D1). An action
//! prefix `P*` becomes the half-open range `action >= P AND action < P'`, `P'` being `P` with
//! its last character incremented: action codes are ASCII compared bytewise (BINARY
//! collation), so that range holds exactly the codes starting with `P`, and it is a range scan
//! on the `(workspace_id, action, seq)` index. `LIKE 'P%'` is not used there because SQLite's
//! LIKE is case-insensitive by default, which keeps it from using a BINARY-collated index.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::audit::ledger::AuditEntry;
use crate::tenancy::WorkspaceRef;
use crate::time;

/// `limit` when none is given.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest `limit` accepted.
pub const MAX_LIMIT: u32 = 200;
/// Most items in one `action` list.
pub const MAX_ACTIONS: usize = 20;
/// Longest action code.
pub const MAX_ACTION_LEN: usize = 64;
/// Longest `userId`, `resourceType`, `resourceId` or `q`, in characters.
pub const MAX_TEXT_LEN: usize = 256;
/// The `audit_log` columns, in the order `page_sql` selects them.
/// The query parameters that narrow which rows a query or an export holds (`limit` only pages):
/// an export given any of them is a filtered one.
pub const FILTER_PARAMS: &[&str] = &["userId", "action", "resourceType", "resourceId", "from", "to", "q", "cursor"];

pub const AUDIT_COLUMNS: &[&str] = &[
    "workspace_id",
    "seq",
    "id",
    "at",
    "action",
    "actor_type",
    "actor_id",
    "resource_type",
    "resource_id",
    "ip",
    "data",
    "COALESCE(prev_hash, '') AS prev_hash",
    "COALESCE(hash, '') AS hash",
];

const CURSOR_VERSION: &str = "v1.";
const MAX_CURSOR_LEN: usize = 64;

/// A refused query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The parameter's name as sent (`limit`, `from`, …).
    pub param: String,
    /// What is wrong with it, for people.
    pub reason: String,
}

impl QueryError {
    fn new(param: &str, reason: impl Into<String>) -> Self {
        Self { param: param.to_owned(), reason: reason.into() }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid query parameter `{}`: {}", self.param, self.reason)
    }
}

impl std::error::Error for QueryError {}

/// One item of the `action` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionPattern {
    /// `USER_LOGIN`: that code.
    Exact(String),
    /// `USER_*`: every code starting with `USER_` (stored without the `*`).
    Prefix(String),
}

/// The `action` parameter: a comma list mixing exact codes and `PREFIX*` items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ActionFilter {
    /// No `action` parameter.
    #[default]
    Any,
    /// Rows matching any of these (never empty).
    AnyOf(Vec<ActionPattern>),
}

impl ActionFilter {
    fn parse(value: &str) -> Result<Self, QueryError> {
        let items: Vec<&str> = value.split(',').collect();
        if items.len() > MAX_ACTIONS {
            return Err(QueryError::new("action", format!("at most {MAX_ACTIONS} items")));
        }
        let patterns = items.into_iter().map(ActionPattern::parse).collect::<Result<_, _>>()?;
        Ok(Self::AnyOf(patterns))
    }
}

impl ActionPattern {
    fn parse(item: &str) -> Result<Self, QueryError> {
        let (code, is_prefix) = match item.strip_suffix('*') {
            Some(code) => (code, true),
            None => (item, false),
        };
        if !is_action_code(code) {
            return Err(QueryError::new(
                "action",
                format!(
                    "each item must match ^[A-Z][A-Z0-9_]*$ (at most {MAX_ACTION_LEN} characters), \
                     optionally followed by `*`"
                ),
            ));
        }
        let code = code.to_owned();
        Ok(if is_prefix { Self::Prefix(code) } else { Self::Exact(code) })
    }
}

fn is_action_code(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= MAX_ACTION_LEN
        && bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Keyset page position: the next page holds rows with `seq < before_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub before_seq: i64,
}

impl Cursor {
    /// Opaque base64url text for the `cursor` parameter.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}{}", self.before_seq))
    }

    /// Accepts exactly the texts [`Cursor::encode`] produces for a positive `before_seq`.
    pub fn decode(s: &str) -> Result<Self, QueryError> {
        let invalid = || QueryError::new("cursor", "not a cursor returned by this API");
        if s.len() > MAX_CURSOR_LEN {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
        let before_seq = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.strip_prefix(CURSOR_VERSION))
            .and_then(|digits| digits.parse::<i64>().ok())
            .filter(|seq| *seq > 0)
            .ok_or_else(invalid)?;
        let cursor = Self { before_seq };
        // Re-encoding rejects every other spelling of the same value (`+7`, `007`, …).
        if cursor.encode() == s {
            Ok(cursor)
        } else {
            Err(invalid())
        }
    }
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Text(String),
    Int(i64),
}

/// The validated audit-log query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    /// Rows whose acting principal (`actor_id`) is this.
    pub user_id: Option<String>,
    pub actions: ActionFilter,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Inclusive lower bound on `at`, Unix ms.
    pub from_ms: Option<i64>,
    /// Inclusive upper bound on `at`, Unix ms.
    pub to_ms: Option<i64>,
    /// Free text, matched (ASCII case-insensitively) within action, resource id and data.
    pub q: Option<String>,
    /// Page size, 1..=[`MAX_LIMIT`].
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl AuditFilter {
    /// Validates the query parameters (see the module docs).
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, QueryError> {
        let filter = Self {
            user_id: text_param(pairs, "userId")?,
            actions: single(pairs, "action")?.map(ActionFilter::parse).transpose()?.unwrap_or_default(),
            resource_type: text_param(pairs, "resourceType")?,
            resource_id: text_param(pairs, "resourceId")?,
            from_ms: time_param(pairs, "from")?,
            to_ms: time_param(pairs, "to")?,
            q: text_param(pairs, "q")?,
            limit: limit_param(pairs)?,
            cursor: single(pairs, "cursor")?.map(Cursor::decode).transpose()?,
        };
        match (filter.from_ms, filter.to_ms) {
            (Some(from), Some(to)) if from > to => Err(QueryError::new("from", "must not be later than `to`")),
            _ => Ok(filter),
        }
    }

    /// The `WHERE` condition (without the keyword) for `workspace_id`, and its parameters
    /// (`?1` is always the workspace id).
    pub fn where_clause(&self, workspace: WorkspaceRef<'_>) -> (String, Vec<SqlValue>) {
        let mut sql = SqlBuilder::default();
        let p = sql.bind(SqlValue::Text(workspace.value().to_owned()));
        sql.conditions.push(format!("workspace_id = {}", workspace.sql(&p)));
        // Only sealed rows: a row is sealed milliseconds after its insert (see edge ledger).
        sql.conditions.push("hash IS NOT NULL".to_owned());
        if let ActionFilter::AnyOf(patterns) = &self.actions {
            let condition = sql.actions(patterns);
            sql.conditions.push(condition);
        }
        sql.compare("actor_id", "=", self.user_id.clone().map(SqlValue::Text));
        sql.compare("resource_type", "=", self.resource_type.clone().map(SqlValue::Text));
        sql.compare("resource_id", "=", self.resource_id.clone().map(SqlValue::Text));
        sql.compare("at", ">=", self.from_ms.map(SqlValue::Int));
        sql.compare("at", "<=", self.to_ms.map(SqlValue::Int));
        sql.compare("seq", "<", self.cursor.map(|c| SqlValue::Int(c.before_seq)));
        if let Some(q) = &self.q {
            let p = sql.bind(SqlValue::Text(format!("%{}%", escape_like(q))));
            sql.conditions.push(format!(
                "(action LIKE {p} ESCAPE '\\' OR resource_id LIKE {p} ESCAPE '\\' OR data LIKE {p} ESCAPE '\\')"
            ));
        }
        (sql.conditions.join(" AND "), sql.params)
    }

    /// One page, newest first, with one row beyond `limit` to tell whether another page exists.
    pub fn page_sql(&self, workspace: WorkspaceRef<'_>) -> (String, Vec<SqlValue>) {
        let (condition, params) = self.where_clause(workspace);
        let sql = format!(
            "SELECT {} FROM audit_log WHERE {condition} ORDER BY seq DESC LIMIT {}",
            AUDIT_COLUMNS.join(", "),
            u64::from(self.limit) + 1
        );
        (sql, params)
    }

    /// Splits the rows [`AuditFilter::page_sql`] returned into the page to show and the cursor
    /// of the next page (`None` on the last page).
    pub fn paginate(&self, mut rows: Vec<AuditEntry>) -> (Vec<AuditEntry>, Option<Cursor>) {
        let limit = self.limit as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().filter(|_| has_more).map(|last| Cursor { before_seq: last.seq });
        (rows, next)
    }
}

/// The value of `name`, if given once; an error if given twice or empty.
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, QueryError> {
    let mut values = pairs.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(QueryError::new(name, "given more than once"));
    }
    match first {
        Some("") => Err(QueryError::new(name, "must not be empty")),
        other => Ok(other),
    }
}

fn text_param(pairs: &[(String, String)], name: &str) -> Result<Option<String>, QueryError> {
    match single(pairs, name)? {
        Some(value) if value.chars().count() > MAX_TEXT_LEN => {
            Err(QueryError::new(name, format!("longer than {MAX_TEXT_LEN} characters")))
        }
        value => Ok(value.map(str::to_owned)),
    }
}

fn time_param(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, QueryError> {
    single(pairs, name)?.map(|value| time::parse(value).map_err(|e| QueryError::new(name, e.to_string()))).transpose()
}

fn limit_param(pairs: &[(String, String)]) -> Result<u32, QueryError> {
    let Some(value) = single(pairs, "limit")? else {
        return Ok(DEFAULT_LIMIT);
    };
    Some(value)
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| QueryError::new("limit", format!("must be an integer from 1 to {MAX_LIMIT}")))
}

/// Escapes the `LIKE` wildcards `%`, `_` and the escape character `\` itself.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The least string above every code starting with `prefix` (see the module docs).
fn prefix_upper_bound(prefix: &str) -> String {
    let mut bound = prefix.to_owned();
    if let Some(last) = bound.pop() {
        bound.extend(char::from_u32(u32::from(last) + 1));
    }
    bound
}

/// `AND`-joined conditions with their numbered parameters.
#[derive(Default)]
struct SqlBuilder {
    conditions: Vec<String>,
    params: Vec<SqlValue>,
}

impl SqlBuilder {
    /// Adds `value` as the next parameter and returns its placeholder `?N`.
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    /// Adds `column op ?N` when there is a value.
    fn compare(&mut self, column: &str, op: &str, value: Option<SqlValue>) {
        if let Some(value) = value {
            let p = self.bind(value);
            self.conditions.push(format!("{column} {op} {p}"));
        }
    }

    /// `action IN (…)` for the exact codes, then a range per prefix, `OR`-ed together.
    fn actions(&mut self, patterns: &[ActionPattern]) -> String {
        let exact: Vec<String> = patterns
            .iter()
            .filter_map(|p| match p {
                ActionPattern::Exact(code) => Some(self.bind(SqlValue::Text(code.clone()))),
                ActionPattern::Prefix(_) => None,
            })
            .collect();
        let mut alternatives = Vec::new();
        if !exact.is_empty() {
            alternatives.push(format!("action IN ({})", exact.join(", ")));
        }
        for pattern in patterns {
            if let ActionPattern::Prefix(prefix) = pattern {
                let low = self.bind(SqlValue::Text(prefix.clone()));
                let high = self.bind(SqlValue::Text(prefix_upper_bound(prefix)));
                alternatives.push(format!("(action >= {low} AND action < {high})"));
            }
        }
        if alternatives.len() == 1 {
            alternatives.concat()
        } else {
            format!("({})", alternatives.join(" OR "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::ledger::{tests::entry, GENESIS_HASH};
    use SqlValue::{Int, Text};

    fn parse(pairs: &[(&str, &str)]) -> Result<AuditFilter, QueryError> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        AuditFilter::from_query(&owned)
    }

    fn rejected(pairs: &[(&str, &str)]) -> String {
        parse(pairs).unwrap_err().param
    }

    fn text(s: &str) -> SqlValue {
        Text(s.to_owned())
    }

    #[test]
    fn empty_query_gives_defaults() {
        let f = parse(&[]).unwrap();
        assert_eq!(f.limit, DEFAULT_LIMIT);
        assert_eq!(f.actions, ActionFilter::Any);
        assert_eq!((f.user_id, f.from_ms, f.to_ms, f.q, f.cursor), (None, None, None, None, None));
    }

    #[test]
    fn each_text_param_is_read() {
        let f =
            parse(&[("userId", "usr_1"), ("resourceType", "user"), ("resourceId", "usr_2"), ("q", "boom")]).unwrap();
        assert_eq!(f.user_id.as_deref(), Some("usr_1"));
        assert_eq!(f.resource_type.as_deref(), Some("user"));
        assert_eq!(f.resource_id.as_deref(), Some("usr_2"));
        assert_eq!(f.q.as_deref(), Some("boom"));
    }

    #[test]
    fn from_and_to_parse_rfc3339_and_bare_dates() {
        let f = parse(&[("from", "2026-06-09"), ("to", "2026-06-09T07:53:42.626Z")]).unwrap();
        assert_eq!((f.from_ms, f.to_ms), (Some(1_780_963_200_000), Some(1_780_991_622_626)));
    }

    #[test]
    fn equal_from_and_to_accepted() {
        assert!(parse(&[("from", "2026-06-09"), ("to", "2026-06-09T00:00:00Z")]).is_ok());
    }

    #[test]
    fn from_after_to_rejected() {
        assert_eq!(rejected(&[("from", "2026-06-10"), ("to", "2026-06-09")]), "from");
    }

    #[test]
    fn bad_timestamps_rejected_with_time_reason() {
        let err = parse(&[("to", "2026-02-30")]).unwrap_err();
        assert_eq!(err, QueryError::new("to", "day out of range"));
        assert_eq!(rejected(&[("from", "yesterday")]), "from");
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(parse(&[("limit", "1")]).unwrap().limit, 1);
        assert_eq!(parse(&[("limit", "200")]).unwrap().limit, 200);
        for bad in ["0", "201", "-1", "+5", " 5", "5 ", "1e2", "ten", "99999999999"] {
            assert_eq!(rejected(&[("limit", bad)]), "limit", "{bad}");
        }
    }

    #[test]
    fn action_exact_list() {
        let f = parse(&[("action", "USER_LOGIN,USER_LOGOUT")]).unwrap();
        let expected = vec![ActionPattern::Exact("USER_LOGIN".into()), ActionPattern::Exact("USER_LOGOUT".into())];
        assert_eq!(f.actions, ActionFilter::AnyOf(expected));
    }

    #[test]
    fn action_prefix_and_mixed_list() {
        let f = parse(&[("action", "USER_*,PAT_CREATED")]).unwrap();
        let expected = vec![ActionPattern::Prefix("USER_".into()), ActionPattern::Exact("PAT_CREATED".into())];
        assert_eq!(f.actions, ActionFilter::AnyOf(expected));
    }

    #[test]
    fn malformed_action_items_rejected() {
        let too_long = format!("A{}", "B".repeat(MAX_ACTION_LEN));
        let bad = ["user_login", "1LOGIN", "_X", "*", "USER**", "US*ER", "USER LOGIN", "A,,B", "A,", "É", &too_long];
        for value in bad {
            assert_eq!(rejected(&[("action", value)]), "action", "{value}");
        }
    }

    #[test]
    fn action_code_limits() {
        assert!(parse(&[("action", &"A".repeat(MAX_ACTION_LEN))]).is_ok());
        assert!(parse(&[("action", &format!("{}*", "A".repeat(MAX_ACTION_LEN)))]).is_ok());
        let twenty = ["A"; MAX_ACTIONS].join(",");
        assert!(parse(&[("action", &twenty)]).is_ok());
        assert_eq!(rejected(&[("action", &format!("{twenty},B"))]), "action");
    }

    #[test]
    fn duplicate_known_param_rejected() {
        let err = parse(&[("userId", "a"), ("userId", "a")]).unwrap_err();
        assert_eq!(err, QueryError::new("userId", "given more than once"));
    }

    #[test]
    fn empty_known_param_rejected() {
        for name in ["userId", "action", "resourceType", "resourceId", "from", "to", "q", "limit", "cursor"] {
            assert_eq!(parse(&[(name, "")]).unwrap_err(), QueryError::new(name, "must not be empty"));
        }
    }

    #[test]
    fn unknown_params_ignored_even_repeated() {
        assert_eq!(parse(&[("foo", "1"), ("foo", "2"), ("UserId", "x")]).unwrap(), parse(&[]).unwrap());
    }

    #[test]
    fn overlong_text_rejected() {
        let ok = "é".repeat(MAX_TEXT_LEN);
        assert!(parse(&[("q", &ok)]).is_ok());
        assert_eq!(rejected(&[("resourceId", &format!("{ok}x"))]), "resourceId");
    }

    #[test]
    fn error_displays_param_and_reason() {
        let err = QueryError::new("limit", "must be an integer from 1 to 200");
        assert_eq!(err.to_string(), "invalid query parameter `limit`: must be an integer from 1 to 200");
    }

    #[test]
    fn cursor_round_trips() {
        for before_seq in [1, 2, 51, 1_000_000, i64::MAX] {
            let c = Cursor { before_seq };
            let encoded = c.encode();
            assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(Cursor::decode(&encoded), Ok(c));
        }
        let f = parse(&[("cursor", &Cursor { before_seq: 42 }.encode())]).unwrap();
        assert_eq!(f.cursor, Some(Cursor { before_seq: 42 }));
    }

    #[test]
    fn cursor_garbage_rejected() {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let padded = base64::engine::general_purpose::URL_SAFE.encode("v1.42");
        let bad = [
            "!!!".to_owned(),
            "djEuNDI=".to_owned(),
            padded,
            "djEuNDJ".to_owned(), // non-canonical trailing bits
            "djEuNDI ".to_owned(),
            b64("v1.0"),
            b64("v1.-5"),
            b64("v1.+5"),
            b64("v1.042"),
            b64("v1."),
            b64("v1.4x"),
            b64("v2.42"),
            b64("42"),
            b64("v1.99999999999999999999"),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
            "A".repeat(65),
        ];
        for s in &bad {
            assert_eq!(Cursor::decode(s).unwrap_err().param, "cursor", "{s}");
        }
    }

    #[test]
    fn where_clause_workspace_only() {
        let (sql, params) = parse(&[]).unwrap().where_clause(WorkspaceRef::Id("ws_1"));
        assert_eq!(sql, "workspace_id = ?1 AND hash IS NOT NULL");
        assert_eq!(params, vec![text("ws_1")]);
    }

    #[test]
    fn where_clause_exact_actions_use_in() {
        let (sql, params) =
            parse(&[("action", "USER_LOGIN,USER_LOGOUT")]).unwrap().where_clause(WorkspaceRef::Id("ws_1"));
        assert_eq!(sql, "workspace_id = ?1 AND hash IS NOT NULL AND action IN (?2, ?3)");
        assert_eq!(params, vec![text("ws_1"), text("USER_LOGIN"), text("USER_LOGOUT")]);
    }

    #[test]
    fn where_clause_prefix_is_half_open_range() {
        let (sql, params) = parse(&[("action", "USER_*")]).unwrap().where_clause(WorkspaceRef::Id("ws_1"));
        assert_eq!(sql, "workspace_id = ?1 AND hash IS NOT NULL AND (action >= ?2 AND action < ?3)");
        assert_eq!(params, vec![text("ws_1"), text("USER_"), text("USER`")]);
    }

    #[test]
    fn prefix_upper_bound_increments_last_char() {
        assert_eq!(prefix_upper_bound("USER"), "USES");
        assert_eq!(prefix_upper_bound("USER_Z"), "USER_[");
        assert_eq!(prefix_upper_bound("A9"), "A:");
        for code in ["USER", "USER_", "USER_LOGIN", "USERZ", "USER_999"] {
            assert!(code >= "USER" && code < prefix_upper_bound("USER").as_str(), "{code}");
        }
        for code in ["USE", "USES", "USDZZZ", "UT"] {
            assert!(!(code >= "USER" && code < prefix_upper_bound("USER").as_str()), "{code}");
        }
    }

    #[test]
    fn where_clause_mixed_actions_or_together() {
        let (sql, params) =
            parse(&[("action", "USER_*,PAT_CREATED,SCIM_*")]).unwrap().where_clause(WorkspaceRef::Id("ws_1"));
        assert_eq!(
            sql,
            "workspace_id = ?1 AND hash IS NOT NULL AND (action IN (?2) OR (action >= ?3 AND action < ?4) OR (action >= ?5 AND action < ?6))"
        );
        let expected = ["ws_1", "PAT_CREATED", "USER_", "USER`", "SCIM_", "SCIM`"].map(text).to_vec();
        assert_eq!(params, expected);
    }

    #[test]
    fn where_clause_every_filter_in_order() {
        let cursor = Cursor { before_seq: 77 }.encode();
        let f = parse(&[
            ("q", "50%_off\\"),
            ("cursor", &cursor),
            ("to", "1970-01-01T00:00:02Z"),
            ("from", "1970-01-01T00:00:01Z"),
            ("resourceId", "usr_2"),
            ("resourceType", "user"),
            ("userId", "usr_1"),
            ("action", "USER_LOGIN"),
        ])
        .unwrap();
        let (sql, params) = f.where_clause(WorkspaceRef::Id("ws_1"));
        assert_eq!(
            sql,
            "workspace_id = ?1 AND hash IS NOT NULL AND action IN (?2) AND actor_id = ?3 AND resource_type = ?4 AND resource_id = ?5 \
             AND at >= ?6 AND at <= ?7 AND seq < ?8 AND (action LIKE ?9 ESCAPE '\\' OR resource_id LIKE ?9 \
             ESCAPE '\\' OR data LIKE ?9 ESCAPE '\\')"
        );
        assert_eq!(
            params,
            vec![
                text("ws_1"),
                text("USER_LOGIN"),
                text("usr_1"),
                text("user"),
                text("usr_2"),
                Int(1_000),
                Int(2_000),
                Int(77),
                text("%50\\%\\_off\\\\%"),
            ]
        );
    }

    #[test]
    fn page_sql_selects_limit_plus_one_newest_first() {
        let (sql, params) = parse(&[("limit", "10"), ("userId", "usr_1")]).unwrap().page_sql(WorkspaceRef::Id("ws_1"));
        assert_eq!(
            sql,
            "SELECT workspace_id, seq, id, at, action, actor_type, actor_id, resource_type, resource_id, ip, \
             data, COALESCE(prev_hash, '') AS prev_hash, COALESCE(hash, '') AS hash FROM audit_log \
             WHERE workspace_id = ?1 AND hash IS NOT NULL AND actor_id = ?2 \
             ORDER BY seq DESC LIMIT 11"
        );
        assert_eq!(params, vec![text("ws_1"), text("usr_1")]);
    }

    fn rows_desc(from_seq: i64, count: i64) -> Vec<AuditEntry> {
        (0..count).map(|i| entry(from_seq - i, GENESIS_HASH)).collect()
    }

    #[test]
    fn paginate_extra_row_yields_cursor_at_last_kept_seq() {
        let f = parse(&[("limit", "3")]).unwrap();
        let (page, next) = f.paginate(rows_desc(10, 4));
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![10, 9, 8]);
        assert_eq!(next, Some(Cursor { before_seq: 8 }));
    }

    #[test]
    fn paginate_last_page_has_no_cursor() {
        let f = parse(&[("limit", "3")]).unwrap();
        assert_eq!(f.paginate(rows_desc(3, 3)).1, None);
        assert_eq!(f.paginate(rows_desc(2, 2)).1, None);
        assert_eq!(f.paginate(Vec::new()), (Vec::new(), None));
    }
}
