-- The grant, session and access request each event is about, as columns, so that a log of any
-- size is looked up by them (and by actor) through an index rather than read through. New
-- events get them when appended; existing events get them here, by the same rules: a
-- `grant.*` event's target is its grant, a `session.*` or `access.*` event's its session, a
-- `request.*` event's its request; `session.opened` and `request.approved` name their grant,
-- and the `grant.created` of an approved request its request, in `details`.
ALTER TABLE audit_events ADD COLUMN grant_id TEXT;
ALTER TABLE audit_events ADD COLUMN session_id TEXT;
ALTER TABLE audit_events ADD COLUMN request_id TEXT;

UPDATE audit_events SET
    grant_id = CASE WHEN action LIKE 'grant.%' THEN target
                    ELSE details::jsonb ->> 'grant_id' END,
    session_id = CASE WHEN action LIKE 'session.%' OR action LIKE 'access.%' THEN target END,
    request_id = CASE WHEN action LIKE 'request.%' THEN target
                      ELSE details::jsonb ->> 'request_id' END;

CREATE INDEX audit_events_by_grant ON audit_events (org_pk, grant_id, seq);
CREATE INDEX audit_events_by_session ON audit_events (org_pk, session_id, seq);
CREATE INDEX audit_events_by_request ON audit_events (org_pk, request_id, seq);
CREATE INDEX audit_events_by_actor ON audit_events (org_pk, actor_email, seq);
CREATE INDEX vendor_audit_events_by_actor ON vendor_audit_events (actor_email, seq);
-- `since` and `until` find their first event by time.
CREATE INDEX audit_events_by_time ON audit_events (org_pk, at, seq);
CREATE INDEX vendor_audit_events_by_time ON vendor_audit_events (at, seq);
