-- A change to an org's policy that weakens what approvals guard, waiting for its admins'
-- approvals: at most one per org. `document` is the proposed policy's JSON, like
-- org_policies.document; `weakens` and `approvals` are JSON arrays.
CREATE TABLE policy_changes (
    org_pk INTEGER PRIMARY KEY REFERENCES orgs (pk),
    id TEXT NOT NULL UNIQUE,
    base_version INTEGER NOT NULL,
    document TEXT NOT NULL,
    weakens TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    approvals_required INTEGER NOT NULL,
    approvals TEXT NOT NULL
);
