//! Notes held on disk. A deck too large to hold in memory is parsed once; each note is written
//! to a temporary file as it is read, and read back later, in whatever order is needed (id order
//! for the collection, source order for the lock and the CSV). Only an offset per note stays in
//! memory. The file has no name and disappears when it is closed.

use crate::model::{BatchFn, Note, NoteStore, NoteView};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// How many notes are read back at a time.
pub const BATCH: usize = 8192;

/// The bytes of a record's head: line, lengths of fields, tags and pinned guid (its top byte:
/// the note's kind).
const HEAD: usize = 16;

/// Writes notes to a new spill file, in order.
pub struct SpillWriter {
    out: BufWriter<File>,
    /// Where each record starts.
    offsets: Vec<u64>,
    end: u64,
}

impl SpillWriter {
    /// A new spill file in `dir` (one on the same disk as the outputs: it holds as much as the
    /// source does).
    pub fn new(dir: &Path) -> io::Result<SpillWriter> {
        let file = tempfile::tempfile_in(dir)?;
        Ok(SpillWriter { out: BufWriter::with_capacity(1 << 20, file), offsets: Vec::new(), end: 0 })
    }

    /// Appends a note: its line, the lengths of its fields, tags and pinned guid (plus one; 0 for
    /// none), then their bytes.
    pub fn push(&mut self, note: &Note) -> io::Result<()> {
        let (flds, tags) = (note.flds().as_bytes(), note.tags_text().as_bytes());
        let guid = note.pinned().map(str::as_bytes);
        let too_long = || io::Error::other("a note of more than 4 GiB");
        let len = |bytes: &[u8]| u32::try_from(bytes.len()).map_err(|_| too_long());
        let mut head = [0u8; HEAD];
        head[..4].copy_from_slice(&note.line.to_le_bytes());
        head[4..8].copy_from_slice(&len(flds)?.to_le_bytes());
        head[8..12].copy_from_slice(&len(tags)?.to_le_bytes());
        let guid_len = guid.map_or(Ok(0), |g| len(g)?.checked_add(1).ok_or_else(too_long))?;
        // The note's kind in the top byte of the guid's length (a guid is never 16 MiB long).
        if guid_len >= 1 << 24 {
            return Err(io::Error::other("a pinned guid of 16 MiB or more"));
        }
        let guid_len = guid_len | u32::from(note.kind().index()) << 24;
        head[12..].copy_from_slice(&guid_len.to_le_bytes());
        let guid = guid.unwrap_or_default();
        self.out.write_all(&head)?;
        self.out.write_all(flds)?;
        self.out.write_all(tags)?;
        self.out.write_all(guid)?;
        self.offsets.push(self.end);
        self.end += (head.len() + flds.len() + tags.len() + guid.len()) as u64;
        Ok(())
    }

    /// The notes written so far, to read back.
    pub fn finish(mut self) -> io::Result<Spill> {
        self.out.flush()?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        self.offsets.push(self.end);
        Ok(Spill { file, offsets: self.offsets })
    }
}

/// Notes written by a [`SpillWriter`], read back by index.
#[derive(Debug)]
pub struct Spill {
    file: File,
    /// Where each record starts, and then where the last one ends.
    offsets: Vec<u64>,
}

impl Spill {
    /// How many notes it holds.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The notes at `indices`, in that order (see [`Spill::read_with`]), owned.
    #[cfg(test)]
    pub fn read(&self, indices: &[usize]) -> io::Result<Vec<Note>> {
        self.read_with(indices, |views| {
            views
                .iter()
                .map(|v| {
                    Note::from_parts(
                        v.flds().to_string(),
                        v.tags_text().to_string(),
                        v.pinned().map(str::to_string),
                        v.line,
                    )
                    .with_kind(v.kind())
                })
                .collect()
        })
    }

