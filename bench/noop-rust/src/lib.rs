//! The no-op baseline: every request gets the same small JSON 200, with nothing read or checked.

use worker::{event, Context, Env, Headers, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(Response::from_bytes(br#"{"ok":true}"#.to_vec())?.with_headers(headers))
}
