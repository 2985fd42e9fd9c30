//! D1 plumbing: the per-request database handle (which binding, how many round trips so far),
//! argument binding, row decoding and error mapping. Repositories build their statements with
//! these helpers; nothing here knows a table.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, Env};

use crate::audit::query::SqlValue;
use crate::edge::http::fault;
use crate::error::ApiResult;
use crate::tenancy::Shard;

/// D1 round trips made so far on behalf of one request (or one queue job). Shared by every
/// [`Db`] the request opens; reported in development as `X-AxisSynapse-D1-Round-Trips`.
#[derive(Debug, Clone, Default)]
pub struct Trips(Rc<Cell<u32>>);

impl Trips {
    pub fn count(&self) -> u32 {
        self.0.get()
    }

    fn add(&self) {
        self.0.set(self.0.get().saturating_add(1));
    }
}

/// How a [`Db`] reaches its database: the binding itself (the primary), or a D1 session (Sessions
/// API: sequentially consistent, may be served by a read replica no older than its bookmark).
enum Conn {
    Primary(D1Database),
    Session(D1DatabaseSession),
}

/// A request's check of a principal its isolate had cached (`store::users::guard`), waiting to
/// lead the request's first round trip to the primary, so checking it costs no round trip of
/// its own.
pub enum Guard {
    Idle,
    Pending(D1PreparedStatement),
    /// It ran and found the principal changed: the batch it led wrote nothing.
    Failed,
}

pub type GuardCell = Rc<RefCell<Guard>>;

/// What SQLite says when a guard fails (`abs` of the smallest integer).
pub const GUARD_FAILED: &str = "integer overflow";
/// The SQL expression a guard's `CASE` evaluates to fail with [`GUARD_FAILED`]: SQLite's way
/// to raise an error from a plain SELECT, aborting the batch it leads.
pub const GUARD_FAIL_SQL: &str = "abs(-9223372036854775807 - 1)";

/// One D1 database as a request sees it. Every query or batch through it counts one round trip.
#[derive(Clone)]
pub struct Db {
    conn: Rc<Conn>,
    trips: Trips,
    guard: Option<GuardCell>,
}

impl Db {
    /// The database bound as `binding`; `None` when there is no such binding.
    pub fn bound(env: &Env, binding: &str, trips: &Trips) -> Option<Self> {
        env.d1(binding).ok().map(|d1| Self { conn: Rc::new(Conn::Primary(d1)), trips: trips.clone(), guard: None })
    }

    /// A D1 session on `binding` starting from `constraint_or_bookmark` (`first-primary`,
    /// `first-unconstrained`, or a bookmark a client brought back).
    pub fn session(env: &Env, binding: &str, trips: &Trips, constraint_or_bookmark: &str) -> ApiResult<Option<Self>> {
        let Ok(d1) = env.d1(binding) else { return Ok(None) };
        let session = d1.with_session(Some(constraint_or_bookmark)).map_err(|e| fault("D1 session", e))?;
        Ok(Some(Self { conn: Rc::new(Conn::Session(session)), trips: trips.clone(), guard: None }))
    }

    /// This database runs `cell`'s pending guard ahead of its next round trip.
    pub fn with_guard(mut self, cell: GuardCell) -> Self {
        self.guard = Some(cell);
        self
    }

    fn take_guard(&self) -> Option<D1PreparedStatement> {
        let cell = self.guard.as_ref()?;
        let mut state = cell.borrow_mut();
        match std::mem::replace(&mut *state, Guard::Idle) {
            Guard::Pending(check) => Some(check),
            other => {
                *state = other;
                None
            }
        }
    }

    fn guard_pending(&self) -> bool {
        self.guard.as_ref().is_some_and(|cell| matches!(*cell.borrow(), Guard::Pending(_)))
    }

