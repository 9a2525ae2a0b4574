//! Emit stage: writes an identified deck as a legacy `.apkg` (SQLite collection + zip) and as a
//! CSV for Anki's text import. Every output is written to a temporary file in the destination
//! folder and renamed into place, so a failed build never leaves a broken file where a good one
//! was (as Anki's `atomic_rename`).

pub mod apkg;
pub mod collection;
pub mod csv;
pub mod dump;
pub mod sqlite_file;
pub mod subdecks;
pub mod zipfile;

use crate::identify::IdentifiedDeck;
use crate::ids::{CardIds, NoteId};
use crate::lock::DeckEntry;
use crate::model::NoteView;
use std::path::{Path, PathBuf};

/// An identified deck as the writers read it ([`IdentifiedDeck`], whose notes are in memory or
/// on disk; tests may give their own).
pub trait DeckNotes: Sync {
    /// The Anki deck name.
    fn name(&self) -> &str;
    fn entry(&self) -> &DeckEntry;
    /// How many notes (each with one card) the deck has.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The ids and `mod` of note `index` (in source order) and its card.
    fn ids(&self, index: usize) -> NoteIds;
    /// Every tag the notes use, sorted, each once.
    fn tags(&self) -> Vec<&str>;
    /// Calls `f` with each note's index, guid and note, in the order `order` gives (source
    /// order when `None`).
    fn each_note(
        &self,
        order: Option<&[u32]>,
        f: &mut dyn FnMut(usize, &str, &NoteView<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()>;
}

/// A note's ids and `mod`.
#[derive(Debug, Clone)]
pub struct NoteIds {
    pub note_id: NoteId,
    /// Its cards' ids by template ordinal: the package has a card per id.
    pub card_ids: CardIds,
    pub mtime: i64,
}

impl DeckNotes for IdentifiedDeck<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn entry(&self) -> &DeckEntry {
        &self.deck
    }

    fn len(&self) -> usize {
        IdentifiedDeck::len(self)
    }

    fn ids(&self, index: usize) -> NoteIds {
        let (_, note_id, card_ids, mtime, _) = self.identity(index);
        NoteIds { note_id, card_ids, mtime }
    }

    fn tags(&self) -> Vec<&str> {
        self.tags.iter().map(String::as_str).collect()
    }

    fn each_note(
        &self,
        order: Option<&[u32]>,
        f: &mut dyn FnMut(usize, &str, &NoteView<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut buf = [0u8; 11];
        self.notes.for_each(order, &mut |i, note| f(i, self.guid(i, &mut buf), note))
    }
}

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("SQLite failed on {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("zip failed on {path}: {source}")]
    Zip { path: PathBuf, source: zip::result::ZipError },
}

impl EmitError {
    /// An I/O error with what was being done and to which path.
    pub fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> EmitError + 'a {
        move |source| EmitError::Io { action, path: path.to_path_buf(), source }
    }
}

/// How the package's members are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compression {
    /// The default: deflate at level 1, the fastest build; about a third larger than `small`.
    #[default]
    Fast,
    /// Deflate at level 6: a smaller package, about three times slower to compress.
    Small,
    /// No compression: the largest package.
    None,
}

impl Compression {
    /// The name used in fingerprints and messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Fast => "fast",
            Compression::Small => "small",
            Compression::None => "none",
        }
    }
}

/// A temporary file in `dir`, removed unless it is persisted.
pub fn temp_file_in(dir: &Path) -> Result<tempfile::NamedTempFile, EmitError> {
    tempfile::Builder::new()
        .prefix(".ankideck-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(EmitError::io("cannot create a temporary file in", dir))
}

/// Moves a finished temporary file to `dest`, replacing what was there in one step.
pub fn persist(temp: tempfile::NamedTempFile, dest: &Path) -> Result<(), EmitError> {
    seal(&temp, dest)?;
    put_in_place(temp, dest)
}

/// Readies a finished temporary file for `dest`: its permissions, and its bytes flushed to disk,
/// so that once renamed it is whole even after a power cut.
pub fn seal(temp: &tempfile::NamedTempFile, dest: &Path) -> Result<(), EmitError> {
    // Temporary files are private (0600); outputs are ordinary files for the user to share.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::Permissions::from_mode(0o644);
        temp.as_file().set_permissions(perms).map_err(EmitError::io("cannot set permissions of", dest))?;
    }
    temp.as_file().sync_all().map_err(EmitError::io("cannot flush", dest))
}

/// Renames a sealed temporary file to `dest`, replacing what was there in one step. If it
/// fails, `dest` is as it was and the temporary file is removed.
pub fn put_in_place(temp: tempfile::NamedTempFile, dest: &Path) -> Result<(), EmitError> {
    temp.persist(dest).map(|_| ()).map_err(|e| EmitError::Io {
        action: "cannot move the finished file to",
        path: dest.to_path_buf(),
        source: e.error,
    })
}
