//! SCIM storage: users (the `users` row, its SCIM document and `user_emails`), groups and
//! memberships. Every query is scoped by workspace ([`Scope`]: an id, or the workspace of a
//! live SCIM token; bound at `?1`); filters arrive
//! compiled to SQL by `scim::filter::sql` with their own parameters from `?2`.

use std::cell::RefCell;

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::{self, int, opt_text, text, Db};
use crate::edge::http::fault;
use crate::error::ApiResult;
use crate::scim::anchors::{Anchor, Anchors};
use crate::scim::etag::Expect;
use crate::scim::filter::sql::{SqlFilter, SqlParam};
use crate::scim::resource::{StoredGroup, StoredUser, UserColumns, MAX_START_INDEX};
use crate::scim::schema::{ResourceType, GROUP_TYPE, USER_TYPE};
use crate::scim::sort::Sort;
/// Whose rows a read may see (`?1` binds its value).
pub use crate::tenancy::WorkspaceRef as Scope;

/// Most users or groups a filter SQL cannot fully answer may bring into memory.
pub const MAX_SCAN: u64 = 5_000;

/// Which slice of a list to read: its order, the rows to skip and the most to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub sort: Sort,
    pub offset: u64,
    pub limit: u64,
}

impl Window {
    /// Every candidate a filter SQL cannot fully answer, in `sort` order.
    pub fn scan(sort: Sort) -> Self {
        Self { sort, offset: 0, limit: MAX_SCAN }
    }
}

/// A table to list: its name and alias (`users u`), the columns to read and its resource type.
struct Listing<'a> {
    table: &'a str,
    columns: &'a str,
    rt: &'static ResourceType,
}

fn param(p: &SqlParam) -> JsValue {
    match p {
        SqlParam::Text(s) => text(s),
        SqlParam::Int(n) => int(*n),
    }
}

fn args(scope: Scope<'_>, filter: Option<&SqlFilter>, extra: &[JsValue]) -> Vec<JsValue> {
    let mut out = vec![text(scope.value())];
    out.extend(filter.iter().flat_map(|f| f.params.iter().map(param)));
    out.extend_from_slice(extra);
    out
}

/// `(<sql>)` or `1`, and the number of the next free placeholder. The filter's own references
/// to the workspace follow the scope.
fn clause(scope: Scope<'_>, filter: Option<&SqlFilter>) -> (String, usize) {
    match (filter, scope) {
        (Some(f), Scope::Id(_)) => (format!("({})", f.sql), 2 + f.params.len()),
        (Some(f), Scope::OfToken { .. }) => {
            (format!("({})", f.sql_with_workspace(&scope.sql("?1"))), 2 + f.params.len())
        }
        (None, _) => ("1".into(), 2),
    }
}

/// A user as SQLite renders it ([`USER_JSON`]): its SCIM document and groups arrive as JSON,
/// not as text to parse again.
#[derive(Deserialize)]
struct UserRow {
    id: String,
    user_name: String,
    email: String,
    display_name: Option<String>,
    status: String,
    scim: Value,
    version: i64,
    created_at: i64,
    updated_at: i64,
    /// `[[group id, displayName], …]` from a correlated subquery: no second round trip.
    groups: Vec<(String, String)>,
}

/// A user read by a statement: one [`USER_JSON`] object, and for a filtered page how many
/// matched in all (`COUNT(*) OVER ()`).
#[derive(Deserialize)]
struct UserJson {
    user: String,
    #[serde(default)]
    total: Option<u64>,
}

#[derive(Deserialize)]
struct Count {
    n: u64,
    /// The order stamp ([`ORDER_STAMP`]) of an unfiltered count.
    #[serde(default)]
    stamp: Option<i64>,
}

#[derive(Deserialize)]
struct Membership {
    owner: String,
    id: String,
    name: String,
}

