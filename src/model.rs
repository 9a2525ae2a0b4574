//! The neutral model every source format converges on, and the resolve stage that builds it:
//! decks of notes whose fields are already Anki HTML, before any identity is assigned.

use crate::html;
use crate::notetype::Notetype;
use crate::source::SourceDeck;
use rayon::prelude::*;
use std::path::PathBuf;

/// A deck ready to be identified: its notes in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deck {
    /// The file stem: names the outputs and keys the deck in the lock file.
    pub key: String,
    /// The Anki deck name (`::` separates parents).
    pub name: String,
    /// The source file.
    pub file: PathBuf,
    pub notes: Vec<Note>,
}

/// One note: HTML field values in the note type's field order, and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub fields: Vec<String>,
    pub tags: Vec<String>,
    /// 1-based source line where the note starts.
    pub line: u32,
}

impl Note {
    /// The HTML of the first field (the front).
    pub fn front(&self) -> &str {
        &self.fields[0]
    }

    /// The HTML of the second field (the back).
    pub fn back(&self) -> &str {
        &self.fields[1]
    }
}

/// Maps a parsed text deck onto the flashcard note type: escaped fields, section tag. Consumes
/// the source deck, so each card's lines are freed as its note is made.
pub fn resolve(source: SourceDeck, notetype: &Notetype) -> Deck {
    debug_assert_eq!(notetype.fields.len(), 3, "Front, Back, Section");
    let notes = source
        .cards
        .into_par_iter()
        .map(|card| Note {
            fields: vec![
                html::lines_to_field(&card.front),
                html::lines_to_field(&card.back),
                html::lines_to_field(std::slice::from_ref(&card.section)),
            ],
            tags: vec![section_tag(&card.section)],
            line: card.line,
        })
        .collect();
    Deck { key: source.stem, name: source.name, file: source.file, notes }
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
    fn section_tag_replaces_spaces() {
        assert_eq!(section_tag("THE KIROV AFFAIR, 1934"), "THE_KIROV_AFFAIR,_1934");
        assert_eq!(section_tag("A  \"B\""), "A_B_");
    }
}
