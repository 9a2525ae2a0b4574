//! Identify stage: gives every note, deck and note type of a build its identity (guid, ids) and
//! `mod` time from the lock file, so a rebuilt deck imports into Anki as an update.
//!
//! `mod` policy: a note's `mod` is when its content last changed. A changed note gets a `mod`
//! strictly greater than the lock's (Anki updates only when the incoming `mod` is newer,
//! `rslib/src/import_export/package/apkg/import/notes.rs: should_update`); an unchanged one keeps
//! its old `mod`, so Anki reports it unchanged. The same holds for the note type.

pub mod matching;
pub mod similar;
pub mod streamed;

use crate::html;
use crate::ids::{self, CardId, NoteId};
use crate::lock::{DeckEntry, NoteEntry, NotetypeEntry};
use crate::model::{Deck, Note};
use crate::notetype::Notetype;
use matching::Probe;
use rayon::prelude::*;
use similar::Sketch;
use std::path::PathBuf;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

/// The guids in use, held as 64-bit hashes (no copy of 100,000 strings). A hash collision can
/// only make a new note's guid move on to its next occurrence, never give two notes one guid.
#[derive(Debug, Clone, Default)]
pub struct GuidSet(rustc_hash::FxHashSet<u64>);

impl GuidSet {
    /// Adds a guid; false if it (or one of the same hash) is already in use.
    pub fn insert(&mut self, guid: &str) -> bool {
        self.0.insert(xxh3_64(guid.as_bytes()))
    }
}

impl<'a> Extend<&'a str> for GuidSet {
    fn extend<I: IntoIterator<Item = &'a str>>(&mut self, guids: I) {
        self.0.extend(guids.into_iter().map(|g| xxh3_64(g.as_bytes())));
    }
}

impl<'a> FromIterator<&'a str> for GuidSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(guids: I) -> Self {
        let mut set = GuidSet::default();
        set.extend(guids);
        set
    }
}

/// How a note changed since the last build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Updated,
    Unchanged,
}

/// A note with its identity.
#[derive(Debug, Clone)]
pub struct IdentifiedNote {
    pub note: Note,
    pub guid: String,
    pub note_id: NoteId,
    pub card_id: CardId,
    /// Seconds.
    pub mtime: i64,
    /// 1-based position in the deck: the new card's `due`.
    pub position: u32,
    pub change: Change,
}

/// A deck with its identity, its notes and the lock entries that no longer match a card.
#[derive(Debug, Clone)]
pub struct IdentifiedDeck {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    pub deck: DeckEntry,
    pub notes: Vec<IdentifiedNote>,
    /// The notes' lock entries after this build, in note order. Those listed in `unfinished`
    /// lack their sketch or preview until [`IdentifiedDeck::finish_entries`] fills them in.
    pub entries: Vec<NoteEntry>,
    pub unfinished: Vec<Unfinished>,
    /// Cards of the last build that this one no longer has.
    pub removed: Vec<NoteEntry>,
}

impl IdentifiedDeck {
    /// How many notes changed in each way.
    pub fn count(&self, change: Change) -> usize {
        self.notes.iter().filter(|n| n.change == change).count()
    }

    /// Computes the sketches and previews that identification left out of `entries` (this
    /// deck's lock entries, wherever they are now): they are needed for the lock file only, so
    /// they are made while the package is being written.
    pub fn finish_entries(&self, entries: &mut [NoteEntry]) {
        let done: Vec<(u32, Option<Sketch>, Option<String>)> = self
            .unfinished
            .par_iter()
            .map(|u| {
                let note = &self.notes[u.index as usize].note;
                (u.index, u.sketch.then(|| sketch_of(note)), u.preview.then(|| preview(note.front())))
            })
            .collect();
        for (index, sketch, preview) in done {
            let entry = &mut entries[index as usize];
            if let Some(sketch) = sketch {
                entry.sketch = sketch;
            }
            if let Some(preview) = preview {
                entry.preview = preview;
            }
        }
    }

    /// The deck's finished lock entries after this build, in source order (a copy, for tests).
    #[cfg(test)]
    pub fn lock_entries(&self) -> Vec<NoteEntry> {
        let mut entries = self.entries.clone();
        self.finish_entries(&mut entries);
        entries
    }
}

