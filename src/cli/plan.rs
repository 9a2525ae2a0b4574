//! `ankideck build --plan`: prints what importing each package would do in Anki, as text (on
//! stderr, with the diagnostics, as a build's report) or as JSON on stdout (`--format json`; its
//! schema is in docs/plan.md).

use super::report::{Verbosity, count, nid_search, plural, print_diagnostics, print_moved, print_removed};
use crate::build::plan::{Counts, DeckPlan, Plan};
use crate::build::schema::TypeChange;
use crate::build::{BuildOptions, BuildReport, LockStatus, Outcome};
use crate::diagnostic::Diagnostic;
use serde_json::{Value, json};
use std::io::Write;

/// The plan's totals over every deck (up-to-date decks count their notes unchanged; gone decks'
/// notes count removed).
#[derive(Debug, Default)]
struct Totals {
    anki: Counts,
    removed: usize,
    moved: usize,
    blank: usize,
    to_build: usize,
    up_to_date: usize,
    not_built: usize,
}

fn totals(report: &BuildReport, plan: &Plan) -> Totals {
    let mut t = Totals::default();
    for (i, deck) in report.decks.iter().enumerate() {
        match &deck.outcome {
            Outcome::UpToDate { .. } => {
                t.up_to_date += 1;
                t.anki.unchanged += plan.up_to_date.get(&i).copied().unwrap_or(0);
            }
            Outcome::NotWritten { .. } | Outcome::Built(_) if planned(plan, i).is_some() => t.to_build += 1,
            _ => t.not_built += 1,
        }
    }
    for deck in &plan.decks {
        t.anki.new += deck.anki.new;
        t.anki.updated += deck.anki.updated;
        t.anki.unchanged += deck.anki.unchanged;
        t.anki.conflicting += deck.anki.conflicting;
        t.removed += deck.built.removed.len();
        t.moved += deck.built.moved.iter().map(|m| m.cards).sum::<usize>();
        t.blank += deck.blank_cards;
    }
    t.removed += plan.gone.iter().map(|g| g.note_ids.len()).sum::<usize>();
    t
}

fn planned(plan: &Plan, index: usize) -> Option<&DeckPlan> {
    plan.decks.iter().find(|d| d.index == index)
}

/// Prints the plan of `report` (made by `build::plan_with`) as text on stderr.
pub(super) fn print_plan(
    opts: &BuildOptions,
    report: &BuildReport,
    elapsed: std::time::Duration,
    verbosity: Verbosity,
    skipped: &[Diagnostic],
) {
    let Some(plan) = &report.plan else { return };
    if verbosity.quiet() {
        let all: Vec<Diagnostic> = skipped.iter().chain(&report.diagnostics).cloned().collect();
        print_diagnostics(&all, verbosity);
    } else {
        print_diagnostics(&report.diagnostics, verbosity);
        eprintln!(
            "Plan: what importing each package into a collection that imported the last build does (nothing is written)"
        );
    }
    for (i, deck) in report.decks.iter().enumerate().filter(|_| !verbosity.quiet()) {
        let file = deck.file.display();
        match (&deck.outcome, planned(plan, i)) {
            (_, Some(planned)) => print_deck(planned),
            (Outcome::UpToDate { name, .. }, _) => {
                let notes = plan.up_to_date.get(&i).copied().unwrap_or(0);
                eprintln!("  {name}: up to date ({file}): {} unchanged", plural(notes, "note"));
            }
            (Outcome::Invalid, _) => eprintln!(
                "  {file}: would not be built: the errors above must be fixed first (Anki keeps what it has of it)"
            ),
            (Outcome::Failed(message), _) => eprintln!("  {file}: would fail: {message}"),
            (Outcome::DamagedLock(message), _) => eprintln!("  {file}: would not be built: {message}"),
            // Every deck the build would write is planned.
            (Outcome::NotWritten { .. } | Outcome::Built(_), None) => eprintln!("  {file}: not planned"),
        }
    }
    for gone in plan.gone.iter().filter(|_| !verbosity.quiet()) {
        match report.forgotten.contains(&gone.key) {
            true => {
                let lock = opts.lock.display();
                eprintln!("  {}: its source file is gone; the build would drop it from {lock}", gone.key)
            }
            // Another deck took its entries over: the file was renamed.
            false => eprintln!("  {}: its deck file was renamed (its notes went with it)", gone.key),
        }
        if !gone.removed_files.is_empty() {
            let files: Vec<String> = gone.removed_files.iter().map(|p| p.display().to_string()).collect();
            eprintln!("    the build would remove {}", files.join(", "));
        }
        if !gone.note_ids.is_empty() {
            eprintln!(
                "    its {} stay in Anki (an import never deletes notes); to find them in Anki's browser, search: {}",
                plural(gone.note_ids.len(), "note"),
                nid_search(gone.note_ids.iter().copied())
            );
        }
    }
    if report.lock == LockStatus::OutOfDate {
        eprintln!(
            "error: {} is out of date and --locked forbids changing it; run `ankideck build` and commit the lock file",
            opts.lock.display()
        );
    }
    let t = totals(report, plan);
    let lock = match plan.lock_changes {
        true => format!("{} would change", opts.lock.display()),
        false => format!("{} would not change", opts.lock.display()),
    };
    eprintln!(
        "Plan: {} new, {} updated, {} unchanged, {} conflicting, {} removed, {} moved; {} to build, {} up to date, {} not built; {lock}; nothing written ({:.2} s)",
        count(t.anki.new),
        count(t.anki.updated),
        count(t.anki.unchanged),
        count(t.anki.conflicting),
        count(t.removed),
        plural(t.moved, "card"),
        plural(t.to_build, "deck"),
        count(t.up_to_date),
        count(t.not_built),
        elapsed.as_secs_f64()
    );
}

