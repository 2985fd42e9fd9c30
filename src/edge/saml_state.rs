//! Single-use SAML state in a Durable Object, one per SAML provider: the AuthnRequest IDs we
//! issued (SAML Profiles §4.1.4.3: a Response's InResponseTo must name one, and only once)
//! with the RelayState to return to, and the Assertion IDs already accepted (§4.1.4.5: a
//! bearer assertion is refused when replayed, remembered until its NotOnOrAfter), and an
//! admin's test sign-ins: a test is opened by an admin, started once by the login route (its
//! request then names it), and settled once by the ACS with a verdict that the admin takes
//! once. Commands run one at a time (input gates), so check-and-delete and check-and-insert
//! are atomic. An alarm forgets what has expired.

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
    /// Open a test sign-in for admin `actor_id` until `expires_at`.
    OpenTest { test_id: String, actor_id: String, expires_at: i64 },
    /// Start an open test once: remember `request_id` as its AuthnRequest.
    StartTest { test_id: String, request_id: String, now: i64 },
    /// Store a started test's verdict (once).
    Settle { test_id: String, verdict: String },
    /// If `request_id` runs a test: take the request back and answer the test.
    ClaimRequest { request_id: String, now: i64 },
    /// A test's verdict, forgotten once read; `None` inside while it is still running.
    TakeTest { test_id: String, now: i64 },
}

/// A stored request, assertion or test.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Entry {
    #[serde(default)]
    relay_state: Option<String>,
    expires_at: i64,
    /// A request: the test it runs. A test: its admin, whether it started, its verdict.
    #[serde(default)]
    test_id: Option<String>,
    #[serde(default)]
    actor_id: Option<String>,
    #[serde(default)]
    started: bool,
    #[serde(default)]
    verdict: Option<String>,
}

/// The answer to `Consume`: `None` when the ID is unknown, spent or expired.
#[derive(Debug, Serialize, Deserialize)]
pub struct Consumed {
    pub relay_state: Option<String>,
    /// The test sign-in this request runs, if it is one.
    pub test: Option<TestRun>,
}

/// A running test sign-in: its id and the admin who opened it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestRun {
    pub test_id: String,
    pub actor_id: String,
}

/// The answer to `TakeTest` for a known test: its verdict (JSON) once settled.
#[derive(Debug, Serialize, Deserialize)]
pub struct TestStatus {
    pub verdict: Option<String>,
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

    pub async fn open_test(&self, test_id: &str, actor_id: &str, expires_at: i64) -> ApiResult<()> {
        let command = Command::OpenTest { test_id: test_id.into(), actor_id: actor_id.into(), expires_at };
        objects::call::<bool>(&self.stub, &command).await.map(|_| ())
    }

    /// Whether the test was open, fresh and not started yet (it now is).
    pub async fn start_test(&self, test_id: &str, request_id: &str, now: i64) -> ApiResult<bool> {
        objects::call(&self.stub, &Command::StartTest { test_id: test_id.into(), request_id: request_id.into(), now })
            .await
    }

    pub async fn settle(&self, test_id: &str, verdict: &str) -> ApiResult<bool> {
        objects::call(&self.stub, &Command::Settle { test_id: test_id.into(), verdict: verdict.into() }).await
    }

    /// The test `request_id` runs (the request is then spent); `None` if it runs none.
    pub async fn claim_request(&self, request_id: &str, now: i64) -> ApiResult<Option<TestRun>> {
        objects::call(&self.stub, &Command::ClaimRequest { request_id: request_id.into(), now }).await
    }

