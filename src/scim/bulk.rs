//! SCIM Bulk operations (RFC 7644 §3.7): the BulkRequest message and its limits (§3.7.4),
//! `bulkId` references (§3.7.2), the order the operations run in and circular references
//! (§3.7.1), and the BulkResponse (§3.7.3). Pure: the edge runs each operation through the
//! single-resource code and reports back ([`Job`]), so every operation is validated, written,
//! audited and emitted exactly as the same call made alone.
//!
//! # Request
//! `schemas` lists `urn:ietf:params:scim:api:messages:2.0:BulkRequest`; `Operations` (member
//! names in any case) holds at most [`MAX_OPERATIONS`] operations, each with `method` (`POST`,
//! `PUT`, `PATCH`, `DELETE`, any case), `path` (`/Users`, `/Groups` for POST, else
//! `/Users/{id}`, `/Groups/{id}`), `bulkId` (required for POST, unique in the request), `data`
//! (an object: the body the single call takes; required but for DELETE) and an optional
//! `version` (an ETag the resource must still have: a precondition, §3.7 and §3.14).
//! `failOnErrors` (optional, a positive integer) stops the job once that many operations have
//! failed; the operations not run are not listed (§3.7.3). The body may be at most
//! [`MAX_PAYLOAD_SIZE`] bytes.
//!
//! # Choices
//! - A message that breaks this structure is refused whole (400 `invalidSyntax`, or
//!   `invalidValue` for a bad `method`, an empty or repeated `bulkId`, a `failOnErrors` that is
//!   not a positive integer), and more than [`MAX_OPERATIONS`] operations is 413
//!   `SCIM_BULK_TOO_LARGE`, before anything runs. Everything else fails one operation only
//!   (its `status` and `response` in the BulkResponse): a path that names no endpoint (400
//!   `invalidPath`), a reference to no POST of the request (400 `invalidValue`), a cycle, a
//!   failed dependency, and whatever the single call answers. The others go on (§3.7: "MUST
//!   continue performing as many changes as possible").
//! - A reference is a string `bulkId:<bulkId>`, as a whole string value anywhere in `data`
//!   (e.g. a group's `members[].value`, an enterprise `manager.value`) or as the id of a path
//!   (`/Users/bulkId:qwerty`); it names a POST of the same request and becomes the id that POST
//!   created (or found: POST /Users answers an existing userName with it). Text that merely
//!   contains the prefix (a PATCH path filter) is left as it is.
//! - Order: request order, except that an operation waits for the POSTs it references (the
//!   smallest topological order by position), so references resolve whatever order the client
//!   sent (§3.7.2). The response lists the operations in the order they ran.
//! - Circular references (§3.7.1: the provider "MUST try to resolve" them "but MAY stop after a
//!   failed attempt and instead return HTTP status code 409 (Conflict)"): operations whose
//!   references form a cycle cannot be ordered, and breaking the cycle would split an
//!   operation into a create and a later update, two writes where the client asked for one
//!   atomic operation (and the cycles the RFC shows, groups that are members of each other,
//!   cannot be stored here: members are users). So each operation of the cycle fails with 409
//!   `SCIM_BULK_CIRCULAR_REFERENCE`, one that references a failed (or not run) POST fails with
//!   409 `SCIM_BULK_DEPENDENCY_FAILED`, and the rest run. Neither has a `scimType`: none of
//!   RFC 7644 Table 9 fits.
//! - Each failure counts towards `failOnErrors`, whether found before running (a cycle) or
//!   answered by the call.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::scim::patch::member;
use crate::scim::schema::{ResourceType, GROUP_TYPE, USER_TYPE};
use crate::scim::write::describe;

/// The BulkRequest message schema (RFC 7644 §3.7).
pub const REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// The BulkResponse message schema (RFC 7644 §3.7).
pub const RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// Most operations in one request (`bulk.maxOperations` in `/ServiceProviderConfig`).
pub const MAX_OPERATIONS: usize = 1_000;
/// Largest request body in bytes (`bulk.maxPayloadSize`): 1 MiB.
pub const MAX_PAYLOAD_SIZE: usize = 1_048_576;
/// What starts a reference to another operation's resource (§3.7.2).
const REFERENCE: &str = "bulkId:";
/// Longest resource id in a path: the router's limit for a path segment.
const MAX_ID_LEN: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    const ALL: [Method; 4] = [Method::Post, Method::Put, Method::Patch, Method::Delete];

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(text))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The resource type an operation's path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn resource_type(self) -> &'static ResourceType {
        match self {
            Kind::User => &USER_TYPE,
            Kind::Group => &GROUP_TYPE,
        }
    }

    fn from_endpoint(segment: &str) -> Option<Self> {
        [Kind::User, Kind::Group].into_iter().find(|k| k.resource_type().endpoint.strip_prefix('/') == Some(segment))
    }
}

