//! The command line: argument parsing (clap), the one printer of human messages (stderr), and
//! exit codes: 0 success (warnings allowed), 1 the user's input is wrong, 2 the tool or the
//! environment failed.

use crate::build::{self, BuildOptions, BuildReport, LockStatus, Outcome};
use crate::diagnostic::Diagnostic;
use crate::emit::{Compression, dump};
use crate::{discover, source};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
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
    after_help = "Exit codes: 0 success (warnings allowed), 1 an input is wrong, 2 the tool or the environment failed.\n\
                  The source format, the lock file and what a rebuild does in Anki are described in README.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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
    #[arg(long, value_name = "MIB", default_value_t = build::STREAM_ABOVE >> 20)]
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
const INPUT_ERROR: u8 = 1;
/// Exit code: the tool or the environment failed.
const TOOL_ERROR: u8 = 2;

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => run_build(args),
        Command::Check(args) => run_check(&args),
        Command::Dump { package } => run_dump(&package),
    }
}

fn run_build(args: BuildArgs) -> ExitCode {
    // Files of the source folder that are not decks are named before the build.
    if let Ok((_, skipped)) = discover::discover_all(&args.source) {
        print_diagnostics(&skipped);
    }
    let now_secs = match build_time() {
        Ok(t) => t,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let opts = BuildOptions {
        source: args.source,
        out: args.out,
        lock: args.lock,
        csv: args.csv,
        locked: args.locked,
        force: args.force,
        compression: args.compression,
        now_secs,
        stream_above: args.stream_above.saturating_mul(1 << 20),
    };
    let started = std::time::Instant::now();
    eprintln!("Building decks from {} into {}", opts.source.display(), opts.out.display());
    let waiting = |guard: &Path| {
        eprintln!("waiting for another ankideck build of this project to finish ({})", guard.display());
    };
    // The report is printed while the build still holds the project's guard: what it reports
    // for the first time is marked reported only once it is out.
    let mut deliver = |report: &build::BuildReport| print_report(&opts, report, started.elapsed());
    match build::build_with(&opts, &waiting, &mut deliver) {
        Ok(report) => {
            if report.has_failures() {
                ExitCode::from(TOOL_ERROR)
            } else if report.has_input_errors() {
                ExitCode::from(INPUT_ERROR)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            match err {
                build::BuildError::NoDecks(_) | build::BuildError::Discover(_) => ExitCode::from(INPUT_ERROR),
                build::BuildError::Lock(e) if e.is_input() => ExitCode::from(INPUT_ERROR),
                _ => ExitCode::from(TOOL_ERROR),
            }
        }
    }
}

/// The build time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the clock.
fn build_time() -> Result<i64, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => {
            value.trim().parse::<i64>().ok().filter(|t| *t > 0).ok_or_else(|| {
                format!("SOURCE_DATE_EPOCH must be a positive number of seconds, not `{value}`")
            })
        }
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)),
    }
}

/// At most this many diagnostics of one file are printed; `check --format json` lists them all.
const SHOWN_PER_FILE: usize = 20;

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut stderr = std::io::stderr().lock();
    for of_file in diagnostics.chunk_by(|a, b| a.file == b.file) {
        for d in of_file.iter().take(SHOWN_PER_FILE) {
            let _ = writeln!(stderr, "{d}");
        }
        if let Some(rest) = of_file.get(SHOWN_PER_FILE..).filter(|rest| !rest.is_empty()) {
            let errors = rest.iter().filter(|d| d.is_error()).count();
            let counts = [(errors, "error"), (rest.len() - errors, "warning")];
            let counts: Vec<String> =
                counts.iter().filter(|(n, _)| *n > 0).map(|(n, w)| plural(*n, w)).collect();
            let _ = writeln!(
                stderr,
                "{}: and {} more ({}); `ankideck check --format json` lists them all",
                of_file[0].file.display(),
                rest.len(),
                counts.join(", "),
            );
        }
    }
}

/// Says that notes of deck `name` got new ids because notes of other decks had the same: what
/// a merge of two branches built at the same time gives. One line.
fn new_ids_sentence(name: &str, new_ids: &build::NewIds) -> String {
    let others: Vec<String> = new_ids.with.iter().map(|d| format!("`{d}`")).collect();
    let (notes, they) = match new_ids.count {
        1 => ("1 note".to_string(), "it gets"),
        n => (format!("{n} notes"), "they get"),
    };
    format!(
        "{notes} of deck `{name}` had ids also used in deck {} (a merge of two branches?); {they} new \
         ids, which changes nothing in Anki",
        others.join(" and ")
    )
}