/// Hands out note and card ids: millisecond timestamps from the build time on, above every id
/// the lock already holds, so they are unique and never in the past of an existing note.
#[derive(Debug, Clone)]
pub struct IdAllocator {
    next: i64,
}

impl IdAllocator {
    /// Starts at the build time (ms) or just above the largest id in the lock.
    pub fn new(now_secs: i64, max_lock_id: i64) -> Self {
        IdAllocator { next: (now_secs * 1000).max(max_lock_id + 1) }
    }

    /// Makes sure every id handed out from now on is above `id`.
    pub fn ensure_above(&mut self, id: i64) {
        self.next = self.next.max(id + 1);
    }

    fn take(&mut self) -> i64 {
        let id = self.next;
        self.next += 1;
        id
    }
}

/// The `mod` for something whose content changed since `old` (or is new): now, and always
/// strictly after the old time.
fn bumped(old: Option<i64>, now_secs: i64) -> i64 {
    old.map_or(now_secs, |old| now_secs.max(old + 1))
}

/// The note type's lock entry for this build.
pub fn identify_notetype(notetype: &Notetype, old: Option<&NotetypeEntry>, now_secs: i64) -> NotetypeEntry {
    let hash = notetype.definition_hash();
    let mtime = match old {
        Some(old) if old.hash == hash => old.mtime,
        _ => bumped(old.map(|o| o.mtime), now_secs),
    };
    NotetypeEntry { id: notetype.id, mtime, hash, name: notetype.name.to_string() }
}

/// Everything the identify stage of one deck reads besides the deck itself.
pub struct Context<'a> {
    pub old_notes: &'a [NoteEntry],
    pub old_deck: Option<&'a DeckEntry>,
    pub now_secs: i64,
    pub ids: &'a mut IdAllocator,
    /// Every guid in use (lock and this build); new guids are kept out of it.
    pub guids: &'a mut GuidSet,
}

/// What identification needs of a note besides its text: the hashes it is matched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteKey {
    /// [`hash`] of the front field.
    pub front: u64,
    /// [`hash`] of the back field.
    pub back: u64,
    /// [`content_hash`] of the note.
    pub content: u64,
}

impl NoteKey {
    pub fn of<S: AsRef<str>>(note: &Note<S>) -> NoteKey {
        NoteKey { front: hash(note.front()), back: hash(note.back()), content: content_hash(note) }
    }
}

/// The text of a deck's notes, as identification asks for it: only for notes that matched no
/// lock entry exactly, so a deck held on disk is read again only for those.
pub trait NoteText: Sync {
    /// Why the text could not be read.
    type Error: Send;
    /// The sketches ([`sketch_of`]) of the notes at `indices`, in that order.
    fn sketches(&self, indices: &[usize]) -> Vec<Sketch>;
    /// The guid value ([`ids::note_guid_value`]) of note `index` for the n-th occurrence of its key.
    fn guid(&self, index: usize, occurrence: usize) -> Result<u64, Self::Error>;
}

/// Notes held in memory.
struct InMemory<'a> {
    key: &'a str,
    notes: &'a [Note],
}

impl NoteText for InMemory<'_> {
    type Error = std::convert::Infallible;

    fn sketches(&self, indices: &[usize]) -> Vec<Sketch> {
        indices.par_iter().map(|&i| sketch_of(&self.notes[i])).collect()
    }

    fn guid(&self, index: usize, occurrence: usize) -> Result<u64, Self::Error> {
        let note = &self.notes[index];
        Ok(ids::note_guid_value(self.key, note.front(), note.back(), occurrence))
    }
}

/// The identity a note gets: an old lock entry's, or a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigned {
    Old(usize),
    New { guid: u64, note_id: NoteId, card_id: CardId },
}

/// What [`assign`] gave a deck's notes.
pub struct Assignment {
    /// Each note's identity, in note order.
    pub assigned: Vec<Assigned>,
    /// The notes no old entry matched exactly, with the sketches matching computed.
    pub probes: Vec<Probe>,
    /// Which old entries were taken.
    pub used: Vec<bool>,
}

