-- Break-glass access: an engineer's emergency request that an operator confirms, whose grant
-- starts at once and stays unacknowledged until an org admin acknowledges or disputes it.
ALTER TABLE access_requests ADD COLUMN break_glass BIGINT NOT NULL DEFAULT 0;

ALTER TABLE grants ADD COLUMN break_glass BIGINT NOT NULL DEFAULT 0;
-- acknowledged or disputed; NULL until an org admin answers (and for every other grant).
ALTER TABLE grants ADD COLUMN review TEXT;
ALTER TABLE grants ADD COLUMN reviewed_by TEXT;
ALTER TABLE grants ADD COLUMN reviewed_at BIGINT;
ALTER TABLE grants ADD COLUMN review_reason TEXT;

-- The unacknowledged break-glass grants, which an org's grant list shows first.
CREATE INDEX grants_unacknowledged ON grants (org_pk, pk)
    WHERE break_glass = 1 AND review IS NULL;