fn print_report(opts: &BuildOptions, report: &BuildReport, elapsed: std::time::Duration) {
    print_diagnostics(&report.diagnostics);
    let (mut built, mut fresh, mut failed, mut cards) = (0, 0, 0, 0);
    for deck in &report.decks {
        let file = deck.file.display();
        match &deck.outcome {
            Outcome::Built(b) => {
                built += 1;
                cards += b.cards;
                let outputs: Vec<String> = b.outputs.iter().map(|p| p.display().to_string()).collect();
                eprintln!(
                    "  {}: {} -> {} ({} new, {} updated, {} unchanged, {} removed)",
                    b.name,
                    plural(b.cards, "card"),
                    outputs.join(", "),
                    b.new,
                    b.updated,
                    b.unchanged,
                    b.removed.len()
                );
                if let Some(from) = &b.recovered_from {
                    eprintln!("    note identities carried over from {from}");
                }
                if let Some(new_ids) = &b.new_ids {
                    eprintln!("    {}", new_ids_sentence(&b.name, new_ids));
                }
                print_removed(b);
                print_moved(b);
            }
            Outcome::UpToDate { name, cards: n } => {
                fresh += 1;
                cards += n;
                eprintln!("  {name}: up to date ({}, {file}); --force rebuilds it", plural(*n, "card"));
            }
            Outcome::Invalid => {
                failed += 1;
                eprintln!("  {file}: not built, the errors above must be fixed first");
            }
            Outcome::Failed(message) => {
                failed += 1;
                eprintln!("  {file}: failed: {message}");
            }
            Outcome::NotWritten => eprintln!("  {file}: not written (--locked)"),
            Outcome::DamagedLock(message) => {
                failed += 1;
                eprintln!("  {file}: not built: {message}");
            }
        }
    }
    for key in &report.forgotten {
        eprintln!("  {key}: its source file is gone; dropped from {}", opts.lock.display());
        if let Some(gone) = report.gone.iter().find(|g| &g.key == key) {
            print_gone(gone);
        }
    }
    for deck in &report.interrupted {
        print_interrupted(deck);
    }
    // Decks whose file was renamed: their notes went with it, their old outputs are removed.
    for gone in
        report.gone.iter().filter(|g| !report.forgotten.contains(&g.key) && !g.removed_files.is_empty())
    {
        eprintln!("  {}: its deck file was renamed", gone.key);
        print_gone(gone);
    }
    let lock = match report.lock {
        LockStatus::Unchanged => format!("{} unchanged", opts.lock.display()),
        LockStatus::Written => format!("{} updated", opts.lock.display()),
        LockStatus::OutOfDate => {
            eprintln!(
                "error: {} is out of date and --locked forbids changing it; run `ankideck build` and commit the lock file",
                opts.lock.display()
            );
            format!("{} out of date", opts.lock.display())
        }
    };
    eprintln!(
        "{built} built, {fresh} up to date, {failed} not built: {}; {lock} ({:.2} s)",
        plural(cards, "card"),
        elapsed.as_secs_f64()
    );
}

/// `1 card`, `2 cards`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// Names the cards of the last build that are gone, and how to find them in Anki.
fn print_removed(built: &build::Built) {
    if built.removed.is_empty() {
        return;
    }
    if built.removed_kept {
        // Not gone yet: a card may have moved to a deck file with errors, and keeps its note
        // once that file builds. No search to delete them: the note may be needed.
        eprintln!(
            "    no longer in this deck; kept in the lock until every deck file builds (a card may have moved to one with errors):"
        );
        for entry in &built.removed {
            eprintln!("      {}", entry.preview);
        }
        return;
    }
    eprintln!("    removed since the last build (an import never deletes notes, they stay in Anki):");
    for entry in &built.removed {
        let line = if entry.line == 0 { "line ?".to_string() } else { format!("line {}", entry.line) };
        eprintln!("      {line}: {}", entry.preview);
    }
    let ids: Vec<String> = built.removed.iter().map(|e| e.note_id.0.to_string()).collect();
    eprintln!("    to find them in Anki's browser, search: nid:{}", ids.join(","));
}

/// Names the notes an interrupted build removed without reporting them.
fn print_interrupted(deck: &build::journal::Unreported) {
    eprintln!(
        "  {}: removed by an earlier build that was interrupted before it reported them (an import never deletes notes, they stay in Anki):",
        deck.key
    );
    for note in &deck.notes {
        let line = if note.line == 0 { "line ?".to_string() } else { format!("line {}", note.line) };
        eprintln!("      {line}: {}", note.preview);
    }
    let ids: Vec<String> = deck.notes.iter().map(|n| n.note_id.0.to_string()).collect();
    eprintln!("    to find them in Anki's browser, search: nid:{}", ids.join(","));
}

