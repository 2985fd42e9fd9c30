//! SCIM 2.0 service provider (RFC 7644) under `/api/scim/v2`: discovery (§4), Users and Groups
//! (§3.3 create, §3.4 read/list/search, §3.5.1 replace, §3.5.2 patch, §3.6 delete), with ETags
//! (§3.14: `If-None-Match` on reads, `If-Match` on writes); Bulk (§3.7) is `scim_bulk`, which
//! runs its operations through the write functions here. Bodies and errors are
//! `application/scim+json` (errors: RFC 7644 §3.12 with our code). The pure core does the
//! protocol work (`crate::scim`); this module reads, writes and audits.

use serde_json::{json, Value};
use worker::D1PreparedStatement;

use crate::audit::actions::Action;
use crate::edge::auth::{Principal, ScimClient};
use crate::edge::crypto::{hash_password, new_id};
use crate::edge::db::{self, Db};
use crate::edge::handlers::{Prefetch, Prefetched};
use crate::edge::http::{log_json, Body, Ctx, Reply, SCIM_JSON};
use crate::edge::queue;
use crate::edge::sessions::SessionsClient;
use crate::edge::store::directory;
use crate::edge::store::ledger::{Event, Origin};
use crate::edge::store::scim as store;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::routes::Op;
use crate::scim::canonical;
use crate::scim::etag::{self, Expect};
use crate::scim::filter::{self, sql::SqlFilter};
use crate::scim::patch::{self, PatchError, PatchErrorKind};
use crate::scim::refusal::{self, Refusal};
use crate::scim::resource::{self, ListQuery, Projection, StoredGroup, StoredUser};
use crate::scim::schema::{self, ResourceType, GROUP_TYPE, USER_TYPE};
use crate::scim::sort::Sort;

/// Every SCIM route starts here.
pub use crate::routes::SCIM_PREFIX as PREFIX;
/// Largest SCIM body: a group push with 10,000 members fits.
const MAX_BODY: usize = 1024 * 1024;

/// The reads that can ride in the SCIM token's D1 batch (`edge::auth::authenticate_scim`), so
/// the commonest provisioning reads cost one round trip: a user by id, and a page of users with
/// no filter or one SQL answers exactly (`userName eq …`). Anything else reads after the check.
pub fn plan(cx: &Ctx, op: Op, param: Option<&str>) -> Option<Prefetch> {
    match op {
        Op::ScimUserGet => param.map(|id| Prefetch::ScimUser(id.to_string())),
        Op::ScimUsersList => {
            let q = ListQuery::from_params(&cx.query).ok()?;
            let filter = match compiled(&USER_TYPE, &q).ok()? {
                None => None,
                Some((_, sql)) if sql.exact => Some(sql),
                Some(_) => return None,
            };
            Some(Prefetch::ScimUserPage { filter, window: window(&USER_TYPE, &q).ok()? })
        }
        _ => None,
    }
}

