//! Identifying a deck whose notes are held on disk ([`Spill`]): the same matching and the same
//! identities as [`super::identify_deck`], with about 70 bytes a note kept in memory instead of
//! the notes and their lock entries. The text is read back only where it is needed: sketches of
//! cards that no lock entry matched exactly, a guid taken by another note, and, when the outputs
//! are written, the notes themselves.

use super::{Assigned, Change, Context, NoteKey, NoteText, Sketch, assign, carried, deck_entry, identity_of};
use crate::ids::{self, CardId, NoteId};
use crate::lock::{DeckEntry, NoteEntry};
use crate::model::Note;
use crate::spill::{BATCH, Spill};
use rayon::prelude::*;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

/// A deck read once from its source: the notes on disk, their keys in memory.
#[derive(Debug)]
pub struct ScannedDeck {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    /// Each note's hashes, in source order.
    pub keys: Vec<NoteKey>,
    /// Each note's first-choice guid value ([`ids::note_guid_value`], occurrence 1).
    pub guids: Vec<u64>,
    /// Every tag the notes use, sorted, each once.
    pub tags: Vec<String>,
    pub notes: Spill,
}

/// A card of a deck held on disk, with its identity.
#[derive(Debug, Clone, Copy)]
pub struct StreamedCard {
    pub key: NoteKey,
    pub assigned: Assigned,
    pub note_id: NoteId,
    pub card_id: CardId,
    pub mtime: i64,
    pub change: Change,
}

/// A deck held on disk, identified.
#[derive(Debug)]
pub struct StreamedDeck {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    pub deck: DeckEntry,
    pub cards: Vec<StreamedCard>,
    pub tags: Vec<String>,
    pub notes: Spill,
    /// The lock entries the cards were matched against (their guids, sketches and previews are
    /// carried over).
    pub old_notes: Vec<NoteEntry>,
    /// Cards of the last build that this one no longer has.
    pub removed: Vec<NoteEntry>,
}

/// The text of a scanned deck, read back from its spill file. A read error is kept and reported
/// once identification is over.
struct OnDisk<'a> {
    deck: &'a ScannedDeck,
    failed: Mutex<Option<io::Error>>,
}

impl OnDisk<'_> {
    fn fail(&self, e: io::Error) {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert(e);
    }
}

impl NoteText for OnDisk<'_> {
    fn sketches(&self, indices: &[usize]) -> Vec<Sketch> {
        let mut sketches = Vec::with_capacity(indices.len());
        for batch in indices.chunks(BATCH) {
            match self.deck.notes.read(batch) {
                Ok(notes) => sketches.par_extend(notes.par_iter().map(super::sketch_of)),
                Err(e) => {
                    self.fail(e);
                    sketches.extend(batch.iter().map(|_| Sketch::default()));
                }
            }
        }
        sketches
    }

    fn guid(&self, index: usize, occurrence: usize) -> u64 {
        if occurrence == 1 {
            return self.deck.guids[index];
        }
        match self.deck.notes.read(&[index]) {
            Ok(notes) => ids::note_guid_value(&self.deck.key, notes[0].front(), notes[0].back(), occurrence),
            Err(e) => {
                self.fail(e);
                0
            }
        }
    }
}

/// Matches a scanned deck's notes to the lock and assigns identities, as
/// [`super::identify_deck`] does for a deck in memory.
pub fn identify_streamed(deck: ScannedDeck, mut cx: Context<'_>) -> io::Result<StreamedDeck> {
    let text = OnDisk { deck: &deck, failed: Mutex::new(None) };
    let (assigned, _, used) = assign(&deck.keys, &text, &mut cx);
    if let Some(e) = text.failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let cards = deck
        .keys
        .iter()
        .zip(assigned)
        .map(|(key, assigned)| {
            let (_, note_id, card_id, mtime, change) =
                identity_of(assigned, cx.old_notes, key.content, cx.now_secs);
            StreamedCard { key: *key, assigned, note_id, card_id, mtime, change }
        })
        .collect();
    let removed = cx.old_notes.iter().zip(used).filter(|(_, u)| !u).map(|(e, _)| e.clone()).collect();
    Ok(StreamedDeck {
        deck: deck_entry(cx.old_deck, &deck.name, cx.now_secs),
        key: deck.key,
        name: deck.name,
        file: deck.file,
        cards,
        tags: deck.tags,
        notes: deck.notes,
        old_notes: cx.old_notes.to_vec(),
        removed,
    })
}

impl StreamedDeck {
    /// How many notes changed in each way.
    pub fn count(&self, change: Change) -> usize {
        self.cards.iter().filter(|c| c.change == change).count()
    }

    /// The guid of card `index`, written into `buf` when it is new.
    pub fn guid<'a>(&'a self, index: usize, buf: &'a mut [u8; 11]) -> &'a str {
        match self.cards[index].assigned {
            Assigned::Old(old) => &self.old_notes[old].guid,
            Assigned::New { guid, .. } => ids::base91_in(guid, buf),
        }
    }

    /// The lock entry of card `index`, whose note is `note`.
    pub fn lock_entry(&self, index: usize, note: &Note) -> NoteEntry {
        let card = &self.cards[index];
        let old = match card.assigned {
            Assigned::Old(i) => Some(&self.old_notes[i]),
            Assigned::New { .. } => None,
        };
        let (sketch, preview) = carried(old, &card.key);
        let mut buf = [0u8; 11];
        NoteEntry {
            guid: self.guid(index, &mut buf).to_string(),
            note_id: card.note_id,
            card_id: card.card_id,
            mtime: card.mtime,
            content: card.key.content,
            front: card.key.front,
            back: card.key.back,
            sketch: sketch.cloned().unwrap_or_else(|| super::sketch_of(note)),
            line: note.line,
            preview: preview.map_or_else(|| super::preview(note.front()), str::to_string),
        }
    }

    /// Hands every lock entry, in source order, to `f`, a batch at a time (the entries of a batch
    /// are made in parallel).
    pub fn for_each_lock_entry(&self, f: &mut dyn FnMut(&NoteEntry) -> io::Result<()>) -> io::Result<()> {
        let mut start = 0;
        while start < self.cards.len() {
            let end = (start + BATCH).min(self.cards.len());
            let indices: Vec<usize> = (start..end).collect();
            let notes = self.notes.read(&indices)?;
            let entries: Vec<NoteEntry> =
                notes.par_iter().enumerate().map(|(i, note)| self.lock_entry(start + i, note)).collect();
            for entry in &entries {
                f(entry)?;
            }
            start = end;
        }
        Ok(())
    }
}
