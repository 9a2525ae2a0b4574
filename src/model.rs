//! The neutral model every source format converges on: decks of notes whose fields are already
//! Anki HTML, before any identity is assigned. It knows no source format: each reader in
//! `source/` maps what it reads onto it.

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

/// One note: HTML field values in the note type's field order, and tags. Held compactly, as Anki
/// stores them: the fields joined by U+001F (the `flds` column), the tags joined by spaces; a
/// deck of 100,000 notes is 200,000 allocations, not 600,000.
///
/// The text is a `String`, or, for a note read back from disk without copying, a `&str`
/// ([`NoteView`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note<S = String> {
    flds: S,
    /// Where the first and the second field end in `flds` (the hot fields, found once).
    front_end: usize,
    back_end: usize,
    tags: S,
    /// 1-based source line where the note starts.
    pub line: u32,
}

/// A note whose text is borrowed.
pub type NoteView<'a> = Note<&'a str>;

/// Anki's field separator in `flds`.
pub const FIELD_SEPARATOR: char = '\x1f';

impl Note {
    /// The fields joined by U+001F, taken out of the note (no copy).
    pub fn into_flds(self) -> String {
        self.flds
    }

    /// A note of these fields and tags. Fields must not contain U+001F and tags no white
    /// space (the readers, e.g. [`crate::source::section_tag`], see to both).
    pub fn new<F: AsRef<str>, T: AsRef<str>>(fields: &[F], tags: &[T], line: u32) -> Note {
        let mut flds = String::with_capacity(fields.iter().map(|f| f.as_ref().len() + 1).sum());
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                flds.push(FIELD_SEPARATOR);
            }
            flds.push_str(field.as_ref());
        }
        let tags = tags.iter().map(AsRef::as_ref).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ");
        Note::from_flds(flds, tags, line)
    }
}

impl<S: AsRef<str>> Note<S> {
    /// A note from fields already joined by U+001F and tags joined by single spaces.
    pub fn from_flds(flds: S, tags: S, line: u32) -> Note<S> {
        debug_assert!({
            let tags = tags.as_ref();
            !tags.starts_with(' ') && !tags.ends_with(' ') && !tags.contains("  ")
        });
        let bytes = flds.as_ref().as_bytes();
        let front_end = bytes.iter().position(|&b| b == 0x1f).unwrap_or(bytes.len());
        let back_end = match bytes.get(front_end + 1..) {
            Some(rest) => front_end + 1 + rest.iter().position(|&b| b == 0x1f).unwrap_or(rest.len()),
            None => bytes.len(),
        };
        Note { flds, front_end, back_end, tags, line }
    }

    /// The note with its text borrowed.
    pub fn as_view(&self) -> NoteView<'_> {
        Note {
            flds: self.flds.as_ref(),
            front_end: self.front_end,
            back_end: self.back_end,
            tags: self.tags.as_ref(),
            line: self.line,
        }
    }

    /// The fields joined by U+001F, as Anki's `flds` column holds them.
    pub fn flds(&self) -> &str {
        self.flds.as_ref()
    }

    /// The HTML of each field, in order.
    pub fn fields(&self) -> std::str::Split<'_, char> {
        self.flds().split(FIELD_SEPARATOR)
    }

    /// The HTML of field `index`, or "" past the last field.
    pub fn field(&self, index: usize) -> &str {
        self.fields().nth(index).unwrap_or("")
    }

    /// The HTML of the first field (the front).
    pub fn front(&self) -> &str {
        &self.flds()[..self.front_end]
    }

    /// The HTML of the second field (the back), or "" for a note of one field.
    pub fn back(&self) -> &str {
        let start = (self.front_end + 1).min(self.back_end);
        &self.flds()[start..self.back_end]
    }

    /// The tags joined by single spaces ("" for none).
    pub fn tags_text(&self) -> &str {
        self.tags.as_ref()
    }

    /// The tags, in order.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags_text().split(' ').filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_keeps_fields_and_tags_apart() {
        let note = Note::new(&["a<br>b", "", "S"], &["t1", "", "t2"], 3);
        assert_eq!(note.flds(), "a<br>b\x1f\x1fS");
        assert_eq!(note.fields().collect::<Vec<_>>(), ["a<br>b", "", "S"]);
        assert_eq!((note.front(), note.back(), note.field(2), note.field(3)), ("a<br>b", "", "S", ""));
        assert_eq!(note.tags().collect::<Vec<_>>(), ["t1", "t2"]);
        assert_eq!(note.tags_text(), "t1 t2");
        let one = Note::new(&["x"], &[] as &[&str], 1);
        assert_eq!((one.front(), one.back(), one.tags().count()), ("x", "", 0));
        let two = Note::new(&["", "y"], &["t"], 1);
        assert_eq!((two.front(), two.back(), two.field(2)), ("", "y", ""));
    }
}
