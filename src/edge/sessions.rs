//! Sessions live in one Durable Object per user (`UserSessions`, named `<workspace>:<user>`),
//! so a revocation is immediate and global: every authenticated request asks the object.
//! The object answers small JSON commands; `SessionsClient` is the typed caller.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State, Stub};

use crate::edge::http::fault;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Sliding lifetime: a session unused for this long expires.
pub const IDLE_MS: i64 = 30 * 24 * 3600 * 1000;
/// Absolute lifetime from sign-in.
pub const ABSOLUTE_MS: i64 = 90 * 24 * 3600 * 1000;
/// Revoked and expired records are kept this long for the sessions list, then pruned.
const RETAIN_MS: i64 = 7 * 24 * 3600 * 1000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub absolute_expires_at: i64,
    pub revoked_at: Option<i64>,
    pub device_label: String,
    pub ip_prefix: Option<String>,
    pub location: Option<String>,
}

impl SessionRecord {
    pub fn state(&self, now_ms: i64) -> SessionState {
        if self.revoked_at.is_some() {
            SessionState::Revoked
        } else if now_ms >= self.expires_at.min(self.absolute_expires_at) {
            SessionState::Expired
        } else {
            SessionState::Active
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Active,
    Revoked,
    Expired,
    Unknown,
}

impl SessionState {
    /// The error a request carrying a session in this state gets.
    pub fn error(self) -> Option<ApiError> {
        match self {
            Self::Active => None,
            Self::Revoked => Some(ErrorCode::SessionRevoked.into()),
            Self::Expired => Some(ErrorCode::SessionExpired.into()),
            Self::Unknown => Some(ApiError::with_reason(ErrorCode::Unauthorized, "unknown session")),
        }
    }
}

/// Device details a heartbeat refreshes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sighting {
    pub device_label: String,
    pub ip_prefix: Option<String>,
    pub location: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Command {
    Create { record: SessionRecord },
    Check { sid: String, now: i64 },
    List { now: i64 },
    Revoke { sid: String, now: i64 },
    RevokeOthers { keep: String, now: i64 },
    RevokeAll { now: i64 },
    Touch { sid: String, now: i64, sighting: Sighting },
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CheckResult {
    pub state: SessionState,
    pub record: Option<SessionRecord>,
}

#[durable_object]
pub struct UserSessions {
    state: State,
}

impl DurableObject for UserSessions {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: Command = match req.json().await {
            Ok(c) => c,
            Err(e) => return Response::error(format!("bad command: {e}"), 400),
        };
        Response::from_json(&self.run(command).await?)
    }
}

fn key(sid: &str) -> String {
    format!("s:{sid}")
}

impl UserSessions {
    async fn run(&self, command: Command) -> worker::Result<Value> {
        let storage = self.state.storage();
        match command {
            Command::Create { record } => {
                storage.put(&key(&record.id), &record).await?;
                Ok(json!({"ok": true}))
            }
            Command::Check { sid, now } => {
                let record: Option<SessionRecord> = storage.get(&key(&sid)).await?;
                let state = record.as_ref().map_or(SessionState::Unknown, |r| r.state(now));
                Ok(serde_json::to_value(CheckResult { state, record })?)
            }
            Command::List { now } => Ok(json!(self.all(now).await?)),
            Command::Revoke { sid, now } => {
                let revoked = self.revoke(&sid, now).await?;
                Ok(json!({"revoked": revoked}))
            }
            Command::RevokeOthers { keep, now } => self.revoke_where(now, |r| r.id != keep).await,
            Command::RevokeAll { now } => self.revoke_where(now, |_| true).await,
            Command::Touch { sid, now, sighting } => self.touch(&sid, now, sighting).await,
        }
    }

    /// Every record, pruning the ones revoked or expired longer than the retention window.
    async fn all(&self, now: i64) -> worker::Result<Vec<SessionRecord>> {
        let storage = self.state.storage();
        let map = storage.list_with_options(worker::ListOptions::new().prefix("s:")).await?;
        let mut records = Vec::new();
        for entry in map.values() {
            let record: SessionRecord = serde_wasm_bindgen::from_value(entry?)?;
            let ended_at = record.revoked_at.unwrap_or(record.expires_at.min(record.absolute_expires_at));
            if record.state(now) != SessionState::Active && now - ended_at > RETAIN_MS {
                storage.delete(&key(&record.id)).await?;
            } else {
                records.push(record);
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.last_seen_at));
        Ok(records)
    }

    async fn revoke(&self, sid: &str, now: i64) -> worker::Result<bool> {
        let storage = self.state.storage();
        let Some(mut record) = storage.get::<SessionRecord>(&key(sid)).await? else { return Ok(false) };
        if record.state(now) != SessionState::Active {
            return Ok(false);
        }
        record.revoked_at = Some(now);
        storage.put(&key(sid), &record).await?;
        Ok(true)
    }

    async fn revoke_where(&self, now: i64, pick: impl Fn(&SessionRecord) -> bool) -> worker::Result<Value> {
        let mut ids = Vec::new();
        for record in self.all(now).await? {
            if record.state(now) == SessionState::Active && pick(&record) && self.revoke(&record.id, now).await? {
                ids.push(record.id);
            }
        }
        Ok(json!({"revoked": ids}))
    }

    async fn touch(&self, sid: &str, now: i64, sighting: Sighting) -> worker::Result<Value> {
        let storage = self.state.storage();
        let record: Option<SessionRecord> = storage.get(&key(sid)).await?;
        let state = record.as_ref().map_or(SessionState::Unknown, |r| r.state(now));
        let record = match (state, record) {
            (SessionState::Active, Some(mut r)) => {
                r.last_seen_at = now;
                r.expires_at = (now + IDLE_MS).min(r.absolute_expires_at);
                r.device_label = sighting.device_label;
                r.ip_prefix = sighting.ip_prefix.or(r.ip_prefix);
                r.location = sighting.location.or(r.location);
                storage.put(&key(sid), &r).await?;
                Some(r)
            }
            (_, r) => r,
        };
        Ok(serde_json::to_value(CheckResult { state, record })?)
    }
}

/// Typed calls into one user's `UserSessions` object.
pub struct SessionsClient {
    stub: Stub,
}

impl SessionsClient {
    pub fn new(env: &Env, workspace_id: &str, user_id: &str) -> ApiResult<Self> {
        let namespace = env.durable_object("USER_SESSIONS").map_err(|e| fault("DO binding", e))?;
        let stub = namespace.get_by_name(&format!("{workspace_id}:{user_id}")).map_err(|e| fault("DO stub", e))?;
        Ok(Self { stub })
    }

    async fn call<T: DeserializeOwned>(&self, command: &Command) -> ApiResult<T> {
        let body = serde_json::to_string(command).map_err(|e| fault("DO encode", e))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let req = Request::new_with_init("https://user-sessions/", &init).map_err(|e| fault("DO request", e))?;
        let mut resp = self.stub.fetch_with_request(req).await.map_err(|e| fault("DO fetch", e))?;
        if resp.status_code() != 200 {
            let text = resp.text().await.unwrap_or_default();
            return Err(fault("DO answer", text));
        }
        resp.json::<T>().await.map_err(|e| fault("DO decode", e))
    }

    pub async fn create(&self, record: SessionRecord) -> ApiResult<()> {
        self.call::<Value>(&Command::Create { record }).await.map(drop)
    }

    pub async fn check(&self, sid: &str, now: i64) -> ApiResult<CheckResult> {
        self.call(&Command::Check { sid: sid.to_string(), now }).await
    }

    pub async fn list(&self, now: i64) -> ApiResult<Vec<SessionRecord>> {
        self.call(&Command::List { now }).await
    }

    pub async fn revoke(&self, sid: &str, now: i64) -> ApiResult<bool> {
        let v: Value = self.call(&Command::Revoke { sid: sid.to_string(), now }).await?;
        Ok(v["revoked"].as_bool().unwrap_or(false))
    }

    /// Revokes every active session except `keep` (or all, with `None`); returns their ids.
    pub async fn revoke_except(&self, keep: Option<&str>, now: i64) -> ApiResult<Vec<String>> {
        let command = match keep {
            Some(k) => Command::RevokeOthers { keep: k.to_string(), now },
            None => Command::RevokeAll { now },
        };
        let v: Value = self.call(&command).await?;
        Ok(serde_json::from_value(v["revoked"].clone()).unwrap_or_default())
    }

    pub async fn touch(&self, sid: &str, now: i64, sighting: Sighting) -> ApiResult<CheckResult> {
        self.call(&Command::Touch { sid: sid.to_string(), now, sighting }).await
    }
}
