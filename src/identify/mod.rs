//! Identify stage: gives every note, deck and note type of a build its identity (guid, ids) and
//! `mod` time from the lock file, so a rebuilt deck imports into Anki as an update.
//!
//! `mod` policy: a note's `mod` is when its content last changed. A changed note gets a `mod`
//! strictly greater than the lock's (Anki updates only when the incoming `mod` is newer,
//! `rslib/src/import_export/package/apkg/import/notes.rs: should_update`); an unchanged one keeps
//! its old `mod`, so Anki reports it unchanged. The same holds for the note type.

pub mod across;
pub mod deck;
pub mod escaping;
pub mod matching;
pub mod pinned;
pub mod similar;

use crate::html;
use crate::ids::{self, CardId, CardIds, NoteId};
use crate::lock::{DeckEntry, NoteEntry, NotetypeEntry};
#[cfg(test)]
use crate::model::Deck;
use crate::model::{Note, NoteKind, SideFields};
use crate::notetype::{NoteTypes, Notetype};
pub use across::{Assigned, Assignment, CardShape, DeckMatch, Matched, Olds, ToMatch, assign, match_decks};
#[cfg(test)]
pub use across::{Snapshot, identified_together, identify_alone, identify_together, try_identify_together};
pub use deck::{DeckText, IdentifiedDeck, ReadDeck, identify};
use escaping::Sketched;
use similar::Sides;
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

/// A note with its identity (as tests look at it: a build asks [`IdentifiedDeck`] note by note).
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct IdentifiedNote {
    pub note: Note,
    pub guid: String,
    pub note_id: NoteId,
    /// Every card's id, by template ordinal.
    pub card_ids: CardIds,
    /// Seconds.
    pub mtime: i64,
    /// 1-based position in the deck: the new card's `due`.
    pub position: u32,
    pub change: Change,
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

    /// The next id.
    pub fn take(&mut self) -> i64 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// The ids of a note's `count` cards (at least one), one per card, by template ordinal.
    pub fn take_cards(&mut self, count: usize) -> CardIds {
        let first = self.next;
        self.next += count.max(1) as i64;
        CardIds::consecutive(first, count)
    }

    /// New ids for the cards of these ordinals (ascending, each once; none: ordinal 0, as Anki
    /// makes card 1 of a note with no card).
    pub fn take_cards_at(&mut self, ords: &[u16]) -> CardIds {
        let ords = if ords.is_empty() { &[0][..] } else { ords };
        let cards = ords.iter().map(|&ord| (ord, CardId(self.take())));
        CardIds::at_ords(cards.collect::<Vec<_>>()).expect("ascending ordinals, positive ids")
    }

    /// The ids of a note's cards at `ords`: the old id where the old identity had a card at
    /// that ordinal, a new one where not; the old cards at other ordinals are dropped.
    pub fn reshape(&mut self, old: &CardIds, ords: &[u16]) -> CardIds {
        let ords = if ords.is_empty() { &[0][..] } else { ords };
        let kept: Vec<(u16, CardId)> = old.iter_ords().collect();
        let cards = ords.iter().map(|&ord| match kept.iter().find(|(o, _)| *o == ord) {
            Some(&(_, id)) => (ord, id),
            None => (ord, CardId(self.take())),
        });
        CardIds::at_ords(cards.collect::<Vec<_>>()).expect("ascending ordinals, positive ids")
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
    NotetypeEntry {
        id: notetype.id,
        mtime,
        hash,
        name: notetype.name.to_string(),
        schema: Some(crate::notetype::Schema::of(notetype)),
    }
}

/// Everything the identify stage of one deck reads besides the deck and its [`Assignment`].
pub struct Context<'a> {
    /// The deck's own old entries (its pool).
    pub old_notes: &'a [NoteEntry],
    /// Which of them any deck of the build took ([`Matched::taken`]).
    pub taken: &'a [bool],
    pub old_deck: Option<&'a DeckEntry>,
    pub now_secs: i64,
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
    /// The key of `note`, whose note type's sides are `sides`. A note of another kind than its
    /// deck's ([`NoteKind`]) has its sides hashed with a seed of its kind: it matches no lock
    /// entry of a note of the deck's own type (nor one of those, it), so a card that gained or
    /// lost a cloze deletion is a new note (Anki would skip it as "conflicting" under the old
    /// note's guid). Its lock entry holds these hashes, which is how the lock knows its kind.
    pub fn of<S: AsRef<str>>(note: &Note<S>, sides: SideFields) -> NoteKey {
        let (question, answer) = note.sides(sides);
        let kind = note.kind();
        NoteKey { front: hash_of(question, kind), back: hash_of(answer, kind), content: content_hash(note) }
    }

    /// The lock entry of a note of kind `kind` with this key: its guid, its note id, card ids
    /// and `mod`, the sketches of its sides and its preview. Every lock entry is made here (from
    /// a deck in memory, on disk, or a package).
    pub fn entry(
        &self,
        (guid, kind): (String, NoteKind),
        (note_id, card_ids, mtime): (NoteId, CardIds, i64),
        sketch: Sides,
        preview: String,
    ) -> NoteEntry {
        NoteEntry {
            guid,
            note_id,
            card_ids,
            mtime,
            content: self.content,
            front: self.front,
            back: self.back,
            front_sketch: sketch.front,
            back_sketch: sketch.back,
            preview,
            kind,
        }
    }
}

/// The sketches of a deck's notes, as matching asks for them: only for notes that matched no
/// lock entry of their deck exactly, so a deck held on disk is read again only for those.
pub trait Sketches: Sync {
    /// The sketches ([`sides_of`]) and old form ([`escaping`]) of the notes at `indices`, in that
    /// order.
    fn sketches(&self, indices: &[usize]) -> Vec<Sketched>;
}

