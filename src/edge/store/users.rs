//! Users (joined with their workspace's sign-in settings).

use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::Db;

use crate::edge::db::{self, int, opt_text, text};
use crate::edge::sessions::LoginCounters;
use crate::edge::store::workspaces::WorkspaceRow;
use crate::error::ApiResult;
use crate::session::signin::{Account, SignInPolicy};

/// What an authenticated request relies on, as one string: it changes whenever the user's
/// role, status, second-factor state or profile, the workspace's status or settings, or its
/// network policy does (every such write bumps an `updated_at` or the policy version).
macro_rules! fingerprint {
    () => {
        "u.updated_at || '|' || u.role || '|' || u.status || '|' || u.mfa_enrolled || '|' || \
         w.updated_at || '|' || w.status || '|' || COALESCE(np.version, 0)"
    };
}
const FINGERPRINT: &str = fingerprint!();

/// A user's columns with its workspace's standing; `FROM` below names the aliases.
pub const COLUMNS: &str = concat!(
    "u.id, u.workspace_id, u.email, u.display_name, u.role, u.status, u.provisioned_by, \
     u.password_hash, u.mfa_enrolled, u.created_at, u.updated_at, \
     w.status AS ws_status, w.slug AS ws_slug, w.name AS ws_name, w.sign_in_policy AS ws_policy, \
     w.mfa_required AS ws_mfa_required, w.created_at AS ws_created_at, w.updated_at AS ws_updated_at, \
     COALESCE(np.version, 0) AS network_policy_version, ",
    fingerprint!(),
    " AS fingerprint"
);

/// `users u` joined to its workspace `w` and network policy `np`.
pub const JOINED: &str = "users u JOIN workspaces w ON w.id = u.workspace_id \
     LEFT JOIN network_policies np ON np.workspace_id = u.workspace_id";

fn select() -> String {
    format!("SELECT {COLUMNS} FROM {JOINED}")
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: String,
    pub status: String,
    pub provisioned_by: String,
    pub password_hash: Option<String>,
    pub mfa_enrolled: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub ws_status: String,
    pub ws_slug: String,
    pub ws_name: String,
    pub ws_policy: String,
    pub ws_mfa_required: i64,
    pub ws_created_at: i64,
    pub ws_updated_at: i64,
    /// [`FINGERPRINT`] as read: a cached principal is valid while it is unchanged ([`guard`]).
    pub fingerprint: String,
    /// The workspace's network-policy version (0 = none), read with the user so enforcement
    /// needs no extra round trip to know whether its cached policy is current.
    pub network_policy_version: i64,
}

impl UserRow {
    /// The user's workspace, as read with the user.
    pub fn workspace(&self) -> WorkspaceRow {
        WorkspaceRow {
            id: self.workspace_id.clone(),
            name: self.ws_name.clone(),
            slug: self.ws_slug.clone(),
            status: self.ws_status.clone(),
            sign_in_policy: self.ws_policy.clone(),
            mfa_required: self.ws_mfa_required,
            created_at: self.ws_created_at,
            updated_at: self.ws_updated_at,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == "owner" || self.role == "admin"
    }

    /// Sign-in facts from this row; failure counters come from the user's Durable Object.
    pub fn account(&self, counters: &LoginCounters) -> Account {
        Account {
            workspace_active: self.ws_status == "active",
            policy: SignInPolicy::parse(&self.ws_policy).unwrap_or(SignInPolicy::PasswordOnly),
            mfa_required: self.ws_mfa_required != 0,
            user_active: self.status == "active",
            mfa_enrolled: self.mfa_enrolled != 0,
            has_password: self.password_hash.is_some(),
            failed_logins: counters.failed,
            locked_until: counters.locked_until,
        }
    }

    /// The public view of a user.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "displayName": self.display_name,
            "role": self.role,
            "status": self.status,
            "provisionedBy": self.provisioned_by,
            "mfaEnrolled": self.mfa_enrolled != 0,
            "createdAt": crate::time::format_ms(self.created_at),
            "updatedAt": crate::time::format_ms(self.updated_at),
        })
    }
}