/// A user of `users u` as one JSON object, its SCIM document and groups embedded: D1 converts
/// one column per row instead of eleven (on a page of 100 that conversion cost more than the
/// page's SQL), and the document is parsed once, with the rest of the row.
const USER_JSON: &str = "json_object('id', u.id, 'user_name', u.user_name, 'email', u.email, \
     'display_name', u.display_name, 'status', u.status, 'scim', json(u.scim), 'version', u.version, \
     'created_at', u.created_at, 'updated_at', u.updated_at, 'groups', json((SELECT json_group_array(json_array(g.id, \
     g.display_name)) FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id \
     WHERE m.workspace_id = u.workspace_id AND m.user_id = u.id)))";

/// A table a list counts: its `FROM` text with alias, and its column of `workspace_counts`.
struct Counted {
    from: &'static str,
    column: &'static str,
}

const USERS: Counted = Counted { from: "users u", column: "user_count" };
const GROUPS: Counted = Counted { from: "scim_groups g", column: "group_count" };

/// The state of a workspace's user order, as one number: `workspace_counts.user_changes` (moved
/// by every insert, delete or reordering update) and this database's shard, so a workspace that
/// moved shards never meets its old anchors.
const ORDER_STAMP: &str = "c.user_changes * 256 + COALESCE((SELECT shard FROM shard_meta LIMIT 1), 0)";

/// How many rows of the table match. Unfiltered, that is the workspace's count, which triggers
/// keep in `workspace_counts` (schema.sql): one point read, where `COUNT(*)` walked an index
/// entry per row (5 ms at 100,000 users, on every page). The users' count also reads the order
/// stamp, in the same batch as the page, for the page's anchors.
fn count_stmt(db: &Db, t: &Counted, scope: Scope<'_>, filter: Option<&SqlFilter>) -> ApiResult<D1PreparedStatement> {
    let workspace = scope.sql("?1");
    let sql = match filter {
        None => format!(
            "SELECT COALESCE(c.{}, 0) AS n, {ORDER_STAMP} AS stamp FROM (SELECT 1) \
             LEFT JOIN workspace_counts c ON c.workspace_id = {workspace}",
            t.column
        ),
        Some(_) => {
            let (cond, _) = clause(scope, filter);
            let (from, alias) = (t.from, t.from.rsplit(' ').next().unwrap_or_default());
            format!("SELECT COUNT(*) AS n FROM {from} WHERE {alias}.workspace_id = {workspace} AND {cond}")
        }
    };
    db::stmt(db, &sql, &args(scope, filter, &[]))
}

async fn count(db: &Db, t: &Counted, ws: &str, filter: Option<&SqlFilter>) -> ApiResult<u64> {
    let rows: Vec<Count> = db::all_of(db, count_stmt(db, t, Scope::Id(ws), filter)?).await?;
    Ok(rows.first().map_or(0, |c| c.n))
}

/// The count a [`count_stmt`] read, and the order stamp when it read one.
fn decode_count(result: &D1Result) -> ApiResult<(u64, Option<i64>)> {
    Ok(db::rows::<Count>(result)?.first().map_or((0, None), |c| (c.n, c.stamp)))
}

/// A page of `table` in the window's order. Unfiltered, the page's rowids come from one walk of
/// that order's covering index (`schema.sql`) and only their rows are read: with `OFFSET` on
/// the rows themselves SQLite would build every skipped row, its groups included, and a page
/// deep into 100,000 users took hundreds of milliseconds. D1 binds numbers as JavaScript
/// doubles, so `offset` and `limit` are clamped to 2^53 − 1 first (a larger one would round and
/// fail in SQLite); `ListQuery` already keeps them within it.
fn page_stmt(
    db: &Db,
    from: &Listing<'_>,
    scope: Scope<'_>,
    filter: Option<&SqlFilter>,
    window: &Window,
) -> ApiResult<D1PreparedStatement> {
    let (cond, next) = clause(scope, filter);
    let Listing { table, columns, rt } = from;
    let alias = table.rsplit(' ').next().unwrap_or_default();
    let order = window.sort.order_by(alias, rt);
    let workspace = scope.sql("?1");
    let slice = format!("ORDER BY {order} LIMIT ?{next} OFFSET ?{}", next + 1);
    let sql = match filter {
        None => format!(
            "SELECT {columns} FROM {table} WHERE {alias}.rowid IN \
             (SELECT {alias}.rowid FROM {table} WHERE {alias}.workspace_id = {workspace} {slice}) ORDER BY {order}"
        ),
        Some(_) => format!("SELECT {columns} FROM {table} WHERE {alias}.workspace_id = {workspace} AND {cond} {slice}"),
    };
    let exact = |n: u64| int(n.min(MAX_START_INDEX) as i64);
    db::stmt(db, &sql, &args(scope, filter, &[exact(window.limit), exact(window.offset)]))
}

