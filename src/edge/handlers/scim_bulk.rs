//! SCIM Bulk (RFC 7644 §3.7) at `POST /api/scim/v2/Bulk`: reads the BulkRequest within
//! maxPayloadSize (§3.7.4), lets the pure core plan it (`scim::bulk`: limits, `bulkId`
//! references, order, cycles, failOnErrors) and runs each operation through the very
//! functions of the single-resource routes (`handlers::scim`). So each operation is validated,
//! written in one D1 batch with its audit row and webhook outbox rows, and audited and
//! emitted exactly as the same call made alone; its failure is its own entry in the
//! BulkResponse (§3.7.3), never the request's.

use serde_json::Value;

use super::scim::{self, Change};
use crate::edge::auth::ScimClient;
use crate::edge::http::{fault, log_fault, Body, Ctx, Reply};
use crate::error::{ApiResult, ErrorCode};
use crate::scim::bulk::{self, Job, Kind, Method, Outcome, Ready};

pub async fn bulk(cx: &mut Ctx, c: &ScimClient) -> ApiResult<Reply> {
    let body: Value = cx.json_within(bulk::MAX_PAYLOAD_SIZE).await.map_err(|e| match e.code {
        ErrorCode::PayloadTooLarge => bulk::payload_too_large(),
        _ => e,
    })?;
    let mut job = Job::new(bulk::parse(&body)?, &scim::base(cx), &cx.request_id);
    while let Some(op) = job.next_operation() {
        let (method, id) = (op.method, op.id.clone());
        let answer = run(cx, c, op).await;
        job.record(outcome(cx, answer, method, id));
    }
    Ok(scim::scim_json(job.finish()))
}

/// One operation, as the single-resource route would run it.
/// An operation's `version` is its `If-Match` (§3.7, §3.14): the same check, made again by a
/// guard inside the write's batch, so a stale or raced one is 412 with nothing written.
async fn run(cx: &Ctx, c: &ScimClient, op: Ready) -> ApiResult<Reply> {
    // `Ready::id` is set for every method but POST.
    let id = op.id.as_deref().unwrap_or_default();
    let version = op.version.as_deref();
    match (op.method, op.kind) {
        (Method::Post, Kind::User) => scim::create_user(cx, c, op.data).await,
        (Method::Put, Kind::User) => scim::change_user(cx, c, (id, Change::Replace), op.data, version).await,
        (Method::Patch, Kind::User) => scim::change_user(cx, c, (id, Change::Patch), op.data, version).await,
        (Method::Delete, Kind::User) => scim::delete_user(cx, c, id, version).await,
        (Method::Post, Kind::Group) => scim::create_group(cx, c, op.data).await,
        (Method::Put, Kind::Group) => scim::change_group(cx, c, (id, Change::Replace), op.data, version).await,
        (Method::Patch, Kind::Group) => scim::change_group(cx, c, (id, Change::Patch), op.data, version).await,
        (Method::Delete, Kind::Group) => scim::delete_group(cx, c, id, version).await,
    }
}

/// What the single call answered, for the BulkResponse: its status, the resource it acted on
/// (a POST's from its body) and its ETag; or its error, logged if internal.
fn outcome(cx: &Ctx, answer: ApiResult<Reply>, method: Method, id: Option<String>) -> Outcome {
    let reply = match answer {
        Ok(reply) => reply,
        Err(e) => {
            log_fault(&e, &cx.request_id);
            return Outcome::Failed(e);
        }
    };
    let version = reply.headers.iter().find(|(k, _)| k == "etag").map(|(_, v)| v.clone());
    let created = match &reply.body {
        Body::Json(resource) => resource["id"].as_str().map(str::to_string),
        _ => None,
    };
    match id.or(created) {
        Some(id) => Outcome::Done { status: reply.status, id, version },
        None => {
            let e = fault("SCIM bulk", format!("{} answered no resource id", method.as_str()));
            log_fault(&e, &cx.request_id);
            Outcome::Failed(e)
        }
    }
}
