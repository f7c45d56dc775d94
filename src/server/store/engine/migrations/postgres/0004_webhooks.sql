-- Per-org webhooks and their transactional outbox.

-- The signing secret is kept as issued (the key of an HMAC must be at hand to sign): it is
-- protected by the database's own access control, like the checkpoint signing key, and is
-- never returned by the API after creation or rotation, nor logged. During a rotation the
-- previous secret also signs until previous_secret_until.
CREATE TABLE webhooks (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_pk BIGINT NOT NULL REFERENCES orgs (pk),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    format TEXT NOT NULL,
    description TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    disabled_reason TEXT
);
CREATE INDEX webhooks_by_org ON webhooks (org_pk, pk);

-- One row per message per webhook, written in the transaction of the event it carries.
-- msg_id is the webhook-id header, the same on every attempt; payload is the message's data.
-- locked_until leases a claimed delivery to one worker: one attempt is in flight at a time.
CREATE TABLE webhook_deliveries (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    webhook_pk BIGINT NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
    msg_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_seq BIGINT,
    event_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT,
    last_error TEXT,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, pk) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_pk, pk);

-- grant.expiring is sent once per expiry: the expires_at it was sent for (extend re-arms it).
ALTER TABLE grants ADD COLUMN expiring_sent_for BIGINT;
