//! The messages of a build: diagnostics (capped per file), one line per deck, removed, moved and
//! gone notes with their Anki searches, and the summary.

use crate::build::{self, BuildOptions, BuildReport, LockStatus, Outcome};
use crate::diagnostic::Diagnostic;
use std::io::Write;

/// At most this many diagnostics of one file are printed; `check --format json` lists them all.
const SHOWN_PER_FILE: usize = 20;

pub(super) fn print_diagnostics(diagnostics: &[Diagnostic]) {
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

pub(super) fn print_report(opts: &BuildOptions, report: &BuildReport, elapsed: std::time::Duration) {
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
pub(super) fn plural(n: usize, word: &str) -> String {
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
    // No line number: the lock does not keep them (a note's line changes with every card
    // inserted above it).
    for entry in &built.removed {
        eprintln!("      {}", entry.preview);
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
        match note.line {
            0 => eprintln!("      {}", note.preview),
            line => eprintln!("      line {line}: {}", note.preview),
        }
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
