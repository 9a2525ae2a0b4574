//! The legacy `.apkg`: a zip holding `collection.anki2` and a JSON `media` map, nothing else —
//! the layout every Anki since 2.0 and every AnkiDroid reads (`rslib/src/import_export/package/meta.rs`).
//! Entry times and permissions are fixed so the same deck gives the same bytes.

use super::collection::{self, CollectionInput};
use super::{Compression, EmitError, temp_file_in};
use std::io::{BufWriter, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Builds the package in a temporary file beside `dest`, for the caller to move into place.
pub fn write_temp(
    dest: &Path,
    input: &CollectionInput<'_>,
    compression: Compression,
) -> Result<tempfile::NamedTempFile, EmitError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let db_file = temp_file_in(dir)?;
    collection::write(db_file.path(), input)?;
    let package = temp_file_in(dir)?;
    let zip_err = |source| EmitError::Zip { path: dest.to_path_buf(), source };
    let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, package.as_file()));
    let options = entry_options(compression);
    zip.start_file("collection.anki2", options).map_err(zip_err)?;
    let mut db = std::fs::File::open(db_file.path()).map_err(EmitError::io("cannot read", db_file.path()))?;
    std::io::copy(&mut db, &mut zip).map_err(EmitError::io("cannot compress into", dest))?;
    zip.start_file("media", options).map_err(zip_err)?;
    zip.write_all(b"{}").map_err(EmitError::io("cannot write", dest))?;
    let mut writer = zip.finish().map_err(zip_err)?;
    writer.flush().map_err(EmitError::io("cannot write", dest))?;
    drop(writer);
    Ok(package)
}

fn entry_options(compression: Compression) -> SimpleFileOptions {
    let base = SimpleFileOptions::default()
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .large_file(false);
    match compression {
        Compression::Fast => base.compression_method(CompressionMethod::Deflated).compression_level(Some(1)),
        Compression::Small => base.compression_method(CompressionMethod::Deflated).compression_level(Some(6)),
        Compression::None => base.compression_method(CompressionMethod::Stored),
    }
}
