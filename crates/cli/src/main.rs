//! `kpanic`: symbolicate and explain macOS/iOS kernel panics.
//!
//! Exit status: see [`EXIT_STATUS`], which `--help` prints.

mod cmd;
mod config;

use clap::{CommandFactory, Parser, Subcommand};

/// The exit codes, as `--help` and the man page give them (README.md says the same).
const EXIT_STATUS: &str = "\
Exit status:
  0  success (also when some frames have no symbols)
  1  any other error, including an internal error on one file (a kpanic bug: stderr names
     the file; the other inputs are still processed)
  2  an input or a symbol source is unusable: a panic file, or a --kdk, --symbols or
     --kernelcache path (stderr names the path, what is wrong and what to do; the other inputs
     are still processed)
  3  triage --kext BUNDLE_ID: at least one panic implicates that kext (faulted, called
     panic(), named in the message, in the panicked backtrace or on the stalled threads)";

#[derive(Parser)]
#[command(name = "kpanic", version, about = "Symbolicate and explain macOS/iOS kernel panics",
          long_about = None, after_help = EXIT_STATUS)]
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
    /// Group a folder of panics into buckets of the same bug: counts, dates, builds, suspects.
    Triage(cmd::triage::TriageArgs),
    /// Build memory-mapped symbol indexes (by UUID, in the cache folder) for fast symbolication.
    Index(cmd::index::IndexArgs),
    /// Print a shell completion script (e.g. `kpanic completions bash > /etc/bash_completion.d/kpanic`).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `kpanic man > kpanic.1; man ./kpanic.1`.
    Man,
}

fn main() {
    let cli = Cli::parse_from(cmd::atos::atos_spellings(std::env::args_os().collect()));
    let result = match &cli.command {
        Command::Symbolicate(a) => cmd::symbolicate::run(a),
        Command::Diagnose(a) => cmd::diagnose::run(a),
        Command::Parse(a) => cmd::parse::run(a),
        Command::Atos(a) => cmd::atos::run(a),
        Command::Index(a) => cmd::index::run(a),
        Command::Triage(a) => cmd::triage::run(a),
        Command::Completions { shell } => completions(*shell),
        Command::Man => man(),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`kpanic … | head`) is not an error worth a message.
            if is_broken_pipe(&e) {
                0
            } else {
                eprintln!("kpanic: error: {e:#}");
                1
            }
        }
    };
    std::process::exit(code);
}

/// True when `e` is, or wraps, a write to a closed pipe (serde_json wraps its io errors).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    // Into memory first: `generate` panics when a write fails (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kpanic", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(0)
}

fn man() -> anyhow::Result<i32> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), &page)?;
    Ok(0)
}