/// One operation of the request, as sent (references not yet resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub method: Method,
    pub path: String,
    pub bulk_id: Option<String>,
    pub version: Option<String>,
    /// The body of the single call; `Null` for DELETE.
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    pub fail_on_errors: Option<usize>,
    pub operations: Vec<Operation>,
}

fn syntax(detail: impl Into<String>) -> ApiError {
    ApiError::with_reason(ErrorCode::ScimInvalidSyntax, detail)
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::with_reason(ErrorCode::ScimInvalidValue, detail)
}

fn at(index: usize) -> impl Fn(ApiError) -> ApiError {
    move |mut e| {
        e.reason = Some(format!("Operations[{index}]: {}", e.reason.as_deref().unwrap_or(e.code.message())));
        e
    }
}

fn cut(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The refusal of a body over [`MAX_PAYLOAD_SIZE`] (RFC 7644 §3.7.4).
pub fn payload_too_large() -> ApiError {
    ApiError::with_reason(
        ErrorCode::ScimBulkTooLarge,
        format!("the request body is larger than maxPayloadSize ({MAX_PAYLOAD_SIZE} bytes)"),
    )
}

/// Reads and checks a BulkRequest (see the module documentation).
pub fn parse(body: &Value) -> Result<BulkRequest, ApiError> {
    let message =
        body.as_object().ok_or_else(|| syntax(format!("expected a BulkRequest object, found {}", describe(body))))?;
    let schemas = member(message, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|urn| urn.as_str().is_some_and(|u| u.eq_ignore_ascii_case(REQUEST_URN)))) {
        return Err(syntax(format!("expected `schemas` to list {REQUEST_URN}")));
    }
    let list = member(message, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("expected `Operations` to be an array of operations"))?;
    if list.len() > MAX_OPERATIONS {
        return Err(ApiError::with_reason(
            ErrorCode::ScimBulkTooLarge,
            format!("{} operations; maxOperations is {MAX_OPERATIONS}", list.len()),
        ));
    }
    let fail_on_errors = fail_on_errors(member(message, "failOnErrors"))?;
    let operations =
        list.iter().enumerate().map(|(i, op)| operation(op).map_err(at(i))).collect::<Result<Vec<_>, _>>()?;
    unique_bulk_ids(&operations)?;
    Ok(BulkRequest { fail_on_errors, operations })
}

fn fail_on_errors(given: Option<&Value>) -> Result<Option<usize>, ApiError> {
    match given {
        None | Some(Value::Null) => Ok(None),
        Some(n) => match n.as_u64().filter(|n| *n > 0) {
            Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            None => Err(invalid(format!("expected `failOnErrors` to be a positive integer, found {n}"))),
        },
    }
}

fn operation(op: &Value) -> Result<Operation, ApiError> {
    let op = op.as_object().ok_or_else(|| syntax(format!("expected an operation object, found {}", describe(op))))?;
    let text = |name: &str| match member(op, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(syntax(format!("expected `{name}` to be a string, found {}", describe(other)))),
    };
    let method = text("method")?.ok_or_else(|| syntax("expected a `method`"))?;
    let method = Method::parse(&method).ok_or_else(|| {
        invalid(format!("expected `method` to be POST, PUT, PATCH or DELETE, found {:?}", cut(&method)))
    })?;
    let path = text("path")?.ok_or_else(|| syntax("expected a `path`"))?;
    let bulk_id = text("bulkId")?;
    match (&bulk_id, method) {
        (Some(id), _) if id.is_empty() => return Err(invalid("expected a non-empty `bulkId`")),
        (None, Method::Post) => return Err(syntax("expected a `bulkId`: a POST needs one (RFC 7644 §3.7)")),
        _ => {}
    }
    let version = text("version")?;
    let data = match (method, member(op, "data")) {
        (Method::Delete, _) => Value::Null,
        (_, Some(data @ Value::Object(_))) => data.clone(),
        (_, found) => {
            let found = found.map_or("nothing", describe);
            return Err(syntax(format!(
                "expected `data` to be an object (the {} body), found {found}",
                method.as_str()
            )));
        }
    };
    Ok(Operation { method, path, bulk_id, version, data })
}

