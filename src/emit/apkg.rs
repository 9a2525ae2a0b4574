//! The legacy `.apkg`: a zip holding `collection.anki2`, the media files as entries `0`, `1`, …
//! and a JSON `media` map `{"0": "name", …}`, nothing else — the layout every Anki since 2.0 and
//! every AnkiDroid reads (`rslib/src/import_export/package/meta.rs`, `.../package/media.rs`).
//! Entry times and permissions are fixed and the media are in name order, so the same deck gives
//! the same bytes.

use super::collection::{self, CollectionInput};
use super::sqlite_file::PAGE_SIZE;
use super::zipfile::{Method, ZipWriter};
use super::{Compression, EmitError, temp_file_in};
use crate::media::MediaFile;
use crate::timing::Phase;
use sha1::{Digest, Sha1};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

/// Builds the package in a temporary file beside `dest`, for the caller to move into place.
pub fn write_temp(
    dest: &Path,
    input: &CollectionInput<'_>,
    media: &[MediaFile],
    compression: Compression,
) -> Result<tempfile::NamedTempFile, EmitError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let package = temp_file_in(dir)?;
    let method = match compression {
        Compression::Fast => Method::Deflate(1),
        Compression::Small => Method::Deflate(6),
        Compression::None => Method::Stored,
    };
    let io = |action| EmitError::io(action, dest);
    let _phase = Phase::start("collection and zip", || input.deck.name().to_string());
    let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, package.as_file()));
    // The collection goes straight into the compressor, page by page: it is never written out
    // uncompressed. Its first page, made last, goes into the room kept for it.
    zip.add_with_late_prefix("collection.anki2", method, PAGE_SIZE, |sink| {
        collection::write_to(sink, input).map(|(first, _)| (first, ()))
    })
    .map_err(|e| e.at(dest))?;
    // Media files are stored as they are, as Anki's own exporter does (`colpkg/export.rs`):
    // images and audio are compressed already.
    for (index, file) in media.iter().enumerate() {
        add_media_file(&mut zip, &index.to_string(), file)?;
    }
    let map = media_map(media);
    zip.add("media", map.as_bytes(), map.len() as u64, method).map_err(io("cannot write"))?;
    let mut writer = zip.finish().map_err(io("cannot write"))?;
    writer.flush().map_err(io("cannot write"))?;
    drop(writer);
    Ok(package)
}

/// The legacy media map: each entry's number and the file's name in Anki's media folder.
pub fn media_map(media: &[MediaFile]) -> String {
    let entries: Vec<String> = (media.iter().enumerate())
        .map(|(index, file)| format!("\"{index}\":{}", serde_json::Value::from(file.name.as_str())))
        .collect();
    format!("{{{}}}", entries.join(","))
}

/// Adds one media file as entry `entry`, checking that its bytes are still those it was named
/// by (a file edited during the build would put other bytes under its content-derived name).
fn add_media_file<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    entry: &str,
    file: &MediaFile,
) -> Result<(), EmitError> {
    let io = |action| EmitError::io(action, &file.path);
    let reader = std::fs::File::open(&file.path).map_err(io("cannot read the media file"))?;
    let mut hashing = Hashing { inner: reader, sha1: Sha1::new() };
    zip.add(entry, &mut hashing, file.len, Method::Stored).map_err(io("cannot pack the media file"))?;
    if <[u8; 20]>::from(hashing.sha1.finalize()) != file.sha1 {
        let changed = std::io::Error::other("it changed during the build; build again");
        return Err(EmitError::io("cannot pack the media file", &file.path)(changed));
    }
    Ok(())
}

/// A reader that hashes what it reads.
struct Hashing<R> {
    inner: R,
    sha1: Sha1,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha1.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(name: &str) -> MediaFile {
        MediaFile { name: name.into(), path: PathBuf::new(), source: String::new(), sha1: [0; 20], len: 0 }
    }

    #[test]
    fn a_media_file_whose_bytes_changed_since_it_was_named_is_not_packed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("1.png");
        std::fs::write(&path, b"abc").expect("write");
        let named = |sha1: [u8; 20]| MediaFile { path: path.clone(), sha1, len: 3, ..file("1-x.png") };
        let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let err = add_media_file(&mut zip, "0", &named([0; 20])).expect_err("other bytes");
        assert!(err.to_string().contains("changed during the build"), "{err}");
        add_media_file(&mut zip, "0", &named(Sha1::digest(b"abc").into()))
            .expect("the bytes it was named by");
    }

    #[test]
    fn media_map_numbers_the_entries_in_order_as_json() {
        assert_eq!(media_map(&[]), "{}");
        let map = media_map(&[file("a \"b\"-1.png"), file("c-2.mp3")]);
        assert_eq!(map, r#"{"0":"a \"b\"-1.png","1":"c-2.mp3"}"#);
        let parsed: std::collections::HashMap<String, String> = serde_json::from_str(&map).expect("json");
        assert_eq!(parsed["1"], "c-2.mp3");
    }
}
