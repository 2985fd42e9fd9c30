//! Request context and replies: URL split, client IP, JSON bodies with limits, cookies, and
//! the single place an `ApiError` becomes an HTTP response.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use worker::{Context, Env, Headers, Request, Response};

use std::cell::{Cell, RefCell};

use crate::edge::db::{Db, Guard, GuardCell, Trips, DIRECTORY};
use crate::tenancy::Shard;

/// The D1 bookmark header: answered on every response that touched a tenant database, accepted
/// back on reads that may be served by a replica.
pub const BOOKMARK_HEADER: &str = "x-axissynapse-d1-bookmark";
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http_url;

/// Largest JSON body accepted.
pub const MAX_JSON_BODY: usize = 64 * 1024;

pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub wctx: Context,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Why the query string was refused, if it was: reported by [`Ctx::query_problem`] once the
    /// route family (SCIM or not) is known, so SCIM clients get the RFC 7644 error body.
    query_error: Option<http_url::QueryError>,
    pub origin: String,
    pub https: bool,
    pub request_id: String,
    pub now_ms: i64,
    pub client_ip: Option<String>,
    pub production: bool,
    /// D1 round trips this request has made (every [`Db`] it opens shares the count).
    pub trips: Trips,
    /// The shard of the workspace this request acts on, once a credential or a directory
    /// lookup has named it ([`Ctx::enter`]).
    tenant: Cell<Option<Shard>>,
    /// The tenant's primary session and replica session, opened on first use.
    primary: RefCell<Option<Db>>,
    replica: RefCell<Option<Db>>,
    /// The check of an isolate-cached principal, riding in the first primary round trip.
    pub guard: GuardCell,
    /// The body once read ([`Ctx::body`]).
    body: Option<Vec<u8>>,
}

impl Ctx {
    /// `environment` is the `ENVIRONMENT` var (unset counts as production).
    pub fn new(
        req: Request,
        env: Env,
        wctx: Context,
        request_id: String,
        environment: Option<&str>,
    ) -> ApiResult<Self> {
        let url = req.inner().url();
        let parts = http_url::split(&url)
            .ok_or_else(|| ApiError::with_reason(ErrorCode::ValidationError, "bad request URL"))?;
        let scim = parts.path.starts_with(crate::routes::SCIM_PREFIX);
        let (query, query_error) =
            match http_url::parse_query(parts.query).and_then(|q| http_url::refuse_repeated(&q, scim).map(|()| q)) {
                Ok(q) => (q, None),
                Err(e) => (Vec::new(), Some(e)),
            };
        let production = environment.is_none_or(|e| e == "production");
        let client_ip = client_ip(req.headers(), production);
        Ok(Self {
            method: req.inner().method(),
            path: parts.path.to_string(),
            origin: format!("{}://{}", parts.scheme, parts.authority),
            https: parts.scheme == "https",
            query,
            query_error,
            req,
            env,
            wctx,
            request_id,
            now_ms: js_sys::Date::now() as i64,
            client_ip,
            production,
            trips: Trips::default(),
            tenant: Cell::new(None),
            primary: RefCell::new(None),
            replica: RefCell::new(None),
            guard: GuardCell::new(RefCell::new(Guard::Idle)),
            body: None,
        })
    }

    /// From here on, [`Ctx::db`] is `shard`: the request acts on a workspace that lives there.
    pub fn enter(&self, shard: Shard) {
        if self.tenant.replace(Some(shard)) != Some(shard) {
            self.primary.replace(None);
            self.replica.replace(None);
        }
    }

    /// The shard of the workspace this request acts on.
    pub fn tenant(&self) -> ApiResult<Shard> {
        self.tenant.get().ok_or_else(|| fault("tenant database", "no workspace chosen yet"))
    }

    /// The database of the workspace this request acts on, counting round trips: one D1
    /// session per request that starts at the primary, so writes and the reads after them are
    /// current and the response can carry a bookmark.
    pub fn db(&self) -> ApiResult<Db> {
        let shard = self.tenant()?;
        if let Some(db) = self.primary.borrow().as_ref() {
            return Ok(db.clone());
        }
        let db = Db::session(&self.env, &shard.binding(), &self.trips, "first-primary")?
            .ok_or_else(|| fault("D1 binding", shard.binding()))?
            .with_guard(self.guard.clone());
        *self.primary.borrow_mut() = Some(db.clone());
        Ok(db)
    }