fn unique_bulk_ids(operations: &[Operation]) -> Result<(), ApiError> {
    let mut seen = BTreeMap::new();
    for (index, op) in operations.iter().enumerate() {
        let Some(id) = op.bulk_id.as_deref() else { continue };
        if let Some(first) = seen.insert(id, index) {
            let detail = format!("bulkId {:?} is also the bulkId of Operations[{first}]; bulkIds are unique", cut(id));
            return Err(at(index)(invalid(detail)));
        }
    }
    Ok(())
}

/// What a path names: a resource type endpoint (POST) or one resource, whose id may still be
/// a reference.
struct Target {
    kind: Kind,
    id: Option<String>,
}

fn target(op: &Operation) -> Result<Target, ApiError> {
    let refuse = |expected: &str| {
        ApiError::with_reason(ErrorCode::ScimInvalidPath, format!("path {:?}: expected {expected}", cut(&op.path)))
    };
    let (endpoint, id) = match op.path.strip_prefix('/').unwrap_or_default().split_once('/') {
        Some((endpoint, id)) => (endpoint, Some(id)),
        None => (op.path.strip_prefix('/').unwrap_or_default(), None),
    };
    let kind = Kind::from_endpoint(endpoint);
    match (op.method, kind, id) {
        (Method::Post, Some(kind), None) => Ok(Target { kind, id: None }),
        (Method::Post, _, _) => Err(refuse("/Users or /Groups for a POST")),
        (_, Some(kind), Some(id)) if !id.is_empty() && id.len() <= MAX_ID_LEN && !id.contains('/') => {
            Ok(Target { kind, id: Some(id.to_string()) })
        }
        (method, _, _) => Err(refuse(&format!("/Users/{{id}} or /Groups/{{id}} for a {}", method.as_str()))),
    }
}

/// The bulkIds an operation references, in its path and its data.
fn references(op: &Operation, target: &Target) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    if let Some(id) = target.id.as_deref().and_then(|id| id.strip_prefix(REFERENCE)) {
        found.insert(id.to_string());
    }
    references_in(&op.data, &mut found);
    found
}

fn references_in(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(REFERENCE) {
                found.insert(id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references_in(v, found)),
        Value::Object(members) => members.values().for_each(|v| references_in(v, found)),
        _ => {}
    }
}

/// One entry of the planned order: run the operation, or fail it without running.
#[derive(Debug)]
enum Step {
    Run(usize),
    Fail(usize, ApiError),
}

/// Every operation once, in the order they run (module documentation, "Order").
fn plan(operations: &[Operation]) -> Vec<Step> {
    let declared: BTreeMap<&str, usize> = operations
        .iter()
        .enumerate()
        .filter(|(_, op)| op.method == Method::Post)
        .filter_map(|(i, op)| op.bulk_id.as_deref().map(|id| (id, i)))
        .collect();
    let mut failed: Vec<Option<ApiError>> = vec![None; operations.len()];
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); operations.len()];
    for (i, op) in operations.iter().enumerate() {
        match dependencies(op, &declared) {
            Ok(d) => deps[i] = d,
            Err(e) => failed[i] = Some(e),
        }
    }
    for cycle in cycles(&deps) {
        let detail = format!(
            "the bulkId references of {} form a cycle (RFC 7644 §3.7.1); it is not broken here, since that would \
             split an operation into two writes",
            bulk_ids(operations, &cycle)
        );
        for &i in &cycle {
            failed[i] = Some(ApiError::with_reason(ErrorCode::ScimBulkCircularReference, detail.clone()));
        }
    }
    for (i, f) in failed.iter().enumerate() {
        if f.is_some() {
            deps[i].clear();
        }
    }
    topological(&deps)
        .into_iter()
        .map(|i| match failed[i].take() {
            Some(e) => Step::Fail(i, e),
            None => Step::Run(i),
        })
        .collect()
}

