//! Who is calling: the Auth.js session cookie (checked against the user's session object) or
//! a personal access token, resolved to a `Principal`, plus the route's access rule and a
//! same-origin check for cookie-authenticated writes (CSRF).

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::json;
use worker::{D1PreparedStatement, D1Result};

use crate::edge::config::auth_secret;

use crate::edge::db::{Db, Guard};
use crate::edge::forwarding::{self, Probe};
use crate::edge::http::{fault, log_json, Ctx};
use crate::edge::sessions::SessionsClient;
use crate::edge::store::ledger::{Actor, Origin};
use crate::edge::store::users::{self, UserRow};
use crate::edge::store::{directory, tokens};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::routes::{Access, Op, Route};
use crate::session::csrf;
use crate::session::{jwe, tokens as token_format};
use crate::tenancy::{Shard, WorkspaceRef};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Cookie { sid: String },
    Pat { token_id: String },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user: users::UserRow,
    pub via: Via,
    /// The session may only enrol a second factor (see `Op::allowed_while_enrolling`).
    pub restricted: bool,
}

impl Principal {
    pub fn workspace_id(&self) -> &str {
        &self.user.workspace_id
    }

    /// Where this principal's audit events come from: their workspace, the request's address
    /// and time.
    pub fn origin<'a>(&'a self, cx: &'a Ctx) -> Origin<'a> {
        Origin { workspace_id: self.workspace_id(), ip: cx.client_ip.as_deref(), now_ms: cx.now_ms }
    }

    pub fn session_id(&self) -> Option<&str> {
        match &self.via {
            Via::Cookie { sid } => Some(sid),
            Via::Pat { .. } => None,
        }
    }

    pub fn actor(&self) -> Actor {
        let kind = match self.via {
            Via::Cookie { .. } => "user",
            Via::Pat { .. } => "pat",
        };
        Actor { kind, id: Some(self.user.id.clone()) }
    }
}

/// The cookie Auth.js uses on this scheme (`__Secure-` prefix on https).
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Secure-authjs.session-token"
    } else {
        "authjs.session-token"
    }
}

/// Reads a handler wants in the same D1 batch as the credential check: statements on the
/// credential's shard, scoped to the workspace the credential names ([`WorkspaceRef`]).
pub type Plan<'p> = &'p dyn Fn(&Db, WorkspaceRef<'_>) -> ApiResult<Vec<D1PreparedStatement>>;

/// How long an isolate may serve a principal it read before reading it again.
const CACHE_MS: i64 = 30_000;
/// Most principals an isolate keeps.
const CACHE_MAX: usize = 10_000;

/// A principal this isolate read: the user row (with its fingerprint) and its shard.
struct Cached {
    user: UserRow,
    shard: Shard,
    until: i64,
}

thread_local! {
    /// Principals by `pat:<token hash>` or `sid:<session id>`. A request served from here runs
    /// `users::guard` in its first primary round trip instead of reading the user: one round
    /// trip saved, and nothing is answered or written unless the guard passes in the same D1
    /// transaction (`edge::guard_held`).
    static PRINCIPALS: RefCell<HashMap<String, Cached>> = RefCell::new(HashMap::new());
}

fn cached(key: &str, now: i64) -> Option<(UserRow, Shard)> {
    PRINCIPALS.with(|c| c.borrow().get(key).filter(|e| e.until > now).map(|e| (e.user.clone(), e.shard)))
}

fn remember(key: String, user: &UserRow, shard: Shard, now: i64) {
    PRINCIPALS.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, e| e.until > now);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(key, Cached { user: user.clone(), shard, until: now + CACHE_MS });
    });
}

/// Drops every cached principal (a guard found one changed).
pub fn forget_principals() {
    PRINCIPALS.with(|c| c.borrow_mut().clear());
}

/// Whether a request may run on a cached principal: reads, and the writes whose first effect
/// is their D1 batch (so a failed guard leaves nothing half done). Other writes read the
/// principal first, as they always did.
fn may_use_cache(cx: &Ctx, route: &Route) -> bool {
    matches!(cx.method.as_str(), "GET" | "HEAD") || route.op == Op::WorkspaceUpdate
}

