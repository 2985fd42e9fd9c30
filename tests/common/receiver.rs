//! A local webhook receiver for the e2e suites: `tests/webhooks/receiver.py`, which verifies
//! each delivery with the public `standardwebhooks` library, run with the test venv's Python
//! (AXIS_PYTHON). Every delivery becomes a JSON row readable through `received()`.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Receiver {
    child: Option<Child>,
    pub port: u16,
}

/// A receiver on a free port and a webhook subscription named `tag` in `session`'s workspace
/// that delivers the events `filters` match to it, the receiver already holding its secret:
/// (the receiver, the subscription as created).
pub fn subscribed(session: &super::Session, tag: &str, filters: &[&str]) -> (Receiver, Value) {
    let receiver = Receiver::start(free_port(), tag, json!({}));
    let subscription = super::req("POST", "/api/settings/webhooks")
        .session(session)
        .json(&json!({"name": tag, "url": receiver.url(), "eventFilters": filters}))
        .send()
        .ok();
    receiver.control(json!({"secrets": [subscription["secret"]]}));
    (receiver, subscription)
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("addr").port()
}

fn python() -> String {
    std::env::var("AXIS_PYTHON").unwrap_or_else(|_| {
        let tools = std::env::var("AXIS_TOOLS").expect("AXIS_PYTHON or AXIS_TOOLS: run through `make test`");
        format!("{tools}/scim-venv/bin/python")
    })
}

impl Receiver {
    /// Starts a receiver on `port` logging to a file named after `tag`, with `control`.
    pub fn start(port: u16, tag: &str, control: Value) -> Receiver {
        let log = format!("{}/receiver-{tag}.jsonl", super::env("AXIS_STATE"));
        let child = Command::new(python())
            .args(["tests/webhooks/receiver.py", &port.to_string(), &log, &control.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("receiver starts");
        let receiver = Receiver { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&receiver.control_url("/_received")).call().is_err() {
            assert!(Instant::now() < deadline, "receiver on {port} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        receiver
    }

    fn control_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Where subscriptions should deliver.
    pub fn url(&self) -> String {
        self.control_url("/hook")
    }

    pub fn control(&self, control: Value) {
        ureq::post(&self.control_url("/_control")).send_json(&control).expect("control");
    }

    pub fn received(&self) -> Vec<Value> {
        let mut resp = ureq::get(&self.control_url("/_received")).call().expect("received");
        let rows: Value = resp.body_mut().read_json().expect("json");
        rows.as_array().cloned().unwrap_or_default()
    }

    /// Waits until `done` holds for the received rows; returns them.
    pub fn wait_for(&self, what: &str, timeout_secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(timeout_secs);
        loop {
            let rows = self.received();
            if done(&rows) {
                return rows;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; received: {}", json!(rows));
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}
