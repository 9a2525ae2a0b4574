//! The messages of a build: diagnostics (capped per file), one line per deck, removed, moved and
//! gone notes with their Anki searches, and the summary.

use crate::build::{self, BuildOptions, BuildReport, LockStatus, Outcome};
use crate::diagnostic::Diagnostic;
use crate::discover::{self, SourceFile};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// How much the commands print (`-q`, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verbosity {
    /// Errors, the number of warnings and the summary line.
    Quiet,
    Normal,
    /// Also each phase's time and the notes behind each deck's counts.
    Verbose,
}

impl Verbosity {
    /// The verbosity of the flags; `--verbose` turns the phase timings on.
    pub(super) fn of(quiet: bool, verbose: bool) -> Verbosity {
        if quiet {
            Verbosity::Quiet
        } else if verbose {
            crate::timing::enable();
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }

    pub(super) fn quiet(self) -> bool {
        self == Verbosity::Quiet
    }
}

/// At most this many diagnostics of one file are printed; `check --format json` lists them all.
const SHOWN_PER_FILE: usize = 20;

/// The deck files of the source folder and the warnings for the files skipped there; or, when
/// the folder cannot be listed, the error printed and the exit code (`build` and `check` alike).
pub(super) fn source_files(source: &Path) -> Result<(Vec<SourceFile>, Vec<Diagnostic>), ExitCode> {
    discover::discover_all(source).map_err(|err| {
        eprintln!("error: {err}");
        ExitCode::from(if err.is_input() { super::INPUT_ERROR } else { super::TOOL_ERROR })
    })
}

/// A source folder without deck files: an input error, for `build` and `check` alike.
pub(super) fn no_decks(source: &Path) -> ExitCode {
    eprintln!("error: {}", build::BuildError::NoDecks(source.to_path_buf()));
    eprintln!("  = hint: each `*.txt`, `*.csv` and `*.tsv` file directly in {} is a deck", source.display());
    ExitCode::from(super::INPUT_ERROR)
}

/// Prints the diagnostics, capped per file; quiet, only the errors and how many warnings there
/// were.
pub(super) fn print_diagnostics(diagnostics: &[Diagnostic], verbosity: Verbosity) {
    if verbosity.quiet() {
        let errors: Vec<Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
        print_capped(&errors);
        let warnings = diagnostics.len() - errors.len();
        if warnings > 0 {
            eprintln!("{} not shown (--quiet)", plural(warnings, "warning"));
        }
    } else {
        print_capped(diagnostics);
    }
}

fn print_capped(diagnostics: &[Diagnostic]) {
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
                count(rest.len()),
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
        n => (plural(n, "note"), "they get"),
    };
    format!(
        "{notes} of deck `{name}` had ids also used in deck {} (a merge of two branches?); {they} new \
         ids, which changes nothing in Anki",
        others.join(" and ")
    )
}

