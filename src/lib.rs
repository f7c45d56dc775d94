//! supportctl: org admins grant the vendor's support team scoped, time-boxed access; support
//! engineers open short-lived sessions from grants; the platform asks whether a session may
//! touch a kind of data; every change and use is in the org's hash-chained audit log.
//!
//! One binary, two halves: the client ([`cli`]) and the server ([`server`]),
//! sharing the wire types of [`api`].

pub mod api;
pub mod cli;
pub mod server;