/// The lines of one deck the build would write.
fn print_deck(plan: &DeckPlan) {
    let b = &plan.built;
    let a = &plan.anki;
    let size = match b.notes == b.cards {
        true => plural(b.notes, "note"),
        false => format!("{} ({})", plural(b.notes, "note"), plural(b.cards, "card")),
    };
    let outputs: Vec<String> = b.outputs.iter().map(|p| p.display().to_string()).collect();
    let conflicting = match a.conflicting {
        0 => String::new(),
        n => format!(", {} conflicting", count(n)),
    };
    eprintln!(
        "  {}: {size} -> {}: {} new, {} updated, {} unchanged{conflicting}",
        b.name,
        outputs.join(", "),
        count(a.new),
        count(a.updated),
        count(a.unchanged)
    );
    if let Some(from) = &b.recovered_from {
        eprintln!("    note identities carried over from {from}");
    }
    // Verbose: the notes behind the counts.
    for note in &b.changed {
        let change = if note.change == crate::identify::Change::New { "new" } else { "updated" };
        eprintln!("    {change} line {}: {}", note.line, note.preview);
    }
    if let Some(change) = &plan.notetype {
        let numbers = (b.updated, plan.left_behind);
        for line in notetype_lines(change, a.conflicting, plan.with_merge.as_ref(), numbers) {
            eprintln!("    {line}");
        }
    }
    print_removed(b);
    print_moved(b);
    if plan.blank_cards > 0 {
        eprintln!(
            "    {} left blank: their notes no longer make them (a cloze deletion or `<->` removed, W010); the import keeps {}: after it, Tools > Empty Cards removes blank cards",
            plural(plan.blank_cards, "card"),
            if plan.blank_cards == 1 { "it" } else { "them" }
        );
    }
}

/// What a note type change does in Anki, in words.
fn notetype_lines(
    change: &TypeChange,
    conflicting: usize,
    merged: Option<&Counts>,
    (updated, left_behind): (usize, usize),
) -> Vec<String> {
    let skipped = plural(conflicting, "note");
    match change {
        TypeChange::Schema { notetype, kind_changed: false, fields_changed } => {
            let mut lines = vec![format!(
                "note type `{notetype}` has other fields or templates than Anki's copy (W011): the import adds it as a copy and skips the {skipped} Anki has as conflicting"
            )];
            if let Some(m) = merged {
                lines.push(format!(
                    "tick \"Merge note types\" in the import dialog to update the note type and keep those notes instead: then {} new, {} updated, {} unchanged",
                    count(m.new),
                    count(m.updated),
                    count(m.unchanged)
                ));
            }
            if *fields_changed && updated > 0 {
                lines.push(format!(
                    "merging the fields marks every note Anki has of `{notetype}` modified, so the {} this build changes keep their old text in Anki: build and import the field change first, then edit",
                    plural(updated, "note")
                ));
            }
            lines
        }
        TypeChange::Schema { notetype, kind_changed: true, .. } => vec![format!(
            "note type `{notetype}` changed between cloze and normal (W011): the import adds it as a copy and skips the {skipped} Anki has as conflicting; Anki cannot merge the two (give the changed note type another name)"
        )],
        TypeChange::Switched { from, to, kind_changed: false } => vec![format!(
            "the deck's notes were built as `{from}` and are now `{to}` (W012): the import skips the {skipped} Anki has as conflicting until their note type is changed in Anki (the warning above has the steps)"
        )],
        TypeChange::Switched { from, to, kind_changed: true } => vec![format!(
            "the deck's notes were built as `{from}` and are now `{to}`, between cloze and normal (W012): every note is new, and the {} built as `{from}` stay in Anki (listed as removed below)",
            plural(left_behind, "note")
        )],
    }
}

