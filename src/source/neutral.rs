//! The text format's cards mapped onto the neutral model ([`crate::model`]) of the flashcard note
//! type (Front, Back, Section): escaped fields, the section as a tag. Nothing after parsing
//! sees a [`CardText`] or a [`SourceDeck`].

use super::{CardText, SourceDeck};
use crate::html;
use crate::model::{Deck, FIELD_SEPARATOR, Note};

/// Maps one card, as the parser reads it, onto the flashcard note type (Front, Back, Section):
/// escaped fields, the section as a tag.
pub fn note_of(card: CardText<'_>) -> Note {
    if let Some(markup) = card.markup {
        return note_of_markup(card, markup);
    }
    let size = card.front.iter().chain(card.back).map(|l| l.len() + 4).sum::<usize>() + card.section.len();
    // Escaping grows text a little.
    let mut flds = String::with_capacity(size + size / 16 + 8);
    html::push_lines_as_field(card.front.iter().copied(), &mut flds);
    flds.push(FIELD_SEPARATOR);
    html::push_lines_as_field(card.back.iter().copied(), &mut flds);
    flds.push(FIELD_SEPARATOR);
    html::escape(card.section, &mut flds);
    Note::from_flds(flds, section_tag(card.section), card.line)
}

/// A card whose sides are HTML already (Markdown): its sides as they are, its section escaped,
/// its section tag and own tags as Anki stores them, its guid pinned if it pins one.
fn note_of_markup(card: CardText<'_>, markup: super::Markup<'_>) -> Note {
    let mut flds =
        String::with_capacity(card.front.iter().chain(card.back).map(|s| s.len()).sum::<usize>() + 16);
    flds.push_str(&card.front.concat());
    flds.push(FIELD_SEPARATOR);
    flds.push_str(&card.back.concat());
    flds.push(FIELD_SEPARATOR);
    html::escape(card.section, &mut flds);
    let tags = std::iter::once(section_tag(card.section)).chain(markup.tags.iter().map(|t| t.to_string()));
    let tags = crate::settings::merge_tags(tags.filter(|t| !t.is_empty()).collect()).join(" ");
    let note = Note::from_flds(flds, tags, card.line);
    match markup.pinned {
        Some(guid) => note.with_pinned(guid.to_string()),
        None => note,
    }
}

/// The deck of a parsed file whose cards were mapped with [`note_of`] (the flashcard note type's
/// Front, Back and Section).
pub fn deck_of(source: SourceDeck<Note>) -> Deck {
    Deck { key: source.stem, name: source.name, file: source.file, notes: source.cards }
}

/// A section heading as an Anki tag: white space and `"` (which Anki does not allow in tags)
/// become `_`, control characters are dropped.
pub fn section_tag(section: &str) -> String {
    let mut tag = String::with_capacity(section.len());
    let mut last_was_gap = false;
    for c in section.chars() {
        if c.is_whitespace() || c == '"' {
            if !last_was_gap {
                tag.push('_');
            }
            last_was_gap = true;
        } else if !c.is_control() {
            tag.push(c);
            last_was_gap = false;
        }
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_maps_to_escaped_fields_and_a_section_tag() {
        let card = CardText {
            line: 7,
            section: "A & B",
            front: &["Is 1 < 2", "or \"not\"?"],
            back: &["It's so."],
            reverse: None,
            markup: None,
        };
        let note = note_of(card);
        assert_eq!(note.field(0), "Is 1 &lt; 2<br>or \"not\"?");
        assert_eq!(note.field(1), "It's so.");
        assert_eq!(note.field(2), "A &amp; B");
        assert_eq!(note.tags().collect::<Vec<_>>(), ["A_&_B"]);
        assert_eq!(note.line, 7);
    }

    #[test]
    fn section_tag_replaces_spaces() {
        assert_eq!(section_tag("THE KIROV AFFAIR, 1934"), "THE_KIROV_AFFAIR,_1934");
        assert_eq!(section_tag("A  \"B\""), "A_B_");
    }
}
