-- Times are whole seconds since the epoch; token hashes are lowercase hex SHA-256.
CREATE TABLE orgs (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    disabled_at INTEGER,
    -- head of the org's audit chain: writers serialize on this row
    audit_seq INTEGER NOT NULL DEFAULT 0,
    audit_hash TEXT NOT NULL
);

CREATE TABLE accounts (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    org_pk INTEGER REFERENCES orgs (pk),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    disabled_at INTEGER
);

CREATE TABLE grants (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    org_pk INTEGER NOT NULL REFERENCES orgs (pk),
    level TEXT NOT NULL,
    areas TEXT NOT NULL,
    engineers TEXT NOT NULL,
    all_engineers INTEGER NOT NULL,
    reason TEXT NOT NULL,
    ticket TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT,
    revoke_reason TEXT,
    expiry_recorded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX grants_by_org ON grants (org_pk, pk);
CREATE INDEX grants_unrecorded_expiry ON grants (expires_at)
    WHERE revoked_at IS NULL AND expiry_recorded = 0;

CREATE TABLE grant_engineers (
    grant_pk INTEGER NOT NULL REFERENCES grants (pk),
    account_pk INTEGER NOT NULL REFERENCES accounts (pk),
    PRIMARY KEY (grant_pk, account_pk)
);
CREATE INDEX grant_engineers_by_account ON grant_engineers (account_pk, grant_pk);

CREATE TABLE sessions (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    org_pk INTEGER NOT NULL REFERENCES orgs (pk),
    grant_pk INTEGER NOT NULL REFERENCES grants (pk),
    engineer_pk INTEGER NOT NULL REFERENCES accounts (pk),
    level TEXT NOT NULL,
    areas TEXT NOT NULL,
    reason TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    opened_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    closed_at INTEGER,
    close_reason TEXT,
    expiry_recorded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_org ON sessions (org_pk, pk);
CREATE INDEX sessions_by_engineer ON sessions (engineer_pk, pk);
CREATE INDEX sessions_by_grant ON sessions (grant_pk);
CREATE INDEX sessions_unrecorded_expiry ON sessions (expires_at)
    WHERE closed_at IS NULL AND expiry_recorded = 0;

CREATE TABLE audit_events (
    org_pk INTEGER NOT NULL REFERENCES orgs (pk),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (org_pk, seq)
);
CREATE INDEX audit_events_by_action ON audit_events (org_pk, action, seq);
