//! What a wait is about ([`WaitCategory`]), from the function a thread waits in or from its
//! `waitInfo` kind.

use super::wait_types::WaitType;

string_enum! {
    /// What a wait is about.
    pub enum WaitCategory {
        /// Free pages, the compressor, pagers, VM objects and maps.
        Vm = "vm",
        /// Filesystem code and buffers.
        Filesystem = "filesystem",
        /// A kernel lock.
        Lock = "lock",
        /// Mach messages, semaphores, workqueues.
        Ipc = "ipc",
        /// Storage drivers.
        Io = "io",
        /// Sockets.
        Network = "network",
        /// None of the above.
        Other = "other",
    }
}

/// A category and the lower-case name fragments that put a wait in it.
struct Rule {
    category: WaitCategory,
    prefixes: &'static [&'static str],
    contains: &'static [&'static str],
}

/// The first rule (in order) that `lower` matches.
fn categorise(rules: &[Rule], lower: &str) -> WaitCategory {
    rules
        .iter()
        .find(|r| {
            r.prefixes.iter().any(|p| lower.starts_with(p))
                || r.contains.iter().any(|c| lower.contains(c))
        })
        .map_or(WaitCategory::Other, |r| r.category)
}

static FUNCTION_RULES: &[Rule] = &[
    Rule {
        category: WaitCategory::Vm,
        prefixes: &["vm_", "upl_"],
        contains: &[
            "vm_page",
            "compressor",
            "c_seg",
            "memory_object",
            "pageout",
            "pmap",
            "kmem_",
        ],
    },
    Rule {
        category: WaitCategory::Filesystem,
        prefixes: &["hfs", "vnode", "vn_", "buf_", "cluster_", "ubc_", "vnop"],
        contains: &[
            "apfs",
            "nfs",
            "smbfs",
            "fuse",
            "namei",
            "throttle_lowpri_io",
            "spec_strategy",
            "vfs_",
        ],
    },
    Rule {
        category: WaitCategory::Lock,
        prefixes: &[],
        contains: &["lck_", "mutex", "rwlock", "turnstile"],
    },
    Rule {
        category: WaitCategory::Ipc,
        prefixes: &[],
        contains: &["mach_msg", "ipc_", "mqueue", "workq", "kevent", "semaphore"],
    },
    Rule {
        category: WaitCategory::Io,
        prefixes: &[],
        contains: &["iostorage", "nvme", "ioblockstorage", "iocommand"],
    },
    Rule {
        category: WaitCategory::Network,
        prefixes: &[],
        contains: &["tcp", "soo_", "sbwait", "sock"],
    },
];

static WAIT_KIND_RULES: &[Rule] = &[
    Rule {
        category: WaitCategory::Vm,
        prefixes: &[],
        contains: &["compressor", "busy page", "vm ", "pager", "page"],
    },
    Rule {
        category: WaitCategory::Lock,
        prefixes: &[],
        contains: &["mutex", "krwlock", "lock"],
    },
    Rule {
        category: WaitCategory::Ipc,
        prefixes: &[],
        contains: &["mach_msg", "semaphore", "workloop", "port"],
    },
];

pub(super) fn of_function(f: &str) -> WaitCategory {
    categorise(FUNCTION_RULES, &f.to_ascii_lowercase())
}

pub(super) fn of_wait_kind(k: &str) -> WaitCategory {
    match WaitType::from_wait_info(k) {
        Some(w) => w.category(),
        None => categorise(WAIT_KIND_RULES, &k.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_and_wait_kinds() {
        assert_eq!(of_function("vm_page_wait"), WaitCategory::Vm);
        assert_eq!(of_function("apfs_vnop_read"), WaitCategory::Filesystem);
        assert_eq!(of_function("IOLockSleep_turnstile"), WaitCategory::Lock);
        assert_eq!(of_function("something_else"), WaitCategory::Other);
        assert_eq!(of_wait_kind("unknown type 22"), WaitCategory::Vm);
        assert_eq!(of_wait_kind("unknown type 33 (x)"), WaitCategory::Vm);
        assert_eq!(of_wait_kind("unknown type 30"), WaitCategory::Other);
        assert_eq!(of_wait_kind("kernel mutex"), WaitCategory::Lock);
        assert_eq!(
            of_wait_kind("mach_msg receive on port set"),
            WaitCategory::Ipc
        );
    }
}