    pub async fn take_test(&self, test_id: &str, now: i64) -> ApiResult<Option<TestStatus>> {
        objects::call(&self.stub, &Command::TakeTest { test_id: test_id.into(), now }).await
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
                storage.put(&key("req", &request_id), &Entry { relay_state, expires_at, ..Entry::default() }).await?;
                self.wake_at(expires_at).await?;
                Response::from_json(&true)
            }
            Command::Consume { request_id, now } => {
                let Some(entry) = self.take(&key("req", &request_id), now).await? else {
                    return Response::from_json(&None::<Consumed>);
                };
                let test = self.test_run(entry.test_id.as_deref(), now).await?;
                Response::from_json(&Some(Consumed { relay_state: entry.relay_state, test }))
            }
            Command::Accept { assertion_id, until, now } => {
                let k = key("asr", &assertion_id);
                if storage.get::<Entry>(&k).await?.is_some_and(|e| e.expires_at > now) {
                    return Response::from_json(&false);
                }
                storage.put(&k, &Entry { expires_at: until, ..Entry::default() }).await?;
                self.wake_at(until).await?;
                Response::from_json(&true)
            }
            Command::OpenTest { test_id, actor_id, expires_at } => {
                let entry = Entry { expires_at, actor_id: Some(actor_id), ..Entry::default() };
                storage.put(&key("test", &test_id), &entry).await?;
                self.wake_at(expires_at).await?;
                Response::from_json(&true)
            }
            Command::StartTest { test_id, request_id, now } => {
                let k = key("test", &test_id);
                let Some(mut test) = storage.get::<Entry>(&k).await?.filter(|t| t.expires_at > now && !t.started)
                else {
                    return Response::from_json(&false);
                };
                test.started = true;
                let request = Entry { expires_at: test.expires_at, test_id: Some(test_id), ..Entry::default() };
                storage.put(&k, &test).await?;
                storage.put(&key("req", &request_id), &request).await?;
                Response::from_json(&true)
            }
            Command::Settle { test_id, verdict } => Response::from_json(&self.settle(&test_id, verdict).await?),
            Command::ClaimRequest { request_id, now } => {
                let k = key("req", &request_id);
                let test_id = storage.get::<Entry>(&k).await?.filter(|e| e.expires_at > now).and_then(|e| e.test_id);
                let Some(test_id) = test_id else {
                    return Response::from_json(&None::<TestRun>);
                };
                storage.delete(&k).await?;
                Response::from_json(&self.test_run(Some(&test_id), now).await?)
            }
            Command::TakeTest { test_id, now } => {
                let k = key("test", &test_id);
                let test = storage.get::<Entry>(&k).await?.filter(|t| t.expires_at > now);
                if test.as_ref().is_some_and(|t| t.verdict.is_some()) {
                    storage.delete(&k).await?;
                }
                Response::from_json(&test.map(|t| TestStatus { verdict: t.verdict }))
            }
        }
    }

    /// Deletes `k` and answers its entry if it was fresh.
    async fn take(&self, k: &str, now: i64) -> worker::Result<Option<Entry>> {
        let storage = self.state.storage();
        let entry = storage.get::<Entry>(k).await?;
        storage.delete(k).await?;
        Ok(entry.filter(|e| e.expires_at > now))
    }

    /// The running test named `test_id`, if it is fresh.
    async fn test_run(&self, test_id: Option<&str>, now: i64) -> worker::Result<Option<TestRun>> {
        let Some(test_id) = test_id else { return Ok(None) };
        let test = self.state.storage().get::<Entry>(&key("test", test_id)).await?;
        Ok(test
            .filter(|t| t.expires_at > now && t.verdict.is_none())
            .and_then(|t| t.actor_id)
            .map(|actor_id| TestRun { test_id: test_id.to_string(), actor_id }))
    }

    /// Stores a verdict on a started test that has none yet.
    async fn settle(&self, test_id: &str, verdict: String) -> worker::Result<bool> {
        let storage = self.state.storage();
        let k = key("test", test_id);
        let Some(mut test) = storage.get::<Entry>(&k).await?.filter(|t| t.started && t.verdict.is_none()) else {
            return Ok(false);
        };
        test.verdict = Some(verdict);
        storage.put(&k, &test).await?;
        Ok(true)
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
