//! The lock's canonical text: written whole, streamed with its digests, or a deck's section
//! written to a temporary file (a deck too large to hold in memory) and read back in blocks.

use super::entry::{push_deck_line, push_note_line, push_notetype_lines};
use super::{DeckEntry, NoteEntry};
use super::{HEADER, Lock, VERSION, check, escape};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// A deck's section of the lock, written to a temporary file.
#[derive(Debug, Clone)]
pub struct SpilledSection {
    file: std::sync::Arc<std::fs::File>,
    len: u64,
    digest: u128,
}

impl PartialEq for SpilledSection {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.file, &other.file)
    }
}

impl Eq for SpilledSection {}

impl SpilledSection {
    /// Writes a deck's section to a temporary file in `dir`: its deck line, then the note lines
    /// of the entries `entries` hands over, a batch at a time, in order (each batch's lines are
    /// formatted in parallel).
    pub fn write(
        dir: &Path,
        key: &str,
        deck: &DeckEntry,
        entries: impl FnOnce(&mut dyn FnMut(&[NoteEntry]) -> std::io::Result<()>) -> std::io::Result<()>,
    ) -> std::io::Result<SpilledSection> {
        use std::io::Write as _;
        let file = tempfile::tempfile_in(dir)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &file);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        // The text the `end` line's checksum covers: all but the `end` line.
        let mut body = xxhash_rust::xxh3::Xxh3::new();
        let mut count = 0u64;
        let mut len = 0u64;
        let key_text = escape(key);
        let mut emit = |text: &str| {
            hasher.update(text.as_bytes());
            body.update(text.as_bytes());
            len += text.len() as u64;
            out.write_all(text.as_bytes())
        };
        let mut line = String::new();
        push_deck_line(&mut line, &key_text, deck);
        emit(&line)?;
        entries(&mut |batch| {
            count += batch.len() as u64;
            let texts: Vec<String> = batch
                .par_chunks(1024)
                .map(|chunk| {
                    let mut text = String::with_capacity(chunk.len() * 256);
                    for entry in chunk {
                        push_note_line(&mut text, &key_text, entry);
                    }
                    text
                })
                .collect();
            texts.iter().try_for_each(|text| emit(text))
        })?;
        line.clear();
        check::push_trailer(&mut line, &key_text, count, body.digest());
        hasher.update(line.as_bytes());
        len += line.len() as u64;
        out.write_all(line.as_bytes())?;
        out.flush()?;
        drop(out);
        Ok(SpilledSection { file: std::sync::Arc::new(file), len, digest: hasher.digest128() })
    }

    /// Hands the section's text to `sink` in pieces of whole lines.
    fn read(&self, sink: &mut dyn FnMut(&str)) -> std::io::Result<()> {
        let mut not_text = false;
        let len = usize::try_from(self.len).map_err(std::io::Error::other)?;
        read_line_blocks(&self.file, 0, len, 1 << 20, &mut |bytes| match std::str::from_utf8(bytes) {
            Ok(text) if !not_text => sink(text),
            _ => not_text = true,
        })?;
        if not_text { Err(std::io::Error::other("a spilled lock section is not UTF-8")) } else { Ok(()) }
    }
}

/// Reads `len` bytes of `file` from `offset`, about `block` at a time, and hands them to `f` in
/// pieces of whole lines (the last piece ends where the range does). A line longer than a block
/// grows the block.
pub(super) fn read_line_blocks(
    file: &std::fs::File,
    offset: usize,
    len: usize,
    block: usize,
    f: &mut dyn FnMut(&[u8]),
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut read = 0usize;
    while read < len {
        let carry = buf.len();
        let want = block.max(carry * 2).min(len - read + carry);
        buf.resize(want, 0);
        crate::spill::read_exact_at(file, &mut buf[carry..], (offset + read) as u64)?;
        read += want - carry;
        let end =
            if read == len { buf.len() } else { buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) };
        f(&buf[..end]);
        buf.drain(..end);
    }
    Ok(())
}

impl Lock {
    /// The canonical text of the lock.
    pub fn to_text(&self) -> std::io::Result<String> {
        let mut out = String::new();
        self.write_lines(None, &mut |_, line| out.push_str(line))?;
        Ok(out)
    }