pub async fn dispatch(
    cx: &mut Ctx,
    op: Op,
    param: Option<String>,
    client: Option<ScimClient>,
    prefetched: Option<Prefetched>,
) -> ApiResult<Reply> {
    let id = || param.clone().ok_or_else(|| ApiError::new(ErrorCode::NotFound));
    let c = || client.clone().ok_or_else(|| ApiError::new(ErrorCode::Unauthorized));
    // Only writes read the body and `If-Match`: reads (the hot path) pay for neither.
    let (body, if_match) = match op {
        Op::ScimUserCreate | Op::ScimGroupCreate => (cx.json_within(MAX_BODY).await?, None),
        Op::ScimUserReplace | Op::ScimUserPatch | Op::ScimGroupReplace | Op::ScimGroupPatch => {
            (cx.json_within(MAX_BODY).await?, cx.header("if-match"))
        }
        Op::ScimUserDelete | Op::ScimGroupDelete => (Value::Null, cx.header("if-match")),
        _ => (Value::Null, None),
    };
    let expected = if_match.as_deref();
    match op {
        Op::ScimServiceProviderConfig => Ok(scim_json(resource::service_provider_config(&base(cx), &docs(cx)))),
        Op::ScimSchemas => Ok(scim_json(resource::discovery_list(resource::schemas(&base(cx))))),
        Op::ScimSchema => schema_one(cx, &id()?),
        Op::ScimResourceTypes => Ok(scim_json(resource::discovery_list(
            schema::RESOURCE_TYPES.iter().map(|rt| schema::resource_type_json(rt, &base(cx))).collect(),
        ))),
        Op::ScimResourceType => resource_type_one(cx, &id()?),
        Op::ScimUsersList => {
            let q = ListQuery::from_params(&cx.query).map_err(invalid_param)?;
            list_users(cx, &c()?, q, prefetched).await
        }
        Op::ScimUsersSearch => {
            let body: Value = cx.json_within(MAX_BODY).await?;
            list_users(cx, &c()?, ListQuery::from_search(&body).map_err(invalid_param)?, None).await
        }
        Op::ScimUserCreate => create_user(cx, &c()?, body).await,
        Op::ScimUserGet => get_user(cx, &c()?, &id()?, prefetched).await,
        Op::ScimUserReplace => change_user(cx, &c()?, (&id()?, Change::Replace), body, expected).await,
        Op::ScimUserPatch => change_user(cx, &c()?, (&id()?, Change::Patch), body, expected).await,
        Op::ScimUserDelete => delete_user(cx, &c()?, &id()?, expected).await,
        Op::ScimGroupsList => {
            let q = ListQuery::from_params(&cx.query).map_err(invalid_param)?;
            list_groups(cx, &c()?, q).await
        }
        Op::ScimGroupsSearch => {
            let body: Value = cx.json_within(MAX_BODY).await?;
            list_groups(cx, &c()?, ListQuery::from_search(&body).map_err(invalid_param)?).await
        }
        Op::ScimGroupCreate => create_group(cx, &c()?, body).await,
        Op::ScimGroupGet => get_group(cx, &c()?, &id()?).await,
        Op::ScimGroupReplace => change_group(cx, &c()?, (&id()?, Change::Replace), body, expected).await,
        Op::ScimGroupPatch => change_group(cx, &c()?, (&id()?, Change::Patch), body, expected).await,
        Op::ScimGroupDelete => delete_group(cx, &c()?, &id()?, expected).await,
        Op::ScimBulk => super::scim_bulk::bulk(cx, &c()?).await,
        Op::ScimRootSearch => {
            c()?;
            Err(ApiError::with_reason(
                ErrorCode::NotImplemented,
                "searching several resource types at once is not supported: POST /Users/.search or /Groups/.search",
            ))
        }
        _ => Err(ApiError::new(ErrorCode::NotFound)),
    }
}

/// Records a refused write as `SCIM_REQUEST_REFUSED` (the edge calls it for the operations
/// `crate::scim::refusal::audited` names: writes only, so an identity provider's polling cannot
/// flood the ledger). A row that cannot be written is logged; the client still gets the refusal
/// it earned.
pub async fn audit_refusal(cx: &Ctx, c: &ScimClient, e: &ApiError) {
    let data = refusal::data(&Refusal {
        method: &cx.method,
        path: &cx.path,
        status: e.status(),
        code: e.code.as_str(),
        reason: e.reason.as_deref(),
    });
    let events = [Event { action: Action::ScimRequestRefused, actor: c.actor(), resource_id: None, data }];
    if let Err(failed) = queue::record(cx, &origin(cx, c), &events, Vec::new()).await {
        log_json(json!({"level": "warn", "msg": "refused SCIM write not audited", "error": failed.body()}));
    }
}

/// The workspace's SCIM endpoint and what it holds: `{"baseUrl", "users", "groups"}`, the
/// counts from one point read of the counters triggers keep (`workspace_counts`).
pub async fn summary(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let counts = store::counts(&cx.db()?, who.workspace_id()).await?;
    Ok(Reply::json(json!({"baseUrl": base(cx), "users": counts.user_count, "groups": counts.group_count})))
}

pub(super) fn base(cx: &Ctx) -> String {
    format!("{}{PREFIX}", cx.origin)
}

fn docs(cx: &Ctx) -> String {
    format!("{}/api/developers/openapi.json", cx.origin)
}

pub(super) fn scim_json(value: Value) -> Reply {
    Reply::json(value).header("content-type", SCIM_JSON)
}

/// A resource answer: `body` (a projection of `full`), `ETag` and, on create, `Location`
/// (RFC 7644 §3.3, §3.14).
fn resource_reply(full: &Value, body: Value, status: u16) -> Reply {
    let etag = full["meta"]["version"].as_str().unwrap_or_default().to_string();
    let location = full["meta"]["location"].as_str().filter(|_| status == 201).map(str::to_string);
    let reply = scim_json(body).status(status).header("etag", etag);
    match location {
        Some(location) => reply.header("location", location),
        None => reply,
    }
}

/// The whole resource as the answer.
fn whole(full: Value, status: u16) -> Reply {
    let mut reply = resource_reply(&full, Value::Null, status);
    reply.body = Body::Json(full);
    reply
}

