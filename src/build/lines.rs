//! Each note's source line in the last build, kept in `out/` beside the deck's state file: the
//! lock holds no line numbers since version 3 (a note's line changes with every card inserted
//! above it, and the lock must change only where notes do), but a removed card is easiest found
//! in the old source by its line. So each build writes `out/.ankideck-state/<deck>.lines`: the
//! digest of the lock section it wrote, whether its package has a subdeck per section (see
//! [`super::moved`]), the deck's file name, then one record per note (its note id and line), each
//! as the difference from the record before, so that a deck of 100,000 notes takes a few hundred
//! kilobytes. It is removed before the deck's new outputs are put in place.
//!
//! The file vouches only for the lock section it names: a removed note's line is taken from it
//! only when the lock's section is exactly the one that build wrote. A lock from elsewhere (a
//! `git pull`, a checkout) may have moved the note, and no line is better than a wrong one.

use super::state;
use crate::emit::DeckNotes;
use crate::ids::NoteId;
use crate::lock::NoteEntry;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The first word of the header, and the format's version.
const HEADER: &str = "ankideck lines 1";

/// The header's word for a package with a subdeck per section, and for one without.
const SUBDECKS: &str = "subdecks";
const ONE_DECK: &str = "deck";

/// The lines file of a deck.
pub fn path(out: &Path, stem: &str) -> PathBuf {
    out.join(state::STATE_DIR).join(format!("{stem}.lines"))
}

/// The records of a deck's notes, in source order, as the lines file holds them (without its
/// header, which names the lock section, not known yet when the deck is written).
pub fn records_of(deck: &dyn DeckNotes) -> std::io::Result<String> {
    let mut body = String::with_capacity(deck.len() * 6);
    let mut last = (0i64, 0i64);
    deck.each_note(None, &mut |index, _, note| {
        let id = deck.ids(index).note_id.0;
        push_record(&mut body, &mut last, id, note.line);
        Ok(())
    })?;
    Ok(body)
}

/// Appends the records of notes that are no longer in the source but stay in the lock (see
/// [`super::Built::removed_kept`]): their lines stay known while their entries do.
pub fn push_kept(body: &mut String, kept: &[(NoteId, u32)]) {
    // The records are differences from the record before: find where the body ends.
    let mut last = (0i64, 0i64);
    for (id, line) in read_records(body) {
        last = (id, i64::from(line));
    }
    for &(id, line) in kept.iter().filter(|(_, line)| *line > 0) {
        push_record(body, &mut last, id.0, line);
    }
}

fn push_record(body: &mut String, last: &mut (i64, i64), id: i64, line: u32) {
    let line = i64::from(line);
    let _ = writeln!(body, "{} {}", id - last.0, line - last.1);
    *last = (id, line);
}

/// The records of a body, as (note id, line).
fn read_records(body: &str) -> impl Iterator<Item = (i64, u32)> + '_ {
    let mut last = (0i64, 0i64);
    body.lines().map_while(move |record| {
        let (id, line) = record.split_once(' ')?;
        last = (last.0.checked_add(id.parse().ok()?)?, last.1.checked_add(line.parse().ok()?)?);
        Some((last.0, u32::try_from(last.1).ok()?))
    })
}

/// Writes a deck's lines file: `section` is the digest of the lock section the build wrote for
/// it, `subdecks` whether its package has a subdeck per section, `file` the deck's source file,
/// `body` from [`records_of`]. Written whole or not at all (a temporary file renamed).
pub fn write(
    out: &Path,
    stem: &str,
    section: u128,
    subdecks: bool,
    file: &Path,
    body: &str,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let dest = path(out, stem);
    std::fs::create_dir_all(super::durable::parent_of(&dest))?;
    let name = file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let mut temp = crate::emit::temp_file_in(out).map_err(std::io::Error::other)?;
    let layout = if subdecks { SUBDECKS } else { ONE_DECK };
    temp.write_all(format!("{HEADER} {section:032x} {layout} {name}\n").as_bytes())?;
    temp.write_all(body.as_bytes())?;
    temp.persist(dest).map(|_| ()).map_err(|e| e.error)
}

/// Whether the package in `out/` of deck `stem` has a subdeck per section, as its lines file
/// says (`None`: no lines file, e.g. one built by an older ankideck).
pub fn had_subdecks(out: &Path, stem: &str) -> Option<bool> {
    use std::io::BufRead as _;
    let mut header = String::new();
    let file = std::fs::File::open(path(out, stem)).ok()?;
    std::io::BufReader::new(file).read_line(&mut header).ok()?;
    let mut words = header.strip_prefix(HEADER)?.split(' ').skip(2);
    match words.next()? {
        SUBDECKS => Some(true),
        ONE_DECK => Some(false),
        _ => None,
    }
}

