//! Demangle each line of stdin as kpanic does (a DWARF linkage name, or with `--symbol` a
//! Mach-O symbol-table name), one answer per line: what `scripts/demangle-truth.sh` and the
//! parity measurement compare with `llvm-cxxfilt`.

use std::io::{self, BufRead, BufWriter, Write};

fn main() -> io::Result<()> {
    let symbol = std::env::args().any(|a| a == "--symbol");
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lines() {
        let line = line?;
        let name = if symbol {
            kpanic_symbols::demangle_symbol(&line)
        } else {
            kpanic_symbols::demangle(&line)
        };
        writeln!(out, "{name}")?;
    }
    out.flush()
}
