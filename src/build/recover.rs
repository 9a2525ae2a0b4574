//! Recovering note identities from a previous package when the lock file has no entries for a
//! deck (the lock was lost or deleted): the guids, ids and `mod` times are read back from
//! `out/<deck>.apkg`, so the rebuild still updates the user's notes instead of duplicating them.

use crate::emit::{EmitError, dump};
use crate::identify;
use crate::ids::{CardId, DeckId, NoteId};
use crate::lock::{DeckEntry, NoteEntry, NotetypeEntry};
use crate::model::Note;
use crate::notetype::Notetype;
use std::collections::HashMap;
use std::path::Path;

/// What a previous package tells about a deck.
pub struct Recovered {
    pub notes: Vec<NoteEntry>,
    pub deck: Option<DeckEntry>,
    pub notetype: Option<NotetypeEntry>,
}

/// Reads the identities of `notetype`'s notes from the package at `path`.
pub fn from_package(path: &Path, deck_name: &str, notetype: &Notetype) -> Result<Recovered, EmitError> {
    let package = dump::read(path)?;
    let card_of: HashMap<i64, (i64, i64)> = package.cards.iter().map(|c| (c.nid, (c.id, c.due))).collect();
    let mut notes: Vec<(i64, NoteEntry)> = package
        .notes
        .iter()
        .filter(|n| n.mid == notetype.id.0 && n.fields.len() == notetype.fields.len())
        .filter_map(|n| {
            let &(card_id, due) = card_of.get(&n.id)?;
            let note = Note {
                fields: n.fields.clone(),
                tags: n.tags.split_whitespace().map(str::to_string).collect(),
                line: 0,
            };
            let entry = NoteEntry {
                guid: n.guid.clone(),
                note_id: NoteId(n.id),
                card_id: CardId(card_id),
                mtime: n.mtime,
                content: identify::content_hash(&note),
                front: identify::hash(note.front()),
                back: identify::hash(note.back()),
                sketch: identify::sketch_of(&note),
                line: 0,
                preview: identify::preview(note.front()),
            };
            Some((due, entry))
        })
        .collect();
    notes.sort_by_key(|(due, e)| (*due, e.note_id));
    let deck = package.decks.as_object().and_then(|decks| {
        decks.values().find(|d| d["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(deck_name))).map(
            |d| DeckEntry {
                id: DeckId(d["id"].as_i64().unwrap_or(0)),
                mtime: d["mod"].as_i64().unwrap_or(0),
                name: deck_name.to_string(),
            },
        )
    });
    let notetype = package.models.get(notetype.id.0.to_string()).map(|model| {
        let current = notetype.to_schema11(0);
        let same = ["css", "tmpls", "flds"].iter().all(|k| model[*k] == current[*k]);
        NotetypeEntry {
            id: notetype.id,
            mtime: model["mod"].as_i64().unwrap_or(0),
            // An unknown old definition: the hash 0 never matches, so the mod moves forward.
            hash: if same { notetype.definition_hash() } else { 0 },
            name: notetype.name.to_string(),
        }
    });
    Ok(Recovered { notes: notes.into_iter().map(|(_, e)| e).collect(), deck, notetype })
}
