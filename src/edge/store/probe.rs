//! The cheapest possible D1 round trip, for the development bench route that measures it.

use crate::edge::db::{self, Db};
use crate::error::ApiResult;

pub async fn round_trip(db: &Db) -> ApiResult<()> {
    db::run(db, "SELECT 1", &[]).await
}
