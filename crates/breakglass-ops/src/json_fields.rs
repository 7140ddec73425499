//! Lenient readers of fields in Graph JSON: a field that is missing or of another type
//! reads as empty, because the tenant leaves out what it has no value for.

use jiff::Timestamp;
use serde_json::Value;

/// The string at `key`, or "" when it is missing or not a string.
pub fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The strings of the array at the JSON `pointer`; items that are not strings are left out.
pub fn strings(value: &Value, pointer: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// What a person knows a directory object by: a user's UPN, else its display name.
pub fn object_name(value: &Value) -> String {
    value
        .get("userPrincipalName")
        .or_else(|| value.get("displayName"))
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string()
}

/// The timestamp at `key`, or `None` when it is missing or does not parse.
pub fn time(value: &Value, key: &str) -> Option<Timestamp> {
    value
        .get(key)
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok())
}
