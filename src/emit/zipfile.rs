//! A small zip writer for packages: whole-file entries, compressed in parallel.
//!
//! A package's collection is one large file; deflating it on one core was the longest step
//! after SQLite. Here the input is cut into 1 MiB chunks that are deflated independently on all
//! cores (as pigz does): every chunk but the last ends with a sync flush, so the chunks joined
//! form one valid deflate stream. Entry times and attributes are fixed, so the same input gives
//! the same bytes. Sizes are limited to 4 GiB (no zip64), far above a deck of a million cards.

use flate2::{Compress, FlushCompress, Status};
use rayon::prelude::*;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// How entries are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// No compression.
    Stored,
    /// Deflate at this zlib level (1–9).
    Deflate(u32),
}

/// Uncompressed bytes per independently deflated chunk.
const CHUNK: usize = 1 << 20;

/// DOS date of 1980-01-01, the earliest a zip can say: entry times carry no build information.
const DOS_DATE: u16 = (1 << 5) | 1;

/// A zip archive being written to a seekable output.
pub struct ZipWriter<W: Write + Seek> {
    out: W,
    central: Vec<u8>,
    entries: u16,
}

impl<W: Write + Seek> ZipWriter<W> {
    pub fn new(out: W) -> Self {
        ZipWriter { out, central: Vec::new(), entries: 0 }
    }

    /// Adds an entry holding everything `input` yields (`len` bytes).
    pub fn add(&mut self, name: &str, input: impl Read, len: u64, method: Method) -> io::Result<()> {
        let offset = self.out.stream_position()?;
        let method_code: u16 = match method {
            Method::Stored => 0,
            Method::Deflate(_) => 8,
        };
        // The local header is written first and its sizes and CRC filled in afterwards.
        self.out.write_all(&local_header(name, method_code, 0, 0, 0))?;
        let data_start = self.out.stream_position()?;
        let crc = match method {
            Method::Stored => copy_stored(input, len, &mut self.out)?,
            Method::Deflate(level) => deflate_parallel(input, len, level, &mut self.out)?,
        };
        let end = self.out.stream_position()?;
        let compressed = to_u32(end - data_start)?;
        let size = to_u32(len)?;
        self.out.seek(SeekFrom::Start(offset))?;
        self.out.write_all(&local_header(name, method_code, crc, compressed, size))?;
        self.out.seek(SeekFrom::Start(end))?;
        self.central.extend(central_header(name, method_code, crc, compressed, size, to_u32(offset)?));
        self.entries += 1;
        Ok(())
    }

    /// Writes the central directory; returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let start = to_u32(self.out.stream_position()?)?;
        self.out.write_all(&self.central)?;
        let mut end = Vec::with_capacity(22);
        end.extend(0x0605_4b50u32.to_le_bytes());
        end.extend([0u8; 4]); // this disk, the disk with the directory
        end.extend(self.entries.to_le_bytes());
        end.extend(self.entries.to_le_bytes());
        end.extend(to_u32(self.central.len() as u64)?.to_le_bytes());
        end.extend(start.to_le_bytes());
        end.extend(0u16.to_le_bytes()); // comment length
        self.out.write_all(&end)?;
        Ok(self.out)
    }
}

fn to_u32(n: u64) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::other("a package member is larger than 4 GiB"))
}

fn local_header(name: &str, method: u16, crc: u32, compressed: u32, size: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(30 + name.len());
    h.extend(0x0403_4b50u32.to_le_bytes());
    h.extend(20u16.to_le_bytes()); // version needed: 2.0
    h.extend(0u16.to_le_bytes()); // flags
    h.extend(method.to_le_bytes());
    h.extend(0u16.to_le_bytes()); // time 00:00
    h.extend(DOS_DATE.to_le_bytes());
    h.extend(crc.to_le_bytes());
    h.extend(compressed.to_le_bytes());
    h.extend(size.to_le_bytes());
    h.extend((name.len() as u16).to_le_bytes());
    h.extend(0u16.to_le_bytes()); // extra field length
    h.extend(name.as_bytes());
    h
}

fn central_header(name: &str, method: u16, crc: u32, compressed: u32, size: u32, offset: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(46 + name.len());
    h.extend(0x0201_4b50u32.to_le_bytes());
    h.extend((3u16 << 8 | 20).to_le_bytes()); // made by: Unix, 2.0
    h.extend(20u16.to_le_bytes());
    h.extend(0u16.to_le_bytes());
    h.extend(method.to_le_bytes());
    h.extend(0u16.to_le_bytes());
    h.extend(DOS_DATE.to_le_bytes());
    h.extend(crc.to_le_bytes());
    h.extend(compressed.to_le_bytes());
    h.extend(size.to_le_bytes());
    h.extend((name.len() as u16).to_le_bytes());
    h.extend([0u8; 8]); // extra and comment lengths, disk number, internal attributes
    h.extend((0o100_644u32 << 16).to_le_bytes()); // a regular file, rw-r--r--
    h.extend(offset.to_le_bytes());
    h.extend(name.as_bytes());
    h
}

