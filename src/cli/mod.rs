//! The command line: argument parsing (clap), the one printer of human messages (stderr), and
//! exit codes: 0 success (warnings allowed), 1 the user's input is wrong, 2 the tool or the
//! environment failed.

mod build;
mod check;
mod dump;
mod init;
mod plan;
mod preview;
mod progress;
mod report;
mod shown;
mod watch;

use crate::emit::Compression;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Build Anki decks (.apkg and CSV) from plain text flashcard files.
///
/// A deck file is a `.txt` file directly in the source folder (`source-cards/` by default): its
/// first line is the deck's title; a line in capitals starts a card and names its section; the
/// lines down to the first one that stops mid-sentence are the card's front, the rest its back
/// (a line `---` ends the front where that rule would not). `ankideck check --show` shows how
/// every card was split.
///
/// `ankideck build` writes `out/<deck>.apkg` for every deck (and `out/<deck>.csv` with `--csv`):
/// import it in Anki with File > Import. A deck rebuilt after an edit imports as an update: the
/// notes keep their review history and nothing is duplicated.
///
/// The lock file, `ankideck.lock`, records each note's identity between builds: commit it with
/// the deck files and do not edit it by hand. Without it, a rebuild's notes are new notes in Anki.
#[derive(Debug, Parser)]
#[command(
    name = "ankideck",
    version,
    about,
    long_about,
    max_term_width = 100,
    after_help = "Exit codes: 0 success, 1 an input is wrong, 2 reading or writing failed (more with '--help').",
    after_long_help = "Exit codes: 0 success, 1 an input is wrong, 2 reading or writing failed:\n  \
                       0  success (warnings allowed)\n  \
                       1  an input is wrong: a deck has errors, the lock file is damaged, or\n     \
                       `build --locked` found it out of date\n  \
                       2  the tool or the environment failed: a file could not be read or written\n\n\
                       `ankideck <COMMAND> --help` describes a command's options; `build --help` has examples."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors, the number of warnings and the summary line.
    // The two global flags have fixed places in each command's help (where they were when there
    // were four commands): clap would otherwise move them down one place per command added.
    #[arg(short, long, global = true, conflicts_with = "verbose", display_order = 4)]
    pub quiet: bool,
    /// Print more: for `build`, each phase's time and, per deck, the line of every new and updated note.
    #[arg(short, long, global = true, display_order = 5)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build every deck in the source folder into OUT/<deck>.apkg.
    ///
    /// Every `.txt` file directly in the source folder is a deck. A deck with errors is not built
    /// (its previous package stays as it was; the other decks are built) and the build exits 1.
    /// A deck whose source, settings and lock entries have not changed since its last build is
    /// not rebuilt ("up to date"). Every output is written to a temporary file and renamed into
    /// place, so a failed build never leaves a half-written package. The build reads and
    /// updates the lock file; one build of a project runs at a time (a second one waits).
    #[command(after_long_help = BUILD_EXAMPLES)]
    Build(BuildArgs),
    /// Parse and validate every deck; write nothing.
    ///
    /// Exits 0 when no deck has errors (warnings allowed), 1 when one has. Each problem is
    /// reported with its file, line and column, and a hint on how to fix it. `--show` lists how
    /// every card was split into front and back.
    Check(CheckArgs),
    /// Print a canonical text dump of an .apkg to stdout.
    ///
    /// The note types, decks, notes and cards of the package, in a stable order: compare two
    /// builds with `diff`.
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
    /// Show every card as Anki will: static HTML pages in OUT/preview/.
    ///
    /// Writes OUT/preview/index.html (the decks, linked) and a page per deck with every card's
    /// question and answer side, with its note type's stylesheet, its images and sounds, maths
    /// typeset by MathJax, and buttons for night mode and a phone-width view. Each card shows the
    /// guid and card id it has in Anki; a card the lock does not have yet is marked "new, not
    /// built yet". Reads the lock, never writes it; builds nothing. Works offline: open the
    /// pages from the disk.
    Preview(PreviewArgs),
    /// Build, then build again on every change of the project's files, until Ctrl-C.
    ///
    /// Watches the project folder (the lock file's: the deck files, ankideck.toml, note type
    /// files, media and stylesheet assets; not OUT, target/, .git/ or editors' temporary files).
    /// A burst of saves (an editor's save by rename, a `git checkout`) is one build, started
    /// 150 ms after the last change. Each build is incremental, as `build`'s, and prints one
    /// line: the time, what changed, how many decks were rebuilt, the errors, how long it took;
    /// then the diagnostics. A deck with errors keeps its last good package. The preview
    /// (OUT/preview/, as `preview` writes it) is written after the first build and brought up to
    /// date after each build for the decks it rebuilt; open preview pages reload themselves. The watch holds the project's build guard until it stops: a `build` started
    /// meanwhile is refused, and says so. Ctrl-C stops it once the build under way is done.
    Watch(watch::WatchArgs),
}