async fn page<T: serde::de::DeserializeOwned>(
    db: &Db,
    from: &Listing<'_>,
    ws: &str,
    filter: Option<&SqlFilter>,
    window: &Window,
) -> ApiResult<Vec<T>> {
    db::all_of(db, page_stmt(db, from, Scope::Id(ws), filter, window)?).await
}

pub async fn count_users(db: &Db, ws: &str, filter: Option<&SqlFilter>) -> ApiResult<u64> {
    count(db, &USERS, ws, filter).await
}

thread_local! {
    /// Page anchors of the lists this isolate has served (src/scim/anchors.rs).
    static ANCHORS: RefCell<Anchors> = RefCell::new(Anchors::default());
}

/// The statements for a page of users (see [`users`]): the page, and without a filter the count.
/// An unfiltered page in the default order seeks from the nearest anchor the isolate holds for
/// the list (`scope`'s value names it).
pub fn users_stmts(
    db: &Db,
    scope: Scope<'_>,
    filter: Option<&SqlFilter>,
    window: &Window,
) -> ApiResult<Vec<D1PreparedStatement>> {
    // With a filter, the window count saves a statement; without one it would make SQLite
    // sort the whole workspace, so the count is its own statement.
    let columns = match filter {
        Some(_) => format!("{USER_JSON} AS user, COUNT(*) OVER () AS total"),
        None => format!("{USER_JSON} AS user"),
    };
    let from = Listing { table: "users u", columns: &columns, rt: &USER_TYPE };
    let anchor = filter.is_none().then(|| anchor_before(scope.value(), window)).flatten();
    let page = match anchor {
        Some((stamp, anchor)) => anchored_page_stmt(db, &columns, scope, window, stamp, &anchor)?,
        None => page_stmt(db, &from, scope, filter, window)?,
    };
    let mut statements = vec![page];
    if filter.is_none() {
        statements.push(count_stmt(db, &USERS, scope, None)?);
    }
    Ok(statements)
}

/// The anchor a page of the default order can seek from, with the stamp it holds for.
fn anchor_before(list: &str, window: &Window) -> Option<(i64, Anchor)> {
    if window.sort != Sort::default() || window.offset == 0 {
        return None;
    }
    ANCHORS.with(|a| a.borrow_mut().before(list, window.offset))
}

/// A page of users in the default order that skips only the rows between `anchor` and the
/// window, while the order stamp still reads `stamp`; otherwise it walks from the start. Both
/// walks are in the statement and the stamp picks one through their `LIMIT`s (SQLite reads a
/// `LIMIT` of 0 before it opens the index), so a moved list costs a walk, never a wrong page.
fn anchored_page_stmt(
    db: &Db,
    columns: &str,
    scope: Scope<'_>,
    window: &Window,
    stamp: i64,
    anchor: &Anchor,
) -> ApiResult<D1PreparedStatement> {
    let order = window.sort.order_by("u", &USER_TYPE);
    let ws = scope.sql("?1");
    let held = format!("(SELECT {ORDER_STAMP} FROM workspace_counts c WHERE c.workspace_id = {ws}) = ?2");
    let sql = format!(
        "SELECT {columns} FROM users u WHERE u.rowid IN (\
         SELECT rowid FROM (SELECT u.rowid FROM users u WHERE u.workspace_id = {ws} AND (u.created_at, u.id) > (?3, ?4) \
         ORDER BY {order} LIMIT (CASE WHEN {held} THEN ?5 ELSE 0 END) OFFSET ?6) \
         UNION ALL SELECT rowid FROM (SELECT u.rowid FROM users u WHERE u.workspace_id = {ws} \
         ORDER BY {order} LIMIT (CASE WHEN {held} THEN 0 ELSE ?5 END) OFFSET ?7)) ORDER BY {order}"
    );
    let exact = |n: u64| int(n.min(MAX_START_INDEX) as i64);
    let gap = window.offset.saturating_sub(anchor.position + 1);
    let args = [
        text(scope.value()),
        int(stamp),
        int(anchor.created_at),
        text(&anchor.id),
        exact(window.limit),
        exact(gap),
        exact(window.offset),
    ];
    db::stmt(db, &sql, &args)
}