/// Authenticates the request for a route's access rule (`None` for public routes), in one D1
/// round trip that also runs `plan`'s reads; their results come back once the credential,
/// the standing and the role have passed. A principal this isolate read in the last
/// [`CACHE_MS`] is used without reading it again (see [`PRINCIPALS`]).
/// `cached: false` reads the principal afresh (the run after a failed guard).
pub async fn authenticate(
    cx: &Ctx,
    route: &Route,
    plan: Plan<'_>,
    cached: bool,
) -> ApiResult<(Option<Principal>, Vec<D1Result>)> {
    let use_cache = cached && may_use_cache(cx, route);
    let access = route.access;
    if access == Access::Public {
        return Ok((None, Vec::new()));
    }
    let (principal, read) = match bearer(cx) {
        Some(_) if matches!(access, Access::Session | Access::AdminSession) => {
            return Err(ApiError::with_reason(
                ErrorCode::Unauthorized,
                "this endpoint needs a browser session, not a bearer token",
            ));
        }
        Some(token) => by_token(cx, &token, plan, use_cache).await?,
        None => by_cookie(cx, plan, use_cache).await?,
    };
    if principal.restricted && !route.op.allowed_while_enrolling() {
        return Err(ApiError::with_reason(
            ErrorCode::MfaRequired,
            "this session can only enrol a second factor at /portal/security",
        ));
    }
    if matches!(access, Access::Admin | Access::AdminSession) && !principal.user.is_admin() {
        return Err(ApiError::with_reason(ErrorCode::Forbidden, "workspace owner or admin role required"));
    }
    Ok((Some(principal), read))
}

