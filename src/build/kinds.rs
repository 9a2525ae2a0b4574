//! W016: a card that changed kind since the last build (it gained or lost a cloze deletion in a
//! deck whose note type is not cloze). Matching keeps the kinds apart (their hashes are seeded by
//! kind, see [`crate::identify::NoteKey::of`]): such a card is a new note, and the old one is
//! removed from the deck. Anki cannot turn one into the other keeping its review history
//! (between cloze and normal the cards do not map), so the old note stays in Anki beside the new
//! one. Said only when the pairing is plain: a new note and a removed one of the other kind whose
//! question or answer is the same, or whose question is as similar as an edited card's must be.

use crate::diagnostic::{Code, Diagnostic};
use crate::identify::{self, Change, IdentifiedDeck, NoteKey, similar::Sides};
use crate::lock::NoteEntry;
use crate::model::NoteKind;
use std::path::Path;

/// W016 for each new note of `deck` (of the file `file`) that is a removed note of the other
/// kind, edited into or out of a cloze card; none for a deck whose note type is cloze (its
/// notes are all of one kind). Reads back the new notes only, and only when notes were removed.
pub fn changed_kind(
    deck: &IdentifiedDeck<'_>,
    file: &Path,
    cloze_cards: bool,
) -> std::io::Result<Vec<Diagnostic>> {
    if !cloze_cards || deck.removed.is_empty() {
        return Ok(Vec::new());
    }
    let new: Vec<usize> = (0..deck.len()).filter(|&i| deck.identity(i).4 == Change::New).collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut taken = vec![false; deck.removed.len()];
    let mut warnings = Vec::new();
    deck.notes.read(&new, &mut |notes| {
        for note in notes {
            // The note as the other kind: what its old self's lock entry would hold.
            let was = match note.kind() {
                NoteKind::Own => NoteKind::Cloze,
                NoteKind::Cloze => NoteKind::Own,
            };
            let flipped = note.clone().with_kind(was);
            let key = NoteKey::of(&flipped, deck.sides);
            let sketch = identify::sides_of(&flipped, deck.sides);
            let empty_back = identify::hash_of("", was);
            let Some(at) = (0..deck.removed.len())
                .filter(|&r| !taken[r])
                .find(|&r| same_card(&deck.removed[r], &key, &sketch, empty_back))
            else {
                continue;
            };
            taken[at] = true;
            warnings.push(warning(file, note.line, note.kind(), &deck.removed[at]));
        }
    })?;
    Ok(warnings)
}

/// W016 for each note of `deck` that pins its guid and is not of the kind its lock entry says,
/// with the note's index: Anki has the note under its old note type and skips it on import
/// ("conflicting", `rslib/src/import_export/package/apkg/import/notes.rs`), so its text would
/// not arrive (the import plan counts it so). Only the pinned notes are read back. `types` are
/// the deck's note types.
pub fn pinned_changed_kind(
    deck: &IdentifiedDeck<'_>,
    file: &Path,
    types: crate::notetype::NoteTypes<'_>,
) -> std::io::Result<Vec<(usize, Diagnostic)>> {
    let olds = identify::Olds { own: &deck.old_notes, adopted: &deck.adopted };
    let pinned: Vec<(usize, &NoteEntry)> = (deck.pinned.iter())
        .filter_map(|pin| Some((pin.index, olds.get(deck.assigned[pin.index].old()?))))
        .collect();
    if pinned.is_empty() {
        return Ok(Vec::new());
    }
    let indices: Vec<usize> = pinned.iter().map(|(i, _)| *i).collect();
    let mut warnings = Vec::new();
    deck.notes.read(&indices, &mut |notes| {
        for (note, (index, old)) in notes.iter().zip(&pinned) {
            if note.kind() == old.kind {
                continue;
            }
            let name = |kind| &types.of(kind).name;
            let message = format!(
                "this card keeps its pinned id and is now a note of `{}`, and Anki has it as a note of `{}`: \
                 Anki skips it on import (\"conflicting\"), so the change does not arrive",
                name(note.kind()),
                name(old.kind)
            );
            let hint = format!(
                "before importing, change the note's type in Anki (Browse, search nid:{}, Notes > Change Note \
                 Type to `{}`); or take its pinned id out to make it a new note",
                old.note_id.0,
                name(note.kind())
            );
            warnings.push((*index, Diagnostic::new(Code::W016, file, note.line, message).with_hint(hint)));
        }
    })?;
    Ok(warnings)
}

/// Whether the removed entry `old` is the card whose key and sketches as its old kind are `key`
/// and `sketch`: the same question, the same (non-empty) answer, or a question similar enough.
fn same_card(old: &NoteEntry, key: &NoteKey, sketch: &Sides, empty_back: u64) -> bool {
    old.front == key.front
        || (old.back == key.back && key.back != empty_back)
        || Sides::fronts(&old.front_sketch, &sketch.front) >= identify::matching::SAME_BACK_FRONT_THRESHOLD
}

fn warning(file: &Path, line: u32, now: NoteKind, old: &NoteEntry) -> Diagnostic {
    let (before, after) = match now {
        NoteKind::Cloze => ("a plain card", "a cloze card (it holds a deletion `{{c1::…}}`)"),
        NoteKind::Own => ("a cloze card", "a plain card (it holds no deletion)"),
    };
    let message = format!(
        "this card was {before} in the last build and is now {after}: it is a new note, and the old \
         one stays in Anki with its review history (search: nid:{})",
        old.note_id.0
    );
    Diagnostic::new(Code::W016, file, line, message).with_hint(
        "Anki cannot turn a note into the other kind keeping its reviews: delete the old note in Anki \
         (Browse, search nid:…) if you do not need it, or undo the change to keep studying the old one",
    )
}