    /// The tenant's database for reads that may lag (audit exports, SCIM list scans): a D1
    /// session that a read replica may serve, but never older than this request's own primary
    /// reads or than the bookmark the client sent back (`X-AxisSynapse-D1-Bookmark`).
    pub fn lagging_db(&self) -> ApiResult<Db> {
        let shard = self.tenant()?;
        if let Some(db) = self.replica.borrow().as_ref() {
            return Ok(db.clone());
        }
        let start = match (self.primary.borrow().as_ref().and_then(Db::bookmark), self.client_bookmark()?) {
            (Some(ours), _) => ours,
            (None, Some(theirs)) => theirs,
            (None, None) => "first-unconstrained".to_string(),
        };
        let db = Db::session(&self.env, &shard.binding(), &self.trips, &start)?
            .ok_or_else(|| fault("D1 binding", shard.binding()))?;
        *self.replica.borrow_mut() = Some(db.clone());
        Ok(db)
    }

    /// The bookmark a client sent back, checked: D1 bookmarks are hex digits and dashes.
    fn client_bookmark(&self) -> ApiResult<Option<String>> {
        let Some(value) = self.header(BOOKMARK_HEADER) else { return Ok(None) };
        let ok = !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if !ok {
            return Err(ApiError::with_reason(
                ErrorCode::ValidationError,
                format!("{BOOKMARK_HEADER}: not a D1 bookmark (hex digits and dashes, at most 128)"),
            ));
        }
        Ok(Some(value))
    }

    /// The latest D1 bookmark this request saw, for the client to send back so its next read
    /// sees at least this request's writes.
    pub fn bookmark(&self) -> Option<String> {
        let replica = self.replica.borrow().as_ref().and_then(Db::bookmark);
        replica.or_else(|| self.primary.borrow().as_ref().and_then(Db::bookmark))
    }

    /// The tenant's database for work after the response (`wait_until`): its round trips are
    /// not the request's.
    pub fn background_db(&self) -> ApiResult<Db> {
        crate::edge::db::open(&self.env, self.tenant()?)
    }

    /// A shard's database; `None` when no such shard is bound (a forged or stale number).
    pub fn shard_db(&self, shard: Shard) -> Option<Db> {
        Db::bound(&self.env, &shard.binding(), &self.trips)
    }

    /// The directory database: workspace → shard, email → workspace, public ids.
    pub fn directory(&self) -> ApiResult<Db> {
        Db::bound(&self.env, DIRECTORY, &self.trips).ok_or_else(|| fault("D1 binding", DIRECTORY))
    }

    /// Whether this request is for the SCIM service (RFC 7644 error bodies).
    pub fn is_scim(&self) -> bool {
        self.path.starts_with(crate::routes::SCIM_PREFIX)
    }

