//! One file per API group; each handler parses, authorises, asks the core, stores, audits.

pub mod attestation;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod discovery;
pub mod invitations;
pub mod me;
pub mod netpolicy;
pub mod operator;
pub mod passkeys;
pub mod portal;
pub mod saml;
pub mod scim;
pub mod scim_bulk;
pub mod settings;
pub mod stepup;
pub mod totp;
pub mod webhooks;

use worker::{D1PreparedStatement, D1Result};

use crate::audit::query::AuditFilter;
use crate::edge::auth::Principal;
use crate::edge::db::Db;
use crate::edge::http::{Ctx, Reply};
use crate::edge::store::scim as scim_store;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::routes::Op;
use crate::scim::filter::sql::SqlFilter;
use crate::tenancy::WorkspaceRef;

/// A handler's first read, planned from the request alone so it rides in the credential
/// check's D1 batch (`edge::auth`): the request makes one round trip. The reads are scoped to
/// the workspace the credential names and used only once it has passed.
pub enum Prefetch {
    AuditPage(AuditFilter),
    ScimUser(String),
    ScimUserPage { filter: Option<SqlFilter>, window: scim_store::Window },
}

impl Prefetch {
    /// What `op` will read first, when that is known from the request alone.
    pub fn plan(cx: &Ctx, op: Op, param: Option<&str>) -> Option<Self> {
        match op {
            Op::AuditQuery => audit::filter(cx).ok().map(Self::AuditPage),
            _ => scim::plan(cx, op, param),
        }
    }

    pub fn statements(&self, db: &Db, workspace: WorkspaceRef<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
        match self {
            Self::AuditPage(f) => audit::page_statements(db, f, workspace),
            Self::ScimUser(id) => Ok(vec![scim_store::user_stmt(db, workspace, id)?]),
            Self::ScimUserPage { filter, window } => scim_store::users_stmts(db, workspace, filter.as_ref(), window),
        }
    }
}

/// A [`Prefetch`] and what its statements read.
pub type Prefetched = (Prefetch, Vec<D1Result>);

