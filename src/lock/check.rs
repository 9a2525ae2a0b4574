//! Checks of a lock file read back: every deck section of a version-2 lock ends with an `end`
//! line holding its note count and the xxh3-64 of its text, so a section cut short, merged badly
//! or edited by hand is found before its identities are trusted. A damaged section is not used:
//! the build reads its deck's identities back from the deck's package, or does not build it.
//! Also: git merge-conflict markers, and a guid, note id or card id used twice.

use super::upgrade::{NOTE_COLUMNS_V1, NOTE_COLUMNS_V2};
use super::{NOTE_COLUMNS, parse_deck, parse_note, unescape};
use rayon::prelude::*;
use std::collections::HashMap;

/// Why a deck's section of the lock cannot be trusted, and where (1-based line in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub line: usize,
    pub problem: String,
}

/// Pushes a section's `end` line: its deck key (escaped), its note count and the xxh3-64 of its
/// text from the deck line through the last note line.
pub(super) fn push_trailer(out: &mut String, key_text: &str, count: u64, hash: u64) {
    out.push_str("end\t");
    out.push_str(key_text);
    super::push_field_int(out, i64::try_from(count).unwrap_or(i64::MAX));
    out.push('\t');
    super::push_hex16(out, hash);
    out.push('\n');
}

/// The line of a git merge-conflict marker, if `line` is one.
pub(super) fn is_conflict_marker(line: &str) -> bool {
    matches!(line.as_bytes().first(), Some(b'<' | b'=' | b'>' | b'|'))
        && ["<<<<<<<", "=======", ">>>>>>>", "|||||||"].iter().any(|m| line.starts_with(m))
}

/// Counts the `\n` of `text`.
fn newlines(text: &str) -> usize {
    // memchr's search, not a byte loop: a large section is counted on every rebuild.
    memchr::memchr_iter(b'\n', text.as_bytes()).count()
}

/// Checks the `end` line of one deck's section (`text`, as it stands in the file from line
/// `first_line` + 1, 1-based): present, naming the deck, with the right count and checksum. Only
/// the trailer, count and checksum are checked here; [`diagnose`] says what is wrong in detail.
/// Returns the number of lines of `text`.
pub(super) fn check_section(text: &str, key: &str, first_line: usize) -> Result<usize, Damage> {
    // Blank lines after the end line change nothing.
    let content = text.trim_end_matches(['\n', '\r', ' ']);
    let start = content.rfind('\n').map_or(0, |p| p + 1);
    let (last, body) = (&content[start..], &text[..start]);
    // Both passes over a large section at once: this is on the way of every rebuild. A lock
    // checked out with CRLF line ends (git's `core.autocrlf`) is checked as written, with LF.
    let crlf = text[start..].contains('\r');
    let (body_lines, body_hash) = rayon::join(
        || newlines(body),
        || match crlf {
            true => xxhash_rust::xxh3::xxh3_64(body.replace("\r\n", "\n").as_bytes()),
            false => xxhash_rust::xxh3::xxh3_64(body.as_bytes()),
        },
    );
    let last_line = first_line + body_lines + 1;
    if !last.starts_with("end\t") {
        return Err(Damage {
            line: last_line,
            problem: format!(
                "the section of deck `{key}` ends without its `end` line: the lock was cut short, \
                 or lines were lost in a merge or an edit"
            ),
        });
    }
    let bad = |what: &str| Damage { line: last_line, problem: format!("a bad `end` line ({what})") };
    let cols: Vec<&str> = last.split('\t').collect();
    let [_, named, count, hash] = cols[..] else {
        return Err(bad("it needs 4 columns: end, deck, note count, checksum"));
    };
    if unescape(named) != key {
        return Err(Damage {
            line: last_line,
            problem: format!(
                "the `end` line names deck `{}`, but it ends the section of deck `{key}`",
                unescape(named)
            ),
        });
    }
    let count: usize = count.parse().map_err(|_| bad("its note count is not a number"))?;
    let hash = (hash.len() == 16).then(|| u64::from_str_radix(hash, 16).ok()).flatten();
    let hash = hash.ok_or_else(|| bad("its checksum is not 16 hex digits"))?;
    let notes = body_lines - usize::from(body.starts_with("deck\t"));
    if notes != count {
        return Err(Damage {
            line: last_line,
            problem: format!(
                "the section of deck `{key}` has {notes} note lines, its `end` line says {count}: \
                 lines were lost or added (a cut, a merge or an edit)"
            ),
        });
    }
    if body_hash != hash {
        return Err(Damage {
            line: last_line,
            problem: format!(
                "the section of deck `{key}` (lines {}-{}) does not match the checksum on its `end` \
                 line: it was edited by hand",
                first_line + 1,
                last_line - 1
            ),
        });
    }
    Ok(body_lines + newlines(&text[start..]) + usize::from(!text.ends_with('\n')))
}

