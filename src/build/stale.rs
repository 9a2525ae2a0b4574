//! Outputs the last build no longer makes: `out/` holds only what it made. A deck built without
//! `--csv` loses the CSV an earlier `--csv` build left (importing it after the new package would
//! undo edits in Anki), and a deck whose source file is gone loses its package, CSV and state.
//! Only files ankideck names are removed, never anything else in `out/`.

use super::{durable, output_stem, state};
use crate::ids::NoteId;
use crate::lock::NoteEntry;
use std::path::{Path, PathBuf};

/// A deck whose source file is gone, removed from `out/` and from the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoneDeck {
    /// The deck key (its file's stem).
    pub key: String,
    /// The outputs that were removed.
    pub removed_files: Vec<PathBuf>,
    /// The notes it had, which stay in Anki (an import never deletes notes).
    pub note_ids: Vec<NoteId>,
}

/// A deck's CSV path, whether or not the build writes one.
pub(super) fn csv_path(out: &Path, key: &str) -> PathBuf {
    out.join(format!("{}.csv", output_stem(key)))
}

/// Removes the CSV of a deck built without `--csv`, if an earlier build left one.
pub(super) fn remove_stale_csv(out: &Path, key: &str) -> std::io::Result<Option<PathBuf>> {
    let path = csv_path(out, key);
    Ok(durable::remove_file(&path)?.then_some(path))
}

/// Removes the package, CSV and state file of the deck `key` whose source file is gone and
/// whose entries `removed` leave the lock in this build (those no other deck took over).
pub(super) fn remove_gone_deck(
    out: &Path,
    key: &str,
    removed: &[NoteEntry],
) -> Result<GoneDeck, (PathBuf, std::io::Error)> {
    let package = out.join(format!("{}.apkg", output_stem(key)));
    let mut removed_files = Vec::new();
    for path in [package, csv_path(out, key)] {
        match durable::remove_file(&path) {
            Ok(true) => removed_files.push(path),
            Ok(false) => {}
            Err(e) => return Err((path, e)),
        }
    }
    let state = state::state_path(out, key);
    durable::remove_file(&state).map_err(|e| (state, e))?;
    let note_ids = removed.iter().map(|e| e.note_id).collect();
    Ok(GoneDeck { key: key.to_string(), removed_files, note_ids })
}
