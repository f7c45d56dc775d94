-- Each audit chain is also a Merkle tree (RFC 6962, as Go's sumdb/tlog): every event keeps
-- the tree hashes its append stored (its leaf's record hash, then one node per subtree it
-- completed: tlog's stored hashes, numbered by StoredHashIndex), and each chain's head keeps
-- its tree's size and frontier (the complete subtrees' hashes, largest first), from which the
-- next append and the root are computed. Existing chains have size 0 here: the server builds
-- their trees from their events when it opens the database, before it serves.
ALTER TABLE audit_events ADD COLUMN tree_hashes BYTEA;
ALTER TABLE vendor_audit_events ADD COLUMN tree_hashes BYTEA;
ALTER TABLE orgs ADD COLUMN audit_tree_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN audit_tree BYTEA;
ALTER TABLE vendor_audit_head ADD COLUMN audit_tree_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE vendor_audit_head ADD COLUMN audit_tree BYTEA;
