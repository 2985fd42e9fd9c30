//! Workspaces: status and sign-in settings.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::edge::db::{self, int, text};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub sign_in_policy: String,
    pub mfa_required: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WorkspaceRow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "status": self.status,
            "signInPolicy": self.sign_in_policy,
            "mfaRequired": self.mfa_required != 0,
            "createdAt": crate::time::format_ms(self.created_at),
            "updatedAt": crate::time::format_ms(self.updated_at),
        })
    }
}

pub async fn get(db: &Db, id: &str) -> ApiResult<Option<WorkspaceRow>> {
    db::first(db, "SELECT * FROM workspaces WHERE id = ?1", &[text(id)]).await
}

pub async fn by_slug(db: &Db, slug: &str) -> ApiResult<Option<WorkspaceRow>> {
    db::first(db, "SELECT * FROM workspaces WHERE slug = ?1", &[text(slug)]).await
}

pub fn update_sign_in(db: &Db, w: &WorkspaceRow, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE workspaces SET sign_in_policy = ?2, mfa_required = ?3, updated_at = ?4 WHERE id = ?1",
        &[text(&w.id), text(&w.sign_in_policy), int(w.mfa_required), int(now)],
    )
}