/// Names the outputs of a deck whose source file is gone, and how to find its notes in Anki.
fn print_gone(gone: &build::stale::GoneDeck) {
    if !gone.removed_files.is_empty() {
        let files: Vec<String> = gone.removed_files.iter().map(|p| p.display().to_string()).collect();
        eprintln!("    removed {}", files.join(", "));
    }
    if !gone.note_ids.is_empty() {
        let ids: Vec<String> = gone.note_ids.iter().map(|id| id.0.to_string()).collect();
        eprintln!(
            "    its {} stay in Anki (an import never deletes notes); to find them in Anki's browser, search: nid:{}",
            plural(ids.len(), "note"),
            ids.join(",")
        );
    }
}

/// Names the cards whose note was in another Anki deck in the last build, and how to move them:
/// an import never moves an existing card to another deck.
fn print_moved(built: &build::Built) {
    if built.moved.is_empty() {
        return;
    }
    let total: usize = built.moved.iter().map(|m| m.notes.len()).sum();
    eprintln!(
        "    {} in another Anki deck before; an import keeps existing cards in their old deck:",
        if total == 1 { "1 card was".to_string() } else { format!("{total} cards were") }
    );
    for moved in &built.moved {
        eprintln!("      {} from \"{}\"", moved.notes.len(), moved.from);
    }
    let ids: Vec<String> = built.moved.iter().flat_map(|m| &m.notes).map(|id| id.0.to_string()).collect();
    // The search on a line of its own, so that it is copied without the sentence around it.
    eprintln!(
        "    to move them to \"{}\": in Anki, open Browse, search for the line below, select all, then Cards > Change Deck",
        built.name
    );
    eprintln!("      nid:{}", ids.join(","));
}

fn run_check(args: &CheckArgs) -> ExitCode {
    let (files, skipped) = match discover::discover_all(&args.source) {
        Ok(found) => found,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let mut decks = Vec::new();
    let mut cards = 0;
    let mut diagnostics = skipped;
    for file in &files {
        let cannot_read = |err: std::io::Error| {
            eprintln!("error: cannot read {}: {err}", file.path.display());
            ExitCode::from(TOOL_ERROR)
        };
        if args.format == OutputFormat::Text {
            // Only the diagnostics (and with --show, the cards) are printed: the file is read in
            // blocks, its cards counted.
            let show = args.show;
            let read = std::fs::File::open(&file.path).and_then(|mut reader| {
                source::parse_stream(
                    file.format,
                    &file.path,
                    &mut reader,
                    build::STREAM_BLOCK,
                    |card| if show { shown(&file.path, &card) } else { String::new() },
                    |piece| {
                        let mut stdout = std::io::stdout().lock();
                        piece.iter().try_for_each(|card| stdout.write_all(card.as_bytes()))
                    },
                )
            });
            let (parsed, _) = match read {
                Ok(read) => read,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
                Err(err) => return cannot_read(err),
            };
            cards += parsed.deck.map_or(0, |d| d.cards.len());
            diagnostics.extend(parsed.diagnostics);
            continue;
        }
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(err) => return cannot_read(err),
        };
        let parsed = source::parse(file.format, &file.path, &bytes);
        decks.extend(parsed.deck);
        diagnostics.extend(parsed.diagnostics);
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match args.format {
        OutputFormat::Json => {
            let json = serde_json::json!({ "decks": decks, "diagnostics": diagnostics });
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = writeln!(stdout, "{json:#}")
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("error: cannot write to stdout: {e}");
                return ExitCode::from(TOOL_ERROR);
            }
        }
        OutputFormat::Text => {
            print_diagnostics(&diagnostics);
            eprintln!(
                "{}, {}, {}, {}",
                plural(files.len(), "deck"),
                plural(cards, "card"),
                plural(errors, "error"),
                plural(diagnostics.len() - errors, "warning")
            );
        }
    }
    if errors > 0 { ExitCode::from(INPUT_ERROR) } else { ExitCode::SUCCESS }
}

/// A card as `check --show` lists it: where it starts, its section, its front and back.
fn shown(file: &Path, card: &source::CardText<'_>) -> String {
    let mut out = format!("{}:{}: {}\n", file.display(), card.line, card.section);
    for (side, lines) in [("front", card.front), ("back", card.back)] {
        for (i, line) in lines.iter().enumerate() {
            let label = if i == 0 { side } else { "" };
            out.push_str(&format!("  {label:<5} | {line}\n"));
        }
    }
    out.push('\n');
    out
}

fn run_dump(package: &Path) -> ExitCode {
    match dump::read(package) {
        Ok(contents) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(dump::dump(&contents).as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::from(TOOL_ERROR),
                _ => ExitCode::SUCCESS,
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(INPUT_ERROR)
        }
    }
}