/// RFC 7644 §3.14 on a read: 304 Not Modified, with the ETag and no body, when
/// `If-None-Match` names the resource's current version (or is `*`).
fn not_modified(cx: &Ctx, version: i64) -> Option<Reply> {
    etag::not_modified(cx.header("if-none-match").as_deref(), &version.to_string())
        .then(|| Reply { status: 304, headers: Vec::new(), body: Body::Empty }.header("etag", etag::of(version)))
}

/// RFC 7644 §3.14 on a write: its expected version (`If-Match`, or a bulk operation's
/// `version`, which means the same) against the stored `version`. `Ok(None)`: unconditional;
/// `Ok(Some(expect))`: it holds, and the write's batch re-checks `expect` ([`record_write`]);
/// else 412 `SCIM_PRECONDITION_FAILED`.
pub fn precondition(expected: Option<&str>, version: i64) -> ApiResult<Option<Expect>> {
    etag::if_match(expected, version).map_err(|e| ApiError::with_reason(ErrorCode::ScimPreconditionFailed, e.0))
}

/// What a conditional write's batch re-checks: the row, and what it must still be.
type Guard<'a> = Option<(store::Table, &'a str, Expect)>;

/// Records a write (`queue::record`: the change, its audit row and webhook outbox rows, one D1
/// batch), led by the precondition guard when the request carried one: a row that another
/// writer changed since this request read it fails the guard, the batch writes nothing, and the
/// answer is 412 `SCIM_PRECONDITION_FAILED`.
async fn record_write(
    cx: &Ctx,
    c: &ScimClient,
    events: &[Event],
    mut changes: Vec<D1PreparedStatement>,
    guard: Guard<'_>,
) -> ApiResult<()> {
    if let Some((table, id, expect)) = guard {
        changes.insert(0, store::precondition_guard(&cx.db()?, table, &c.workspace_id, id, expect)?);
    }
    queue::record(cx, &origin(cx, c), events, changes).await.map_err(|e| {
        let failed =
            e.code == ErrorCode::InternalError && e.reason.as_deref().is_some_and(|r| r.contains(db::GUARD_FAILED));
        match (guard, failed) {
            (Some(_), true) => ApiError::with_reason(
                ErrorCode::ScimPreconditionFailed,
                "the resource changed while this request ran; nothing was written",
            ),
            _ => e,
        }
    })
}

fn invalid_param(e: resource::ParamError) -> ApiError {
    ApiError::with_reason(ErrorCode::ScimInvalidValue, e.0)
}

fn patch_error(e: PatchError) -> ApiError {
    let code = match e.kind {
        PatchErrorKind::InvalidSyntax => ErrorCode::ScimInvalidSyntax,
        PatchErrorKind::InvalidPath => ErrorCode::ScimInvalidPath,
        PatchErrorKind::NoTarget => ErrorCode::ScimNoTarget,
        PatchErrorKind::InvalidValue => ErrorCode::ScimInvalidValue,
        PatchErrorKind::Mutability => ErrorCode::MutabilityViolation,
        PatchErrorKind::InvalidFilter => ErrorCode::InvalidFilter,
    };
    ApiError::with_reason(code, e.detail)
}

fn schema_one(cx: &Ctx, id: &str) -> ApiResult<Reply> {
    let found = schema::SCHEMAS.iter().find(|s| s.id.eq_ignore_ascii_case(id));
    let s = found.ok_or_else(|| ApiError::with_reason(ErrorCode::NotFound, format!("no schema {id:?}")))?;
    Ok(scim_json(schema::schema_json(s, &base(cx))))
}

fn resource_type_one(cx: &Ctx, id: &str) -> ApiResult<Reply> {
    let found = schema::RESOURCE_TYPES.iter().find(|rt| rt.id.eq_ignore_ascii_case(id));
    let rt = found.ok_or_else(|| ApiError::with_reason(ErrorCode::NotFound, format!("no resource type {id:?}")))?;
    Ok(scim_json(schema::resource_type_json(rt, &base(cx))))
}

fn origin<'a>(cx: &'a Ctx, c: &'a ScimClient) -> Origin<'a> {
    Origin { workspace_id: &c.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms }
}

fn event(c: &ScimClient, action: Action, resource_id: &str, data: Value) -> Event {
    Event { action, actor: c.actor(), resource_id: Some(resource_id.to_string()), data }
}