/// A more precise account of what is wrong in a damaged section, when there is one: a line cut
/// short or not an entry, a line repeated, a guid, note id or card id used twice in the section,
/// or a guid that another deck's line of the lock (`whole`, of version `version`, in which the
/// section starts at byte `offset`, line `first_line` + 1) also uses.
/// Slow; for a section already known to be damaged.
pub(super) fn diagnose(
    whole: &str,
    offset: usize,
    section: &str,
    first_line: usize,
    version: u32,
) -> Option<Damage> {
    // The columns a note line has in this version (before version 3, 12 or 13).
    let (fewest, most) =
        if version < 3 { (NOTE_COLUMNS_V1, NOTE_COLUMNS_V2) } else { (NOTE_COLUMNS, NOTE_COLUMNS) };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut ids: HashMap<(&str, String), usize> = HashMap::new();
    let at = |index: usize, problem: String| Some(Damage { line: first_line + index + 1, problem });
    for (index, line) in section.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        // Since version 3, a note of another note type than its deck's has one more: `cloze`.
        let most = match version >= 3 && cols.last() == Some(&"cloze") {
            true => NOTE_COLUMNS + 1,
            false => most,
        };
        let problem = match cols[0] {
            "end" => continue,
            "deck" if parse_deck(&cols).is_none() => {
                "a bad deck line (a column is missing or not a number)".into()
            }
            "note" if cols.len() < fewest => {
                format!("a note line cut short: it has {} of its {most} columns", cols.len())
            }
            "note" if cols.len() > most => format!("a note line with {} columns, not {most}", cols.len()),
            "note" if parse_note(&cols, version).is_none() => {
                "a bad note line (a number or a hash is not what it should be)".into()
            }
            "deck" | "note" => String::new(),
            other => format!("unknown entry `{other}`"),
        };
        if !problem.is_empty() {
            return at(index, problem);
        }
        if let Some(first) = seen.insert(line, index) {
            return at(index, format!("a repeated line: it is the same as line {}", first_line + first + 1));
        }
        if let Some((_, entry)) = parse_note(&cols, version) {
            for (what, value) in note_ids(&entry) {
                if let Some(first) = ids.insert((what, value.clone()), index) {
                    return at(
                        index,
                        format!("{what} {value} is also used on line {}", first_line + first + 1),
                    );
                }
            }
        }
    }
    // The same guid elsewhere in the lock. (A note id or card id of another deck is no damage:
    // two merged branches can give the same ids; see [`super::IdClash`].)
    for (number, line) in whole.lines().enumerate() {
        let start = line.as_ptr() as usize - whole.as_ptr() as usize;
        if (offset..offset + section.len()).contains(&start) {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let Some((other, entry)) = parse_note(&cols, version) else { continue };
        for (what, value) in note_ids(&entry).into_iter().take(1) {
            if let Some(index) = ids.get(&(what, value.clone())) {
                let other = unescape(other);
                return at(
                    *index,
                    format!("{what} {value} is also used on line {} (deck `{other}`)", number + 1),
                );
            }
        }
    }
    None
}

/// The guid, note id and card ids of a note, named.
fn note_ids(entry: &super::NoteEntry) -> Vec<(&'static str, String)> {
    let mut ids = vec![("guid", format!("`{}`", entry.guid)), ("note id", entry.note_id.0.to_string())];
    ids.extend(entry.card_ids.iter().map(|card| ("card id", card.0.to_string())));
    ids
}

/// The guid (hashed) and note id of each note of a section, and each of its card ids, with the
/// note's line number.
#[derive(Debug, Default)]
pub(super) struct NoteIds {
    pub notes: Vec<(usize, [u64; 2])>,
    pub cards: Vec<(usize, u64)>,
}

