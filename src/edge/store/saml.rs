//! SAML identity providers in D1, one row per provider of a workspace.

use serde::{Deserialize, Serialize};
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::edge::db::{self, int, text};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct Provider {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub idp_entity_id: String,
    pub sso_url: String,
    pub sso_binding: String,
    /// JSON array of base64 DER certificates.
    pub certificates: String,
    pub name_id_format: String,
    /// JSON [`AttributeMapping`].
    pub attribute_mapping: String,
    pub jit_provisioning: i64,
    pub allowed_skew_secs: i64,
    pub enabled: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which assertion attributes carry the user's profile (first present wins; the NameID is
/// the email when its format is emailAddress or no email attribute is sent).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeMapping {
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub groups: String,
}

impl Default for AttributeMapping {
    fn default() -> Self {
        Self {
            email: "email".into(),
            given_name: "givenName".into(),
            family_name: "surname".into(),
            groups: "groups".into(),
        }
    }
}

impl Provider {
    pub fn certificates(&self) -> Vec<String> {
        serde_json::from_str(&self.certificates).unwrap_or_default()
    }

    pub fn mapping(&self) -> AttributeMapping {
        serde_json::from_str(&self.attribute_mapping).unwrap_or_default()
    }
}

const COLUMNS: &str = "id, workspace_id, name, idp_entity_id, sso_url, sso_binding, certificates, name_id_format, \
     attribute_mapping, jit_provisioning, allowed_skew_secs, enabled, created_at, updated_at";

pub async fn list(db: &Db, ws: &str) -> ApiResult<Vec<Provider>> {
    let sql = format!("SELECT {COLUMNS} FROM saml_providers WHERE workspace_id = ?1 ORDER BY created_at, id");
    db::all(db, &sql, &[text(ws)]).await
}

pub async fn get(db: &Db, ws: &str, id: &str) -> ApiResult<Option<Provider>> {
    let sql = format!("SELECT {COLUMNS} FROM saml_providers WHERE workspace_id = ?1 AND id = ?2");
    db::first(db, &sql, &[text(ws), text(id)]).await
}

/// A provider by its globally unique id, for the public metadata, login and ACS routes (the
/// row names its workspace).
pub async fn by_id(db: &Db, id: &str) -> ApiResult<Option<Provider>> {
    let sql = format!("SELECT {COLUMNS} FROM saml_providers WHERE id = ?1");
    db::first(db, &sql, &[text(id)]).await
}

fn args(p: &Provider) -> Vec<wasm_bindgen::JsValue> {
    vec![
        text(&p.id),
        text(&p.workspace_id),
        text(&p.name),
        text(&p.idp_entity_id),
        text(&p.sso_url),
        text(&p.sso_binding),
        text(&p.certificates),
        text(&p.name_id_format),
        text(&p.attribute_mapping),
        int(p.jit_provisioning),
        int(p.allowed_skew_secs),
        int(p.enabled),
        int(p.created_at),
        int(p.updated_at),
    ]
}

pub fn insert(db: &Db, p: &Provider) -> ApiResult<D1PreparedStatement> {
    let sql = format!(
        "INSERT INTO saml_providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    );
    db::stmt(db, &sql, &args(p))
}

pub fn update(db: &Db, p: &Provider) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE saml_providers SET name = ?3, idp_entity_id = ?4, sso_url = ?5, sso_binding = ?6, certificates = ?7, \
         name_id_format = ?8, attribute_mapping = ?9, jit_provisioning = ?10, allowed_skew_secs = ?11, enabled = ?12, \
         updated_at = ?13 WHERE id = ?1 AND workspace_id = ?2",
        &args(p).into_iter().enumerate().filter(|(i, _)| *i != 12).map(|(_, v)| v).collect::<Vec<_>>(),
    )
}

pub fn delete(db: &Db, ws: &str, id: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, "DELETE FROM saml_providers WHERE workspace_id = ?1 AND id = ?2", &[text(ws), text(id)])
}
