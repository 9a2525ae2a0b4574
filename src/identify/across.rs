//! Identifying the decks of a build together: matching every deck's notes to the old entries
//! of all of them ([`match_decks`]), then giving each deck's notes, in file order, their old
//! entry or a new guid and ids ([`assign`]). A note may take an entry of another deck: the card
//! moved between deck files.

use super::matching::{self, Leftovers, OldRef, Pool, Probe};
use super::pinned::Pin;
#[cfg(test)]
use super::{Change, Context, DeckText, IdentifiedDeck, IdentifiedNote, ReadDeck, identify};
use super::{GuidSet, IdAllocator, NoteKey, NoteText, Sketches};
use crate::ids::{self, CardIds, NoteId};
use crate::lock::NoteEntry;
#[cfg(test)]
use crate::model::Deck;
use crate::notetype::NoteTypes;
use rayon::prelude::*;

/// One deck of a build, as matching sees it: its notes' keys, their sketches, its own old
/// entries (its lock entries, or those it took over or recovered).
pub struct ToMatch<'a> {
    pub keys: &'a [NoteKey],
    pub text: &'a dyn Sketches,
    pub own: &'a [NoteEntry],
    /// Its notes whose guid the source pins ([`super::pinned`]), in note order.
    pub pinned: &'a [Pin],
}

/// The old entry each note of a deck matched, and the sketches matching computed.
#[derive(Debug)]
pub struct DeckMatch {
    /// Per note, in note order: pool `d` is deck `d`'s own entries, pool `decks + k` the k-th
    /// group of other entries given to [`match_decks`].
    pub matched: Vec<Option<OldRef>>,
    /// The notes no entry of their own deck matched exactly, with their sketches (none when no
    /// old entry was left to match them against).
    pub probes: Vec<Probe>,
    /// The pinned notes no old entry has the guid of (note index, index in the deck's pins), in
    /// note order: new notes with that guid.
    pub pins: Vec<(usize, u32)>,
}

/// What [`match_decks`] found for a build.
#[derive(Debug)]
pub struct Matched {
    pub decks: Vec<DeckMatch>,
    /// Per pool, which of its entries a note took.
    pub taken: Vec<Vec<bool>>,
}

/// Matches the notes of every deck of a build to the old entries (see [`matching`]): identical
/// cards of each deck to its own entries first, in parallel; then the rest across the whole
/// build. `others` are old entries that belong to no deck of the build (decks whose file is
/// gone). Deterministic: decks and notes are visited in order.
pub fn match_decks(decks: &[ToMatch<'_>], others: &[&[NoteEntry]]) -> Matched {
    let exact: Vec<(Vec<Option<usize>>, Vec<bool>)> =
        decks.par_iter().map(|d| matching::match_exact(d.own, d.keys)).collect();
    let mut pools: Vec<Pool<'_>> = Vec::with_capacity(decks.len() + others.len());
    let mut own_matches = Vec::with_capacity(decks.len());
    for (deck, (matched, taken)) in decks.iter().zip(exact) {
        pools.push(Pool { entries: deck.own, taken });
        own_matches.push(matched);
    }
    pools.extend(others.iter().map(|entries| Pool { entries, taken: vec![false; entries.len()] }));
    // A pinned note takes the entry of its guid, and nothing else does.
    let pinned = super::pinned::reserve(decks, &mut pools, &mut own_matches);
    // Sketches are computed only when some old entry is left for them.
    let any_free = pools.iter().any(|p| p.taken.iter().any(|t| !t));
    let leftovers: Vec<Leftovers> = decks
        .iter()
        .zip(&own_matches)
        .enumerate()
        .map(|(d, (deck, matched))| {
            if !any_free {
                return Leftovers { own: Some(d), probes: Vec::new() };
            }
            let is_pinned = |i: usize| deck.pinned.binary_search_by_key(&i, |p| p.index).is_ok();
            let unmatched: Vec<usize> = match deck.pinned.is_empty() {
                true => (0..matched.len()).filter(|&i| matched[i].is_none()).collect(),
                false => (0..matched.len()).filter(|&i| matched[i].is_none() && !is_pinned(i)).collect(),
            };
            let sketches = if unmatched.is_empty() { Vec::new() } else { deck.text.sketches(&unmatched) };
            let probes = unmatched
                .into_iter()
                .zip(sketches)
                .map(|(index, sketched)| Probe {
                    index,
                    front: deck.keys[index].front,
                    back: deck.keys[index].back,
                    sketch: sketched.sides,
                    old: sketched.old,
                })
                .collect();
            Leftovers { own: Some(d), probes }
        })
        .collect();
    let found = matching::match_leftovers(&mut pools, &leftovers);
    let taken = pools.into_iter().map(|p| p.taken).collect();
    let decks = own_matches
        .into_iter()
        .zip(leftovers)
        .zip(found)
        .zip(pinned)
        .enumerate()
        .map(|(d, (((own, left), found), pinned))| {
            let mut matched: Vec<Option<OldRef>> =
                own.into_iter().map(|m| m.map(|index| OldRef { pool: d, index })).collect();
            for (probe, found) in left.probes.iter().zip(found) {
                matched[probe.index] = found;
            }
            let mut pins = Vec::new();
            for (at, (index, old)) in pinned.into_iter().enumerate() {
                matched[index] = old;
                if old.is_none() {
                    pins.push((index, at as u32));
                }
            }
            DeckMatch { matched, probes: left.probes, pins }
        })
        .collect();
    Matched { decks, taken }
}

/// The identity a note gets: an old lock entry's ([`Olds::get`]), or a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    Old(usize),
    /// The old entry, with the card ids of the note's cards now (some of its cards came or went).
    Reshaped {
        old: usize,
        card_ids: CardIds,
    },
    New {
        guid: u64,
        note_id: NoteId,
        card_ids: CardIds,
    },
    /// A new note whose guid its source pins: pin `pin` of its deck ([`super::pinned`]).
    Pinned {
        pin: u32,
        note_id: NoteId,
        card_ids: CardIds,
    },
}

