//! Where a store keeps the debug file of a UUID: the layouts of Sentry's symbol sources that
//! apply to Mach-O (docs/symbol-stores.md shows each with an example).

use kpanic_common::Uuid;

/// A way of laying files out by UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Sentry's unified layout: `ab/cdef0123…/debuginfo` (lower-case hex, no dashes; the first
    /// byte is the folder), with the binary itself at `…/executable`.
    Unified,
    /// The LLDB "file mapped UUID directories" that `dsymForUUID` and Sentry's `native` layout
    /// use for Mach-O: `ABCD/EF01/2345/6789/ABCD/EF0123456789` (upper-case hex, the hyphenated
    /// UUID cut into groups of four), naming the dSYM (a bundle, a symlink to one, or the DWARF
    /// file itself on a server).
    Native,
}

/// What a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Debug information: a dSYM or its DWARF file.
    Debug,
    /// The binary itself, whose symbol table still names functions.
    Executable,
}

impl Layout {
    /// Every layout, in the order a store is probed.
    pub const ALL: [Layout; 2] = [Layout::Unified, Layout::Native];

    /// The store-relative key of `uuid`'s file of `kind`, with `/` separators; `None` when the
    /// layout has no place for it.
    pub fn key(self, uuid: Uuid, kind: Kind) -> Option<String> {
        match self {
            Layout::Unified => {
                let hex = lower_hex(uuid);
                let file = match kind {
                    Kind::Debug => "debuginfo",
                    Kind::Executable => "executable",
                };
                Some(format!("{}/{}/{file}", &hex[..2], &hex[2..]))
            }
            Layout::Native => match kind {
                Kind::Debug => {
                    let hex = lower_hex(uuid).to_ascii_uppercase();
                    Some(format!(
                        "{}/{}/{}/{}/{}/{}",
                        &hex[0..4],
                        &hex[4..8],
                        &hex[8..12],
                        &hex[12..16],
                        &hex[16..20],
                        &hex[20..32]
                    ))
                }
                Kind::Executable => None,
            },
        }
    }
}

/// Every (layout, kind) key of `uuid`, debug files first: a store is asked in this order.
pub fn keys(uuid: Uuid) -> Vec<String> {
    [Kind::Debug, Kind::Executable]
        .into_iter()
        .flat_map(|kind| {
            Layout::ALL
                .into_iter()
                .filter_map(move |l| l.key(uuid, kind))
        })
        .collect()
}

/// The UUID as 32 lower-case hex digits.
pub fn lower_hex(uuid: Uuid) -> String {
    uuid.0.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_a_uuid() {
        let u: Uuid = "0123ABCD-4567-89EF-0123-456789ABCDEF".parse().unwrap();
        assert_eq!(
            keys(u),
            [
                "01/23abcd456789ef0123456789abcdef/debuginfo",
                "0123/ABCD/4567/89EF/0123/456789ABCDEF",
                "01/23abcd456789ef0123456789abcdef/executable",
            ]
        );
    }
}
