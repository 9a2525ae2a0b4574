//! Discover stage: the source files of a source folder, sorted by name, and what else is in the
//! folder (skipped, and said so: a file that is not read must not look as if it were).
//!
//! Names starting with `.` or `_` are not decks and are skipped silently: that is how other files
//! (a `_README.txt`, notes) are kept next to the decks.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Format;
use std::path::{Path, PathBuf};

/// The optional project stylesheet in the source folder, appended to the note type's CSS.
pub const STYLESHEET: &str = "ankideck.css";

/// Why the project's stylesheet (`ankideck.css`) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StylesheetError {
    /// The user's file is wrong (exit 1), not unreadable.
    #[error(
        "{} is not valid UTF-8\n  = hint: save it as UTF-8: it is added to the cards' style as text",
        path.display()
    )]
    NotUtf8 { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
}

impl StylesheetError {
    /// Whether the file's content is wrong (exit 1), not a failure to read it (exit 2).
    pub fn is_input(&self) -> bool {
        matches!(self, StylesheetError::NotUtf8 { .. })
    }
}

/// The project's stylesheet in `source`, if there is one.
pub fn read_stylesheet(source: &Path) -> Result<Option<String>, StylesheetError> {
    let path = source.join(STYLESHEET);
    match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| StylesheetError::NotUtf8 { path }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StylesheetError::Read { path, source }),
    }
}

/// A source file and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub format: Format,
}

/// Why the source folder could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// Nothing at the path: usually ankideck was run from another folder than the project's.
    #[error("there is no source folder {}{}", where_missing(path, here), missing_hint(path, inside))]
    Missing {
        path: PathBuf,
        /// The current folder.
        here: PathBuf,
        /// The current folder looks like a source folder itself: run from the one above.
        inside: bool,
    },
    #[error(
        "the source folder {} is a file, not a folder\n  = hint: --source names the folder that holds the deck files (`*.txt`)",
        path.display()
    )]
    NotAFolder { path: PathBuf },
    #[error("cannot read the source folder {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
}

impl DiscoverError {
    /// Whether the user named the wrong folder (exit 1), not a failure to read one (exit 2).
    pub fn is_input(&self) -> bool {
        !matches!(self, DiscoverError::Read { .. })
    }
}

/// The missing folder, and for a relative path, the folder it was looked for in.
fn where_missing(path: &Path, here: &Path) -> String {
    match path.is_relative() {
        true => format!("{} here ({})", path.display(), here.display()),
        false => path.display().to_string(),
    }
}

fn missing_hint(path: &Path, inside: &bool) -> String {
    if *inside {
        // Not `--source .`: a build would then put its own ankideck.lock and out/ inside the
        // source folder, and give every card a new identity (duplicates in Anki).
        "\n  = hint: this folder looks like the source folder itself; run ankideck from the project \
         folder that holds it (`cd ..`), next to its ankideck.lock and out/"
            .to_string()
    } else if path.is_absolute() {
        "\n  = hint: check the folder named with `--source`".to_string()
    } else {
        format!(
            "\n  = hint: run ankideck from the project folder, the one that holds {}/, or name the \
             folder with `--source DIR`; to start a new project here, run `ankideck init`",
            path.display()
        )
    }
}

/// The error for a source folder that cannot be listed: missing (with a hint when the current
/// folder looks like a source folder: run from inside `source-cards/`), a file, or unreadable.
fn folder_error(dir: &Path, source: std::io::Error) -> DiscoverError {
    let path = dir.to_path_buf();
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let here = std::env::current_dir().unwrap_or_default();
            DiscoverError::Missing { inside: looks_like_a_source_folder(&here, dir), here, path }
        }
        Ok(meta) if !meta.is_dir() => DiscoverError::NotAFolder { path },
        _ => DiscoverError::Read { path, source },
    }
}

/// Whether `here` is itself a source folder: it has the source folder's name, or deck files.
fn looks_like_a_source_folder(here: &Path, source: &Path) -> bool {
    if here.file_name().is_some_and(|name| Some(name) == source.file_name() || name == "source-cards") {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(here) else { return false };
    entries.flatten().any(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Not `.md`: a project folder commonly holds a README.md.
        let deck = Format::of(&entry.path()).is_some_and(|f| f != Format::Markdown);
        !name.starts_with(['.', '_']) && deck && entry.path().is_file()
    })
}

