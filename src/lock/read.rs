//! Reading a lock: the whole text, or the head and the few sections a build needs read again
//! from the file; each deck's section checked before it is trusted.

use super::entry::{parse_deck, parse_note, parse_notetype};
#[cfg(test)]
use super::raw::RawSections;
use super::raw::{Detached, Run, SelectedSection, changed, kept_text, split};
use super::upgrade::NOTE_COLUMNS_V1;
use super::write::read_line_blocks;
use super::{Damage, Lock, LockError, NoteEntry, READS, VERSION, check, unescape};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

impl Lock {
    /// Reads a lock file; `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<Lock>, LockError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Lock::parse(path, &text).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LockError::Io { path: path.to_path_buf(), source }),
        }
    }

    /// Parses lock text; `path` only names the file in errors. A damaged deck section is not an
    /// error: it is recorded in [`Lock::damaged`] and its text kept as it is. A damaged head
    /// (version and note type lines) or a merge-conflict marker is an error.
    pub fn parse(path: &Path, text: &str) -> Result<Lock, LockError> {
        let split = split(text);
        if let Some(line) = split.conflict {
            return Err(LockError::Conflict { path: path.to_path_buf(), line });
        }
        let head = &text[..split.head_end];
        let mut lock = Lock::default();
        let version = lock.parse_lines(path, head, 0, None)?;
        if version.is_none() && !text.trim().is_empty() {
            return Err(LockError::Malformed {
                path: path.to_path_buf(),
                line: 1,
                message: "no `version` line".into(),
            });
        }
        let version = version.unwrap_or(VERSION);
        let with_trailers = version > 1;
        let mut by_key: BTreeMap<String, Vec<&Run>> = BTreeMap::new();
        for run in &split.runs {
            by_key.entry(unescape(run.key)).or_default().push(run);
        }
        let mut sound = Vec::new();
        for (key, runs) in by_key {
            let (section, first_line) = (&text[runs[0].start..runs[0].end], runs[0].first_line);
            let damage = match runs[..] {
                [_] => lock.parse_checked(path, text, section, &key, first_line, (version, with_trailers)),
                _ => Some(Damage {
                    line: runs[1].first_line + 1,
                    problem: format!(
                        "the lines of deck `{key}` stand in {} places (from line {} and from line {}): \
                         the lock was merged or edited by hand",
                        runs.len(),
                        runs[0].first_line + 1,
                        runs[1].first_line + 1
                    ),
                }),
            };
            match damage {
                Some(damage) => {
                    let kept = runs.iter().map(|r| kept_text(&text[r.start..r.end])).collect();
                    lock.kept.insert(key.clone(), kept);
                    lock.damaged.insert(key, damage);
                }
                // (A merged section's text has each note twice: its entries are what counts.)
                None if lock.merged.contains_key(&key) => {
                    let ids = check::ids_of_entries(&lock.notes[&key], first_line + 2);
                    sound.push((key, first_line, ids))
                }
                None => sound.push((key, first_line, check::ids_of_text(section, first_line, version))),
            }
        }
        lock.mark_duplicates(sound);
        Ok(lock)
    }

    /// Checks one deck's section (its `end` line, when the lock has them) and parses it into
    /// `self` if it is sound; else says what is wrong. `whole` is the lock's text, `version` its
    /// version and whether it has `end` lines.
    pub(super) fn parse_checked(
        &mut self,
        path: &Path,
        whole: &str,
        section: &str,
        key: &str,
        first_line: usize,
        (version, with_trailers): (u32, bool),
    ) -> Option<Damage> {
        let offset = section.as_ptr() as usize - whole.as_ptr() as usize;
        let diagnose =
            |damage: Damage| check::diagnose(whole, offset, section, first_line, version).or(Some(damage));
        if with_trailers && let Err(damage) = check::check_section(section, key, first_line) {
            // Both sides of a merge, each sound, are read together.
            return match check::merged_or_damaged(section, key, damage) {
                Ok(merged) => {
                    self.take_merged(key, merged);
                    None
                }
                Err(damage) if damage.problem.contains("both sides of a git merge") => Some(damage),
                Err(damage) => diagnose(damage),
            };
        }
        let mut part = Lock::default();
        match part.parse_section(path, section, first_line, version) {
            Ok(()) => {
                self.notetypes.extend(part.notetypes);
                self.decks.extend(part.decks);
                self.notes.extend(part.notes);
                self.version_1.extend(part.version_1);
                None
            }
            Err(LockError::Malformed { line, message, .. }) => diagnose(Damage { line, problem: message }),
            Err(e) => diagnose(Damage { line: first_line + 1, problem: e.to_string() }),
        }
    }

    /// Parses the head and the sections of the decks `parse_deck` selects; every other deck's
    /// section is kept verbatim in [`Lock::kept`]. Rebuilding one deck of many then costs one
    /// deck's share of the lock, not the whole lock. (Builds use [`Lock::parse_detached`], which
    /// gives the same; the tests compare the two.)
    #[cfg(test)]
    pub fn parse_selected(
        path: &Path,
        raw: &RawSections<'_>,
        parse_deck: impl Fn(&str) -> bool,
    ) -> Result<Lock, LockError> {
        if !raw.canonical {
            return Lock::parse(path, raw.text);
        }
        let mut lock = Lock::parse(path, raw.head)?;
        let version = raw.version;
        let (mut parsed, mut kept_at) = (Vec::new(), BTreeMap::new());
        for (key, section) in &raw.decks {
            if let Some(text) = (!parse_deck(key)).then(|| raw.kept_section(key, section)).flatten() {
                lock.kept.insert(key.clone(), text);
                kept_at.insert(key.clone(), section.first_line);
                continue;
            }
            if let Err(damage) = raw.check(key, section) {
                lock.kept.insert(key.clone(), kept_text(section.text));
                lock.damaged.insert(key.clone(), damage);
                continue;
            }
            lock.parse_section(path, section.text, section.first_line, version)?;
            parsed.push((key.clone(), section.first_line));
        }
        lock.check_ids(parsed, &kept_at, version);
        Ok(lock)
    }

    /// Parses the head and the sections [`RawSections::detach`] selected; every other deck's
    /// section is kept verbatim in [`Lock::kept`], so rebuilding one deck of many costs one
    /// deck's share of the lock. The lock's text is no longer held: the selected sections are
    /// read again from the file at `path`, a block at a time, and checked against what was read
    /// before. A large lock's text and its parsed entries are then never in memory together.
    pub fn parse_detached(path: &Path, detached: Detached) -> Result<Lock, LockError> {
        Lock::parse_detached_in_blocks(path, detached, 8 << 20)
    }

    pub(super) fn parse_detached_in_blocks(
        path: &Path,
        detached: Detached,
        block: usize,
    ) -> Result<Lock, LockError> {
        if let Some(text) = detached.whole {
            return Lock::parse(path, &text);
        }
        let mut lock = Lock::parse(path, &detached.head)?;
        lock.kept = detached.kept;
        lock.damaged = detached.damaged;
        let parsed: Vec<(String, usize)> =
            detached.selected.iter().map(|s| (s.key.clone(), s.first_line)).collect();
        lock.read_sections(path, detached.selected, block, detached.version)?;
        if !detached.as_written {
            lock.check_ids(parsed, &detached.kept_at, detached.version);
        }
        Ok(lock)
    }

    /// Marks damaged the sections that share a guid, or a note id or card id within a section,
    /// and records the ids two sections share ([`IdClash`]): the sections parsed (deck key and 0-based first line) and those kept
    /// (0-based first line by key; damaged ones are not in it), of a lock of version `version`.
    pub(super) fn check_ids(
        &mut self,
        parsed: Vec<(String, usize)>,
        kept_at: &BTreeMap<String, usize>,
        version: u32,
    ) {
        let mut sections = Vec::new();
        for (key, first_line) in parsed {
            if let Some(notes) = self.notes.get(&key) {
                // A sound section: its deck line, then its notes.
                let first = first_line + 1 + usize::from(self.decks.contains_key(&key));
                let ids = check::ids_of_entries(notes, first);
                sections.push((key, first_line, ids));
            }
        }
        for (key, text) in &self.kept {
            if let Some(&first_line) = kept_at.get(key) {
                sections.push((key.clone(), first_line, check::ids_of_text(text, first_line, version)));
            }
        }
        self.mark_duplicates(sections);
    }

    /// Parses the selected sections, read again from the file at `path`, a block at a time.
    pub(super) fn read_sections(
        &mut self,
        path: &Path,
        selected: Vec<SelectedSection>,
        block: usize,
        version: u32,
    ) -> Result<(), LockError> {
        let lock = self;
        if selected.is_empty() {
            return Ok(());
        }
        let io = |source| LockError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        for section in selected {
            // Room for every entry at once (its lines, but for the deck line).
            if section.lines > 1 {
                lock.notes.entry(section.key.clone()).or_default().reserve_exact(section.lines - 1);
            }
            // A parse error counts only if the section is what was read before: a lock rewritten
            // meanwhile is reported as changed, not as broken (whose advice is to delete it).
            let mut failed: Option<LockError> = None;
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            let mut line = section.first_line;
            let read = read_line_blocks(&file, section.offset, section.len, block, &mut |bytes| {
                hasher.update(bytes);
                if failed.is_none() {
                    let parsed = std::str::from_utf8(bytes)
                        .map_err(|_| changed(path))
                        .and_then(|text| lock.parse_section(path, text, line, version));
                    failed = parsed.err();
                }
                line += bytes.iter().filter(|&&b| b == b'\n').count();
            });
            if read.is_err() {
                return Err(changed(path));
            }
            if hasher.digest128() != section.digest {
                return Err(changed(path));
            }
            if let Some(e) = failed {
                return Err(e);
            }
            if lock.notes.get(&section.key).is_some_and(Vec::is_empty) {
                lock.notes.remove(&section.key);
            }
        }
        Ok(())
    }

    /// Parses the lines of a deck's section of a lock of version `version` into `self`. A large
    /// section is cut into pieces at line breaks that are parsed in parallel; the first error
    /// in file order is the one reported, as if it had been read line by line.
    pub(super) fn parse_section(
        &mut self,
        path: &Path,
        text: &str,
        first_line: usize,
        version: u32,
    ) -> Result<(), LockError> {
        const PIECE: usize = 1 << 20;
        if text.len() <= PIECE {
            return self.parse_lines(path, text, first_line, Some(version)).map(|_| ());
        }
        let mut pieces: Vec<(&str, usize)> = Vec::new();
        let (mut rest, mut line) = (text, first_line);
        while !rest.is_empty() {
            let cut =
                match rest.as_bytes().get(PIECE..).and_then(|tail| tail.iter().position(|&b| b == b'\n')) {
                    Some(at) => PIECE + at + 1,
                    None => rest.len(),
                };
            let (piece, tail) = rest.split_at(cut);
            pieces.push((piece, line));
            line += piece.bytes().filter(|&b| b == b'\n').count();
            rest = tail;
        }
        let parsed: Vec<Result<Lock, LockError>> = pieces
            .into_par_iter()
            .map(|(piece, line)| {
                let mut part = Lock::default();
                part.parse_lines(path, piece, line, Some(version)).map(|_| part)
            })
            .collect();
        for part in parsed {
            let part = part?;
            self.notetypes.extend(part.notetypes);
            self.decks.extend(part.decks);
            self.version_1.extend(part.version_1);
            for (key, notes) in part.notes {
                self.notes.entry(key).or_default().extend(notes);
            }
        }
        Ok(())
    }

    /// Parses lines into `self`; `first_line` is the 0-based number of the first line in the
    /// file; `version` is the lock's, once its `version` line has been read. Returns the
    /// version.
    pub(super) fn parse_lines(
        &mut self,
        path: &Path,
        text: &str,
        first_line: usize,
        mut version: Option<u32>,
    ) -> Result<Option<u32>, LockError> {
        // The deck key (as written) and notes of the run of note lines being read.
        let mut run: Option<(&str, Vec<NoteEntry>)> = None;
        for (index, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = |message: &str| LockError::Malformed {
                path: path.to_path_buf(),
                line: first_line + index + 1,
                message: message.to_string(),
            };
            // At most 13 columns, split without allocating: this runs once per note.
            let mut buffer = [""; 14];
            let mut count = 0;
            for col in line.split('\t') {
                if count == buffer.len() {
                    return Err(malformed("too many columns"));
                }
                buffer[count] = col;
                count += 1;
            }
            let cols = &buffer[..count];
            match (cols[0], version) {
                ("version", None) => {
                    let Some(read) = cols.get(1).filter(|v| READS.contains(v)) else {
                        let found = cols.get(1).unwrap_or(&"").to_string();
                        return Err(LockError::UnknownVersion { path: path.to_path_buf(), found });
                    };
                    version = read.parse().ok();
                }
                (_, None) => return Err(malformed("the first entry must be `version`")),
                ("notetype", Some(_)) => {
                    let entry = parse_notetype(cols).ok_or_else(|| malformed("bad notetype entry"))?;
                    self.notetypes.insert(entry.id.0, entry);
                }
                // Checked with its section ([`check::check_section`]), before it is parsed.
                ("end", Some(_)) => {}
                ("deck", Some(_)) => {
                    let (key, entry) = parse_deck(cols).ok_or_else(|| malformed("bad deck entry"))?;
                    self.decks.insert(key, entry);
                }
                ("note", Some(version)) => {
                    let (key, entry) =
                        parse_note(cols, version).ok_or_else(|| malformed("bad note entry"))?;
                    if version < 3 && count == NOTE_COLUMNS_V1 && !self.version_1.contains(key) {
                        // A version-1 line (see [`parse_note`]): rare, so no lookup by the
                        // unescaped key on the path of every line.
                        self.version_1.insert(unescape(key));
                    }
                    // Notes of one deck come together: the key is looked up once per run.
                    if run.as_ref().is_none_or(|(run_key, _)| *run_key != key) {
                        if let Some((run_key, notes)) = run.take() {
                            self.notes.entry(unescape(run_key)).or_default().extend(notes);
                        }
                        run = Some((key, Vec::new()));
                    }
                    if let Some((_, notes)) = run.as_mut() {
                        notes.push(entry);
                    }
                }
                _ => return Err(malformed(&format!("unknown entry `{}`", cols[0]))),
            }
        }
        if let Some((run_key, notes)) = run {
            self.notes.entry(unescape(run_key)).or_default().extend(notes);
        }
        Ok(version)
    }

    /// The guids of the kept (unparsed) sections, read from their note lines' guid column.
    #[cfg(test)]
    pub fn kept_guids(&self) -> Vec<&str> {
        self.kept_notes().0
    }

    /// The largest note or card id in the lock: new ids are allocated above it.
    #[cfg(test)]
    pub fn max_id(&self) -> i64 {
        self.max_parsed_id().max(self.kept_notes().1)
    }

    pub(super) fn max_parsed_id(&self) -> i64 {
        self.notes.values().flatten().map(|n| n.note_id.0.max(n.card_ids.max())).max().unwrap_or(0)
    }

    /// The guids in the lock's kept sections and the largest id in the whole lock, in one pass
    /// over the kept text, its sections read in parallel: what a build needs of the decks it
    /// does not rebuild.
    pub fn kept_guids_and_max_id(&self) -> (Vec<&str>, i64) {
        let (guids, max) = self.kept_notes();
        (guids, max.max(self.max_parsed_id()))
    }

    /// The guid column of every note line of the kept sections, and the largest id among them
    /// (only the guid and id columns are read).
    pub(super) fn kept_notes(&self) -> (Vec<&str>, i64) {
        let sections: Vec<&String> = self.kept.values().collect();
        let parts: Vec<(Vec<&str>, i64)> = sections
            .par_iter()
            .map(|section| {
                let mut guids = Vec::new();
                let mut max = 0i64;
                for line in section.lines() {
                    let Some(rest) = line.strip_prefix("note\t") else { continue };
                    let Some((guid, note, cards)) = check::id_columns(rest) else { continue };
                    guids.push(guid);
                    let note = note.parse::<i64>().unwrap_or(0);
                    let card = cards.split(',').filter_map(|c| c.parse::<i64>().ok()).max().unwrap_or(0);
                    max = max.max(note).max(card);
                }
                (guids, max)
            })
            .collect();
        let max = parts.iter().map(|(_, m)| *m).max().unwrap_or(0);
        (parts.into_iter().flat_map(|(g, _)| g).collect(), max)
    }
}
