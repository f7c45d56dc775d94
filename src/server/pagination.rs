//! List limits and cursors as query parameters: what a request may ask, and its answer
//! when it asks what cannot be served.

use super::error::ApiError;
use super::store::PageRequest;
use super::store::cursor::{self, BadCursor};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// The key a cursor stands for; a cursor this server did not issue is refused with 422.
pub fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    cursor::decode_cursor(cursor)
        .map_err(|error: BadCursor| ApiError::unprocessable(error.to_string()))
}

pub fn limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        Some(limit) => Err(ApiError::invalid(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        ))),
    }
}

pub fn page_request(
    limit_value: Option<i64>,
    cursor: Option<&str>,
    count: Option<bool>,
) -> Result<PageRequest, ApiError> {
    Ok(PageRequest {
        limit: limit(limit_value)?,
        after: cursor.map(decode_cursor).transpose()?,
        count: count == Some(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(1001)).is_err());
    }
}
