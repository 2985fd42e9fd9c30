//! Issue 17: the exact requests Okta and Microsoft Entra ID document for SCIM provisioning
//! (`tests/fixtures/scim/{okta,entra}/`, each file's source page in the README beside it),
//! replayed in order against the worker. Each step checks the answer's status, members of its
//! body (JSON pointers), members that must be absent, and, where the effect is only visible
//! elsewhere, a follow-up `GET`. Ids the replay creates are saved by name and substituted for
//! `{{name}}` in later paths, bodies and expectations.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::*;
use crate::scim::{scim, scim_token};
use serde_json::Value;

fn fixtures(vendor: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scim").join(vendor)
}

/// `text` with every `{{name}}` replaced by the saved value; an unknown name fails the test.
fn substitute(text: &str, saved: &BTreeMap<String, String>) -> String {
    let out = saved.iter().fold(text.to_string(), |t, (name, value)| t.replace(&format!("{{{{{name}}}}}"), value));
    assert!(!out.contains("{{"), "unresolved placeholder in {out}");
    out
}

fn substituted(value: &Value, saved: &BTreeMap<String, String>) -> Value {
    serde_json::from_str(&substitute(&value.to_string(), saved)).expect("expectation stays JSON")
}

/// Checks `expect` (pointer → value) and `absent` (pointers) of a step or its `then`.
fn check(what: &str, body: &Value, spec: &Value, saved: &BTreeMap<String, String>) {
    if let Some(expect) = spec["expect"].as_object() {
        for (pointer, wanted) in expect {
            let wanted = substituted(wanted, saved);
            assert_eq!(body.pointer(pointer), Some(&wanted), "{what}: {pointer} in {body}");
        }
    }
    for pointer in spec["absent"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        assert!(body.pointer(pointer).is_none(), "{what}: {pointer} should be absent from {body}");
    }
}

fn body_of(resp: &Resp) -> Value {
    if resp.body.is_empty() {
        Value::Null
    } else {
        resp.json()
    }
}

fn replay(vendor: &str) {
    let dir = fixtures(vendor);
    let script: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("replay.json")).expect("replay.json")).expect("JSON");
    let token = scim_token(&format!("{vendor} replay"));
    let mut saved = BTreeMap::new();
    let steps = script["steps"].as_array().expect("steps");
    assert!(steps.len() >= 10, "{vendor}: a replay of every documented request");
    for step in steps {
        let name = step["name"].as_str().expect("name");
        let method = step["method"].as_str().expect("method");
        let path = substitute(step["path"].as_str().expect("path"), &saved);
        let mut request = scim(method, &path, &token);
        if let Some(file) = step["body"].as_str() {
            let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            request = request.raw("application/scim+json", substitute(&text, &saved).as_bytes());
        }
        let resp = request.send();
        let what = format!("{vendor} step {name:?} ({method} {path})");
        assert_eq!(resp.status, step["status"].as_u64().expect("status") as u16, "{what}: {}", resp.body);
        let body = body_of(&resp);
        check(&what, &body, step, &saved);
        for (key, pointer) in step["save"].as_object().into_iter().flatten() {
            let value = body.pointer(pointer.as_str().expect("pointer")).and_then(Value::as_str);
            saved.insert(key.clone(), value.unwrap_or_else(|| panic!("{what}: nothing at {pointer}")).to_string());
        }
        if let Some(then) = step.get("then") {
            let path = substitute(then["path"].as_str().expect("then.path"), &saved);
            let read = scim("GET", &path, &token).send();
            let what = format!("{what}, then GET {path}");
            assert_eq!(read.status, then["status"].as_u64().unwrap_or(200) as u16, "{what}: {}", read.body);
            check(&what, &body_of(&read), then, &saved);
        }
    }
}

#[test]
fn okta_documented_requests_replay_in_order() {
    replay("okta");
}

#[test]
fn entra_documented_requests_replay_in_order() {
    replay("entra");
}
