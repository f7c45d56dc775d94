//! What the tests share: the in-process server harness and its fixtures, the conformance
//! macro that runs a test on both databases, the CLI runner, server processes, the kernel
//! keyring helpers, raw HTTP/1.1 reading, and the independent verifiers written in Python.

pub mod bad_requests;
pub mod cli;
pub mod conformance;
pub mod fixtures;
pub mod go_note;
pub mod go_tlog;
pub mod harness;
pub mod keyutils;
pub mod oidc;
pub mod python;
pub mod raw_http;
pub mod receiver;
pub mod server_process;
