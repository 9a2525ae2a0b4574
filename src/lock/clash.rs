//! Note ids and card ids that two sound deck sections share, with different guids: what two git
//! branches that each add notes to a different deck, built at the same time, give once merged.
//! Not damage (Anki knows notes by guid): the later deck's notes get new ids. A guid used twice,
//! or an id twice within one section, is damage ([`Damage`]).

use super::{Damage, Lock, NoteEntry, check, parse_deck};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// The note ids and card ids of a deck's notes that an earlier deck's notes (in file order, with
/// other guids) also have. Two git branches that each add notes to a different deck, built with
/// the same `SOURCE_DATE_EPOCH` (or the same largest id in the lock), give them the same ids, and
/// git merges their lock sections cleanly. This is no damage: Anki matches notes by guid, and ids
/// only need to be unique within a package (on import it moves ids that collide); so the later
/// deck's notes get new ids and keep everything else. (The same guid twice stays damage.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdClash {
    pub note_ids: BTreeSet<i64>,
    pub card_ids: BTreeSet<i64>,
    /// The keys of the decks whose notes keep these ids.
    pub with: BTreeSet<String>,
    /// The 0-based line of the deck's section's first line (to parse it if it was kept).
    pub first_line: usize,
}

impl IdClash {
    /// Whether `entry` is one of the notes that get new ids.
    pub fn hits(&self, entry: &NoteEntry) -> bool {
        self.note_ids.contains(&entry.note_id.0)
            || entry.card_ids.iter().any(|c| self.card_ids.contains(&c.0))
    }
}

impl Lock {
    /// Marks damaged the sound sections that share a guid, note id or card id (`sections`: the
    /// deck key, 0-based first line and note ids of each): when unsure which of two notes is
    /// right, neither is. But a note id or card id that notes of two sections with other guids
    /// share is no damage ([`IdClash`]): it is recorded for the later section, whose notes get
    /// new ids.
    pub(super) fn mark_duplicates(&mut self, mut sections: Vec<(String, usize, check::NoteIds)>) {
        // In file order, so the first use of a value is the one kept.
        sections.sort_by_key(|(_, first_line, _)| *first_line);
        let first_lines: HashMap<String, usize> =
            sections.iter().map(|(key, first_line, _)| (key.clone(), *first_line)).collect();
        let sections: Vec<(String, check::NoteIds)> =
            sections.into_iter().map(|(key, _, ids)| (key, ids)).collect();
        let mut clashes = Vec::new();
        for dup in check::duplicates(&sections) {
            if dup.what != "guid" && dup.first.0 != dup.second.0 {
                clashes.push(dup);
                continue;
            }
            let name = |(key, line): &(String, usize), other: &(String, usize)| {
                let deck = if key == &other.0 { String::new() } else { format!(" (deck `{key}`)") };
                format!(
                    "the {} on this line is also on line {line}{deck}: two notes cannot share one",
                    dup.what
                )
            };
            let second = Damage { line: dup.second.1, problem: name(&dup.first, &dup.second) };
            let first = Damage { line: dup.first.1, problem: name(&dup.second, &dup.first) };
            self.damaged.entry(dup.second.0.clone()).or_insert(second);
            self.damaged.entry(dup.first.0.clone()).or_insert(first);
        }
        // Two lines of one section with an id an earlier section also has: damage within the
        // section, as if the earlier one were not there.
        let mut in_section: HashMap<(&str, u64, &str), usize> = HashMap::new();
        for dup in &clashes {
            let (key, line) = (&dup.second.0, dup.second.1);
            match in_section.get(&(dup.what, dup.value, key.as_str())) {
                Some(&first) => {
                    let problem = format!(
                        "the {} on this line is also on line {first}: two notes cannot share one",
                        dup.what
                    );
                    self.damaged.entry(key.clone()).or_insert(Damage { line, problem });
                }
                None => {
                    in_section.insert((dup.what, dup.value, key.as_str()), line);
                }
            }
        }
        // Ids shared with a damaged section are still given anew: its identities are read back
        // from its package, which holds the same ids.
        for dup in clashes.into_iter().filter(|dup| !self.damaged.contains_key(&dup.second.0)) {
            let (key, _) = dup.second;
            let first_line = first_lines.get(&key).copied().unwrap_or_default();
            let clash =
                self.clashes.entry(key).or_insert_with(|| IdClash { first_line, ..IdClash::default() });
            let ids = if dup.what == "note id" { &mut clash.note_ids } else { &mut clash.card_ids };
            ids.insert(dup.value as i64);
            clash.with.insert(dup.first.0);
        }
    }