impl NoteIds {
    /// The values of one kind (0: guids, 1: note ids, 2: card ids), with their lines.
    fn column(&self, column: usize) -> Box<dyn Iterator<Item = (usize, u64)> + Send + '_> {
        match column {
            2 => Box::new(self.cards.iter().copied()),
            _ => Box::new(self.notes.iter().map(move |(line, v)| (*line, v[column]))),
        }
    }
}

/// The guid, note id and card ids columns of a note line (`rest` follows `note\t`), of any
/// version: a version-3 line has its content hash (16 hex digits) where an older one has its
/// mod (a number of seconds, far fewer digits). Damaged sections of an older lock stand
/// verbatim in a newer one, and their guids are still in use.
pub(super) fn id_columns(rest: &str) -> Option<(&str, &str, &str)> {
    let mut cols = [""; 6];
    let mut count = 0;
    for (slot, col) in cols.iter_mut().zip(rest.split('\t')) {
        *slot = col;
        count += 1;
    }
    if count < 6 {
        return None;
    }
    match cols[5].len() {
        16 => Some((cols[1], cols[2], cols[3])),
        _ => Some((cols[2], cols[3], cols[4])),
    }
}

/// [`NoteIds`] of a section's text that starts on line `first_line` + 1, of a lock of version
/// `version`.
pub(super) fn ids_of_text(section: &str, first_line: usize, version: u32) -> NoteIds {
    let mut ids = NoteIds::default();
    for (index, line) in section.lines().enumerate() {
        let Some(rest) = line.strip_prefix("note\t") else { continue };
        let mut cols = rest.split('\t').skip(if version < 3 { 2 } else { 1 });
        let (Some(guid), Some(note), Some(cards)) = (cols.next(), cols.next(), cols.next()) else { continue };
        let Ok(note) = note.parse::<i64>() else { continue };
        let cards: Option<Vec<i64>> = cards.split(',').map(|c| c.parse::<i64>().ok()).collect();
        let Some(cards) = cards else { continue };
        let line = first_line + index + 1;
        ids.notes.push((line, [xxhash_rust::xxh3::xxh3_64(guid.as_bytes()), note as u64]));
        ids.cards.extend(cards.into_iter().map(|c| (line, c as u64)));
    }
    ids
}

/// [`NoteIds`] of parsed notes whose first note line is line `first`.
pub(super) fn ids_of_entries(entries: &[super::NoteEntry], first: usize) -> NoteIds {
    let notes = entries
        .par_iter()
        .enumerate()
        .map(|(i, n)| (first + i, [xxhash_rust::xxh3::xxh3_64(n.guid.as_bytes()), n.note_id.0 as u64]))
        .collect();
    let cards = entries
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.card_ids.iter().map(move |c| (first + i, c.0 as u64)))
        .collect();
    NoteIds { notes, cards }
}

/// A guid, note id or card id on two note lines, each named by its deck key and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Duplicate {
    pub what: &'static str,
    /// The value used twice (a guid's hash, or the id).
    pub value: u64,
    pub first: (String, usize),
    pub second: (String, usize),
}

/// Every guid, note id or card id used on more than one note line of `sections` (deck key and
/// its notes); each is paired with its first use in the order of `sections`. Fast when there is none (the usual case): the values are sorted in parallel, and
/// only when two are equal are their lines looked for.
pub(super) fn duplicates<K: AsRef<str> + Sync>(sections: &[(K, NoteIds)]) -> Vec<Duplicate> {
    const WHAT: [&str; 3] = ["guid", "note id", "card id"];
    let mut found = Vec::new();
    for (column, what) in WHAT.iter().enumerate() {
        let mut values: Vec<u64> =
            sections.par_iter().flat_map_iter(|(_, notes)| notes.column(column).map(|(_, v)| v)).collect();
        values.par_sort_unstable();
        if values.windows(2).all(|w| w[0] != w[1]) {
            continue;
        }
        let mut first: HashMap<u64, (&str, usize)> = HashMap::new();
        for (key, notes) in sections {
            let key = key.as_ref();
            for (line, value) in notes.column(column) {
                match first.get(&value) {
                    Some(&(k, l)) => found.push(Duplicate {
                        what,
                        value,
                        first: (k.to_string(), l),
                        second: (key.to_string(), line),
                    }),
                    None => {
                        first.insert(value, (key, line));
                    }
                }
            }
        }
    }
    found
}

