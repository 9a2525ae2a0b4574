//! The flashcard text format (`.txt`), as printed study sets are written: a title line, then cards
//! that each start with an ALL-CAPS heading; a card's front runs to the first line that stops
//! mid-sentence and the rest is the back. The rules are documented in `docs/format.md`.

use super::{CardText, Parsed, Rules, SourceDeck};
use crate::diagnostic::{Code, Diagnostic};
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::Path;
use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// A line made only of this marks where the front ends, overriding the sentence rule.
pub const SEPARATOR: &str = "---";
/// A line made only of this marks where the front ends, as [`SEPARATOR`] does, and asks for the
/// reverse card (back → front) of an `optional-reversed` deck: the front and the back go both
/// ways.
pub const REVERSE_SEPARATOR: &str = "<->";

/// Characters that may close a sentence after its final punctuation mark.
const CLOSERS: &[char] = &['"', '\'', '’', '”', ')', ']', '»'];
/// Characters that end a sentence.
const SENTENCE_ENDS: &[char] = &['.', '!', '?', '…'];

/// What one non-blank line of the file is. The text is borrowed from the file unless it had to
/// be changed (normalised, or cleaned of control characters).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line<'a> {
    Heading(Cow<'a, str>),
    Separator,
    /// [`REVERSE_SEPARATOR`]: a separator that asks for the reverse card.
    Reverse,
    Text(Cow<'a, str>),
    /// Text written with a leading `\` (removed): text like any other, except that the writer
    /// said so, so it is never warned about as a heading.
    Escaped(Cow<'a, str>),
}

/// A non-blank line with its 1-based number.
struct Numbered<'a> {
    number: u32,
    line: Line<'a>,
}

/// Parses the flashcard text format.
pub fn parse(file: &Path, bytes: &[u8]) -> Parsed {
    parse_with(file, bytes, Rules::default(), |card| card.to_card())
}

/// Parses the flashcard text format, turning each card into a `C` as it is read.
pub fn parse_with<C: Send>(
    file: &Path,
    bytes: &[u8],
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
) -> Parsed<C> {
    read_whole(file, bytes, rules, &map, LoneCrs::Stop).unwrap_or_else(|| {
        // A CR that no LF follows ends a line (old Mac files): the text is read again with LF
        // in its place. Finding one costs nothing more than the scan for control characters.
        let mut converted = bytes.to_vec();
        lone_crs_to_lf(&mut converted, true);
        let parsed = read_whole(file, &converted, rules, &map, LoneCrs::Ignore);
        parsed.expect("only a lone CR stops the reading, and it is told to ignore them")
    })
}

/// What [`read_whole`] does when it finds a CR that no LF follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoneCrs {
    /// Stops: the bytes must be converted first.
    Stop,
    /// Reads on: the bytes were converted.
    Ignore,
}

