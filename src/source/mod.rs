//! Parse stage: one module per source format, each turning a file's bytes into the neutral
//! [`SourceDeck`] plus diagnostics. Parsers never fail on bad content: they report it and return
//! what they could read.

pub mod csv;
pub mod markdown;
mod markdown_render;
mod neutral;
pub mod txt;

pub use neutral::{deck_of, note_of, section_tag};

use crate::diagnostic::Diagnostic;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A deck as read from one source file, before any Anki-specific mapping. Its cards are
/// [`SourceCard`]s, or whatever a caller of [`parse_with`] turned each card into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceDeck<C = SourceCard> {
    /// The file it came from.
    pub file: PathBuf,
    /// The file name without extension: names the outputs and keys the lock file.
    pub stem: String,
    /// The deck name (the title line, `Flashcards` dropped).
    pub name: String,
    /// The cards in file order.
    pub cards: Vec<C>,
}

/// One card: a section heading, the front lines and the back lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCard {
    /// 1-based line of the card's heading.
    pub line: u32,
    pub section: String,
    /// The front's lines, joined by `\n` (one allocation per side, not one per line). In JSON,
    /// a list of lines.
    #[serde(serialize_with = "serialize_lines")]
    pub front: String,
    /// The back's lines, joined by `\n`.
    #[serde(serialize_with = "serialize_lines")]
    pub back: String,
    /// Whether the card asks for its reverse card (a `<->` separator). In JSON only when it does.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reverse: bool,
    /// The card's own tags (Markdown `Tags:`). In JSON only when it has some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The guid the card pins (Markdown `<!-- id: … -->`). In JSON only when it pins one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A cloze card of a deck whose note type is not cloze: a note of the built-in cloze. In
    /// JSON only when it is one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cloze: bool,
}

impl SourceCard {
    /// The front's lines.
    pub fn front_lines(&self) -> std::str::Split<'_, char> {
        self.front.split('\n')
    }

    /// The back's lines.
    pub fn back_lines(&self) -> std::str::Split<'_, char> {
        self.back.split('\n')
    }
}

fn serialize_lines<S: serde::Serializer>(side: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(side.split('\n'))
}

