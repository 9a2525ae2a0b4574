//! The one deck type of identification, whatever holds its notes ([`NoteStore`]: a `Vec` in
//! memory, or the spill file of a deck too large for that). A deck keeps about 70 bytes a note
//! besides its store: each note's hashes and what [`super::assign`] gave it, from which its ids,
//! `mod`, change and lock entry follow when they are asked for. The text is read back only where
//! it is needed: sketches of notes that no lock entry matched exactly, a guid taken by another
//! note, and, when the outputs are written, the notes themselves.

use super::escaping::Sketched;
use super::pinned::{Pin, pins_of};
use super::similar::Sides;
use super::{
    Assigned, Assignment, Change, Context, NoteKey, NoteText, Olds, Sketches, carried, deck_entry,
    identity_of,
};
use crate::ids::{self, CardIds, NoteId};
use crate::lock::{DeckEntry, NoteEntry};
use crate::model::{Deck, Note, NoteKind, NoteStore, NoteView, SideFields};
use crate::notetype::NoteTypes;
use crate::spill::BATCH;
use rayon::prelude::*;
use std::borrow::Cow;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

/// A deck read from its source: the notes in their store, their keys in memory.
#[derive(Debug)]
pub struct ReadDeck {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    /// Each note's hashes, in source order.
    pub keys: Vec<NoteKey>,
    /// Each note's first-choice guid value ([`ids::note_guid_value`], occurrence 1) when the
    /// store is on disk (worked out while the note was read, so a new note costs no read back);
    /// empty for a store in memory, whose notes are read when asked.
    pub guids: Vec<u64>,
    /// Every tag the notes use, sorted, each once.
    pub tags: Vec<String>,
    /// Which fields are the notes' sides, as their note type says.
    pub sides: SideFields,
    /// The notes whose guid the source pins, in note order.
    pub pinned: Vec<Pin>,
    /// How many notes are cloze cards of a deck of another note type ([`NoteKind::Cloze`]).
    pub cloze: usize,
    pub notes: Box<dyn NoteStore>,
}

impl ReadDeck {
    /// A parsed deck of notes whose sides are `sides`, its notes kept in memory.
    pub fn in_memory(deck: Deck, sides: SideFields) -> ReadDeck {
        let keys: Vec<NoteKey> = deck.notes.par_iter().map(|note| NoteKey::of(note, sides)).collect();
        let mut tags: Vec<&str> = deck.notes.iter().flat_map(|n| n.tags()).collect();
        tags.sort_unstable();
        tags.dedup();
        let tags = tags.into_iter().map(str::to_string).collect();
        ReadDeck {
            key: deck.key,
            name: deck.name,
            file: deck.file,
            keys,
            guids: Vec::new(),
            tags,
            sides,
            pinned: pins_of(deck.notes.iter()),
            cloze: deck.notes.iter().filter(|n| n.kind() == NoteKind::Cloze).count(),
            notes: Box::new(deck.notes),
        }
    }

    /// How many notes it has.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The text of a deck, read back from its store. A read error is kept and reported once
/// identification is over ([`DeckText::failure`]).
pub struct DeckText<'a> {
    deck: &'a ReadDeck,
    failed: Mutex<Option<io::Error>>,
}

