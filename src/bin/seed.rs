//! Seed data for local runs and tests: writes idempotent SQL (`INSERT OR IGNORE`) for the demo
//! workspace and, with `--fixtures`, the extra workspaces the e2e tests need, one file per
//! database: `OUT/shard-<n>.sql` for each tenant shard and `OUT/directory.sql` (each workspace's
//! shard, the sign-in email index). This is where a workspace is created, so where its shard is
//! chosen ([`shard_of`]). Secrets (demo passwords, a PAT and a SCIM token) go to the file named
//! by `--secrets` as JSON, and are minted fresh each run: applying the SQL to databases that
//! already have them changes nothing.
//!
//! Usage: `seed [--fixtures] [--bench] --secrets FILE --out DIR`

use axissynapse_edge::audit::ledger;
use axissynapse_edge::session::{password, tokens};
use axissynapse_edge::tenancy::Shard;
use serde_json::{json, Map, Value};

const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z: seed rows are dated, not "now"

struct Ws {
    id: &'static str,
    name: &'static str,
    slug: &'static str,
    status: &'static str,
    policy: &'static str,
    mfa: i64,
}

struct User {
    id: &'static str,
    ws: &'static str,
    email: &'static str,
    name: &'static str,
    role: &'static str,
    status: &'static str,
    password: &'static str,
}

const fn contract_ws(id: &'static str, slug: &'static str) -> Ws {
    Ws { id, name: "Contract Fuzz Co", slug, status: "active", policy: "password_and_sso", mfa: 0 }
}

const fn contract_owner(id: &'static str, ws: &'static str, email: &'static str) -> User {
    User {
        id,
        ws,
        email,
        name: "Connie Contract",
        role: "owner",
        status: "active",
        password: "contract-owner-password",
    }
}

const DEMO: Ws =
    Ws { id: "ws_demo", name: "Demo Workspace", slug: "demo", status: "active", policy: "password_and_sso", mfa: 0 };

const DEMO_USERS: &[User] = &[
    User {
        id: "u_demo_admin",
        ws: "ws_demo",
        email: "admin@demo.axissynapse.test",
        name: "Ada Admin",
        role: "owner",
        status: "active",
        password: "demo-admin-password",
    },
    User {
        id: "u_demo_member",
        ws: "ws_demo",
        email: "member@demo.axissynapse.test",
        name: "Max Member",
        role: "member",
        status: "active",
        password: "demo-member-password",
    },
];