/// The first part of identifying a deck, shared by decks held in memory and on disk: matches
/// the notes to the old entries and gives each unmatched note its guid and ids. Returns what
/// each note got, the probes (with the sketches matching computed) and which old entries were
/// taken. Fails only if the text cannot be read.
pub fn assign<T: NoteText>(keys: &[NoteKey], text: &T, cx: &mut Context<'_>) -> Result<Assignment, T::Error> {
    let (matches, probes) = matching::match_notes(cx.old_notes, keys, |indices| text.sketches(indices));
    // The guid a new note gets unless it collides: hashing needs no shared state, so it is done
    // in parallel.
    let candidates: Vec<Option<u64>> = matches
        .par_iter()
        .enumerate()
        .map(|(i, matched)| matched.is_none().then(|| text.guid(i, 1)).transpose())
        .collect::<Result<_, _>>()?;
    // Which old entries are taken, and the guid and ids of each new note: in note order, as ids
    // and guid collisions depend on it, but cheap.
    let mut used = vec![false; cx.old_notes.len()];
    let mut buf = [0u8; 11];
    let mut assigned = Vec::with_capacity(matches.len());
    for (i, (matched, candidate)) in matches.into_iter().zip(candidates).enumerate() {
        assigned.push(match (matched, candidate) {
            (Some(old), _) => {
                used[old] = true;
                Assigned::Old(old)
            }
            (None, candidate) => {
                let mut occurrence = 1;
                let mut guid = match candidate {
                    Some(guid) => guid,
                    None => text.guid(i, 1)?,
                };
                while !cx.guids.insert(ids::base91_in(guid, &mut buf)) {
                    occurrence += 1;
                    guid = text.guid(i, occurrence)?;
                }
                Assigned::New { guid, note_id: NoteId(cx.ids.take()), card_id: CardId(cx.ids.take()) }
            }
        });
    }
    Ok(Assignment { assigned, probes, used })
}

/// What a note keeps of its old lock entry: the sketch when neither side changed, the preview
/// when the front did not. `None` where it must be computed from the text.
pub fn carried<'a>(old: Option<&'a NoteEntry>, key: &NoteKey) -> (Option<&'a Sketch>, Option<&'a str>) {
    let sketch = old.filter(|old| old.front == key.front && old.back == key.back).map(|old| &old.sketch);
    let preview = old.filter(|old| old.front == key.front).map(|old| old.preview.as_str());
    (sketch, preview)
}

/// The guid, ids, `mod` and change of a note from what [`assign`] gave it.
pub fn identity_of(
    assigned: Assigned,
    old_notes: &[NoteEntry],
    content: u64,
    now_secs: i64,
) -> (Option<&NoteEntry>, NoteId, CardId, i64, Change) {
    match assigned {
        Assigned::Old(i) => {
            let old = &old_notes[i];
            if old.content == content {
                (Some(old), old.note_id, old.card_id, old.mtime, Change::Unchanged)
            } else {
                (Some(old), old.note_id, old.card_id, bumped(Some(old.mtime), now_secs), Change::Updated)
            }
        }
        Assigned::New { note_id, card_id, .. } => (None, note_id, card_id, now_secs, Change::New),
    }
}

/// The deck's entry: the old one while the name is the same.
pub fn deck_entry(old: Option<&DeckEntry>, name: &str, now_secs: i64) -> DeckEntry {
    match old {
        Some(old) if old.name == name => old.clone(),
        _ => DeckEntry { id: ids::deck_id_for(name), mtime: now_secs, name: name.to_string() },
    }
}

