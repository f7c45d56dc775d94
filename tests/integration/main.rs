//! The one integration test binary (2 cores link it once). Every test runs the real server on
//! an ephemeral port over a real database; CLI tests run the real binary against it.

mod common;

mod api_smoke;

// Sign-in with an identity provider, against a real OpenID Provider on loopback.
mod api_sso;
mod cli_sso;

// The previous release's databases upgraded; backups, restores and offline verification.
mod server_maintenance;
mod upgrades;

// Several server processes on one PostgreSQL database.
mod replica_break_glass;
mod replica_checkpoints;
mod replicas;

// HTTPS with a certificate made in the test.
mod tls;

// Connection limits: idle HTTP/1 and HTTP/2 connections, the cap on open connections.
mod connections;

// Unauthenticated connections cannot lock out callers with a token; stalled responses close.
mod connection_slots;

// Readiness and the drain at shutdown; the systemd unit and the container image.
mod lifecycle;
mod packaging;

// The server's config file and `server config`; one log line per request.
mod request_logs;
mod server_config;

// Prometheus metrics: checked by promtool, on both databases; the token-less listener.
mod metrics;
mod metrics_listener;

// Failed authentication, limited per client address.
mod rate_limit;

// The API conformance suite: every test runs on SQLite and on PostgreSQL.
mod api_approval_rules;
mod api_approvals;
mod api_audit_chain;
mod api_audit_list;
mod api_audit_tree;
mod api_authorize_batches;
mod api_authz;
mod api_authz_sso;
mod api_authz_webhooks;
mod api_bad_inputs;
mod api_bad_inputs_accounts_sessions;
mod api_break_glass;
mod api_bulk_revoke;
mod api_checkpoints;
mod api_dry_run;
mod api_endpoints;
mod api_expiry;
mod api_hangups;
mod api_introspection_clients;
mod api_pagination;
mod api_platform_lookup;
mod api_policy;
mod api_query_params;
mod api_requests;
mod api_revocation;
mod api_session_cap;
mod api_session_token;
mod api_sessions;
mod api_tickets;
mod api_webhooks;
mod webhook_expiring;
mod webhook_fairness;
// The audit log as OCSF events for SIEMs, checked by an independent validator.
mod ocsf;

mod cli_assets;
mod cli_audit;
mod cli_audit_follow;
mod cli_audit_tree;
mod cli_break_glass;
mod cli_checkpoint;
mod cli_completion;
mod cli_consistency;
mod cli_credentials;
mod cli_dry_run;
mod cli_escaping;
mod cli_evidence_report;
mod cli_first_run;
mod cli_grant;
mod cli_interactive;
mod cli_limits;
mod cli_lists;
mod cli_operator;
mod cli_output;
mod cli_profiles;
mod cli_request;
mod cli_secret_service;
mod cli_session;
mod cli_session_exec;
mod cli_tables;
mod cli_webhook;
mod cli_wizard;

// Hostile input, faults and attack.
mod abuse;
mod api_decoding;
mod crash;
mod crash_authorize;
mod drain;
mod exclusive;
mod secrets;
mod webhook_processes;

// The source's shape: no import cycle among the CLI's modules; every test file compiled.
mod forgotten_test_files;
mod module_cycles;