/// `"a", "b" and 3 more`: the bulkIds of a cycle, for its error.
fn bulk_ids(operations: &[Operation], cycle: &[usize]) -> String {
    const SHOWN: usize = 10;
    let names: Vec<String> = cycle
        .iter()
        .take(SHOWN)
        .filter_map(|&i| operations[i].bulk_id.as_deref())
        .map(|id| format!("{:?}", cut(id)))
        .collect();
    match cycle.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", names.join(", ")),
        _ => names.join(", "),
    }
}

/// The POSTs an operation must wait for; an error when its path names no endpoint or it
/// references a bulkId no POST of the request declares.
fn dependencies(op: &Operation, declared: &BTreeMap<&str, usize>) -> Result<Vec<usize>, ApiError> {
    let target = target(op)?;
    references(op, &target)
        .iter()
        .map(|id| {
            declared
                .get(id.as_str())
                .copied()
                .ok_or_else(|| invalid(format!("{REFERENCE}{} names no POST operation of this request", cut(id))))
        })
        .collect::<Result<BTreeSet<_>, _>>()
        .map(|set| set.into_iter().collect())
}

/// The strongly connected components that are cycles (two or more operations, or one that
/// references itself), by Tarjan's algorithm without recursion. `deps[i]` are the operations
/// `i` waits for.
fn cycles(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = deps.len();
    let (mut index, mut low, mut on_stack) = (vec![UNSEEN; n], vec![0; n], vec![false; n]);
    let (mut stack, mut next, mut found) = (Vec::new(), 0, Vec::new());
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        let mut calls = vec![(root, 0)];
        (index[root], low[root], next) = (next, next, next + 1);
        stack.push(root);
        on_stack[root] = true;
        while let Some(&(v, edge)) = calls.last() {
            if let Some(&w) = deps[v].get(edge) {
                if let Some(call) = calls.last_mut() {
                    call.1 += 1;
                }
                if index[w] == UNSEEN {
                    (index[w], low[w], next) = (next, next, next + 1);
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || deps[v].contains(&v) {
                    component.sort_unstable();
                    found.push(component);
                }
            }
        }
    }
    found
}

/// The smallest topological order by position of an acyclic `deps` (Kahn's algorithm with
/// the lowest ready position first).
fn topological(deps: &[Vec<usize>]) -> Vec<usize> {
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); deps.len()];
    for (i, d) in deps.iter().enumerate() {
        d.iter().for_each(|&j| dependents[j].push(i));
    }
    let mut ready: BTreeSet<usize> = (0..deps.len()).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(deps.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &k in &dependents[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.insert(k);
            }
        }
    }
    order
}

/// An operation ready to run: references resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    pub method: Method,
    pub kind: Kind,
    /// The resource acted on; `None` for POST.
    pub id: Option<String>,
    pub version: Option<String>,
    pub data: Value,
}

/// What running an operation gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The call answered `status`; `id` is the resource it acted on (a POST's new or found
    /// resource) and `version` its ETag afterwards (none after DELETE).
    Done {
        status: u16,
        id: String,
        version: Option<String>,
    },
    Failed(ApiError),
}

/// A bulk job: [`Job::next_operation`] hands out the operations in order, [`Job::record`] takes each
/// outcome, [`Job::finish`] is the BulkResponse.
pub struct Job {
    operations: Vec<Operation>,
    steps: std::vec::IntoIter<Step>,
    fail_on_errors: Option<usize>,
    /// The SCIM base URL, for `location`.
    base: String,
    request_id: String,
    /// bulkId → the id its POST created; `None` when that POST failed.
    created: BTreeMap<String, Option<String>>,
    current: Option<usize>,
    errors: usize,
    results: Vec<Value>,
}

impl Job {
    pub fn new(request: BulkRequest, base: &str, request_id: &str) -> Self {
        let steps = plan(&request.operations).into_iter();
        Self {
            operations: request.operations,
            steps,
            fail_on_errors: request.fail_on_errors,
            base: base.to_string(),
            request_id: request_id.to_string(),
            created: BTreeMap::new(),
            current: None,
            errors: 0,
            results: Vec::new(),
        }
    }

