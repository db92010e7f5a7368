//! `--color auto|always|never`, shared by the commands that print text.

/// When to colour the text (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
// The variants have no doc comments: clap would print them as a long list in `--help`.
pub enum ColorChoice {
    // On a terminal, unless NO_COLOR is set to a non-empty value or TERM is `dumb`.
    Auto,
    // Always, even into a pipe (and despite NO_COLOR: the flag is the user's explicit choice).
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour stdout.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}
