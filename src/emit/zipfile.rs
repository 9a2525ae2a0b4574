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
    pub fn add(
        &mut self,
        name: &str,
        mut input: impl Read + Send,
        len: u64,
        method: Method,
    ) -> io::Result<()> {
        self.add_with_late_prefix(name, method, 0, move |writer| {
            let copied = io::copy(&mut input, writer)?;
            if copied != len {
                return Err(length_changed(len, copied));
            }
            Ok((Vec::new(), ()))
        })
    }

    /// Adds an entry that is produced as a stream whose first `prefix_len` bytes are known only
    /// at its end (a database's first page): `body` writes everything after the prefix to the
    /// writer it is given, on a thread of its own, and returns the prefix. The body is deflated
    /// while it is being produced; the prefix goes into the space kept for it, as a stored
    /// deflate block.
    ///
    /// `body` must not wait for the rayon pool (no `par_iter`): the calling thread, which may
    /// be one of the pool's, waits for its chunks and compresses them with the pool.
    ///
    /// The body's errors are its own type, which this writer's I/O errors convert into.
    pub fn add_with_late_prefix<T: Send, E: From<io::Error> + Send>(
        &mut self,
        name: &str,
        method: Method,
        prefix_len: usize,
        body: impl FnOnce(&mut ChunkWriter) -> Result<(Vec<u8>, T), E> + Send,
    ) -> Result<T, E> {
        let prefix_len16 = u16::try_from(prefix_len).map_err(|_| io::Error::other("prefix over 64 KiB"))?;
        let offset = self.out.stream_position()?;
        let method_code: u16 = match method {
            Method::Stored => 0,
            Method::Deflate(_) => 8,
        };
        self.out.write_all(&local_header(name, method_code, 0, 0, 0))?;
        let data_start = self.out.stream_position()?;
        // Room for the prefix: as it is, or as a stored block (1 header byte, LEN, NLEN).
        let stored_block = method != Method::Stored && prefix_len > 0;
        let reserved = prefix_len + if stored_block { 5 } else { 0 };
        self.out.write_all(&vec![0u8; reserved])?;
        let out = &mut self.out;
        let (produced, consumed) = std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
            let producer =
                std::thread::Builder::new().name("ankideck-package".into()).spawn_scoped(scope, move || {
                    let mut writer = ChunkWriter { sender, chunk: Vec::with_capacity(CHUNK) };
                    let produced = body(&mut writer);
                    let flushed = writer.send_chunk();
                    produced.and_then(|p| flushed.map(|()| p).map_err(E::from))
                });
            // If the thread cannot start, its sender is gone and the consumer ends at once.
            let consumed = consume_chunks(receiver, method, out);
            let produced = match producer {
                Ok(producer) => producer
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("the package writer panicked").into())),
                Err(e) => Err(e.into()),
            };
            (produced, consumed)
        });
        // A failed write stops the producer too: the write error is the one worth reporting.
        let (body_crc, body_len) = consumed?;
        let (prefix, value) = produced?;
        if prefix.len() != prefix_len {
            return Err(length_changed(prefix_len as u64, prefix.len() as u64).into());
        }
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(data_start))?;
        if stored_block {
            // BFINAL 0, BTYPE 00 (stored), then LEN and its complement.
            self.out.write_all(&[0])?;
            self.out.write_all(&prefix_len16.to_le_bytes())?;
            self.out.write_all(&(!prefix_len16).to_le_bytes())?;
        }
        self.out.write_all(&prefix)?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&prefix);
        crc.combine(&body_crc);
        let crc = crc.finalize();
        let compressed = to_u32(end - data_start)?;
        let size = to_u32(prefix_len as u64 + body_len)?;
        self.out.seek(SeekFrom::Start(offset))?;
        self.out.write_all(&local_header(name, method_code, crc, compressed, size))?;
        self.out.seek(SeekFrom::Start(end))?;
        self.central.extend(central_header(name, method_code, crc, compressed, size, to_u32(offset)?));
        self.entries += 1;
        Ok(value)
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

/// What a streamed entry's body is written to: it is cut into chunks that go to the thread that
/// compresses and writes them.
pub struct ChunkWriter {
    sender: std::sync::mpsc::SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
}

impl ChunkWriter {
    fn send_chunk(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.sender.send(chunk).map_err(|_| io::Error::other("the package writer stopped"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let take = buf.len().min(CHUNK - self.chunk.len());
        self.chunk.extend_from_slice(&buf[..take]);
        if self.chunk.len() == CHUNK {
            self.send_chunk()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Compresses (or stores) chunks as they arrive, a few at a time on all cores, and writes them
/// in order; ends the deflate stream with an empty final block. Returns the body's CRC and size.
fn consume_chunks(
    receiver: std::sync::mpsc::Receiver<Vec<u8>>,
    method: Method,
    out: &mut impl Write,
) -> io::Result<(crc32fast::Hasher, u64)> {
    let batch = 2 * rayon::current_num_threads().max(1);
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    while let Ok(first) = receiver.recv() {
        let mut chunks = vec![first];
        while chunks.len() < batch {
            match receiver.try_recv() {
                Ok(chunk) => chunks.push(chunk),
                Err(_) => break,
            }
        }
        let done: Vec<io::Result<(Vec<u8>, crc32fast::Hasher)>> = chunks
            .par_iter()
            .map(|chunk| {
                let mut crc = crc32fast::Hasher::new();
                crc.update(chunk);
                let data = match method {
                    Method::Stored => Vec::new(),
                    Method::Deflate(level) => deflate_chunk(chunk, level, false)?,
                };
                Ok((data, crc))
            })
            .collect();
        for (chunk, part) in chunks.iter().zip(done) {
            let (data, part_crc) = part?;
            out.write_all(if method == Method::Stored { chunk } else { &data })?;
            crc.combine(&part_crc);
            len += chunk.len() as u64;
        }
    }
    if let Method::Deflate(level) = method {
        out.write_all(&deflate_chunk(&[], level, true)?)?;
    }
    Ok((crc, len))
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

/// The input did not hold the number of bytes announced (the file changed while being read).
fn length_changed(expected: u64, found: u64) -> io::Error {
    io::Error::other(format!("expected {expected} bytes to pack, found {found}"))
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
    fn streamed_entries_with_a_late_prefix_read_back_intact() {
        for len in [0, 10, CHUNK - 1, CHUNK, 3 * CHUNK + 777] {
            for method in [Method::Deflate(1), Method::Stored] {
                let data = sample(4096 + len);
                let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
                let value = zip
                    .add_with_late_prefix("data", method, 4096, |w| {
                        // Written in uneven pieces, as pages and buffers come.
                        for piece in data[4096..].chunks(10_000) {
                            w.write_all(piece)?;
                        }
                        Ok::<_, io::Error>((data[..4096].to_vec(), 7))
                    })
                    .unwrap();
                assert_eq!(value, 7);
                zip.add("media", &b"{}"[..], 2, method).unwrap();
                let bytes = zip.finish().unwrap().into_inner();
                let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
                let mut read = Vec::new();
                archive.by_name("data").unwrap().read_to_end(&mut read).unwrap();
                assert!(read == data, "len {len} {method:?}");
            }
        }
    }

    #[test]
    fn a_late_prefix_of_the_wrong_size_is_an_error() {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let err = zip
            .add_with_late_prefix("data", Method::Deflate(1), 4096, |_| Ok::<_, io::Error>((vec![0; 10], ())))
            .unwrap_err();
        assert!(err.to_string().contains("bytes to pack"), "{err}");
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
