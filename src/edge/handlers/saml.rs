//! SAML 2.0 single sign-on, service-provider side (SAML Profiles §4.1 Web Browser SSO):
//! per-workspace identity-provider configuration (admin, step-up protected, audited), SP
//! metadata, SP-initiated login (HTTP-POST or HTTP-Redirect binding) and the Assertion
//! Consumer Service, which verifies the Response through the pure core (`crate::saml`) and
//! Web Crypto, maps the subject to a workspace user (or provisions one just in time) and
//! opens a session exactly as password sign-in does. An admin's test sign-in runs the same
//! login and every ACS check, but opens no session and provisions no one: the verdict (the
//! asserted identity, or the failed check) is kept for the admin to read once.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Digest;

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::crypto::{hex, new_id, random, verify_signature};
use crate::edge::handlers::{auth as sign_in, stepup};
use crate::edge::http::{Body, Ctx, Reply};
use crate::edge::queue;
use crate::edge::saml_state::{SamlStateClient, TestRun, REQUEST_TTL_MS};
use crate::edge::store::ledger::{Actor, Event, Origin};
use crate::edge::store::saml::{self as store, AttributeMapping, Provider};
use crate::edge::store::users::{self, NewUser, UserRow};
use crate::edge::store::{directory, workspaces};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::policy::Surface;
use crate::saml::response::{self, Expectations, Identity, ParsedResponse, SamlError};
use crate::saml::{authn_request, metadata};
use crate::session::signin::{self, SignInPolicy};
use crate::stepup::Purpose;
use crate::text_field;
use crate::webauthn::{certificate_details, certificate_public_key, CoseKey};

/// NameID format asked for when none is configured.
pub const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// Default and largest allowed clock skew.
const DEFAULT_SKEW_SECS: i64 = 60;
const MAX_SKEW_SECS: i64 = 300;
/// Largest ACS form body (a 256 KiB response, base64 and form-encoded).
const MAX_ACS_BODY: usize = 512 * 1024;

fn invalid(reason: impl Into<String>) -> ApiError {
    ApiError::with_reason(ErrorCode::ValidationError, reason.into())
}

fn sp_entity_id(cx: &Ctx, id: &str) -> String {
    format!("{}/api/saml/{id}/metadata", cx.origin)
}

fn acs_url(cx: &Ctx, id: &str) -> String {
    format!("{}/api/saml/{id}/acs", cx.origin)
}

pub(crate) fn certificate_key(b64: &str) -> Option<CoseKey> {
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    certificate_public_key(&der).ok()
}

/// A configured certificate as an admin sees it: fingerprint, key type, the certificate itself
/// (public; what `certificates` takes back, for a rotation), subject and validity (days left
/// against `now_ms`).
fn certificate_view(c: &str, now_ms: i64) -> Value {
    let der = base64::engine::general_purpose::STANDARD.decode(c).unwrap_or_default();
    let kind = match certificate_key(c) {
        Some(CoseKey::Es256 { .. }) => "EC P-256",
        Some(CoseKey::Rs256 { .. }) => "RSA",
        _ => "unsupported",
    };
    let mut view = json!({"sha256": hex(&sha2::Sha256::digest(&der)), "keyType": kind, "der": c});
    if let Ok(d) = certificate_details(&der) {
        view["subject"] = json!(d.subject);
        view["notBefore"] = json!(crate::time::format_ms(d.not_before_ms));
        view["notAfter"] = json!(crate::time::format_ms(d.not_after_ms));
        view["daysLeft"] = json!(d.days_left(now_ms));
        view["expired"] = json!(now_ms > d.not_after_ms);
    }
    view
}

fn view(cx: &Ctx, p: &Provider) -> Value {
    let certificates: Vec<Value> = p.certificates().iter().map(|c| certificate_view(c, cx.now_ms)).collect();
    json!({
        "id": p.id, "name": p.name, "idpEntityId": p.idp_entity_id, "ssoUrl": p.sso_url,
        "ssoBinding": p.sso_binding, "certificates": certificates, "nameIdFormat": p.name_id_format,
        "attributeMapping": p.mapping(), "jitProvisioning": p.jit_provisioning != 0,
        "allowedSkewSeconds": p.allowed_skew_secs, "enabled": p.enabled != 0,
        "spEntityId": sp_entity_id(cx, &p.id), "acsUrl": acs_url(cx, &p.id),
        "metadataUrl": sp_entity_id(cx, &p.id), "loginUrl": format!("{}/api/saml/{}/login", cx.origin, p.id),
        "createdAt": crate::time::format_ms(p.created_at), "updatedAt": crate::time::format_ms(p.updated_at),
    })
}