    /// The Anki name of deck `key`, from its deck entry or the deck line of its kept section.
    pub fn deck_name(&self, key: &str) -> Option<String> {
        if let Some(deck) = self.decks.get(key) {
            return Some(deck.name.clone());
        }
        let line = self.kept.get(key)?.lines().next()?;
        let cols: Vec<&str> = line.split('\t').collect();
        parse_deck(&cols).map(|(_, deck)| deck.name)
    }

    /// Parses the kept section of a deck with an [`IdClash`], so that the deck can be rebuilt
    /// with new ids although its outputs are up to date. False if it cannot be parsed (then it
    /// stays kept, and its ids as they are).
    pub fn parse_kept_clashing(&mut self, path: &Path, key: &str) -> bool {
        let Some(first_line) = self.clashes.get(key).map(|c| c.first_line) else { return false };
        let Some(text) = self.kept.get(key) else { return true };
        let mut part = Lock::default();
        // A kept section is of the current version (those of earlier ones are all parsed).
        if part.parse_section(path, text, first_line, super::VERSION).is_err() {
            return false;
        }
        self.kept.remove(key);
        self.decks.extend(part.decks);
        self.notes.extend(part.notes);
        self.version_1.extend(part.version_1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;
    use crate::ids::{CardId, CardIds, DeckId, NoteId};
    use crate::lock::{DeckEntry, RawSections};
    use std::collections::BTreeMap;

    /// A lock with deck `d\tx` (sample) and deck `e` holding a copy of d's note changed by `edit`,
    /// written to a file; with the lines of the note lines of d and e (1-based).
    fn two_decks(
        edit: impl Fn(&mut NoteEntry),
    ) -> (tempfile::TempDir, std::path::PathBuf, String, usize, usize) {
        let mut lock = sample();
        let mut other = lock.notes["d\tx"][0].clone();
        edit(&mut other);
        lock.decks.insert(
            "e".into(),
            DeckEntry {
                id: DeckId(10),
                mtime: 5,
                name: "E".into(),
                notetype: Some(crate::ids::NotetypeId(7)),
                cloze_cards: None,
            },
        );
        lock.notes.insert("e".into(), vec![other]);
        let text = lock.to_text().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ankideck.lock");
        std::fs::write(&path, &text).unwrap();
        let d_line = text.lines().position(|l| l.starts_with("note\td")).unwrap() + 1;
        let e_line = text.lines().position(|l| l.starts_with("note\te")).unwrap() + 1;
        (dir, path, text, d_line, e_line)
    }

    /// The lock of [`two_decks`] parsed whole, and with each choice of sections parsed or kept.
    fn parsed_every_way(path: &Path, text: &str) -> Vec<Lock> {
        let raw = RawSections::of(text);
        let mut all = vec![Lock::parse(path, text).unwrap()];
        for selected in [&["d\tx", "e"][..], &["e"], &["d\tx"], &[]] {
            all.push(Lock::parse_detached(path, raw.detach(|k| selected.contains(&k))).unwrap());
        }
        all
    }

    /// Two sound sections (each matches its checksum) whose notes, with their own guids, share a
    /// note id and a card id, as two branches that each gave a new note the next free ids and
    /// were merged: no damage; the later deck's note is to get new ids.
    #[test]
    fn sound_sections_sharing_ids_with_other_guids_are_a_clash_not_damage() {
        let (_dir, path, text, _, _) = two_decks(|e| e.guid = "other".into());
        let e_first = text.lines().position(|l| l.starts_with("deck\te")).unwrap();
        for parsed in parsed_every_way(&path, &text) {
            assert!(parsed.damaged.is_empty(), "{:?}", parsed.damaged);
            let clash = IdClash {
                note_ids: [1000].into(),
                card_ids: [1001].into(),
                with: ["d\tx".to_string()].into(),
                first_line: e_first,
            };
            assert_eq!(parsed.clashes, BTreeMap::from([("e".to_string(), clash)]));
        }
        // Only the card id shared: the same.
        let (_dir, path, text, _, _) = two_decks(|e| {
            e.guid = "other".into();
            e.note_id = NoteId(5000);
        });
        for parsed in parsed_every_way(&path, &text) {
            assert!(parsed.damaged.is_empty(), "{:?}", parsed.damaged);
            assert_eq!(parsed.clashes["e"].card_ids, [1001].into());
            assert!(parsed.clashes["e"].note_ids.is_empty());
        }
    }

    /// The same guid in two sound sections stays damage, named on both lines, ids shared or not.
    #[test]
    fn sound_sections_sharing_a_guid_are_both_damaged() {
        for new_ids in [false, true] {
            let (_dir, path, text, d_line, e_line) = two_decks(|e| {
                if new_ids {
                    e.note_id = NoteId(5000);
                    e.card_ids = CardIds::one(CardId(5001));
                }
            });
            for parsed in parsed_every_way(&path, &text) {
                let damaged: Vec<(&str, usize, &str)> =
                    parsed.damaged.iter().map(|(k, d)| (k.as_str(), d.line, d.problem.as_str())).collect();
                assert_eq!(
                    damaged,
                    [
                        (
                            "d\tx",
                            d_line,
                            &*format!(
                                "the guid on this line is also on line {e_line} (deck `e`): two notes cannot share one"
                            )
                        ),
                        (
                            "e",
                            e_line,
                            &*format!(
                                "the guid on this line is also on line {d_line} (deck `d\tx`): two notes cannot share one"
                            )
                        ),
                    ],
                );
                assert!(parsed.clashes.is_empty(), "{:?}", parsed.clashes);
            }
        }
    }

    /// Two notes of one section with the same id stay damage, also when an earlier deck has it.
    #[test]
    fn an_id_twice_in_one_section_is_damage_even_when_an_earlier_deck_has_it() {
        let mut lock = sample();
        let mut one = lock.notes["d\tx"][0].clone();
        one.guid = "one".into();
        one.card_ids = CardIds::one(CardId(2001));
        let mut two = one.clone();
        two.guid = "two".into();
        two.card_ids = CardIds::one(CardId(2002));
        lock.decks.insert(
            "e".into(),
            DeckEntry {
                id: DeckId(10),
                mtime: 5,
                name: "E".into(),
                notetype: Some(crate::ids::NotetypeId(7)),
                cloze_cards: None,
            },
        );
        lock.notes.insert("e".into(), vec![one, two]);
        let text = lock.to_text().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ankideck.lock");
        std::fs::write(&path, &text).unwrap();
        let e_line = text.lines().position(|l| l.starts_with("note\te")).unwrap() + 1;
        for parsed in parsed_every_way(&path, &text) {
            assert_eq!(parsed.damaged.keys().collect::<Vec<_>>(), ["e"], "{:?}", parsed.damaged);
            assert_eq!(
                parsed.damaged["e"],
                Damage {
                    line: e_line + 1,
                    problem: format!(
                        "the note id on this line is also on line {e_line}: two notes cannot share one"
                    )
                }
            );
            assert!(parsed.clashes.is_empty(), "{:?}", parsed.clashes);
        }
    }

    /// A kept section with a clash is parsed on demand, as it would have been parsed at first.
    #[test]
    fn a_kept_section_with_a_clash_parses_as_a_parsed_one() {
        let (_dir, path, text, _, _) = two_decks(|e| e.guid = "other".into());
        let raw = RawSections::of(&text);
        let mut kept = Lock::parse_detached(&path, raw.detach(|k| k == "d\tx")).unwrap();
        assert!(kept.kept.contains_key("e"));
        assert!(kept.parse_kept_clashing(&path, "e"));
        assert!(!kept.parse_kept_clashing(&path, "d\tx"), "no clash, nothing to parse");
        let whole = Lock::parse(&path, &text).unwrap();
        assert!(!kept.kept.contains_key("e"));
        assert_eq!((&kept.notes, &kept.decks), (&whole.notes, &whole.decks));
        assert_eq!(kept.deck_name("d\tx").as_deref(), Some("D"), "from its kept section");
        assert_eq!(kept.deck_name("e").as_deref(), Some("E"));
    }
}