/// Runs the handler for `op`. `principal` is `Some` exactly when the route is not public.
pub async fn dispatch(
    cx: &mut Ctx,
    op: Op,
    param: Option<String>,
    principal: Option<Principal>,
    prefetched: Option<Prefetched>,
) -> ApiResult<Reply> {
    let id = || param.clone().ok_or_else(|| ApiError::new(ErrorCode::NotFound));
    let who = || principal.clone().ok_or_else(|| ApiError::new(ErrorCode::Unauthorized));
    match op {
        Op::ScimServiceProviderConfig
        | Op::ScimSchemas
        | Op::ScimSchema
        | Op::ScimResourceTypes
        | Op::ScimResourceType
        | Op::ScimUsersList
        | Op::ScimUserCreate
        | Op::ScimUsersSearch
        | Op::ScimUserGet
        | Op::ScimUserReplace
        | Op::ScimUserPatch
        | Op::ScimUserDelete
        | Op::ScimGroupsList
        | Op::ScimGroupCreate
        | Op::ScimGroupsSearch
        | Op::ScimGroupGet
        | Op::ScimGroupReplace
        | Op::ScimGroupPatch
        | Op::ScimGroupDelete
        | Op::ScimRootSearch
        | Op::ScimBulk => scim::dispatch(cx, op, param, None, None).await,
        Op::OpenApi => Ok(discovery::openapi(cx)),
        Op::EventsCatalog => Ok(discovery::events()),
        Op::AuditKeys => discovery::audit_keys(cx),
        Op::Login => auth::login(cx).await,
        Op::LoginSecondFactor => auth::login_second_factor(cx).await,
        Op::SsoDiscover => auth::sso_discover(cx).await,
        Op::Logout => auth::logout(cx, &who()?).await,
        Op::Me => Ok(me::me(&who()?)),
        Op::SessionsList => me::sessions_list(cx, &who()?).await,
        Op::SessionRevoke => me::session_revoke(cx, &who()?, &id()?).await,
        Op::SessionsHeartbeat => me::heartbeat(cx, &who()?).await,
        Op::SessionsRevokeOthers => me::revoke_others(cx, &who()?).await,
        Op::PatList => me::tokens_list(cx, &who()?).await,
        Op::PatCreate => me::token_create(cx, &who()?).await,
        Op::PatRevoke => me::token_revoke(cx, &who()?, &id()?).await,
        Op::WorkspaceGet => settings::workspace_get(cx, &who()?).await,
        Op::WorkspaceUpdate => settings::workspace_update(cx, &who()?).await,
        Op::UsersList => settings::users_list(cx, &who()?).await,
        Op::UserUpdate => settings::user_update(cx, &who()?, &id()?).await,
        Op::ScimTokenList => settings::scim_tokens_list(cx, &who()?).await,
        Op::ScimTokenCreate => settings::scim_token_create(cx, &who()?).await,
        Op::ScimTokenRevoke => settings::scim_token_revoke(cx, &who()?, &id()?).await,
        Op::ScimSummary => scim::summary(cx, &who()?).await,
        Op::AuditQuery => audit::query(cx, &who()?, prefetched).await,
        Op::AuditExport => audit::export(cx, &who()?).await,
        Op::AuditVerify => audit::verify(cx, &who()?).await,
        Op::AuditHistogram => audit::histogram(cx, &who()?).await,
        Op::AuditCheckpointCreate => audit::create_checkpoint(cx, &who()?).await,
        Op::AuditCheckpointList => audit::list_checkpoints(cx, &who()?).await,
        Op::InvitationList => invitations::list(cx, &who()?).await,
        Op::InvitationCreate => invitations::create(cx, &who()?).await,
        Op::InvitationRevoke => invitations::revoke(cx, &who()?, &id()?).await,
        Op::InvitationAccept => invitations::accept(cx).await,
        Op::PasswordChange => me::change_password(cx, &who()?).await,
        Op::StepUpPurposes => Ok(discovery::step_up_purposes()),
        Op::SecurityPage => Ok(portal::security_redirect()),
        Op::Portal => portal::page(param.as_deref()),
        Op::PortalAsset => portal::asset(cx, &id()?),
        Op::SignatureBench => bench::signature(cx).await,
        Op::CheckpointBench => bench::checkpoint(cx).await,
        Op::BindingBench => bench::binding(cx).await,
        Op::SamlBench => bench::saml(cx).await,
        Op::PasskeyOptions => passkeys::registration_options(cx, &who()?).await,
        Op::PasskeyRegister => passkeys::register(cx, &who()?).await,
        Op::PasskeyList => passkeys::list(cx, &who()?).await,
        Op::PasskeyRename => passkeys::rename(cx, &who()?, &id()?).await,
        Op::PasskeyDelete => passkeys::delete(cx, &who()?, &id()?).await,
        Op::TotpEnrol => totp::enrol(cx, &who()?).await,
        Op::TotpConfirm => totp::confirm(cx, &who()?).await,
        Op::StepUpOptions => stepup::challenge_options(cx, &who()?).await,
        Op::StepUpVerify => stepup::verify(cx, &who()?).await,
        Op::StepUpStatus => stepup::status(cx, &who()?).await,
        Op::StepUpDemo => stepup::demo_action(cx, &who()?, &id()?).await,
        Op::NetworkPolicyGet => netpolicy::get(cx, &who()?).await,
        Op::NetworkPolicyPut => netpolicy::put(cx, &who()?).await,
        Op::NetworkPolicyTest => netpolicy::test(cx, &who()?).await,
        Op::NetworkPolicyWhatIf => netpolicy::what_if(cx, &who()?).await,
        Op::AttestationGet => attestation::get(cx, &who()?).await,
        Op::AttestationPut => attestation::put(cx, &who()?).await,
        Op::AttestationTest => attestation::test(cx, &who()?).await,
        Op::SamlProvidersList => saml::list(cx, &who()?).await,
        Op::SamlProviderCreate => saml::create(cx, &who()?).await,
        Op::SamlProviderGet => saml::get(cx, &who()?, &id()?).await,
        Op::SamlProviderUpdate => saml::update(cx, &who()?, &id()?).await,
        Op::SamlProviderDelete => saml::delete(cx, &who()?, &id()?).await,
        Op::SamlProviderTestStart => saml::test_start(cx, &who()?, &id()?).await,
        Op::SamlProviderTestResult => saml::test_result(cx, &who()?, &id()?).await,
        Op::SamlMetadata => saml::sp_metadata(cx, &id()?).await,
        Op::SamlLogin => saml::login(cx, &id()?).await,
        Op::SamlAcs => saml::acs(cx, &id()?).await,
        Op::WebhooksList => webhooks::list(cx, &who()?).await,
        Op::WebhookCreate => webhooks::create(cx, &who()?).await,
        Op::WebhookGet => webhooks::get(cx, &who()?, &id()?).await,
        Op::WebhookUpdate => webhooks::update(cx, &who()?, &id()?).await,
        Op::WebhookDelete => webhooks::delete(cx, &who()?, &id()?).await,
        Op::WebhookRotateSecret => webhooks::rotate(cx, &who()?, &id()?).await,
        Op::WebhookTest => webhooks::test(cx, &who()?, &id()?).await,
        Op::WebhookDeliveries => webhooks::deliveries(cx, &who()?, &id()?).await,
        Op::WebhookHealth => webhooks::health(cx, &who()?, &id()?).await,
        Op::WebhookRedeliver => webhooks::redeliver(cx, &who()?, &id()?).await,
        Op::WorkspaceMove => operator::move_workspace(cx, &id()?).await,
    }
}