// ---------------------------------------------------------------- configuration (admin)

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ProviderBody {
    name: Option<String>,
    metadata_xml: Option<String>,
    idp_entity_id: Option<String>,
    sso_url: Option<String>,
    sso_binding: Option<String>,
    certificates: Option<Vec<String>>,
    name_id_format: Option<String>,
    attribute_mapping: Option<AttributeMapping>,
    jit_provisioning: Option<bool>,
    allowed_skew_seconds: Option<i64>,
    enabled: Option<bool>,
}

/// A certificate as pasted: PEM or bare base64 DER; must carry a P-256 or RSA key.
pub(crate) fn certificate(text: &str) -> ApiResult<String> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let refused = |why: &str| {
        ApiError::with_reason(ErrorCode::SamlCertificateInvalid, why.to_string()).field("field", json!("certificates"))
    };
    let der = base64::engine::general_purpose::STANDARD.decode(&body).map_err(|_| refused("not PEM or base64 DER"))?;
    certificate_public_key(&der)
        .map_err(|e| refused(&format!("not an X.509 certificate with a P-256 or RSA key: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(der))
}

/// The IdP's SSO URL: https (http only for a loopback IdP in development), no quotes,
/// whitespace or separators that could break the page's CSP.
fn sso_url(cx: &Ctx, url: &str) -> ApiResult<String> {
    let local = !cx.production && (url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost"));
    let clean =
        url.len() <= 2048 && !url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>;,\\".contains(c));
    if !(url.starts_with("https://") || local) || !clean || crate::http_url::split(url).is_none() {
        return Err(invalid("ssoUrl: an https:// URL of at most 2,048 characters"));
    }
    Ok(url.to_string())
}

/// Applies a create or update body to `p`, importing IdP metadata first when given.
fn apply(cx: &Ctx, p: &mut Provider, body: ProviderBody) -> ApiResult<()> {
    if let Some(xml) = &body.metadata_xml {
        let refused = |why: String| {
            ApiError::with_reason(ErrorCode::SamlMetadataInvalid, why).field("field", json!("metadataXml"))
        };
        let idp = metadata::parse_idp_metadata(xml).map_err(|e| refused(e.to_string()))?;
        p.idp_entity_id = idp.entity_id;
        match (idp.sso_post_url, idp.sso_redirect_url) {
            (Some(url), _) => (p.sso_url, p.sso_binding) = (sso_url(cx, &url)?, "post".into()),
            (None, Some(url)) => (p.sso_url, p.sso_binding) = (sso_url(cx, &url)?, "redirect".into()),
            (None, None) => return Err(refused("no SingleSignOnService".into())),
        }
        let certs: Vec<String> =
            idp.signing_certificates.iter().map(|d| base64::engine::general_purpose::STANDARD.encode(d)).collect();
        p.certificates = serde_json::to_string(&certs).unwrap_or_else(|_| "[]".into());
        if let Some(format) = idp.name_id_formats.first() {
            p.name_id_format = format.clone();
        }
    }
    if let Some(name) = body.name {
        p.name = text_field::label("name", &name, 100)?.to_string();
    }
    if let Some(id) = body.idp_entity_id {
        if id.is_empty() || id.len() > 1024 {
            return Err(invalid("idpEntityId: 1 to 1,024 characters"));
        }
        text_field::no_control("idpEntityId", &id)?;
        p.idp_entity_id = id;
    }
    if let Some(url) = body.sso_url {
        p.sso_url = sso_url(cx, &url)?;
    }
    if let Some(binding) = body.sso_binding {
        if !["post", "redirect"].contains(&binding.as_str()) {
            return Err(invalid("ssoBinding: post or redirect"));
        }
        p.sso_binding = binding;
    }
    if let Some(certs) = body.certificates {
        let certs = certs.iter().map(|c| certificate(c)).collect::<ApiResult<Vec<_>>>()?;
        p.certificates = serde_json::to_string(&certs).unwrap_or_else(|_| "[]".into());
    }
    if let Some(format) = body.name_id_format {
        p.name_id_format = format;
    }
    if let Some(mapping) = body.attribute_mapping {
        p.attribute_mapping = serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into());
    }
    if let Some(jit) = body.jit_provisioning {
        p.jit_provisioning = i64::from(jit);
    }
    if let Some(skew) = body.allowed_skew_seconds {
        if !(0..=MAX_SKEW_SECS).contains(&skew) {
            return Err(invalid(format!("allowedSkewSeconds: 0 to {MAX_SKEW_SECS}")));
        }
        p.allowed_skew_secs = skew;
    }
    if let Some(enabled) = body.enabled {
        p.enabled = i64::from(enabled);
    }
    complete(p)
}

fn complete(p: &Provider) -> ApiResult<()> {
    let certs = p.certificates();
    if !(1..=2).contains(&certs.len()) {
        return Err(ApiError::with_reason(
            ErrorCode::SamlCertificateInvalid,
            "certificates: one IdP signing certificate, or two during a rotation",
        )
        .field("field", json!("certificates")));
    }
    if p.idp_entity_id.is_empty() || p.sso_url.is_empty() {
        return Err(invalid("idpEntityId and ssoUrl (or metadataXml) are required"));
    }
    Ok(())
}

fn event(action: Action, actor: Actor, p: &Provider, data: Value) -> Event {
    let mut data = data;
    data["providerId"] = json!(p.id);
    data["name"] = json!(p.name);
    Event { action, actor, resource_id: Some(p.id.clone()), data }
}

pub async fn list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let providers = store::list(&cx.db()?, who.workspace_id()).await?;
    Ok(Reply::json(json!({"providers": providers.iter().map(|p| view(cx, p)).collect::<Vec<_>>()})))
}

/// The caller's workspace's provider `id`; another workspace's is 404 `SAML_NOT_CONFIGURED` too.
async fn own_provider(db: &crate::edge::db::Db, who: &Principal, id: &str) -> ApiResult<Provider> {
    Ok(store::get(db, who.workspace_id(), id).await?.ok_or(ErrorCode::SamlNotConfigured)?)
}

pub async fn get(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let p = own_provider(&cx.db()?, who, id).await?;
    Ok(Reply::json(view(cx, &p)))
}

pub async fn create(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: ProviderBody = cx.json_within(MAX_ACS_BODY).await?;
    if body.name.is_none() {
        return Err(invalid("name is required"));
    }
    let mut p = Provider {
        id: new_id("samlp_")?,
        workspace_id: who.workspace_id().to_string(),
        name: String::new(),
        idp_entity_id: String::new(),
        sso_url: String::new(),
        sso_binding: "post".into(),
        certificates: "[]".into(),
        name_id_format: EMAIL_FORMAT.into(),
        attribute_mapping: serde_json::to_string(&AttributeMapping::default()).unwrap_or_default(),
        jit_provisioning: 0,
        allowed_skew_secs: DEFAULT_SKEW_SECS,
        enabled: 1,
        created_at: cx.now_ms,
        updated_at: cx.now_ms,
    };
    apply(cx, &mut p, body)?;
    stepup::require_if_enrolled(cx, who, Purpose::SamlProviderChange).await?;
    let db = cx.db()?;
    directory::index_saml_provider(&cx.directory()?, &p.id, &p.workspace_id).await?;
    let e = event(
        Action::SamlProviderCreated,
        who.actor(),
        &p,
        json!({"idpEntityId": p.idp_entity_id, "ssoUrl": p.sso_url}),
    );
    queue::record(cx, &who.origin(cx), &[e], vec![store::insert(&db, &p)?]).await?;
    Ok(Reply::json(view(cx, &p)))
}

pub async fn update(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let body: ProviderBody = cx.json_within(MAX_ACS_BODY).await?;
    let db = cx.db()?;
    let before = own_provider(&db, who, id).await?;
    let mut after = before.clone();
    apply(cx, &mut after, body)?;
    after.updated_at = cx.now_ms;
    stepup::require_if_enrolled(cx, who, Purpose::SamlProviderChange).await?;
    let (b, a) = (view(cx, &before), view(cx, &after));
    let changed: Vec<&String> = a
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| b.get(*k) != Some(*v) && *k != "updatedAt")
        .map(|(k, _)| k)
        .collect();
    let e = event(Action::SamlProviderUpdated, who.actor(), &after, json!({"changed": changed}));
    queue::record(cx, &who.origin(cx), &[e], vec![store::update(&db, &after)?]).await?;
    Ok(Reply::json(view(cx, &after)))
}