/// The end of `build --help`: the environment and examples.
const BUILD_EXAMPLES: &str = "\
Environment:
  SOURCE_DATE_EPOCH  the build time (seconds since 1970) used for new and changed notes
  ANKIDECK_PROGRESS  `always` or `never`; by default a build longer than a second shows its
                     progress on stderr when stderr is a terminal

Examples:
  First build, from the project folder (the one that holds source-cards/):
    ankideck build
  In CI: fail, writing nothing, when the committed lock file is out of date:
    ankideck build --locked
  See what importing the packages would do in Anki, without writing anything:
    ankideck build --plan
  Also write out/<deck>.csv for Anki's text import:
    ankideck build --csv
  A large deck with less memory: build every deck above 16 MiB from disk:
    ankideck build --stream-above 16
  Reproducible outputs: the time of the last commit as the build time:
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ankideck build";

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Folder holding the deck files.
    #[arg(long, value_name = "DIR", default_value = "source-cards")]
    pub source: PathBuf,
    /// Folder the packages are written to.
    ///
    /// Created if missing. ankideck removes from it only files it writes: the `.apkg` and `.csv`
    /// of the decks in the lock, its state in OUT/.ankideck-state/ and its temporary files.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// The lock file of note identities; commit it.
    ///
    /// Commit it next to the deck files. Without it (and without the previous packages in OUT)
    /// every note gets a new identity, which Anki imports as new notes. A lock edited by hand or
    /// merged badly is detected, and the build names the line.
    #[arg(long, value_name = "FILE", default_value = "ankideck.lock")]
    pub lock: PathBuf,
    /// Also write OUT/<deck>.csv for Anki's text import.
    ///
    /// Its rows carry the same guids as the package, so importing it updates the same notes.
    /// Import the .apkg once first: a CSV import cannot create the note type.
    #[arg(long)]
    pub csv: bool,
    /// Fail if the lock file would change (for CI).
    ///
    /// Writes nothing and exits 1 when the build would change the lock file, that is when the
    /// committed lock is not the one the committed deck files build with.
    #[arg(long)]
    pub locked: bool,
    /// Rebuild every deck, even those that are up to date.
    #[arg(long)]
    pub force: bool,
    /// Write nothing; say what importing each package would do in Anki.
    ///
    /// Against a collection that imported the previous build, per deck: notes new, updated and
    /// unchanged, notes Anki would skip as conflicting (a note type changed), notes removed from
    /// the source (with the Anki search to find them), cards that stay in another deck (with the
    /// search to move them) and cards left blank (Tools > Empty Cards). No package, CSV, lock or
    /// state is written. With `--locked`, it also fails when the lock would change.
    #[arg(long)]
    pub plan: bool,
    /// With `--plan`: `text` on stderr, or `json` on stdout for scripts.
    ///
    /// The JSON has a `decks` list (each with its `status`, `new`, `updated`, `unchanged`,
    /// `conflicting`, `removed`, `moved` and `blank_cards`), `gone`, `totals` and `lock`.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, requires = "plan")]
    pub format: OutputFormat,
    /// How the package is compressed.
    #[arg(long, value_enum, default_value_t = Compression::Fast)]
    pub compression: Compression,
    /// Build decks whose source is larger than this many MiB from disk (0: every deck).
    ///
    /// A deck built from disk needs about 100 bytes of memory a card
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
    /// Output format: text diagnostics, or JSON on stdout.
    ///
    /// `text` prints the problems on stderr (the first 20 of each file). `json` prints the
    /// parsed decks, their cards and every problem on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also list every card's front and back, as they were split, and each card as Anki shows it.
    ///
    /// The cards are listed on stdout, to see a split before building: each note's fields, then
    /// each card Anki makes of it, its question and answer rendered with the note type's
    /// templates, as text. JSON lists the cards anyway; with `--show` it adds each note's fields
    /// and each card's question and answer HTML, as Anki renders them.
    #[arg(long)]
    pub show: bool,
    /// The project's lock file, as for `build`: ankideck.toml is read from its folder (the
    /// lock itself is not read).
    #[arg(long, value_name = "FILE", default_value = "ankideck.lock")]
    pub lock: PathBuf,
    /// The folder `build` writes to, as for `build`: a deck whose last package there holds
    /// another note type than the lock says (a branch checked out) is told as `build` tells it.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The decks to show, by file name without extension or by Anki name (default: every deck).
    #[arg(value_name = "DECK")]
    pub decks: Vec<String>,
    /// Folder holding the deck files.
    #[arg(long, value_name = "DIR", default_value = "source-cards")]
    pub source: PathBuf,
    /// The folder `build` writes to: the preview goes to OUT/preview/.
    ///
    /// Only OUT/preview/ is written; the previous packages in OUT are read, as `build` reads
    /// them, for the identities the lock does not have.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// The lock file of note identities, as for `build` (read, never written).
    #[arg(long, value_name = "FILE", default_value = "ankideck.lock")]
    pub lock: PathBuf,
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
        Command::Preview(args) => preview::run_preview(args, verbosity),
        Command::Watch(args) => watch::run_watch(args, verbosity),
    }
}
