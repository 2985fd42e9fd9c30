//! The floor baseline: every request does exactly one D1 point read, the `api_tokens` row by
//! primary key (`GET /?id=<hex token id>`), decodes it, and answers a small JSON 200; an id
//! with no row is a 404 and a missing id a 400, so a bench pointed at the wrong id stops
//! instead of measuring cheap misses. Nothing is verified or written.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{event, Context, Env, Headers, Request, Response, Result};

/// The columns of `api_tokens` (schema.sql), decoded like the worker decodes them.
#[derive(Deserialize)]
#[allow(dead_code)]
struct TokenRow {
    id: String,
    workspace_id: String,
    kind: String,
    user_id: Option<String>,
    name: String,
    token_hash: String,
    hint: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    created_at: i64,
}

/// The `id` query parameter, read from the raw URL (`Request::url()` would pull in the `url`
/// crate). Token ids are lowercase hex, so nothing needs decoding.
fn id_param(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix("id=")).filter(|id| !id.is_empty())
}

fn json(status: u16, body: String) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(Response::from_bytes(body.into_bytes())?.with_status(status).with_headers(headers))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let url = req.inner().url();
    let Some(id) = id_param(&url) else {
        return json(400, r#"{"error":"id"}"#.to_string());
    };
    let db = env.d1("FLOOR")?;
    let row = db
        .prepare("SELECT * FROM api_tokens WHERE id = ?1")
        .bind(&[JsValue::from_str(id)])?
        .first::<TokenRow>(None)
        .await?;
    match row {
        Some(row) => json(200, format!(r#"{{"ok":true,"kind":"{}"}}"#, row.kind)),
        None => json(404, r#"{"error":"no such token"}"#.to_string()),
    }
}