    /// The refusal of a malformed query string (too long, too many parameters, bad
    /// percent-encoding, a repeated name): `SCIM_INVALID_VALUE` on SCIM routes, else
    /// `ValidationError`, both naming the problem.
    pub fn query_problem(&self) -> Option<ApiError> {
        let code = if self.is_scim() { ErrorCode::ScimInvalidValue } else { ErrorCode::ValidationError };
        self.query_error.as_ref().map(|e| ApiError::with_reason(code, e.to_string()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    pub fn var(&self, name: &str) -> Option<String> {
        self.env.var(name).ok().map(|v| v.to_string())
    }

    pub fn user_agent(&self) -> String {
        self.header("user-agent").map(|ua| ua.chars().take(512).collect()).unwrap_or_default()
    }

    /// The value of a query parameter (names are unique: [`Ctx::query_problem`]).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A cookie from the `Cookie` header (RFC 6265 §5.4).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.header("cookie")?;
        header.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    /// Reads and decodes a JSON body: 415 for another media type, 413 over the limit,
    /// `InvalidJson` for bad syntax, `ValidationError` (with serde's reason) for bad shape.
    pub async fn json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        self.json_within(MAX_JSON_BODY).await
    }

    /// The request body, read once and kept: a request the edge runs again (after a cached
    /// principal's guard failed) reads the same bytes.
    async fn body(&mut self) -> ApiResult<Vec<u8>> {
        if let Some(bytes) = &self.body {
            return Ok(bytes.clone());
        }
        let bytes = self.req.bytes().await.map_err(|e| fault("read body", e))?;
        self.body = Some(bytes.clone());
        Ok(bytes)
    }

    /// [`Ctx::json`] for a body the client may leave out (no Content-Type and no bytes).
    pub async fn optional_json<T: DeserializeOwned>(&mut self) -> ApiResult<Option<T>> {
        if self.header("content-type").is_some() {
            return self.json().await.map(Some);
        }
        let bytes = self.body().await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        Err(ApiError::with_reason(ErrorCode::UnsupportedMediaType, "send Content-Type: application/json"))
    }

    /// [`Ctx::json`] with another size limit, for the few bodies that may be large.
    pub async fn json_within<T: DeserializeOwned>(&mut self, limit: usize) -> ApiResult<T> {
        check_json_media_type(&self.header("content-type").unwrap_or_default())?;
        let declared = self.header("content-length").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
        if declared > limit {
            return Err(ErrorCode::PayloadTooLarge.into());
        }
        let bytes = self.body().await?;
        if bytes.len() > limit {
            return Err(ErrorCode::PayloadTooLarge.into());
        }
        decode_json(&bytes)
    }
}

/// Accepts `application/json` or any `application/*+json` (RFC 6839 §3.1), whose only
/// charset, if one is named, is UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8).
/// Parameters are parsed as RFC 9110 §5.6.6 says (token or quoted-string values, names and the
/// charset value without regard to case). Anything else is 415.
pub fn check_json_media_type(content_type: &str) -> ApiResult<()> {
    let refuse = |why: &str| ApiError::with_reason(ErrorCode::UnsupportedMediaType, why.to_string());
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if media != "application/json" && !(media.starts_with("application/") && media.ends_with("+json")) {
        return Err(refuse("send Content-Type: application/json"));
    }
    for param in parts.map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = param.split_once('=') else {
            return Err(refuse("malformed Content-Type parameter"));
        };
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        if name.trim().eq_ignore_ascii_case("charset") && !value.eq_ignore_ascii_case("utf-8") {
            return Err(refuse("JSON bodies must be UTF-8: send charset=utf-8 or no charset"));
        }
    }
    Ok(())
}

/// Decodes a JSON object body, classifying syntax errors apart from shape errors: the whole
/// body is checked for well-formedness first, so broken JSON is always `InvalidJson`, even
/// when serde would have met an unknown or mistyped field before the break. Every request
/// body of the API is an object: anything else is refused before serde, which would otherwise
/// read a struct from an array of its fields in order (`[null, null]`).
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| ApiError::with_reason(ErrorCode::InvalidJson, e.to_string()))?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, "the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let code = if e.is_data() { ErrorCode::ValidationError } else { ErrorCode::InvalidJson };
        ApiError::with_reason(code, e.to_string())
    })
}

/// The client address: `CF-Connecting-IP` (set by Cloudflare's edge, not by the client). In
/// development only, `X-AxisSynapse-Client-IP` overrides it so local tests can act from
/// several addresses; production ignores that header.
fn client_ip(headers: &Headers, production: bool) -> Option<String> {
    let get = |name: &str| headers.get(name).ok().flatten().filter(|v| !v.is_empty() && v.len() <= 64);
    let dev_override = if production { None } else { get("x-axissynapse-client-ip") };
    dev_override.or_else(|| get("cf-connecting-ip"))
}

/// An internal failure: logged with its context, answered as an opaque 500. One exception: a
/// write D1 refused because its workspace is moving between shards (the `audit_log` trigger of
/// migrations/0004 raises the code's own name) is 503 `WORKSPACE_MOVING` with `Retry-After`.
pub fn fault(context: &str, err: impl std::fmt::Display) -> ApiError {
    let detail = err.to_string();
    if detail.contains(ErrorCode::WorkspaceMoving.as_str()) {
        return ApiError::workspace_moving();
    }
    ApiError::with_reason(ErrorCode::InternalError, format!("{context}: {detail}"))
}

pub enum Body {
    Json(Value),
    Text(String),
    Stream(Response),
    Empty,
}

/// What a handler answers; turned into a `worker::Response` in one place.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(value: Value) -> Self {
        Self { status: 200, headers: Vec::new(), body: Body::Json(value) }
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn into_response(self) -> worker::Result<Response> {
        let (mut response, content_type) = match self.body {
            Body::Json(v) => (Response::from_bytes(serde_json::to_vec(&v)?)?, Some("application/json")),
            Body::Text(t) => (Response::from_bytes(t.into_bytes())?, None),
            Body::Stream(r) => (r, None),
            Body::Empty => (Response::empty()?, None),
        };
        let headers = response.headers_mut();
        if let Some(ct) = content_type {
            headers.set("content-type", ct)?;
        }
        for (k, v) in &self.headers {
            if k == "set-cookie" {
                headers.append(k, v)?;
            } else {
                headers.set(k, v)?;
            }
        }
        if matches!(self.status, 204 | 304) {
            // Nothing to compress: stop the runtime from labelling an empty body as gzip.
            headers.set("content-encoding", "identity")?;
        }
        Ok(response.with_status(self.status))
    }
}

