//! The wire format of the HTTP API: the one source of truth that the server serializes and the
//! client deserializes. Request bodies refuse unknown fields so that a typo never silently
//! widens or narrows a grant.

mod access;
pub mod canonical;
pub mod chain;
pub mod checkpoint;
mod errors;
pub mod ocsf;
pub mod report;
mod requests;
mod resources;
mod rules;
mod sso;
pub mod tlog;
mod vocabulary;
mod webhooks;
mod whole_seconds;

pub use access::*;
pub use errors::*;
pub use requests::*;
pub use resources::*;
pub use rules::*;
pub use sso::*;
pub use vocabulary::*;
pub use webhooks::*;
