//! Password sign-in, sign-out and identifier-first SSO discovery.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use crate::audit::actions::Action;
use crate::edge::auth::{cookie_name, same_origin, Principal};
use crate::edge::config::auth_secret;
use crate::edge::crypto::{self, new_id, random};
use crate::edge::handlers::{passkeys, stepup};
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::sessions::{SessionRecord, SessionsClient, ABSOLUTE_MS, IDLE_MS};
use crate::edge::store::ledger::{Actor, Event, Origin};
use crate::edge::store::users::{self, UserRow};
use crate::edge::store::{directory, session_index};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::policy::Surface;
use crate::session::{device, jwe, password, signin};
use crate::stepup::Factor;
use crate::tenancy::Shard;
use crate::text_field;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
    /// Workspace slug, needed only when the email belongs to several workspaces.
    workspace: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscoverBody {
    email: String,
    workspace: Option<String>,
}

/// The one membership this sign-in is about: the directory names the email's workspaces and
/// their shards, each shard is asked (concurrently) for its rows. The request then acts on the
/// chosen workspace's shard.
async fn membership(cx: &Ctx, email: &str, workspace: Option<&str>) -> ApiResult<Option<UserRow>> {
    let placements = directory::memberships(&cx.directory()?, email).await?;
    let mut by_shard: BTreeMap<Shard, Vec<&str>> = BTreeMap::new();
    for p in &placements {
        by_shard.entry(p.shard).or_default().push(&p.workspace_id);
    }
    let reads = by_shard.iter().filter_map(|(shard, ids)| {
        let db = cx.shard_db(*shard)?;
        Some(async move { users::by_email(&db, email, ids).await.map(|rows| (*shard, rows)) })
    });
    let mut rows: Vec<(Shard, UserRow)> = Vec::new();
    for read in futures_util::future::join_all(reads).await {
        let (shard, found) = read?;
        rows.extend(found.into_iter().map(|u| (shard, u)));
    }
    if let Some(slug) = workspace {
        rows.retain(|(_, u)| u.ws_slug == slug);
    }
    match rows.len() {
        0 => Ok(None),
        1 => Ok(rows.pop().map(|(shard, user)| {
            cx.enter(shard);
            user
        })),
        _ => Err(ApiError::with_reason(
            ErrorCode::ValidationError,
            "workspace: this email belongs to several workspaces; pass the workspace slug",
        )),
    }
}

fn failure(action: Action, code: ErrorCode, user: &UserRow) -> Event {
    Event {
        action,
        actor: Actor { kind: "user", id: Some(user.id.clone()) },
        resource_id: Some(user.id.clone()),
        data: json!({"code": code.as_str(), "email": user.email}),
    }
}

pub async fn verify_password(password: &str, stored: &str) -> ApiResult<bool> {
    let parsed = password::parse(stored).map_err(|e| crate::edge::http::fault("stored password hash", e))?;
    let derived = crypto::pbkdf2_sha256(password.as_bytes(), &parsed.salt, parsed.iterations).await?;
    Ok(parsed.matches(&derived))
}

pub async fn login(cx: &mut Ctx) -> ApiResult<Reply> {
    same_origin(cx)?;
    let body: LoginBody = cx.json().await?;
    let email = text_field::email("email", &body.email)?;
    if body.password.is_empty() || body.password.len() > 1024 {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, "password: 1 to 1024 bytes"));
    }
    let user = membership(cx, &email, body.workspace.as_deref()).await?;
    crate::edge::limits::sign_in(cx, &email, user.as_ref()).await?;
    let Some(user) = user else {
        // Same work as a real check, so timing does not tell provisioned emails apart.
        let _ = crypto::pbkdf2_sha256(body.password.as_bytes(), b"axissynapse-no-user", password::ITERATIONS).await?;
        return Err(ErrorCode::NotProvisioned.into());
    };
    let actor = Actor { kind: "user", id: Some(user.id.clone()) };
    crate::edge::netgate::enforce(cx, (&user).into(), Surface::SignIn, actor).await?;
    let origin = Origin { workspace_id: &user.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
    let sessions = SessionsClient::new(&cx.env, &user.workspace_id, &user.id)?;
    let account = user.account(&sessions.login_gate().await?);
    if let Err(refusal) = signin::before_password(&account, cx.now_ms) {
        queue::record(cx, &origin, &[failure(Action::SigninFailed, refusal.code(), &user)], vec![]).await?;
        return Err(refusal.to_error());
    }
    let stored = user.password_hash.as_deref().unwrap_or_default();
    if !verify_password(&body.password, stored).await? {
        let counters = sessions.login_failed(cx.now_ms).await?;
        let mut events = vec![failure(Action::SigninFailed, ErrorCode::InvalidCredentials, &user)];
        let refusal = match counters.locked_until.filter(|&until| until > cx.now_ms) {
            Some(until) => {
                if counters.locked_now {
                    events.push(Event {
                        data: json!({"failedAttempts": signin::MAX_FAILED_ATTEMPTS, "lockedForSeconds": signin::LOCKOUT_MS / 1000, "until": crate::time::format_ms(until)}),
                        ..failure(Action::LockedOut, ErrorCode::AccountLocked, &user)
                    });
                }
                signin::Refusal::Locked {
                    retry_after_secs: u64::try_from((until - cx.now_ms + 999) / 1000).unwrap_or(1),
                }
            }
            None => signin::Refusal::InvalidCredentials,
        };
        queue::record(cx, &origin, &events, vec![]).await?;
        return Err(refusal.to_error());
    }
    sessions.login_reset().await?;
    if let Err(refusal) = signin::after_password(&account) {
        queue::record(cx, &origin, &[failure(Action::SigninFailed, refusal.code(), &user)], vec![]).await?;
        if refusal == signin::Refusal::MfaRequired {
            return enrolment_session(cx, &user).await;
        }
        return Err(refusal.to_error());
    }
    if user.mfa_enrolled != 0 {
        return second_factor_challenge(cx, &user).await;
    }
    start_session(cx, &user, vec![], vec![]).await
}

