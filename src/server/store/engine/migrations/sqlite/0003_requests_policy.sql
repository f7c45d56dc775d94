-- Access requests and each org's own policy. Times are whole seconds since the epoch.

-- An org's policy once its admins change it (no row: the server's defaults, version 0).
-- `document` is the policy's JSON without version and updated_*.
CREATE TABLE org_policies (
    org_pk INTEGER PRIMARY KEY REFERENCES orgs (pk),
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE access_requests (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    org_pk INTEGER NOT NULL REFERENCES orgs (pk),
    requester_pk INTEGER NOT NULL REFERENCES accounts (pk),
    level TEXT NOT NULL,
    areas TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL,
    reason TEXT NOT NULL,
    ticket TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    approvals_required INTEGER NOT NULL,
    -- JSON array of approvals: [{by, at, comment, level?, areas?, duration_seconds?}]
    approvals TEXT NOT NULL DEFAULT '[]',
    -- approved, denied or cancelled; NULL while pending (and once lapsed: expiry is derived)
    decision TEXT,
    decided_at INTEGER,
    decided_by TEXT,
    decision_comment TEXT,
    grant_id TEXT,
    expiry_recorded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_requests_by_org ON access_requests (org_pk, pk);
CREATE INDEX access_requests_by_requester ON access_requests (requester_pk, pk);
-- Undecided and not yet recorded as lapsed: the pending lists and the sweeper read only these.
CREATE INDEX access_requests_open_by_org ON access_requests (org_pk, pk)
    WHERE decision IS NULL AND expiry_recorded = 0;
CREATE INDEX access_requests_open_by_requester ON access_requests (requester_pk, org_pk)
    WHERE decision IS NULL AND expiry_recorded = 0;
CREATE INDEX access_requests_unrecorded_expiry ON access_requests (expires_at)
    WHERE decision IS NULL AND expiry_recorded = 0;

ALTER TABLE grants ADD COLUMN request_id TEXT;