/// A deck section that holds both sides of a git merge, one after the other, each whole and
/// sound: what a merge gives when both sides' lines are kept (`merge=union`, or "accept both")
/// and each side rewrote the section, typically a branch that upgraded the lock to version 3
/// merged with one still on version 2 that added a card. Each side ends with its own `end` line,
/// whose count and checksum vouch that the side is exactly what a build wrote (a side that starts
/// without its deck line shares the section's first one, kept once by the merge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MergedSides {
    pub deck: Option<super::DeckEntry>,
    /// The notes of both sides, each guid once: the first side's, then the notes only a later
    /// side has, in its order.
    pub notes: Vec<super::NoteEntry>,
    /// Each side's lock version and number of notes.
    pub sides: Vec<(u32, usize)>,
    /// How many notes only one side has.
    pub one_side_only: usize,
}

/// What a section that failed its check (`damage`) is: both sides of a merge, read together, or
/// damaged (with the exact problem when it holds two sound sides that disagree).
pub(super) fn merged_or_damaged(section: &str, key: &str, damage: Damage) -> Result<MergedSides, Damage> {
    merged_sides(section, key).map_err(|problem| match problem {
        None => damage,
        Some(problem) => Damage {
            line: damage.line,
            problem: format!(
                "the section of deck `{key}` holds both sides of a git merge (each with its `end` line), \
                 and {problem}: no build can tell which is right. Take the deck's lines (its deck line \
                 through its `end` line) whole from one side, the one whose package was imported into \
                 Anki, and build again"
            ),
        },
    })
}

impl super::Lock {
    /// Takes both sides of a merged section ([`MergedSides`]) as the deck's entries, and says so
    /// in [`super::Lock::merged`].
    pub(super) fn take_merged(&mut self, key: &str, merged: MergedSides) {
        let sides: Vec<String> =
            merged.sides.iter().map(|(version, notes)| format!("version {version}, {notes} notes")).collect();
        let said = format!(
            "both sides of a git merge in the lock ({}; {} only on one side), each side whole and sound",
            sides.join(" and "),
            merged.one_side_only
        );
        if let Some(deck) = merged.deck {
            self.decks.insert(key.to_string(), deck);
        }
        self.notes.insert(key.to_string(), merged.notes);
        self.merged.insert(key.to_string(), said);
    }
}

/// Reads a damaged section as both sides of a merge ([`MergedSides`]). `Err(None)`: it is not
/// one (fewer than two `end` lines, or a side that is not sound: the first damage stands).
/// `Err(Some(problem))`: two sound sides that disagree on a note's identity, which no build can
/// settle (when unsure, the section stays damaged and the message says what to do).
pub(super) fn merged_sides(section: &str, key: &str) -> Result<MergedSides, Option<String>> {
    // The sides: runs of lines, each closed by an `end` line.
    let mut sides: Vec<String> = Vec::new();
    let mut run = String::new();
    for line in section.split_inclusive('\n') {
        run.push_str(line);
        if line.starts_with("end\t") {
            sides.push(std::mem::take(&mut run));
        }
    }
    if sides.len() < 2 || !run.trim().is_empty() {
        return Err(None);
    }
    let shared_deck_line = section.split_inclusive('\n').next().filter(|l| l.starts_with("deck\t"));
    let mut merged = MergedSides { deck: None, notes: Vec::new(), sides: Vec::new(), one_side_only: 0 };
    let mut by_guid: HashMap<String, usize> = HashMap::new();
    let mut in_sides: Vec<usize> = Vec::new();
    for side in &sides {
        let side = match (side.starts_with("deck\t"), shared_deck_line) {
            (true, _) => side.clone(),
            (false, Some(deck)) => {
                // A side written by a lock of version 3 or older vouches for its deck line
                // without the note type column that version 4 added to the line the merge kept.
                let older = without_notetype_column(deck);
                let decks = std::iter::once(deck).chain(older.as_deref());
                // A side may also share the first side's first note lines: a union merge keeps a
                // line both sides have once (version 4 left the note lines of version 3 as they
                // were), so a branch that added cards at the end has only those after the first
                // side's `end` line. As many as its `end` line counts beyond its own; its
                // checksum vouches for the guess.
                let shared = shared_notes(&sides[0], side).unwrap_or_default();
                let mut candidates: Vec<String> =
                    decks.flat_map(|d| [format!("{d}{side}"), format!("{d}{shared}{side}")]).collect();
                candidates.dedup();
                match candidates.iter().position(|c| check_section(c, key, 0).is_ok()) {
                    Some(found) => candidates.swap_remove(found),
                    None => format!("{deck}{side}"),
                }
            }
            (false, None) => return Err(None),
        };
        check_section(&side, key, 0).map_err(|_| None)?;
        let (version, deck, notes) = parse_side(&side).ok_or(None)?;
        merged.sides.push((version, notes.len()));
        match (&merged.deck, deck) {
            (Some(old), Some(new)) if old.id != new.id => {
                return Err(Some(format!(
                    "the two sides give deck `{key}` different ids ({} and {})",
                    old.id.0, new.id.0
                )));
            }
            (Some(old), Some(new)) if new.mtime > old.mtime => merged.deck = Some(new),
            (None, new) => merged.deck = new,
            _ => {}
        }
        for note in notes {
            match by_guid.get(&note.guid) {
                None => {
                    by_guid.insert(note.guid.clone(), merged.notes.len());
                    merged.notes.push(note);
                    in_sides.push(1);
                }
                Some(&at) => {
                    let old = &mut merged.notes[at];
                    if (old.note_id, &old.card_ids) != (note.note_id, &note.card_ids) {
                        return Err(Some(format!(
                            "note `{}` has note id {} on one side and {} on the other",
                            note.guid, old.note_id.0, note.note_id.0
                        )));
                    }
                    in_sides[at] += 1;
                    // The later `mod` of the two: rebuilt from the text it goes with, it is
                    // after what either side gave Anki. At the same `mod` with other text, the
                    // note is taken as changed, so that it gets a later one.
                    if note.mtime > old.mtime {
                        *old = note;
                    } else if note.mtime == old.mtime && note.content != old.content {
                        old.content = !old.content;
                    }
                }
            }
        }
    }
    // A note id or card id of two notes (two branches that added a note at the same time):
    // which note Anki has under it cannot be told.
    let ids = ids_of_entries(&merged.notes, 0);
    if let Some(d) = duplicates(&[("", ids)]).into_iter().find(|d| d.what != "guid") {
        return Err(Some(format!(
            "{} {} is used by two different notes, one from each side",
            d.what, d.value
        )));
    }
    merged.one_side_only = in_sides.iter().filter(|n| **n < sides.len()).count();
    Ok(merged)
}

