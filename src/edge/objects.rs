//! Calling a Durable Object: one JSON command in, one JSON answer out. All three object classes
//! of `wrangler.toml` speak this shape (`UserSessions` in `sessions.rs`, `RateBucket` in
//! `limits.rs`, `SamlState` in `saml_state.rs`); a non-200 answer is a fault.

use serde::{de::DeserializeOwned, Serialize};
use worker::{Method, Request, RequestInit, Stub};

use crate::edge::http::fault;
use crate::error::ApiResult;

pub async fn call<T: DeserializeOwned>(stub: &Stub, command: &impl Serialize) -> ApiResult<T> {
    let body = serde_json::to_string(command).map_err(|e| fault("DO encode", e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/", &init).map_err(|e| fault("DO request", e))?;
    let mut resp = stub.fetch_with_request(req).await.map_err(|e| fault("DO fetch", e))?;
    if resp.status_code() != 200 {
        let text = resp.text().await.unwrap_or_default();
        return Err(fault("DO answer", text));
    }
    resp.json::<T>().await.map_err(|e| fault("DO decode", e))
}
