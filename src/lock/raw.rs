//! A lock's text cut into deck sections without parsing it: what the incremental check needs,
//! and what a build carries over verbatim for the decks it does not rebuild.

use super::{Damage, LockError, VERSION, check, unescape};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A lock file's text cut into sections without parsing it: the head (version and note types)
/// and each deck's lines, keyed by deck key. For the incremental check, which must be cheap.
#[derive(Debug, Default)]
pub struct RawSections<'a> {
    pub head: &'a str,
    pub decks: HashMap<String, RawSection<'a>>,
    /// The whole text.
    pub text: &'a str,
    /// False when a deck's lines stand in more than one place (a hand-edited or merged lock):
    /// then the lock must be parsed whole. (Such a deck's section spans all its places, so it
    /// never passes for the one its last build wrote.)
    pub canonical: bool,
    /// The lock's version ([`super::VERSION`] when it names none). Before version 2 sections
    /// have no `end` lines to check; before the current version every section is parsed (and
    /// written anew), none carried over as it is.
    pub version: u32,
    /// The line of the first git merge-conflict marker, if there is one.
    pub conflict: Option<usize>,
}

/// One deck's lines of a lock file, as they are in the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawSection<'a> {
    pub text: &'a str,
    /// The 0-based number of its first line in the file.
    pub first_line: usize,
}

/// What [`Lock::parse_detached`] needs of a lock's text: the head and the kept sections copied,
/// and where the sections to parse are in the file.
#[derive(Debug, Default)]
pub struct Detached {
    pub(super) head: String,
    pub(super) kept: BTreeMap<String, String>,
    /// The 0-based line of each kept section's first line.
    pub(super) kept_at: BTreeMap<String, usize>,
    /// Selected sections found damaged (their text is in `kept`).
    pub(super) damaged: BTreeMap<String, Damage>,
    pub(super) selected: Vec<SelectedSection>,
    /// The whole text, when it is not canonical (it is parsed whole).
    pub(super) whole: Option<String>,
    /// Whether every section is known to be as ankideck wrote it ([`Detached::as_written`]).
    pub(super) as_written: bool,
    /// The lock's version.
    pub(super) version: u32,
}

impl Detached {
    /// Says that every section is as a build of this project wrote it (each deck's recorded
    /// state vouches for its section's digest): no two can share a guid or id, so the check of
    /// ids across sections is skipped.
    pub fn as_written(mut self) -> Detached {
        self.as_written = true;
        self
    }
}

/// A section to parse, by its place in the file and the digest of its text.
#[derive(Debug)]
pub(super) struct SelectedSection {
    pub(super) key: String,
    pub(super) offset: usize,
    pub(super) len: usize,
    pub(super) first_line: usize,
    pub(super) lines: usize,
    pub(super) digest: u128,
}

/// A section carried over verbatim, ending with a line break (the file's last line may not).
pub(super) fn kept_text(section: &str) -> String {
    let mut text = section.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The error for a lock whose text is not what it was when it was first read.
pub(super) fn changed(path: &Path) -> LockError {
    LockError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other("the file changed while it was being read"),
    }
}

impl<'a> RawSections<'a> {
    /// What [`Lock::parse_detached`] needs to parse the sections `parse_deck` selects once this
    /// text is gone.
    pub fn detach(&self, parse_deck: impl Fn(&str) -> bool) -> Detached {
        if !self.canonical {
            return Detached { whole: Some(self.text.to_string()), ..Detached::default() };
        }
        let mut detached =
            Detached { head: self.head.to_string(), version: self.version, ..Detached::default() };
        for (key, section) in &self.decks {
            if let Some(text) = (!parse_deck(key)).then(|| self.kept_section(key, section)).flatten() {
                detached.kept.insert(key.clone(), text);
                detached.kept_at.insert(key.clone(), section.first_line);
            } else {
                let (checked, digest) = rayon::join(
                    || self.check(key, section),
                    || xxhash_rust::xxh3::xxh3_128(section.text.as_bytes()),
                );
                let lines = match checked {
                    Ok(lines) => lines,
                    Err(damage) => match super::check::merged_or_damaged(section.text, key, damage) {
                        // Both sides of a merge: read with the whole text ([`Lock::parse`]).
                        Ok(_) => {
                            return Detached { whole: Some(self.text.to_string()), ..Detached::default() };
                        }
                        Err(damage) => {
                            detached.kept.insert(key.clone(), kept_text(section.text));
                            detached.damaged.insert(key.clone(), damage);
                            continue;
                        }
                    },
                };
                detached.selected.push(SelectedSection {
                    key: key.clone(),
                    offset: section.text.as_ptr() as usize - self.text.as_ptr() as usize,
                    len: section.text.len(),
                    first_line: section.first_line,
                    lines,
                    digest,
                });
            }
        }
        detached
    }