/// Logs an internal error's detail (it is never sent) with the request id.
pub fn log_fault(err: &ApiError, request_id: &str) {
    if err.code == ErrorCode::InternalError {
        log_json(json!({"level": "error", "requestId": request_id, "detail": err.reason}));
    }
}

/// The error envelope as a reply. Internal detail is logged, never sent.
pub fn error_reply(err: &ApiError, request_id: &str) -> Reply {
    log_fault(err, request_id);
    let mut reply = Reply::json(err.public_body(request_id)).status(err.status());
    if let Some(secs) = err.retry_after {
        reply = reply.header("retry-after", secs.to_string());
    }
    if let (ErrorCode::StepUpRequired, Some(Value::String(purpose))) = (err.code, err.extra.get("purpose")) {
        reply = reply.header("www-authenticate", format!("StepUp purpose=\"{purpose}\""));
    }
    if let Some(Value::String(allow)) = err.extra.get("allow") {
        reply = reply.header("allow", allow.clone());
    }
    reply
}

/// The SCIM media type (RFC 7644 §3.1); `application/json` is accepted on input too.
pub const SCIM_JSON: &str = "application/scim+json";

/// An error on a SCIM route: the RFC 7644 §3.12 body, carrying the same code (in `detail`
/// and `X-AxisSynapse-Error-Code`).
pub fn scim_error_reply(err: &ApiError, request_id: &str) -> Reply {
    let mut reply = error_reply(err, request_id).header("x-axissynapse-error-code", err.code.as_str());
    reply.body = Body::Json(err.scim_body(request_id));
    if err.status() == 401 {
        reply = reply.header("www-authenticate", "Bearer realm=\"scim\"");
    }
    reply.header("content-type", SCIM_JSON)
}

/// One structured log line.
pub fn log_json(line: Value) {
    worker::console_log!("{}", line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Patch {
        name: Option<String>,
        enabled: Option<bool>,
    }

    /// Found by schemathesis: `[null, null]` decoded as a struct of two absent fields.
    #[test]
    fn only_objects_decode_into_bodies() {
        for body in ["[null, null]", " []", "null", "\"x\"", "3"] {
            let err = decode_json::<Patch>(body.as_bytes()).unwrap_err();
            assert_eq!(err.code, ErrorCode::ValidationError, "{body}");
        }
        assert_eq!(decode_json::<Patch>(b"[nul").unwrap_err().code, ErrorCode::InvalidJson);
        assert_eq!(decode_json::<Patch>(b"{\"name\": 3}").unwrap_err().code, ErrorCode::ValidationError);
        assert_eq!(decode_json::<Patch>(b" {\"name\": \"a\"").unwrap_err().code, ErrorCode::InvalidJson);
        assert_eq!(decode_json::<Patch>(b"\n{\"enabled\": true}").unwrap().enabled, Some(true));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        name: Option<String>,
    }

    /// Issue 15: broken JSON whose first key is unknown answered ValidationError (serde stopped
    /// at the unknown field before it reached the break).
    #[test]
    fn broken_json_is_invalid_json_whatever_comes_first() {
        for body in ["{\"bogus\": 1,", "{\"bogus\": 1} x", "{\"name\": 3,,}", "{\"bogus\": tru}", "[1, 2"] {
            assert_eq!(decode_json::<Strict>(body.as_bytes()).unwrap_err().code, ErrorCode::InvalidJson, "{body}");
        }
        assert_eq!(decode_json::<Strict>(b"{\"bogus\": 1}").unwrap_err().code, ErrorCode::ValidationError);
    }

    #[test]
    fn json_media_types_take_only_utf8() {
        for ok in [
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/scim+json;charset=\"utf-8\"",
            "application/json; foo=bar",
        ] {
            assert!(check_json_media_type(ok).is_ok(), "{ok}");
        }
        for bad in [
            "application/json; charset=utf-16",
            "application/json; charset=\"iso-8859-1\"",
            "application/json; CHARSET=utf-32",
            "application/json; charset=utf8",
            "application/json; charset",
            "text/json",
            "",
        ] {
            assert_eq!(check_json_media_type(bad).unwrap_err().code, ErrorCode::UnsupportedMediaType, "{bad}");
        }
    }
}
