-- Times are whole seconds since the epoch; token hashes are lowercase hex SHA-256.
CREATE TABLE orgs (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT,
    -- head of the org's audit chain: writers serialize on this row
    audit_seq BIGINT NOT NULL DEFAULT 0,
    audit_hash TEXT NOT NULL
);

CREATE TABLE accounts (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    org_pk BIGINT REFERENCES orgs (pk),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

CREATE TABLE grants (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_pk BIGINT NOT NULL REFERENCES orgs (pk),
    level TEXT NOT NULL,
    areas TEXT NOT NULL,
    engineers TEXT NOT NULL,
    all_engineers BIGINT NOT NULL,
    reason TEXT NOT NULL,
    ticket TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT,
    revoke_reason TEXT,
    expiry_recorded BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX grants_by_org ON grants (org_pk, pk);
CREATE INDEX grants_unrecorded_expiry ON grants (expires_at)
    WHERE revoked_at IS NULL AND expiry_recorded = 0;

CREATE TABLE grant_engineers (
    grant_pk BIGINT NOT NULL REFERENCES grants (pk),
    account_pk BIGINT NOT NULL REFERENCES accounts (pk),
    PRIMARY KEY (grant_pk, account_pk)
);
CREATE INDEX grant_engineers_by_account ON grant_engineers (account_pk, grant_pk);

CREATE TABLE sessions (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_pk BIGINT NOT NULL REFERENCES orgs (pk),
    grant_pk BIGINT NOT NULL REFERENCES grants (pk),
    engineer_pk BIGINT NOT NULL REFERENCES accounts (pk),
    level TEXT NOT NULL,
    areas TEXT NOT NULL,
    reason TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    opened_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT,
    close_reason TEXT,
    expiry_recorded BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_org ON sessions (org_pk, pk);
CREATE INDEX sessions_by_engineer ON sessions (engineer_pk, pk);
CREATE INDEX sessions_by_grant ON sessions (grant_pk);
CREATE INDEX sessions_unrecorded_expiry ON sessions (expires_at)
    WHERE closed_at IS NULL AND expiry_recorded = 0;

CREATE TABLE audit_events (
    org_pk BIGINT NOT NULL REFERENCES orgs (pk),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
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
