//! AxisSynapse Edge: the tenant-integration API of an identity-security platform, as a
//! Cloudflare Worker.
//!
//! Core modules (`error`, `routes`, `http_url`, `time`, `session`, `audit`) are pure: no
//! `worker` types, no clocks, no I/O; they are unit-tested on the host. `edge` is the thin
//! shell that binds them to D1, Durable Objects and the fetch event.

pub mod attestation_policy;
pub mod audit;
pub mod edge;
pub mod error;
pub mod http_url;
pub mod netpolicy;
pub mod routes;
pub mod scim;
pub mod session;
pub mod stepup;
pub mod time;
pub mod webauthn;

pub use edge::limits::RateBucket;
pub use edge::sessions::UserSessions;

use worker::{event, Context, Env, Request, Response};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    edge::handle(req, env, ctx).await
}
