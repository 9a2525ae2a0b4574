//! `subdecks = true`: each section's cards go to a subdeck `Deck::Section`. The subdeck of a
//! card is found from its note's Section field, so a deck on disk needs no more memory than a
//! deck id per card.

use super::DeckNotes;
use crate::ids;
use std::collections::BTreeMap;

/// The field of `notetype` holding a card's section (`Section`), if it has one: the third of
/// the built-in basic, reversed, type-in and cloze, the fourth of optional-reversed (after
/// `Add Reverse`), wherever a custom note type puts it.
pub fn section_field(notetype: &crate::notetype::Notetype) -> Option<usize> {
    notetype.fields.iter().position(|f| f.name == "Section")
}

/// The subdeck of every card of a deck.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subdecks {
    /// The deck id of each card, by note index (source order).
    pub dids: Vec<i64>,
    /// Every subdeck: id and full name.
    pub decks: BTreeMap<i64, String>,
}

impl Subdecks {
    /// The subdecks of `deck`'s notes (of `types`), read once in source order. A note whose
    /// note type has no `Section` field stays in the deck itself.
    pub fn of(deck: &dyn DeckNotes, types: crate::notetype::NoteTypes<'_>) -> std::io::Result<Subdecks> {
        let mut subdecks = Subdecks { dids: Vec::with_capacity(deck.len()), decks: BTreeMap::new() };
        let mut last: Option<(String, i64)> = None;
        let own = section_field(types.own);
        let cloze = types.cloze.and_then(section_field);
        deck.each_note(None, &mut |_, _, note| {
            let at = match note.kind() {
                crate::model::NoteKind::Own => own,
                crate::model::NoteKind::Cloze => cloze,
            };
            let section = at.map_or("", |at| note.field(at));
            // Cards of one section are together: the name and its hash are made once per section.
            let did = match &last {
                Some((s, did)) if s == section => *did,
                _ => {
                    let name = subdeck_name(deck.name(), section);
                    let did = ids::deck_id_for(&name).0;
                    subdecks.decks.entry(did).or_insert(name);
                    last = Some((section.to_string(), did));
                    did
                }
            };
            subdecks.dids.push(did);
            Ok(())
        })?;
        Ok(subdecks)
    }
}

/// The deck a card of `note` (of `notetype`) is filed in under `subdecks = true`: its section's
/// subdeck of `deck`, as [`Subdecks::of`] files it.
pub fn subdeck_of<S: AsRef<str>>(
    deck: &str,
    notetype: &crate::notetype::Notetype,
    note: &crate::model::Note<S>,
) -> String {
    subdeck_name(deck, section_field(notetype).map_or("", |at| note.field(at)))
}

/// `Deck::Section`, from the Section field's HTML (the heading, escaped): `::` in a heading
/// would make a deeper subdeck, so it is written `:` there.
pub fn subdeck_name(deck: &str, section_html: &str) -> String {
    let section = section_html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let section = section.replace("::", ":");
    match section.trim() {
        "" => deck.to_string(),
        section => format!("{deck}::{section}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subdeck_is_named_by_the_unescaped_heading_under_the_deck() {
        assert_eq!(subdeck_name("History", "WAR &amp; PEACE"), "History::WAR & PEACE");
        assert_eq!(subdeck_name("A::B", "X::Y"), "A::B::X:Y");
        assert_eq!(subdeck_name("History", ""), "History");
    }
}
