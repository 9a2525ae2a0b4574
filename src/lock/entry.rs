//! The lock's entry types (note type, deck, note) and their lines: how each is written and
//! parsed, with the escaping of text columns. Pushed and split by hand: a note line is written
//! and read once per note of every deck a build touches.

use crate::ids::{CardIds, DeckId, NoteId, NotetypeId};
use crate::model::NoteKind;
use crate::notetype::Schema;
use crate::sketch::Sketch;
use std::fmt::Write as _;

/// A note type's identity and the hash of the definition its `mod` belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotetypeEntry {
    pub id: NotetypeId,
    pub mtime: i64,
    pub hash: u64,
    pub name: String,
    /// What Anki compares on import (kind, field and template ids): the next build compares it
    /// with the note type it makes. `None` when read from a lock before version 4.
    pub schema: Option<Schema>,
}

/// A deck's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckEntry {
    pub id: DeckId,
    pub mtime: i64,
    pub name: String,
    /// The note type its notes were built with; `None` when read from a lock before version 4
    /// (one note type for every deck then).
    pub notetype: Option<NotetypeId>,
    /// The note type of its cloze cards (the built-in `cloze`), when its own is not cloze and it
    /// has some. Its note lines do not say which notes they are: their hashes and sketches are
    /// seeded by their kind ([`crate::identify::NoteKey::of`]), so no other note matches them.
    pub cloze_cards: Option<NotetypeId>,
}

/// A note's identity and what is needed to match it against the next build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEntry {
    pub guid: String,
    pub note_id: NoteId,
    /// Every card's id, by template ordinal.
    pub card_ids: CardIds,
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
    /// The start of the front as text, to name removed cards.
    pub preview: String,
    /// Which of its deck's note types it is of: its own, or (a cloze card of a deck of another
    /// note type) the one its deck line names after `+`.
    pub kind: NoteKind,
}

/// A deck's lock line (`key_text` is the escaped deck key).
/// Since version 4 it ends with the deck's note type id (`-` if unknown: a deck kept from an
/// older lock), followed by `+` and the id of its cloze cards' note type when it has some
/// (`1732999311601+1732999311605`; a deck without keeps the line it had).
pub(super) fn push_deck_line(line: &mut String, key_text: &str, deck: &DeckEntry) {
    let _ = write!(line, "deck\t{key_text}\t{}\t{}\t{}\t", deck.id.0, deck.mtime, escape(&deck.name));
    match deck.notetype {
        Some(id) => push_int(line, id.0),
        None => line.push('-'),
    }
    if let Some(id) = deck.cloze_cards {
        line.push('+');
        push_int(line, id.0);
    }
    line.push('\n');
}

/// A note type's lines: `notetype`, id, mod, hash, name and (since version 4) kind, then a
/// `field` and a `template` line for each of its fields and templates, in order (id and name).
pub(super) fn push_notetype_lines(line: &mut String, nt: &NotetypeEntry) {
    let _ = write!(line, "notetype\t{}\t{}\t{:016x}\t{}", nt.id.0, nt.mtime, nt.hash, escape(&nt.name));
    let Some(schema) = &nt.schema else {
        line.push('\n');
        return;
    };
    let _ = writeln!(line, "\t{}", if schema.cloze { "cloze" } else { "normal" });
    for (what, list) in [("field", &schema.fields), ("template", &schema.templates)] {
        for (id, name) in list {
            let _ = writeln!(line, "{what}\t{}\t{id}\t{}", nt.id.0, escape(name));
        }
    }
}

/// A note's lock line (`key_text` is the escaped deck key): key, guid, note id, card ids by
/// ordinal (`1001,1002`), mod, the content, front and back hashes, the two sketches, preview,
/// and for a note of another note type than its deck's, a last column saying which (`cloze`).
/// No source line number: a line changes only when its note does. Pushed by hand rather than
/// with `writeln!`: this runs once per note.
pub(super) fn push_note_line(line: &mut String, key_text: &str, n: &NoteEntry) {
    line.push_str("note\t");
    line.push_str(key_text);
    line.push('\t');
    line.push_str(&n.guid);
    push_field_int(line, n.note_id.0);
    line.push('\t');
    n.card_ids.write_to(line, push_int);
    push_field_int(line, n.mtime);
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
    if n.kind == NoteKind::Cloze {
        line.push_str("\tcloze");
    }
    line.push('\n');
}

/// Pushes a tab and a decimal number.
pub(super) fn push_field_int(out: &mut String, n: i64) {
    out.push('\t');
    push_int(out, n);
}