/// Remembers where a page of the default order starts and ends, for later pages of `list`.
fn remember(list: &str, window: &Window, stamp: i64, users: &[StoredUser]) {
    let (Some(first), Some(last)) = (users.first(), users.last()) else { return };
    if window.sort != Sort::default() {
        return;
    }
    let at = |position: u64, u: &StoredUser| Anchor { position, created_at: u.created_at, id: u.id.clone() };
    let end = window.offset + users.len() as u64 - 1;
    ANCHORS.with(|a| a.borrow_mut().record(list, stamp, [at(window.offset, first), at(end, last)]));
}

/// What [`users_stmts`] read: the page and, when filtered, how many matched in all (`None`:
/// the filtered page was empty, so the window count is unknown). An unfiltered page leaves its
/// anchors under `list` (the value of the scope the statements were made with).
pub fn decode_users(
    results: &[D1Result],
    filtered: bool,
    window: &Window,
    list: &str,
) -> ApiResult<(Vec<StoredUser>, Option<u64>)> {
    let page = results.first().ok_or_else(|| fault("SCIM users", "no page result"))?;
    let (users, matched) = decode_rows(page)?;
    let total = match (filtered, results.get(1)) {
        (true, _) => matched,
        (false, Some(count)) => {
            let (n, stamp) = decode_count(count)?;
            if let Some(stamp) = stamp {
                remember(list, window, stamp, &users);
            }
            Some(n)
        }
        (false, None) => None,
    };
    Ok((users, total))
}

/// The users of a [`USER_JSON`] statement, and its `total` column.
fn decode_rows(result: &D1Result) -> ApiResult<(Vec<StoredUser>, Option<u64>)> {
    users_of(db::rows(result)?)
}

fn users_of(rows: Vec<UserJson>) -> ApiResult<(Vec<StoredUser>, Option<u64>)> {
    let total = rows.first().and_then(|r| r.total);
    let users = rows.iter().map(|r| serde_json::from_str(&r.user).map(stored_user));
    Ok((users.collect::<Result<_, _>>().map_err(|e| fault("SCIM users", e))?, total))
}

/// The window of the matching users, with their groups, and how many matched in all (`None`
/// when a filtered page came back empty).
pub async fn users(
    db: &Db,
    ws: &str,
    filter: Option<&SqlFilter>,
    window: &Window,
) -> ApiResult<(Vec<StoredUser>, Option<u64>)> {
    let statements = users_stmts(db, Scope::Id(ws), filter, window)?;
    let results = db.batch(statements).await.map_err(|e| fault("SCIM users", e))?;
    decode_users(&results, filter.is_some(), window, ws)
}

pub fn user_stmt(db: &Db, scope: Scope<'_>, id: &str) -> ApiResult<D1PreparedStatement> {
    let sql =
        format!("SELECT {USER_JSON} AS user FROM users u WHERE u.workspace_id = {} AND u.id = ?2", scope.sql("?1"));
    db::stmt(db, &sql, &[text(scope.value()), text(id)])
}

