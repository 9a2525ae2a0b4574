//! Decks in Markdown (`.md`): the first `#` heading names the deck, `##` headings are sections,
//! a card starts at a line `Q:` and its answer at a line `A:`, running to the next `Q:` or
//! heading. After the answer, a line `Tags: a b` gives the card's own tags and a line
//! `<!-- id: … -->` pins its note's guid. Each side is rendered with CommonMark
//! ([`super::markdown_render`]). The rules are documented in `docs/format.md`.
//!
//! A large deck is read a block at a time ([`parse_stream`]): the reading carries from one line to
//! the next what the next line's meaning depends on ([`Reader`]), so a block may end at any line.

#[path = "markdown_lines.rs"]
mod lines;

use super::txt::{has_lone_cr, lone_crs_to_lf, read_full};
use super::{CardText, Parsed, Rules, SourceDeck};
use crate::diagnostic::{Code, Diagnostic};
use lines::Reader;
use std::path::Path;

/// Parses a Markdown deck.
pub fn parse(file: &Path, bytes: &[u8]) -> Parsed {
    parse_with(file, bytes, Rules::default(), |card| card.to_card())
}

/// Parses a Markdown deck, turning each card into a `C` as it is read.
pub fn parse_with<C: Send>(
    file: &Path,
    bytes: &[u8],
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
) -> Parsed<C> {
    // A CR that no LF follows ends a line (old Mac files), as in a text deck.
    let converted: Vec<u8>;
    let bytes = match has_lone_cr(bytes) {
        false => bytes,
        true => {
            converted = lone_crs_converted(bytes);
            &converted
        }
    };
    // The whole file is one block: read as `parse_stream` reads each of its blocks.
    let mut reader = Reader::new(file, rules);
    if let Err(not_utf8) = reader.block(bytes, true) {
        return Parsed { deck: None, diagnostics: vec![not_utf8] };
    }
    reader.end_card();
    let cards = reader.take_cards(&map);
    let (name, diagnostics) = reader.into_result();
    let deck =
        name.map(|name| SourceDeck { file: file.to_path_buf(), stem: super::stem_of(file), name, cards });
    Parsed { deck, diagnostics }
}

fn lone_crs_converted(bytes: &[u8]) -> Vec<u8> {
    let mut converted = bytes.to_vec();
    lone_crs_to_lf(&mut converted, true);
    converted
}

/// Parses a Markdown deck from `reader` about `block` bytes at a time, so that a large file is
/// never held whole, as [`super::txt::parse_stream`] does for the text format: each card is
/// mapped once it has ended, the mapped cards go to `sink` in file order, and the cards and
/// diagnostics are those [`parse_with`] gives for the whole file (the deck's `cards` only counts
/// them); also returns the digest of every byte read. When the result has errors, what `sink`
/// was given is not a deck. An error of `sink` stops the reading and is returned.
pub fn parse_stream<C: Send>(
    file: &Path,
    reader: &mut impl std::io::Read,
    block: usize,
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
    sink: impl FnMut(Vec<C>) -> std::io::Result<()> + Send,
) -> std::io::Result<(Parsed<()>, u128)> {
    super::stream_pieces(sink, |send| read_blocks(file, reader, block, rules, &map, send))
}

/// The loop of [`parse_stream`]: `deliver` takes each piece of cards, and says false to stop.
fn read_blocks<C: Send>(
    file: &Path,
    input: &mut impl std::io::Read,
    block: usize,
    rules: Rules,
    map: &(impl Fn(CardText<'_>) -> C + Sync),
    deliver: &mut dyn FnMut(Vec<C>) -> bool,
) -> std::io::Result<(Parsed<()>, u128)> {
    let mut send = |cards: Vec<C>| match cards.is_empty() || deliver(cards) {
        true => Ok(()),
        false => Err(std::io::Error::other("the note writer stopped")),
    };
    let mut reader = Reader::new(file, rules);
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let block = block.max(1);
    let mut buf: Vec<u8> = Vec::new();
    let mut want = block;
    let mut eof = false;
    loop {
        while buf.len() < want && !eof {
            let start = buf.len();
            buf.resize(want, 0);
            let read = read_full(input, &mut buf[start..])?;
            buf.truncate(start + read);
            hasher.update(&buf[start..]);
            eof = read < want - start;
        }
        // Converted in place: a line ending is a byte either way. A CR at the end of an
        // unfinished block waits for the byte after it.
        if has_lone_cr(&buf) {
            lone_crs_to_lf(&mut buf, eof);
        }
        let read = match reader.block(&buf, eof) {
            Ok(read) => read,
            Err(not_utf8) => {
                return Ok((Parsed { deck: None, diagnostics: vec![not_utf8] }, hasher.digest128()));
            }
        };
        send(reader.take_cards(map))?;
        if eof {
            break;
        }
        match read {
            // No line ends in the block: it grows until one does.
            0 => want = want.saturating_mul(2),
            _ => {
                buf.drain(..read);
                want = block;
            }
        }
    }
    reader.end_card();
    send(reader.take_cards(map))?;
    let count = reader.rendered;
    let (name, diagnostics) = reader.into_result();
    let stem = super::stem_of(file);
    let deck = name.map(|name| SourceDeck { file: file.to_path_buf(), stem, name, cards: vec![(); count] });
    Ok((Parsed { deck, diagnostics }, hasher.digest128()))
}

/// W014 for a card holding a cloze deletion that is built as a plain card (the deck's note type
/// is not cloze): one whose answer holds a deletion and whose question none (a cloze note hides
/// the deletions of its question, `Text`), or, read without the build's rules (`in_question`),
/// any. The deletion shows as written.
pub fn cloze_outside_cloze_decks(file: &Path, line: u32, in_question: bool) -> Diagnostic {
    match in_question {
        true => Diagnostic::new(
            Code::W014,
            file,
            line,
            "a cloze deletion `{{c…::…}}` in a deck whose note type is not cloze: it shows as written",
        )
        .with_hint("set `notetype = \"cloze\"` for the deck in ankideck.toml"),
        false => Diagnostic::new(
            Code::W014,
            file,
            line,
            "a cloze deletion `{{c…::…}}` in the answer of a card whose question has none: it shows as written",
        )
        .with_hint(
            "a card is a cloze note when its question holds a deletion: move the `{{c1::…}}` into the question (after `Q:`)",
        ),
    }
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