/// Prints the plan as JSON on stdout (the schema is in docs/plan.md).
pub(super) fn print_plan_json(opts: &BuildOptions, report: &BuildReport, skipped: &[Diagnostic]) {
    let Some(plan) = &report.plan else { return };
    let decks: Vec<Value> = (report.decks.iter().enumerate())
        .map(|(i, deck)| {
            let file = deck.file.display().to_string();
            match (&deck.outcome, planned(plan, i)) {
                (_, Some(planned)) => deck_json(&file, planned),
                (Outcome::UpToDate { name, cards }, _) => {
                    let notes = plan.up_to_date.get(&i).copied().unwrap_or(0);
                    json!({
                        "file": file, "name": name, "status": "up-to-date", "notes": notes, "cards": cards,
                        "new": 0, "updated": 0, "unchanged": notes, "conflicting": 0,
                    })
                }
                (Outcome::Invalid, _) => {
                    json!({ "file": file, "status": "not-built", "reason": "the deck file has errors" })
                }
                (Outcome::Failed(message) | Outcome::DamagedLock(message), _) => {
                    json!({ "file": file, "status": "not-built", "reason": message })
                }
                (Outcome::NotWritten { .. } | Outcome::Built(_), None) => {
                    json!({ "file": file, "status": "not-built", "reason": "not planned" })
                }
            }
        })
        .collect();
    let gone: Vec<Value> = (plan.gone.iter())
        .map(|g| {
            json!({
                "key": g.key,
                "notes": g.note_ids.len(),
                "search": (!g.note_ids.is_empty()).then(|| nid_search(g.note_ids.iter().copied())),
                "outputs_removed": g.removed_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let t = totals(report, plan);
    let diagnostics: Vec<&Diagnostic> = skipped.iter().chain(&report.diagnostics).collect();
    let value = json!({
        "plan": 1,
        "decks": decks,
        "gone": gone,
        "totals": {
            "new": t.anki.new, "updated": t.anki.updated, "unchanged": t.anki.unchanged,
            "conflicting": t.anki.conflicting, "removed": t.removed, "moved_cards": t.moved,
            "blank_cards": t.blank, "decks_to_build": t.to_build, "decks_up_to_date": t.up_to_date,
            "decks_not_built": t.not_built,
        },
        "lock": {
            "path": opts.lock.display().to_string(),
            "changes": plan.lock_changes,
            "out_of_date": report.lock == LockStatus::OutOfDate,
        },
        "diagnostics": diagnostics,
    });
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{value:#}");
}

fn counts_json(c: &Counts) -> Value {
    json!({ "new": c.new, "updated": c.updated, "unchanged": c.unchanged, "conflicting": c.conflicting })
}

fn deck_json(file: &str, plan: &DeckPlan) -> Value {
    let b = &plan.built;
    let removed: Vec<Value> = (b.removed.iter().enumerate())
        .map(|(i, entry)| {
            let at = b.removed_lines.line(i);
            json!({
                "note_id": entry.note_id.0,
                "front": entry.preview,
                "file": at.map(|(f, _)| f.display().to_string()),
                "line": at.map(|(_, l)| l),
            })
        })
        .collect();
    let moved: Vec<Value> = (b.moved.iter())
        .map(|m| json!({ "from": m.from, "to": m.to, "cards": m.cards, "search": nid_search(m.notes.iter().copied()) }))
        .collect();
    let notetype = plan.notetype.as_ref().map(|change| match change {
        TypeChange::Schema { notetype, kind_changed, fields_changed } => json!({
            "change": "schema", "notetype": notetype, "cloze_normal": kind_changed, "fields_changed": fields_changed,
        }),
        TypeChange::Switched { from, to, kind_changed } => {
            json!({ "change": "switched", "from": from, "to": to, "cloze_normal": kind_changed })
        }
    });
    let a = &plan.anki;
    json!({
        "file": file,
        "name": b.name,
        "status": "build",
        "outputs": b.outputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "notes": b.notes,
        "cards": b.cards,
        "new": a.new,
        "updated": a.updated,
        "unchanged": a.unchanged,
        "conflicting": a.conflicting,
        "merge_note_types": plan.with_merge.as_ref().map(counts_json),
        "notetype_change": notetype,
        "removed": {
            "notes": removed,
            "search": (!b.removed.is_empty()).then(|| nid_search(b.removed.iter().map(|e| e.note_id))),
            "kept_in_lock": b.removed_kept,
        },
        "moved": moved,
        "blank_cards": plan.blank_cards,
    })
}