pub async fn delete(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let db = cx.db()?;
    let p = own_provider(&db, who, id).await?;
    stepup::require_if_enrolled(cx, who, Purpose::SamlProviderChange).await?;
    let e = event(Action::SamlProviderDeleted, who.actor(), &p, json!({}));
    queue::record(cx, &who.origin(cx), &[e], vec![store::delete(&db, who.workspace_id(), &p.id)?]).await?;
    directory::unindex_saml_provider(&cx.directory()?, &p.id).await?;
    Ok(Reply::json(json!({"deleted": true, "id": p.id})))
}

// ---------------------------------------------------------------- test sign-in (admin)

/// `POST /api/settings/saml-providers/{id}/test`: opens a test sign-in (single use, 10
/// minutes) and answers the login URL for the admin's browser to open.
pub async fn test_start(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let p = own_provider(&cx.db()?, who, id).await?;
    sso_allowed(cx, &p).await?;
    let test_id = format!("samlt_{}", hex(&random::<16>()?));
    let expires_at = cx.now_ms + REQUEST_TTL_MS;
    SamlStateClient::new(&cx.env, &p.id)?.open_test(&test_id, &who.user.id, expires_at).await?;
    let login_url = format!("{}/api/saml/{}/login?test={test_id}", cx.origin, p.id);
    let body = json!({"testId": test_id, "loginUrl": login_url, "expiresAt": crate::time::format_ms(expires_at)});
    Ok(Reply::json(body).status(201))
}

