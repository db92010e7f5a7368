//! Intel fault facts: the page-fault error code, bit by bit, as the Intel SDM defines it
//! (Vol. 3A, §4.7 "Page-Fault Exceptions", Figure 4-12).

/// The page-fault error code in words: P (bit 0: a protection violation on a present page, or
/// a page not present), W/R (bit 1), U/S (bit 2: the access was made in user mode), RSVD (bit
/// 3: a reserved bit set in a paging-structure entry), I/D (bit 4: an instruction fetch), PK
/// (bit 5: a protection-key violation), SS (bit 6: a shadow-stack access), SGX (bit 15).
pub fn decode_pf_error(ec: u64) -> String {
    let present = if ec & 1 != 0 {
        "protection violation on a present page"
    } else {
        "page not present"
    };
    let rw = if ec & 2 != 0 { "write" } else { "read" };
    let mode = if ec & 4 != 0 {
        "user mode"
    } else {
        "kernel mode"
    };
    let mut out = format!("{present}, {rw} in {mode}");
    if ec & 16 != 0 {
        out.push_str(", instruction fetch");
    }
    if ec & 8 != 0 {
        out.push_str(", reserved bit set in a page-table entry (a corrupt page table)");
    }
    if ec & 32 != 0 {
        out.push_str(", protection-key violation");
    }
    if ec & 64 != 0 {
        out.push_str(", shadow-stack access");
    }
    if ec & (1 << 15) != 0 {
        out.push_str(", SGX access-control violation");
    }
    out
}

/// What a kernel-mode page fault on a present page means given the faulting address: the CPU
/// refused the kernel access to a user page (SMAP for data, SMEP for an instruction fetch), or
/// a write to a read-only page, or executing a no-execute one.
pub fn protection_meaning(ec: u64, cr2: u64) -> Option<&'static str> {
    if ec & 1 == 0 || ec & 4 != 0 {
        return None;
    }
    let user_page = cr2 < 1 << 47;
    Some(match (user_page, ec & 16 != 0, ec & 2 != 0) {
        (true, true, _) => {
            "SMEP: the kernel jumped to code in a user page (a hijacked code pointer)"
        }
        (true, false, _) => {
            "SMAP: the kernel touched a user page directly instead of through copyin/copyout"
        }
        (false, true, _) => "the kernel executed a no-execute page (a code pointer into data)",
        (false, false, true) => "the kernel wrote to a read-only page",
        (false, false, false) => "the kernel read a page it may not read",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error codes of the corpus and the SDM's bit meanings.
    #[test]
    fn page_fault_error_codes() {
        // x86-text-pagefault-null-osunserialize-vmware-PARTIAL-01.txt: "Error code:
        // 0x0000000000000000" with CR2 0x20: a kernel read of a page that is not present.
        assert_eq!(decode_pf_error(0), "page not present, read in kernel mode");
        assert_eq!(
            decode_pf_error(0b1_0011),
            "protection violation on a present page, write in kernel mode, instruction fetch"
        );
        assert!(decode_pf_error(0b1001).contains("reserved bit"));
        assert!(decode_pf_error(0b110).contains("write in user mode"));
        assert_eq!(protection_meaning(0, 0x20), None);
        assert!(protection_meaning(0b1_0001, 0x1_0000_0000)
            .unwrap()
            .starts_with("SMEP"));
        assert!(protection_meaning(0b1, 0x1_0000_0000)
            .unwrap()
            .starts_with("SMAP"));
        assert!(protection_meaning(0b11, 0xffffff80_00000000)
            .unwrap()
            .contains("read-only"));
    }
}