/// Lists the deck files directly in `dir` (names starting with `.` or `_` skipped), sorted by
/// file name.
pub fn discover(dir: &Path) -> Result<Vec<SourceFile>, DiscoverError> {
    Ok(discover_all(dir)?.0)
}

/// The deck files of `dir`, as [`discover`], and a warning (W006) for each other file or folder
/// in it that is skipped without being asked to be, sorted by name.
pub fn discover_all(dir: &Path) -> Result<(Vec<SourceFile>, Vec<Diagnostic>), DiscoverError> {
    let err = |source| folder_error(dir, source);
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(|source| DiscoverError::Read { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(['.', '_']) || name == STYLESHEET {
            continue;
        }
        // `is_file` follows symbolic links: a linked deck file is a deck file.
        let why = if path.is_dir() {
            "a folder is not read: decks are the files of the source folder itself"
        } else if !path.is_file() {
            "not a file that can be read (a broken link?)"
        } else if let Some(format) = Format::of(&path) {
            let format = match format {
                Format::Txt if is_anki_export(&path) => Format::Csv,
                format => format,
            };
            files.push(SourceFile { path, format });
            continue;
        } else {
            "not a deck: only `.txt`, `.md`, `.csv` and `.tsv` files are decks"
        };
        skipped.push(
            Diagnostic::new(Code::W006, &path, 0, format!("skipped: {why}"))
                .with_hint("rename it to start with `_` to keep it here without this warning"),
        );
    }
    files.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
    skipped.sort_by(|a, b| a.file.file_name().cmp(&b.file.file_name()));
    Ok((files, skipped))
}

/// Whether a `.txt` file is Anki's "Notes in Plain Text" export, which Anki names `.txt`: its
/// first line is `#separator:` (Anki's exporter writes it first; no printed-set title is). Such
/// a file is read as a table. A file that cannot be read is left to the reader to report.
fn is_anki_export(path: &Path) -> bool {
    use std::io::Read;
    const MARK: &[u8] = b"#separator:";
    let mut start = [0u8; 3 + MARK.len()];
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut read = 0;
    let mut file = file.take(start.len() as u64);
    while let Ok(n @ 1..) = file.read(&mut start[read..]) {
        read += n;
    }
    let start = &start[..read];
    start.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(start).starts_with(MARK)
}

/// An error for each deck file whose name differs from another's only in case (E010) or only
/// in its extension (E024, `a.txt` and `a.csv`): they would write the same outputs (the same
/// file on a case-insensitive file system, and decks Anki may take for one) and share one
/// deck key in the lock, so none of them is built. `check` and `build` both report them.
pub fn case_clashes(files: &[SourceFile]) -> Vec<Diagnostic> {
    let mut by_name: std::collections::BTreeMap<String, Vec<&SourceFile>> = Default::default();
    for file in files {
        by_name.entry(crate::source::stem_of(&file.path).to_lowercase()).or_default().push(file);
    }
    let mut clashes = Vec::new();
    for group in by_name.values().filter(|g| g.len() > 1) {
        let names: Vec<String> = group.iter().map(|f| f.path.display().to_string()).collect();
        for file in group {
            let stem = crate::source::stem_of(&file.path);
            // Two formats of one deck (`a.txt`, `a.csv`), not only a case difference.
            let same_stem = group
                .iter()
                .any(|other| other.path != file.path && crate::source::stem_of(&other.path) == stem);
            let clash = match same_stem {
                true => Diagnostic::new(
                    Code::E024,
                    &file.path,
                    0,
                    format!("deck files with the same name `{stem}` in two formats: {}", names.join(", ")),
                )
                .with_hint(format!(
                    "keep one of them, or rename one: each deck file names its own out/<name>.apkg and its cards in ankideck.lock (`{stem}`)"
                )),
                false => Diagnostic::new(
                    Code::E010,
                    &file.path,
                    0,
                    format!("deck files whose names differ only in case: {}", names.join(", ")),
                )
                .with_hint("rename one of them: each deck file names its own out/<name>.apkg"),
            };
            clashes.push(clash);
        }
    }
    clashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_deck_files_sorted_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.txt",
            "a.TXT",
            "c.md",
            ".hidden.txt",
            "_README.txt",
            "notes.rtf",
            "deck.csv",
            "t.TSV",
            "ankideck.css",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.txt")).unwrap();
        std::fs::create_dir(dir.path().join("_drafts")).unwrap();
        let (files, skipped) = discover_all(dir.path()).unwrap();
        let names: Vec<String> =
            files.iter().map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.TXT", "b.txt", "c.md", "deck.csv", "t.TSV"]);
        assert_eq!(files[3].format, Format::Csv);
        assert_eq!(files[4].format, Format::Csv);
        // What was not asked to be skipped is named, with the reason.
        let said: Vec<(String, &str)> = skipped
            .iter()
            .map(|d| (d.file.file_name().unwrap().to_string_lossy().into_owned(), d.message.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "notes.rtf".to_string(),
                    "skipped: not a deck: only `.txt`, `.md`, `.csv` and `.tsv` files are decks"
                ),
                (
                    "sub.txt".to_string(),
                    "skipped: a folder is not read: decks are the files of the source folder itself"
                ),
            ]
        );
        assert!(skipped.iter().all(|d| d.code == Code::W006 && !d.is_error()));
    }

    #[test]
    fn a_txt_file_starting_with_a_separator_line_is_an_anki_export_read_as_a_table() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("export.txt"), "#separator:tab\n#html:true\nx\ty\n").unwrap();
        std::fs::write(dir.path().join("bom.txt"), "\u{feff}#separator:tab\n").unwrap();
        std::fs::write(dir.path().join("deck.txt"), "History Flashcards\n\nHEADING\na\nb.\n").unwrap();
        std::fs::write(dir.path().join("short.txt"), "#sep").unwrap();
        let formats: Vec<(String, Format)> = (discover(dir.path()).unwrap().into_iter())
            .map(|f| (f.path.file_name().unwrap().to_string_lossy().into_owned(), f.format))
            .collect();
        assert_eq!(
            formats,
            [
                ("bom.txt".to_string(), Format::Csv),
                ("deck.txt".to_string(), Format::Txt),
                ("export.txt".to_string(), Format::Csv),
                ("short.txt".to_string(), Format::Txt),
            ]
        );
    }

    #[test]
    fn deck_files_of_one_name_in_two_formats_are_e024_and_a_case_difference_stays_e010() {
        let file = |name: &str| SourceFile {
            path: PathBuf::from(name),
            format: Format::of(Path::new(name)).unwrap(),
        };
        let files = [file("a.csv"), file("a.txt"), file("b.txt"), file("B.txt"), file("c.tsv")];
        let clashes = case_clashes(&files);
        let said: Vec<(&str, Code, &str)> =
            clashes.iter().map(|d| (d.file.to_str().unwrap(), d.code, d.message.as_str())).collect();
        assert_eq!(
            said,
            [
                ("a.csv", Code::E024, "deck files with the same name `a` in two formats: a.csv, a.txt"),
                ("a.txt", Code::E024, "deck files with the same name `a` in two formats: a.csv, a.txt"),
                ("b.txt", Code::E010, "deck files whose names differ only in case: b.txt, B.txt"),
                ("B.txt", Code::E010, "deck files whose names differ only in case: b.txt, B.txt"),
            ]
        );
        assert!(clashes.iter().all(Diagnostic::is_error));
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_deck_files_are_deck_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real.rtf"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real.rtf"), dir.path().join("linked.txt")).unwrap();
        assert_eq!(discover(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn missing_folder_is_an_error_naming_it() {
        let err = discover(Path::new("/nonexistent/cards")).unwrap_err();
        assert!(err.is_input());
        assert_eq!(
            err.to_string(),
            "there is no source folder /nonexistent/cards\n  = hint: check the folder named with `--source`"
        );
    }

    #[test]
    fn a_folder_with_deck_files_or_named_source_cards_looks_like_a_source_folder() {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new("source-cards");
        assert!(!looks_like_a_source_folder(dir.path(), source));
        std::fs::write(dir.path().join("_README.txt"), "x").unwrap();
        std::fs::write(dir.path().join("notes.rtf"), "x").unwrap();
        assert!(!looks_like_a_source_folder(dir.path(), source), "only deck files count");
        std::fs::write(dir.path().join("README.md"), "x").unwrap();
        assert!(!looks_like_a_source_folder(dir.path(), source), "a project's README.md is no sign");
        std::fs::write(dir.path().join("history.txt"), "x").unwrap();
        assert!(looks_like_a_source_folder(dir.path(), source));
        let named = dir.path().join("source-cards");
        std::fs::create_dir(&named).unwrap();
        assert!(looks_like_a_source_folder(&named, source), "an empty source-cards/");
        assert!(looks_like_a_source_folder(&named, Path::new("decks/source-cards")));
    }
}
