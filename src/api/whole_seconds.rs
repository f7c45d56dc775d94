//! Durations are whole seconds; JSON has one number type, so `3600.0` is read as 3600
//! (JSON Schema calls it an integer too), while `1.5` is refused. A whole number beyond what
//! an `i64` holds (`1e300`) is read as the nearest one it holds: a duration that long is then
//! refused as over the maximum, like any other too long.

use serde::{Deserialize, Deserializer, de::Error};

fn whole(value: serde_json::Number) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0)
            // `as` saturates at i64::MIN and i64::MAX.
            .map(|f| f as i64)
    })
}

pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    whole(number.clone())
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number of seconds")))
}

pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(number) => whole(number.clone())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number of seconds"))),
    }
}

/// A list of whole numbers read the same way (the hours of an approval rule).
pub fn optional_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<i64>>, D::Error> {
    let Some(numbers) = Option::<Vec<serde_json::Number>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    numbers
        .into_iter()
        .map(|number| {
            whole(number.clone())
                .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number")))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}