/// A filter parsed, type-checked and compiled; `None` without a filter.
fn compiled(rt: &'static ResourceType, q: &ListQuery) -> ApiResult<Option<(filter::Filter, SqlFilter)>> {
    let Some(text) = q.filter.as_deref() else { return Ok(None) };
    let parsed = filter::parse(text, rt).map_err(|e| ApiError::with_reason(ErrorCode::InvalidFilter, e.to_string()))?;
    let sql = filter::sql::compile(&parsed, rt, 2);
    Ok(Some((parsed, sql)))
}

/// The order a list asked for (`sortBy`, `sortOrder`), for `rt`'s resources.
fn sort(rt: &ResourceType, q: &ListQuery) -> ApiResult<Sort> {
    Sort::parse(rt, q.sort_by.as_deref(), q.sort_order.as_deref()).map_err(invalid_param)
}

/// The page a list asked for.
fn window(rt: &ResourceType, q: &ListQuery) -> ApiResult<store::Window> {
    Ok(store::Window { sort: sort(rt, q)?, offset: q.offset(), limit: q.count })
}

/// The page of a list: (total, page) where the page starts at `start_index` (1-based). The
/// offset saturates on 32-bit `usize` (wasm32) rather than wrapping to an earlier page.
fn page<T>(all: Vec<T>, q: &ListQuery) -> (u64, Vec<T>) {
    let total = all.len() as u64;
    let skip = usize::try_from(q.offset()).unwrap_or(usize::MAX);
    let page = all.into_iter().skip(skip).take(usize::try_from(q.count).unwrap_or(usize::MAX)).collect();
    (total, page)
}

async fn list_users(cx: &Ctx, c: &ScimClient, q: ListQuery, prefetched: Option<Prefetched>) -> ApiResult<Reply> {
    let projection = Projection::parse(&USER_TYPE, q.attributes.as_deref(), q.excluded_attributes.as_deref())
        .map_err(invalid_param)?;
    let window = window(&USER_TYPE, &q)?;
    let db = cx.db()?;
    let base = base(cx);
    let ws = c.workspace_id.as_str();
    let read = match prefetched {
        Some((Prefetch::ScimUserPage { filter, window }, results)) => {
            // The prefetched statements were scoped by the token's hash: their list's name.
            Some((filter.is_some(), store::decode_users(&results, filter.is_some(), &window, &c.token_hash)?))
        }
        _ => None,
    };
    let (total, users) = match (compiled(&USER_TYPE, &q)?, read) {
        (sql, Some((filtered, page))) => page_total(&db, ws, sql.map(|(_, s)| s).as_ref(), &q, page, filtered).await?,
        (sql, None) => read_users(&cx.lagging_db()?, ws, sql, (&q, &window), &base).await?,
    };
    let resources =
        users.into_iter().map(|u| projection.apply(&USER_TYPE, resource::into_user_resource(u, &base))).collect();
    Ok(scim_json(resource::list_response(resources, total, q.start_index)))
}

/// Reads a list of users after the token check: by SQL when it answers the filter exactly,
/// else by scanning the filter's candidates in memory.
async fn read_users(
    db: &Db,
    ws: &str,
    compiled: Option<(filter::Filter, SqlFilter)>,
    (q, window): (&ListQuery, &store::Window),
    base: &str,
) -> ApiResult<(u64, Vec<StoredUser>)> {
    Ok(match compiled {
        None => fetch_user_page(db, ws, None, q, window).await?,
        Some((_, sql)) if sql.exact => fetch_user_page(db, ws, Some(&sql), q, window).await?,
        Some((parsed, sql)) => {
            scan_guard(store::count_users(db, ws, Some(&sql)).await?)?;
            let (candidates, _) = store::users(db, ws, Some(&sql), &store::Window::scan(window.sort)).await?;
            let matching: Vec<StoredUser> = candidates
                .into_iter()
                .filter(|u| filter::eval::matches(&parsed, &resource::user_resource(u, base)))
                .collect();
            page(matching, q)
        }
    })
}

fn scan_guard(candidates: u64) -> ApiResult<()> {
    if candidates > store::MAX_SCAN {
        return Err(ApiError::with_reason(
            ErrorCode::ScimTooMany,
            format!("{candidates} candidates to check in memory, at most {}", store::MAX_SCAN),
        ));
    }
    Ok(())
}

async fn fetch_user_page(
    db: &Db,
    ws: &str,
    sql: Option<&SqlFilter>,
    q: &ListQuery,
    window: &store::Window,
) -> ApiResult<(u64, Vec<StoredUser>)> {
    let page = store::users(db, ws, sql, window).await?;
    page_total(db, ws, sql, q, page, sql.is_some()).await
}