impl Assigned {
    /// The old entry's index ([`Olds::get`]), for a note that has one.
    pub fn old(&self) -> Option<usize> {
        match self {
            Assigned::Old(old) | Assigned::Reshaped { old, .. } => Some(*old),
            Assigned::New { .. } | Assigned::Pinned { .. } => None,
        }
    }
}

/// Which cards a deck's notes get.
#[derive(Debug, Clone, Copy)]
pub enum CardShape<'a> {
    /// Every note the same cards: this many, one per template (for a note type of one
    /// template, whose card 1 Anki always makes).
    Every(usize),
    /// Each note the cards Anki makes for its fields as a note of its note type
    /// (`Notetype::card_ords`).
    PerNote(NoteTypes<'a>),
}

/// The old entries a deck's notes took: its own, then those it took from other decks, numbered
/// on from its own.
#[derive(Debug, Clone, Copy)]
pub struct Olds<'a> {
    pub own: &'a [NoteEntry],
    pub adopted: &'a [NoteEntry],
}

impl<'a> Olds<'a> {
    /// The entry of [`Assigned::Old`]`(index)`.
    pub fn get(self, index: usize) -> &'a NoteEntry {
        match self.own.get(index) {
            Some(entry) => entry,
            None => &self.adopted[index - self.own.len()],
        }
    }
}

/// What [`assign`] gave a deck's notes.
pub struct Assignment {
    /// Each note's identity, in note order.
    pub assigned: Vec<Assigned>,
    /// The entries taken from other decks (copies), numbered after the deck's own.
    pub adopted: Vec<NoteEntry>,
    /// The notes no old entry of their deck matched exactly, with their sketches.
    pub probes: Vec<Probe>,
    /// The notes that lost cards since their old entry (index, the ordinals gone): Anki keeps
    /// such a card, blank, until "Empty Cards" removes it.
    pub gone_cards: Vec<(usize, Vec<u16>)>,
}