/// Prints a build's report. `skipped` are the warnings for files of the source folder that are
/// not decks: printed before the build, except when quiet (they count with the others then).
pub(super) fn print_report(
    opts: &BuildOptions,
    report: &BuildReport,
    elapsed: std::time::Duration,
    verbosity: Verbosity,
    skipped: &[Diagnostic],
) {
    if verbosity.quiet() {
        let all: Vec<Diagnostic> = skipped.iter().chain(&report.diagnostics).cloned().collect();
        print_diagnostics(&all, verbosity);
    } else {
        print_diagnostics(&report.diagnostics, verbosity);
    }
    let (mut built, mut fresh, mut failed, mut refused, mut cards) = (0, 0, 0, 0, 0);
    for deck in &report.decks {
        let file = deck.file.display();
        match &deck.outcome {
            Outcome::Built(b) if verbosity.quiet() => {
                built += 1;
                cards += b.cards;
            }
            Outcome::UpToDate { cards: n, .. } if verbosity.quiet() => {
                fresh += 1;
                cards += n;
            }
            Outcome::Built(b) => {
                built += 1;
                cards += b.cards;
                let outputs: Vec<String> = b.outputs.iter().map(|p| p.display().to_string()).collect();
                // The changes count notes: named when a note makes several cards.
                let size = match b.notes == b.cards {
                    true => plural(b.cards, "card"),
                    false => format!("{} of {}", plural(b.cards, "card"), plural(b.notes, "note")),
                };
                eprintln!(
                    "  {}: {} -> {} ({} new, {} updated, {} unchanged, {} removed)",
                    b.name,
                    size,
                    outputs.join(", "),
                    count(b.new),
                    count(b.updated),
                    count(b.unchanged),
                    count(b.removed.len())
                );
                if let Some(from) = &b.recovered_from {
                    eprintln!("    note identities carried over from {from}");
                }
                if let Some(new_ids) = &b.new_ids {
                    eprintln!("    {}", new_ids_sentence(&b.name, new_ids));
                }
                // Verbose: the notes behind the counts (removed ones are always listed).
                for note in &b.changed {
                    let change = if note.change == crate::identify::Change::New { "new" } else { "updated" };
                    eprintln!("    {change} line {}: {}", note.line, note.preview);
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
            Outcome::NotWritten { name, cards: n } => {
                refused += 1;
                cards += n;
                eprintln!("  {name}: {}, not written (--locked) ({file})", plural(*n, "card"));
            }
            Outcome::DamagedLock(message) => {
                failed += 1;
                eprintln!("  {file}: not built: {message}");
            }
        }
    }
    print_csv_media(report, verbosity);
    // Quiet, what was removed or moved is left out with the rest of the per-deck lines. (When
    // `--locked` refuses, nothing is dropped: the lock changes are listed below.)
    let refused_lock = report.lock == LockStatus::OutOfDate;
    for key in report.forgotten.iter().filter(|_| !verbosity.quiet() && !refused_lock) {
        eprintln!("  {key}: its source file is gone; dropped from {}", opts.lock.display());
        if let Some(gone) = report.gone.iter().find(|g| &g.key == key) {
            print_gone(gone);
        }
    }
    for deck in report.interrupted.iter().filter(|_| !verbosity.quiet()) {
        print_interrupted(deck);
    }
    // Decks whose file was renamed: their notes went with it, their old outputs are removed.
    for gone in report
        .gone
        .iter()
        .filter(|g| !verbosity.quiet() && !report.forgotten.contains(&g.key) && !g.removed_files.is_empty())
    {
        eprintln!("  {}: its deck file was renamed", gone.key);
        print_gone(gone);
    }
    let lock = match report.lock {
        LockStatus::Unchanged => format!("; {} unchanged", opts.lock.display()),
        LockStatus::Written => format!("; {} updated", opts.lock.display()),
        // No lock file was written, none was there: nothing to say of it.
        LockStatus::NothingToRecord => String::new(),
        LockStatus::OutOfDate => {
            eprintln!(
                "error: {} is out of date and --locked forbids changing it; run `ankideck build` and commit the lock file",
                opts.lock.display()
            );
            if let Some(changes) = &report.refused {
                print_lock_changes(&opts.lock, changes);
            }
            format!("; {} out of date", opts.lock.display())
        }
    };
    // The decks `--locked` refused are counted only when it refused (a CI log's last line).
    let refused = match report.lock {
        LockStatus::OutOfDate => format!(", {} refused by --locked", plural(refused, "deck")),
        _ => String::new(),
    };
    eprintln!(
        "{built} built, {fresh} up to date, {failed} not built{refused}: {}{lock} ({:.2} s)",
        plural(cards, "card"),
        elapsed.as_secs_f64()
    );
}

/// Says how the lock would change, deck by deck, when `--locked` refused to change it.
fn print_lock_changes(lock: &std::path::Path, changes: &build::LockChanges) {
    eprintln!("  {} would change:", lock.display());
    if changes.created {
        eprintln!("    the file is created (there is no lock file yet)");
    }
    if changes.upgraded {
        eprintln!(
            "    it is rewritten as lock version {} (an older ankideck wrote it)",
            crate::lock::VERSION
        );
    }
    if changes.notetype {
        eprintln!(
            "    the note types' lines (a note type added or removed, or its stylesheet, templates or fields changed)"
        );
    }
    for deck in &changes.decks {
        let what = match deck.kind {
            build::DeckChangeKind::Added { new, updated: 0 } => {
                format!("added, {}", plural(new, "new note"))
            }
            build::DeckChangeKind::Added { new, updated } => {
                format!("added, {} and {} (from a deck file that is gone)", plural(new, "new note"), plural(updated, "updated note"))
            }
            build::DeckChangeKind::Dropped => "dropped (its deck file is gone)".to_string(),
            build::DeckChangeKind::Changed { new: 0, updated: 0, removed: 0 } => {
                "its lines are rewritten, no note is new, updated or removed (notes moved, ids renewed or an older format)"
                    .to_string()
            }
            build::DeckChangeKind::Changed { new, updated, removed } => {
                format!("notes: {} new, {} updated, {} removed", count(new), count(updated), count(removed))
            }
        };
        eprintln!("    deck `{}`: {what}", deck.key);
    }
}

/// `1 card`, `2 cards`, `100,000 cards`.
pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{} {word}s", count(n)) }
}

/// A count as the messages print it: thousands grouped with `,` (`100,000`). Lists of counts
/// are separated by `, ` (with a space), so a grouped count never reads as two.
pub(super) fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Names the cards of the last build that are gone, and how to find them in Anki.
pub(super) fn print_removed(built: &build::Built) {
    if built.removed.is_empty() {
        return;
    }
    if built.removed_kept {
        // Not gone yet: a card may have moved to a deck file with errors, and keeps its note
        // once that file builds. No search to delete them: the note may be needed.
        eprintln!(
            "    no longer in this deck; kept in the lock until every deck file builds (a card may have moved to one with errors):"
        );
        print_removed_notes(built);
        return;
    }
    eprintln!("    removed since the last build (an import never deletes notes, they stay in Anki):");
    print_removed_notes(built);
    eprintln!(
        "    to find them in Anki's browser, search: {}",
        nid_search(built.removed.iter().map(|e| e.note_id))
    );
}

/// Each removed note, by its line in the old source (`file:line: preview`) when `out/` knows it;
/// when it does not, the previews and why their lines are not known (never a guessed line).
fn print_removed_notes(built: &build::Built) {
    use build::lines::RemovedLines;
    for (i, entry) in built.removed.iter().enumerate() {
        match built.removed_lines.line(i) {
            Some((file, line)) => eprintln!("      {}:{line}: {}", file.display(), entry.preview),
            None => eprintln!("      {}", entry.preview),
        }
    }
    let why = match &built.removed_lines {
        RemovedLines::Known { lines, .. } if lines.iter().all(|l| *l > 0) => return,
        RemovedLines::Known { .. } => "out/ has no record of some of them",
        RemovedLines::NoRecord => "out/ has no record of the last build (a fresh clone, or out/ was deleted)",
        RemovedLines::OtherLock => "the lock is not the one the last build in out/ wrote (it came from git?)",
    };
    eprintln!("    (their source lines are not known: {why})");
}

/// Anki's browser search for these notes: `nid:1,2,3`.
pub(super) fn nid_search(ids: impl Iterator<Item = crate::ids::NoteId>) -> String {
    let ids: Vec<String> = ids.map(|id| id.0.to_string()).collect();
    format!("nid:{}", ids.join(","))
}

/// Names the notes an interrupted build removed without reporting them.
pub(super) fn print_interrupted(deck: &build::journal::Unreported) {
    eprintln!(
        "  {}: removed by an earlier build that was interrupted before it reported them (an import never deletes notes, they stay in Anki):",
        deck.key
    );
    for note in &deck.notes {
        match note.line {
            0 => eprintln!("      {}", note.preview),
            line => eprintln!("      line {line}: {}", note.preview),
        }
    }
    eprintln!(
        "    to find them in Anki's browser, search: {}",
        nid_search(deck.notes.iter().map(|n| n.note_id))
    );
}

/// Names the outputs of a deck whose source file is gone, and how to find its notes in Anki.
pub(super) fn print_gone(gone: &build::stale::GoneDeck) {
    if !gone.removed_files.is_empty() {
        let files: Vec<String> = gone.removed_files.iter().map(|p| p.display().to_string()).collect();
        eprintln!("    removed {}", files.join(", "));
    }
    if !gone.note_ids.is_empty() {
        eprintln!(
            "    its {} stay in Anki (an import never deletes notes); to find them in Anki's browser, search: {}",
            plural(gone.note_ids.len(), "note"),
            nid_search(gone.note_ids.iter().copied())
        );
    }
}

/// Names the cards whose note was in another Anki deck in the last build (from which deck to
/// which), and how to move them: an import never moves an existing card to another deck.
pub(super) fn print_moved(built: &build::Built) {
    if built.moved.is_empty() {
        return;
    }
    let total: usize = built.moved.iter().map(|m| m.cards).sum();
    eprintln!(
        "    {} in another Anki deck before; an import keeps existing cards in their old deck:",
        if total == 1 { "1 card was".to_string() } else { format!("{} cards were", count(total)) }
    );
    let mut targets: Vec<&str> = built.moved.iter().map(|m| m.to.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    // One target (no subdecks): the deck's name; its cards are counted by the deck they were in.
    if let [target] = targets[..] {
        for moved in &built.moved {
            eprintln!("      {} from \"{}\"", count(moved.cards), moved.from);
        }
        // The search on a line of its own, so that it is copied without the sentence around it.
        eprintln!(
            "    to move them to \"{target}\": in Anki, open Browse, search for the line below, select all, then Cards > Change Deck",
        );
        eprintln!("      {}", nid_search(built.moved.iter().flat_map(|m| m.notes.iter().copied())));
        return;
    }
    for moved in &built.moved {
        eprintln!("      {} from \"{}\" to \"{}\"", count(moved.cards), moved.from, moved.to);
    }
    eprintln!(
        "    to move them: in Anki, open Browse; for each deck below, search for the line under it, select all, then Cards > Change Deck and choose that deck"
    );
    for target in targets {
        let notes = built.moved.iter().filter(|m| m.to == target).flat_map(|m| m.notes.iter().copied());
        eprintln!("      \"{target}\":");
        eprintln!("        {}", nid_search(notes));
    }
}

/// Says once, under the decks, where the media of the CSVs written are: Anki's text import
/// does not copy media.
fn print_csv_media(report: &BuildReport, verbosity: Verbosity) {
    let folders: Vec<String> = (report.decks.iter())
        .filter_map(|d| match &d.outcome {
            Outcome::Built(b) => b.csv_media.as_ref().map(|f| format!("{}/", f.display())),
            _ => None,
        })
        .collect();
    if folders.is_empty() || verbosity.quiet() {
        return;
    }
    eprintln!(
        "  note: Anki's CSV import does not copy media: before importing a CSV, copy the files of {} \
         into the collection.media folder of your Anki profile (an .apkg carries its media)",
        folders.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands_and_one_is_singular() {
        let said: Vec<String> =
            [0, 1, 2, 999, 1000, 100_000, 1_234_567].iter().map(|n| plural(*n, "card")).collect();
        assert_eq!(
            said,
            ["0 cards", "1 card", "2 cards", "999 cards", "1,000 cards", "100,000 cards", "1,234,567 cards"]
        );
    }
}