impl<'a> DeckText<'a> {
    pub fn new(deck: &'a ReadDeck) -> DeckText<'a> {
        DeckText { deck, failed: Mutex::new(None) }
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

impl Sketches for DeckText<'_> {
    fn sketches(&self, indices: &[usize]) -> Vec<Sketched> {
        let mut sketches = Vec::with_capacity(indices.len());
        for batch in indices.chunks(BATCH) {
            match self.deck.notes.read_with(batch, |notes| {
                notes.par_iter().map(|note| Sketched::of(note, self.deck.sides)).collect::<Vec<_>>()
            }) {
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

impl NoteText for DeckText<'_> {
    type Error = io::Error;

    fn guid(&self, index: usize, occurrence: usize) -> io::Result<u64> {
        if occurrence == 1
            && let Some(&guid) = self.deck.guids.get(index)
        {
            return Ok(guid);
        }
        self.deck
            .notes
            .note_with(index, |note| super::guid_value(&self.deck.key, note, self.deck.sides, occurrence))
    }

    fn card_ords(&self, count: usize, types: NoteTypes<'_>) -> io::Result<Vec<Vec<u16>>> {
        let indices: Vec<usize> = (0..count).collect();
        let mut ords = Vec::with_capacity(count);
        // In batches: a deck on disk need not be in memory at once.
        for batch in indices.chunks(BATCH) {
            let batch = self.deck.notes.read_with(batch, |notes| {
                notes
                    .par_iter()
                    .map(|note| super::card_ords_of(note, types.of(note.kind())))
                    .collect::<Vec<_>>()
            })?;
            ords.extend(batch);
        }
        Ok(ords)
    }
}

/// A deck with the identities [`super::assign`] gave its notes.
#[derive(Debug)]
pub struct IdentifiedDeck<'a> {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    pub deck: DeckEntry,
    /// Each note's hashes and what [`super::assign`] gave it, in source order: its ids, `mod` and
    /// change follow from them ([`IdentifiedDeck::identity`]), so they are not held.
    pub keys: Vec<NoteKey>,
    pub assigned: Vec<Assigned>,
    pub now_secs: i64,
    pub tags: Vec<String>,
    pub sides: SideFields,
    /// The notes whose guid the source pins, in note order ([`Assigned::Pinned`] indexes it).
    pub pinned: Vec<Pin>,
    /// How many notes are cloze cards of a deck of another note type ([`NoteKind::Cloze`]).
    pub cloze: usize,
    pub notes: Box<dyn NoteStore>,
    /// The lock entries the notes were matched against (their guids, sketches and previews are
    /// carried over). [`identify`] leaves it empty for the caller, whose entries these are, to
    /// hand over: a large lock is not copied.
    pub old_notes: Cow<'a, [NoteEntry]>,
    /// The entries its notes took from other decks (numbered after `old_notes`).
    pub adopted: Vec<NoteEntry>,
    /// Cards of the last build that this one no longer has.
    pub removed: Vec<NoteEntry>,
    /// The sketches matching computed (of notes no old entry matched exactly), by note index:
    /// kept for a deck in memory only (one on disk computes them again from the text, so its
    /// memory does not grow with the deck).
    sketched: Vec<(usize, Sides)>,
    /// Notes whose `mod` and change are not what the lock gives them (see
    /// [`IdentifiedDeck::revise`]), by note index.
    revised: rustc_hash::FxHashMap<u32, (i64, Change)>,
}

/// A read deck with the identities [`super::assign`] gave its notes.
pub fn identify(mut deck: ReadDeck, assignment: Assignment, cx: Context<'_>) -> IdentifiedDeck<'static> {
    let Assignment { assigned, adopted, probes, .. } = assignment;
    deck.guids = Vec::new();
    let sketched = match deck.notes.in_memory() {
        true => probes.into_iter().map(|p| (p.index, p.sketch)).collect(),
        false => Vec::new(),
    };
    let removed = super::removed(cx.old_notes, cx.taken);
    IdentifiedDeck {
        deck: deck_entry(cx.old_deck, &deck.name, cx.now_secs),
        key: deck.key,
        name: deck.name,
        file: deck.file,
        keys: deck.keys,
        assigned,
        now_secs: cx.now_secs,
        tags: deck.tags,
        sides: deck.sides,
        pinned: deck.pinned,
        cloze: deck.cloze,
        notes: deck.notes,
        old_notes: Cow::Borrowed(&[]),
        adopted,
        removed,
        sketched,
        revised: Default::default(),
    }
}

impl IdentifiedDeck<'_> {
    /// How many notes it has.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Note `index`'s old entry (if it had one), note id, card ids, `mod` and change.
    pub fn identity(&self, index: usize) -> (Option<&NoteEntry>, NoteId, CardIds, i64, Change) {
        let olds = Olds { own: &self.old_notes, adopted: &self.adopted };
        let mut identity = identity_of(&self.assigned[index], olds, self.keys[index].content, self.now_secs);
        if !self.revised.is_empty()
            && let Some(&(mtime, change)) = self.revised.get(&(index as u32))
        {
            (identity.3, identity.4) = (mtime, change);
        }
        identity
    }

    /// Gives note `index` this `mod` and change instead of those its lock entry gives it (a
    /// lock older than the package Anki has: [`crate::build`]'s `reverted`).
    pub fn revise(&mut self, index: usize, mtime: i64, change: Change) {
        self.revised.insert(u32::try_from(index).unwrap_or(u32::MAX), (mtime, change));
    }

    /// How many notes changed in each way.
    pub fn count(&self, change: Change) -> usize {
        (0..self.len()).filter(|&i| self.identity(i).4 == change).count()
    }

    /// The guid of note `index`, written into `buf` when it is new.
    pub fn guid<'a>(&'a self, index: usize, buf: &'a mut [u8; 11]) -> &'a str {
        match &self.assigned[index] {
            Assigned::Old(old) | Assigned::Reshaped { old, .. } => {
                &Olds { own: &self.old_notes, adopted: &self.adopted }.get(*old).guid
            }
            Assigned::New { guid, .. } => ids::base91_in(*guid, buf),
            Assigned::Pinned { pin, .. } => &self.pinned[*pin as usize].guid,
        }
    }

    /// The lock entry of note `index`, whose note is `note`.
    pub fn lock_entry(&self, index: usize, note: &NoteView<'_>) -> NoteEntry {
        let key = &self.keys[index];
        let (old, note_id, card_ids, mtime, _) = self.identity(index);
        let (sketch, preview) = carried(old, key);
        let sketch = sketch.or_else(|| {
            let at = self.sketched.binary_search_by_key(&index, |(i, _)| *i).ok()?;
            Some(self.sketched[at].1.clone())
        });
        let mut buf = [0u8; 11];
        let sketch = sketch.unwrap_or_else(|| super::sides_of(note, self.sides));
        let preview = preview.map_or_else(|| super::preview_of(note, self.sides), str::to_string);
        let guid = self.guid(index, &mut buf).to_string();
        key.entry((guid, note.kind()), (note_id, card_ids, mtime), sketch, preview)
    }

    /// Hands every lock entry, in source order, to `f`, a batch at a time (the entries of a batch
    /// are made in parallel).
    pub fn for_each_lock_entry(&self, f: &mut dyn FnMut(&[NoteEntry]) -> io::Result<()>) -> io::Result<()> {
        self.notes.for_each_batch(None, &mut |indices, notes| {
            let entries: Vec<NoteEntry> =
                indices.par_iter().zip(notes).map(|(&i, note)| self.lock_entry(i, note)).collect();
            f(&entries)
        })
    }

    /// Every lock entry, in source order.
    pub fn lock_entries(&self) -> io::Result<Vec<NoteEntry>> {
        let mut all = Vec::with_capacity(self.len());
        self.for_each_lock_entry(&mut |entries| {
            all.extend_from_slice(entries);
            Ok(())
        })?;
        Ok(all)
    }

    /// The notes that are new or changed, in source order: index, change, source line and
    /// preview of the front.
    pub fn changed(&self) -> io::Result<Vec<(usize, Change, u32, String)>> {
        let changed: Vec<(usize, Change)> = (0..self.len())
            .map(|i| (i, self.identity(i).4))
            .filter(|(_, change)| *change != Change::Unchanged)
            .collect();
        let mut out = Vec::with_capacity(changed.len());
        for batch in changed.chunks(BATCH) {
            let indices: Vec<usize> = batch.iter().map(|(i, _)| *i).collect();
            self.notes.read_with(&indices, |notes| {
                for ((i, change), note) in batch.iter().zip(notes) {
                    out.push((*i, *change, note.line, super::preview_of(note, self.sides)));
                }
            })?;
        }
        Ok(out)
    }

    /// Takes the notes out (to free them), leaving none.
    pub fn take_notes(&mut self) -> Box<dyn NoteStore> {
        std::mem::replace(&mut self.notes, Box::new(Vec::<Note>::new()))
    }
}