    /// Reads the notes at `indices` and hands them to `f`, in that order, their text borrowed
    /// from one buffer. Each run of consecutive indices is read at once, so reading in source
    /// order, or in an order that mostly follows it, is sequential.
    pub fn read_with<R>(&self, indices: &[usize], f: impl FnOnce(&[NoteView<'_>]) -> R) -> io::Result<R> {
        // The runs, as (first index, last index, where its bytes go in the buffer).
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        let mut size = 0usize;
        let mut start = 0;
        while start < indices.len() {
            let mut end = start + 1;
            while end < indices.len() && indices[end] == indices[end - 1] + 1 {
                end += 1;
            }
            let (first, last) = (indices[start], indices[end - 1]);
            let (Some(&from), Some(&to)) = (self.offsets.get(first), self.offsets.get(last + 1)) else {
                return Err(io::Error::other(format!("note {last} is not in the spill file")));
            };
            runs.push((first, last, size));
            size += usize::try_from(to - from).map_err(io::Error::other)?;
            start = end;
        }
        let mut buf = vec![0u8; size];
        for (i, &(first, _, at)) in runs.iter().enumerate() {
            let until = runs.get(i + 1).map_or(size, |r| r.2);
            read_exact_at(&self.file, &mut buf[at..until], self.offsets[first])?;
        }
        let mut views = Vec::with_capacity(indices.len());
        for &(first, last, at) in &runs {
            let mut rest = &buf[at..];
            for _ in first..=last {
                views.push(decode(&mut rest)?);
            }
        }
        Ok(f(&views))
    }

    /// Calls `f` with every note, in the order `order` gives (source order when `None`), with
    /// its index; [`BATCH`] notes are read at a time, their text borrowed.
    pub fn for_each(
        &self,
        order: Option<&[u32]>,
        f: &mut dyn FnMut(usize, &NoteView<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.for_each_batch(order, |indices, views| {
            indices.iter().zip(views).try_for_each(|(&i, note)| f(i, note))
        })
    }

    /// Calls `f` with every batch of [`BATCH`] notes, in the order `order` gives (source order
    /// when `None`): their indices and the notes, their text borrowed.
    pub fn for_each_batch(
        &self,
        order: Option<&[u32]>,
        mut f: impl FnMut(&[usize], &[NoteView<'_>]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut indices = Vec::with_capacity(BATCH);
        let mut start = 0;
        while start < self.len() {
            let end = (start + BATCH).min(self.len());
            indices.clear();
            match order {
                Some(order) => indices.extend(order[start..end].iter().map(|&i| i as usize)),
                None => indices.extend(start..end),
            }
            self.read_with(&indices, |views| f(&indices, views))??;
            start = end;
        }
        Ok(())
    }
}

impl NoteStore for Spill {
    fn len(&self) -> usize {
        Spill::len(self)
    }

    fn in_memory(&self) -> bool {
        false
    }

    fn read(&self, indices: &[usize], f: &mut dyn FnMut(&[NoteView<'_>])) -> io::Result<()> {
        self.read_with(indices, |notes| f(notes))
    }

    fn for_each_batch(&self, order: Option<&[u32]>, f: &mut BatchFn<'_>) -> io::Result<()> {
        Spill::for_each_batch(self, order, f)
    }
}

/// One record, from the front of `rest`, its text borrowed.
fn decode<'a>(rest: &mut &'a [u8]) -> io::Result<NoteView<'a>> {
    let corrupt = || io::Error::other("the spill file is corrupt");
    let (head, tail) = rest.split_at_checked(HEAD).ok_or_else(corrupt)?;
    let word = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().expect("4 bytes"));
    let (line, flds_len, tags_len, guid_word) = (word(0), word(4) as usize, word(8) as usize, word(12));
    let kind = crate::model::NoteKind::from_index((guid_word >> 24) as u8).ok_or_else(corrupt)?;
    let guid_len = (guid_word & 0x00ff_ffff) as usize;
    let (flds, tail) = tail.split_at_checked(flds_len).ok_or_else(corrupt)?;
    let (tags, tail) = tail.split_at_checked(tags_len).ok_or_else(corrupt)?;
    let (guid, tail) = tail.split_at_checked(guid_len.saturating_sub(1)).ok_or_else(corrupt)?;
    *rest = tail;
    let text = |bytes: &'a [u8]| std::str::from_utf8(bytes).map_err(|_| corrupt());
    let guid = if guid_len == 0 { None } else { Some(text(guid)?) };
    Ok(Note::from_parts(text(flds)?, text(tags)?, guid, line).with_kind(kind))
}

/// Reads `buf.len()` bytes at `offset`, without moving the file's position (so threads may share
/// the file).
#[cfg(unix)]
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
pub fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(n: usize) -> Vec<Note> {
        (0..n)
            .map(|i| {
                let tags: Vec<String> = (0..i % 3).map(|t| format!("t{t}")).collect();
                let note = Note::new(
                    &[format!("Front {i} é"), "x".repeat(i % 7), String::new()],
                    &tags,
                    i as u32 + 1,
                );
                // Some notes pin a guid, one of them empty; some are of the deck's other kind.
                let note = match i % 5 {
                    0 => note.with_pinned(format!("g{i}")),
                    1 if i < 5 => note.with_pinned(String::new()),
                    _ => note,
                };
                match i % 4 {
                    1 => note.with_kind(crate::model::NoteKind::Cloze),
                    _ => note,
                }
            })
            .collect()
    }

    #[test]
    fn notes_read_back_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let written = notes(20_000);
        let mut writer = SpillWriter::new(dir.path()).unwrap();
        for note in &written {
            writer.push(note).unwrap();
        }
        let spill = writer.finish().unwrap();
        assert_eq!(spill.len(), written.len());
        let order = [5usize, 6, 7, 0, 19_999, 3, 4, 4, 12_000];
        let read = spill.read(&order).unwrap();
        assert_eq!(read, order.iter().map(|&i| written[i].clone()).collect::<Vec<_>>());
        let mut seen = Vec::new();
        spill
            .for_each(None, &mut |i, n| {
                seen.push((
                    i,
                    Note::from_parts(
                        n.flds().to_string(),
                        n.tags_text().to_string(),
                        n.pinned().map(str::to_string),
                        n.line,
                    )
                    .with_kind(n.kind()),
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, written.iter().cloned().enumerate().collect::<Vec<_>>());
        let reversed: Vec<u32> = (0..written.len() as u32).rev().collect();
        let mut back = Vec::new();
        spill
            .for_each(Some(&reversed), &mut |i, n| {
                back.push((
                    i,
                    Note::from_parts(
                        n.flds().to_string(),
                        n.tags_text().to_string(),
                        n.pinned().map(str::to_string),
                        n.line,
                    )
                    .with_kind(n.kind()),
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(back, written.iter().cloned().enumerate().rev().collect::<Vec<_>>());
        assert!(spill.read(&[20_000]).is_err());
    }
}
