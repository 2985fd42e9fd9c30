//! One Durable Object per user (`UserSessions`, named `<workspace>:<user>`) holds everything
//! about that user that must be immediate or single-use: sessions (a revocation is global at
//! once: every authenticated request asks the object), WebAuthn challenges, step-up tokens and
//! the last TOTP step used. Each command runs alone in the object (input gates), so a
//! read-check-write inside one command is atomic: a step-up token is spent exactly once.
//! The object answers small JSON commands; `SessionsClient` is the typed caller.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, State, Stub};

use crate::edge::http::fault;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::session::signin;
use crate::stepup::token::{self as stepup_token, StepUpRecord, StepUpRefusal};
use crate::stepup::Purpose;

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
    /// An enrolment-only session: MFA is required and the user has no factor yet.
    #[serde(default)]
    pub restricted: bool,
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
    PutChallenge { key: String, challenge: String, expires_at: i64 },
    TakeChallenge { key: String, now: i64 },
    IssueStepUp { record: StepUpRecord },
    ConsumeStepUp { token_hash: String, purpose: String, user_id: String, session_id: Option<String>, now: i64 },
    StepUpStatus { purpose: String, user_id: String, session_id: Option<String>, now: i64 },
    UseTotpStep { step: u64 },
    LoginGate,
    LoginFailed { now: i64 },
    LoginReset,
}