/// `GET /api/settings/saml-providers/{id}/test?testId=`: `pending` while the sign-in runs,
/// then its verdict, which is forgotten once read.
pub async fn test_result(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let p = own_provider(&cx.db()?, who, id).await?;
    let test_id = cx
        .query_param("testId")
        .filter(|t| !t.is_empty() && t.len() <= 64)
        .ok_or_else(|| invalid("testId: the id that POST …/test answered"))?
        .to_string();
    let status =
        SamlStateClient::new(&cx.env, &p.id)?.take_test(&test_id, cx.now_ms).await?.ok_or_else(test_not_found)?;
    let verdict = status.verdict.map(|v| serde_json::from_str::<Value>(&v).unwrap_or(Value::Null));
    let state = if verdict.is_some() { "done" } else { "pending" };
    Ok(Reply::json(json!({"testId": test_id, "status": state, "verdict": verdict})))
}

/// A passed test: who the assertion names and what signing in would do with them.
async fn passed_verdict(cx: &Ctx, p: &Provider, identity: &Identity) -> ApiResult<Value> {
    let email = subject_email(p, identity);
    let account = match &email {
        None => "no_email",
        Some(email) => match users::by_email(&cx.db()?, email, &[&p.workspace_id]).await?.pop() {
            Some(user) if user.status == "active" => "existing",
            Some(_) => "disabled",
            None if p.jit_provisioning != 0 => "would_provision",
            None => "not_provisioned",
        },
    };
    let attributes: Vec<Value> =
        identity.attributes.iter().map(|(name, values)| json!({"name": name, "values": values})).collect();
    Ok(json!({"ok": true, "nameId": identity.name_id, "nameIdFormat": identity.name_id_format,
              "email": email, "account": account, "attributes": attributes}))
}

/// A failed test: the error body the ACS would have answered, with its `check`.
fn failed_verdict(failure: &AcsFailure) -> Value {
    let mut verdict = failure.error.body();
    verdict["ok"] = json!(false);
    verdict["check"] = json!(failure.check);
    verdict
}

