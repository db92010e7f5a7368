//! Numbers that the logs print in hex and that must survive JSON (which loses precision above
//! 2^53): slides, sizes, register values, timestamps.

use serde::{Serialize, Serializer};
use std::fmt;

/// A `u64` serialized as a `0x`-prefixed hex string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hex(pub u64);

impl Hex {
    /// The value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A string of `0x` and lower-case hex digits, no padding.
impl schemars::JsonSchema for Hex {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hex".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kpanic_common::Hex".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": HEX_PATTERN,
            "description": "A number in hex: 0x and lower-case hex digits (JSON numbers lose precision above 2^53).",
        })
    }
}

/// The pattern of a [`Hex`] string in the JSON Schemas: `0x` and lower-case hex digits.
pub const HEX_PATTERN: &str = "^0x[0-9a-f]+$";

/// Serialize a plain `u64` as a hex string (for slides, bases and sizes that are not addresses
/// of one of the address spaces). Use with `#[serde(serialize_with = "hex_u64")]`.
pub fn hex_u64<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:#x}"))
}

/// `Option<u64>` as an optional hex string.
pub fn hex_u64_opt<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(&format_args!("{v:#x}")),
        None => s.serialize_none(),
    }
}

/// Parse `0x…` (or bare hex digits) into a u64. More than 16 significant digits is not a u64.
pub fn parse_hex(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 16 {
        return None;
    }
    u64::from_str_radix(
        if significant.is_empty() {
            "0"
        } else {
            significant
        },
        16,
    )
    .ok()
}

/// Parse a hex token that must carry the `0x` prefix (so that "10" is not silently read as 16).
pub fn parse_0x(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.starts_with("0x") || s.starts_with("0X") {
        parse_hex(s)
    } else {
        None
    }
}

/// Either `0x…` hex or decimal (zone info prints `Extra   : 0 - 0`).
pub fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    parse_0x(s).or_else(|| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_parsing() {
        assert_eq!(parse_hex("0x000000000bca4000"), Some(0xbca4000));
        assert_eq!(parse_hex("0xfffffe0016745e30"), Some(0xfffffe0016745e30));
        assert_eq!(parse_hex("0x"), None);
        assert_eq!(parse_hex("0x1ffffffffffffffff"), None);
        assert_eq!(parse_hex("0x00000000000000000001"), Some(1));
        assert_eq!(parse_0x("10"), None);
        assert_eq!(parse_num("10"), Some(10));
        assert_eq!(parse_num("0x10"), Some(16));
    }
}