/// Consecutive sign-in failures and the lock they caused (the user's object is their only
/// writer, so parallel guesses are counted one by one and cannot slip past the lockout).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginCounters {
    pub failed: i64,
    pub locked_until: Option<i64>,
    /// In a `LoginFailed` answer: this very failure caused the lock.
    #[serde(default)]
    pub locked_now: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Challenge {
    challenge: String,
    expires_at: i64,
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
            Command::PutChallenge { key, challenge, expires_at } => {
                storage.put(&format!("c:{key}"), Challenge { challenge, expires_at }).await?;
                Ok(json!({"ok": true}))
            }
            Command::TakeChallenge { key, now } => {
                let challenge: Option<Challenge> = storage.get(&format!("c:{key}")).await?;
                storage.delete(&format!("c:{key}")).await?;
                Ok(json!({"challenge": challenge.filter(|c| c.expires_at > now).map(|c| c.challenge)}))
            }
            Command::IssueStepUp { record } => {
                self.prune_step_ups(record.issued_at_ms).await?;
                storage.put(&format!("t:{}", record.token_hash), &record).await?;
                Ok(json!({"ok": true}))
            }
            Command::ConsumeStepUp { token_hash, purpose, user_id, session_id, now } => {
                self.consume_step_up(&token_hash, &purpose, &user_id, session_id.as_deref(), now).await
            }
            Command::StepUpStatus { purpose, user_id, session_id, now } => {
                let records = self.step_ups().await?;
                let purpose = Purpose::parse(&purpose).ok_or_else(|| worker::Error::RustError("purpose".into()))?;
                Ok(stepup_token::status(
                    &records,
                    purpose,
                    &user_id,
                    session_id.as_deref(),
                    now,
                    crate::time::format_ms,
                ))
            }
            Command::LoginGate => Ok(serde_json::to_value(self.login_counters().await?)?),
            Command::LoginFailed { now } => {
                let mut counters = self.login_counters().await?;
                if counters.locked_until.is_none_or(|until| until <= now) {
                    let account = signin::Account { failed_logins: counters.failed, ..signin::Account::unlocked() };
                    let f = signin::after_failure(&account, now);
                    counters =
                        LoginCounters { failed: f.failed_logins, locked_until: f.locked_until, locked_now: false };
                    storage.put("login", counters).await?;
                    counters.locked_now = f.locked_until.is_some();
                }
                Ok(serde_json::to_value(counters)?)
            }
            Command::LoginReset => {
                storage.delete("login").await?;
                Ok(json!({"ok": true}))
            }
            Command::UseTotpStep { step } => {
                let last: Option<u64> = storage.get("totp:last_step").await?;
                let fresh = last.is_none_or(|l| step > l);
                if fresh {
                    storage.put("totp:last_step", step).await?;
                }
                Ok(json!({"ok": fresh}))
            }
        }
    }

    async fn login_counters(&self) -> worker::Result<LoginCounters> {
        Ok(self.state.storage().get("login").await?.unwrap_or_default())
    }

    async fn step_ups(&self) -> worker::Result<Vec<StepUpRecord>> {
        let map = self.state.storage().list_with_options(worker::ListOptions::new().prefix("t:")).await?;
        map.values().into_iter().map(|v| Ok(serde_wasm_bindgen::from_value(v?)?)).collect()
    }

    /// Drops tokens that expired a day ago or more, so the object stays small.
    async fn prune_step_ups(&self, now: i64) -> worker::Result<()> {
        for record in self.step_ups().await? {
            if record.expires_at_ms + 86_400_000 < now {
                self.state.storage().delete(&format!("t:{}", record.token_hash)).await?;
            }
        }
        Ok(())
    }

    /// Checks and spends a step-up token in one command: no other request can interleave.
    async fn consume_step_up(
        &self,
        token_hash: &str,
        purpose: &str,
        user_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> worker::Result<Value> {
        let storage = self.state.storage();
        let key = format!("t:{token_hash}");
        let mut record: Option<StepUpRecord> = storage.get(&key).await?;
        let Some(purpose) = Purpose::parse(purpose) else { return Ok(json!({"refusal": "wrong_purpose"})) };
        if let Err(refusal) = stepup_token::check(record.as_ref(), purpose, user_id, session_id, now) {
            return Ok(json!({"refusal": refusal.reason()}));
        }
        if let Some(r) = record.as_mut() {
            r.used_at_ms = Some(now);
            storage.put(&key, &*r).await?;
        }
        Ok(json!({"ok": true}))
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
    user_id: String,
}

impl SessionsClient {
    pub fn new(env: &Env, workspace_id: &str, user_id: &str) -> ApiResult<Self> {
        let namespace = env.durable_object("USER_SESSIONS").map_err(|e| fault("DO binding", e))?;
        let stub = namespace.get_by_name(&format!("{workspace_id}:{user_id}")).map_err(|e| fault("DO stub", e))?;
        Ok(Self { stub, user_id: user_id.to_string() })
    }

    async fn call<T: DeserializeOwned>(&self, command: &Command) -> ApiResult<T> {
        crate::edge::objects::call(&self.stub, command).await
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

    /// Stores a ceremony challenge under `key` (replacing any previous one).
    pub async fn put_challenge(&self, key: &str, challenge: &str, expires_at: i64) -> ApiResult<()> {
        let command = Command::PutChallenge { key: key.to_string(), challenge: challenge.to_string(), expires_at };
        self.call::<Value>(&command).await.map(drop)
    }

    /// Takes the challenge under `key`: returned at most once, and only before it expires.
    pub async fn take_challenge(&self, key: &str, now: i64) -> ApiResult<Option<String>> {
        let v: Value = self.call(&Command::TakeChallenge { key: key.to_string(), now }).await?;
        Ok(v["challenge"].as_str().map(str::to_string))
    }

    pub async fn issue_step_up(&self, record: StepUpRecord) -> ApiResult<()> {
        self.call::<Value>(&Command::IssueStepUp { record }).await.map(drop)
    }

    /// Spends a step-up token for `purpose`; the refusal says why it could not be spent.
    pub async fn consume_step_up(
        &self,
        token_hash: &str,
        purpose: Purpose,
        session_id: Option<&str>,
        now: i64,
    ) -> ApiResult<Result<(), StepUpRefusal>> {
        let command = Command::ConsumeStepUp {
            token_hash: token_hash.to_string(),
            purpose: purpose.code().to_string(),
            user_id: self.user_id.clone(),
            session_id: session_id.map(str::to_string),
            now,
        };
        let v: Value = self.call(&command).await?;
        Ok(match v["refusal"].as_str() {
            None => Ok(()),
            Some("reused") => Err(StepUpRefusal::Reused),
            Some("expired") => Err(StepUpRefusal::Expired),
            Some("wrong_purpose") => Err(StepUpRefusal::WrongPurpose),
            Some("wrong_session") => Err(StepUpRefusal::WrongSession),
            Some("not_phishing_resistant") => Err(StepUpRefusal::NotPhishingResistant),
            Some(_) => Err(StepUpRefusal::Missing),
        })
    }

    pub async fn step_up_status(&self, purpose: Purpose, session_id: Option<&str>, now: i64) -> ApiResult<Value> {
        let command = Command::StepUpStatus {
            purpose: purpose.code().to_string(),
            user_id: self.user_id.clone(),
            session_id: session_id.map(str::to_string),
            now,
        };
        self.call(&command).await
    }

    /// The user's sign-in failure counters.
    pub async fn login_gate(&self) -> ApiResult<LoginCounters> {
        self.call(&Command::LoginGate).await
    }

    /// Counts one failed sign-in; the answer says whether this failure locked the account.
    pub async fn login_failed(&self, now: i64) -> ApiResult<LoginCounters> {
        self.call(&Command::LoginFailed { now }).await
    }

    /// Clears the counters after a right password.
    pub async fn login_reset(&self) -> ApiResult<()> {
        self.call::<Value>(&Command::LoginReset).await.map(drop)
    }

    /// Records a used TOTP step; `false` if that step (or a later one) was already used.
    pub async fn use_totp_step(&self, step: u64) -> ApiResult<bool> {
        let v: Value = self.call(&Command::UseTotpStep { step }).await?;
        Ok(v["ok"].as_bool().unwrap_or(false))
    }
}
