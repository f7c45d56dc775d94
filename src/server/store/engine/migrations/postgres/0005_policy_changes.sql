-- A change to an org's policy that weakens what approvals guard, waiting for its admins'
-- approvals: at most one per org. `document` is the proposed policy's JSON, like
-- org_policies.document; `weakens` and `approvals` are JSON arrays.
CREATE TABLE policy_changes (
    org_pk BIGINT PRIMARY KEY REFERENCES orgs (pk),
    id TEXT NOT NULL UNIQUE,
    base_version BIGINT NOT NULL,
    document TEXT NOT NULL,
    weakens TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at BIGINT NOT NULL,
    approvals_required BIGINT NOT NULL,
    approvals TEXT NOT NULL
);