/// Pushes a decimal number.
fn push_int(out: &mut String, n: i64) {
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

/// A `notetype` line: five columns before version 4 (no schema), six since (the kind; its
/// fields and templates follow on lines of their own, see [`push_schema_line`]).
pub(super) fn parse_notetype(cols: &[&str]) -> Option<NotetypeEntry> {
    let (id, mtime, hash, name, kind) = match cols {
        [_, id, mtime, hash, name] => (id, mtime, hash, name, None),
        [_, id, mtime, hash, name, kind] => (id, mtime, hash, name, Some(*kind)),
        _ => return None,
    };
    let schema = match kind {
        None => None,
        Some("normal") => Some(Schema { cloze: false, fields: Vec::new(), templates: Vec::new() }),
        Some("cloze") => Some(Schema { cloze: true, fields: Vec::new(), templates: Vec::new() }),
        Some(_) => return None,
    };
    Some(NotetypeEntry {
        id: NotetypeId(id.parse().ok()?),
        mtime: mtime.parse().ok()?,
        hash: u64::from_str_radix(hash, 16).ok()?,
        name: unescape(name),
        schema,
    })
}

/// A `field` or `template` line (note type id, the field's or template's id, its name) added to
/// the schema of its note type in `notetypes`; `None` if it is malformed or its note type has no
/// line with a kind before it.
pub(super) fn push_schema_line(
    cols: &[&str],
    notetypes: &mut std::collections::BTreeMap<i64, NotetypeEntry>,
) -> Option<()> {
    let [what, ntid, id, name] = cols else { return None };
    let schema = notetypes.get_mut(&ntid.parse().ok()?)?.schema.as_mut()?;
    let list = if *what == "field" { &mut schema.fields } else { &mut schema.templates };
    list.push((id.parse().ok()?, unescape(name)));
    Some(())
}

/// A `deck` line: five columns before version 4, six since (the note type id, or `-`, and
/// `+` the note type id of its cloze cards if it has some).
pub(super) fn parse_deck(cols: &[&str]) -> Option<(String, DeckEntry)> {
    let (key, id, mtime, name, types) = match cols {
        [_, key, id, mtime, name] => (key, id, mtime, name, "-"),
        [_, key, id, mtime, name, types] => (key, id, mtime, name, *types),
        _ => return None,
    };
    let (own, cloze_cards) = match types.split_once('+') {
        Some((own, cloze)) => (own, Some(NotetypeId(cloze.parse().ok()?))),
        None => (types, None),
    };
    let notetype = match own {
        "-" => None,
        own => Some(NotetypeId(own.parse().ok()?)),
    };
    let entry = DeckEntry {
        id: DeckId(id.parse().ok()?),
        mtime: mtime.parse().ok()?,
        name: unescape(name),
        notetype,
        cloze_cards,
    };
    Some((unescape(key), entry))
}

/// The number of columns of a note line, as [`parse_note`] reads them (version 3).
pub(super) const NOTE_COLUMNS: usize = 12;

/// A note line of a lock of version `version`: its deck key as written (escaped) and its entry.
/// Lines of older versions are read by [`super::upgrade`].
pub(super) fn parse_note<'a>(cols: &[&'a str], version: u32) -> Option<(&'a str, NoteEntry)> {
    if version < 3 {
        return super::upgrade::parse_old_note(cols);
    }
    let (cols, kind) = match cols {
        [cols @ .., "cloze"] if cols.len() == NOTE_COLUMNS => (cols, NoteKind::Cloze),
        cols => (cols, NoteKind::Own),
    };
    let [_, key, guid, nid, cids, mtime, content, front, back, front_sketch, back_sketch, preview] = cols
    else {
        return None;
    };
    let fields = NoteFields { guid, nid, cids, mtime, content, front, back, preview };
    let entry = fields.entry(front_sketch.parse().ok()?, back_sketch.parse().ok()?)?;
    Some((key, NoteEntry { kind, ..entry }))
}

/// The text columns of a note line that every version has.
pub(super) struct NoteFields<'a> {
    pub guid: &'a str,
    pub nid: &'a str,
    /// The card ids (one, before version 3).
    pub cids: &'a str,
    pub mtime: &'a str,
    pub content: &'a str,
    pub front: &'a str,
    pub back: &'a str,
    pub preview: &'a str,
}

impl NoteFields<'_> {
    /// The entry, if every number and hash is one.
    pub fn entry(&self, front_sketch: Sketch, back_sketch: Sketch) -> Option<NoteEntry> {
        let hex = |s: &str| u64::from_str_radix(s, 16).ok();
        Some(NoteEntry {
            guid: self.guid.to_string(),
            note_id: NoteId(self.nid.parse().ok()?),
            card_ids: CardIds::parse(self.cids)?,
            mtime: self.mtime.parse().ok()?,
            content: hex(self.content)?,
            front: hex(self.front)?,
            back: hex(self.back)?,
            front_sketch,
            back_sketch,
            preview: unescape(self.preview),
            kind: NoteKind::Own,
        })
    }
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
