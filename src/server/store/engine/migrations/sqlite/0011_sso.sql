-- Sign-in with an identity provider (OIDC): connectors, the identities linked to accounts, the
-- sign-ins in progress, and what an account's current token came from.

-- An OIDC relying party's settings. `org_pk` 0 is the vendor's connector (support engineers
-- and operators), else the org whose admins it signs in. The client secret is kept here so that
-- every replica can use it; the API never returns it.
CREATE TABLE sso_connectors (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    org_pk INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    flows TEXT NOT NULL,
    email_domains TEXT NOT NULL,
    rules TEXT NOT NULL,
    provision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (org_pk, name)
);

-- An account's identity at a provider: accounts are found by (iss, sub), never by email alone.
CREATE TABLE sso_identities (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    account_pk INTEGER NOT NULL REFERENCES accounts (pk),
    iss TEXT NOT NULL,
    sub TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (iss, sub)
);
CREATE INDEX sso_identities_by_account ON sso_identities (account_pk);

-- A sign-in in progress. `id` is the secret the client polls with; `state` comes back from the
-- provider's redirect. `status`: pending, ready (the account is known; its token not yet
-- handed out), failed (code and detail say why), taken.
CREATE TABLE sso_flows (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    connector_pk INTEGER NOT NULL,
    kind TEXT NOT NULL,
    state TEXT UNIQUE,
    state_used_at INTEGER,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT,
    device_code TEXT,
    interval_seconds INTEGER NOT NULL,
    next_poll_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    account_pk INTEGER,
    iss TEXT,
    sub TEXT,
    auth_at INTEGER,
    error_status INTEGER,
    error_code TEXT,
    error_detail TEXT
);
CREATE INDEX sso_flows_by_expiry ON sso_flows (expires_at);

-- A token from a sign-in expires, and says where and when its holder signed in; a token made
-- by `account create` or `rotate-token` has none of these.
ALTER TABLE accounts ADD COLUMN token_expires_at INTEGER;
ALTER TABLE accounts ADD COLUMN token_connector TEXT;
ALTER TABLE accounts ADD COLUMN token_auth_at INTEGER;