/// Forgets a deck's lines (its deck file is gone, or its outputs are being replaced).
pub fn remove(out: &Path, stem: &str) -> std::io::Result<bool> {
    super::durable::remove_file(&path(out, stem))
}

/// Where the removed notes of a deck were in its source, if `out/` knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RemovedLines {
    /// Each removed note's line (in the order of the removed notes; 0 for one the record
    /// lacks) in `file`, the deck's source file in the build that wrote the lock section.
    Known { file: PathBuf, lines: Vec<u32> },
    /// `out/` has no record of the build that wrote the lock section.
    #[default]
    NoRecord,
    /// The record in `out/` is of another lock section than the one the notes were removed from
    /// (the lock came from elsewhere, e.g. git).
    OtherLock,
}

impl RemovedLines {
    /// The line of removed note `index`, if known.
    pub fn line(&self, index: usize) -> Option<(&Path, u32)> {
        match self {
            RemovedLines::Known { file, lines } => {
                lines.get(index).filter(|line| **line > 0).map(|line| (file.as_path(), *line))
            }
            _ => None,
        }
    }
}

/// The lines of the notes `removed` from the deck `key`, from its lines file, which must be of
/// the lock section whose digest is `section` (the section they were removed from; `None` when
/// the lock had none). `file` is the deck's source file now: its folder is the one the lines
/// are in.
pub fn of_removed(
    out: &Path,
    key: &str,
    section: Option<u128>,
    file: &Path,
    removed: &[NoteEntry],
) -> RemovedLines {
    if removed.is_empty() {
        return RemovedLines::NoRecord;
    }
    let Ok(text) = std::fs::read_to_string(path(out, key)) else {
        return RemovedLines::NoRecord;
    };
    let Some((header, body)) = text.split_once('\n') else {
        return RemovedLines::NoRecord;
    };
    let mut words = header.strip_prefix(HEADER).unwrap_or_default().trim_start().splitn(3, ' ');
    let (Some(digest), Some(_layout), Some(name)) = (words.next(), words.next(), words.next()) else {
        return RemovedLines::NoRecord;
    };
    if section.is_none_or(|section| format!("{section:032x}") != digest) {
        return RemovedLines::OtherLock;
    }
    let mut wanted: HashMap<i64, u32> = removed.iter().map(|e| (e.note_id.0, 0)).collect();
    for (id, line) in read_records(body) {
        if let Some(slot) = wanted.get_mut(&id) {
            *slot = line;
        }
    }
    let lines = removed.iter().map(|e| wanted[&e.note_id.0]).collect();
    RemovedLines::Known { file: file.with_file_name(name), lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64) -> NoteEntry {
        NoteEntry {
            guid: format!("g{id}"),
            note_id: NoteId(id),
            card_ids: crate::ids::CardIds::one(crate::ids::CardId(id)),
            mtime: 0,
            content: 0,
            front: 0,
            back: 0,
            front_sketch: Default::default(),
            back_sketch: Default::default(),
            preview: String::new(),
            kind: Default::default(),
        }
    }

    #[test]
    fn lines_are_read_back_only_for_the_lock_section_they_were_written_with() {
        let out = tempfile::tempdir().unwrap();
        let mut body = String::new();
        let mut last = (0, 0);
        for (id, line) in [(1764000000005, 3), (1764000000002, 7), (1764000000009, 12)] {
            push_record(&mut body, &mut last, id, line);
        }
        push_kept(&mut body, &[(NoteId(1764000000001), 40), (NoteId(1764000000003), 0)]);
        write(out.path(), "deck", 42, true, Path::new("src/old name.txt"), &body).unwrap();
        assert_eq!(had_subdecks(out.path(), "deck"), Some(true));
        assert_eq!(had_subdecks(out.path(), "other"), None);
        let removed = [entry(1764000000002), entry(1764000000001), entry(1764000000003)];
        let file = Path::new("src/deck.txt");
        assert_eq!(
            of_removed(out.path(), "deck", Some(42), file, &removed),
            RemovedLines::Known { file: "src/old name.txt".into(), lines: vec![7, 40, 0] }
        );
        assert_eq!(of_removed(out.path(), "deck", Some(43), file, &removed), RemovedLines::OtherLock);
        assert_eq!(of_removed(out.path(), "deck", None, file, &removed), RemovedLines::OtherLock);
        assert_eq!(of_removed(out.path(), "other", Some(42), file, &removed), RemovedLines::NoRecord);
    }
}