    /// A section to carry over as it is; `None` for a section of a lock of an earlier version,
    /// which is parsed instead, to be written in the current form.
    pub(super) fn kept_section(&self, _key: &str, section: &RawSection<'_>) -> Option<String> {
        (self.version == VERSION).then(|| kept_text(section.text))
    }

    /// Checks a deck's section (canonical text): its number of lines, or what is wrong. A
    /// version-1 section has no `end` line to check.
    pub(super) fn check(&self, key: &str, section: &RawSection<'_>) -> Result<usize, Damage> {
        if self.version < 2 {
            let text = section.text;
            return Ok(text.bytes().filter(|&b| b == b'\n').count() + usize::from(!text.ends_with('\n')));
        }
        check::check_section(section.text, key, section.first_line).map_err(|damage| {
            let offset = section.text.as_ptr() as usize - self.text.as_ptr() as usize;
            check::diagnose(self.text, offset, section.text, section.first_line, self.version)
                .unwrap_or(damage)
        })
    }

    /// Cuts lock text into sections (a deck's lines are contiguous in canonical text).
    pub fn of(text: &'a str) -> RawSections<'a> {
        let split = split(text);
        let head = &text[..split.head_end];
        let mut sections = RawSections {
            head,
            decks: HashMap::new(),
            text,
            canonical: true,
            conflict: split.conflict,
            version: super::upgrade::version_of(head).unwrap_or(VERSION),
        };
        for run in split.runs {
            match sections.decks.entry(unescape(run.key)) {
                std::collections::hash_map::Entry::Occupied(mut seen) => {
                    sections.canonical = false;
                    let start = seen.get().text.as_ptr() as usize - text.as_ptr() as usize;
                    seen.get_mut().text = &text[start..run.end];
                }
                std::collections::hash_map::Entry::Vacant(new) => {
                    new.insert(RawSection { text: &text[run.start..run.end], first_line: run.first_line });
                }
            }
        }
        sections
    }
}

/// A run of lock lines of one deck: from a deck, note or `end` line of its key up to the next
/// such line of another key (lines of neither kind belong to the run they follow).
#[derive(Debug)]
pub(super) struct Run<'a> {
    /// The deck key as written (escaped).
    pub(super) key: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
    /// The 0-based number of its first line.
    pub(super) first_line: usize,
}

/// Lock text cut into its head and runs of deck lines.
pub(super) struct Split<'a> {
    pub(super) head_end: usize,
    pub(super) runs: Vec<Run<'a>>,
    /// The line (1-based) of the first merge-conflict marker.
    pub(super) conflict: Option<usize>,
}

pub(super) fn split(text: &str) -> Split<'_> {
    let mut split = Split { head_end: text.len(), runs: Vec::new(), conflict: None };
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if split.conflict.is_none() && check::is_conflict_marker(line) {
            split.conflict = Some(number + 1);
        }
        let rest = line
            .strip_prefix("note\t")
            .or_else(|| line.strip_prefix("deck\t"))
            .or_else(|| line.strip_prefix("end\t"));
        if let Some(rest) = rest {
            let key = rest.split(['\t', '\n', '\r']).next().unwrap_or("");
            if split.runs.is_empty() {
                split.head_end = offset;
            }
            if split.runs.last().is_none_or(|run| run.key != key) {
                split.runs.push(Run { key, start: offset, end: offset, first_line: number });
            }
        }
        offset += line.len();
        if let Some(run) = split.runs.last_mut() {
            run.end = offset;
        }
    }
    split
}