/// A page and its total; a filtered page that came back empty past the first page counts the
/// matches separately (the window count rides on the rows).
async fn page_total(
    db: &Db,
    ws: &str,
    sql: Option<&SqlFilter>,
    q: &ListQuery,
    (users, total): (Vec<StoredUser>, Option<u64>),
    filtered: bool,
) -> ApiResult<(u64, Vec<StoredUser>)> {
    let total = match total {
        Some(n) => n,
        None if filtered && q.start_index == 1 && q.count > 0 => 0,
        None => store::count_users(db, ws, sql).await?,
    };
    Ok((total, users))
}

pub(super) async fn stored_user(cx: &Ctx, c: &ScimClient, id: &str) -> ApiResult<StoredUser> {
    let db = cx.db()?;
    store::user(&db, &c.workspace_id, id).await?.ok_or_else(|| user_not_found(id))
}

fn user_not_found(id: &str) -> ApiError {
    ApiError::with_reason(ErrorCode::UserNotFound, format!("no user {id:?} in this workspace"))
}

async fn get_user(cx: &Ctx, c: &ScimClient, id: &str, prefetched: Option<Prefetched>) -> ApiResult<Reply> {
    let user = match prefetched {
        Some((Prefetch::ScimUser(_), results)) => {
            let read = results.first().ok_or_else(|| crate::edge::http::fault("SCIM user", "no prefetched result"))?;
            store::decode_user(read)?.ok_or_else(|| user_not_found(id))?
        }
        _ => stored_user(cx, c, id).await?,
    };
    if let Some(reply) = not_modified(cx, user.version) {
        return Ok(reply);
    }
    let full = resource::user_resource(&user, &base(cx));
    Ok(resource_reply(&full, projection_of(cx, &USER_TYPE)?.apply(&USER_TYPE, full.clone()), 200))
}

fn projection_of(cx: &Ctx, rt: &ResourceType) -> ApiResult<Projection> {
    let q = ListQuery::from_params(&cx.query).map_err(invalid_param)?;
    Projection::parse(rt, q.attributes.as_deref(), q.excluded_attributes.as_deref()).map_err(invalid_param)
}

/// Canonical form of a POST/PUT body, validated.
fn canonical_body(body: &Value, rt: &'static ResourceType) -> ApiResult<Value> {
    if !body.is_object() {
        return Err(ApiError::with_reason(ErrorCode::ScimInvalidSyntax, "a resource object is expected"));
    }
    let resource = canonical::canonicalize(body, rt).map_err(patch_error)?;
    canonical::validate(&resource, rt).map_err(patch_error)?;
    Ok(resource)
}

/// A password from SCIM, checked against the policy and hashed.
async fn password_hash(columns: &resource::UserColumns) -> ApiResult<Option<String>> {
    let Some(pw) = columns.password.as_deref() else { return Ok(None) };
    crate::session::password::check_policy(pw)
        .map_err(|e| ApiError::with_reason(ErrorCode::ScimInvalidValue, format!("password: {e}")))?;
    Ok(Some(hash_password(pw).await?))
}

/// The password of a new user: as [`password_hash`], except that one the policy refuses is
/// left out (the user is created without a password: SSO, or a reset, signs them in) rather
/// than refusing the user. Okta sends a random placeholder of 8 characters with every create,
/// "even if password sync isn't enabled" (Okta's SCIM 2.0 reference); a real password change
/// (PUT, PATCH) is still refused when too weak.
async fn initial_password_hash(columns: &resource::UserColumns) -> ApiResult<Option<String>> {
    match columns.password.as_deref().map(crate::session::password::check_policy) {
        Some(Err(_)) => Ok(None),
        _ => password_hash(columns).await,
    }
}

/// A unique-constraint conflict on a user, named for the client.
fn user_conflict(err: ApiError) -> ApiError {
    if err.code != ErrorCode::Conflict {
        return err;
    }
    let reason = err.reason.unwrap_or_default();
    let what = if reason.contains("user_name") {
        "userName is already taken in this workspace"
    } else if reason.contains("email") {
        "the sign-in email (primary email) belongs to another user of this workspace"
    } else {
        "a unique value is already taken"
    };
    ApiError::with_reason(ErrorCode::ScimUniqueness, what)
}

