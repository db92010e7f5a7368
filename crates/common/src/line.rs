//! Lines of a panic's text as the JSON output numbers them: from 1, as the text output,
//! editors and `grep -n` count them. Inside kpanic a line is an index from 0 into
//! `panic_text.lines()` (what slices and loops want); these serializers add the one at the
//! edge, so a number read in the JSON is the number printed by `diagnose` and shown by an
//! editor. For an `.ips` file the panic text is its `panicString`, not the file.

use serde::Serializer;

/// Serializes a line index as its line number.
pub fn number<S: Serializer>(index: &usize, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(*index as u64 + 1)
}

/// Serializes an optional line index as its line number.
pub fn number_opt<S: Serializer>(index: &Option<usize>, s: S) -> Result<S::Ok, S::Error> {
    match index {
        Some(i) => s.serialize_some(&(*i as u64 + 1)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct L {
        #[serde(serialize_with = "super::number")]
        a: usize,
        #[serde(serialize_with = "super::number_opt")]
        b: Option<usize>,
        #[serde(serialize_with = "super::number_opt")]
        c: Option<usize>,
    }

    #[test]
    fn counts_from_one() {
        let l = L {
            a: 0,
            b: Some(41),
            c: None,
        };
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            r#"{"a":1,"b":42,"c":null}"#
        );
    }
}
