//! E2E harness: a blocking HTTP client for the worker under `wrangler dev`, started by
//! `scripts/test.sh`, which exports AXIS_BASE_URL, AXIS_SECRETS (seeded passwords and tokens)
//! and AXIS_STATE (the throwaway state dir). Tests fail loudly when these are missing.
#![allow(dead_code)]

pub mod receiver;

use serde_json::Value;
use std::io::Read;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the e2e suite through `make test`"))
}

pub fn base() -> String {
    env("AXIS_BASE_URL")
}

pub fn secrets() -> Value {
    let text = std::fs::read_to_string(env("AXIS_SECRETS")).expect("secrets file");
    serde_json::from_str(&text).expect("secrets json")
}

pub fn password(email: &str) -> String {
    secrets()["passwords"][email].as_str().unwrap_or_else(|| panic!("no seeded password for {email}")).to_string()
}

/// No request of the suite may take longer than this: a stall fails the test, it never hangs CI.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .into()
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.as_str()).collect()
    }

    /// Asserts the error envelope: status, code, and a human `error` string.
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "expected {status} {code}, got: {}", self.body);
        let body = self.json();
        assert_eq!(body["code"], code, "body: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "envelope lacks error: {body}");
        body
    }

    pub fn ok(&self) -> Value {
        assert!((200..300).contains(&self.status), "expected success, got {}: {}", self.status, self.body);
        self.json()
    }
}

/// A request being built.
pub struct Req {
    builder: ureq::http::request::Builder,
    body: Vec<u8>,
    client_ip_set: bool,
    /// Send `Origin: <base>` as a browser on the worker's own page does, unless the test set one.
    same_origin: bool,
    origin_set: bool,
}

/// The development-only header that stands in for CF-Connecting-IP.
pub const CLIENT_IP: &str = "x-axissynapse-client-ip";

/// A distinct address in 198.18.0.0/15 (RFC 2544, benchmarking) for each request that does not
/// name one, so the suite's hundreds of sign-ins do not share one per-address rate limit.
/// Tests that exercise per-address behaviour set the header themselves.
fn spread_client_ip() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).wrapping_add(std::process::id().wrapping_mul(7919));
    let host = n % (1 << 17);
    format!("198.{}.{}.{}", 18 + (host >> 16), (host >> 8) & 0xff, host & 0xff)
}

pub fn req(method: &str, path: &str) -> Req {
    Req {
        builder: ureq::http::Request::builder().method(method).uri(format!("{}{path}", base())),
        body: Vec::new(),
        client_ip_set: false,
        same_origin: false,
        origin_set: false,
    }
}

impl Req {
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.client_ip_set |= k.eq_ignore_ascii_case(CLIENT_IP);
        self.origin_set |= k.eq_ignore_ascii_case("origin");
        self.builder = self.builder.header(k, v);
        self
    }

    pub fn client_ip(self, ip: &str) -> Self {
        self.header(CLIENT_IP, ip)
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn cookie(self, cookie: &str) -> Self {
        self.header("cookie", cookie)
    }

    /// The session cookie as a browser on the worker's own origin sends it: with `Origin`
    /// (cookie-authenticated writes need it, or another CSRF proof). Use [`Req::cookie`] for
    /// the bare cookie.
    pub fn session(mut self, s: &Session) -> Self {
        self.same_origin = true;
        self.cookie(&s.cookie)
    }

    pub fn json(self, v: &Value) -> Self {
        self.raw("application/json", v.to_string().as_bytes())
    }

    pub fn raw(mut self, content_type: &str, body: &[u8]) -> Self {
        self.builder = self.builder.header("content-type", content_type);
        self.body = body.to_vec();
        self
    }

    pub fn send(mut self) -> Resp {
        if !self.client_ip_set {
            self.builder = self.builder.header(CLIENT_IP, spread_client_ip());
        }
        if self.same_origin && !self.origin_set {
            self.builder = self.builder.header("origin", base());
        }
        let request = self.builder.body(self.body).expect("request");
        let mut response = agent().run(request).expect("worker reachable");
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let mut body = String::new();
        response.body_mut().as_reader().read_to_string(&mut body).expect("body");
        Resp { status: response.status().as_u16(), headers, body }
    }
}

/// A signed-in browser: the session cookie plus the session id.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub sid: String,
    pub token: String,
}

pub fn try_login(email: &str, password: &str) -> Resp {
    req("POST", "/api/auth/login").json(&serde_json::json!({"email": email, "password": password})).send()
}

pub fn login(email: &str) -> Session {
    session_of(&try_login(email, &password(email)))
}

/// The session a successful sign-in response set.
pub fn session_of(resp: &Resp) -> Session {
    let body = resp.ok();
    let token = session_cookie(resp).expect("session cookie set");
    Session {
        cookie: format!("authjs.session-token={token}"),
        sid: body["session"]["id"].as_str().expect("sid").to_string(),
        token,
    }
}

/// The `authjs.session-token` value a response sets, if any.
pub fn session_cookie(resp: &Resp) -> Option<String> {
    resp.set_cookies().iter().find_map(|c| {
        c.strip_prefix("authjs.session-token=").map(|v| v.split(';').next().unwrap_or_default().to_string())
    })
}

pub const ADMIN: &str = "admin@demo.axissynapse.test";
pub const MEMBER: &str = "member@demo.axissynapse.test";
pub const OTHER_ADMIN: &str = "admin@other.test";

pub fn admin_pat() -> String {
    secrets()["pat"].as_str().expect("pat").to_string()
}
