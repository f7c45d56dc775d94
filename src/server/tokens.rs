//! Bearer tokens: 192 random bits behind a recognisable prefix, stored only as SHA-256.

use sha2::{Digest, Sha256};

use super::store::TokenHash;
use crate::api::{ACCOUNT_TOKEN_PREFIX, SESSION_TOKEN_PREFIX};

const TOKEN_BYTES: usize = 24;

/// A fresh token and the hash under which it is stored.
pub struct NewToken {
    pub token: String,
    pub hash: TokenHash,
}

fn generate(prefix: &str) -> NewToken {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let token = format!("{prefix}{}", hex::encode(bytes));
    let hash = hash_token(&token);
    NewToken { token, hash }
}

pub fn new_account_token() -> NewToken {
    generate(ACCOUNT_TOKEN_PREFIX)
}

pub fn new_session_token() -> NewToken {
    generate(SESSION_TOKEN_PREFIX)
}

pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_prefix_and_enough_randomness() {
        let a = new_account_token();
        let b = new_account_token();
        assert!(a.token.starts_with("sat_"));
        assert!(new_session_token().token.starts_with("sst_"));
        assert_eq!(a.token.len(), 4 + 2 * TOKEN_BYTES);
        assert_ne!(a.token, b.token);
        assert_eq!(a.hash, hash_token(&a.token));
    }
}