/// The user a [`user_stmt`] read.
pub fn decode_user(result: &D1Result) -> ApiResult<Option<StoredUser>> {
    Ok(decode_rows(result)?.0.pop())
}

pub async fn user(db: &Db, ws: &str, id: &str) -> ApiResult<Option<StoredUser>> {
    Ok(users_of(db::all_of(db, user_stmt(db, Scope::Id(ws), id)?).await?)?.0.pop())
}

pub async fn user_by_name(db: &Db, ws: &str, user_name: &str) -> ApiResult<Option<StoredUser>> {
    let sql = format!("SELECT {USER_JSON} AS user FROM users u WHERE u.workspace_id = ?1 AND u.user_name = ?2");
    Ok(users_of(db::all(db, &sql, &[text(ws), text(user_name)]).await?)?.0.pop())
}

fn json_ids<'a>(ids: impl Iterator<Item = &'a str>) -> JsValue {
    text(&Value::Array(ids.map(|id| Value::String(id.to_string())).collect()).to_string())
}

fn stored_user(r: UserRow) -> StoredUser {
    StoredUser {
        groups: r.groups,
        doc: r.scim,
        active: r.status == "active",
        id: r.id,
        user_name: r.user_name,
        email: r.email,
        display_name: r.display_name,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// A user row to insert or update from SCIM.
pub struct UserWrite<'a> {
    pub workspace_id: &'a str,
    pub id: &'a str,
    pub columns: &'a UserColumns,
    /// A new password hash, or `None` to keep the stored one.
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

/// The bound values of a user write, in the placeholder order both statements use.
fn user_args(w: &UserWrite<'_>) -> Vec<JsValue> {
    let c = w.columns;
    vec![
        text(w.workspace_id),
        text(w.id),
        text(&c.sign_in_email),
        text(&c.user_name),
        opt_text(c.external_id.as_deref()),
        opt_text(c.display_name.as_deref()),
        opt_text(c.given_name.as_deref()),
        opt_text(c.family_name.as_deref()),
        text(&c.doc.to_string()),
        text(if c.active { "active" } else { "disabled" }),
        opt_text(w.password_hash),
        int(w.now),
    ]
}

/// INSERT (SCIM-provisioned member) plus its email rows.
pub fn insert_user(db: &Db, w: &UserWrite<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    let mut out = vec![db::stmt(
        db,
        "INSERT INTO users (workspace_id, id, email, user_name, external_id, display_name, given_name, family_name, \
         scim, version, role, status, provisioned_by, password_hash, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, 'member', ?10, 'scim', ?11, ?12, ?12)",
        &user_args(w),
    )?];
    out.extend(email_rows(db, w)?);
    Ok(out)
}

/// UPDATE of every SCIM column (version + 1) and the email rows replaced.
pub fn update_user(db: &Db, w: &UserWrite<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    let mut out = vec![
        db::stmt(
            db,
            "UPDATE users SET email = ?3, user_name = ?4, external_id = ?5, display_name = ?6, given_name = ?7, \
             family_name = ?8, scim = ?9, status = ?10, password_hash = COALESCE(?11, password_hash), \
             version = version + 1, updated_at = ?12 WHERE workspace_id = ?1 AND id = ?2",
            &user_args(w),
        )?,
        db::stmt(db, "DELETE FROM user_emails WHERE user_id = ?1", &[text(w.id)])?,
    ];
    out.extend(email_rows(db, w)?);
    Ok(out)
}

fn email_rows(db: &Db, w: &UserWrite<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    w.columns
        .emails
        .iter()
        .enumerate()
        .map(|(i, e)| {
            db::stmt(
                db,
                "INSERT INTO user_emails (workspace_id, user_id, position, value, type, is_primary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[
                    text(w.workspace_id),
                    text(w.id),
                    int(i as i64),
                    text(&e.value),
                    opt_text(e.kind.as_deref()),
                    int(i64::from(e.primary)),
                ],
            )
        })
        .collect()
}

/// Revokes a user's personal access tokens (deactivation, deletion).
pub fn revoke_pats(db: &Db, ws: &str, user_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE api_tokens SET revoked_at = ?3 WHERE workspace_id = ?1 AND user_id = ?2 AND kind = 'pat' AND revoked_at IS NULL",
        &[text(ws), text(user_id), int(now)],
    )
}

