//! The lock's entry types (note type, deck, note) and their lines: how each is written and
//! parsed, with the escaping of text columns. Pushed and split by hand: a note line is written
//! and read once per note of every deck a build touches.

use crate::ids::{CardId, DeckId, NoteId, NotetypeId};
use crate::sketch::Sketch;
use std::fmt::Write as _;

/// A note type's identity and the hash of the definition its `mod` belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotetypeEntry {
    pub id: NotetypeId,
    pub mtime: i64,
    pub hash: u64,
    pub name: String,
}

/// A deck's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckEntry {
    pub id: DeckId,
    pub mtime: i64,
    pub name: String,
}

/// A note's identity and what is needed to match it against the next build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEntry {
    pub guid: String,
    pub note_id: NoteId,
    pub card_id: CardId,
    /// Seconds: when its content last changed.
    pub mtime: i64,
    /// Hash of the fields and tags (what an Anki update would write).
    pub content: u64,
    /// Hash of the front field's HTML.
    pub front: u64,
    /// Hash of the back field's HTML.
    pub back: u64,
    /// Word sketch of the front, for matching lightly edited cards side by side. Empty for an
    /// entry read from a version-1 lock (it had one sketch of both sides, which the per-side
    /// rule cannot use).
    pub front_sketch: Sketch,
    /// Word sketch of the back (as `front_sketch`).
    pub back_sketch: Sketch,
    /// Source line in the build that wrote it (0 = unknown, e.g. recovered from a package).
    pub line: u32,
    /// The start of the front as text, to name removed cards.
    pub preview: String,
}

/// A deck's lock line (`key_text` is the escaped deck key).
pub(super) fn push_deck_line(line: &mut String, key_text: &str, deck: &DeckEntry) {
    let _ = writeln!(line, "deck\t{key_text}\t{}\t{}\t{}", deck.id.0, deck.mtime, escape(&deck.name));
}

/// A note's lock line (`key_text` is the escaped deck key). Pushed by hand rather than with
/// `writeln!`: this runs once per note.
pub(super) fn push_note_line(line: &mut String, key_text: &str, n: &NoteEntry) {
    line.push_str("note\t");
    line.push_str(key_text);
    push_field_int(line, i64::from(n.line));
    line.push('\t');
    line.push_str(&n.guid);
    for number in [n.note_id.0, n.card_id.0, n.mtime] {
        push_field_int(line, number);
    }
    for hash in [n.content, n.front, n.back] {
        line.push('\t');
        push_hex16(line, hash);
    }
    line.push('\t');
    n.front_sketch.push_hex(line);
    line.push('\t');
    n.back_sketch.push_hex(line);
    line.push('\t');
    push_escaped(line, &n.preview);
    line.push('\n');
}

/// Pushes a tab and a decimal number.
pub(super) fn push_field_int(out: &mut String, n: i64) {
    out.push('\t');
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// Pushes a number as 16 lowercase hex digits.
pub(crate) fn push_hex16(out: &mut String, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        out.push(HEX[((n >> (shift * 4)) & 0xf) as usize] as char);
    }
}

pub(super) fn parse_notetype(cols: &[&str]) -> Option<NotetypeEntry> {
    let [_, id, mtime, hash, name] = cols else { return None };
    Some(NotetypeEntry {
        id: NotetypeId(id.parse().ok()?),
        mtime: mtime.parse().ok()?,
        hash: u64::from_str_radix(hash, 16).ok()?,
        name: unescape(name),
    })
}

pub(super) fn parse_deck(cols: &[&str]) -> Option<(String, DeckEntry)> {
    let [_, key, id, mtime, name] = cols else { return None };
    let entry = DeckEntry { id: DeckId(id.parse().ok()?), mtime: mtime.parse().ok()?, name: unescape(name) };
    Some((unescape(key), entry))
}

/// The number of columns of a note line, as [`parse_note`] reads them (version 2), and of a
/// version-1 note line.
pub(super) const NOTE_COLUMNS: usize = 13;
pub(super) const NOTE_COLUMNS_V1: usize = 12;

/// A note line: its deck key as written (escaped) and its entry. A version-2 line has a sketch
/// per side; a version-1 line (12 columns) has one sketch of both sides together, which is
/// dropped: its entry keeps its identity, and the build computes its sketches from the deck's
/// previous package ([`Lock::version_1`] names such decks) or matches it by its unchanged sides
/// only. (Version-1 lines may stand in a version-2 file: the section of
/// a deck that is not rebuilt is carried over as it is.)
pub(super) fn parse_note<'a>(cols: &[&'a str]) -> Option<(&'a str, NoteEntry)> {
    let (key, line, guid, nid, cid, mtime, content, front, back, front_sketch, back_sketch, preview) =
        match cols {
            [
                _,
                key,
                line,
                guid,
                nid,
                cid,
                mtime,
                content,
                front,
                back,
                front_sketch,
                back_sketch,
                preview,
            ] => {
                let sketches = (front_sketch.parse().ok()?, back_sketch.parse().ok()?);
                (key, line, guid, nid, cid, mtime, content, front, back, sketches.0, sketches.1, preview)
            }
            [_, key, line, guid, nid, cid, mtime, content, front, back, sketch, preview] => {
                // The old sketch is not used, but it must be one: up to 16 values of 4 hex digits.
                let hex = sketch.len().is_multiple_of(4)
                    && sketch.len() <= 64
                    && sketch.bytes().all(|b| b.is_ascii_hexdigit());
                if *sketch != "-" && !hex {
                    return None;
                }
                (
                    key,
                    line,
                    guid,
                    nid,
                    cid,
                    mtime,
                    content,
                    front,
                    back,
                    Sketch::default(),
                    Sketch::default(),
                    preview,
                )
            }
            _ => return None,
        };
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    let entry = NoteEntry {
        guid: (*guid).to_string(),
        note_id: NoteId(nid.parse().ok()?),
        card_id: CardId(cid.parse().ok()?),
        mtime: mtime.parse().ok()?,
        content: hex(content)?,
        front: hex(front)?,
        back: hex(back)?,
        front_sketch,
        back_sketch,
        line: line.parse().ok()?,
        preview: unescape(preview),
    };
    Some((key, entry))
}

/// Escapes `\`, tab and newlines so a value fits in one column.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// Appends `text` with backslash, tab and line breaks escaped (as [`escape`]).
pub(super) fn push_escaped(out: &mut String, text: &str) {
    crate::html::push_replacing_ascii(text, out, |b| match b {
        b'\\' => Some("\\\\"),
        b'\t' => Some("\\t"),
        b'\n' => Some("\\n"),
        b'\r' => Some("\\r"),
        _ => None,
    });
}

pub(super) fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
