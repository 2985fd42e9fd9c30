//! D1 plumbing: argument binding, row decoding and error mapping. Repositories build their
//! statements with these helpers; nothing here knows a table.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::audit::query::SqlValue;
use crate::edge::http::fault;
use crate::error::ApiResult;

pub fn open(env: &Env) -> ApiResult<D1Database> {
    env.d1("DB").map_err(|e| fault("D1 binding DB", e))
}

/// A bound value: text, integer, or NULL.
pub fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

pub fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

pub fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

pub fn opt_int(n: Option<i64>) -> JsValue {
    n.map_or(JsValue::NULL, int)
}

pub fn value(v: &SqlValue) -> JsValue {
    match v {
        SqlValue::Text(s) => text(s),
        SqlValue::Int(n) => int(*n),
    }
}

pub fn stmt(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<D1PreparedStatement> {
    db.prepare(sql).bind(args).map_err(|e| fault("D1 bind", e))
}

pub async fn first<T: DeserializeOwned>(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<Option<T>> {
    stmt(db, sql, args)?.first::<T>(None).await.map_err(|e| fault("D1 first", e))
}

pub async fn all<T: DeserializeOwned>(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<Vec<T>> {
    let result = stmt(db, sql, args)?.all().await.map_err(|e| fault("D1 all", e))?;
    result.results::<T>().map_err(|e| fault("D1 rows", e))
}

pub async fn run(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<()> {
    stmt(db, sql, args)?.run().await.map_err(|e| fault("D1 run", e))?;
    Ok(())
}