    /// The session's latest bookmark (`None` for the primary binding or before any query).
    pub fn bookmark(&self) -> Option<String> {
        match &*self.conn {
            Conn::Primary(_) => None,
            Conn::Session(s) => s.get_bookmark().ok().flatten(),
        }
    }

    fn prepare(&self, sql: &str) -> D1PreparedStatement {
        match &*self.conn {
            Conn::Primary(d1) => d1.prepare(sql),
            Conn::Session(s) => s.prepare(sql),
        }
    }

    /// Runs statements as one transaction in one round trip, led by a pending guard if any.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
        let Some(check) = self.take_guard() else { return self.raw_batch(statements).await };
        let mut guarded = Vec::with_capacity(statements.len() + 1);
        guarded.push(check);
        guarded.extend(statements);
        match self.raw_batch(guarded).await {
            Ok(mut results) if !results.is_empty() => {
                results.remove(0);
                Ok(results)
            }
            Ok(results) => Ok(results),
            Err(e) => {
                if let (true, Some(cell)) = (e.to_string().contains(GUARD_FAILED), &self.guard) {
                    *cell.borrow_mut() = Guard::Failed;
                }
                Err(e)
            }
        }
    }

    async fn raw_batch(&self, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
        self.trips.add();
        match &*self.conn {
            Conn::Primary(d1) => d1.batch(statements).await,
            Conn::Session(s) => s.batch(statements).await,
        }
    }
}

/// The directory database's binding (`wrangler.toml`).
pub const DIRECTORY: &str = "DIRECTORY";

/// A shard's database outside a request (queue jobs, the sweeper), with its own count.
pub fn open(env: &Env, shard: Shard) -> ApiResult<Db> {
    Db::bound(env, &shard.binding(), &Trips::default()).ok_or_else(|| fault("D1 binding", shard.binding()))
}

/// Every bound shard, in order: `DB_SHARD_0`, `DB_SHARD_1`, … up to the first gap.
pub fn shards(env: &Env) -> Vec<(Shard, Db)> {
    (0..=u8::MAX).map(Shard).map_while(|s| Db::bound(env, &s.binding(), &Trips::default()).map(|db| (s, db))).collect()
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

pub fn stmt(db: &Db, sql: &str, args: &[JsValue]) -> ApiResult<D1PreparedStatement> {
    db.prepare(sql).bind(args).map_err(|e| fault("D1 bind", e))
}

/// Runs one statement: alone (one round trip), or behind the pending guard in one batch.
async fn execute(db: &Db, statement: D1PreparedStatement) -> ApiResult<D1Result> {
    if db.guard_pending() {
        let mut results = db.batch(vec![statement]).await.map_err(|e| fault("D1", e))?;
        return results.pop().ok_or_else(|| fault("D1", "no result"));
    }
    db.trips.add();
    statement.all().await.map_err(|e| fault("D1", e))
}

pub async fn first<T: DeserializeOwned>(db: &Db, sql: &str, args: &[JsValue]) -> ApiResult<Option<T>> {
    Ok(rows::<T>(&execute(db, stmt(db, sql, args)?).await?)?.into_iter().next())
}

pub async fn all<T: DeserializeOwned>(db: &Db, sql: &str, args: &[JsValue]) -> ApiResult<Vec<T>> {
    all_of(db, stmt(db, sql, args)?).await
}

/// Runs a prepared statement (one round trip) and decodes its rows.
pub async fn all_of<T: DeserializeOwned>(db: &Db, statement: D1PreparedStatement) -> ApiResult<Vec<T>> {
    rows(&execute(db, statement).await?)
}

/// The rows of one statement's result (of a batch, or of [`all_of`]).
pub fn rows<T: DeserializeOwned>(result: &D1Result) -> ApiResult<Vec<T>> {
    result.results::<T>().map_err(|e| fault("D1 rows", e))
}

pub async fn run(db: &Db, sql: &str, args: &[JsValue]) -> ApiResult<()> {
    execute(db, stmt(db, sql, args)?).await.map(|_| ())
}
