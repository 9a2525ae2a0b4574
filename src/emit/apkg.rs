//! The legacy `.apkg`: a zip holding `collection.anki2` and a JSON `media` map, nothing else —
//! the layout every Anki since 2.0 and every AnkiDroid reads (`rslib/src/import_export/package/meta.rs`).
//! Entry times and permissions are fixed so the same deck gives the same bytes.

use super::collection::{self, CollectionInput};
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
    let db_file = temp_file_in(dir)?;
    let phase = Phase::start("collection", || input.deck.key.clone());
    collection::write(db_file.path(), input)?;
    drop(phase);
    let _phase = Phase::start("zip", || input.deck.key.clone());
    let package = temp_file_in(dir)?;
    let method = match compression {
        Compression::Fast => Method::Deflate(1),
        Compression::Small => Method::Deflate(6),
        Compression::None => Method::Stored,
    };
    let io = |action| EmitError::io(action, dest);
    let db = std::fs::File::open(db_file.path()).map_err(EmitError::io("cannot read", db_file.path()))?;
    let len = db.metadata().map_err(EmitError::io("cannot read", db_file.path()))?.len();
    let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, package.as_file()));
    zip.add("collection.anki2", std::io::BufReader::new(db), len, method).map_err(io("cannot write"))?;
    zip.add("media", &b"{}"[..], 2, method).map_err(io("cannot write"))?;
    let mut writer = zip.finish().map_err(io("cannot write"))?;
    writer.flush().map_err(io("cannot write"))?;
    drop(writer);
    Ok(package)
}