/// The first note lines of the section's first side (`first`, from its deck line) that a later
/// side (`side`, without its deck line) counts in its `end` line beyond its own note lines, or
/// `None` when it counts none, or more than `first` has.
fn shared_notes(first: &str, side: &str) -> Option<String> {
    let own = side.lines().filter(|l| l.starts_with("note\t")).count();
    let counted: usize = side.lines().rfind(|l| l.starts_with("end\t"))?.split('\t').nth(2)?.parse().ok()?;
    let wanted = counted.checked_sub(own).filter(|n| *n > 0)?;
    let notes: Vec<&str> =
        first.split_inclusive('\n').filter(|l| l.starts_with("note\t")).take(wanted).collect();
    (notes.len() == wanted).then(|| notes.concat())
}

/// A version-4 deck line (`deck key id mod name notetype`) as versions 2 and 3 wrote it, without
/// its note type column; `None` for a line without one.
fn without_notetype_column(deck_line: &str) -> Option<String> {
    let line = deck_line.trim_end_matches('\n').trim_end_matches('\r');
    let cols: Vec<&str> = line.split('\t').collect();
    (cols.len() == 6).then(|| cols[..5].join("\t") + "\n")
}

/// A sound side's lock version (4 for a deck line with its note type, 3, or 2 for lines with a
/// source line number), deck entry and
/// notes.
fn parse_side(side: &str) -> Option<(u32, Option<super::DeckEntry>, Vec<super::NoteEntry>)> {
    let (mut version, mut deck, mut notes) = (None, None, Vec::new());
    for line in side.lines() {
        let cols: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        match cols[0] {
            "deck" => {
                deck = Some(parse_deck(&cols)?.1);
                // Version 4 added the note type column.
                if cols.len() == 6 {
                    version = Some(4);
                }
            }
            "note" => {
                let this = if cols.len() == NOTE_COLUMNS || cols.last() == Some(&"cloze") { 3 } else { 2 };
                // Version 4's note lines are version 3's.
                if (*version.get_or_insert(this)).min(3) != this {
                    return None;
                }
                notes.push(parse_note(&cols, this)?.1);
            }
            _ => {}
        }
    }
    Some((version.unwrap_or(3), deck, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sound section of two notes, as the writer makes it, starting on line 5 (0-based 4).
    fn section() -> String {
        let body = "deck\td\t9\t100\tD\n\
                    note\td\tg1\t1000\t1001\t100\t01\t02\t03\t7750a39cf7e8\t-\tone\n\
                    note\td\tg2\t1002\t1003,1004\t100\t01\t02\t03\t7750a39cf7e8\t-\ttwo\n";
        let mut text = body.to_string();
        push_trailer(&mut text, "d", 2, xxhash_rust::xxh3::xxh3_64(body.as_bytes()));
        text
    }

    fn problem(text: &str) -> Damage {
        check_section(text, "d", 4).unwrap_err()
    }

    #[test]
    fn a_sound_section_passes_with_or_without_blank_lines_after_it() {
        check_section(&section(), "d", 4).unwrap();
        check_section(&(section() + "\n\n"), "d", 4).unwrap();
        assert!(section().ends_with("\n") && section().lines().last().unwrap().starts_with("end\td\t2\t"));
    }

    #[test]
    fn a_section_with_crlf_line_ends_passes() {
        let crlf = section().replace('\n', "\r\n");
        assert_eq!(check_section(&crlf, "d", 4), Ok(4));
        assert!(check_section(&crlf.replace("\tone\r", "\tOne\r"), "d", 4).is_err());
    }

    #[test]
    fn a_section_without_its_end_line_is_damaged_at_its_last_line() {
        let text = section();
        let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        let damage = problem(&cut);
        assert_eq!(damage.line, 6);
        assert!(damage.problem.contains("ends without its `end` line"), "{damage:?}");
    }

    #[test]
    fn a_lost_or_added_line_breaks_the_count() {
        let text = section();
        let lines: Vec<&str> = text.lines().collect();
        let lost = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3]);
        let damage = problem(&lost);
        assert_eq!(damage.line, 7);
        assert!(damage.problem.contains("has 1 note lines, its `end` line says 2"), "{damage:?}");
    }

    #[test]
    fn an_edited_line_breaks_the_checksum() {
        let damage = problem(&section().replace("\ttwo\n", "\tTwo\n"));
        assert_eq!(damage.line, 8);
        assert!(damage.problem.contains("(lines 5-7) does not match the checksum"), "{damage:?}");
    }

    #[test]
    fn a_bad_end_line_is_damaged() {
        let text = section();
        let last = text.lines().last().unwrap().to_string();
        for (bad, says) in [
            (last.replace("end\td\t", "end\te\t"), "names deck `e`"),
            (format!("{last}\tx"), "4 columns"),
            (last.replace("\t2\t", "\ttwo\t"), "not a number"),
            (last[..last.len() - 1].to_string(), "16 hex digits"),
        ] {
            let damage = problem(&text.replace(&last, &bad));
            assert!(damage.problem.contains(says), "{bad}: {damage:?}");
        }
    }

    #[test]
    fn diagnose_names_a_line_cut_short_a_repeated_line_and_a_shared_id() {
        let text = section();
        let lines: Vec<&str> = text.lines().collect();
        let at = |damaged: &str| {
            let whole = format!("version\t3\n{damaged}");
            diagnose(&whole, 10, &whole[10..], 1, 3).map(|d| (d.line, d.problem))
        };
        let cut = format!("{}\n{}\n", lines[0], &lines[1][..20]);
        let (line, problem) = at(&cut).unwrap();
        assert_eq!(line, 3);
        assert!(problem.contains("cut short: it has 6 of its 12 columns"), "{problem}");

        let repeated = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[1]);
        assert_eq!(at(&repeated).unwrap(), (4, "a repeated line: it is the same as line 3".to_string()));

        let shared = text.replace("\t1002\t", "\t1000\t");
        assert_eq!(at(&shared).unwrap(), (4, "note id 1000 is also used on line 3".to_string()));
        // Any card id of a note counts, not only its first.
        let shared_card = text.replace(",1004\t", ",1001\t");
        assert_eq!(at(&shared_card).unwrap(), (4, "card id 1001 is also used on line 3".to_string()));

        assert_eq!(at(&text), None, "nothing more precise to say about a sound section");
        let unknown = text.replace("deck\t", "dekc\t");
        assert!(at(&unknown).unwrap().1.contains("unknown entry `dekc`"));
    }

    #[test]
    fn diagnose_finds_a_guid_of_another_deck() {
        let other = "deck\te\t8\t100\tE\nnote\te\tg2\t2000\t2001\t100\t01\t02\t03\t7750a39cf7e8\t-\tx\n";
        let whole = format!("version\t3\n{other}{}", section());
        let offset = whole.find("deck\td").unwrap();
        let damage = diagnose(&whole, offset, &whole[offset..], 3, 3).unwrap();
        assert_eq!(damage.line, 6);
        assert_eq!(damage.problem, "guid `g2` is also used on line 3 (deck `e`)");
    }

    /// Another deck's note with the same ids but its own guid (two merged branches) does not
    /// explain the damage of a section: it is no damage.
    #[test]
    fn diagnose_does_not_blame_ids_shared_with_another_deck() {
        let other = "deck\te\t8\t100\tE\nnote\te\tg9\t1000\t1001\t100\t01\t02\t03\t7750a39cf7e8\t-\tx\n";
        let whole = format!("version\t3\n{other}{}", section());
        let offset = whole.find("deck\td").unwrap();
        assert_eq!(diagnose(&whole, offset, &whole[offset..], 3, 3), None);
    }

    #[test]
    fn duplicates_are_found_within_and_across_sections() {
        let ids = || ids_of_text(&section(), 4, 3);
        let a = ids();
        assert_eq!(a.notes.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [6, 7]);
        assert_eq!(a.cards, [(6, 1001), (7, 1003), (7, 1004)], "every card id of a note");
        assert!(duplicates(&[("d", ids())]).is_empty());
        let g2 = a.notes[1].1[0];
        let b =
            NoteIds { notes: vec![(20, [g2, 5000]), (21, [7, 5002])], cards: vec![(20, 5001), (21, 1004)] };
        let found = duplicates(&[("d", a), ("e", b)]);
        assert_eq!(
            found,
            [
                Duplicate { what: "guid", value: g2, first: ("d".into(), 7), second: ("e".into(), 20) },
                Duplicate { what: "card id", value: 1004, first: ("d".into(), 7), second: ("e".into(), 21) },
            ]
        );
    }

    /// Two sides of a merge, each sound: the first side's notes, then those only the second has.
    #[test]
    fn both_sides_of_a_merge_are_read_together_only_when_each_is_sound() {
        let deck = "deck\td\t9\t100\tD\n";
        let notes = "note\td\tg1\t1000\t1001\t100\t01\t02\t03\t7750a39cf7e8\t-\tone\n\
                     note\td\tg3\t1005\t1006\t200\t01\t02\t03\t7750a39cf7e8\t-\tthree\n";
        let mut second = notes.to_string();
        push_trailer(&mut second, "d", 2, xxhash_rust::xxh3::xxh3_64(format!("{deck}{notes}").as_bytes()));
        let merged = merged_sides(&(section() + &second), "d").unwrap();
        let guids: Vec<&str> = merged.notes.iter().map(|n| n.guid.as_str()).collect();
        assert_eq!(guids, ["g1", "g2", "g3"]);
        assert_eq!((merged.sides, merged.one_side_only), (vec![(3, 2), (3, 2)], 2));
        // A side edited after it was written is not what a build wrote: the damage stands.
        assert_eq!(merged_sides(&(section() + &second.replace("three", "Three")), "d"), Err(None));
        assert_eq!(merged_sides(&section(), "d"), Err(None), "one side is no merge");
        // The same guid with other ids on the two sides: no build can tell which is right.
        let other = second.replace("\tg3\t", "\tg2\t");
        let mut disagree = other.lines().take(2).map(|l| format!("{l}\n")).collect::<String>();
        let hash = xxhash_rust::xxh3::xxh3_64(format!("{deck}{disagree}").as_bytes());
        push_trailer(&mut disagree, "d", 2, hash);
        let problem = merged_sides(&(section() + &disagree), "d").unwrap_err().unwrap();
        assert!(
            problem.contains("note `g2` has note id 1002 on one side and 1005 on the other"),
            "{problem}"
        );
    }

    #[test]
    fn conflict_markers_are_recognised() {
        for marker in ["<<<<<<< HEAD\n", "=======\n", ">>>>>>> branch\n", "||||||| base\n"] {
            assert!(is_conflict_marker(marker), "{marker}");
        }
        for line in ["note\td\t=======\n", "<<<<\n", "# =======\n"] {
            assert!(!is_conflict_marker(line), "{line}");
        }
    }
}