/// The memberships of an email among `workspace_ids` (the directory's candidates on this shard).
pub async fn by_email(db: &Db, email: &str, workspace_ids: &[&str]) -> ApiResult<Vec<UserRow>> {
    let ids = serde_json::Value::from(workspace_ids.to_vec()).to_string();
    let sql =
        format!("{} WHERE u.email = ?1 AND u.workspace_id IN (SELECT value FROM json_each(?2)) LIMIT 20", select());
    db::all(db, &sql, &[text(email), text(&ids)]).await
}

/// The check that lets a request run on a principal cached by its isolate: it fails (and so
/// aborts the D1 batch it leads, writing nothing) unless the user's [`FINGERPRINT`] is still
/// `fingerprint`, the workspace has not moved to another shard, and, for a PAT, the token is
/// still live at `now`. `abs` of the smallest
/// integer is SQLite's way to raise an error from a plain SELECT.
pub fn guard(db: &Db, user: &UserRow, pat_id: Option<&str>, now: i64) -> ApiResult<D1PreparedStatement> {
    let sql = format!(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM {JOINED} WHERE u.workspace_id = ?1 AND u.id = ?2 AND {FINGERPRINT} = ?3) \
         AND NOT EXISTS (SELECT 1 FROM relocations r WHERE r.workspace_id = ?1) \
         AND (?4 IS NULL OR EXISTS (SELECT 1 FROM api_tokens t WHERE t.id = ?4 AND t.kind = 'pat' \
         AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?5))) \
         THEN 1 ELSE {} END AS ok",
        db::GUARD_FAIL_SQL
    );
    let args = [text(&user.workspace_id), text(&user.id), text(&user.fingerprint), opt_text(pat_id), int(now)];
    db::stmt(db, &sql, &args)
}

pub fn get_stmt(db: &Db, workspace_id: &str, user_id: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, &format!("{} WHERE u.workspace_id = ?1 AND u.id = ?2", select()), &[text(workspace_id), text(user_id)])
}

/// The user a [`get_stmt`] read.
pub fn decode(result: &D1Result) -> ApiResult<Option<UserRow>> {
    Ok(db::rows(result)?.into_iter().next())
}

pub async fn get(db: &Db, workspace_id: &str, user_id: &str) -> ApiResult<Option<UserRow>> {
    Ok(db::all_of(db, get_stmt(db, workspace_id, user_id)?).await?.into_iter().next())
}

pub async fn list(db: &Db, workspace_id: &str) -> ApiResult<Vec<UserRow>> {
    db::all(
        db,
        &format!("{} WHERE u.workspace_id = ?1 ORDER BY u.created_at, u.id LIMIT 1000", select()),
        &[text(workspace_id)],
    )
    .await
}

pub fn set_role_status(db: &Db, u: &UserRow, role: &str, status: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    let args: [JsValue; 5] = [text(&u.workspace_id), text(&u.id), text(role), text(status), int(now)];
    db::stmt(db, "UPDATE users SET role = ?3, status = ?4, updated_at = ?5, version = version + 1 WHERE workspace_id = ?1 AND id = ?2", &args)
}

/// A new user joining through an invitation (`password_hash` None for SSO-only workspaces).
pub struct NewUser<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub role: &'a str,
    pub provisioned_by: &'a str,
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

/// The user row (userName = email) and its one `user_emails` row, for one batch.
pub fn insert(db: &Db, u: &NewUser<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db::stmt(
            db,
            "INSERT INTO users (id, workspace_id, email, user_name, display_name, role, status, provisioned_by, password_hash, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?8)",
            &[text(u.id), text(u.workspace_id), text(u.email), opt_text(u.display_name), text(u.role), text(u.provisioned_by),
              opt_text(u.password_hash), int(u.now)],
        )?,
        db::stmt(
            db,
            "INSERT INTO user_emails (workspace_id, user_id, position, value, type, is_primary) VALUES (?1, ?2, 0, ?3, 'work', 1)",
            &[text(u.workspace_id), text(u.id), text(u.email)],
        )?,
    ])
}

pub fn set_password(db: &Db, u: &UserRow, hash: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE users SET password_hash = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
        &[text(&u.workspace_id), text(&u.id), text(hash), int(now)],
    )
}