/// The text of a deck's notes, as identification asks for it.
pub trait NoteText: Sketches {
    /// Why the text could not be read.
    type Error: Send;
    /// The guid value ([`ids::note_guid_value`]) of note `index` for the n-th occurrence of its key.
    fn guid(&self, index: usize, occurrence: usize) -> Result<u64, Self::Error>;
    /// The card ordinals Anki makes for each of the first `count` notes, as notes of their note
    /// type of `types`.
    fn card_ords(&self, count: usize, types: NoteTypes<'_>) -> Result<Vec<Vec<u16>>, Self::Error>;
}

/// The card ordinals Anki makes for `note` as a note of `notetype`.
pub fn card_ords_of<S: AsRef<str>>(note: &crate::model::Note<S>, notetype: &Notetype) -> Vec<u16> {
    let fields: Vec<&str> = note.fields().collect();
    notetype.card_ords(&fields, note.tags().next().is_some()).ords
}

/// What a note keeps of its old lock entry: the sketches when neither side changed (and the
/// entry has them: one read from a version-1 lock has not), the preview when the front did not.
/// `None` where it must be computed from the text.
pub fn carried<'a>(old: Option<&'a NoteEntry>, key: &NoteKey) -> (Option<Sides>, Option<&'a str>) {
    let sketch = old
        .filter(|old| old.front == key.front && old.back == key.back)
        .filter(|old| !old.front_sketch.values().is_empty() || !old.back_sketch.values().is_empty())
        .map(|old| Sides { front: old.front_sketch.clone(), back: old.back_sketch.clone() });
    let preview = old.filter(|old| old.front == key.front).map(|old| old.preview.as_str());
    (sketch, preview)
}

/// The guid, ids, `mod` and change of a note from what [`assign`] gave it.
pub fn identity_of<'a>(
    assigned: &Assigned,
    olds: Olds<'a>,
    content: u64,
    now_secs: i64,
) -> (Option<&'a NoteEntry>, NoteId, CardIds, i64, Change) {
    match assigned {
        Assigned::Reshaped { old, card_ids } => {
            let old = olds.get(*old);
            (Some(old), old.note_id, card_ids.clone(), bumped(Some(old.mtime), now_secs), Change::Updated)
        }
        Assigned::Old(i) => {
            let old = olds.get(*i);
            let ids = old.card_ids.clone();
            if old.content == content {
                (Some(old), old.note_id, ids, old.mtime, Change::Unchanged)
            } else {
                (Some(old), old.note_id, ids, bumped(Some(old.mtime), now_secs), Change::Updated)
            }
        }
        Assigned::New { note_id, card_ids, .. } | Assigned::Pinned { note_id, card_ids, .. } => {
            (None, *note_id, card_ids.clone(), now_secs, Change::New)
        }
    }
}

/// The deck's entry: the old one while the name is the same.
pub fn deck_entry(old: Option<&DeckEntry>, name: &str, now_secs: i64) -> DeckEntry {
    match old {
        Some(old) if old.name == name => old.clone(),
        _ => DeckEntry {
            id: ids::deck_id_for(name),
            mtime: now_secs,
            name: name.to_string(),
            notetype: None,
            cloze_cards: None,
        },
    }
}

/// The old entries of a deck that no note of the build took: cards removed since the last build.
pub fn removed(own: &[NoteEntry], taken: &[bool]) -> Vec<NoteEntry> {
    own.iter().zip(taken).filter(|(_, t)| !**t).map(|(e, _)| e.clone()).collect()
}

/// The hash of a field's HTML.
pub fn hash(field: &str) -> u64 {
    xxh3_64(field.as_bytes())
}

/// The seed a note of another kind than its deck's has its sides hashed and sketched with
/// ([`NoteKey::of`], [`sides_of`]).
const KIND_SEED: u64 = 0x616e_6b69_6465_636b;

/// The hash of a side of a note of kind `kind` ([`hash`] for the deck's own).
pub fn hash_of(field: &str, kind: NoteKind) -> u64 {
    match kind {
        NoteKind::Own => hash(field),
        other => xxhash_rust::xxh3::xxh3_64_with_seed(field.as_bytes(), KIND_SEED + u64::from(other.index())),
    }
}

/// The guid value ([`ids::note_guid_value`]) of a new note of deck `deck_key`, for the n-th
/// occurrence of its sides (another one for a note of another kind than its deck's).
pub fn guid_value<S: AsRef<str>>(
    deck_key: &str,
    note: &Note<S>,
    sides: SideFields,
    occurrence: usize,
) -> u64 {
    let (question, answer) = note.sides(sides);
    match note.kind() {
        NoteKind::Own => ids::note_guid_value(deck_key, question, answer, occurrence),
        NoteKind::Cloze => ids::cloze_note_guid_value(deck_key, question, answer, occurrence),
    }
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

/// The word sketches of a note's question side and of its answer side (`sides`: which fields
/// they are).
///
/// They read the field HTML as it is: markup and entity names become words too, the same way on
/// both builds, which is all a comparison needs.
pub fn sides_of<S: AsRef<str>>(note: &Note<S>, sides: SideFields) -> Sides {
    let (question, answer) = note.sides(sides);
    match note.kind() {
        NoteKind::Own => Sides::of(question, answer),
        // Seeded as its hashes are ([`NoteKey::of`]): no similarity with a note of another kind.
        other => Sides::seeded(question, answer, KIND_SEED + u64::from(other.index())),
    }
}

/// The preview of a note ([`preview`] of its question side).
pub fn preview_of<S: AsRef<str>>(note: &Note<S>, sides: SideFields) -> String {
    preview(note.sides(sides).0)
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
mod corpus;
#[cfg(test)]
mod rule_tests;
#[cfg(test)]
mod tests;