    /// The lock lines of one deck: its deck entry and its notes (what [`Lock::deck_digest`]
    /// hashes, as text, for tests).
    #[cfg(test)]
    pub fn deck_section(&self, key: &str) -> String {
        let mut out = String::new();
        self.write_lines(Some(key), &mut |_, line| out.push_str(line)).unwrap();
        out
    }

    /// The digest of one deck's section, computed without holding the text.
    pub fn deck_digest(&self, key: &str) -> std::io::Result<u128> {
        if let Some(section) = self.spilled.get(key) {
            return Ok(section.digest);
        }
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        self.write_lines(Some(key), &mut |_, line| hasher.update(line.as_bytes()))?;
        Ok(hasher.digest128())
    }

    /// The digest of the canonical text, computed without holding the text.
    pub fn digest(&self) -> std::io::Result<u128> {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        self.write_lines(None, &mut |_, line| hasher.update(line.as_bytes()))?;
        Ok(hasher.digest128())
    }

    /// Streams the canonical text to `out`; returns its digest and the digest of every deck's
    /// section (as [`Lock::deck_digest`] gives them), from the same pass.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<(u128, HashMap<String, u128>)> {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut sections: HashMap<String, u128> = HashMap::new();
        let mut section: Option<(String, xxhash_rust::xxh3::Xxh3)> = None;
        let mut result = Ok(());
        let read = self.write_lines(None, &mut |key, line| {
            hasher.update(line.as_bytes());
            if let Some(key) = key {
                if section.as_ref().is_none_or(|(current, _)| current != key) {
                    if let Some((done, h)) = section.take() {
                        sections.insert(done, h.digest128());
                    }
                    section = Some((key.to_string(), xxhash_rust::xxh3::Xxh3::new()));
                }
                if let Some((_, h)) = section.as_mut() {
                    h.update(line.as_bytes());
                }
            }
            if result.is_ok() {
                result = out.write_all(line.as_bytes());
            }
        });
        read?;
        if let Some((done, h)) = section {
            sections.insert(done, h.digest128());
        }
        result.map(|()| (hasher.digest128(), sections))
    }

    /// Hands the canonical text to `sink` in pieces of whole lines, each of one deck's section or
    /// of the head: the whole lock, or one deck's section. Fails only if a spilled section cannot
    /// be read back.
    fn write_lines(
        &self,
        only: Option<&str>,
        sink: &mut impl FnMut(Option<&str>, &str),
    ) -> std::io::Result<()> {
        let mut line = String::with_capacity(256);
        if only.is_none() {
            sink(None, HEADER);
            let _ = writeln!(line, "version\t{VERSION}");
            for nt in self.notetypes.values() {
                push_notetype_lines(&mut line, nt);
            }
            sink(None, &line);
        }
        let all =
            self.decks.keys().chain(self.notes.keys()).chain(self.kept.keys()).chain(self.spilled.keys());
        let keys: std::collections::BTreeSet<&String> = match only {
            Some(key) => all.filter(|k| *k == key).collect(),
            None => all.collect(),
        };
        for key in keys {
            if let Some(section) = self.kept.get(key) {
                sink(Some(key), section);
                continue;
            }
            if let Some(section) = self.spilled.get(key) {
                section.read(&mut |text| sink(Some(key), text))?;
                continue;
            }
            let key_text = escape(key);
            // The `end` line's checksum covers the deck line and the note lines. They are handed
            // over (and hashed) some 64 KiB at a time: fewer, larger pieces hash faster.
            let mut body = xxhash_rust::xxh3::Xxh3::new();
            let mut flush = |text: &mut String| {
                if !text.is_empty() {
                    body.update(text.as_bytes());
                    sink(Some(key), text);
                    text.clear();
                }
            };
            line.clear();
            if let Some(deck) = self.decks.get(key) {
                push_deck_line(&mut line, &key_text, deck);
            }
            let notes = self.notes.get(key).map(Vec::as_slice).unwrap_or_default();
            for n in notes {
                push_note_line(&mut line, &key_text, n);
                if line.len() >= 1 << 16 {
                    flush(&mut line);
                }
            }
            flush(&mut line);
            check::push_trailer(&mut line, &key_text, notes.len() as u64, body.digest());
            sink(Some(key), &line);
        }
        Ok(())
    }
}