/// RFC 7644 §3.3, made idempotent on (workspace, userName): an existing user answers 200.
pub(super) async fn create_user(cx: &Ctx, c: &ScimClient, body: Value) -> ApiResult<Reply> {
    let resource = canonical_body(&body, &USER_TYPE)?;
    let columns = resource::user_columns(&resource);
    let db = cx.db()?;
    let base = base(cx);
    if let Some(existing) = store::user_by_name(&db, &c.workspace_id, &columns.user_name).await? {
        return Ok(whole(resource::user_resource(&existing, &base), 200));
    }
    let id = new_id("u_")?;
    let hash = initial_password_hash(&columns).await?;
    let write = store::UserWrite {
        workspace_id: &c.workspace_id,
        id: &id,
        columns: &columns,
        password_hash: hash.as_deref(),
        now: cx.now_ms,
    };
    directory::index_emails(&cx.directory()?, &c.workspace_id, &[&columns.sign_in_email]).await?;
    let data = json!({
        "userName": columns.user_name,
        "externalId": columns.external_id,
        "active": columns.active,
        "passwordSet": hash.is_some(),
    });
    let events = [event(c, Action::ScimUserProvisioned, &id, data)];
    match queue::record(cx, &origin(cx, c), &events, store::insert_user(&db, &write)?).await {
        Ok(()) => {}
        Err(e) if e.reason.as_deref().is_some_and(|r| r.contains("user_name")) => {
            // A concurrent create of the same userName won: answer with it, idempotently.
            let existing = store::user_by_name(&db, &c.workspace_id, &columns.user_name).await?;
            return existing.map(|u| whole(resource::user_resource(&u, &base), 200)).ok_or(user_conflict(e));
        }
        Err(e) => return Err(user_conflict(e)),
    }
    let user = store::user(&db, &c.workspace_id, &id).await?.ok_or_else(|| user_not_found(&id))?;
    Ok(whole(resource::user_resource(&user, &base), 201))
}

/// Stores `next` over `before`: audit, and on deactivation revoke sessions and tokens. A write
/// that changes nothing (`resource::unchanged`) is not made: `before` is the answer. `expect`:
/// the precondition the write's batch re-checks.
async fn save_user(
    cx: &Ctx,
    c: &ScimClient,
    before: &StoredUser,
    next: &Value,
    expect: Option<Expect>,
) -> ApiResult<Reply> {
    let current = resource::user_resource(before, &base(cx));
    if resource::unchanged(&current, next) {
        return Ok(whole(current, 200));
    }
    let columns = resource::user_columns(next);
    let hash = password_hash(&columns).await?;
    let db = cx.db()?;
    let write = store::UserWrite {
        workspace_id: &c.workspace_id,
        id: &before.id,
        columns: &columns,
        password_hash: hash.as_deref(),
        now: cx.now_ms,
    };
    let email_moved = columns.sign_in_email != before.email;
    if email_moved {
        directory::index_emails(&cx.directory()?, &c.workspace_id, &[&columns.sign_in_email]).await?;
    }
    let mut changes = store::update_user(&db, &write)?;
    let (action, revoke) = match (before.active, columns.active) {
        (true, false) => (Action::ScimUserDeactivated, true),
        (false, true) => (Action::ScimUserReactivated, false),
        _ => (Action::ScimUserUpdated, false),
    };
    if revoke {
        changes.push(store::revoke_pats(&db, &c.workspace_id, &before.id, cx.now_ms)?);
    }
    let data = json!({"userName": columns.user_name, "passwordChanged": hash.is_some(), "version": before.version + 1});
    let events = [event(c, action, &before.id, data)];
    let guard = expect.map(|e| (store::Table::Users, before.id.as_str(), e));
    record_write(cx, c, &events, changes, guard).await.map_err(user_conflict)?;
    if email_moved {
        directory::unindex_email(&cx.directory()?, &c.workspace_id, &before.email).await?;
    }
    if revoke || hash.is_some() {
        SessionsClient::new(&cx.env, &c.workspace_id, &before.id)?.revoke_except(None, cx.now_ms).await?;
    }
    let user = store::user(&db, &c.workspace_id, &before.id).await?.ok_or_else(|| user_not_found(&before.id))?;
    Ok(whole(resource::user_resource(&user, &base(cx)), 200))
}

/// How a PUT or a PATCH body makes the next resource from the stored one.
#[derive(Debug, Clone, Copy)]
pub(super) enum Change {
    /// RFC 7644 §3.5.1: the body replaces every attribute the client may write.
    Replace,
    /// RFC 7644 §3.5.2: all operations or none.
    Patch,
}

impl Change {
    fn next(self, current: &Value, body: &Value, rt: &'static ResourceType) -> ApiResult<Value> {
        match self {
            Self::Replace => canonical_body(body, rt),
            Self::Patch => patch::apply(current, body, rt).map_err(patch_error),
        }
    }
}

