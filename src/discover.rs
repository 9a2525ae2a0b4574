//! Discover stage: the source files of a source folder, sorted by name.

use crate::source::Format;
use std::path::{Path, PathBuf};

/// The optional project stylesheet in the source folder, appended to the note type's CSS.
pub const STYLESHEET: &str = "ankideck.css";

/// A source file and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub format: Format,
}

/// Why the source folder could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the source folder {path}: {source}")]
pub struct DiscoverError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Lists the deck files directly in `dir` (hidden files skipped), sorted by file name.
pub fn discover(dir: &Path) -> Result<Vec<SourceFile>, DiscoverError> {
    let err = |source| DiscoverError { path: dir.to_path_buf(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // `is_file` follows symbolic links: a linked deck file is a deck file.
        if hidden || !path.is_file() {
            continue;
        }
        if let Some(format) = Format::of(&path) {
            files.push(SourceFile { path, format });
        }
    }
    files.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_deck_files_sorted_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.txt", "a.TXT", ".hidden.txt", "notes.md", "ankideck.css"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.txt")).unwrap();
        let names: Vec<String> = discover(dir.path())
            .unwrap()
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.TXT", "b.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_deck_files_are_deck_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real.md"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real.md"), dir.path().join("linked.txt")).unwrap();
        assert_eq!(discover(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn missing_folder_is_an_error_naming_it() {
        let err = discover(Path::new("/nonexistent/cards")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cards"));
    }
}