fn copy_stored(mut input: impl Read, len: u64, out: &mut impl Write) -> io::Result<u32> {
    let mut crc = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut copied = 0u64;
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            return if copied == len { Ok(crc.finalize()) } else { Err(length_changed(len, copied)) };
        }
        copied += n as u64;
        crc.update(&buffer[..n]);
        out.write_all(&buffer[..n])?;
    }
}

/// The input did not hold the number of bytes announced (the file changed while being read).
fn length_changed(expected: u64, found: u64) -> io::Error {
    io::Error::other(format!("expected {expected} bytes to pack, found {found}"))
}

/// Deflates `input` in chunks on all cores, a few chunks in flight at a time; returns the CRC.
fn deflate_parallel(mut input: impl Read, len: u64, level: u32, out: &mut impl Write) -> io::Result<u32> {
    let batch = 2 * rayon::current_num_threads().max(1);
    let mut crc = crc32fast::Hasher::new();
    let mut remaining = len;
    loop {
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(batch);
        while chunks.len() < batch && remaining > 0 {
            let size = remaining.min(CHUNK as u64) as usize;
            let mut chunk = vec![0u8; size];
            input.read_exact(&mut chunk).map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => length_changed(len, len - remaining),
                _ => e,
            })?;
            remaining -= size as u64;
            crc.update(&chunk);
            chunks.push(chunk);
        }
        let last_batch = remaining == 0;
        let count = chunks.len();
        let compressed: Vec<io::Result<Vec<u8>>> = chunks
            .par_iter()
            .enumerate()
            .map(|(i, chunk)| deflate_chunk(chunk, level, last_batch && i + 1 == count))
            .collect();
        for part in compressed {
            out.write_all(&part?)?;
        }
        if last_batch {
            if input.read(&mut [0u8; 1])? != 0 {
                return Err(length_changed(len, len + 1));
            }
            if count == 0 {
                // Empty input: one final empty block.
                out.write_all(&deflate_chunk(&[], level, true)?)?;
            }
            return Ok(crc.finalize());
        }
    }
}

/// Raw deflate of one chunk: sync-flushed (byte-aligned, not final) unless it is the last.
fn deflate_chunk(chunk: &[u8], level: u32, last: bool) -> io::Result<Vec<u8>> {
    let mut compress = Compress::new(flate2::Compression::new(level), false);
    let mut out = Vec::with_capacity(chunk.len() / 2 + 64);
    let flush = if last { FlushCompress::Finish } else { FlushCompress::Sync };
    loop {
        let consumed = compress.total_in() as usize;
        let status = compress.compress_vec(&chunk[consumed..], &mut out, flush).map_err(io::Error::other)?;
        let done = compress.total_in() as usize == chunk.len()
            && match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                _ => out.len() < out.capacity(),
            };
        if done {
            return Ok(out);
        }
        out.reserve(out.capacity().max(4096));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn roundtrip(data: &[u8], method: Method) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.add("data", data, data.len() as u64, method).unwrap();
        zip.add("media", &b"{}"[..], 2, method).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut read = Vec::new();
        archive.by_name("data").unwrap().read_to_end(&mut read).unwrap();
        let mut media = String::new();
        archive.by_name("media").unwrap().read_to_string(&mut media).unwrap();
        assert_eq!(media, "{}");
        read
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8 ^ (i / 1000) as u8).collect()
    }

    #[test]
    fn multi_chunk_deflate_reads_back_intact() {
        let data = sample(3 * CHUNK + 12_345);
        assert_eq!(roundtrip(&data, Method::Deflate(1)), data);
        assert_eq!(roundtrip(&data, Method::Deflate(6)), data);
    }

    #[test]
    fn exact_chunk_multiples_small_and_empty_inputs_read_back() {
        for len in [0, 1, CHUNK, 2 * CHUNK] {
            let data = sample(len);
            assert_eq!(roundtrip(&data, Method::Deflate(1)), data, "len {len}");
            assert_eq!(roundtrip(&data, Method::Stored), data, "len {len}");
        }
    }

    #[test]
    fn input_of_another_length_than_announced_is_an_error() {
        for method in [Method::Stored, Method::Deflate(1)] {
            for announced in [5u64, 20] {
                let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
                let err = zip.add("data", &b"hello world"[..], announced, method).unwrap_err();
                assert!(err.to_string().contains("bytes to pack"), "{method:?} {announced}: {err}");
            }
        }
    }

    #[test]
    fn same_input_gives_the_same_bytes() {
        let data = sample(2 * CHUNK + 5);
        let write = || {
            let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
            zip.add("data", &data[..], data.len() as u64, Method::Deflate(1)).unwrap();
            zip.finish().unwrap().into_inner()
        };
        assert_eq!(write(), write());
    }
}
