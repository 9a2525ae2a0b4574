//! Identifying a deck whose notes are held on disk ([`Spill`]): the same matching and the same
//! identities as [`super::identify_deck`], with about 70 bytes a note kept in memory instead of
//! the notes and their lock entries. The text is read back only where it is needed: sketches of
//! cards that no lock entry matched exactly, a guid taken by another note, and, when the outputs
//! are written, the notes themselves.

use super::{Assigned, Change, Context, NoteKey, NoteText, Sketch, assign, carried, deck_entry, identity_of};
use crate::ids::{self, CardId, NoteId};
use crate::lock::{DeckEntry, NoteEntry};
use crate::model::NoteView;
use crate::spill::{BATCH, Spill};
use rayon::prelude::*;
use std::borrow::Cow;
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

/// A deck held on disk, identified.
#[derive(Debug)]
pub struct StreamedDeck<'a> {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    pub deck: DeckEntry,
    /// Each card's hashes and what [`assign`] gave it, in source order: its ids, `mod` and change
    /// follow from them ([`StreamedDeck::identity`]), so they are not held.
    pub keys: Vec<NoteKey>,
    pub assigned: Vec<Assigned>,
    pub now_secs: i64,
    pub tags: Vec<String>,
    pub notes: Spill,
    /// The lock entries the cards were matched against (their guids, sketches and previews are
    /// carried over). [`identify_streamed`] leaves it empty for the caller, whose entries these
    /// are, to hand over: a large lock is not copied.
    pub old_notes: Cow<'a, [NoteEntry]>,
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
    type Error = io::Error;

    fn sketches(&self, indices: &[usize]) -> Vec<Sketch> {
        let mut sketches = Vec::with_capacity(indices.len());
        for batch in indices.chunks(BATCH) {
            match self
                .deck
                .notes
                .read_with(batch, |notes| notes.par_iter().map(super::sketch_of).collect::<Vec<_>>())
            {
                Ok(batch) => sketches.extend(batch),
                Err(e) => {
                    self.fail(e);
                    sketches.extend(batch.iter().map(|_| Sketch::default()));
                }
            }
        }
        sketches
    }

    fn guid(&self, index: usize, occurrence: usize) -> io::Result<u64> {
        if occurrence == 1 {
            return Ok(self.deck.guids[index]);
        }
        self.deck.notes.read_with(&[index], |notes| {
            ids::note_guid_value(&self.deck.key, notes[0].front(), notes[0].back(), occurrence)
        })
    }
}

/// Matches a scanned deck's notes to the lock and assigns identities, as
/// [`super::identify_deck`] does for a deck in memory.
pub fn identify_streamed(mut deck: ScannedDeck, mut cx: Context<'_>) -> io::Result<StreamedDeck<'static>> {
    let text = OnDisk { deck: &deck, failed: Mutex::new(None) };
    let assigned = assign(&deck.keys, &text, &mut cx);
    if let Some(e) = text.failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let super::Assignment { assigned, used, .. } = assigned?;
    deck.guids = Vec::new();
    let removed = cx.old_notes.iter().zip(used).filter(|(_, u)| !u).map(|(e, _)| e.clone()).collect();
    Ok(StreamedDeck {
        deck: deck_entry(cx.old_deck, &deck.name, cx.now_secs),
        key: deck.key,
        name: deck.name,
        file: deck.file,
        keys: deck.keys,
        assigned,
        now_secs: cx.now_secs,
        tags: deck.tags,
        notes: deck.notes,
        old_notes: Cow::Borrowed(&[]),
        removed,
    })
}

impl StreamedDeck<'_> {
    /// How many cards it has.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Card `index`'s old entry (if it had one), note id, card id, `mod` and change.
    pub fn identity(&self, index: usize) -> (Option<&NoteEntry>, NoteId, CardId, i64, Change) {
        identity_of(self.assigned[index], &self.old_notes, self.keys[index].content, self.now_secs)
    }

    /// How many notes changed in each way.
    pub fn count(&self, change: Change) -> usize {
        (0..self.len()).filter(|&i| self.identity(i).4 == change).count()
    }

    /// The guid of card `index`, written into `buf` when it is new.
    pub fn guid<'a>(&'a self, index: usize, buf: &'a mut [u8; 11]) -> &'a str {
        match self.assigned[index] {
            Assigned::Old(old) => &self.old_notes[old].guid,
            Assigned::New { guid, .. } => ids::base91_in(guid, buf),
        }
    }

    /// The lock entry of card `index`, whose note is `note`.
    pub fn lock_entry(&self, index: usize, note: &NoteView<'_>) -> NoteEntry {
        let key = &self.keys[index];
        let (old, note_id, card_id, mtime, _) = self.identity(index);
        let (sketch, preview) = carried(old, key);
        let mut buf = [0u8; 11];
        NoteEntry {
            guid: self.guid(index, &mut buf).to_string(),
            note_id,
            card_id,
            mtime,
            content: key.content,
            front: key.front,
            back: key.back,
            sketch: sketch.cloned().unwrap_or_else(|| super::sketch_of(note)),
            line: note.line,
            preview: preview.map_or_else(|| super::preview(note.front()), str::to_string),
        }
    }

    /// Hands every lock entry, in source order, to `f`, a batch at a time (the entries of a batch
    /// are made in parallel).
    pub fn for_each_lock_entry(&self, f: &mut dyn FnMut(&[NoteEntry]) -> io::Result<()>) -> io::Result<()> {
        self.notes.for_each_batch(None, |indices, notes| {
            let entries: Vec<NoteEntry> =
                indices.par_iter().zip(notes).map(|(&i, note)| self.lock_entry(i, note)).collect();
            f(&entries)
        })
    }
}
