-- Which shard this database is (one row, written by scripts/migrate.sh): lets an operator or a
-- script holding only the database file tell the shards apart.
CREATE TABLE IF NOT EXISTS shard_meta (
  shard INTEGER PRIMARY KEY CHECK (shard BETWEEN 0 AND 255)
);