/// Deletes a user and what only they own; SCIM tokens they minted stay, unowned.
pub fn delete_user(db: &Db, ws: &str, id: &str) -> ApiResult<Vec<D1PreparedStatement>> {
    let by_user = |sql: &str| db::stmt(db, sql, &[text(ws), text(id)]);
    Ok(vec![
        by_user("DELETE FROM api_tokens WHERE workspace_id = ?1 AND user_id = ?2 AND kind = 'pat'")?,
        by_user("UPDATE api_tokens SET user_id = NULL WHERE workspace_id = ?1 AND user_id = ?2")?,
        by_user("DELETE FROM sessions WHERE workspace_id = ?1 AND user_id = ?2")?,
        by_user("DELETE FROM webauthn_credentials WHERE workspace_id = ?1 AND user_id = ?2")?,
        by_user("DELETE FROM totp_factors WHERE workspace_id = ?1 AND user_id = ?2")?,
        by_user("DELETE FROM backup_codes WHERE workspace_id = ?1 AND user_id = ?2")?,
        by_user("DELETE FROM users WHERE workspace_id = ?1 AND id = ?2")?,
    ])
}

#[derive(Deserialize)]
struct GroupRow {
    id: String,
    display_name: String,
    external_id: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

const GROUP_COLUMNS: &str = "g.id, g.display_name, g.external_id, g.version, g.created_at, g.updated_at";

/// A workspace's user and SCIM group counts.
#[derive(Debug, Default, Deserialize)]
pub struct Counts {
    pub user_count: u64,
    pub group_count: u64,
}

/// How many users and SCIM groups the workspace holds: one point read of `workspace_counts`
/// (zero for a workspace with no row yet).
pub async fn counts(db: &Db, ws: &str) -> ApiResult<Counts> {
    let sql = "SELECT COALESCE(c.user_count, 0) AS user_count, COALESCE(c.group_count, 0) AS group_count \
               FROM (SELECT 1) LEFT JOIN workspace_counts c ON c.workspace_id = ?1";
    Ok(db::first(db, sql, &[text(ws)]).await?.unwrap_or_default())
}

pub async fn count_groups(db: &Db, ws: &str, filter: Option<&SqlFilter>) -> ApiResult<u64> {
    count(db, &GROUPS, ws, filter).await
}

/// The window of the matching groups with their members; `members: false` leaves them out
/// (for large lists that exclude them).
pub async fn groups(
    db: &Db,
    ws: &str,
    filter: Option<&SqlFilter>,
    window: &Window,
    members: bool,
) -> ApiResult<Vec<StoredGroup>> {
    let from = Listing { table: "scim_groups g", columns: GROUP_COLUMNS, rt: &GROUP_TYPE };
    let rows: Vec<GroupRow> = page(db, &from, ws, filter, window).await?;
    with_members(db, ws, rows, members).await
}

pub async fn group(db: &Db, ws: &str, id: &str) -> ApiResult<Option<StoredGroup>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM scim_groups g WHERE g.workspace_id = ?1 AND g.id = ?2");
    let rows: Vec<GroupRow> = db::all(db, &sql, &[text(ws), text(id)]).await?;
    Ok(with_members(db, ws, rows, true).await?.pop())
}