/// The second part of identifying a deck, in file order, shared by decks held in memory and on
/// disk: gives each note its matched old entry (pool `own` is the deck's own), or a new guid and
/// ids (a card id per card `shape` gives it; an old entry whose cards differ gets its kept
/// cards' ids and new ones). Fails only if the text cannot be read.
pub fn assign<T: NoteText>(
    m: DeckMatch,
    own: usize,
    pools: &[&[NoteEntry]],
    text: &T,
    (ids, shape): (&mut IdAllocator, CardShape<'_>),
    guids: &mut GuidSet,
) -> Result<Assignment, T::Error> {
    let DeckMatch { matched, probes, pins } = m;
    // The pin of note `i`, if it is a new pinned note (its guid is reserved: see
    // [`super::pinned::reserve_new`]).
    let pin_of = |i: usize| match pins.is_empty() {
        true => None,
        false => pins.binary_search_by_key(&i, |p| p.0).ok().map(|at| pins[at].1),
    };
    // Each note's cards, when they depend on its fields.
    let ords = match shape {
        CardShape::Every(_) => None,
        CardShape::PerNote(notetype) => Some(text.card_ords(matched.len(), notetype)?),
    };
    let reshaped = |i: usize, old: &NoteEntry, old_index: usize, ids: &mut IdAllocator| match &ords {
        Some(ords) if old.card_ids.ords() != ords[i] => {
            Assigned::Reshaped { old: old_index, card_ids: ids.reshape(&old.card_ids, &ords[i]) }
        }
        _ => Assigned::Old(old_index),
    };
    // The guid a new note gets unless it collides: hashing needs no shared state, so it is done
    // in parallel.
    let candidates: Vec<Option<u64>> = matched
        .par_iter()
        .enumerate()
        .map(|(i, matched)| (matched.is_none() && pin_of(i).is_none()).then(|| text.guid(i, 1)).transpose())
        .collect::<Result<_, _>>()?;
    // The guid and ids of each new note: in note order, as ids and guid collisions depend on
    // it, but cheap.
    let own_len = pools[own].len();
    let mut adopted = Vec::new();
    let mut buf = [0u8; 11];
    let mut assigned = Vec::with_capacity(matched.len());
    for (i, (matched, candidate)) in matched.into_iter().zip(candidates).enumerate() {
        assigned.push(match (matched, candidate) {
            (Some(old), _) if old.pool == own => reshaped(i, &pools[own][old.index], old.index, ids),
            (Some(old), _) => {
                adopted.push(pools[old.pool][old.index].clone());
                reshaped(i, &pools[old.pool][old.index], own_len + adopted.len() - 1, ids)
            }
            (None, _) if let Some(pin) = pin_of(i) => {
                let note_id = NoteId(ids.take());
                let card_ids = match (&ords, shape) {
                    (Some(ords), _) => ids.take_cards_at(&ords[i]),
                    (None, CardShape::Every(cards)) => ids.take_cards(cards),
                    (None, CardShape::PerNote(_)) => unreachable!("ords are computed for PerNote"),
                };
                Assigned::Pinned { pin, note_id, card_ids }
            }
            (None, candidate) => {
                let mut occurrence = 1;
                let mut guid = match candidate {
                    Some(guid) => guid,
                    None => text.guid(i, 1)?,
                };
                while !guids.insert(ids::base91_in(guid, &mut buf)) {
                    occurrence += 1;
                    guid = text.guid(i, occurrence)?;
                }
                let note_id = NoteId(ids.take());
                let card_ids = match (&ords, shape) {
                    (Some(ords), _) => ids.take_cards_at(&ords[i]),
                    (None, CardShape::Every(cards)) => ids.take_cards(cards),
                    (None, CardShape::PerNote(_)) => unreachable!("ords are computed for PerNote"),
                };
                Assigned::New { guid, note_id, card_ids }
            }
        });
    }
    let olds = Olds { own: pools[own], adopted: &adopted };
    let gone_cards = (assigned.iter().enumerate())
        .filter_map(|(i, a)| match a {
            Assigned::Reshaped { old, card_ids } => {
                let now = card_ids.ords();
                let gone: Vec<u16> =
                    olds.get(*old).card_ids.ords().into_iter().filter(|o| !now.contains(o)).collect();
                (!gone.is_empty()).then_some((i, gone))
            }
            _ => None,
        })
        .collect();
    Ok(Assignment { assigned, adopted, probes, gone_cards })
}

/// What identifying a deck gave, every note's identity and lock entry worked out (for tests: a
/// build asks [`super::IdentifiedDeck`] note by note).
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub notes: Vec<IdentifiedNote>,
    /// Its finished lock entries, in source order.
    pub entries: Vec<NoteEntry>,
    pub removed: Vec<NoteEntry>,
}

#[cfg(test)]
impl Snapshot {
    /// The deck's lock entries after this build, in source order (a copy).
    pub fn lock_entries(&self) -> Vec<NoteEntry> {
        self.entries.clone()
    }

    /// How many notes changed in each way.
    pub fn count(&self, change: Change) -> usize {
        self.notes.iter().filter(|n| n.change == change).count()
    }
}

/// Identifies one deck on its own against `old` (its lock entries), as a build of that deck
/// alone does.
#[cfg(test)]
pub fn identify_alone(
    deck: Deck,
    old: &[NoteEntry],
    now_secs: i64,
    ids: &mut IdAllocator,
    guids: &mut GuidSet,
) -> Snapshot {
    let mut decks = identify_together(vec![(deck, old)], &[], now_secs, ids, guids);
    decks.pop().expect("one deck")
}

