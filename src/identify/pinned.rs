//! Pinned guids. A source may give a note its guid (a CSV's guid column, a Markdown note's
//! metadata: the readers of issue 12 fill [`crate::model::Note::pinned`]). Such a note keeps that
//! guid whatever its text: it takes the old entry of that guid wherever it is in the build, or is
//! a new note with that guid; no other note takes that entry, however alike their text. Two notes
//! of a project that pin one guid would be one note in Anki: an error naming both places.

use super::matching::{OldRef, Pool};
use super::{GuidSet, ToMatch};
use crate::model::Note;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};

/// A note of a deck whose source pins its guid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The note's index in its deck.
    pub index: usize,
    /// Its source line.
    pub line: u32,
    pub guid: String,
}

/// The pins of a deck's notes, in note order.
pub fn pins_of<'a, S: AsRef<str> + 'a>(notes: impl Iterator<Item = &'a Note<S>>) -> Vec<Pin> {
    notes
        .enumerate()
        .filter_map(|(index, note)| Some(Pin { index, line: note.line, guid: note.pinned()?.to_string() }))
        .collect()
}

/// Why pinned guids cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error(
        "{}:{first_line} and {}:{second_line} pin the same guid `{guid}`: Anki would make them one \
         note\n  hint: give each note its own guid (or none: ankideck then gives it one)",
        first.display(),
        second.display()
    )]
    Twice { guid: String, first: PathBuf, first_line: u32, second: PathBuf, second_line: u32 },
    #[error(
        "{}:{line} pins the guid `{guid}`, which another note of the project already has (in a deck \
         not built now, or in the lock)\n  hint: give the note a guid of its own",
        file.display()
    )]
    InUse { guid: String, file: PathBuf, line: u32 },
}

impl PinError {
    /// The error as a diagnostic (E012) at the note that cannot have its guid; for two notes,
    /// at the later one.
    pub fn diagnostic(&self) -> crate::diagnostic::Diagnostic {
        use crate::diagnostic::{Code, Diagnostic};
        match self {
            PinError::Twice { guid, first, first_line, second, second_line } => {
                let message = format!(
                    "this note pins the guid `{guid}`, and so does the note at {}:{first_line}: Anki \
                     would make them one note",
                    first.display()
                );
                Diagnostic::new(Code::E012, second, *second_line, message)
                    .with_hint("give each note its own guid (or none: ankideck then gives it one)")
            }
            PinError::InUse { guid, file, line } => Diagnostic::new(
                Code::E012,
                file,
                *line,
                format!(
                    "this note pins the guid `{guid}`, which another note of the project already has \
                     (in a deck not built now, or in the lock)"
                ),
            )
            .with_hint("give the note a guid of its own"),
        }
    }

    /// The files it names.
    pub fn files(&self) -> Vec<&Path> {
        match self {
            PinError::Twice { first, second, .. } => vec![first, second],
            PinError::InUse { file, .. } => vec![file],
        }
    }
}

/// Every guid pinned twice among these decks (each a file and its pins, in file order): each
/// later note with the first note of its guid.
pub fn clashes(decks: &[(&Path, &[Pin])]) -> Vec<PinError> {
    let mut first: FxHashMap<&str, (&Path, u32)> = FxHashMap::default();
    let mut clashes = Vec::new();
    for &(file, pins) in decks {
        for pin in pins {
            match first.get(pin.guid.as_str()) {
                Some(&(at, line)) => clashes.push(PinError::Twice {
                    guid: pin.guid.clone(),
                    first: at.to_path_buf(),
                    first_line: line,
                    second: file.to_path_buf(),
                    second_line: pin.line,
                }),
                None => {
                    first.insert(&pin.guid, (file, pin.line));
                }
            }
        }
    }
    clashes
}