/// [`parse_with`] of bytes held whole, or `None` if they hold a CR that no LF follows and
/// `lone_crs` says to stop there.
fn read_whole<C: Send>(
    file: &Path,
    bytes: &[u8],
    rules: Rules,
    map: &(impl Fn(CardText<'_>) -> C + Sync),
    lone_crs: LoneCrs,
) -> Option<Parsed<C>> {
    let mut parsed = Parsed::default();
    let stop = lone_crs == LoneCrs::Stop;
    // A file of CR-only line endings is one long line: seen in its first "line".
    let first_line = bytes.iter().position(|&b| b == b'\n').map_or(bytes, |end| &bytes[..=end]);
    if stop && has_lone_cr(first_line) {
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) if stop && has_lone_cr(bytes) => return None,
        Err(err) => {
            parsed.diagnostics.push(not_utf8(file, bytes, err.valid_up_to(), 0));
            return Some(parsed);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((title, rest, rest_index)) = split_title(text, Clean::Controls) else {
        if let Some(offset) = first_control(text) {
            parsed.diagnostics.push(controls_removed(file, text, offset, 0));
        }
        parsed.diagnostics.push(empty_file(file));
        return Some(parsed);
    };
    let name = deck_name(file, &title, &mut parsed);
    let cards_start = text.len() - rest.len();
    // A large file is read in chunks that start at headings, in parallel; the cards and
    // diagnostics come back in file order.
    let region = read_region(file, rest, rest_index, rules, map, lone_crs);
    if stop && (region.lone_cr || has_lone_cr(&text.as_bytes()[..cards_start])) {
        return None;
    }
    let control = first_control(&text[..cards_start]).or(region.control.map(|c| cards_start + c));
    if let Some(offset) = control {
        parsed.diagnostics.insert(0, controls_removed(file, text, offset, 0));
    }
    let mut cards = Vec::with_capacity(region.pieces.iter().map(|(c, _)| c.len()).sum());
    for (chunk_cards, diagnostics) in region.pieces {
        cards.extend(chunk_cards);
        parsed.diagnostics.extend(diagnostics);
    }
    if cards.is_empty() && !parsed.has_errors() {
        parsed.diagnostics.push(no_cards(file, title.number));
    }
    let stem = super::stem_of(file);
    parsed.deck = Some(SourceDeck { file: file.to_path_buf(), stem, name, cards });
    Some(parsed)
}

/// The cards of a run of text, read in chunks that start at headings, in parallel.
struct Region<C> {
    /// Each chunk's cards and diagnostics, in file order.
    pieces: Vec<(Vec<C>, Vec<Diagnostic>)>,
    /// The byte offset, in the text, of the first control character.
    control: Option<usize>,
    /// Whether the text holds a CR that no LF follows (then it must be read again, converted).
    lone_cr: bool,
}

/// Reads the cards of `text`, whose first line has the 0-based index `first_index`. Each chunk
/// looks for control characters (and CRs that no LF follows) itself, so that a clean file is not
/// scanned on one core; with [`LoneCrs::Stop`], a chunk holding such a CR is not read.
fn read_region<C: Send>(
    file: &Path,
    text: &str,
    first_index: usize,
    rules: Rules,
    map: &(impl Fn(CardText<'_>) -> C + Sync),
    lone_crs: LoneCrs,
) -> Region<C> {
    // Each chunk's cards and diagnostics, and where its first control character is.
    type Chunk<C> = ((Vec<C>, Vec<Diagnostic>), Option<usize>);
    let results: Vec<Option<Chunk<C>>> = chunks_at_headings(text, first_index, rules)
        .into_par_iter()
        .map(|(chunk, first_index)| {
            let (control, lone_cr) = scan_chunk(chunk);
            if lone_cr && lone_crs == LoneCrs::Stop {
                // The text is read again, converted: this reading would be thrown away.
                return None;
            }
            let clean = if control.is_some() { Clean::Controls } else { Clean::Nothing };
            let mut diagnostics = Vec::new();
            let lines = classify(chunk, first_index, clean);
            let cards = read_cards(file, lines, &mut diagnostics, rules, map);
            let at = chunk.as_ptr() as usize - text.as_ptr() as usize;
            Some(((cards, diagnostics), control.map(|c| at + c)))
        })
        .collect();
    let lone_cr = results.iter().any(Option::is_none);
    let control = results.iter().flatten().find_map(|(_, c)| *c);
    Region { pieces: results.into_iter().flatten().map(|(piece, _)| piece).collect(), control, lone_cr }
}

fn not_utf8(file: &Path, bytes: &[u8], offset: usize, first_index: usize) -> Diagnostic {
    let start = if first_index == 0 { Start::File } else { Start::Inside };
    let (line, column) = position_of(bytes, offset, start);
    Diagnostic::new(Code::E001, file, line_after(first_index, line), "the file is not valid UTF-8")
        .at_column(column)
        .with_hint("save the file as UTF-8 (with or without a byte-order mark)")
}

/// W002 for the control character at `offset` of `text`, whose first line has the 0-based
/// index `first_index`. The text comes after the byte-order mark, if the file has one: a
/// U+FEFF at its start is a character.
fn controls_removed(file: &Path, text: &str, offset: usize, first_index: usize) -> Diagnostic {
    let (line, column) = position_of(text.as_bytes(), offset, Start::Inside);
    Diagnostic::new(
        Code::W002,
        file,
        line_after(first_index, line),
        "control characters were removed from the text",
    )
    .at_column(column)
    .with_hint(
        "they are invisible and one of them would break Anki's import; check what the file was saved from",
    )
}

fn empty_file(file: &Path) -> Diagnostic {
    Diagnostic::new(Code::E002, file, 1, "the file is empty")
        .with_hint("the first line is the deck title; each card starts with an ALL-CAPS heading")
}

fn no_cards(file: &Path, title_line: u32) -> Diagnostic {
    Diagnostic::new(Code::E003, file, title_line, "the file has a title but no cards")
        .with_hint(
            "each card starts with an ALL-CAPS heading line followed by its text; a file that is not a deck is skipped when its name starts with `_`",
        )
}

/// Parses the flashcard text format from `reader` about `block` bytes at a time, so that a large
/// file is never held whole: each card is mapped as it is read and the mapped cards are handed
/// to `sink` in file order, a piece at a time, on a thread of its own (the next block is read
/// meanwhile). The cards and diagnostics are those [`parse_with`] gives for the whole file (the
/// deck's `cards` only counts them: each is `()`); also returns the digest of every byte read
/// ([`crate::build::state::source_digest`] of the file). When the result has errors, what `sink`
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

/// The loop of [`parse_stream`]: `send` takes each piece of cards, and says false to stop.
fn read_blocks<C: Send>(
    file: &Path,
    reader: &mut impl std::io::Read,
    block: usize,
    rules: Rules,
    map: &(impl Fn(CardText<'_>) -> C + Sync),
    send: &mut dyn FnMut(Vec<C>) -> bool,
) -> std::io::Result<(Parsed<()>, u128)> {
    let stopped = || std::io::Error::other("the note writer stopped");
    let mut parsed: Parsed<()> = Parsed::default();
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let block = block.max(1);
    let mut buf: Vec<u8> = Vec::new();
    let mut want = block;
    let mut eof = false;
    // The 0-based index of the line `buf` starts with (it always starts a line).
    let mut line_index = 0usize;
    let mut title: Option<(u32, String)> = None;
    let mut cards = 0usize;
    let mut control_seen = false;
    loop {
        while buf.len() < want && !eof {
            let start = buf.len();
            buf.resize(want, 0);
            let read = read_full(reader, &mut buf[start..])?;
            buf.truncate(start + read);
            hasher.update(&buf[start..]);
            eof = read < want - start;
        }
        // Converted in place: a line ending is a byte either way, so offsets do not move.
        if has_lone_cr(&buf) {
            lone_crs_to_lf(&mut buf, eof);
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(text) => text,
            // A character cut in two at the end of the block: its rest comes with the next one.
            Err(err) if err.error_len().is_none() && !eof => {
                std::str::from_utf8(&buf[..err.valid_up_to()]).expect("valid up to here")
            }
            Err(err) => {
                parsed.diagnostics = vec![not_utf8(file, &buf, err.valid_up_to(), line_index)];
                parsed.deck = None;
                return Ok((parsed, hasher.digest128()));
            }
        };
        // Only whole lines are read, until the end of the file.
        let complete = if eof { text.len() } else { text.rfind('\n').map_or(0, |p| p + 1) };
        let text = &text[..complete];
        // Where the cards start in this block: after the title, in the first one.
        let first = title.is_none();
        let bom = if first && text.starts_with('\u{feff}') { 3 } else { 0 };
        let cards_start = if first {
            match split_title(&text[bom..], Clean::Controls) {
                Some((_, rest, _)) => text.len() - rest.len(),
                None if eof => {
                    if let Some(offset) = first_control(&text[bom..]) {
                        parsed.diagnostics.push(controls_removed(file, &text[bom..], offset, 0));
                    }
                    parsed.diagnostics.push(empty_file(file));
                    return Ok((parsed, hasher.digest128()));
                }
                None => {
                    want = want.saturating_mul(2);
                    continue;
                }
            }
        } else {
            0
        };
        // The block ends where a heading starts, in its last eighth; a block without one grows.
        let cut = if eof {
            text.len()
        } else {
            let from = cards_start.max(text.len() / 8 * 7);
            match (from < text.len()).then(|| next_heading_start(text, from, rules)).flatten() {
                Some(cut) => cut,
                None => {
                    want = want.saturating_mul(2);
                    continue;
                }
            }
        };
        let region = &text[..cut];
        if first {
            // The first block starts the file: its line numbers need no offset.
            let (line, _, _) = split_title(&region[bom..], Clean::Controls).expect("found above");
            let name = deck_name(file, &line, &mut parsed);
            title = Some((line.number, name));
        }
        let rest_index = line_index + region[..cards_start].bytes().filter(|&b| b == b'\n').count();
        // Lone CRs were converted above.
        let read = read_region(file, &region[cards_start..], rest_index, rules, map, LoneCrs::Ignore);
        // The text after the byte-order mark (in the first block), as the whole-file reader has it.
        let (text, cards_start) = (&region[bom..], cards_start - bom);
        let control = first_control(&text[..cards_start]).or(read.control.map(|c| cards_start + c));
        if let (Some(offset), false) = (control, control_seen) {
            control_seen = true;
            // As the whole-file reader reports it: before everything else.
            parsed.diagnostics.insert(0, controls_removed(file, text, offset, line_index));
        }
        for (piece, diagnostics) in read.pieces {
            cards += piece.len();
            parsed.diagnostics.extend(diagnostics);
            if !send(piece) {
                return Err(stopped());
            }
        }
        line_index += region.bytes().filter(|&b| b == b'\n').count();
        buf.drain(..cut);
        want = block;
        if eof && buf.is_empty() {
            break;
        }
    }
    let (title_line, name) = title.expect("the loop ends after the title");
    if cards == 0 && !parsed.has_errors() {
        parsed.diagnostics.push(no_cards(file, title_line));
    }
    let stem = super::stem_of(file);
    parsed.deck = Some(SourceDeck { file: file.to_path_buf(), stem, name, cards: vec![(); cards] });
    Ok((parsed, hasher.digest128()))
}

/// The offset of the first control character of a chunk, and whether it holds a CR that no LF
/// follows: one pass over the bytes, as the scan for control characters alone would be.
fn scan_chunk(text: &str) -> (Option<usize>, bool) {
    let bytes = text.as_bytes();
    let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    match (0..bytes.len()).position(|i| is_control_at(bytes, i) || lone_cr(i)) {
        None => (None, false),
        Some(i) if lone_cr(i) => (first_control(&text[i..]).map(|c| i + c), true),
        Some(i) => (Some(i), has_lone_cr(&bytes[i..])),
    }
}

/// Whether the bytes hold a carriage return that is not followed by a line feed: a line ending
/// of old Mac files (or a CRLF cut in two at the end of a block).
pub(super) fn has_lone_cr(bytes: &[u8]) -> bool {
    // A vectorised search from CR to CR: a file without CR costs one fast pass.
    memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'))
}

/// Turns each CR that is not followed by LF into LF, so that CR-only line endings are line
/// endings. A CR at the very end is one only when nothing follows (`at_end`): otherwise its LF
/// may come with the next block.
pub(super) fn lone_crs_to_lf(bytes: &mut [u8], at_end: bool) {
    for i in 0..bytes.len() {
        if bytes[i] == b'\r' {
            match bytes.get(i + 1) {
                Some(b'\n') => {}
                Some(_) => bytes[i] = b'\n',
                None if at_end => bytes[i] = b'\n',
                None => {}
            }
        }
    }
}

/// The 1-based line number of line `line` (1-based) of a block whose first line has the 0-based
/// index `block_start`.
fn line_after(block_start: usize, line: u32) -> u32 {
    u32::try_from(block_start).unwrap_or(u32::MAX).saturating_add(line)
}

/// Fills `buf` from `reader`; fewer bytes only at the end of the input.
pub(super) fn read_full(reader: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The title line, the text after it, and the 0-based index of the first line of that text.
fn split_title(text: &str, clean: Clean) -> Option<(Numbered<'_>, &str, usize)> {
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        offset += raw.len();
        if !raw.trim().is_empty() {
            let title = classify(raw, index, clean).next()?;
            return Some((title, &text[offset..], index + 1));
        }
    }
    None
}

/// Below this size a file is read in one piece.
const CHUNK_BYTES: usize = 1 << 20;

/// Cuts the text into pieces of about [`CHUNK_BYTES`] that each start at a heading line, with
/// the 0-based index of each piece's first line.
fn chunks_at_headings(text: &str, first_index: usize, rules: Rules) -> Vec<(&str, usize)> {
    let mut starts = vec![0];
    let mut target = CHUNK_BYTES;
    while target < text.len() {
        let Some(cut) = next_heading_start(text, target, rules) else { break };
        starts.push(cut);
        target = cut + CHUNK_BYTES;
    }
    starts.push(text.len());
    let pieces: Vec<&str> = starts.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    let newlines: Vec<usize> = pieces.par_iter().map(|p| p.bytes().filter(|&b| b == b'\n').count()).collect();
    let mut index = first_index;
    pieces
        .into_iter()
        .zip(newlines)
        .map(|(piece, count)| {
            let start = index;
            index += count;
            (piece, start)
        })
        .collect()
}

/// The byte offset of the first heading line after `from` that follows a card of two lines or
/// more (or of one line that is a card by `rules`: a cloze) that does not end with its separator.
/// The text may be cut there: a card of one line, or one ending with `---` or `<->`, is judged
/// with the card after it (E011), and the two must be read together; in a cloze deck, a card
/// whose `---` follows a deletion is a card ([`cloze_without_back`]).
fn next_heading_start(text: &str, from: usize, rules: Rules) -> Option<usize> {
    let mut offset = from + text.as_bytes()[from..].iter().position(|&b| b == b'\n')? + 1;
    // The lines of the card being passed over, whether they make a card whatever follows, and
    // whether one holds a cloze deletion that makes a card; none known before its heading is seen.
    let mut body: Option<(usize, bool, bool)> = None;
    for line in text[offset..].split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.is_empty() {
        } else if !trimmed.starts_with('\\') && is_heading(trimmed) {
            if body.is_some_and(|(_, whole, _)| whole) {
                return Some(offset);
            }
            body = Some((0, false, false));
        } else if let Some((lines, whole, cloze)) = &mut body {
            *lines += 1;
            let separator = trimmed == SEPARATOR || trimmed == REVERSE_SEPARATOR;
            let deletion = is_one_line_card(trimmed.strip_prefix('\\').unwrap_or(trimmed), rules);
            *whole = (*lines >= 2 && !separator) || deletion || (trimmed == SEPARATOR && *cloze);
            *cloze |= deletion;
        }
        offset += line.len();
    }
    None
}

/// Whether a line alone under its heading is a card by `rules`: in a cloze deck (or one whose
/// cloze cards are cloze notes), a line holding a cloze deletion that makes a card (`{{c1::…}}`,
/// not `{{c0::…}}`).
fn is_one_line_card(text: &str, rules: Rules) -> bool {
    (rules.one_line_cloze || rules.cloze_cards) && {
        let mut numbers = Vec::new();
        crate::notetype::add_cloze_numbers(text, &mut numbers);
        !numbers.is_empty()
    }
}

/// Turns the text into its non-blank lines, lazily: trimmed, NFC-normalised and classified.
/// `first_index` is the 0-based number of the text's first line in the file.
fn classify(text: &str, first_index: usize, clean: Clean) -> impl Iterator<Item = Numbered<'_>> + '_ {
    text.split('\n').enumerate().filter_map(move |(index, raw)| {
        let index = first_index + index;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = if let Some(escaped) = trimmed.strip_prefix('\\') {
            Line::Escaped(nfc(escaped, clean))
        } else if trimmed == SEPARATOR {
            Line::Separator
        } else if trimmed == REVERSE_SEPARATOR {
            Line::Reverse
        } else if is_heading(trimmed) {
            Line::Heading(nfc(trimmed, clean))
        } else {
            Line::Text(nfc(trimmed, clean))
        };
        Some(Numbered { number, line })
    })
}

/// The line in Unicode NFC, as Anki stores note text; most lines already are, and are copied.
/// Whether lines need control characters removed: known once for the whole file, so the common
/// clean file is not scanned for them line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clean {
    Nothing,
    Controls,
}

/// Control characters other than tab are dropped (U+001F is Anki's field separator).
fn nfc(line: &str, clean: Clean) -> Cow<'_, str> {
    let line: Cow<'_, str> = if clean == Clean::Controls && first_control(line).is_some() {
        line.chars().filter(|c| !is_unwanted_control(*c)).collect::<String>().into()
    } else {
        line.into()
    };
    if is_nfc_quick(&line) { line } else { line.nfc().collect::<String>().into() }
}

/// Whether the text is certainly in NFC. Every character below U+0300 is NFC with a combining
/// class of 0, so only the others are checked: leaving out class-0 characters can only make the
/// ordering check stricter, so a "yes" here is a "yes" for the whole text.
fn is_nfc_quick(text: &str) -> bool {
    // In UTF-8 a character from U+0300 on starts with a byte of 0xCC or more.
    match text.bytes().position(|b| b >= 0xcc) {
        None => true,
        Some(start) => {
            let rest = text[start..].chars().filter(|&c| c >= '\u{300}');
            unicode_normalization::is_nfc_quick(rest) == IsNormalized::Yes
        }
    }
}

fn is_unwanted_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The byte offset of the first control character other than tab and line breaks, scanning
/// bytes (C0, DEL, and C1 as `C2 80..9F` in UTF-8).
fn first_control(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).position(|i| is_control_at(bytes, i))
}

/// Whether a control character other than tab and line breaks starts at byte `i`.
fn is_control_at(bytes: &[u8], i: usize) -> bool {
    let b = bytes[i];
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        || b == 0x7f
        || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
}

/// A heading has at least one capital letter and no lowercase letter. (Requiring a capital,
/// not just a letter, keeps lines in scripts without case, such as Chinese, from reading as
/// headings.)
pub fn is_heading(line: &str) -> bool {
    line.chars().any(char::is_uppercase) && !line.chars().any(char::is_lowercase)
}

/// Whether a line ends a sentence: its last character, after closing quotes and brackets, is one
/// of `. ! ? …`.
pub fn ends_sentence(line: &str) -> bool {
    line.trim_end_matches(CLOSERS).ends_with(SENTENCE_ENDS)
}

/// The deck name from the title line: a trailing word `Flashcards` (any case) is dropped.
fn deck_name<C>(file: &Path, title: &Numbered<'_>, parsed: &mut Parsed<C>) -> String {
    let text = match &title.line {
        Line::Heading(t) | Line::Text(t) | Line::Escaped(t) => t.as_ref(),
        Line::Separator => SEPARATOR,
        Line::Reverse => REVERSE_SEPARATOR,
    };
    let name = match text.rsplit_once(char::is_whitespace) {
        Some((head, last)) if last.eq_ignore_ascii_case("flashcards") => head.trim_end(),
        _ if text.eq_ignore_ascii_case("flashcards") => "",
        _ => text,
    };
    let components: Vec<&str> = name.split("::").map(str::trim).filter(|c| !c.is_empty()).collect();
    if components.is_empty() {
        let stem = super::stem_of(file);
        parsed.diagnostics.push(
            Diagnostic::new(Code::W001, file, title.number, "the title line gives no deck name")
                .with_hint(format!("the deck is named after the file: `{stem}`")),
        );
        return stem;
    }
    let name = components.join("::");
    if name.eq_ignore_ascii_case("default") {
        parsed.diagnostics.push(
            Diagnostic::new(Code::E009, file, title.number, "a deck cannot be named `Default`")
                .with_hint("Anki would put these cards into the user's own Default deck; rename the title"),
        );
    }
    name
}

/// Reads the cards that follow the title.
fn read_cards<'a, C>(
    file: &Path,
    lines: impl Iterator<Item = Numbered<'a>>,
    diagnostics: &mut Vec<Diagnostic>,
    rules: Rules,
    map: &impl Fn(CardText<'_>) -> C,
) -> Vec<C> {
    let mut reader =
        CardReader { file, diagnostics, rules, map, cards: Vec::new(), body: Vec::new(), pending: None };
    // The heading of the card being read.
    let mut current: Option<(u32, Cow<'a, str>)> = None;
    let mut reported_orphan = false;
    for numbered in lines {
        if let Line::Heading(section) = numbered.line {
            if let Some((line, section)) = current.take() {
                reader.finish(line, &section);
            }
            current = Some((numbered.number, section));
        } else if current.is_some() {
            reader.body.push(numbered);
        } else if !reported_orphan {
            reported_orphan = true;
            // The first heading typed in title case (`Greetings`) is the usual cause: name it.
            let hint = match &numbered.line {
                Line::Text(text) => lint::heading_typo_hint(text),
                _ => None,
            };
            let hint = hint.unwrap_or_else(|| {
                "start each card with an ALL-CAPS heading line, e.g. `THE KIROV AFFAIR, 1934`; \
                 a file that is not a deck is skipped when its name starts with `_`"
                    .to_string()
            });
            reader.diagnostics.push(
                Diagnostic::new(Code::E004, file, numbered.number, "text before the first heading")
                    .with_hint(hint),
            );
        }
    }
    if let Some((line, section)) = current {
        reader.finish(line, &section);
    }
    if let Some(pending) = reader.pending.take() {
        reader.diagnostics.push(pending.diagnostic(file, None, rules));
    }
    reader.cards
}

/// The state of [`read_cards`]: the cards read so far and the body of the card being read.
struct CardReader<'f, 'a, 'd, C, M> {
    file: &'f Path,
    diagnostics: &'d mut Vec<Diagnostic>,
    rules: Rules,
    map: &'f M,
    cards: Vec<C>,
    /// The body of the card being read; the buffer is reused card to card.
    body: Vec<Numbered<'a>>,
    /// A card without an answer, whose error waits for the next card: if that one has no text
    /// of its own either, the "heading" between them is the answer, in capitals (E011).
    pending: Option<Unanswered>,
}

/// A card whose answer may be the next heading, written in capitals.
#[derive(Debug, Clone, Copy)]
enum Unanswered {
    /// A card of one line (E006), at the line of its text.
    OneLine(u32),
    /// A card whose last line is its separator, `---` or `<->` (E008), at the separator.
    EndsWithSeparator(u32, &'static str),
}

impl Unanswered {
    /// Its error, when the heading after it (`next`, if any) has a card of its own.
    fn diagnostic(self, file: &Path, next: Option<&str>, rules: Rules) -> Diagnostic {
        match self {
            Unanswered::OneLine(line) => one_line(file, line, next, rules),
            Unanswered::EndsWithSeparator(line, marker) => {
                let mut diagnostic = empty_side(file, line, "back", marker);
                if let (Some(hint), Some(next)) = (&mut diagnostic.hint, next) {
                    hint.push_str(&capitals_hint(next));
                }
                diagnostic
            }
        }
    }
}

impl<C, M: Fn(CardText<'_>) -> C> CardReader<'_, '_, '_, C, M> {
    /// Ends the card whose heading is `section` at `line`: its body is complete.
    fn finish(&mut self, line: u32, section: &str) {
        // A line alone that is a card by the rules (a cloze) is a card with an empty back.
        let one_line_card = self.body.len() == 1 && is_one_line_card(self.body[0].text(), self.rules);
        let is_lone = self.body.len() == 1 && !self.body[0].is_separator() && !one_line_card;
        if let Some(pending) = self.pending.take() {
            if self.body.is_empty() || is_lone {
                self.diagnostics.push(capital_answer(self.file, line, section));
                self.body.clear();
                return;
            }
            self.diagnostics.push(pending.diagnostic(self.file, Some(section), self.rules));
        }
        if is_lone {
            self.pending = Some(Unanswered::OneLine(self.body[0].number));
            self.body.clear();
            return;
        }
        if let Some(front) = cloze_without_back(&self.body, self.rules) {
            lint::heading_like_text(self.file, &self.body, self.diagnostics);
            let lines: Vec<&str> = front.iter().map(Numbered::text).collect();
            self.cards.push((self.map)(CardText {
                line,
                section,
                front: &lines,
                back: &[],
                reverse: None,
                markup: None,
            }));
            self.body.clear();
            return;
        }
        // `---` (or `<->`) last, and no other separator (two are E007): the answer written after
        // it may have been read as the next heading.
        if let [before @ .., last] = self.body.as_slice()
            && !before.is_empty()
            && last.is_separator()
            && !before.iter().any(Numbered::is_separator)
        {
            let marker = if last.line == Line::Reverse { REVERSE_SEPARATOR } else { SEPARATOR };
            self.pending = Some(Unanswered::EndsWithSeparator(last.number, marker));
            self.body.clear();
            return;
        }
        if one_line_card {
            let card = CardText {
                line,
                section,
                front: &[self.body[0].text()],
                back: &[],
                reverse: None,
                markup: None,
            };
            self.cards.push((self.map)(card));
            self.body.clear();
            return;
        }
        let card = split_body(self.file, line, section, &self.body, self.diagnostics).map(|split| {
            let lines: Vec<&str> = self.body.iter().map(Numbered::text).collect();
            let (front, back) = (&lines[..split.front_end], &lines[split.back_start..]);
            (self.map)(CardText { line, section, front, back, reverse: split.reverse, markup: None })
        });
        self.cards.extend(card);
        self.body.clear();
    }
}

/// In a cloze deck, the front of a card that ends with `---` after a line holding a cloze
/// deletion: its `Back Extra` is empty, as a card of one line's is. (Without it, a text of several
/// lines that each hide something would put its last line in `Back Extra`, which hides nothing.)
fn cloze_without_back<'b, 'a>(body: &'b [Numbered<'a>], rules: Rules) -> Option<&'b [Numbered<'a>]> {
    match body {
        [front @ .., last]
            if last.line == Line::Separator
                && !front.iter().any(Numbered::is_separator)
                && front.iter().any(|n| is_one_line_card(n.text(), rules)) =>
        {
            Some(front)
        }
        _ => None,
    }
}

/// E006 at `line`; `next` is the heading after the card, which may be its answer in capitals.
fn one_line(file: &Path, line: u32, next: Option<&str>, rules: Rules) -> Diagnostic {
    let mut hint = String::from("put the answer on its own line, after the line that ends the question");
    // Said in a cloze deck only: in another, a one-line cloze card is rarely what was meant.
    if rules.one_line_cloze {
        hint.push_str(
            ", or mark a cloze deletion in it (`{{c1::…}}`): a cloze card of one line needs no back",
        );
    }
    if let Some(next) = next {
        hint.push_str(&capitals_hint(next));
    }
    Diagnostic::new(Code::E006, file, line, "the card has one line: it cannot be split into front and back")
        .with_hint(hint)
}

/// The end of a hint for a card without an answer followed by the heading `next`.
fn capitals_hint(next: &str) -> String {
    format!(
        "; if the next line, `{next}`, is the answer, write it as `\\{next}` (a line in capitals is a heading)"
    )
}

/// E008 at the separator `marker` on `line`, which leaves the card's `side` empty.
fn empty_side(file: &Path, line: u32, side: &str, marker: &str) -> Diagnostic {
    Diagnostic::new(Code::E008, file, line, format!("the card's {side} is empty")).with_hint(format!(
        "put `{marker}` on its own line between the front and the back; {}",
        literal_separator(marker)
    ))
}

/// How a line that is the text of a separator is written (a card about arrows may need `<->`).
pub fn literal_separator(marker: &str) -> String {
    format!("a line that is the text `{marker}` is written `\\{marker}`")
}

/// E011: the heading at `line` follows a card of one line and has no card of its own: it is
/// that card's answer, written in capitals.
fn capital_answer(file: &Path, line: u32, text: &str) -> Diagnostic {
    let message =
        format!("`{text}` is in capitals, so it reads as a heading and the card above it has no answer");
    Diagnostic::new(Code::E011, file, line, message).with_hint(format!(
        "if `{text}` is the answer, write it as `\\{text}`: a line starting with `\\` is always text"
    ))
}

/// Where a card's body splits into front and back.
struct Split {
    /// The index of the line after the front.
    front_end: usize,
    /// The index of the back's first line (after the separator, if there is one).
    back_start: usize,
    /// The separator's line when it was [`REVERSE_SEPARATOR`].
    reverse: Option<u32>,
}

/// Where a card's front ends and its back starts, or `None` after reporting why it has none.
fn split_body(
    file: &Path,
    line: u32,
    section: &str,
    body: &[Numbered<'_>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Split> {
    let mut separators = body.iter().enumerate().filter(|(_, n)| n.is_separator()).map(|(i, _)| i);
    let (first_separator, second_separator) = (separators.next(), separators.next());
    if body.is_empty() {
        let message = format!("the heading `{section}` has no card text under it");
        diagnostics.push(
            Diagnostic::new(Code::E005, file, line, message)
                .with_hint("write the front and the back on the lines after the heading; a line of capitals meant as text needs a `\\` in front"),
        );
        return None;
    }
    let split_at = match (first_separator, second_separator) {
        (None, _) => {
            let (split_at, fallback) = sentence_split(body);
            if !lint::heading_like_text(file, body, diagnostics) {
                lint::sentence_split(file, body, split_at, fallback, diagnostics);
            }
            split_at
        }
        (Some(at), None) => {
            if at == 0 || at == body.len() - 1 {
                let side = if at == 0 { "front" } else { "back" };
                diagnostics.push(empty_side(file, body[at].number, side, body[at].text()));
                return None;
            }
            lint::heading_like_text(file, body, diagnostics);
            at
        }
        (Some(first), Some(second)) => {
            let at = body[second].number;
            let (first, second) = (body[first].text(), body[second].text());
            let (message, hint) = if first == second {
                (
                    format!("a second `{second}` in one card"),
                    format!(
                        "a card has one `{second}` line, between its front and its back; {}",
                        literal_separator(second)
                    ),
                )
            } else {
                (
                    format!("a `{second}` after a `{first}` in one card"),
                    format!(
                        "a card has one separator line between its front and its back: `{REVERSE_SEPARATOR}` to ask for the reverse card, else `{SEPARATOR}`; {}",
                        literal_separator(second)
                    ),
                )
            };
            diagnostics.push(Diagnostic::new(Code::E007, file, at, message).with_hint(hint));
            return None;
        }
    };
    let reverse = first_separator.filter(|at| body[*at].line == Line::Reverse).map(|at| body[at].number);
    Some(Split {
        front_end: split_at,
        back_start: split_at + usize::from(first_separator.is_some()),
        reverse,
    })
}

impl Numbered<'_> {
    /// The line's text (the marker for a separator).
    fn text(&self) -> &str {
        match &self.line {
            Line::Text(t) | Line::Heading(t) | Line::Escaped(t) => t,
            Line::Separator => SEPARATOR,
            Line::Reverse => REVERSE_SEPARATOR,
        }
    }

    /// Whether the line is a separator (`---` or `<->`).
    fn is_separator(&self) -> bool {
        matches!(self.line, Line::Separator | Line::Reverse)
    }
}

/// The index where the back starts by the sentence rule in a body of two lines or more, and
/// whether the fallback decided it (no line but perhaps the last stops mid-sentence).
fn sentence_split(body: &[Numbered<'_>]) -> (usize, bool) {
    let last = body.len() - 1;
    let cut = body.iter().position(|n| match &n.line {
        Line::Text(t) | Line::Escaped(t) => !ends_sentence(t),
        _ => false,
    });
    match cut {
        Some(i) if i < last => (i + 1, false),
        _ => (last, true),
    }
}

/// Where some bytes start: at the start of the file, or inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    File,
    Inside,
}

/// The 1-based line and column of a byte offset. A byte-order mark is not text: it takes no column.
///
/// Only at the start of the file is a leading U+FEFF a byte-order mark. (A later block of a file
/// read in blocks may start with a line that begins with one, and there it is a character like
/// any other.)
fn position_of(bytes: &[u8], offset: usize, start: Start) -> (u32, u32) {
    let before = &bytes[..offset];
    let before = match start {
        Start::File => before.strip_prefix("\u{feff}".as_bytes()).unwrap_or(before),
        Start::Inside => before,
    };
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(column).unwrap_or(u32::MAX))
}

#[path = "txt_lint.rs"]
mod lint;

#[cfg(test)]
#[path = "txt_tests.rs"]
mod tests;