/// PUT or PATCH of a user. `expected`: the `If-Match` value, or a Bulk operation's `version`
/// (§3.14, §3.7).
pub(super) async fn change_user(
    cx: &Ctx,
    c: &ScimClient,
    (id, change): (&str, Change),
    body: Value,
    expected: Option<&str>,
) -> ApiResult<Reply> {
    let before = stored_user(cx, c, id).await?;
    let expect = precondition(expected, before.version)?;
    let next = change.next(&resource::user_resource(&before, &base(cx)), &body, &USER_TYPE)?;
    save_user(cx, c, &before, &next, expect).await
}

/// RFC 7644 §3.6. `expected`: as for [`change_user`].
pub(super) async fn delete_user(cx: &Ctx, c: &ScimClient, id: &str, expected: Option<&str>) -> ApiResult<Reply> {
    let user = stored_user(cx, c, id).await?;
    let expect = precondition(expected, user.version)?;
    let db = cx.db()?;
    let events = [event(c, Action::ScimUserDeleted, &user.id, json!({"userName": user.user_name}))];
    let guard = expect.map(|e| (store::Table::Users, user.id.as_str(), e));
    record_write(cx, c, &events, store::delete_user(&db, &c.workspace_id, &user.id)?, guard).await?;
    // After the write, so a refused precondition revokes nothing; a session that outlives its
    // user for that moment is refused like any session whose user is gone.
    SessionsClient::new(&cx.env, &c.workspace_id, &user.id)?.revoke_except(None, cx.now_ms).await?;
    directory::unindex_email(&cx.directory()?, &c.workspace_id, &user.email).await?;
    Ok(Reply { status: 204, headers: Vec::new(), body: Body::Empty })
}

async fn list_groups(cx: &Ctx, c: &ScimClient, q: ListQuery) -> ApiResult<Reply> {
    let projection = Projection::parse(&GROUP_TYPE, q.attributes.as_deref(), q.excluded_attributes.as_deref())
        .map_err(invalid_param)?;
    let members = projection.returns(&GROUP_TYPE, "members");
    let window = window(&GROUP_TYPE, &q)?;
    // An unfiltered list may lag (a replica); a filter is an IdP's existence check: primary.
    let db = if q.filter.is_none() { cx.lagging_db()? } else { cx.db()? };
    let base = base(cx);
    let ws = c.workspace_id.as_str();
    let (total, groups) = match compiled(&GROUP_TYPE, &q)? {
        None => fetch_group_page(&db, ws, None, &window, members).await?,
        Some((_, sql)) if sql.exact => fetch_group_page(&db, ws, Some(&sql), &window, members).await?,
        Some((parsed, sql)) => {
            scan_guard(store::count_groups(&db, ws, Some(&sql)).await?)?;
            let candidates = store::groups(&db, ws, Some(&sql), &store::Window::scan(window.sort), true).await?;
            let matching: Vec<StoredGroup> = candidates
                .into_iter()
                .filter(|g| filter::eval::matches(&parsed, &resource::group_resource(g, &base)))
                .collect();
            page(matching, &q)
        }
    };
    let resources = groups.iter().map(|g| projection.apply(&GROUP_TYPE, resource::group_resource(g, &base))).collect();
    Ok(scim_json(resource::list_response(resources, total, q.start_index)))
}

async fn fetch_group_page(
    db: &Db,
    ws: &str,
    sql: Option<&SqlFilter>,
    window: &store::Window,
    members: bool,
) -> ApiResult<(u64, Vec<StoredGroup>)> {
    let (total, groups) =
        futures_util::join!(store::count_groups(db, ws, sql), store::groups(db, ws, sql, window, members));
    Ok((total?, groups?))
}

pub(super) async fn stored_group(cx: &Ctx, c: &ScimClient, id: &str) -> ApiResult<StoredGroup> {
    let db = cx.db()?;
    store::group(&db, &c.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::with_reason(ErrorCode::GroupNotFound, format!("no group {id:?} in this workspace")))
}

async fn get_group(cx: &Ctx, c: &ScimClient, id: &str) -> ApiResult<Reply> {
    let group = stored_group(cx, c, id).await?;
    if let Some(reply) = not_modified(cx, group.version) {
        return Ok(reply);
    }
    let projection = projection_of(cx, &GROUP_TYPE)?;
    let full = resource::group_resource(&group, &base(cx));
    Ok(resource_reply(&full, projection.apply(&GROUP_TYPE, full.clone()), 200))
}

/// The member ids a group resource lists that are users of the workspace, and the others,
/// which are left out (an identity provider may push a group before all its members, and a
/// strict refusal would block the whole group's sync): they are named in the audit row.
async fn member_ids(cx: &Ctx, c: &ScimClient, group: &Value) -> ApiResult<(Vec<String>, Vec<String>)> {
    let mut ids: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|e| e.get("value").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok((ids, Vec::new()));
    }
    let db = cx.db()?;
    let known = store::existing_users(&db, &c.workspace_id, &ids).await?;
    Ok(ids.into_iter().partition(|id| known.contains(id)))
}

