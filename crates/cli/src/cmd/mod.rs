//! One module per subcommand; each exposes its clap `Args` and `run`, which returns the exit
//! status.
pub mod atos;
pub mod color;
pub mod diagnose;
pub mod index;
pub mod input;
pub mod parse;
pub mod symbolicate;
