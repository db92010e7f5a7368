//! `kpanic`: symbolicate and explain macOS/iOS kernel panics.
//!
//! Exit status: 0 on success (also when some frames have no symbols), 2 when an input is
//! unusable (the message names the file and the problem), 1 on any other error.

mod cache;
mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "kpanic", version, about = "Symbolicate and explain macOS/iOS kernel panics", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Symbolicate every frame of a panic against a KDK, kext dSYMs and a kernelcache.
    Symbolicate(cmd::symbolicate::SymbolicateArgs),
    /// Explain a panic: the panic class, suspects, memory and stalled threads, with next steps.
    Diagnose(cmd::diagnose::DiagnoseArgs),
    /// Parse a panic in any format and print what it holds.
    Parse(cmd::parse::ParseArgs),
    /// atos for kernels and kexts: symbolicate addresses against one binary or dSYM.
    Atos(cmd::atos::AtosArgs),
    /// Build memory-mapped symbol indexes (by UUID, in the cache folder) for fast symbolication.
    Index(cmd::index::IndexArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Symbolicate(a) => cmd::symbolicate::run(a),
        Command::Diagnose(a) => cmd::diagnose::run(a),
        Command::Parse(a) => cmd::parse::run(a),
        Command::Atos(a) => cmd::atos::run(a),
        Command::Index(a) => cmd::index::run(a),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`kpanic … | head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                0
            } else {
                eprintln!("kpanic: {e:#}");
                1
            }
        }
    };
    std::process::exit(code);
}
