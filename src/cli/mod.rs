//! The command line: argument parsing (clap), the one printer of human messages (stderr), and
//! exit codes: 0 success (warnings allowed), 1 the user's input is wrong, 2 the tool or the
//! environment failed.

mod build;
mod check;
mod dump;
mod init;
mod report;

use crate::emit::Compression;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Build Anki decks (.apkg and CSV) from plain text flashcard files.
///
/// Every `*.txt` file in the source folder is one deck. Rebuilt decks import into Anki as
/// updates: the lock file keeps each note's identity between builds.
#[derive(Debug, Parser)]
#[command(
    name = "ankideck",
    version,
    about,
    long_about,
    after_help = "Exit codes: 0 success (warnings allowed), 1 an input is wrong (the message says what to change), 2 reading or writing failed.\n\
                  The source format, the lock file and what a rebuild does in Anki are described in README.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors, the number of warnings and the summary line.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each phase's time and, per deck, the line of every new, updated and removed note.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build every deck in the source folder into OUT/<deck-file-name>.apkg.
    ///
    /// Decks whose source, settings and lock entries have not changed since their last build are
    /// not rebuilt. Set SOURCE_DATE_EPOCH to fix the build time used for new and changed notes.
    Build(BuildArgs),
    /// Parse and validate every deck; write nothing. Exits 0 when there are no errors.
    Check(CheckArgs),
    /// Print a canonical text dump of an .apkg (note types, decks, notes, cards) to stdout.
    Dump {
        /// The package to dump.
        package: PathBuf,
    },
    /// Make a new project in DIR: a sample deck, a commented ankideck.toml, a .gitignore.
    ///
    /// Writes nothing if any of those files is already there.
    Init {
        /// The folder to make the project in (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Folder holding the deck files.
    #[arg(long, value_name = "DIR", default_value = "source-cards")]
    pub source: PathBuf,
    /// Folder the packages are written to (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// The lock file recording note identities; commit it next to the sources.
    #[arg(long, value_name = "FILE", default_value = "ankideck.lock")]
    pub lock: PathBuf,
    /// Also write OUT/<deck>.csv for Anki's text import.
    #[arg(long)]
    pub csv: bool,
    /// Fail (exit 1) without writing anything if the lock file would change (for CI).
    #[arg(long)]
    pub locked: bool,
    /// Rebuild every deck, even those that are up to date.
    #[arg(long)]
    pub force: bool,
    /// How the package is compressed.
    #[arg(long, value_enum, default_value_t = Compression::Fast)]
    pub compression: Compression,
    /// Build a deck from disk instead of in memory when its source file is larger than this
    /// many MiB (0: every deck). A deck built from disk needs about 100 bytes of memory a card
    /// instead of about 1 KiB, and a temporary file in OUT about the size of its source; the
    /// outputs are the same bytes either way. Rebuilds are faster in memory.
    #[arg(long, value_name = "MIB", default_value_t = crate::build::STREAM_ABOVE >> 20)]
    pub stream_above: u64,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Folder holding the deck files.
    #[arg(long, value_name = "DIR", default_value = "source-cards")]
    pub source: PathBuf,
    /// Output format: human-readable diagnostics, or JSON (decks and diagnostics) on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also list every card on stdout, its front and back as they were split (to see a split
    /// before building). JSON lists the cards anyway.
    #[arg(long)]
    pub show: bool,
}

/// How `check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Exit code: the user's input is wrong.
pub(crate) const INPUT_ERROR: u8 = 1;
/// Exit code: the tool or the environment failed.
pub(crate) const TOOL_ERROR: u8 = 2;

/// Runs the command line.
pub fn main() -> ExitCode {
    // A wrong command line is an input error (1), as the exit code table says; clap's own
    // code for it would be 2, which means a failure to read or write here.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(INPUT_ERROR) } else { ExitCode::SUCCESS };
        }
    };
    let verbosity = report::Verbosity::of(cli.quiet, cli.verbose);
    match cli.command {
        Command::Build(args) => build::run_build(args, verbosity),
        Command::Check(args) => check::run_check(&args, verbosity),
        Command::Dump { package } => dump::run_dump(&package),
        Command::Init { dir } => init::run_init(&dir, verbosity),
    }
}
