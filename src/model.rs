//! The neutral model every source format converges on: decks of notes whose fields are already
//! Anki HTML, before any identity is assigned. It knows no source format: each reader in
//! `source/` maps what it reads onto it.

use std::io;
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

/// What [`NoteStore::for_each_batch`] calls with each batch: the notes' indices and the notes.
pub type BatchFn<'f> = dyn FnMut(&[usize], &[NoteView<'_>]) -> io::Result<()> + 'f;

/// Where a deck's notes are held while it is identified and written: in memory (a `Vec<Note>`)
/// or, for a deck too large for that, in a spill file ([`crate::spill::Spill`]). Everything after
/// parsing reads the notes through it, so one identify and one emit path serve both.
pub trait NoteStore: Send + Sync + std::fmt::Debug {
    /// How many notes it holds.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether reading a note again costs no I/O: what is worked out from the text may then be
    /// computed again rather than kept (a spilled deck keeps nothing per note it can avoid).
    fn in_memory(&self) -> bool;
    /// Calls `f` with the notes at `indices`, in that order, their text borrowed.
    fn read(&self, indices: &[usize], f: &mut dyn FnMut(&[NoteView<'_>])) -> io::Result<()>;
    /// Calls `f` with note `index`.
    fn with_note(&self, index: usize, f: &mut dyn FnMut(&NoteView<'_>)) -> io::Result<()> {
        self.read(&[index], &mut |notes| f(&notes[0]))
    }
    /// Calls `f` with every batch of notes ([`crate::spill::BATCH`] at most), in the order
    /// `order` gives (source order when `None`): their indices and the notes.
    fn for_each_batch(&self, order: Option<&[u32]>, f: &mut BatchFn<'_>) -> io::Result<()>;
}

impl dyn NoteStore {
    /// The result of `f` on the notes at `indices`, in that order.
    pub fn read_with<R>(&self, indices: &[usize], f: impl FnOnce(&[NoteView<'_>]) -> R) -> io::Result<R> {
        let mut f = Some(f);
        let mut result = None;
        self.read(indices, &mut |notes| result = f.take().map(|f| f(notes)))?;
        Ok(result.expect("read calls back once"))
    }

    /// The result of `f` on note `index`.
    pub fn note_with<R>(&self, index: usize, f: impl FnOnce(&NoteView<'_>) -> R) -> io::Result<R> {
        let mut f = Some(f);
        let mut result = None;
        self.with_note(index, &mut |note| result = f.take().map(|f| f(note)))?;
        Ok(result.expect("with_note calls back once"))
    }

    /// Calls `f` with every note and its index, in the order `order` gives (source order when
    /// `None`).
    pub fn for_each(
        &self,
        order: Option<&[u32]>,
        f: &mut dyn FnMut(usize, &NoteView<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.for_each_batch(order, &mut |indices, notes| {
            indices.iter().zip(notes).try_for_each(|(&i, note)| f(i, note))
        })
    }
}

impl NoteStore for Vec<Note> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn in_memory(&self) -> bool {
        true
    }

    fn read(&self, indices: &[usize], f: &mut dyn FnMut(&[NoteView<'_>])) -> io::Result<()> {
        let views = indices
            .iter()
            .map(|&i| self.get(i).map(Note::as_view).ok_or_else(|| missing(i)))
            .collect::<io::Result<Vec<_>>>()?;
        f(&views);
        Ok(())
    }

    fn with_note(&self, index: usize, f: &mut dyn FnMut(&NoteView<'_>)) -> io::Result<()> {
        f(&self.get(index).ok_or_else(|| missing(index))?.as_view());
        Ok(())
    }

    fn for_each_batch(&self, order: Option<&[u32]>, f: &mut BatchFn<'_>) -> io::Result<()> {
        let mut indices = Vec::with_capacity(crate::spill::BATCH.min(self.len()));
        let mut views = Vec::with_capacity(indices.capacity());
        let mut start = 0;
        while start < self.len() {
            let end = (start + crate::spill::BATCH).min(self.len());
            indices.clear();
            match order {
                Some(order) => indices.extend(order[start..end].iter().map(|&i| i as usize)),
                None => indices.extend(start..end),
            }
            views.clear();
            for &i in &indices {
                views.push(self.get(i).ok_or_else(|| missing(i))?.as_view());
            }
            f(&indices, &views)?;
            start = end;
        }
        Ok(())
    }
}

fn missing(index: usize) -> io::Error {
    io::Error::other(format!("note {index} is not in the deck"))
}

/// One note: HTML field values in the note type's field order, tags, the guid a source pins (if
/// any) and where the note starts in its source. Held compactly, as Anki stores them: the fields
/// joined by U+001F (the `flds` column), the tags joined by spaces; a deck of 100,000 notes is
/// 200,000 allocations, not 600,000.
///
/// The model knows no "front" or "back": which fields are the sides identity matching compares
/// is the note type's to say ([`SideFields`], [`Note::sides`]).
///
/// The text is a `String`, or, for a note read back from disk without copying, a `&str`
/// ([`NoteView`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note<S = String> {
    flds: S,
    tags: S,
    /// The guid the source gives the note, which it keeps whatever its text ([`Note::pinned`]).
    guid: Option<S>,
    /// 1-based source line where the note starts.
    pub line: u32,
    /// Its note type: an index into its deck's note types ([`NoteKind`]). A byte, in what was
    /// padding: a note is no larger for it.
    kind: NoteKind,
}

/// Which of its deck's note types a note is of. A deck has its own (its settings'), and the
/// built-in `cloze` for the notes that need it: a card holding a cloze deletion `{{cN::…}}` in a
/// deck whose note type is not cloze, or a row of an Anki export naming `Cloze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum NoteKind {
    /// The deck's own note type.
    #[default]
    Own,
    /// The built-in `cloze` note type, in a deck of another one.
    Cloze,
}

impl NoteKind {
    /// Its index among the deck's note types (the spill file holds it so).
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The kind of index `index`, if it is one.
    pub fn from_index(index: u8) -> Option<NoteKind> {
        match index {
            0 => Some(NoteKind::Own),
            1 => Some(NoteKind::Cloze),
            _ => None,
        }
    }
}

/// A note whose text is borrowed.
pub type NoteView<'a> = Note<&'a str>;

/// Anki's field separator in `flds`.
pub const FIELD_SEPARATOR: char = '\x1f';

/// The fields identity matching reads as a note's question side and answer side (their indexes
/// in the note type's field order), as its note type says ([`crate::notetype::Notetype::sides`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SideFields {
    pub question: usize,
    pub answer: usize,
}

impl SideFields {
    /// The first two fields: every built-in note type's, and a custom one's.
    pub const FIRST_TWO: SideFields = SideFields { question: 0, answer: 1 };
}

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

    /// The note with its guid pinned: it keeps `guid` whatever its text, and no other note of
    /// the project may pin the same (a reader fills it from the source, e.g. a CSV's guid column).
    pub fn with_pinned(self, guid: String) -> Note {
        Note { guid: Some(guid), ..self }
    }
}

impl<S> Note<S> {
    /// The note as a note of `kind` (of its deck's note types).
    pub fn with_kind(self, kind: NoteKind) -> Note<S> {
        Note { kind, ..self }
    }

    /// Which of its deck's note types it is of.
    pub fn kind(&self) -> NoteKind {
        self.kind
    }
}

impl<S: AsRef<str>> Note<S> {
    /// A note from fields already joined by U+001F and tags joined by single spaces.
    pub fn from_flds(flds: S, tags: S, line: u32) -> Note<S> {
        Note::from_parts(flds, tags, None, line)
    }

    /// A note from fields joined by U+001F, tags joined by single spaces, and its pinned guid.
    pub fn from_parts(flds: S, tags: S, guid: Option<S>, line: u32) -> Note<S> {
        debug_assert!({
            let tags = tags.as_ref();
            !tags.starts_with(' ') && !tags.ends_with(' ') && !tags.contains("  ")
        });
        Note { flds, tags, guid, line, kind: NoteKind::Own }
    }

    /// The note with its text borrowed.
    pub fn as_view(&self) -> NoteView<'_> {
        Note {
            flds: self.flds.as_ref(),
            tags: self.tags.as_ref(),
            guid: self.guid.as_ref().map(AsRef::as_ref),
            line: self.line,
            kind: self.kind,
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

    /// The HTML of the question side and of the answer side ("" for a field the note lacks),
    /// found in one pass over the fields.
    pub fn sides(&self, sides: SideFields) -> (&str, &str) {
        let flds = self.flds();
        let last = sides.question.max(sides.answer);
        let (mut question, mut answer) = ("", "");
        let mut start = 0;
        let ends = memchr::memchr_iter(0x1f, flds.as_bytes()).chain(std::iter::once(flds.len()));
        for (index, end) in ends.enumerate().take(last + 1) {
            // Ends are at U+001F, an ASCII byte, or the end: always char boundaries.
            let field = &flds[start..end];
            if index == sides.question {
                question = field;
            }
            if index == sides.answer {
                answer = field;
            }
            start = end + 1;
        }
        (question, answer)
    }

    /// The guid the source pins, if it does.
    pub fn pinned(&self) -> Option<&str> {
        self.guid.as_ref().map(AsRef::as_ref)
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
        let two_sides = SideFields::FIRST_TWO;
        let note = Note::new(&["a<br>b", "", "S"], &["t1", "", "t2"], 3);
        assert_eq!(note.flds(), "a<br>b\x1f\x1fS");
        assert_eq!(note.fields().collect::<Vec<_>>(), ["a<br>b", "", "S"]);
        assert_eq!((note.sides(two_sides), note.field(2), note.field(3)), (("a<br>b", ""), "S", ""));
        assert_eq!(note.tags().collect::<Vec<_>>(), ["t1", "t2"]);
        assert_eq!(note.tags_text(), "t1 t2");
        assert_eq!(note.pinned(), None);
        let one = Note::new(&["x"], &[] as &[&str], 1);
        assert_eq!((one.sides(two_sides), one.tags().count()), (("x", ""), 0));
        let two = Note::new(&["", "y"], &["t"], 1);
        assert_eq!((two.sides(two_sides), two.field(2)), (("", "y"), ""));
        let pinned = two.with_pinned("Ab1".into());
        assert_eq!((pinned.pinned(), pinned.as_view().pinned()), (Some("Ab1"), Some("Ab1")));
        assert_eq!(pinned.kind(), NoteKind::Own);
        let cloze = pinned.with_kind(NoteKind::Cloze);
        assert_eq!((cloze.kind(), cloze.as_view().kind()), (NoteKind::Cloze, NoteKind::Cloze));
    }

    #[test]
    fn a_note_of_another_kind_is_no_larger() {
        // The kind sits in the padding after the line: 100,000 notes cost no more memory.
        assert_eq!(std::mem::size_of::<Note>(), 3 * std::mem::size_of::<String>() + 8);
        for kind in [NoteKind::Own, NoteKind::Cloze] {
            assert_eq!(NoteKind::from_index(kind.index()), Some(kind));
        }
        assert_eq!(NoteKind::from_index(2), None);
    }

    #[test]
    fn the_sides_are_the_fields_the_note_type_names() {
        let note = Note::new(&["Text", "Extra", "Front", "Back"], &[] as &[&str], 1);
        assert_eq!(note.sides(SideFields { question: 2, answer: 3 }), ("Front", "Back"));
        assert_eq!(note.sides(SideFields { question: 3, answer: 0 }), ("Back", "Text"));
        assert_eq!(note.sides(SideFields { question: 1, answer: 7 }), ("Extra", ""));
    }
}
