//! The nlist symbol table: the fallback when DWARF has nothing (stripped of debug info, no
//! dSYM), answering "nearest preceding symbol + offset" like atos does.

use crate::macho::raw::*;
use crate::macho::MachOSlice;

/// Function-ish symbols of one image, sorted by address. Built once per image, lazily.
#[derive(Debug, Default)]
pub(crate) struct SymbolTable {
    syms: Vec<Sym>,
    strings_at: usize,
    strings_len: usize,
}

#[derive(Debug, Clone, Copy)]
struct Sym {
    addr: u64,
    strx: u32,
    /// 0-based index into the image's sections.
    sect: u32,
}

/// A symbol-table answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SymbolHit {
    pub name: String,
    pub addr: u64,
}

impl SymbolTable {
    /// Collect the defined (N_SECT), non-debug symbols. Bounds were checked when the image was
    /// parsed; anything odd here (string index out of range, bad section number) drops the
    /// symbol rather than failing.
    pub(crate) fn build(image: &MachOSlice) -> SymbolTable {
        let Some(st) = image.symtab_command() else {
            return SymbolTable::default();
        };
        let bytes = image.bytes();
        let nsects = image.sections().len();
        // (addr, rank, sym): rank prefers external symbols, then names that are not assembler
        // temporaries, when several share an address.
        let mut all: Vec<(u64, u8, Sym)> = Vec::new();
        for k in 0..st.nsyms as usize {
            let at = st.symoff as usize + k * Nlist64::SIZE;
            let Some(n) = Nlist64::parse(&bytes[at..at + Nlist64::SIZE]) else {
                continue;
            };
            if n.n_type & N_STAB != 0 || n.n_type & N_TYPE != N_SECT {
                continue;
            }
            if n.n_sect == 0 || n.n_sect as usize > nsects || n.n_strx >= st.strsize {
                continue;
            }
            let sym = Sym {
                addr: n.n_value,
                strx: n.n_strx,
                sect: u32::from(n.n_sect) - 1,
            };
            let name = str_at(bytes, st.stroff as usize, st.strsize as usize, n.n_strx);
            let temp = name.is_empty() || name.starts_with("ltmp") || name.starts_with('l');
            let rank = u8::from(n.n_type & N_EXT == 0) + 2 * u8::from(temp);
            all.push((n.n_value, rank, sym));
        }
        all.sort_by_key(|&(a, r, _)| (a, r));
        all.dedup_by_key(|&mut (a, _, _)| a);
        SymbolTable {
            syms: all.into_iter().map(|(_, _, s)| s).collect(),
            strings_at: st.stroff as usize,
            strings_len: st.strsize as usize,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }

    /// The nearest symbol at or before `addr` whose section also contains `addr`.
    pub(crate) fn lookup(&self, image: &MachOSlice, addr: u64) -> Option<SymbolHit> {
        let idx = self
            .syms
            .partition_point(|s| s.addr <= addr)
            .checked_sub(1)?;
        let sym = self.syms[idx];
        let sect = image.sections().get(sym.sect as usize)?;
        if !sect.contains(addr) {
            return None;
        }
        let name = str_at(image.bytes(), self.strings_at, self.strings_len, sym.strx);
        Some(SymbolHit {
            name: name.to_string(),
            addr: sym.addr,
        })
    }
}

/// The NUL-terminated string at `strx` of the string table `bytes[at..at + len]`.
fn str_at(bytes: &[u8], at: usize, len: usize, strx: u32) -> &str {
    let table = bytes.get(at..at + len).unwrap_or(&[]);
    let s = table.get(strx as usize..).unwrap_or(&[]);
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    std::str::from_utf8(&s[..end]).unwrap_or("")
}
