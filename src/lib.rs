//! AxisSynapse Edge: the tenant-integration API of an identity-security platform, as a
//! Cloudflare Worker.
//!
//! Core modules (`error`, `routes`, `http_url`, `time`, `session`, `audit`) are pure: no
//! `worker` types, no clocks, no I/O; they are unit-tested on the host. `edge` is the thin
//! shell that binds them to D1, Durable Objects and the fetch event.
//!
//! A panic in wasm poisons the isolate, so outside tests the crate denies the lints that hide
//! panics (`unwrap`, `expect`, `panic!`, `todo!`, `unimplemented!`, `unreachable!`); the test
//! command runs clippy with them. `console_error_panic_hook` logs any panic that still
//! happens, and an e2e test checks malformed requests leave the isolate alive.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable
    )
)]

pub mod attestation_policy;
pub mod audit;
pub mod edge;
pub mod error;
pub mod http_url;
pub mod netpolicy;
pub mod routes;
pub mod saml;
pub mod scim;
pub mod session;
pub mod stepup;
pub mod tenancy;
#[cfg(test)]
mod test_rng;
pub mod text_field;
pub mod time;
pub mod webauthn;
pub mod webhooks;

pub use edge::limits::RateBucket;
pub use edge::saml_state::SamlState;
pub use edge::sessions::UserSessions;

use worker::{event, Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    edge::handle(req, env, ctx).await
}

/// Webhook deliveries (`[[queues.consumers]]`).
#[event(queue)]
async fn queue(batch: MessageBatch<edge::queue::Envelope>, env: Env, _ctx: Context) -> worker::Result<()> {
    edge::queue::consume(batch, env).await;
    Ok(())
}

/// The cron (`[triggers]`): re-sends webhook deliveries the queue may have lost.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    edge::queue::scheduled(&env).await;
    edge::checkpoints::scheduled(&env).await;
}
