//! Cards whose note was in another Anki deck in the last build: moved from another deck file, or
//! in a deck whose title changed. Anki never moves an existing card on import (it keeps its deck,
//! and a renamed deck is a new deck: docs/anki-format.md §4.4, §4.5), so the build report names
//! them, with the search that selects them in Anki's browser.

use crate::identify::DeckMatch;
use crate::ids::NoteId;
use crate::lock::NoteEntry;
use std::collections::BTreeMap;

/// The cards of a deck whose notes were in the Anki deck `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: String,
    /// Their note ids, in source order.
    pub notes: Vec<NoteId>,
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
    let mut by_deck: BTreeMap<&str, Vec<NoteId>> = BTreeMap::new();
    for r in matched.matched.iter().flatten() {
        if let Some(old) = other[r.pool] {
            by_deck.entry(old).or_default().push(pools[r.pool][r.index].note_id);
        }
    }
    by_deck.into_iter().map(|(from, notes)| Moved { from: from.to_string(), notes }).collect()
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