const FIXTURE_WORKSPACES: &[Ws] = &[
    // Contract fuzzing (tests/contract/run.py): one workspace per pass, so an operation that can
    // end its caller's session (logout aside) only ends its own pass's; the SCIM token's workspace
    // is apart too, so SCIM fuzzing cannot deprovision the owner the other operations sign in as.
    contract_ws("ws_contract", "contract"),
    contract_ws("ws_contract_scim", "contract-scim"),
    contract_ws("ws_contract_workspace", "contract-workspace"),
    contract_ws("ws_contract_netpol", "contract-netpol"),
    contract_ws("ws_contract_users", "contract-users"),
    Ws { id: "ws_other", name: "Other Corp", slug: "other", status: "active", policy: "password_and_sso", mfa: 0 },
    // The isolation matrix's second workspace B: on the demo workspace's shard.
    Ws {
        id: "ws_neighbour",
        name: "Neighbour Ltd",
        slug: "neighbour",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_suspended",
        name: "Suspended Inc",
        slug: "suspended",
        status: "suspended",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws { id: "ws_sso", name: "SSO Only Ltd", slug: "sso-only", status: "active", policy: "sso_only", mfa: 0 },
    Ws {
        id: "ws_pwonly",
        name: "Password Only GmbH",
        slug: "password-only",
        status: "active",
        policy: "password_only",
        mfa: 0,
    },
    Ws { id: "ws_mfa", name: "MFA Required SA", slug: "mfa", status: "active", policy: "password_and_sso", mfa: 1 },
    Ws {
        id: "ws_browser",
        name: "Browser Test Co",
        slug: "browser",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_stepup",
        name: "Step-up Test Co",
        slug: "stepup",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_netpol",
        name: "Network Policy Co",
        slug: "netpol",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws { id: "ws_bulk", name: "Bulk Ledger Co", slug: "bulk", status: "active", policy: "password_and_sso", mfa: 0 },
    Ws {
        id: "ws_netpol_large",
        name: "Large Policy Co",
        slug: "netpol-large",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_scim",
        name: "SCIM Provisioned Co",
        slug: "scim",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_scim_netpol",
        name: "SCIM Network Co",
        slug: "scim-netpol",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks",
        name: "Webhook Admin Co",
        slug: "hooks",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks_flow",
        name: "Webhook Flow Co",
        slug: "hooks-flow",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks_circuit",
        name: "Webhook Circuit Co",
        slug: "hooks-circuit",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks_retry",
        name: "Webhook Retry Co",
        slug: "hooks-retry",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks_opened",
        name: "Webhook Opened Co",
        slug: "hooks-opened",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks_jitter",
        name: "Webhook Jitter Co",
        slug: "hooks-jitter",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_hooks_restart",
        name: "Webhook Restart Co",
        slug: "hooks-restart",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws { id: "ws_saml", name: "SAML Co", slug: "saml", status: "active", policy: "password_and_sso", mfa: 0 },
    Ws {
        id: "ws_saml_pwonly",
        name: "Password Only Co",
        slug: "saml-pwonly",
        status: "active",
        policy: "password_only",
        mfa: 0,
    },
    Ws {
        id: "ws_limits",
        name: "Rate Limits Inc",
        slug: "limits",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    // Moved between shards by tests/e2e/moves.rs (users, SCIM groups, tokens, a webhook and a
    // 10k-row ledger); no other test touches it.
    Ws { id: "ws_mover", name: "Mover Co", slug: "mover", status: "active", policy: "password_and_sso", mfa: 0 },
    Ws {
        id: "ws_portal_mfa",
        name: "Portal MFA Co",
        slug: "portal-mfa",
        status: "active",
        policy: "password_and_sso",
        mfa: 1,
    },
    // Only tests/e2e/scim_sort.rs's anchor test writes here: it compares whole lists.
    Ws { id: "ws_anchor", name: "Anchor Co", slug: "anchor", status: "active", policy: "password_and_sso", mfa: 0 },
    // The security page's passkey test sets an attestation policy that blocks Chromium's
    // virtual authenticator: its own workspace, so no other test's enrolment is refused.
    Ws {
        id: "ws_portal_sec",
        name: "Portal Security Co",
        slug: "portal-sec",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    // The SCIM setup page's browser test (tests/browser/portal-scim.test.mjs) provisions here
    // and reads the counts and the last SCIM requests: no other test writes to it.
    Ws {
        id: "ws_portal_scim",
        name: "Portal SCIM Co",
        slug: "portal-scim",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    // The passkey-policy page's browser test sets an attestation policy here.
    Ws {
        id: "ws_portal_att",
        name: "Portal Passkey Policy Co",
        slug: "portal-att",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    // tests/e2e/scim_summary.rs counts users and groups exactly: no other test writes here.
    Ws {
        id: "ws_scim_counts",
        name: "SCIM Counts Co",
        slug: "scim-counts",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    // The webhook health e2e test (tests/e2e/webhooks.rs) and the webhooks page's browser test
    // (tests/browser/portal-webhooks.test.mjs): each its own workspace, so no other test's
    // events reach their subscriptions.
    Ws {
        id: "ws_hooks_health",
        name: "Webhook Health Co",
        slug: "hooks-health",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_portal_hooks",
        name: "Portal Webhooks Co",
        slug: "portal-hooks",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    // The network-policy what-if e2e test (tests/e2e/netpolicy_whatif.rs) counts every ledger row
    // with an address here: no other test may write to it.
    Ws { id: "ws_whatif", name: "What-if Co", slug: "whatif", status: "active", policy: "password_and_sso", mfa: 0 },
    // The audit cron's checkpoint test (tests/e2e_after_restart.rs): seeded history no other test
    // writes to or exports, so the first cron tick finds it due.
    Ws { id: "ws_witness", name: "Witness Co", slug: "witness", status: "active", policy: "password_and_sso", mfa: 0 },
    // The portal's network page (tests/browser/portal-network.test.mjs) saves policies and
    // replays its ledger here: its own workspace, so no other test is blocked or counted.
    Ws {
        id: "ws_portal_net",
        name: "Portal Network Co",
        slug: "portal-net",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
];

/// Rows of hash-chained history seeded into `ws_bulk`: more than one export may carry.
const BULK_AUDIT_ROWS: i64 = 50_250;
/// Rows of hash-chained history seeded into `ws_mover`, the workspace the move test moves.
const MOVER_AUDIT_ROWS: i64 = 10_000;
/// Rows of seeded history in `ws_witness` (the audit cron's checkpoint test).
const WITNESS_AUDIT_ROWS: i64 = 25;
/// Rows of seeded history in `ws_browser` (the portal's audit page pages through them).
const BROWSER_AUDIT_ROWS: i64 = 120;

const FIXTURE_USERS: &[User] = &[
    User {
        id: "u_mover_owner",
        ws: "ws_mover",
        email: "owner@mover.test",
        name: "Mo Ver",
        role: "owner",
        status: "active",
        password: "mover-owner-password",
    },
    User {
        id: "u_mover_member",
        ws: "ws_mover",
        email: "member@mover.test",
        name: "Mem Ber",
        role: "member",
        status: "active",
        password: "mover-member-password",
    },
    contract_owner("u_contract_owner", "ws_contract", "owner@contract.test"),
    contract_owner("u_contract_scim_owner", "ws_contract_scim", "owner@contract-scim.test"),
    contract_owner("u_contract_workspace_owner", "ws_contract_workspace", "owner@contract-workspace.test"),
    contract_owner("u_contract_netpol_owner", "ws_contract_netpol", "owner@contract-netpol.test"),
    contract_owner("u_contract_users_owner", "ws_contract_users", "owner@contract-users.test"),
    User {
        id: "u_saml_owner",
        ws: "ws_saml",
        email: "owner@saml.test",
        name: "Saml Owner",
        role: "owner",
        status: "active",
        password: "saml-owner-password",
    },
    User {
        id: "u_saml_alice",
        ws: "ws_saml",
        email: "alice@saml.test",
        name: "Alice Saml",
        role: "member",
        status: "active",
        password: "saml-alice-password",
    },
    User {
        id: "u_saml_dis",
        ws: "ws_saml",
        email: "disabled@saml.test",
        name: "Dis Abled",
        role: "member",
        status: "disabled",
        password: "saml-disabled-password",
    },
    User {
        id: "u_saml_pw_owner",
        ws: "ws_saml_pwonly",
        email: "owner@saml-pwonly.test",
        name: "Pw Owner",
        role: "owner",
        status: "active",
        password: "saml-pwonly-owner-password",
    },
    User {
        id: "u_hooks_owner",
        ws: "ws_hooks",
        email: "owner@hooks.test",
        name: "Hook Owner",
        role: "owner",
        status: "active",
        password: "hooks-owner-password",
    },
    User {
        id: "u_hooks_member",
        ws: "ws_hooks",
        email: "member@hooks.test",
        name: "Hook Member",
        role: "member",
        status: "active",
        password: "hooks-member-password",
    },
    User {
        id: "u_hooks_flow_owner",
        ws: "ws_hooks_flow",
        email: "owner@hooks-flow.test",
        name: "Flow Owner",
        role: "owner",
        status: "active",
        password: "hooks-flow-owner-password",
    },
    User {
        id: "u_hooks_circuit_owner",
        ws: "ws_hooks_circuit",
        email: "owner@hooks-circuit.test",
        name: "Circuit Owner",
        role: "owner",
        status: "active",
        password: "hooks-circuit-owner-password",
    },
    User {
        id: "u_hooks_retry_owner",
        ws: "ws_hooks_retry",
        email: "owner@hooks-retry.test",
        name: "Retry Owner",
        role: "owner",
        status: "active",
        password: "hooks-retry-owner-password",
    },
    User {
        id: "u_hooks_opened_owner",
        ws: "ws_hooks_opened",
        email: "owner@hooks-opened.test",
        name: "Opened Owner",
        role: "owner",
        status: "active",
        password: "hooks-opened-owner-password",
    },
    User {
        id: "u_hooks_jitter_owner",
        ws: "ws_hooks_jitter",
        email: "owner@hooks-jitter.test",
        name: "Jitter Owner",
        role: "owner",
        status: "active",
        password: "hooks-jitter-owner-password",
    },
    User {
        id: "u_hooks_restart_owner",
        ws: "ws_hooks_restart",
        email: "owner@hooks-restart.test",
        name: "Restart Owner",
        role: "owner",
        status: "active",
        password: "hooks-restart-owner-password",
    },
    User {
        id: "u_scim_netpol_owner",
        ws: "ws_scim_netpol",
        email: "owner@scim-netpol.test",
        name: "Net Scim",
        role: "owner",
        status: "active",
        password: "scim-netpol-owner-password",
    },
    User {
        id: "u_scim_owner",
        ws: "ws_scim",
        email: "owner@scim.test",
        name: "Sky Owner",
        role: "owner",
        status: "active",
        password: "scim-owner-password",
    },
    User {
        id: "u_netpol_large_owner",
        ws: "ws_netpol_large",
        email: "owner@netpol-large.test",
        name: "Large Owner",
        role: "owner",
        status: "active",
        password: "netpol-large-owner-password",
    },
    User {
        id: "u_netpol_large_member",
        ws: "ws_netpol_large",
        email: "member@netpol-large.test",
        name: "Large Member",
        role: "member",
        status: "active",
        password: "netpol-large-member-password",
    },
    User {
        id: "u_limits_owner",
        ws: "ws_limits",
        email: "owner@limits.test",
        name: "Lim Owner",
        role: "owner",
        status: "active",
        password: "limits-owner-password",
    },
    User {
        id: "u_limits_throttled",
        ws: "ws_limits",
        email: "throttled@limits.test",
        name: "Thro Ttled",
        role: "member",
        status: "active",
        password: "limits-throttled-password",
    },
    User {
        id: "u_limits_factor",
        ws: "ws_limits",
        email: "factor@limits.test",
        name: "Fac Tor",
        role: "member",
        status: "active",
        password: "limits-factor-password",
    },
    User {
        id: "u_other_admin",
        ws: "ws_other",
        email: "admin@other.test",
        name: "Olga Other",
        role: "admin",
        status: "active",
        password: "other-admin-password",
    },
    User {
        id: "u_neighbour_admin",
        ws: "ws_neighbour",
        email: "admin@neighbour.test",
        name: "Nia Neighbour",
        role: "admin",
        status: "active",
        password: "neighbour-admin-password",
    },
    User {
        id: "u_neighbour_deputy",
        ws: "ws_neighbour",
        email: "deputy@neighbour.test",
        name: "Dan Deputy",
        role: "admin",
        status: "active",
        password: "neighbour-deputy-password",
    },
    User {
        id: "u_shared_demo",
        ws: "ws_demo",
        email: "shared@multi.test",
        name: "Sam Shared",
        role: "member",
        status: "active",
        password: "shared-user-password",
    },
    User {
        id: "u_shared_other",
        ws: "ws_other",
        email: "shared@multi.test",
        name: "Sam Shared",
        role: "member",
        status: "active",
        password: "shared-user-password",
    },
    User {
        id: "u_suspended",
        ws: "ws_suspended",
        email: "user@suspended.test",
        name: "Sue Spended",
        role: "member",
        status: "active",
        password: "suspended-password",
    },
    User {
        id: "u_sso",
        ws: "ws_sso",
        email: "user@sso.test",
        name: "Sso User",
        role: "member",
        status: "active",
        password: "sso-user-password",
    },
    User {
        id: "u_pwonly",
        ws: "ws_pwonly",
        email: "user@pwonly.test",
        name: "Pat Word",
        role: "admin",
        status: "active",
        password: "pwonly-password",
    },
    User {
        id: "u_mfa",
        ws: "ws_mfa",
        email: "user@mfa.test",
        name: "Mo Factor",
        role: "member",
        status: "active",
        password: "mfa-user-password",
    },
    User {
        id: "u_disabled",
        ws: "ws_demo",
        email: "disabled@demo.axissynapse.test",
        name: "Dee Abled",
        role: "member",
        status: "disabled",
        password: "disabled-password",
    },
    User {
        id: "u_lockout",
        ws: "ws_demo",
        email: "lockout@demo.axissynapse.test",
        name: "Lock Out",
        role: "member",
        status: "active",
        password: "lockout-password",
    },
    User {
        id: "u_sessions",
        ws: "ws_demo",
        email: "sessions@demo.axissynapse.test",
        name: "Sessy Ons",
        role: "member",
        status: "active",
        password: "sessions-password",
    },
    User {
        id: "u_bulk_admin",
        ws: "ws_bulk",
        email: "admin@bulk.test",
        name: "Bea Bulk",
        role: "owner",
        status: "active",
        password: "bulk-admin-password",
    },
    User {
        id: "u_revoker",
        ws: "ws_demo",
        email: "revoker@demo.axissynapse.test",
        name: "Rev Oker",
        role: "member",
        status: "active",
        password: "revoker-password",
    },
    User {
        id: "u_pwchange",
        ws: "ws_demo",
        email: "pwchange@demo.axissynapse.test",
        name: "Pia Change",
        role: "member",
        status: "active",
        password: "pwchange-password",
    },
    User {
        id: "u_browser_owner",
        ws: "ws_browser",
        email: "owner@browser.test",
        name: "Bri Owser",
        role: "owner",
        status: "active",
        password: "browser-owner-password",
    },
    User {
        id: "u_portal_signin",
        ws: "ws_browser",
        email: "signin@browser.test",
        name: "Sig Nin",
        role: "owner",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_totp",
        ws: "ws_browser",
        email: "totp@browser.test",
        name: "Toto Pee",
        role: "owner",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_security",
        ws: "ws_browser",
        email: "security@browser.test",
        name: "Seck Urity",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_audit",
        ws: "ws_browser",
        email: "audit@browser.test",
        name: "Audi Tor",
        role: "admin",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_users",
        ws: "ws_browser",
        email: "users@browser.test",
        name: "Use Ers",
        role: "owner",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_keyboard",
        ws: "ws_browser",
        email: "keyboard@browser.test",
        name: "Kee Board",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_enrol",
        ws: "ws_portal_mfa",
        email: "enrol@portal-mfa.test",
        name: "En Rol",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_lockout",
        ws: "ws_browser",
        email: "lockout@browser.test",
        name: "Lock Out",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_anchor_owner",
        ws: "ws_anchor",
        email: "owner@anchor.test",
        name: "Anne Chor",
        role: "owner",
        status: "active",
        password: "anchor-owner-password",
    },
    // The SSO page's browser test (tests/browser/portal-saml.test.mjs) adds providers here.
    User {
        id: "u_portal_saml",
        ws: "ws_browser",
        email: "saml@browser.test",
        name: "Sam L",
        role: "admin",
        status: "active",
        password: "portal-test-password",
    },
    // A display name that is markup: the portal must show it as text (tests/browser/).
    User {
        id: "u_portal_xss",
        ws: "ws_browser",
        email: "xss@browser.test",
        name: "<img src=x onerror=\"window.__xss=1\">",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_stepup",
        ws: "ws_stepup",
        email: "owner@stepup.test",
        name: "Ste Pup",
        role: "owner",
        status: "active",
        password: "stepup-owner-password",
    },
    User {
        id: "u_stepup_race",
        ws: "ws_stepup",
        email: "race@stepup.test",
        name: "Ray Ce",
        role: "member",
        status: "active",
        password: "stepup-race-password",
    },
    User {
        id: "u_stepup_totp",
        ws: "ws_stepup",
        email: "totp@stepup.test",
        name: "To Tp",
        role: "member",
        status: "active",
        password: "stepup-totp-password",
    },
    User {
        id: "u_mfa_login",
        ws: "ws_stepup",
        email: "mfalogin@stepup.test",
        name: "Em Effay",
        role: "member",
        status: "active",
        password: "mfa-login-password",
    },
    User {
        id: "u_parallel",
        ws: "ws_demo",
        email: "parallel@demo.axissynapse.test",
        name: "Para Llel",
        role: "member",
        status: "active",
        password: "parallel-password",
    },
    User {
        id: "u_netpol_owner",
        ws: "ws_netpol",
        email: "owner@netpol.test",
        name: "Net Owner",
        role: "owner",
        status: "active",
        password: "netpol-owner-password",
    },
    User {
        id: "u_netpol_member",
        ws: "ws_netpol",
        email: "member@netpol.test",
        name: "Net Member",
        role: "member",
        status: "active",
        password: "netpol-member-password",
    },
    User {
        id: "u_victim",
        ws: "ws_demo",
        email: "victim@demo.axissynapse.test",
        name: "Vic Tim",
        role: "member",
        status: "active",
        password: "victim-password",
    },
    // The security page's tests (tests/browser/portal-security.test.mjs).
    User {
        id: "u_portal_sec_passkeys",
        ws: "ws_portal_sec",
        email: "passkeys@portal-sec.test",
        name: "Pass Keys",
        role: "owner",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_sec_enrol",
        ws: "ws_portal_mfa",
        email: "enrol-security@portal-mfa.test",
        name: "En Rolment",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_sec_sessions",
        ws: "ws_portal_sec",
        email: "sessions@portal-sec.test",
        name: "Sess Ions",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    // The users page's browser test changes these two (tests/browser/portal-admin.test.mjs).
    User {
        id: "u_portal_promote",
        ws: "ws_browser",
        email: "promote@browser.test",
        name: "Pro Mote",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_disable",
        ws: "ws_browser",
        email: "disable@browser.test",
        name: "Dis Able",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_refused",
        ws: "ws_browser",
        email: "refused@browser.test",
        name: "Re Fused",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_scim",
        ws: "ws_portal_scim",
        email: "admin@portal-scim.test",
        name: "Sky Myers",
        role: "admin",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_att",
        ws: "ws_portal_att",
        email: "admin@portal-att.test",
        name: "Atte Station",
        role: "admin",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_scim_counts_owner",
        ws: "ws_scim_counts",
        email: "owner@scim-counts.test",
        name: "Count Er",
        role: "owner",
        status: "active",
        password: "scim-counts-password",
    },
    User {
        id: "u_hooks_health_owner",
        ws: "ws_hooks_health",
        email: "owner@hooks-health.test",
        name: "Health Owner",
        role: "owner",
        status: "active",
        password: "hooks-health-owner-password",
    },
    User {
        id: "u_portal_hooks",
        ws: "ws_portal_hooks",
        email: "hooks@portal-hooks.test",
        name: "Hook Admin",
        role: "admin",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_witness_owner",
        ws: "ws_witness",
        email: "owner@witness.test",
        name: "Wit Ness",
        role: "owner",
        status: "active",
        password: "witness-owner-password",
    },
    User {
        id: "u_whatif_owner",
        ws: "ws_whatif",
        email: "owner@whatif.test",
        name: "Wat Owner",
        role: "owner",
        status: "active",
        password: "whatif-owner-password",
    },
    User {
        id: "u_whatif_member",
        ws: "ws_whatif",
        email: "member@whatif.test",
        name: "Wat Member",
        role: "member",
        status: "active",
        password: "whatif-member-password",
    },
    User {
        id: "u_portal_net_admin",
        ws: "ws_portal_net",
        email: "admin@portal-net.test",
        name: "Net Admin",
        role: "admin",
        status: "active",
        password: "portal-test-password",
    },
    User {
        id: "u_portal_net_member",
        ws: "ws_portal_net",
        email: "member@portal-net.test",
        name: "Net Member",
        role: "member",
        status: "active",
        password: "portal-test-password",
    },
];

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the host has an entropy source"); // ok: host CLI, not a request path
    buf
}

fn workspace_sql(w: &Ws) -> String {
    format!(
        "INSERT OR IGNORE INTO workspaces (id, name, slug, status, sign_in_policy, mfa_required, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {NOW}, {NOW});",
        quote(w.id), quote(w.name), quote(w.slug), quote(w.status), quote(w.policy), w.mfa
    )
}

fn user_sql(u: &User) -> String {
    let hash = password::hash_password(u.password, random::<16>());
    format!(
        "INSERT OR IGNORE INTO users (id, workspace_id, email, user_name, display_name, role, status, provisioned_by, password_hash, created_at, updated_at) VALUES ({id}, {ws}, {email}, {email}, {}, {}, {}, 'seed', {}, {NOW}, {NOW});\n\
         INSERT OR IGNORE INTO user_emails (workspace_id, user_id, position, value, type, is_primary) VALUES ({ws}, {id}, 0, {email}, 'work', 1);",
        quote(u.name), quote(u.role), quote(u.status), quote(&hash), id = quote(u.id), ws = quote(u.ws), email = quote(u.email)
    )
}

fn token_sql(kind: tokens::TokenKind, ws: &str, user: &str, name: &str, expires_at: Option<i64>) -> (String, String) {
    let minted = tokens::mint(kind, shard_of(ws), &random::<38>());
    let kind_name = if kind == tokens::TokenKind::Pat { "pat" } else { "scim" };
    // Guarded so a re-seed never adds a second token of the same name.
    let sql = format!(
        "INSERT INTO api_tokens (id, workspace_id, kind, user_id, name, token_hash, hint, expires_at, created_at) SELECT {}, {}, {}, {}, {}, {}, {}, {}, {NOW} WHERE NOT EXISTS (SELECT 1 FROM api_tokens WHERE workspace_id = {} AND kind = {} AND name = {});",
        quote(&minted.id), quote(ws), quote(kind_name), quote(user), quote(name), quote(&minted.hash), quote(&minted.hint), expires_at.map_or("NULL".to_string(), |t| t.to_string()), quote(ws), quote(kind_name), quote(name)
    );
    (sql, minted.token)
}

/// An open invitation (far-future expiry) and its token.
fn invitation_sql(ws: &str, email: &str, invited_by: &str) -> (String, String) {
    use base64::Engine as _;
    use sha2::Digest;
    let token = format!(
        "inv_{}{}",
        shard_of(ws).tag(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>())
    );
    let hash: String = sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let sql = format!(
        "INSERT OR IGNORE INTO invitations (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at) VALUES ('inv_seed_{ws}', {}, {}, 'member', {}, {}, 4102444800000, {NOW});",
        quote(ws), quote(email), quote(&hash), quote(invited_by)
    );
    (sql, token)
}

/// A valid hash chain of `rows` rows of synthetic sign-in history by `user` in `ws` (event ids
/// `evt_<tag><seq>`), in multi-row INSERTs of 250.
fn bulk_audit_sql(ws: &str, user: &str, tag: &str, rows: i64) -> Vec<String> {
    let mut prev = ledger::GENESIS_HASH.to_string();
    let mut values = Vec::new();
    let mut statements = Vec::new();
    for seq in 1..=rows {
        let (action, data) = if seq % 10 == 0 {
            ("ACCOUNT_SIGNIN_FAILED", json!({"code": "INVALID_CREDENTIALS", "note": "=HYPERLINK(\"x\")"}))
        } else {
            ("ACCOUNT_SIGNIN_SUCCEEDED", json!({"method": "password", "n": seq}))
        };
        let e = ledger::AuditEntry {
            workspace_id: ws.into(),
            seq,
            id: format!("evt_{tag}{seq:08}"),
            at_ms: NOW + seq * 1000,
            action: action.into(),
            actor_type: "user".into(),
            actor_id: Some(user.into()),
            resource_type: Some("user".into()),
            resource_id: Some(user.into()),
            ip: Some("198.51.100.7".into()),
            data: data.to_string(),
            prev_hash: prev,
            hash: String::new(),
        }
        .seal();
        prev = e.hash.clone();
        values.push(format!(
            "({}, {}, {}, {}, {}, 'user', {}, 'user', {}, '198.51.100.7', {}, {}, {})",
            quote(&e.workspace_id),
            e.seq,
            quote(&e.id),
            e.at_ms,
            quote(&e.action),
            quote(user),
            quote(user),
            quote(&e.data),
            quote(&e.prev_hash),
            quote(&e.hash)
        ));
        if values.len() == 250 || seq == rows {
            statements.push(format!(
                "INSERT OR IGNORE INTO audit_log (workspace_id, seq, id, at, action, actor_type, actor_id, resource_type, resource_id, ip, data, prev_hash, hash) VALUES {};",
                values.join(", ")
            ));
            values.clear();
        }
    }
    statements
}

/// `--bench`: the noisy-neighbour bench's two quiet tenants (bench/noisy_neighbour.py), one on
/// another shard than the demo workspace and one on the same.
const BENCH_WORKSPACES: &[Ws] = &[
    Ws {
        id: "ws_bench_far",
        name: "Bench Far",
        slug: "bench-far",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
    Ws {
        id: "ws_bench_near",
        name: "Bench Near",
        slug: "bench-near",
        status: "active",
        policy: "password_and_sso",
        mfa: 0,
    },
];

const BENCH_USERS: &[User] = &[
    User {
        id: "u_bench_far",
        ws: "ws_bench_far",
        email: "owner@bench-far.test",
        name: "Far Owner",
        role: "owner",
        status: "active",
        password: "bench-far-password",
    },
    User {
        id: "u_bench_near",
        ws: "ws_bench_near",
        email: "owner@bench-near.test",
        name: "Near Owner",
        role: "owner",
        status: "active",
        password: "bench-near-password",
    },
];

/// Tenant shards the seed spreads workspaces over (the `DB_SHARD_<n>` bindings in wrangler.toml).
const SHARDS: u8 = 4;

/// Where a workspace lives: the demo workspace on shard 0, the isolation matrix's two workspaces
/// B on shard 1 (`ws_other`) and on shard 0 (`ws_neighbour`), `ws_mover` (which the move test
/// moves away and back) on shard 1, the rest round-robin in declaration order, so every shard
/// holds fixtures.
fn shard_of(ws: &str) -> Shard {
    match ws {
        "ws_demo" | "ws_neighbour" => Shard(0),
        "ws_other" | "ws_mover" => Shard(1),
        _ => {
            let i = FIXTURE_WORKSPACES.iter().position(|w| w.id == ws).unwrap_or(0);
            Shard(u8::try_from(i % usize::from(SHARDS)).unwrap_or(0))
        }
    }
}

/// SQL statements bound for each database.
struct Out {
    shards: Vec<Vec<String>>,
    directory: Vec<String>,
}

impl Out {
    fn new() -> Self {
        Self { shards: vec![Vec::new(); usize::from(SHARDS)], directory: Vec::new() }
    }

    fn on(&mut self, ws: &str, sql: String) {
        let shard = usize::from(shard_of(ws).0);
        self.shards[shard].push(sql);
    }

    fn write(&self, dir: &str) {
        std::fs::create_dir_all(dir).expect("create the output directory"); // ok: host CLI
        for (n, sql) in self.shards.iter().enumerate() {
            let meta = format!("INSERT OR IGNORE INTO shard_meta (shard) VALUES ({n});\n");
            std::fs::write(format!("{dir}/shard-{n}.sql"), meta + &sql.join("\n")).expect("write shard SQL");
            // ok: host CLI
        }
        let meta = "INSERT OR IGNORE INTO directory_meta (version) VALUES (1);\n".to_string();
        std::fs::write(format!("{dir}/directory.sql"), meta + &self.directory.join("\n")).expect("write directory SQL");
        // ok: host CLI
    }
}

fn placement_sql(w: &Ws) -> String {
    format!(
        "INSERT OR IGNORE INTO workspace_shards (workspace_id, slug, shard, updated_at) VALUES ({}, {}, {}, {NOW});",
        quote(w.id),
        quote(w.slug),
        shard_of(w.id).0
    )
}

fn email_index_sql(u: &User) -> String {
    format!("INSERT OR IGNORE INTO email_index (email, workspace_id) VALUES ({}, {});", quote(u.email), quote(u.ws))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let fixtures = args.iter().any(|a| a == "--fixtures");
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let secrets_path = arg("--secrets").expect("--secrets FILE"); // ok: host CLI usage error
    let out_dir = arg("--out").expect("--out DIR"); // ok: host CLI usage error
    let mut workspaces = vec![&DEMO];
    let mut users: Vec<&User> = DEMO_USERS.iter().collect();
    if fixtures {
        workspaces.extend(FIXTURE_WORKSPACES);
        users.extend(FIXTURE_USERS);
    }
    let bench = args.iter().any(|a| a == "--bench");
    if bench {
        workspaces.extend(BENCH_WORKSPACES);
        users.extend(BENCH_USERS);
    }
    let mut out = Out::new();
    for w in &workspaces {
        out.on(w.id, workspace_sql(w));
        out.directory.push(placement_sql(w));
    }
    for u in &users {
        out.on(u.ws, user_sql(u));
        out.directory.push(email_index_sql(u));
    }
    let (pat_sql, pat) = token_sql(tokens::TokenKind::Pat, "ws_demo", "u_demo_admin", "Demo PAT", None);
    let (scim_sql, scim) = token_sql(tokens::TokenKind::Scim, "ws_demo", "u_demo_admin", "Demo SCIM token", None);
    out.on("ws_demo", pat_sql);
    out.on("ws_demo", scim_sql);
    let mut secrets = json!({"pat": pat, "scimToken": scim});
    if fixtures {
        let (expired_sql, expired) =
            token_sql(tokens::TokenKind::Pat, "ws_demo", "u_demo_member", "Expired PAT", Some(NOW));
        out.on("ws_demo", expired_sql);
        secrets["expiredPat"] = json!(expired);
        let (invite_sql, invite) = invitation_sql("ws_sso", "newbie@sso.test", "u_sso");
        out.on("ws_sso", invite_sql);
        secrets["ssoInvitation"] = json!(invite);
        // A known history for the portal's audit page test: 120 rows from 2026-01-01T00:00:01Z.
        for sql in bulk_audit_sql("ws_browser", "u_portal_audit", "browser", BROWSER_AUDIT_ROWS) {
            out.on("ws_browser", sql);
        }
        for sql in bulk_audit_sql("ws_bulk", "u_bulk_admin", "bulk", BULK_AUDIT_ROWS) {
            out.on("ws_bulk", sql);
        }
        for sql in bulk_audit_sql("ws_witness", "u_witness_owner", "witness", WITNESS_AUDIT_ROWS) {
            out.on("ws_witness", sql);
        }
        for sql in bulk_audit_sql("ws_mover", "u_mover_owner", "mover", MOVER_AUDIT_ROWS) {
            out.on("ws_mover", sql);
        }
        let (mover_pat_sql, mover_pat) =
            token_sql(tokens::TokenKind::Pat, "ws_mover", "u_mover_owner", "Mover PAT", None);
        let (mover_scim_sql, mover_scim) =
            token_sql(tokens::TokenKind::Scim, "ws_mover", "u_mover_owner", "Mover SCIM token", None);
        out.on("ws_mover", mover_pat_sql);
        out.on("ws_mover", mover_scim_sql);
        secrets["mover"] = json!({"pat": mover_pat, "scimToken": mover_scim});
        let (contract_pat_sql, contract_pat) =
            token_sql(tokens::TokenKind::Pat, "ws_contract", "u_contract_owner", "Contract PAT", None);
        let (contract_scim_sql, contract_scim) = token_sql(
            tokens::TokenKind::Scim,
            "ws_contract_scim",
            "u_contract_scim_owner",
            "Contract SCIM token",
            None,
        );
        out.on("ws_contract", contract_pat_sql);
        out.on("ws_contract_scim", contract_scim_sql);
        secrets["contract"] = json!({"pat": contract_pat, "scimToken": contract_scim});
    }
    if bench {
        let (far_sql, far) = token_sql(tokens::TokenKind::Pat, "ws_bench_far", "u_bench_far", "Bench PAT", None);
        let (near_sql, near) = token_sql(tokens::TokenKind::Pat, "ws_bench_near", "u_bench_near", "Bench PAT", None);
        out.on("ws_bench_far", far_sql);
        out.on("ws_bench_near", near_sql);
        secrets["bench"] = json!({"far": far, "near": near});
    }
    out.write(out_dir);
    let passwords: Map<String, Value> = users.iter().map(|u| (u.email.to_string(), json!(u.password))).collect();
    secrets["passwords"] = Value::Object(passwords);
    let shards: Map<String, Value> = workspaces.iter().map(|w| (w.id.to_string(), json!(shard_of(w.id).0))).collect();
    secrets["shards"] = Value::Object(shards);
    std::fs::write(secrets_path, serde_json::to_string_pretty(&secrets).expect("json")).expect("write secrets file");
    // ok: host CLI
}
