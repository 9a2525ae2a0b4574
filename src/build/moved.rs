//! Cards whose note was in another Anki deck in the last build: moved from another deck file, in
//! a deck whose title or `name` changed, or, with `subdecks`, in another subdeck (a card moved to
//! another section, `subdecks` turned on or off). Anki never moves an existing card on import (it
//! keeps its deck, and a renamed deck is a new deck: docs/anki-format.md §4.4, §4.5; rslib's
//! `apkg/import/cards.rs` skips a card the collection has), so the build report names them, from
//! which deck to which, with the search that selects them in Anki's browser.
//!
//! A card's old deck is the one of the lock when it came from another deck file or the deck was
//! renamed. Subdecks are not in the lock (a section is the note's text): where a deck's cards
//! were is read from its previous package in `out/`, which is what Anki got, whenever that
//! package or this build has subdecks. Without the package (a fresh clone, out/ deleted) nothing
//! is known of subdecks, and nothing is said of them.

use crate::emit::DeckNotes;
use crate::emit::subdecks::Subdecks;
use crate::identify::DeckMatch;
use crate::ids::NoteId;
use crate::lock::NoteEntry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The cards of a deck whose notes were in the Anki deck `from` and now go to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: String,
    pub to: String,
    /// Their note ids, in source order.
    pub notes: Vec<NoteId>,
    /// How many cards of those notes are in `from`.
    pub cards: usize,
    /// How many cards each of `notes` has in `from`, as its old entry says (filled by
    /// [`from_other_decks`] only): Anki keeps those; a card the note makes only now is added to
    /// `to` (or, for a note Anki skips as conflicting, not at all).
    pub note_cards: Vec<usize>,
}

/// The cards of a deck named `name` that matched an old entry of a deck with another name, by old
/// deck name. `pools` and `names` are the build's pools of old entries and their old deck names.
pub fn from_other_decks(
    matched: &DeckMatch,
    pools: &[&[NoteEntry]],
    names: &[Option<&str>],
    name: &str,
) -> Vec<Moved> {
    // Compared once per pool, not once per card.
    let other: Vec<Option<&str>> =
        names.iter().map(|old| old.filter(|old| !same_anki_deck(old, name))).collect();
    if other.iter().all(Option::is_none) {
        return Vec::new();
    }
    let mut by_deck: BTreeMap<&str, Vec<(NoteId, usize)>> = BTreeMap::new();
    for r in matched.matched.iter().flatten() {
        if let Some(old) = other[r.pool] {
            let entry = &pools[r.pool][r.index];
            by_deck.entry(old).or_default().push((entry.note_id, entry.card_ids.len()));
        }
    }
    by_deck
        .into_iter()
        .map(|(from, notes)| Moved {
            from: from.to_string(),
            to: name.to_string(),
            cards: notes.iter().map(|(_, cards)| cards).sum(),
            note_cards: notes.iter().map(|(_, cards)| *cards).collect(),
            notes: notes.into_iter().map(|(note, _)| note).collect(),
        })
        .collect()
}

/// Every card of `deck` that is in another Anki deck than the one this build puts it in: those of
/// `from_others` (found by [`from_other_decks`]) and, when the previous package `package` or this
/// build has subdecks, those whose subdeck changed. `had_subdecks` is what the deck's lines file
/// says of the previous package (`None`: not known, the package is read to find out).
pub(super) fn in_anki(
    deck: &dyn DeckNotes,
    subdecks: Option<&Subdecks>,
    from_others: &[Moved],
    package: &Path,
    had_subdecks: Option<bool>,
) -> Vec<Moved> {
    let to = |i: usize| match subdecks {
        Some(s) => s.decks[&s.dids[i]].as_str(),
        None => deck.name(),
    };
    let look = (subdecks.is_some() || had_subdecks != Some(false)) && package.is_file();
    if !look && from_others.is_empty() {
        return Vec::new();
    }
    let index: HashMap<NoteId, usize> = (0..deck.len()).map(|i| (deck.ids(i).note_id, i)).collect();
    // (from, to) -> notes and cards.
    let mut moves: BTreeMap<(String, String), (Vec<usize>, usize)> = BTreeMap::new();
    let mut seen: HashSet<NoteId> = HashSet::new();
    if look && let Ok(previous) = crate::emit::dump::read(package) {
        let names: HashMap<i64, &str> = previous
            .decks
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, d)| Some((d["id"].as_i64()?, d["name"].as_str()?)))
            .collect();
        for card in &previous.cards {
            let (Some(&i), Some(&from)) = (index.get(&NoteId(card.nid)), names.get(&card.did)) else {
                continue;
            };
            seen.insert(NoteId(card.nid));
            if !same_anki_deck(from, to(i)) {
                let (notes, cards) = moves.entry((from.to_string(), to(i).to_string())).or_default();
                notes.push(i);
                *cards += 1;
            }
        }
    }
    // Cards from other deck files that the previous package did not have: in the deck the lock
    // names, which is their deck unless that deck had subdecks.
    for moved in from_others {
        for (note, old_cards) in moved.notes.iter().zip(&moved.note_cards).filter(|(n, _)| !seen.contains(n))
        {
            let Some(&i) = index.get(note) else { continue };
            if !same_anki_deck(&moved.from, to(i)) {
                let (notes, cards) = moves.entry((moved.from.clone(), to(i).to_string())).or_default();
                notes.push(i);
                // The cards Anki has of it: its old note's (a note moved from a deck of another
                // note type keeps that type's cards).
                *cards += old_cards;
            }
        }
    }
    moves
        .into_iter()
        .map(|((from, to), (mut notes, cards))| {
            notes.sort_unstable();
            notes.dedup();
            let notes = notes.into_iter().map(|i| deck.ids(i).note_id).collect();
            Moved { from, to, notes, cards, note_cards: Vec::new() }
        })
        .collect()
}

/// Whether Anki takes two deck names for one deck: it matches them without case, with white
/// space around `::` trimmed (`apkg/import/decks.rs`, docs/anki-format.md §4.4).
fn same_anki_deck(a: &str, b: &str) -> bool {
    let normal = |name: &str| name.split("::").map(|part| part.trim().to_lowercase()).collect::<Vec<_>>();
    normal(a) == normal(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deck_names_anki_takes_for_one_deck() {
        assert!(same_anki_deck("Biology", "biology"));
        assert!(same_anki_deck("Spanish :: Verbs", "spanish::verbs"));
        assert!(same_anki_deck("Ärzte", "ärzte"));
        assert!(!same_anki_deck("Biology", "Biology 2"));
    }
}
