//! LC_UUID values.

use std::fmt;
use std::str::FromStr;

/// A Mach-O LC_UUID: what ties a binary to its dSYM and a panic log's `Kernel UUID` to a KDK.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// All zeros: what full panics write for images without one.
    pub fn is_nil(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Display for Uuid {
    /// Upper-case, hyphenated, as `dwarfdump --uuid` and panic logs print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

impl serde::Serialize for Uuid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Upper-case, hyphenated (8-4-4-4-12).
impl schemars::JsonSchema for Uuid {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Uuid".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kpanic_common::Uuid".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$",
            "description": "An LC_UUID, upper-case and hyphenated.",
        })
    }
}

/// Not 32 hex digits (hyphens and en/em dashes anywhere are ignored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a UUID: {0:?}")]
pub struct BadUuid(pub String);

impl FromStr for Uuid {
    type Err = BadUuid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Blogs and OCR turn hyphens into en and em dashes; only the hex digits matter.
        let digits: Vec<u32> = s
            .chars()
            .filter(|c| !matches!(c, '-' | '\u{2013}' | '\u{2014}'))
            .map(|c| c.to_digit(16).ok_or_else(|| BadUuid(s.to_string())))
            .collect::<Result<_, _>>()?;
        if digits.len() != 32 {
            return Err(BadUuid(s.to_string()));
        }
        let mut out = [0u8; 16];
        for (i, pair) in digits.chunks(2).enumerate() {
            out[i] = (pair[0] * 16 + pair[1]) as u8;
        }
        Ok(Uuid(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "4C4C4462-5555-3144-A1D5-B37636005C7C";
        let u: Uuid = text.parse().unwrap();
        assert_eq!(u.to_string(), text);
        assert_eq!(
            "4c4c446255553144a1d5b37636005c7c".parse::<Uuid>().unwrap(),
            u
        );
        assert!("4C4C4462".parse::<Uuid>().is_err());
        assert_eq!(
            "4C4C4462\u{2014}5555-3144\u{2013}A1D5-B37636005C7C"
                .parse::<Uuid>()
                .unwrap(),
            u
        );
        assert!("zz4C4462-5555-3144-A1D5-B37636005C7C"
            .parse::<Uuid>()
            .is_err());
    }
}