/// Keeps a test's verdict for its admin, audits it, and answers the page that tells the
/// admin's portal window the verdict is ready.
async fn tested(cx: &Ctx, p: &Provider, run: &TestRun, verdict: Value) -> ApiResult<Reply> {
    SamlStateClient::new(&cx.env, &p.id)?.settle(&run.test_id, &verdict.to_string()).await?;
    let mut data = json!({"testId": run.test_id, "ok": verdict["ok"]});
    if verdict["ok"] == json!(false) {
        data["check"] = verdict["check"].clone();
    }
    let actor = Actor { kind: "user", id: Some(run.actor_id.clone()) };
    let origin = Origin { workspace_id: &p.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
    queue::record(cx, &origin, &[event(Action::SamlProviderTested, actor, p, data)], vec![]).await?;
    crate::edge::handlers::portal::saml_test_done()
}

// ---------------------------------------------------------------- metadata and login

/// The provider behind a public SAML route, if it exists and is enabled.
async fn enabled_provider(cx: &Ctx, id: &str) -> ApiResult<Provider> {
    placed_provider(cx, id).await?.filter(|p| p.enabled != 0).ok_or_else(not_enabled)
}

fn not_enabled() -> ApiError {
    ApiError::with_reason(ErrorCode::SamlNotConfigured, "no enabled SAML provider with this id")
}

/// The provider behind a public SAML route, enabled or not (tests run on disabled ones too).
async fn placed_provider(cx: &Ctx, id: &str) -> ApiResult<Option<Provider>> {
    let placement = directory::saml_provider(&cx.directory()?, id).await?;
    let found = match placement.and_then(|at| cx.shard_db(at.shard).map(|db| (at.shard, db))) {
        Some((shard, db)) => {
            cx.enter(shard);
            store::by_id(&db, id).await?
        }
        None => None,
    };
    Ok(found)
}

/// SSO is refused when the workspace is inactive or password-only.
async fn sso_allowed(cx: &Ctx, p: &Provider) -> ApiResult<()> {
    let ws = workspaces::get(&cx.db()?, &p.workspace_id).await?.ok_or(ErrorCode::SamlNotConfigured)?;
    let policy = SignInPolicy::parse(&ws.sign_in_policy).unwrap_or(SignInPolicy::PasswordOnly);
    signin::sso_allowed(ws.status == "active", policy).map_err(|r| r.to_error())
}

pub async fn sp_metadata(cx: &mut Ctx, id: &str) -> ApiResult<Reply> {
    let p = enabled_provider(cx, id).await?;
    let xml = metadata::sp_metadata(&sp_entity_id(cx, &p.id), &acs_url(cx, &p.id), &[p.name_id_format.as_str()], None);
    Ok(Reply { status: 200, headers: Vec::new(), body: Body::Text(xml) }
        .header("content-type", "application/samlmetadata+xml; charset=utf-8")
        .header("cache-control", "public, max-age=300"))
}

/// Starts SP-initiated SSO: a fresh AuthnRequest ID remembered (single use, 10 minutes)
/// with the relay state, sent by the provider's binding. With `test`, the request runs that
/// admin's test sign-in (once; no relay state) on the provider, enabled or not.
pub async fn login(cx: &mut Ctx, id: &str) -> ApiResult<Reply> {
    let test = cx.query_param("test").map(str::to_string);
    let p = match &test {
        None => enabled_provider(cx, id).await?,
        Some(_) => placed_provider(cx, id).await?.ok_or_else(not_enabled)?,
    };
    sso_allowed(cx, &p).await?;
    let request_id = format!("_{}", hex(&random::<16>()?));
    let state = SamlStateClient::new(&cx.env, &p.id)?;
    let relay = match &test {
        Some(test_id) => {
            if test_id.len() > 64 || !state.start_test(test_id, &request_id, cx.now_ms).await? {
                return Err(test_not_found());
            }
            None
        }
        None => {
            let relay = relay_state(cx)?;
            state.issue(&request_id, relay, cx.now_ms + REQUEST_TTL_MS).await?;
            relay
        }
    };
    let acs = acs_url(cx, &p.id);
    let entity = sp_entity_id(cx, &p.id);
    let request = authn_request::AuthnRequest {
        id: &request_id,
        issue_instant_ms: cx.now_ms,
        destination: &p.sso_url,
        acs_url: &acs,
        sp_entity_id: &entity,
        name_id_format: Some(&p.name_id_format),
    };
    let xml = request.to_xml();
    if p.sso_binding == "redirect" {
        let location = authn_request::redirect_url(&p.sso_url, &xml, relay);
        return Ok(Reply { status: 302, headers: Vec::new(), body: Body::Empty }.header("location", location));
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
    let page = authn_request::post_form(&p.sso_url, &encoded, relay);
    Ok(html(page, &p.sso_url))
}

fn relay_state(cx: &Ctx) -> ApiResult<Option<&str>> {
    match cx.query_param("relayState") {
        None => Ok(None),
        Some(value) => authn_request::safe_relay_state(value).map(Some).ok_or_else(|| {
            ApiError::with_reason(
                ErrorCode::SamlRelayStateInvalid,
                "relayState must be a same-origin path such as /home",
            )
        }),
    }
}

fn test_not_found() -> ApiError {
    ApiError::with_reason(
        ErrorCode::NotFound,
        "no SAML test sign-in with this id is waiting (unknown, already used, or older than 10 minutes)",
    )
}

/// An HTML page whose only script is the auto-submit, allowed by its hash, posting only to
/// the IdP.
fn html(page: String, form_action: &str) -> Reply {
    let script = authn_request::post_form_script_csp_source();
    Reply { status: 200, headers: Vec::new(), body: Body::Text(page) }
        .header("content-type", "text/html; charset=utf-8")
        .header(
            "content-security-policy",
            format!("default-src 'none'; script-src {script}; form-action {form_action}; base-uri 'none'; frame-ancestors 'none'"),
        )
}

// ---------------------------------------------------------------- assertion consumer service

/// A refusal at the ACS: its API code and the core's precise reason (for the audit row),
/// the request the Response answers when known before it was consumed, and the test sign-in
/// it was part of once known.
struct AcsFailure {
    error: ApiError,
    check: &'static str,
    request: Option<String>,
    test: Option<TestRun>,
}

impl From<ApiError> for AcsFailure {
    fn from(error: ApiError) -> Self {
        Self { check: "internal", error, request: None, test: None }
    }
}

impl AcsFailure {
    fn answering(self, request: Option<String>) -> Self {
        Self { request, ..self }
    }

    fn during(self, test: Option<TestRun>) -> Self {
        Self { test, ..self }
    }
}

fn refused(code: ErrorCode, check: &'static str, reason: impl Into<String>) -> AcsFailure {
    let error = ApiError::with_reason(code, reason.into()).field("check", json!(check));
    AcsFailure { error, check, request: None, test: None }
}

/// A core refusal: its API code ([`SamlError::error_code`]) and the failed check.
fn core_refusal(e: &SamlError) -> AcsFailure {
    refused(e.error_code(), e.code(), e.to_string())
}

/// `SAMLResponse` and `RelayState` of the POSTed form.
async fn form(cx: &mut Ctx) -> Result<(String, Option<String>), AcsFailure> {
    let media = cx.header("content-type").unwrap_or_default();
    if !media.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(refused(ErrorCode::UnsupportedMediaType, "media_type", "POST the HTTP-POST binding's form"));
    }
    let bytes = cx.req.bytes().await.map_err(|e| AcsFailure::from(crate::edge::http::fault("read body", e)))?;
    if bytes.len() > MAX_ACS_BODY {
        return Err(refused(ErrorCode::PayloadTooLarge, "too_large", "the form is larger than 512 KiB"));
    }
    let text = String::from_utf8(bytes).map_err(|_| refused(ErrorCode::InvalidSamlResponse, "form", "not UTF-8"))?;
    let field = |name: &str| {
        text.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| crate::http_url::decode(v))
    };
    let response = field("SAMLResponse")
        .ok_or_else(|| refused(ErrorCode::InvalidSamlResponse, "form", "no SAMLResponse field"))?;
    let xml = crate::saml::xml::decode_base64(&response)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| refused(ErrorCode::InvalidSamlResponse, "form", "SAMLResponse is not base64 UTF-8 XML"))?;
    Ok((xml, field("RelayState")))
}

