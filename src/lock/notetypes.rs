//! Which note types a lock's decks use: each deck line (since version 4) names its deck's note
//! type, so the head keeps the lines of the note types some deck uses and no other.

use super::{Lock, parse_deck};
use crate::ids::NotetypeId;
use std::collections::BTreeSet;

impl Lock {
    /// The note type of every deck of the lock, parsed or kept: the deck line's last column.
    /// `None` for a deck whose note type the lock does not say (a deck line of an older version,
    /// a damaged section).
    pub fn deck_notetypes(&self) -> impl Iterator<Item = (&str, Option<NotetypeId>)> {
        let parsed = self.decks.iter().map(|(key, deck)| (key.as_str(), deck.notetype));
        let kept = (self.kept.iter().filter(|(key, _)| !self.decks.contains_key(*key)))
            .map(|(key, text)| (key.as_str(), section_notetype(text)));
        parsed.chain(kept)
    }

    /// Takes back from `old` the note type lines this lock lacks and one of its decks uses (a
    /// deck that kept its old entries), then drops those no deck uses.
    pub fn restore_notetypes(&mut self, old: &Lock) {
        for (id, entry) in &old.notetypes {
            self.notetypes.entry(*id).or_insert_with(|| entry.clone());
        }
        self.prune_notetypes();
    }

    /// Drops the note type lines no deck uses. When some deck's note type is unknown, every
    /// line is kept: it may be that deck's.
    pub fn prune_notetypes(&mut self) {
        let used: Option<BTreeSet<i64>> = self.deck_notetypes().map(|(_, id)| id.map(|id| id.0)).collect();
        if let Some(mut used) = used {
            used.extend(self.cloze_card_types().map(|id| id.0));
            self.notetypes.retain(|id, _| used.contains(id));
        }
    }

    /// The note types of the decks' cloze cards (a deck line's id after `+`), parsed or kept.
    pub fn cloze_card_types(&self) -> impl Iterator<Item = NotetypeId> + '_ {
        let parsed = self.decks.values().filter_map(|deck| deck.cloze_cards);
        let kept = (self.kept.iter().filter(|(key, _)| !self.decks.contains_key(*key)))
            .filter_map(|(_, text)| parse_deck_line(text.lines().next()?)?.cloze_cards);
        parsed.chain(kept)
    }
}

/// A deck line's entry, if it is one.
pub fn parse_deck_line(line: &str) -> Option<super::DeckEntry> {
    let cols: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('\t').collect();
    (cols.first() == Some(&"deck")).then(|| parse_deck(&cols)).flatten().map(|(_, deck)| deck)
}