/// Matches a deck's notes to the lock and assigns identities.
pub fn identify_deck(deck: Deck, mut cx: Context<'_>) -> IdentifiedDeck {
    let keys: Vec<NoteKey> = deck.notes.par_iter().map(NoteKey::of).collect();
    let text = InMemory { key: &deck.key, notes: &deck.notes };
    let Ok(Assignment { assigned, probes, used }) = assign(&keys, &text, &mut cx);
    // The rest of each note's identity and lock entry, in parallel. A sketch or preview that
    // cannot be carried over is left for [`IdentifiedDeck::finish_entries`], off the path to
    // the package.
    let now_secs = cx.now_secs;
    let old_notes = cx.old_notes;
    type Entries = (Vec<NoteEntry>, Vec<Option<Unfinished>>);
    // The sketches matching computed (of notes no old entry matched exactly), by note index.
    let computed = |index: usize| {
        let at = probes.binary_search_by_key(&index, |p| p.index).ok()?;
        Some(probes[at].sketch.clone()).filter(|s| !s.values().is_empty())
    };
    let (notes, (entries, unfinished)): (Vec<IdentifiedNote>, Entries) = deck
        .notes
        .into_par_iter()
        .zip(keys)
        .zip(assigned)
        .enumerate()
        .map(|(index, ((note, key), assigned))| {
            let (old, note_id, card_id, mtime, change) =
                identity_of(assigned, old_notes, key.content, now_secs);
            let (sketch, preview) = carried(old, &key);
            let sketch = sketch.cloned().or_else(|| computed(index));
            let preview = preview.map(str::to_string);
            let unfinished = (sketch.is_none() || preview.is_none()).then(|| Unfinished {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                sketch: sketch.is_none(),
                preview: preview.is_none(),
            });
            let guid = match (assigned, old) {
                (Assigned::New { guid, .. }, _) => ids::base91(guid),
                (_, Some(old)) => old.guid.clone(),
                (Assigned::Old(_), None) => unreachable!("an old identity has its entry"),
            };
            let entry = NoteEntry {
                guid: guid.clone(),
                note_id,
                card_id,
                mtime,
                content: key.content,
                front: key.front,
                back: key.back,
                sketch: sketch.unwrap_or_default(),
                line: note.line,
                preview: preview.unwrap_or_default(),
            };
            let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
            (IdentifiedNote { note, guid, note_id, card_id, mtime, position, change }, (entry, unfinished))
        })
        .unzip();
    let unfinished: Vec<Unfinished> = unfinished.into_iter().flatten().collect();
    let removed = cx.old_notes.iter().zip(used).filter(|(_, u)| !u).map(|(e, _)| e.clone()).collect();
    let deck_entry = deck_entry(cx.old_deck, &deck.name, cx.now_secs);
    IdentifiedDeck {
        key: deck.key,
        name: deck.name,
        file: deck.file,
        deck: deck_entry,
        notes,
        entries,
        unfinished,
        removed,
    }
}

/// A lock entry whose sketch or preview is still to be computed from its note's text.
#[derive(Debug, Clone, Copy)]
pub struct Unfinished {
    index: u32,
    sketch: bool,
    preview: bool,
}

/// The hash of a field's HTML.
pub fn hash(field: &str) -> u64 {
    xxh3_64(field.as_bytes())
}

/// The hash of everything an Anki update of the note writes: fields and tags.
pub fn content_hash<S: AsRef<str>>(note: &Note<S>) -> u64 {
    // The fields joined by U+001F, U+001E, the tags joined by spaces: the bytes as they are held.
    let mut hasher = Xxh3::new();
    hasher.update(note.flds().as_bytes());
    hasher.update(b"\x1e");
    hasher.update(note.tags_text().as_bytes());
    hasher.digest()
}

/// The word sketch of a note's front and back.
///
/// It reads the field HTML as it is: markup and entity names become words too, the same way on
/// both builds, which is all a comparison needs.
pub fn sketch_of<S: AsRef<str>>(note: &Note<S>) -> Sketch {
    Sketch::of_parts(&[note.front(), note.back()])
}

/// Field HTML as plain text, line breaks as spaces.
fn plain(field: &str) -> String {
    html::strip_html_preserving_media_filenames(&field.replace("<br>", " ")).into_owned()
}

/// The first 60 characters of the front as text, to name a removed card.
pub fn preview(front: &str) -> String {
    // 60 characters of text come from a short prefix of the HTML.
    let mut cut = front.len().min(480);
    while !front.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut head = &front[..cut];
    // A tag cut in two at the end of the prefix is left out, not shown as text.
    if cut < front.len()
        && let Some(open) = head.rfind('<').filter(|&open| !head[open..].contains('>'))
    {
        head = &head[..open];
    }
    // Most fronts are plain text: without markup or entities there is nothing to strip.
    let text: std::borrow::Cow<'_, str> =
        if head.bytes().any(|b| b == b'<' || b == b'&') { plain(head).into() } else { head.into() };
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() || cut < front.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