/// Every signature in the Response verifies with one of the provider's certificates.
async fn verify(p: &Provider, parsed: &ParsedResponse) -> Result<(), AcsFailure> {
    let keys: Vec<CoseKey> = p.certificates().iter().filter_map(|c| certificate_key(c)).collect();
    for (covered, check) in &parsed.checks {
        let mut ok = false;
        for key in &keys {
            if let Some(signature) = check.for_key(key) {
                if verify_signature(&signature).await? {
                    ok = true;
                    break;
                }
            }
        }
        if !ok {
            return Err(refused(
                ErrorCode::SamlSignatureInvalid,
                "signature_not_trusted",
                format!("the {covered} signature does not verify with the provider's certificates"),
            ));
        }
    }
    Ok(())
}

/// What a verified Response led to.
enum Outcome {
    SignedIn(Reply),
    Tested(TestRun, Value),
}

/// The Assertion Consumer Service (HTTP-POST binding). On success: 303 to the relay state
/// with the session cookies; on failure the error envelope, and an audit row naming the
/// failed check. A test sign-in's Response, passed or failed, answers the test's end page.
pub async fn acs(cx: &mut Ctx, id: &str) -> ApiResult<Reply> {
    let p = placed_provider(cx, id).await?.ok_or_else(not_enabled)?;
    let failure = match consume(cx, &p).await {
        Ok(Outcome::SignedIn(reply)) => return Ok(reply),
        Ok(Outcome::Tested(run, verdict)) => return tested(cx, &p, &run, verdict).await,
        Err(failure) => failure,
    };
    let run = match (&failure.test, &failure.request) {
        (Some(run), _) => Some(run.clone()),
        (None, Some(request)) => SamlStateClient::new(&cx.env, &p.id)?.claim_request(request, cx.now_ms).await?,
        (None, None) => None,
    };
    match run {
        Some(run) => tested(cx, &p, &run, failed_verdict(&failure)).await,
        None if p.enabled == 0 => Err(not_enabled()),
        None => {
            let data = json!({"method": "saml", "providerId": p.id, "code": failure.error.code.as_str(), "check": failure.check,
                              "reason": failure.error.body().get("reason").cloned()});
            let e = Event { action: Action::SigninFailed, actor: Actor::anonymous(), resource_id: None, data };
            let origin = Origin { workspace_id: &p.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
            queue::record(cx, &origin, &[e], vec![]).await?;
            Err(failure.error)
        }
    }
}

async fn consume(cx: &mut Ctx, p: &Provider) -> Result<Outcome, AcsFailure> {
    sso_allowed(cx, p).await?;
    let (xml, _posted_relay) = form(cx).await?;
    let parsed = response::parse(&xml).map_err(|e| core_refusal(&e))?;
    verify(p, &parsed).await.map_err(|f| f.answering(parsed.in_response_to.clone()))?;
    let state = SamlStateClient::new(&cx.env, &p.id)?;
    let (request_id, consumed) =
        match &parsed.in_response_to {
            Some(rid) => match state.consume(rid, cx.now_ms).await? {
                Some(consumed) => (Some(rid.as_str()), Some(consumed)),
                None => return Err(refused(
                    ErrorCode::SamlInResponseToInvalid,
                    "in_response_to_unknown",
                    "InResponseTo names no pending request of ours (unknown, already used, or older than 10 minutes)",
                )),
            },
            None => (None, None),
        };
    let (relay, test) = consumed.map_or((None, None), |c| (c.relay_state, c.test));
    if test.is_none() && p.enabled == 0 {
        return Err(not_enabled().into());
    }
    let identity = checked(cx, p, &parsed, request_id, &state).await.map_err(|f| f.during(test.clone()))?;
    if let Some(run) = test {
        return Ok(Outcome::Tested(run, passed_verdict(cx, p, &identity).await?));
    }
    let user = subject_user(cx, p, &identity).await?;
    let actor = Actor { kind: "user", id: Some(user.id.clone()) };
    crate::edge::netgate::enforce(cx, (&user).into(), Surface::SignIn, actor).await?;
    let groups_attribute = p.mapping().groups;
    let groups = identity.attributes.iter().find(|(name, _)| *name == groups_attribute).map(|(_, v)| v.as_slice());
    let reply = sign_in::start_sso_session(cx, &user, &p.id, groups.unwrap_or_default()).await?;
    let location = relay.unwrap_or_else(|| "/".to_string());
    Ok(Outcome::SignedIn(Reply { status: 303, headers: reply.headers, body: Body::Empty }.header("location", location)))
}

/// The core's checks against this provider and request, then the replay check.
async fn checked(
    cx: &Ctx,
    p: &Provider,
    parsed: &ParsedResponse,
    request_id: Option<&str>,
    state: &SamlStateClient,
) -> Result<Identity, AcsFailure> {
    let (sp, acs) = (sp_entity_id(cx, &p.id), acs_url(cx, &p.id));
    let expectations = Expectations {
        sp_entity_id: &sp,
        acs_url: &acs,
        idp_entity_id: &p.idp_entity_id,
        request_id,
        allow_idp_initiated: false,
        now_ms: cx.now_ms,
        skew_ms: p.allowed_skew_secs * 1000,
        want_assertions_signed: false,
    };
    let identity = parsed.validate(&expectations).map_err(|e| core_refusal(&e))?;
    if !state.accept(&identity.assertion_id, identity.replay_until_ms, cx.now_ms).await? {
        return Err(refused(ErrorCode::SamlReplayed, "replayed", "this assertion was already used to sign in"));
    }
    Ok(identity)
}

/// The email the assertion names: the mapped attribute, else the NameID; lower case.
fn subject_email(p: &Provider, identity: &Identity) -> Option<String> {
    let mapping = p.mapping();
    let email = response::attribute(identity, &[mapping.email.as_str()])
        .map(str::to_string)
        .unwrap_or_else(|| identity.name_id.clone())
        .trim()
        .to_ascii_lowercase();
    (email.contains('@') && email.len() <= 320).then_some(email)
}

/// The workspace user the assertion names, by email: active users sign in; unknown ones are
/// provisioned when the provider allows just-in-time provisioning.
async fn subject_user(cx: &Ctx, p: &Provider, identity: &Identity) -> Result<UserRow, AcsFailure> {
    let mapping = p.mapping();
    let Some(email) = subject_email(p, identity) else {
        return Err(refused(
            ErrorCode::InvalidSamlResponse,
            "no_email",
            "the assertion carries no email (NameID or mapped attribute)",
        ));
    };
    let db = cx.db()?;
    let existing = users::by_email(&db, &email, &[&p.workspace_id]).await?.pop();
    let user = match existing {
        Some(user) => user,
        None if p.jit_provisioning != 0 => provision(cx, p, identity, &mapping, &email).await?,
        None => {
            return Err(refused(
                ErrorCode::NotProvisioned,
                "not_provisioned",
                format!("{email} is not a user of this workspace"),
            ))
        }
    };
    if user.ws_status != "active" {
        return Err(refused(ErrorCode::WorkspaceInactive, "workspace_inactive", "the workspace is not active"));
    }
    if user.status != "active" {
        return Err(refused(ErrorCode::AccountDisabled, "account_disabled", "the user is disabled"));
    }
    Ok(user)
}

async fn provision(
    cx: &Ctx,
    p: &Provider,
    identity: &Identity,
    mapping: &AttributeMapping,
    email: &str,
) -> Result<UserRow, AcsFailure> {
    let given = response::attribute(identity, &[mapping.given_name.as_str()]).unwrap_or_default();
    let family = response::attribute(identity, &[mapping.family_name.as_str()]).unwrap_or_default();
    let name = format!("{given} {family}").trim().to_string();
    let id = new_id("u_")?;
    let db = cx.db()?;
    let new = NewUser {
        id: &id,
        workspace_id: &p.workspace_id,
        email,
        display_name: (!name.is_empty()).then_some(name.as_str()),
        role: "member",
        provisioned_by: "saml_jit",
        password_hash: None,
        now: cx.now_ms,
    };
    let e = Event {
        action: Action::SamlUserProvisioned,
        actor: Actor { kind: "system", id: None },
        resource_id: Some(id.clone()),
        data: json!({"providerId": p.id, "email": email, "nameId": identity.name_id}),
    };
    let origin = Origin { workspace_id: &p.workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms };
    directory::index_emails(&cx.directory()?, &p.workspace_id, &[email]).await?;
    queue::record(cx, &origin, &[e], users::insert(&db, &new)?).await?;
    let user = users::get(&db, &p.workspace_id, &id).await?;
    user.ok_or_else(|| AcsFailure::from(crate::edge::http::fault("jit", "user vanished after insert")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The `check` table of `api/error-codes.md`: check → code.
    fn documented() -> BTreeMap<String, String> {
        let mut rows = BTreeMap::new();
        for line in include_str!("../../../api/error-codes.md").lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let (Some(check), Some(code)) = (cells.get(1).and_then(|c| c.strip_prefix('`')), cells.get(2)) {
                let check = check.trim_end_matches('`').to_string();
                assert!(rows.insert(check.clone(), code.to_string()).is_none(), "{check} twice");
            }
        }
        rows
    }

    /// The checks this file refuses with itself: `refused(ErrorCode::X, "check", …)`.
    fn edge_checks() -> BTreeMap<String, String> {
        let mut checks = BTreeMap::new();
        let source = include_str!("saml.rs").split("\n#[cfg(test)]").next().unwrap();
        for call in source.split("refused(").skip(1) {
            let Some(rest) = call.trim_start().strip_prefix("ErrorCode::") else { continue };
            let (variant, rest) = rest.split_at(rest.find(|c: char| !c.is_alphanumeric()).unwrap());
            let check = rest.trim_start_matches([',', ' ', '\n']).strip_prefix('"').unwrap();
            let check = &check[..check.find('"').unwrap()];
            let code = ErrorCode::ALL.iter().find(|c| format!("{c:?}") == variant).unwrap().as_str();
            let known = checks.insert(check.to_string(), code.to_string());
            assert!(known.is_none_or(|c| c == code), "{check} refused with two codes");
        }
        checks
    }

    #[test]
    fn core_refusals_answer_with_the_variants_code_and_check() {
        for (error, code, check) in crate::saml::response::tests::every_error() {
            let failure = core_refusal(&error);
            let body = failure.error.body();
            assert_eq!(
                (failure.check, body["code"].as_str(), body["check"].as_str()),
                (check, Some(code.as_str()), Some(check))
            );
            assert_eq!(body["reason"], error.to_string());
        }
    }

    #[test]
    fn every_check_the_acs_sends_is_documented_with_its_code() {
        let mut sent = edge_checks();
        assert!(sent.len() >= 10, "{sent:?}");
        for (_, code, check) in crate::saml::response::tests::every_error() {
            assert!(sent.insert(check.to_string(), code.as_str().to_string()).is_none(), "{check} core and edge");
        }
        assert_eq!(documented(), sent, "api/error-codes.md lists exactly the checks the ACS sends");
    }
}