/// MFA is required and the user has no factor: 401 MFA_REQUIRED, with an enrolment-only
/// session (cookies set) that reaches only the enrolment routes, so the user can enrol a
/// passkey or authenticator app at /portal/security and then sign in with it.
async fn enrolment_session(cx: &Ctx, user: &UserRow) -> ApiResult<Reply> {
    let reply = open_session(cx, user, vec![], vec![], Opening::EnrolmentOnly).await?;
    let err =
        ApiError::with_reason(ErrorCode::MfaRequired, "enrol a second factor at /portal/security, then sign in again")
            .field("enrolmentSession", json!(true));
    Ok(Reply { status: err.status(), body: crate::edge::http::Body::Json(err.body()), headers: reply.headers })
}

/// How long the second step of a sign-in may take.
const MFA_STEP_TTL_MS: i64 = 5 * 60 * 1000;

/// The password was right and the user has a second factor: no session yet. Answers with a
/// single-use `mfaToken` (its hash kept in the user's Durable Object for five minutes), the
/// factors the user can use and, with a passkey, WebAuthn request options.
async fn second_factor_challenge(cx: &Ctx, user: &UserRow) -> ApiResult<Reply> {
    use base64::Engine as _;
    let db = cx.db()?;
    let inventory = stepup::inventory(&db, user).await?;
    let factors: Vec<&str> = Factor::ALL.iter().filter(|f| inventory.has(**f)).map(|f| f.code()).collect();
    let token = format!(
        "mfa_{}.{}.{}.{}",
        cx.tenant()?.tag(),
        user.workspace_id,
        user.id,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?)
    );
    let sessions = SessionsClient::new(&cx.env, &user.workspace_id, &user.id)?;
    let expires_at = cx.now_ms + MFA_STEP_TTL_MS;
    sessions.put_challenge("login-mfa", &crate::session::sha256_hex(token.as_bytes()), expires_at).await?;
    let mut public_key = serde_json::Value::Null;
    if inventory.has(Factor::Webauthn) {
        let challenge = random::<32>()?;
        sessions
            .put_challenge(
                "login-webauthn",
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(challenge),
                expires_at,
            )
            .await?;
        let rp_id = passkeys::RelyingParty::of(cx).id;
        public_key = crate::webauthn::options::request_options(&rp_id, &challenge, &inventory.allow_list()?, 300_000);
    }
    let origin = Origin { workspace_id: &user.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
    let event = Event {
        action: Action::SigninMfaChallenged,
        actor: Actor { kind: "user", id: Some(user.id.clone()) },
        resource_id: Some(user.id.clone()),
        data: json!({"factors": factors}),
    };
    queue::record(cx, &origin, &[event], vec![]).await?;
    Ok(Reply::json(json!({
        "mfaRequired": true,
        "mfaToken": token,
        "factors": factors,
        "publicKey": public_key,
        "expiresAt": crate::time::format_ms(expires_at),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SecondFactorBody {
    mfa_token: String,
    webauthn: Option<stepup::AssertionJson>,
    totp: Option<String>,
    backup_code: Option<String>,
}

/// `POST /api/auth/login/mfa`: the second step. One attempt per `mfaToken`.
pub async fn login_second_factor(cx: &mut Ctx) -> ApiResult<Reply> {
    same_origin(cx)?;
    let body: SecondFactorBody = cx.json().await?;
    let factor = stepup::sent_factor(&body.webauthn, &body.totp, &body.backup_code)?;
    let expired = || ApiError::with_reason(ErrorCode::ChallengeExpired, "sign in with the password again");
    let rest = body.mfa_token.strip_prefix("mfa_").filter(|t| t.len() <= 200).ok_or_else(expired)?;
    let mut parts = rest.splitn(4, '.');
    let (Some(tag), Some(workspace_id), Some(user_id), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(expired());
    };
    let shard = Shard::of_tagged(tag).filter(|_| tag.len() == crate::tenancy::TAG_LEN).ok_or_else(expired)?;
    let db = cx.shard_db(shard).ok_or_else(expired)?;
    let (shard, user) = crate::edge::forwarding::user(cx, shard, &db, workspace_id, user_id).await?;
    cx.enter(shard);
    let user = user.ok_or_else(expired)?;
    let sessions = SessionsClient::new(&cx.env, &user.workspace_id, &user.id)?;
    let stored = sessions.take_challenge("login-mfa", cx.now_ms).await?.ok_or_else(expired)?;
    if !crate::session::ct_eq(stored.as_bytes(), crate::session::sha256_hex(body.mfa_token.as_bytes()).as_bytes()) {
        return Err(expired());
    }
    signin::after_password(&user.account(&Default::default())).map_err(|r| r.to_error())?;
    let actor = Actor { kind: "user", id: Some(user.id.clone()) };
    let origin = Origin { workspace_id: &user.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
    let sent = (&body.webauthn, &body.totp, &body.backup_code);
    let proof = match stepup::prove_factor(cx, &user, &actor, "login-webauthn", sent).await {
        Ok(proof) => proof,
        Err(err) if err.code == ErrorCode::RateLimited => return Err(err),
        Err(err) => {
            let event = Event {
                data: json!({"code": err.code.as_str(), "factor": factor.code()}),
                ..failure(Action::SigninFailed, err.code, &user)
            };
            queue::record(cx, &origin, &[event], vec![]).await?;
            return Err(err);
        }
    };
    start_session(cx, &user, proof.changes, proof.events).await
}

/// Creates the session object, its index row and the audit row, and sets the cookies.
pub async fn start_session(
    cx: &Ctx,
    user: &UserRow,
    changes: Vec<worker::D1PreparedStatement>,
    events: Vec<Event>,
) -> ApiResult<Reply> {
    open_session(cx, user, changes, events, Opening::Full).await
}

/// A session opened by a verified SAML assertion (the IdP did the authentication); the
/// groups the assertion asserted are recorded on the sign-in audit row.
pub async fn start_sso_session(cx: &Ctx, user: &UserRow, provider_id: &str, groups: &[String]) -> ApiResult<Reply> {
    open_session(cx, user, vec![], vec![], Opening::Saml { provider_id, groups }).await
}

/// How a session comes to be opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opening<'a> {
    Full,
    /// MFA is required and not enrolled: the session reaches only the enrolment routes.
    EnrolmentOnly,
    Saml {
        provider_id: &'a str,
        groups: &'a [String],
    },
}

async fn open_session(
    cx: &Ctx,
    user: &UserRow,
    mut changes: Vec<worker::D1PreparedStatement>,
    mut events: Vec<Event>,
    opening: Opening<'_>,
) -> ApiResult<Reply> {
    let restricted = opening == Opening::EnrolmentOnly;
    let db = cx.db()?;
    let now = cx.now_ms;
    let record = SessionRecord {
        id: new_id("sess_")?,
        workspace_id: user.workspace_id.clone(),
        user_id: user.id.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + IDLE_MS,
        absolute_expires_at: now + ABSOLUTE_MS,
        revoked_at: None,
        device_label: device::label(&cx.user_agent()),
        ip_prefix: cx.client_ip.as_deref().and_then(device::ip_prefix),
        location: location(cx),
        restricted,
    };
    SessionsClient::new(&cx.env, &user.workspace_id, &user.id)?.create(record.clone()).await?;
    let index = session_index::insert(&db, &record)?;
    let method = match (opening, user.mfa_enrolled != 0) {
        (Opening::EnrolmentOnly, _) => "password (enrolment only)",
        (Opening::Saml { .. }, _) => "saml",
        (Opening::Full, true) => "password+mfa",
        (Opening::Full, false) => "password",
    };
    let mut data = json!({"sessionId": record.id, "method": method});
    if let Opening::Saml { provider_id, groups } = opening {
        data["providerId"] = json!(provider_id);
        data["groups"] = json!(groups);
    }
    events.push(Event {
        action: Action::SigninSucceeded,
        actor: Actor { kind: "user", id: Some(user.id.clone()) },
        resource_id: Some(user.id.clone()),
        data,
    });
    let origin = Origin { workspace_id: &user.workspace_id, ip: cx.client_ip.as_deref(), now_ms: now };
    changes.push(index);
    queue::record(cx, &origin, &events, changes).await?;
    let body = json!({
        "user": user.to_json(),
        "session": {"id": record.id, "expiresAt": crate::time::format_ms(record.expires_at)},
    });
    session_cookies(cx, Reply::json(body), user, &record)
}

/// Where the request comes from, from Cloudflare's `cf` data when present.
pub fn location(cx: &Ctx) -> Option<String> {
    let cf = cx.req.cf()?;
    let parts: Vec<String> = [cf.city(), cf.region(), cf.country()].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn cookie(cx: &Ctx, name: &str, value: &str, max_age_secs: i64, http_only: bool) -> String {
    let secure = if cx.https { "; Secure" } else { "" };
    let http_only = if http_only { "; HttpOnly" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age_secs}; SameSite=Lax{http_only}{secure}")
}

/// Sets the Auth.js session cookie and the `as_sid` mirror for `record`.
pub fn session_cookies(cx: &Ctx, reply: Reply, user: &UserRow, record: &SessionRecord) -> ApiResult<Reply> {
    let now_secs = cx.now_ms / 1000;
    let exp = record.expires_at.min(record.absolute_expires_at) / 1000;
    let claims = jwe::SessionClaims {
        sub: user.id.clone(),
        email: user.email.clone(),
        name: user.display_name.clone(),
        wid: user.workspace_id.clone(),
        shd: Some(cx.tenant()?),
        sid: record.id.clone(),
        role: user.role.clone(),
        iat: now_secs,
        exp,
        jti: new_id("")?,
    };
    let name = cookie_name(cx.https);
    let token = jwe::seal_session(&claims, auth_secret(&cx.env)?.as_bytes(), name, random::<16>()?)
        .map_err(|e| crate::edge::http::fault("seal session", e))?;
    let max_age = exp - now_secs;
    Ok(reply
        .header("set-cookie", cookie(cx, name, &token, max_age, true))
        .header("set-cookie", cookie(cx, "as_sid", &record.id, max_age, false)))
}

/// Expires both cookies.
pub fn clear_cookies(cx: &Ctx, reply: Reply) -> Reply {
    reply
        .header("set-cookie", cookie(cx, cookie_name(cx.https), "", 0, true))
        .header("set-cookie", cookie(cx, "as_sid", "", 0, false))
}

/// Revokes one session in its object, then marks the index row and audits, atomically.
pub async fn end_session(cx: &Ctx, who: &Principal, sid: &str, action: Action) -> ApiResult<bool> {
    let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
    if !sessions.revoke(sid, cx.now_ms).await? {
        return Ok(false);
    }
    let db = cx.db()?;
    let index = session_index::revoke(&db, who.workspace_id(), sid, cx.now_ms)?;
    let event =
        Event { action, actor: who.actor(), resource_id: Some(sid.to_string()), data: json!({"sessionId": sid}) };
    let origin = who.origin(cx);
    queue::record(cx, &origin, &[event], vec![index]).await?;
    Ok(true)
}

pub async fn logout(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let sid = who.session_id().unwrap_or_default().to_string();
    end_session(cx, who, &sid, Action::SignedOut).await?;
    Ok(clear_cookies(cx, Reply::json(json!({"signedOut": true}))))
}

/// Identifier-first discovery: may this email's workspace use SSO?
pub async fn sso_discover(cx: &mut Ctx) -> ApiResult<Reply> {
    let body: DiscoverBody = cx.json().await?;
    let email = text_field::email("email", &body.email)?;
    let user = membership(cx, &email, body.workspace.as_deref()).await?.ok_or(ErrorCode::NotProvisioned)?;
    let account = user.account(&Default::default());
    signin::sso_allowed(account.workspace_active, account.policy).map_err(|r| r.to_error())?;
    let providers = crate::edge::store::saml::list(&cx.db()?, &user.workspace_id).await?;
    let providers: Vec<serde_json::Value> = providers
        .iter()
        .filter(|p| p.enabled != 0)
        .map(|p| json!({"id": p.id, "name": p.name, "type": "saml", "loginUrl": format!("{}/api/saml/{}/login", cx.origin, p.id)}))
        .collect();
    Ok(Reply::json(json!({
        "workspaceId": user.workspace_id,
        "signInPolicy": account.policy.as_str(),
        "providers": providers,
    })))
}
