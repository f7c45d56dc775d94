//! Public identifiers: a type prefix and a ULID, so ids sort by creation time and say what
//! they name.

pub const ACCOUNT: &str = "acc";
pub const GRANT: &str = "gr";
pub const SESSION: &str = "ses";
pub const EVENT: &str = "ev";
pub const REQUEST: &str = "rq";
pub const POLICY_CHANGE: &str = "pc";
pub const WEBHOOK: &str = "wh";
pub const DELIVERY: &str = "dlv";
pub const MESSAGE: &str = "msg";
pub const APPROVAL_RULE: &str = "ar";

pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    )
}
