-- A fair claim looks up each webhook's oldest due deliveries and counts the attempts in flight
-- (leased rows); these keep both to index lookups, whatever the backlog.
CREATE INDEX webhook_deliveries_due_by_webhook
    ON webhook_deliveries (webhook_pk, next_attempt_at, pk) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased
    ON webhook_deliveries (locked_until, webhook_pk) WHERE status = 'pending';