async fn with_members(db: &Db, ws: &str, rows: Vec<GroupRow>, members: bool) -> ApiResult<Vec<StoredGroup>> {
    let all: Vec<Membership> = if rows.is_empty() || !members {
        Vec::new()
    } else {
        db::all(
            db,
            "SELECT m.group_id AS owner, u.id AS id, COALESCE(u.display_name, u.user_name) AS name \
             FROM scim_group_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 \
             AND m.group_id IN (SELECT value FROM json_each(?2)) ORDER BY u.created_at, u.id",
            &[text(ws), json_ids(rows.iter().map(|r| r.id.as_str()))],
        )
        .await?
    };
    Ok(rows
        .into_iter()
        .map(|r| StoredGroup {
            members: all.iter().filter(|m| m.owner == r.id).map(|m| (m.id.clone(), m.name.clone())).collect(),
            id: r.id,
            display_name: r.display_name,
            external_id: r.external_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Which of `ids` are users of the workspace.
pub async fn existing_users(db: &Db, ws: &str, ids: &[String]) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = db::all(
        db,
        "SELECT id FROM users WHERE workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        &[text(ws), json_ids(ids.iter().map(String::as_str))],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// A group row to insert or update, with the membership change.
pub struct GroupWrite<'a> {
    pub workspace_id: &'a str,
    pub id: &'a str,
    pub display_name: &'a str,
    pub external_id: Option<&'a str>,
    pub added: &'a [String],
    pub removed: &'a [String],
    pub now: i64,
}

pub fn insert_group(db: &Db, w: &GroupWrite<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    let mut out = vec![db::stmt(
        db,
        "INSERT INTO scim_groups (id, workspace_id, display_name, external_id, version, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        &[text(w.id), text(w.workspace_id), text(w.display_name), opt_text(w.external_id), int(w.now)],
    )?];
    out.extend(membership_changes(db, w)?);
    Ok(out)
}

pub fn update_group(db: &Db, w: &GroupWrite<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    let mut out = vec![db::stmt(
        db,
        "UPDATE scim_groups SET display_name = ?3, external_id = ?4, version = version + 1, updated_at = ?5 \
         WHERE workspace_id = ?1 AND id = ?2",
        &[text(w.workspace_id), text(w.id), text(w.display_name), opt_text(w.external_id), int(w.now)],
    )?];
    out.extend(membership_changes(db, w)?);
    Ok(out)
}

fn membership_changes(db: &Db, w: &GroupWrite<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    let mut out = Vec::new();
    if !w.removed.is_empty() {
        out.push(db::stmt(
            db,
            "DELETE FROM scim_group_members WHERE group_id = ?1 AND user_id IN (SELECT value FROM json_each(?2))",
            &[text(w.id), json_ids(w.removed.iter().map(String::as_str))],
        )?);
    }
    if !w.added.is_empty() {
        out.push(db::stmt(
            db,
            "INSERT OR IGNORE INTO scim_group_members (workspace_id, group_id, user_id) \
             SELECT ?1, ?2, value FROM json_each(?3)",
            &[text(w.workspace_id), text(w.id), json_ids(w.added.iter().map(String::as_str))],
        )?);
    }
    Ok(out)
}

/// The SCIM table a precondition guard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Users,
    Groups,
}

/// The first statement of a conditional write's batch (RFC 7644 §3.14, `If-Match`): it fails
/// with [`db::GUARD_FAILED`], aborting the batch before anything is written, unless row `id`
/// of the workspace still exists and, for [`Expect::Version`], is still at that version. So a
/// writer that changed the row between this request's read and its write is caught too.
pub fn precondition_guard(db: &Db, table: Table, ws: &str, id: &str, expect: Expect) -> ApiResult<D1PreparedStatement> {
    let table = match table {
        Table::Users => "users",
        Table::Groups => "scim_groups",
    };
    let version = match expect {
        Expect::Exists => None,
        Expect::Version(v) => Some(v),
    };
    let sql = format!(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM {table} WHERE workspace_id = ?1 AND id = ?2 \
         AND (?3 IS NULL OR version = ?3)) THEN 1 ELSE {} END AS ok",
        db::GUARD_FAIL_SQL
    );
    db::stmt(db, &sql, &[text(ws), text(id), db::opt_int(version)])
}

pub fn delete_group(db: &Db, ws: &str, id: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, "DELETE FROM scim_groups WHERE workspace_id = ?1 AND id = ?2", &[text(ws), text(id)])
}
