//! Single-use SAML state in a Durable Object, one per SAML provider: the AuthnRequest IDs we
//! issued (SAML Profiles §4.1.4.3: a Response's InResponseTo must name one, and only once)
//! with the RelayState to return to, and the Assertion IDs already accepted (§4.1.4.5: a
//! bearer assertion is refused when replayed, remembered until its NotOnOrAfter). Commands
//! run one at a time (input gates), so check-and-delete and check-and-insert are atomic. An
//! alarm forgets what has expired.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::edge::http::fault;
use crate::edge::objects;
use crate::error::ApiResult;

/// How long an AuthnRequest may wait for its Response.
pub const REQUEST_TTL_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
enum Command {
    /// Remember an AuthnRequest ID until `expires_at`.
    Issue { request_id: String, relay_state: Option<String>, expires_at: i64 },
    /// Take an AuthnRequest ID back (once): its relay state if it was issued and is fresh.
    Consume { request_id: String, now: i64 },
    /// Accept an Assertion ID once: false if it was seen and is still remembered.
    Accept { assertion_id: String, until: i64, now: i64 },
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    relay_state: Option<String>,
    expires_at: i64,
}

/// The answer to `Consume`: `None` when the ID is unknown, spent or expired.
#[derive(Debug, Serialize, Deserialize)]
pub struct Consumed {
    pub relay_state: Option<String>,
}

pub struct SamlStateClient {
    stub: worker::Stub,
}

impl SamlStateClient {
    pub fn new(env: &Env, provider_id: &str) -> ApiResult<Self> {
        let namespace = env.durable_object("SAML_STATE").map_err(|e| fault("DO binding", e))?;
        let stub = namespace.get_by_name(provider_id).map_err(|e| fault("DO stub", e))?;
        Ok(Self { stub })
    }

    pub async fn issue(&self, request_id: &str, relay_state: Option<&str>, expires_at: i64) -> ApiResult<()> {
        let command = Command::Issue {
            request_id: request_id.to_string(),
            relay_state: relay_state.map(str::to_string),
            expires_at,
        };
        objects::call::<bool>(&self.stub, &command).await.map(|_| ())
    }

    pub async fn consume(&self, request_id: &str, now: i64) -> ApiResult<Option<Consumed>> {
        objects::call(&self.stub, &Command::Consume { request_id: request_id.to_string(), now }).await
    }

    /// Whether this is the first time the assertion is accepted.
    pub async fn accept(&self, assertion_id: &str, until: i64, now: i64) -> ApiResult<bool> {
        objects::call(&self.stub, &Command::Accept { assertion_id: assertion_id.to_string(), until, now }).await
    }
}

#[durable_object]
pub struct SamlState {
    state: State,
}

fn key(kind: &str, id: &str) -> String {
    format!("{kind}:{id}")
}

impl SamlState {
    async fn run(&self, command: Command) -> worker::Result<Response> {
        let storage = self.state.storage();
        match command {
            Command::Issue { request_id, relay_state, expires_at } => {
                storage.put(&key("req", &request_id), &Entry { relay_state, expires_at }).await?;
                self.wake_at(expires_at).await?;
                Response::from_json(&true)
            }
            Command::Consume { request_id, now } => {
                let k = key("req", &request_id);
                let entry = storage.get::<Entry>(&k).await?;
                storage.delete(&k).await?;
                let fresh = entry.filter(|e| e.expires_at > now).map(|e| Consumed { relay_state: e.relay_state });
                Response::from_json(&fresh)
            }
            Command::Accept { assertion_id, until, now } => {
                let k = key("asr", &assertion_id);
                if storage.get::<Entry>(&k).await?.is_some_and(|e| e.expires_at > now) {
                    return Response::from_json(&false);
                }
                storage.put(&k, &Entry { relay_state: None, expires_at: until }).await?;
                self.wake_at(until).await?;
                Response::from_json(&true)
            }
        }
    }

    async fn wake_at(&self, at: i64) -> worker::Result<()> {
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(current) if current <= at => Ok(()),
            _ => storage.set_alarm(at).await,
        }
    }
}

impl DurableObject for SamlState {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        match req.json::<Command>().await {
            Ok(command) => self.run(command).await,
            Err(e) => Response::error(format!("bad command: {e}"), 400),
        }
    }

    /// Deletes what has expired and wakes again for the next expiry.
    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let now = js_sys::Date::now() as i64;
        let entries = storage.list().await?;
        let mut next: Option<i64> = None;
        for item in entries.entries() {
            let pair: js_sys::Array = item?.into();
            let (Some(k), Ok(entry)) = (pair.get(0).as_string(), serde_wasm_bindgen::from_value::<Entry>(pair.get(1)))
            else {
                continue;
            };
            if entry.expires_at <= now {
                storage.delete(&k).await?;
            } else {
                next = Some(next.map_or(entry.expires_at, |n| n.min(entry.expires_at)));
            }
        }
        if let Some(at) = next {
            storage.set_alarm(at).await?;
        }
        Response::ok("")
    }
}
