//! The legacy `.apkg`: a zip holding `collection.anki2` and a JSON `media` map, nothing else —
//! the layout every Anki since 2.0 and every AnkiDroid reads (`rslib/src/import_export/package/meta.rs`).
//! Entry times and permissions are fixed so the same deck gives the same bytes.

use super::collection::{self, CollectionInput};
use super::sqlite_file::PAGE_SIZE;
use super::zipfile::{Method, ZipWriter};
use super::{Compression, EmitError, temp_file_in};
use crate::timing::Phase;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Builds the package in a temporary file beside `dest`, for the caller to move into place.
pub fn write_temp(
    dest: &Path,
    input: &CollectionInput<'_>,
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
    zip.add("media", &b"{}"[..], 2, method).map_err(io("cannot write"))?;
    let mut writer = zip.finish().map_err(io("cannot write"))?;
    writer.flush().map_err(io("cannot write"))?;
    drop(writer);
    Ok(package)
}