/// The old entry each pinned note takes, per deck (note index, the entry of its guid if the
/// build's pools hold one). The entries are marked taken, and the exact matches of `own_matches`
/// that a pin overrides are undone: a pinned note's own exact match is freed for others, and an
/// unpinned note that matched a pinned guid's entry is left to match something else.
pub(super) fn reserve(
    decks: &[ToMatch<'_>],
    pools: &mut [Pool<'_>],
    own_matches: &mut [Vec<Option<usize>>],
) -> Vec<Vec<(usize, Option<OldRef>)>> {
    if decks.iter().all(|d| d.pinned.is_empty()) {
        return vec![Vec::new(); decks.len()];
    }
    let mut by_guid: FxHashMap<&str, OldRef> = FxHashMap::default();
    for (pool, p) in pools.iter().enumerate() {
        for (index, entry) in p.entries.iter().enumerate() {
            by_guid.entry(entry.guid.as_str()).or_insert(OldRef { pool, index });
        }
    }
    let reserved: Vec<Vec<(usize, Option<OldRef>)>> = decks
        .iter()
        .map(|d| d.pinned.iter().map(|pin| (pin.index, by_guid.get(pin.guid.as_str()).copied())).collect())
        .collect();
    let taken: FxHashSet<OldRef> = reserved.iter().flatten().filter_map(|(_, r)| *r).collect();
    for (d, deck) in decks.iter().enumerate() {
        for pin in deck.pinned {
            if let Some(i) = own_matches[d][pin.index].take() {
                pools[d].taken[i] = false;
            }
        }
        for matched in own_matches[d].iter_mut() {
            if matched.is_some_and(|index| taken.contains(&OldRef { pool: d, index })) {
                *matched = None;
            }
        }
    }
    for r in &taken {
        pools[r.pool].taken[r.index] = true;
    }
    reserved
}

/// Puts the guids of the pinned notes that are new (no old entry has their guid) in `guids`, so
/// that no other new note gets one; a guid already in use is an error. `decks` are the files and
/// pins of [`super::Matched::decks`]' decks, in the same order. (A guid pinned twice is
/// [`clashes`]' to report.)
pub fn reserve_new(
    matched: &super::Matched,
    decks: &[(&Path, &[Pin])],
    guids: &mut GuidSet,
) -> Vec<PinError> {
    let mut errors = Vec::new();
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    for (m, (file, pins)) in matched.decks.iter().zip(decks) {
        for &(index, at) in &m.pins {
            let pin = &pins[at as usize];
            debug_assert_eq!(pin.index, index);
            if !seen.insert(&pin.guid) {
                continue;
            }
            if !guids.insert(&pin.guid) {
                errors.push(PinError::InUse {
                    guid: pin.guid.clone(),
                    file: file.to_path_buf(),
                    line: pin.line,
                });
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::super::{Change, GuidSet, IdAllocator, Snapshot, try_identify_together};
    use super::*;
    use crate::lock::NoteEntry;
    use crate::model::Deck;

    fn note(front: &str, back: &str, line: u32) -> Note {
        Note::new(&[front, back, "S"], &["S"], line)
    }

    fn deck(key: &str, notes: Vec<Note>) -> Deck {
        Deck { key: key.into(), name: key.to_uppercase(), file: format!("{key}.txt").into(), notes }
    }

    fn build(decks: Vec<(Deck, &[NoteEntry])>, now: i64) -> Result<Vec<Snapshot>, Vec<PinError>> {
        let max = decks.iter().flat_map(|(_, old)| old.iter()).map(|e| e.card_ids.max()).max().unwrap_or(0);
        let mut guids: GuidSet =
            decks.iter().flat_map(|(_, old)| old.iter()).map(|e| e.guid.as_str()).collect();
        try_identify_together(decks, &[], now, &mut IdAllocator::new(now, max), &mut guids)
    }

    #[test]
    fn a_pinned_note_has_its_guid_and_keeps_it_through_any_edit() {
        let first = build(
            vec![(
                deck("d", vec![note("Q1", "A1", 2), note("Q2", "A2", 5).with_pinned("Pin-1".into())]),
                &[],
            )],
            1_000,
        )
        .unwrap()
        .remove(0);
        assert_eq!(first.notes[1].guid, "Pin-1");
        assert_eq!(first.lock_entries()[1].guid, "Pin-1");
        assert_ne!(first.notes[0].guid, "Pin-1");
        // Both sides rewritten: by its text a new note, by its pin the same one.
        let old = first.lock_entries();
        let edited = vec![note("Q1", "A1", 2), note("Other", "Entirely", 5).with_pinned("Pin-1".into())];
        let second = build(vec![(deck("d", edited), &old)], 2_000).unwrap().remove(0);
        assert_eq!(second.notes[1].guid, "Pin-1");
        assert_eq!(second.notes[1].note_id, first.notes[1].note_id);
        assert_eq!(second.notes[1].change, Change::Updated);
        assert!(second.removed.is_empty());
    }

    #[test]
    fn no_other_note_takes_the_entry_of_a_pinned_guid() {
        let first =
            build(vec![(deck("d", vec![note("Q1", "A1", 2).with_pinned("Pin-1".into())]), &[])], 1_000)
                .unwrap()
                .remove(0);
        let old = first.lock_entries();
        // The pin moved to another note; the note with the old text lost it: the old text alone
        // does not make it the pinned note.
        let notes = vec![note("Q1", "A1", 2), note("Q9", "A9", 5).with_pinned("Pin-1".into())];
        let second = build(vec![(deck("d", notes), &old)], 2_000).unwrap().remove(0);
        assert_eq!(second.notes[1].guid, "Pin-1");
        assert_eq!(second.notes[1].note_id, first.notes[0].note_id);
        assert_eq!(second.notes[0].change, Change::New);
        assert_ne!(second.notes[0].guid, "Pin-1");
    }

    #[test]
    fn a_note_pinning_the_guid_it_has_is_unchanged() {
        let first = build(vec![(deck("d", vec![note("Q1", "A1", 2)]), &[])], 1_000).unwrap().remove(0);
        let old = first.lock_entries();
        let guid = first.notes[0].guid.clone();
        // The note pins the guid it already had: nothing changes.
        let pinned = vec![note("Q1", "A1", 2).with_pinned(guid.clone())];
        let second = build(vec![(deck("d", pinned), &old)], 2_000).unwrap().remove(0);
        assert_eq!(
            (second.notes[0].guid.as_str(), second.notes[0].change),
            (guid.as_str(), Change::Unchanged)
        );
    }

    #[test]
    fn two_notes_pinning_one_guid_are_an_error_naming_both_places() {
        let a = deck("a", vec![note("Q1", "A1", 2).with_pinned("Same".into())]);
        let b = deck("b", vec![note("Q2", "A2", 3), note("Q3", "A3", 7).with_pinned("Same".into())]);
        let errors = build(vec![(a, &[]), (b, &[])], 1_000).unwrap_err();
        assert_eq!(errors.len(), 1);
        let message = errors[0].to_string();
        assert!(message.starts_with("a.txt:2 and b.txt:7 pin the same guid `Same`"), "{message}");
        let one = deck(
            "a",
            vec![note("Q1", "A1", 2).with_pinned("X".into()), note("Q2", "A2", 4).with_pinned("X".into())],
        );
        let errors = build(vec![(one, &[])], 1_000).unwrap_err();
        assert!(errors[0].to_string().starts_with("a.txt:2 and a.txt:4 pin"), "{}", errors[0]);
    }

    #[test]
    fn a_new_pin_of_a_guid_the_lock_has_elsewhere_is_an_error() {
        let other = build(vec![(deck("o", vec![note("Q1", "A1", 2)]), &[])], 1_000).unwrap().remove(0);
        let taken = other.notes[0].guid.clone();
        let mut guids: GuidSet = [taken.as_str()].into_iter().collect();
        let d = deck("d", vec![note("Q5", "A5", 3).with_pinned(taken.clone())]);
        let mut ids = IdAllocator::new(2_000, 0);
        let errors = try_identify_together(vec![(d, &[])], &[], 2_000, &mut ids, &mut guids).unwrap_err();
        assert_eq!(errors, [PinError::InUse { guid: taken, file: "d.txt".into(), line: 3 }]);
    }

    #[test]
    fn a_guid_pinned_twice_is_an_error_at_the_later_note_naming_the_earlier() {
        use crate::diagnostic::{Code, Severity};
        let twice = PinError::Twice {
            guid: "G".into(),
            first: "a.txt".into(),
            first_line: 2,
            second: "b.txt".into(),
            second_line: 7,
        };
        let d = twice.diagnostic();
        assert_eq!(
            (d.code, d.severity, d.file.as_path(), d.line),
            (Code::E012, Severity::Error, Path::new("b.txt"), 7)
        );
        assert!(d.message.contains("`G`") && d.message.contains("a.txt:2"), "{}", d.message);
        assert_eq!(twice.files(), [Path::new("a.txt"), Path::new("b.txt")]);
    }
}
