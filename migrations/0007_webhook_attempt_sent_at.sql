-- When each webhook attempt's request went out (schema.sql, webhook_attempts): the portal's
-- delivery log shows its `webhook-timestamp` header (this in whole seconds). NULL for
-- attempts logged before the column existed.
ALTER TABLE webhook_attempts ADD COLUMN sent_at INTEGER;