/// What parsing one file gave: the deck if it could be read, and everything worth telling.
#[derive(Debug, Clone)]
pub struct Parsed<C = SourceCard> {
    pub deck: Option<SourceDeck<C>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<C> Default for Parsed<C> {
    fn default() -> Self {
        Parsed { deck: None, diagnostics: Vec::new() }
    }
}

impl<C> Parsed<C> {
    /// Whether any diagnostic is an error (the deck must not be built).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The deck key of a source file: its name without extension.
pub fn stem_of(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The source formats ankideck reads, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.txt`: the printed flashcard text format (headings, fronts cut mid-sentence).
    Txt,
    /// `.md`: Markdown, a card a `Q:` line and an `A:` line, each side rendered as CommonMark.
    Markdown,
    /// `.csv`, `.tsv`: a table, a row per note ([`csv`]); read into notes directly, not
    /// through [`CardText`].
    Csv,
}

impl Format {
    /// The format of a path, if ankideck reads it.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "txt" => Some(Format::Txt),
            "md" => Some(Format::Markdown),
            "csv" | "tsv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// What a reader accepts that depends on the deck's note type (the defaults: what every deck
/// accepts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// The deck is a cloze deck: a card of one line holding a cloze deletion is a card with an
    /// empty back (`Back Extra`), not an error: the deletion is its question and its answer.
    pub one_line_cloze: bool,
    /// A card whose question holds a cloze deletion is a cloze note whatever the deck's note
    /// type (the build's mapping makes it one): it needs no answer, as in a cloze deck.
    pub cloze_cards: bool,
}

/// Parses one file's bytes in the given format.
pub fn parse(format: Format, file: &Path, bytes: &[u8]) -> Parsed {
    parse_with(format, file, bytes, Rules::default(), |card| card.to_card())
}

/// Parses one file's bytes, turning each card into a `C` as soon as it is read, while its text
/// is still borrowed from the file: a large deck is never held as both text and cards.
pub fn parse_with<C: Send>(
    format: Format,
    file: &Path,
    bytes: &[u8],
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
) -> Parsed<C> {
    match format {
        Format::Txt => txt::parse_with(file, bytes, rules, map),
        Format::Markdown => markdown::parse_with(file, bytes, rules, map),
        Format::Csv => not_cards(file),
    }
}

/// Parses a file from `reader` a block of about `block` bytes at a time, handing the mapped cards
/// to `sink` in file order; gives the same diagnostics as [`parse_with`] (the deck's cards are
/// only counted) and the digest of the bytes read. See [`txt::parse_stream`].
pub fn parse_stream<C: Send>(
    format: Format,
    file: &Path,
    reader: &mut impl std::io::Read,
    block: usize,
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
    sink: impl FnMut(Vec<C>) -> std::io::Result<()> + Send,
) -> std::io::Result<(Parsed<()>, u128)> {
    match format {
        Format::Txt => txt::parse_stream(file, reader, block, rules, map, sink),
        Format::Markdown => markdown::parse_stream(file, reader, block, rules, map, sink),
        Format::Csv => Ok((not_cards(file), 0)),
    }
}

/// Runs `read`, which sends pieces of cards, and hands each piece to `sink` in order on a thread
/// of its own (the next block is read meanwhile). `send` says false once `sink` has failed; then
/// `sink`'s error is returned, the one worth reporting.
fn stream_pieces<C: Send, R>(
    mut sink: impl FnMut(Vec<C>) -> std::io::Result<()> + Send,
    read: impl FnOnce(&mut dyn FnMut(Vec<C>) -> bool) -> std::io::Result<R>,
) -> std::io::Result<R> {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<C>>(4);
        let sinker = std::thread::Builder::new()
            .name("ankideck-notes".into())
            .spawn_scoped(scope, move || receiver.into_iter().try_for_each(&mut sink))?;
        let read = read(&mut |piece| sender.send(piece).is_ok());
        drop(sender);
        let sunk = sinker.join().unwrap_or_else(|_| Err(std::io::Error::other("the note writer panicked")));
        sunk.and(read)
    })
}

/// What the card readers give for a table: it has no front and back lines to map, its rows are
/// notes ([`csv::read`]); the build and `check` read it so.
fn not_cards<C>(file: &Path) -> Parsed<C> {
    debug_assert!(false, "a table is read with source::csv::read");
    let message = "a table is read with source::csv::read, not as cards";
    Parsed { deck: None, diagnostics: vec![Diagnostic::new(crate::diagnostic::Code::E020, file, 0, message)] }
}

/// One card as a parser has just read it, its text borrowed.
pub struct CardText<'a> {
    /// 1-based line of the card's heading.
    pub line: u32,
    pub section: &'a str,
    pub front: &'a [&'a str],
    pub back: &'a [&'a str],
    /// The line of the text format's `<->` when the card asks for its reverse card (back →
    /// front); `None` when it does not.
    pub reverse: Option<u32>,
    /// For a format whose sides are HTML already (Markdown): its own tags and pinned guid.
    /// `None` for the text format, whose lines are plain text.
    pub markup: Option<Markup<'a>>,
}

/// What a card of a format written in markup (Markdown) has besides its sides, which are HTML.
#[derive(Debug, Clone, Copy)]
pub struct Markup<'a> {
    /// The card's own tags, besides its section's.
    pub tags: &'a [&'a str],
    /// The guid its note keeps whatever its text (`<!-- id: … -->`).
    pub pinned: Option<&'a str>,
}

impl CardText<'_> {
    /// The card as an owned [`SourceCard`].
    pub fn to_card(self) -> SourceCard {
        SourceCard {
            line: self.line,
            section: self.section.to_string(),
            front: self.front.join("\n"),
            back: self.back.join("\n"),
            reverse: self.reverse.is_some(),
            tags: self.markup.map_or_else(Vec::new, |m| m.tags.iter().map(|t| t.to_string()).collect()),
            id: self.markup.and_then(|m| m.pinned).map(str::to_string),
            cloze: false,
        }
    }
}
