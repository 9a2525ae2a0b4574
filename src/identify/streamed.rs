//! Identifying a deck whose notes are held on disk ([`Spill`]): the same matching and the same
//! identities as [`super::identify_deck`], with about 70 bytes a note kept in memory instead of
//! the notes and their lock entries. The text is read back only where it is needed: sketches of
//! cards that no lock entry matched exactly, a guid taken by another note, and, when the outputs
//! are written, the notes themselves.

use super::escaping::Sketched;
use super::{
    Assigned, Assignment, Change, Context, NoteKey, NoteText, Olds, Sketches, carried, deck_entry,
    identity_of,
};
use crate::ids::{self, CardIds, NoteId};
use crate::lock::{DeckEntry, NoteEntry};
use crate::model::NoteView;
use crate::notetype::Notetype;
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
    /// Each card's hashes and what [`super::assign`] gave it, in source order: its ids, `mod` and change
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
    /// The entries its cards took from other decks (numbered after `old_notes`).
    pub adopted: Vec<NoteEntry>,
    /// Cards of the last build that this one no longer has.
    pub removed: Vec<NoteEntry>,
}

/// The text of a scanned deck, read back from its spill file. A read error is kept and reported
/// once identification is over ([`OnDisk::failure`]).
pub struct OnDisk<'a> {
    deck: &'a ScannedDeck,
    failed: Mutex<Option<io::Error>>,
}

impl<'a> OnDisk<'a> {
    pub fn new(deck: &'a ScannedDeck) -> OnDisk<'a> {
        OnDisk { deck, failed: Mutex::new(None) }
    }

    fn fail(&self, e: io::Error) {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert(e);
    }

    /// The first read error, if reading the text failed.
    pub fn failure(self) -> Option<io::Error> {
        self.failed.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl Sketches for OnDisk<'_> {
    fn sketches(&self, indices: &[usize]) -> Vec<Sketched> {
        let mut sketches = Vec::with_capacity(indices.len());
        for batch in indices.chunks(BATCH) {
            match self
                .deck
                .notes
                .read_with(batch, |notes| notes.par_iter().map(Sketched::of).collect::<Vec<_>>())
            {
                Ok(batch) => sketches.extend(batch),
                Err(e) => {
                    self.fail(e);
                    sketches.extend(batch.iter().map(|_| Sketched::default()));
                }
            }
        }
        sketches
    }
}

impl NoteText for OnDisk<'_> {
    type Error = io::Error;

    fn guid(&self, index: usize, occurrence: usize) -> io::Result<u64> {
        if occurrence == 1 {
            return Ok(self.deck.guids[index]);
        }
        self.deck.notes.read_with(&[index], |notes| {
            ids::note_guid_value(&self.deck.key, notes[0].front(), notes[0].back(), occurrence)
        })
    }

    fn card_ords(&self, count: usize, notetype: &Notetype) -> io::Result<Vec<Vec<u16>>> {
        let indices: Vec<usize> = (0..count).collect();
        let mut ords = Vec::with_capacity(count);
        // In batches, as the sketches are read: the whole deck need not be in memory at once.
        for batch in indices.chunks(BATCH) {
            let batch = self.deck.notes.read_with(batch, |notes| {
                notes.par_iter().map(|note| super::card_ords_of(note, notetype)).collect::<Vec<_>>()
            })?;
            ords.extend(batch);
        }
        Ok(ords)
    }
}

/// A scanned deck with the identities [`super::assign`] gave its notes, as
/// [`super::identify_deck`] does for a deck in memory.
pub fn identify_streamed(
    mut deck: ScannedDeck,
    assignment: Assignment,
    cx: Context<'_>,
) -> StreamedDeck<'static> {
    let Assignment { assigned, adopted, .. } = assignment;
    deck.guids = Vec::new();
    let removed = super::removed(cx.old_notes, cx.taken);
    StreamedDeck {
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
        adopted,
        removed,
    }
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
    pub fn identity(&self, index: usize) -> (Option<&NoteEntry>, NoteId, CardIds, i64, Change) {
        let olds = Olds { own: &self.old_notes, adopted: &self.adopted };
        identity_of(&self.assigned[index], olds, self.keys[index].content, self.now_secs)
    }

    /// How many notes changed in each way.
    pub fn count(&self, change: Change) -> usize {
        (0..self.len()).filter(|&i| self.identity(i).4 == change).count()
    }

    /// The guid of card `index`, written into `buf` when it is new.
    pub fn guid<'a>(&'a self, index: usize, buf: &'a mut [u8; 11]) -> &'a str {
        match &self.assigned[index] {
            Assigned::Old(old) | Assigned::Reshaped { old, .. } => {
                &Olds { own: &self.old_notes, adopted: &self.adopted }.get(*old).guid
            }
            Assigned::New { guid, .. } => ids::base91_in(*guid, buf),
        }
    }

    /// The lock entry of card `index`, whose note is `note`.
    pub fn lock_entry(&self, index: usize, note: &NoteView<'_>) -> NoteEntry {
        let key = &self.keys[index];
        let (old, note_id, card_ids, mtime, _) = self.identity(index);
        let (sketch, preview) = carried(old, key);
        let mut buf = [0u8; 11];
        let sketch = sketch.unwrap_or_else(|| super::sides_of(note));
        let preview = preview.map_or_else(|| super::preview(note.front()), str::to_string);
        key.entry(self.guid(index, &mut buf).to_string(), (note_id, card_ids, mtime), sketch, preview)
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
