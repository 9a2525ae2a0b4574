//! Outputs the last build no longer makes: `out/` holds only what it made. A deck built without
//! `--csv` loses the CSV an earlier `--csv` build left (importing it after the new package would
//! undo edits in Anki), and a deck whose source file is gone loses its package, CSV and state.
//! Only files ankideck names are removed, never anything else in `out/`.

use super::{durable, output_stem, state};
use crate::ids::NoteId;
use crate::lock::NoteEntry;
use std::collections::HashSet;
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

/// The names of the decks that have a source file, in lower case (a file system may not tell
/// `History.apkg` from `history.apkg`): their outputs are never removed as a gone deck's.
pub(super) struct LiveNames(HashSet<String>);

impl LiveNames {
    pub(super) fn of(stems: impl Iterator<Item = String>) -> LiveNames {
        LiveNames(stems.flat_map(|stem| [stem.to_lowercase(), output_stem(&stem).to_lowercase()]).collect())
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.0.contains(&name.to_lowercase())
    }
}

/// Removes the package, CSV and state file of the deck `key` whose source file is gone and that
/// the lock drops in this build; `removed` are its entries no other deck took over (its notes
/// that stay in Anki with nothing to update them). A file that a deck with a source file may
/// write is left alone.
pub(super) fn remove_gone_deck(
    out: &Path,
    key: &str,
    removed: &[NoteEntry],
    live: &LiveNames,
) -> Result<GoneDeck, (PathBuf, std::io::Error)> {
    let note_ids = removed.iter().map(|e| e.note_id).collect();
    let mut removed_files = Vec::new();
    if live.contains(key) || live.contains(&output_stem(key)) {
        return Ok(GoneDeck { key: key.to_string(), removed_files, note_ids });
    }
    let package = out.join(format!("{}.apkg", output_stem(key)));
    for path in [package, csv_path(out, key)] {
        match durable::remove_file(&path) {
            Ok(true) => removed_files.push(path),
            Ok(false) => {}
            Err(e) => return Err((path, e)),
        }
    }
    removed_files.extend(super::media::remove_gone(out, key)?);
    let state = state::state_path(out, key);
    durable::remove_file(&state).map_err(|e| (state, e))?;
    super::lines::remove(out, key).map_err(|e| (super::lines::path(out, key), e))?;
    Ok(GoneDeck { key: key.to_string(), removed_files, note_ids })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gone_deck_whose_outputs_a_live_deck_may_write_keeps_them() {
        let out = tempfile::tempdir().unwrap();
        for name in ["deck-collection.apkg", "History.apkg", "old.apkg", "old.csv"] {
            std::fs::write(out.path().join(name), "x").unwrap();
        }
        // `collection` writes deck-collection.apkg, as the live `deck-collection` does; `History`
        // differs from the live `history` only in case.
        let live = LiveNames::of(["deck-collection".to_string(), "history".to_string()].into_iter());
        for key in ["collection", "History"] {
            let gone = remove_gone_deck(out.path(), key, &[], &live).unwrap();
            assert!(gone.removed_files.is_empty(), "{key}: {gone:?}");
        }
        let gone = remove_gone_deck(out.path(), "old", &[], &live).unwrap();
        assert_eq!(gone.removed_files, [out.path().join("old.apkg"), out.path().join("old.csv")]);
        assert!(out.path().join("deck-collection.apkg").exists() && out.path().join("History.apkg").exists());
    }
}