/// The note type named by the deck line of a deck's section (its first line), if it names one.
pub fn section_notetype(section: &str) -> Option<NotetypeId> {
    parse_deck_line(section.lines().next()?)?.notetype
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::{DeckEntry, NotetypeEntry, RawSections};
    use super::*;
    use crate::ids::DeckId;
    use crate::notetype::{Notetype, Schema};
    use std::path::Path;

    fn entry(nt: &Notetype) -> NotetypeEntry {
        NotetypeEntry { id: nt.id, mtime: 5, hash: 0xab, name: nt.name.clone(), schema: Some(Schema::of(nt)) }
    }

    /// Two decks of two note types: each deck line names its type, each type's schema is in the
    /// head, one line a field or template, and it all reads back as it was written.
    #[test]
    fn each_deck_names_its_note_type_and_each_schema_reads_back() {
        let (basic, cloze) =
            (Notetype::builtin("basic", None).unwrap(), Notetype::builtin("cloze", None).unwrap());
        let mut lock = sample();
        lock.notetypes.clear();
        for nt in [&basic, &cloze] {
            lock.notetypes.insert(nt.id.0, entry(nt));
        }
        lock.decks.get_mut("d\tx").unwrap().notetype = Some(basic.id);
        lock.decks.insert(
            "e".into(),
            DeckEntry {
                id: DeckId(10),
                mtime: 5,
                name: "E".into(),
                notetype: Some(cloze.id),
                cloze_cards: None,
            },
        );
        let text = lock.to_text().unwrap();
        let field = basic.fields[1].id;
        assert!(text.contains(&format!("\nfield\t{}\t{field}\tBack\n", basic.id.0)), "{text}");
        assert!(
            text.contains(&format!(
                "\nnotetype\t{}\t5\t00000000000000ab\t{}\tcloze\n",
                cloze.id.0, cloze.name
            ))
        );
        assert!(text.contains(&format!("\ndeck\te\t10\t5\tE\t{}\n", cloze.id.0)), "{text}");
        let read = Lock::parse(Path::new("l"), &text).unwrap();
        assert_eq!(read, lock);
        assert_eq!(read.notetypes[&cloze.id.0].schema, Some(Schema::of(&cloze)));
        // Kept as text, a section still says its deck's note type.
        let raw = RawSections::of(&text);
        assert_eq!(section_notetype(raw.decks["e"].text), Some(cloze.id));
    }

    /// A deck with cloze cards names their note type after its own (`basic+cloze`): it reads
    /// back, from parsed and from kept sections, and its line keeps the cloze type in the head.
    #[test]
    fn a_deck_with_cloze_cards_names_their_note_type_and_keeps_its_line() {
        let (basic, cloze) =
            (Notetype::builtin("basic", None).unwrap(), Notetype::builtin("cloze", None).unwrap());
        let mut lock = sample();
        lock.notetypes = [(basic.id.0, entry(&basic)), (cloze.id.0, entry(&cloze))].into();
        let deck = lock.decks.get_mut("d\tx").unwrap();
        (deck.notetype, deck.cloze_cards) = (Some(basic.id), Some(cloze.id));
        lock.prune_notetypes();
        assert_eq!(lock.notetypes.len(), 2, "the cloze cards' type is used");
        let text = lock.to_text().unwrap();
        assert!(text.contains(&format!("\t{}+{}\n", basic.id.0, cloze.id.0)), "{text}");
        let read = Lock::parse(Path::new("l"), &text).unwrap();
        assert_eq!(read, lock);
        let raw = RawSections::of(&text);
        let kept = parse_deck_line(raw.decks["d\tx"].text.lines().next().unwrap()).unwrap();
        assert_eq!((kept.notetype, kept.cloze_cards), (Some(basic.id), Some(cloze.id)));
        // Without cloze cards, the line is as before and the cloze type goes.
        lock.decks.get_mut("d\tx").unwrap().cloze_cards = None;
        lock.prune_notetypes();
        assert_eq!(lock.notetypes.keys().copied().collect::<Vec<_>>(), [basic.id.0]);
        assert!(lock.to_text().unwrap().contains(&format!("\t{}\n", basic.id.0)));
    }

    /// A deck that keeps its old entries (its package could not be written) gets its old note
    /// type's line back.
    #[test]
    fn a_deck_that_kept_its_old_entries_gets_its_note_type_line_back() {
        let (basic, cloze) =
            (Notetype::builtin("basic", None).unwrap(), Notetype::builtin("cloze", None).unwrap());
        let mut old = sample();
        old.notetypes = [(basic.id.0, entry(&basic))].into();
        let mut new = old.clone();
        new.notetypes = [(cloze.id.0, entry(&cloze))].into();
        new.decks.get_mut("d\tx").unwrap().notetype = Some(basic.id);
        new.decks.insert(
            "e".into(),
            DeckEntry {
                id: DeckId(10),
                mtime: 5,
                name: "E".into(),
                notetype: Some(cloze.id),
                cloze_cards: None,
            },
        );
        new.restore_notetypes(&old);
        assert_eq!(new.notetypes.len(), 2);
        assert_eq!(new.notetypes[&basic.id.0], entry(&basic));
        new.decks.get_mut("d\tx").unwrap().notetype = Some(cloze.id);
        new.restore_notetypes(&old);
        assert_eq!(new.notetypes.keys().copied().collect::<Vec<_>>(), [cloze.id.0]);
    }

    #[test]
    fn note_types_no_deck_uses_are_pruned_unless_a_decks_type_is_unknown() {
        let (basic, cloze) =
            (Notetype::builtin("basic", None).unwrap(), Notetype::builtin("cloze", None).unwrap());
        let mut lock = sample();
        for nt in [&basic, &cloze] {
            lock.notetypes.insert(nt.id.0, entry(nt));
        }
        let mut unknown = lock.clone();
        unknown.prune_notetypes();
        assert_eq!(unknown.notetypes.len(), 3, "deck `d\\tx` of a version-3 lock: its type is not known");
        lock.decks.get_mut("d\tx").unwrap().notetype = Some(cloze.id);
        // A deck kept as text counts as well as a parsed one.
        let kept = format!("deck\tk\t11\t5\tK\t{}\nend\tk\t0\t0000000000000000\n", basic.id.0);
        lock.kept.insert("k".into(), kept);
        lock.prune_notetypes();
        assert_eq!(lock.notetypes.keys().copied().collect::<Vec<_>>(), {
            let mut ids = vec![basic.id.0, cloze.id.0];
            ids.sort();
            ids
        });
    }
}
