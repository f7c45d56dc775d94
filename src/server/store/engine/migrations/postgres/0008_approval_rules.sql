-- Auto-approval rules: an org's admins say which requests need no human approval. A rule is
-- never deleted, only marked removed, so that the grants and requests naming it keep meaning.
CREATE TABLE approval_rules (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_pk BIGINT NOT NULL REFERENCES orgs (pk),
    name TEXT NOT NULL,
    max_level TEXT NOT NULL,
    areas TEXT NOT NULL,
    max_duration_seconds BIGINT NOT NULL,
    ticket_pattern TEXT,
    -- JSON array of emails; NULL: any support engineer
    engineers TEXT,
    -- JSON array of weekdays ("mon" ... "sun", UTC); NULL: every day
    weekdays TEXT,
    -- hours of the day in UTC, [start, end); NULL: all day
    hours_start BIGINT,
    hours_end BIGINT,
    expires_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT,
    removed_by TEXT
);
-- A name is unique among the org's rules in force (a removed rule's name may be used again).
CREATE UNIQUE INDEX approval_rules_live_name ON approval_rules (org_pk, name)
    WHERE removed_at IS NULL;
CREATE INDEX approval_rules_by_org ON approval_rules (org_pk, pk);

-- The rule that approved a request, and that its grant names.
ALTER TABLE access_requests ADD COLUMN approval_rule TEXT;
ALTER TABLE grants ADD COLUMN approval_rule TEXT;

-- Closing a ticket finds its active grants and pending requests by it.
CREATE INDEX grants_by_ticket ON grants (org_pk, ticket) WHERE ticket IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX access_requests_by_ticket ON access_requests (org_pk, ticket)
    WHERE ticket IS NOT NULL AND decision IS NULL;
