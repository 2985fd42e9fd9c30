-- SCIM reads ride in the token check's batch, scoped to the workspace of the token's hash
-- (src/edge/store/scim.rs, Scope::ScimToken): that lookup is by hash.
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_by_hash ON api_tokens (token_hash);