/// Ids for an audit row: at most 20.
fn some(ids: &[String]) -> Value {
    json!(ids.iter().take(20).collect::<Vec<_>>())
}

fn group_conflict(err: ApiError) -> ApiError {
    if err.code == ErrorCode::Conflict {
        ApiError::with_reason(ErrorCode::ScimUniqueness, "displayName is already taken by another group")
    } else {
        err
    }
}

pub(super) async fn create_group(cx: &Ctx, c: &ScimClient, body: Value) -> ApiResult<Reply> {
    let resource = canonical_body(&body, &GROUP_TYPE)?;
    let (members, ignored) = member_ids(cx, c, &resource).await?;
    let id = new_id("g_")?;
    let display_name = resource["displayName"].as_str().unwrap_or_default();
    let write = store::GroupWrite {
        workspace_id: &c.workspace_id,
        id: &id,
        display_name,
        external_id: resource["externalId"].as_str(),
        added: &members,
        removed: &[],
        now: cx.now_ms,
    };
    let db = cx.db()?;
    let data = json!({"displayName": display_name, "members": members.len(), "membersIgnored": some(&ignored)});
    let events = [event(c, Action::ScimGroupCreated, &id, data)];
    queue::record(cx, &origin(cx, c), &events, store::insert_group(&db, &write)?).await.map_err(group_conflict)?;
    let group = stored_group(cx, c, &id).await?;
    Ok(whole(resource::group_resource(&group, &base(cx)), 201))
}

/// Stores `next` over `before` with its audit row; a write that changes nothing
/// (`resource::group_change`, e.g. an add of members already there, or only of ids that are
/// not users here) is not made: `before` is the answer. `expect`: the precondition the write's
/// batch re-checks.
async fn save_group(
    cx: &Ctx,
    c: &ScimClient,
    before: &StoredGroup,
    next: &Value,
    expect: Option<Expect>,
) -> ApiResult<Reply> {
    let (members, ignored) = member_ids(cx, c, next).await?;
    let Some(change) = resource::group_change(before, next, &members) else {
        return Ok(whole(resource::group_resource(before, &base(cx)), 200));
    };
    let write = store::GroupWrite {
        workspace_id: &c.workspace_id,
        id: &before.id,
        display_name: &change.display_name,
        external_id: change.external_id.as_deref(),
        added: &change.added,
        removed: &change.removed,
        now: cx.now_ms,
    };
    let db = cx.db()?;
    let data = json!({
        "displayName": change.display_name,
        "membersAdded": change.added.len(),
        "membersRemoved": change.removed.len(),
        "membersIgnored": some(&ignored),
    });
    let events = [event(c, Action::ScimGroupUpdated, &before.id, data)];
    let guard = expect.map(|e| (store::Table::Groups, before.id.as_str(), e));
    record_write(cx, c, &events, store::update_group(&db, &write)?, guard).await.map_err(group_conflict)?;
    let group = stored_group(cx, c, &before.id).await?;
    Ok(whole(resource::group_resource(&group, &base(cx)), 200))
}

/// PUT or PATCH of a group. `expected`: as for [`change_user`].
pub(super) async fn change_group(
    cx: &Ctx,
    c: &ScimClient,
    (id, change): (&str, Change),
    body: Value,
    expected: Option<&str>,
) -> ApiResult<Reply> {
    let before = stored_group(cx, c, id).await?;
    let expect = precondition(expected, before.version)?;
    let next = change.next(&resource::group_resource(&before, &base(cx)), &body, &GROUP_TYPE)?;
    save_group(cx, c, &before, &next, expect).await
}

/// RFC 7644 §3.6. `expected`: as for [`change_user`].
pub(super) async fn delete_group(cx: &Ctx, c: &ScimClient, id: &str, expected: Option<&str>) -> ApiResult<Reply> {
    let group = stored_group(cx, c, id).await?;
    let expect = precondition(expected, group.version)?;
    let db = cx.db()?;
    let events = [event(c, Action::ScimGroupDeleted, &group.id, json!({"displayName": group.display_name}))];
    let guard = expect.map(|e| (store::Table::Groups, group.id.as_str(), e));
    record_write(cx, c, &events, vec![store::delete_group(&db, &c.workspace_id, &group.id)?], guard).await?;
    Ok(Reply { status: 204, headers: Vec::new(), body: Body::Empty })
}
