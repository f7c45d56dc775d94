-- Signed audit checkpoints and the vendor's own audit chain.

-- The vendor chain: events about accounts that belong to no org (support engineers, services,
-- operators) and about orgs themselves, in the same format as an org's chain. Its head is the
-- one row of vendor_audit_head (writers serialize on it); its events carry an empty org.
CREATE TABLE vendor_audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    audit_seq INTEGER NOT NULL,
    audit_hash TEXT NOT NULL
);
INSERT INTO vendor_audit_head (id, audit_seq, audit_hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE vendor_audit_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX vendor_audit_events_by_action ON vendor_audit_events (action, seq);

-- The checkpoint signing key in the signed-note private key format (which includes its name).
-- One row, so that every replica signs with the same key; the first to start inserts it.
CREATE TABLE signing_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    signer_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