fn bearer(cx: &Ctx) -> Option<String> {
    let header = cx.header("authorization")?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// Runs the plan's statements on the tenant's primary, behind the pending guard.
async fn run_plan(cx: &Ctx, plan: Plan<'_>, workspace_id: &str) -> ApiResult<Vec<D1Result>> {
    let db = cx.db()?;
    let statements = plan(&db, WorkspaceRef::Id(workspace_id))?;
    if statements.is_empty() {
        return Ok(Vec::new()); // the guard waits for the handler's first round trip
    }
    db.batch(statements).await.map_err(|e| fault("authentication", e))
}

/// A principal from the isolate's cache: the guard is armed to lead the first round trip.
fn arm_guard(cx: &Ctx, user: &UserRow, shard: Shard, pat_id: Option<&str>) -> ApiResult<()> {
    cx.enter(shard);
    let check = users::guard(&cx.db()?, user, pat_id, cx.now_ms)?;
    *cx.guard.borrow_mut() = Guard::Pending(check);
    Ok(())
}

async fn by_token(cx: &Ctx, token: &str, plan: Plan<'_>, use_cache: bool) -> ApiResult<(Principal, Vec<D1Result>)> {
    let invalid = || ApiError::with_reason(ErrorCode::Unauthorized, "invalid bearer token");
    let (kind, id) = token_format::parse(token).map_err(|_| invalid())?;
    if kind != token_format::TokenKind::Pat {
        return Err(ApiError::with_reason(ErrorCode::Unauthorized, "SCIM tokens are accepted only under /api/scim/v2"));
    }
    let hash = token_format::hash(token);
    let key = format!("pat:{hash}");
    if let Some((user, shard)) = cached(&key, cx.now_ms).filter(|_| use_cache) {
        arm_guard(cx, &user, shard, Some(id))?;
        let read = run_plan(cx, plan, &user.workspace_id).await?;
        return Ok((Principal { user, via: Via::Pat { token_id: id.to_string() }, restricted: false }, read));
    }
    let (shard, db) = credential_shard(cx, id).ok_or_else(invalid)?;
    let scope = WorkspaceRef::OfToken { kind: token_format::TokenKind::Pat, hash: &hash };
    let lookup = |db: &Db| tokens::pat_with_owner(db, id);
    let (shard, first, read) = forwarding::with_plan(cx, shard, &db, &lookup, Probe::Token(id), plan, scope).await?;
    let row = tokens::decode_pat(&first)?.ok_or_else(invalid)?;
    if !token_format::matches(token, &row.token_hash) {
        return Err(invalid());
    }
    if row.token_revoked_at.is_some() {
        return Err(ErrorCode::TokenRevoked.into());
    }
    if row.token_expires_at.is_some_and(|t| t <= cx.now_ms) {
        return Err(ErrorCode::TokenExpired.into());
    }
    check_standing(&row.user)?;
    cx.enter(shard);
    remember(key, &row.user, shard, cx.now_ms);
    touch_later(cx, &row.token_id, row.token_last_used_at);
    Ok((Principal { user: row.user, via: Via::Pat { token_id: row.token_id }, restricted: false }, read))
}

/// The shard a token id names and its database; `None` when that shard is not bound.
fn credential_shard(cx: &Ctx, token_id: &str) -> Option<(Shard, Db)> {
    let shard = Shard::of_tagged(token_id)?;
    cx.shard_db(shard).map(|db| (shard, db))
}

/// Refreshes a token's `last_used_at` after the response (at most every
/// [`tokens::TOUCH_EVERY_MS`]), so no request waits for the write.
fn touch_later(cx: &Ctx, token_id: &str, last_used_at: Option<i64>) {
    if last_used_at.is_some_and(|t| cx.now_ms - t < tokens::TOUCH_EVERY_MS) {
        return;
    }
    let (db, id, now) = (cx.background_db(), token_id.to_string(), cx.now_ms);
    cx.wctx.wait_until(async move {
        let touched = match db {
            Ok(db) => tokens::touch(&db, &id, now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = touched {
            log_json(json!({"level": "warn", "msg": "token last-used refresh failed", "error": e.body()}));
        }
    });
}

async fn by_cookie(cx: &Ctx, plan: Plan<'_>, use_cache: bool) -> ApiResult<(Principal, Vec<D1Result>)> {
    let name = cookie_name(cx.https);
    let cookie = cx.cookie(name).ok_or_else(|| ApiError::with_reason(ErrorCode::Unauthorized, "no session cookie"))?;
    let claims =
        jwe::open_session(&cookie, auth_secret(&cx.env)?.as_bytes(), name, cx.now_ms / 1000).map_err(|e| match e {
            jwe::JweError::Expired { .. } => ApiError::new(ErrorCode::SessionExpired),
            other => ApiError::with_reason(ErrorCode::Unauthorized, format!("session cookie rejected: {other}")),
        })?;
    cookie_write_allowed(cx)?;
    let sessions = SessionsClient::new(&cx.env, &claims.wid, &claims.sub)?;
    let key = format!("sid:{}", claims.sid);
    if let Some((user, shard)) = cached(&key, cx.now_ms).filter(|_| use_cache) {
        arm_guard(cx, &user, shard, None)?;
        let (check, read) =
            futures_util::join!(sessions.check(&claims.sid, cx.now_ms), run_plan(cx, plan, &claims.wid));
        let check = check?;
        if let Some(err) = check.state.error() {
            return Err(err);
        }
        let restricted = check.record.is_some_and(|r| r.restricted);
        return Ok((Principal { user, via: Via::Cookie { sid: claims.sid }, restricted }, read?));
    }
    let unknown = || ApiError::with_reason(ErrorCode::Unauthorized, "unknown user");
    let named = match claims.shd {
        Some(shard) => shard,
        // A cookie the dashboard sealed without the shard: the directory knows it.
        None => directory::workspace(&cx.directory()?, &claims.wid).await?.map(|p| p.shard).ok_or_else(unknown)?,
    };
    let db = cx.shard_db(named).ok_or_else(unknown)?;
    let lookup = |db: &Db| users::get_stmt(db, &claims.wid, &claims.sub);
    let probe = Probe::Workspace(&claims.wid);
    let user_read = forwarding::with_plan(cx, named, &db, &lookup, probe, plan, WorkspaceRef::Id(&claims.wid));
    let (check, user_read) = futures_util::join!(sessions.check(&claims.sid, cx.now_ms), user_read);
    let check = check?;
    if let Some(err) = check.state.error() {
        return Err(err);
    }
    let restricted = check.record.is_some_and(|r| r.restricted);
    let (shard, first, read) = user_read?;
    let user = users::decode(&first)?.ok_or_else(unknown)?;
    check_standing(&user)?;
    cx.enter(shard);
    remember(key, &user, shard, cx.now_ms);
    Ok((Principal { user, via: Via::Cookie { sid: claims.sid }, restricted }, read))
}

/// A signed-in identity stops working the moment its account or workspace does.
fn check_standing(user: &users::UserRow) -> ApiResult<()> {
    if user.ws_status != "active" {
        return Err(ErrorCode::WorkspaceInactive.into());
    }
    if user.status != "active" {
        return Err(ErrorCode::AccountDisabled.into());
    }
    Ok(())
}

/// The header a server-side caller that forwards the session cookie sends on writes. Browsers
/// cannot add a custom header to a cross-site request without a CORS preflight, which this API
/// never grants, so its presence shows the request was not forged by another site.
pub const REQUEST_HEADER: &str = "x-axissynapse-request";

/// A write that may carry a cookie but is not authenticated by one (sign-in, second factor,
/// invitation acceptance): refused when the browser says it is cross-site or names another
/// origin. Programmatic clients that send neither header pass.
pub fn same_origin(cx: &Ctx) -> ApiResult<()> {
    csrf::check_named_origin(&request_signals(cx), &allowed_origins(cx)).map_err(refusal)
}

/// A write authenticated by the session cookie (CSRF, OWASP "verifying origin with standard
/// headers" plus a custom request header): it must name an allowed `Origin`, or carry
/// `Sec-Fetch-Site: same-origin`, or the [`REQUEST_HEADER`]. Reads pass.
fn cookie_write_allowed(cx: &Ctx) -> ApiResult<()> {
    if matches!(cx.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    csrf::check_cookie_write(&request_signals(cx), &allowed_origins(cx)).map_err(refusal)
}

fn request_signals(cx: &Ctx) -> csrf::Signals {
    csrf::Signals {
        origin: cx.header("origin"),
        fetch_site: cx.header("sec-fetch-site"),
        custom_header: cx.header(REQUEST_HEADER).is_some(),
    }
}

fn allowed_origins(cx: &Ctx) -> Vec<String> {
    std::iter::once(cx.origin.clone()).chain(cx.var("APP_ORIGIN")).collect()
}

fn refusal(why: csrf::Refusal) -> ApiError {
    ApiError::with_reason(ErrorCode::CsrfCheckFailed, why.to_string())
}

/// A SCIM provisioning client: the workspace its token is scoped to.
#[derive(Debug, Clone)]
pub struct ScimClient {
    pub workspace_id: String,
    pub token_id: String,
    /// The presented token's hash: what the prefetched reads were scoped by.
    pub token_hash: String,
    pub network_policy_version: i64,
}

impl ScimClient {
    pub fn actor(&self) -> Actor {
        Actor { kind: "scim_token", id: Some(self.token_id.clone()) }
    }

    pub fn gate(&self) -> crate::edge::netgate::Gate<'_> {
        crate::edge::netgate::Gate {
            workspace_id: &self.workspace_id,
            policy_version: self.network_policy_version,
            is_admin: false,
        }
    }
}

/// `Authorization: Bearer scim_…` for the SCIM routes. One D1 batch, one round trip: the token
/// with its workspace's standing and network-policy version, then whatever reads `plan` adds
/// for the operation, scoped to the workspace of the token's hash (so they see nothing unless
/// the token is live). Their results come back for the handler once the token has passed.
pub async fn authenticate_scim(cx: &Ctx, plan: Plan<'_>) -> ApiResult<(ScimClient, Vec<D1Result>)> {
    let invalid = || ApiError::with_reason(ErrorCode::Unauthorized, "a valid SCIM token (Bearer scim_…) is required");
    let token = bearer(cx).ok_or_else(invalid)?;
    let (kind, id) = token_format::parse(&token).map_err(|_| invalid())?;
    if kind != token_format::TokenKind::Scim {
        return Err(ApiError::with_reason(
            ErrorCode::Unauthorized,
            "SCIM routes take a SCIM token, not a personal access token",
        ));
    }
    let (shard, db) = credential_shard(cx, id).ok_or_else(invalid)?;
    let hash = token_format::hash(&token);
    let scope = WorkspaceRef::OfToken { kind: token_format::TokenKind::Scim, hash: &hash };
    let lookup = |db: &Db| tokens::scim_by_id(db, id);
    let (shard, first, read) = forwarding::with_plan(cx, shard, &db, &lookup, Probe::Token(id), plan, scope).await?;
    let row = tokens::decode_scim(&first)?.ok_or_else(invalid)?;
    if !token_format::matches(&token, &row.token.token_hash) {
        return Err(invalid());
    }
    if row.token.revoked_at.is_some() {
        return Err(ErrorCode::TokenRevoked.into());
    }
    if row.token.expires_at.is_some_and(|t| t <= cx.now_ms) {
        return Err(ErrorCode::TokenExpired.into());
    }
    if row.ws_status != "active" {
        return Err(ErrorCode::WorkspaceInactive.into());
    }
    cx.enter(shard);
    touch_later(cx, &row.token.id, row.token.last_used_at);
    let client = ScimClient {
        workspace_id: row.token.workspace_id,
        token_id: row.token.id,
        token_hash: hash,
        network_policy_version: row.network_policy_version,
    };
    Ok((client, read))
}