    /// The next operation to run, or `None` when every operation has run or `failOnErrors`
    /// failures stopped the job. Operations that fail without running (a bad path, a cycle, a
    /// failed dependency) are recorded on the way.
    pub fn next_operation(&mut self) -> Option<Ready> {
        loop {
            if self.fail_on_errors.is_some_and(|limit| self.errors >= limit) {
                return None;
            }
            match self.steps.next()? {
                Step::Fail(i, e) => self.fail(i, e),
                Step::Run(i) => match self.resolve(i) {
                    Ok(ready) => {
                        self.current = Some(i);
                        return Some(ready);
                    }
                    Err(e) => self.fail(i, e),
                },
            }
        }
    }

    /// The outcome of the operation [`Job::next_operation`] returned last.
    pub fn record(&mut self, outcome: Outcome) {
        let Some(i) = self.current.take() else { return };
        match outcome {
            Outcome::Done { status, id, version } => {
                let op = &self.operations[i];
                if let (Method::Post, Some(bulk_id)) = (op.method, &op.bulk_id) {
                    self.created.insert(bulk_id.clone(), Some(id.clone()));
                }
                let location = target(op).ok().map(|t| self.location(t.kind, &id));
                self.results.push(entry(op, location, status, version, None));
            }
            Outcome::Failed(e) => self.fail(i, e),
        }
    }

    /// The BulkResponse (§3.7.3): the operations that ran, in that order.
    pub fn finish(self) -> Value {
        json!({"schemas": [RESPONSE_URN], "Operations": self.results})
    }

    fn fail(&mut self, i: usize, error: ApiError) {
        self.errors += 1;
        let op = &self.operations[i];
        if let (Method::Post, Some(bulk_id)) = (op.method, &op.bulk_id) {
            self.created.insert(bulk_id.clone(), None);
        }
        // §3.7.3: a failed POST has no location; any other names the resource it was for.
        let location = match target(op) {
            Ok(Target { kind, id: Some(id) }) => self.resolve_text(&id).ok().map(|id| self.location(kind, &id)),
            _ => None,
        };
        let body = error.scim_body(&self.request_id);
        self.results.push(entry(op, location, error.status(), None, Some(body)));
    }

    fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}{}/{id}", self.base, kind.resource_type().endpoint)
    }

    fn resolve(&self, i: usize) -> Result<Ready, ApiError> {
        let op = &self.operations[i];
        let target = target(op)?;
        let id = target.id.map(|id| self.resolve_text(&id)).transpose()?;
        let mut data = op.data.clone();
        self.resolve_value(&mut data)?;
        Ok(Ready { method: op.method, kind: target.kind, id, version: op.version.clone(), data })
    }

    /// `text` with a reference replaced by the id its POST created.
    fn resolve_text(&self, text: &str) -> Result<String, ApiError> {
        let Some(bulk_id) = text.strip_prefix(REFERENCE) else { return Ok(text.to_string()) };
        match self.created.get(bulk_id) {
            Some(Some(id)) => Ok(id.clone()),
            _ => Err(ApiError::with_reason(
                ErrorCode::ScimBulkDependencyFailed,
                format!("{REFERENCE}{}: the POST that declares it failed, so nothing can refer to it", cut(bulk_id)),
            )),
        }
    }

    fn resolve_value(&self, value: &mut Value) -> Result<(), ApiError> {
        match value {
            Value::String(s) if s.starts_with(REFERENCE) => *s = self.resolve_text(s)?,
            Value::Array(items) => items.iter_mut().try_for_each(|v| self.resolve_value(v))?,
            Value::Object(members) => members.values_mut().try_for_each(|v| self.resolve_value(v))?,
            _ => {}
        }
        Ok(())
    }
}

/// One BulkResponse operation (§3.7.3): `status` is a string, as in the RFC's examples.
fn entry(
    op: &Operation,
    location: Option<String>,
    status: u16,
    version: Option<String>,
    response: Option<Value>,
) -> Value {
    let mut e = Map::new();
    e.insert("method".into(), json!(op.method.as_str()));
    if let Some(bulk_id) = &op.bulk_id {
        e.insert("bulkId".into(), json!(bulk_id));
    }
    if let Some(version) = version {
        e.insert("version".into(), json!(version));
    }
    if let Some(location) = location {
        e.insert("location".into(), json!(location));
    }
    e.insert("status".into(), json!(status.to_string()));
    if let Some(response) = response {
        e.insert("response".into(), response);
    }
    Value::Object(e)
}

#[cfg(test)]
#[path = "bulk_tests.rs"]
mod tests;
