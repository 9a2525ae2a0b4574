//! The removal report, kept until the build that made it has finished. A build that drops notes
//! from the lock reports them (with the Anki search to delete them), but a build stopped after
//! committing the lock never prints that report, and the next build cannot find those notes
//! again: they are in neither the sources nor the lock. So before committing a lock that drops
//! notes, the build writes them to `out/.ankideck-state/removed` with the digest of that lock,
//! and removes the file once it is done. A build that finds the file, next to the very lock it
//! names, reports those notes as removed by the interrupted build (and carries them on until it
//! has finished itself).

use super::lines::RemovedLines;
use super::{durable, state};
use crate::ids::NoteId;
use crate::lock::NoteEntry;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The journal's first line, before the lock digest.
const HEADER: &str = "ankideck removed 1";

/// A note the lock drops, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedNote {
    pub note_id: NoteId,
    /// Its source line in the build that last wrote it (0: unknown; the lock holds no line
    /// numbers since version 3: they come from `out/`, see [`super::lines`]).
    pub line: u32,
    pub preview: String,
}

impl From<&NoteEntry> for RemovedNote {
    fn from(entry: &NoteEntry) -> RemovedNote {
        RemovedNote { note_id: entry.note_id, line: 0, preview: entry.preview.clone() }
    }
}

/// The notes of one deck that an interrupted build dropped from the lock without reporting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreported {
    pub key: String,
    pub notes: Vec<RemovedNote>,
}

/// What a build must report: the notes an interrupted build did not, and those it drops itself
/// (deck key and entries).
pub(super) fn unreported<'a>(
    interrupted: &[Unreported],
    removed: impl Iterator<Item = (&'a str, &'a [NoteEntry], &'a RemovedLines)>,
) -> Vec<Unreported> {
    let mut decks = interrupted.to_vec();
    for (key, entries, lines) in removed.filter(|(_, entries, _)| !entries.is_empty()) {
        let notes = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| RemovedNote {
                line: lines.line(i).map_or(0, |(_, line)| line),
                ..RemovedNote::from(entry)
            })
            .collect();
        decks.push(Unreported { key: key.to_string(), notes });
    }
    decks
}

fn path(out: &Path) -> PathBuf {
    out.join(state::STATE_DIR).join("removed")
}

/// The notes an interrupted build dropped from `lock_digest`, the lock on disk, without
/// reporting them; none if there is no journal or it goes with another lock (the build that
/// wrote it did not commit its lock, so this build finds those notes again itself).
pub(super) fn pending(out: &Path, lock_text: Option<&str>) -> Vec<Unreported> {
    let Ok(text) = std::fs::read_to_string(path(out)) else {
        return Vec::new();
    };
    let digest = lock_text.map(|t| xxhash_rust::xxh3::xxh3_128(t.as_bytes()));
    let mut lines = text.lines();
    let header = lines.next().and_then(|l| l.strip_prefix(HEADER)).map(str::trim);
    if header.is_none() || header != digest.map(|d| format!("{d:032x}")).as_deref() {
        return Vec::new();
    }
    let mut decks: Vec<Unreported> = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.splitn(4, '\t').collect();
        let [key, note_id, number, preview] = fields[..] else { continue };
        let (Ok(note_id), Ok(number)) = (note_id.parse(), number.parse()) else { continue };
        let note = RemovedNote { note_id: NoteId(note_id), line: number, preview: unescape(preview) };
        let key = unescape(key);
        match decks.last_mut() {
            Some(deck) if deck.key == key => deck.notes.push(note),
            _ => decks.push(Unreported { key, notes: vec![note] }),
        }
    }
    decks
}

/// Records, before the lock with digest `lock_digest` is committed, the notes it drops; the
/// file is flushed, and its folder, so that it is on disk before the lock is.
pub(super) fn write(out: &Path, lock_digest: u128, decks: &[Unreported]) -> std::io::Result<()> {
    let dest = path(out);
    std::fs::create_dir_all(durable::parent_of(&dest))?;
    let mut text = format!("{HEADER} {lock_digest:032x}\n");
    for deck in decks {
        for note in &deck.notes {
            let (key, preview) = (escape(&deck.key), escape(&note.preview));
            text.push_str(&format!("{key}\t{}\t{}\t{preview}\n", note.note_id.0, note.line));
        }
    }
    let mut temp = crate::emit::temp_file_in(out).map_err(std::io::Error::other)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    durable::step();
    temp.persist(&dest).map_err(|e| e.error)?;
    durable::sync_dir(durable::parent_of(&dest))
}

/// Removes the journal once the build's report is complete.
pub(super) fn clear(out: &Path) -> std::io::Result<()> {
    durable::remove_file(&path(out)).map(|_| ())
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decks() -> Vec<Unreported> {
        let note =
            |id, line, preview: &str| RemovedNote { note_id: NoteId(id), line, preview: preview.into() };
        vec![
            Unreported { key: "a\tb".into(), notes: vec![note(1, 3, "What is\\x\t?"), note(2, 0, "")] },
            Unreported { key: "c".into(), notes: vec![note(5, 9, "line\nbreak")] },
        ]
    }

    #[test]
    fn a_journal_is_read_back_next_to_the_lock_it_names() {
        let out = tempfile::tempdir().unwrap();
        let lock = "the lock text\n";
        write(out.path(), xxhash_rust::xxh3::xxh3_128(lock.as_bytes()), &decks()).unwrap();
        assert_eq!(pending(out.path(), Some(lock)), decks());
    }

    #[test]
    fn a_journal_of_a_lock_that_was_not_committed_is_ignored() {
        let out = tempfile::tempdir().unwrap();
        write(out.path(), xxhash_rust::xxh3::xxh3_128(b"the new lock"), &decks()).unwrap();
        assert!(pending(out.path(), Some("the old lock")).is_empty());
        assert!(pending(out.path(), None).is_empty());
        clear(out.path()).unwrap();
        assert!(pending(out.path(), Some("the new lock")).is_empty());
    }
}