/// Identifies decks together, as a build does: each with its own old entries, and `others` (the
/// entries of decks whose file is gone) for any of them.
#[cfg(test)]
pub fn identify_together(
    decks: Vec<(Deck, &[NoteEntry])>,
    others: &[&[NoteEntry]],
    now_secs: i64,
    ids: &mut IdAllocator,
    guids: &mut GuidSet,
) -> Vec<Snapshot> {
    try_identify_together(decks, others, now_secs, ids, guids).expect("no pinned guid clashes")
}

/// [`identify_together`], or why the decks' pinned guids cannot be given.
#[cfg(test)]
pub fn try_identify_together(
    decks: Vec<(Deck, &[NoteEntry])>,
    others: &[&[NoteEntry]],
    now_secs: i64,
    ids: &mut IdAllocator,
    guids: &mut GuidSet,
) -> Result<Vec<Snapshot>, Vec<super::pinned::PinError>> {
    Ok(identified_together(decks, others, now_secs, ids, guids)?.into_iter().map(Snapshot::of).collect())
}

#[cfg(test)]
impl Snapshot {
    /// Every note's identity and lock entry of `deck`.
    pub fn of(deck: IdentifiedDeck<'_>) -> Snapshot {
        let notes = (0..deck.len())
            .map(|i| {
                let note = deck
                    .notes
                    .note_with(i, |n| {
                        crate::model::Note::from_flds(n.flds().to_string(), n.tags_text().to_string(), n.line)
                            .with_kind(n.kind())
                    })
                    .expect("in memory");
                let (_, note_id, card_ids, mtime, change) = deck.identity(i);
                let mut buf = [0u8; 11];
                let guid = deck.guid(i, &mut buf).to_string();
                let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
                IdentifiedNote { note, guid, note_id, card_ids, mtime, position, change }
            })
            .collect();
        let entries = deck.lock_entries().expect("in memory");
        Snapshot { notes, entries, removed: deck.removed }
    }
}

/// [`identify_together`], the decks as a build holds them.
#[cfg(test)]
pub fn identified_together(
    decks: Vec<(Deck, &[NoteEntry])>,
    others: &[&[NoteEntry]],
    now_secs: i64,
    ids: &mut IdAllocator,
    guids: &mut GuidSet,
) -> Result<Vec<IdentifiedDeck<'static>>, Vec<super::pinned::PinError>> {
    let decks: Vec<(ReadDeck, &[NoteEntry])> = decks
        .into_iter()
        .map(|(d, old)| (ReadDeck::in_memory(d, crate::model::SideFields::FIRST_TWO), old))
        .collect();
    let pins: Vec<(&std::path::Path, &[super::pinned::Pin])> =
        decks.iter().map(|(d, _)| (d.file.as_path(), d.pinned.as_slice())).collect();
    let clashes = super::pinned::clashes(&pins);
    if !clashes.is_empty() {
        return Err(clashes);
    }
    let texts: Vec<DeckText> = decks.iter().map(|(d, _)| DeckText::new(d)).collect();
    let to_match: Vec<ToMatch> = decks
        .iter()
        .zip(&texts)
        .map(|((deck, old), text)| ToMatch { keys: &deck.keys, text, own: old, pinned: &deck.pinned })
        .collect();
    let matched = match_decks(&to_match, others);
    let in_use = super::pinned::reserve_new(&matched, &pins, guids);
    if !in_use.is_empty() {
        return Err(in_use);
    }
    drop(pins);
    let Matched { decks: matched, taken } = matched;
    let pools: Vec<&[NoteEntry]> = decks.iter().map(|(_, old)| *old).chain(others.iter().copied()).collect();
    let assignments: Vec<Assignment> = matched
        .into_iter()
        .zip(&texts)
        .enumerate()
        .map(|(d, (m, text))| {
            assign(m, d, &pools, text, (&mut *ids, CardShape::Every(1)), guids).expect("in memory")
        })
        .collect();
    drop(to_match);
    drop(texts);
    Ok(decks
        .into_iter()
        .zip(assignments)
        .zip(&taken)
        .map(|(((deck, old), assignment), taken)| {
            let cx = Context { old_notes: old, taken, old_deck: None, now_secs };
            let mut deck = identify(deck, assignment, cx);
            deck.old_notes = std::borrow::Cow::Owned(old.to_vec());
            deck
        })
        .collect())
}
