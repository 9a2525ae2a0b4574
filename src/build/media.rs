//! The build's side of media ([`crate::media`]): each deck's notes get their references
//! rewritten while the deck is prepared, the files to pack wait here until the deck is written,
//! and the incremental check sees a changed media file.
//!
//! A deck's outputs depend on its media files' bytes as much as on its source: the digest of
//! those files is folded into the deck's source digest ([`fold`]). The check does not parse the
//! deck, so each build records which files it packed (`out/.ankideck-state/<deck>.media`, one
//! path a line, as the references name them: relative to the deck file's folder, not to the
//! folder ankideck runs in); the check reads them again ([`fold_recorded`]).
//! A deck without media has no record and the same fingerprint as before media existed.

use super::state::STATE_DIR;
use crate::diagnostic::{Code, Diagnostic};
use crate::media::{AssetProblem, MediaError, MediaFile, Packed, Resolver};
use crate::model::Note;
use sha1::{Digest, Sha1};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The media files of the decks being built, by deck key, from prepare to write.
#[derive(Debug, Default)]
pub struct Packs(Mutex<HashMap<String, Packed>>);

impl Packs {
    pub fn put(&self, key: &str, packed: Packed) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), packed);
    }

    /// What deck `key` packs (nothing if it has no media).
    pub fn of(&self, key: &str) -> Packed {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned().unwrap_or_default()
    }
}

/// Why a deck's media cannot be packed.
#[derive(Debug)]
pub enum Refused {
    /// Problems in the deck (E013): it is not built.
    Input(Vec<Diagnostic>),
    /// A media file cannot be read: the deck fails.
    Failed(String),
}

/// The resolver for the decks of the project whose lock file is `lock`.
pub fn resolver(lock: &Path) -> Result<Resolver, Refused> {
    let root = lock.parent().unwrap_or(Path::new(""));
    Resolver::new(root)
        .map_err(|e| Refused::Failed(format!("cannot read the project folder {}: {e}", root.display())))
}

/// Rewrites a note's references with `resolver`; `None` when it has none.
pub fn pack_note(resolver: &mut Resolver, note: &Note, file: &Path) -> Result<Option<Note>, Refused> {
    let dir = file.parent().unwrap_or(Path::new(""));
    resolver.note(note, dir, file).map_err(refused)
}

/// Sets `found` if `note` may reference media (checked only until one does).
pub fn note_may_reference(note: &Note, found: &std::sync::atomic::AtomicBool) {
    use std::sync::atomic::Ordering::Relaxed;
    if !found.load(Relaxed) && crate::media::may_reference(note.flds()) {
        found.store(true, Relaxed);
    }
}

/// Rewrites the references of a deck's notes; returns what to pack.
pub fn pack_notes(notes: &mut [Note], file: &Path, lock: &Path) -> Result<Packed, Refused> {
    let mut resolver: Option<Resolver> = None;
    let mut diagnostics = Vec::new();
    for note in notes.iter_mut() {
        if !crate::media::may_reference(note.flds()) {
            continue;
        }
        let resolver = match &mut resolver {
            Some(r) => r,
            None => resolver.insert(self::resolver(lock)?),
        };
        match pack_note(resolver, note, file) {
            Ok(Some(packed)) => *note = packed,
            Ok(None) => {}
            Err(Refused::Input(found)) => diagnostics.extend(found),
            Err(failed) => return Err(failed),
        }
    }
    match diagnostics.is_empty() {
        true => Ok(resolver.map(Resolver::into_packed).unwrap_or_default()),
        false => Err(Refused::Input(diagnostics)),
    }
}

/// The problems of a note's references as diagnostics, or the first that is a failure to read.
fn refused(errors: Vec<MediaError>) -> Refused {
    if let Some(e) = errors.iter().find(|e| !e.problem.is_input_error()) {
        return Refused::Failed(e.problem.to_string());
    }
    Refused::Input(errors.iter().map(diagnostic).collect())
}

/// A media problem as diagnostic E013 at the note's line.
pub fn diagnostic(error: &MediaError) -> Diagnostic {
    Diagnostic::new(Code::E013, &error.file, error.line, error.problem.to_string())
        .with_hint(error.problem.hint())
}

/// The source digest with the media files' folded in (unchanged for a deck without media).
pub fn fold(source: u128, packed: &Packed) -> u128 {
    let mut named: Vec<(String, [u8; 20])> =
        packed.named.iter().map(|(path, sha1)| (path.to_string_lossy().into_owned(), *sha1)).collect();
    named.sort();
    fold_named(source, &named)
}

fn fold_named(source: u128, named: &[(String, [u8; 20])]) -> u128 {
    if named.is_empty() {
        return source;
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&source.to_le_bytes());
    for (path, sha1) in named {
        h.update(&(path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update(sha1);
    }
    h.digest128()
}

/// The file that records which media files a deck's last build packed.
fn record_path(out: &Path, stem: &str) -> PathBuf {
    out.join(STATE_DIR).join(format!("{stem}.media"))
}

/// [`fold`] for the incremental check of the deck `file`: `source` with the digest of the files
/// the deck's last build packed, as they are now (a file gone or unreadable changes it).
pub fn fold_recorded(source: u128, out: &Path, file: &Path) -> u128 {
    let stem = crate::source::stem_of(file);
    let dir = file.parent().unwrap_or(Path::new(""));
    let Ok(text) = std::fs::read_to_string(record_path(out, &stem)) else {
        return source;
    };
    let mut named: Vec<(String, [u8; 20])> = (text.lines())
        .map(|path| {
            let sha1 =
                std::fs::read(dir.join(path)).map(|bytes| Sha1::digest(&bytes).into()).unwrap_or([0; 20]);
            (path.to_string(), sha1)
        })
        .collect();
    named.sort();
    fold_named(source, &named)
}

/// Records the media files of a deck just built (removes the record of a deck without), before
/// its state file is: the state vouches for them.
pub fn record(out: &Path, stem: &str, packed: &Packed) -> std::io::Result<()> {
    let path = record_path(out, stem);
    if packed.named.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut named: Vec<String> =
        packed.named.iter().map(|(path, _)| path.to_string_lossy().into_owned()).collect();
    named.sort();
    if named.iter().any(|n| n.contains('\n')) {
        return Err(std::io::Error::other("a media path holds a line break"));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, named.join("\n") + "\n")
}

/// The media of a deck read from disk, note by note as it is read.
pub struct Streaming<'a> {
    lock: &'a Path,
    file: &'a Path,
    resolver: Option<Resolver>,
    diagnostics: Vec<Diagnostic>,
    failed: Option<String>,
}

impl<'a> Streaming<'a> {
    pub fn new(lock: &'a Path, file: &'a Path) -> Self {
        Streaming { lock, file, resolver: None, diagnostics: Vec::new(), failed: None }
    }

    /// The note with its references rewritten, if it has any and they can be packed.
    pub fn note(&mut self, note: &Note) -> Option<Note> {
        if self.failed.is_some() || !crate::media::may_reference(note.flds()) {
            return None;
        }
        let resolver = match &mut self.resolver {
            Some(r) => r,
            None => match resolver(self.lock) {
                Ok(r) => self.resolver.insert(r),
                Err(refused) => return self.refuse(refused),
            },
        };
        match pack_note(resolver, note, self.file) {
            Ok(packed) => packed,
            Err(refused) => self.refuse(refused),
        }
    }

    fn refuse(&mut self, refused: Refused) -> Option<Note> {
        match refused {
            Refused::Input(found) => self.diagnostics.extend(found),
            Refused::Failed(message) => self.failed = Some(message),
        }
        None
    }

    /// The files to pack, or why the deck cannot be built.
    pub fn finish(self) -> Result<Packed, Refused> {
        match (self.failed, self.diagnostics.is_empty()) {
            (Some(message), _) => Err(Refused::Failed(message)),
            (None, false) => Err(Refused::Input(self.diagnostics)),
            (None, true) => Ok(self.resolver.map(Resolver::into_packed).unwrap_or_default()),
        }
    }
}

/// The folder beside a deck's CSV that holds its media, under the names the CSV uses: Anki's
/// text import does not copy media (`rslib/src/import_export/text/import.rs` imports notes
/// only), so the user copies them into the profile's `collection.media` folder.
pub fn csv_folder(out: &Path, out_stem: &str) -> PathBuf {
    out.join(format!("{out_stem}.media"))
}

/// Puts copies of a deck's media in its CSV's media folder (`files` empty: removes the copies),
/// and removes the copies there that the deck no longer references. A file of the right name and
/// size is there already: names are content-derived.
pub fn copy_for_csv(out: &Path, folder: &Path, files: &[MediaFile]) -> std::io::Result<()> {
    if files.is_empty() {
        return remove_copies(folder, &std::collections::HashSet::new());
    }
    std::fs::create_dir_all(folder)?;
    for file in files {
        let dest = folder.join(&file.name);
        if std::fs::metadata(&dest).is_ok_and(|m| m.is_file() && m.len() == file.len) {
            continue;
        }
        // Copied to a temporary file in `out/` (where a killed build's leftovers are removed),
        // then renamed: a copy is whole or absent.
        let temp = crate::emit::temp_file_in(out).map_err(std::io::Error::other)?;
        std::io::copy(&mut std::fs::File::open(&file.path)?, &mut temp.as_file())?;
        temp.persist(&dest).map_err(|e| e.error)?;
    }
    let names: std::collections::HashSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    remove_copies(folder, &names)
}

/// Removes from a CSV's media folder the copies ankideck made (a packed name,
/// [`crate::media::media_name`]) but those of `keep`, then the folder if that left it empty.
/// Anything else there is the user's: `out/` loses only what ankideck writes.
fn remove_copies(folder: &Path, keep: &std::collections::HashSet<&str>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(folder) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        entries => entries?,
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_file() && is_packed_name(&name) && !keep.contains(name.as_ref()) {
            std::fs::remove_file(entry.path())?;
        }
    }
    match std::fs::remove_dir(folder) {
        // Not empty: the user's files are in it.
        Err(e)
            if e.kind() != std::io::ErrorKind::DirectoryNotEmpty
                && e.kind() != std::io::ErrorKind::NotFound =>
        {
            Err(e)
        }
        _ => Ok(()),
    }
}

/// Whether `name` has the form of a packed name: `STEM-HHHHHHHHHHHH.EXT`, twelve lowercase hex
/// digits of the file's SHA-1.
fn is_packed_name(name: &str) -> bool {
    let Some((base, ext)) = name.rsplit_once('.') else { return false };
    let Some(hash) = base.len().checked_sub(12).and_then(|at| base.get(at..)) else { return false };
    !ext.is_empty()
        && base.len() > 12
        && base.as_bytes()[base.len() - 13] == b'-'
        && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Removes what a deck whose file is gone left of its media: the record of what it packed, and
/// its CSV's media folder (returned if there was one).
pub fn remove_gone(out: &Path, key: &str) -> Result<Option<PathBuf>, (PathBuf, std::io::Error)> {
    let record = record_path(out, key);
    match std::fs::remove_file(&record) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err((record, e)),
        _ => {}
    }
    let folder = csv_folder(out, &super::output_stem(key));
    if !folder.is_dir() {
        return Ok(None);
    }
    match remove_copies(&folder, &std::collections::HashSet::new()) {
        Ok(()) => Ok(Some(folder)),
        Err(e) => Err((folder, e)),
    }
}

/// The stylesheet assets of the project (`[defaults] assets`), read and named: an asset that is
/// not there, or outside the project folder, is an error at its key in the settings file (exit
/// 1); one that cannot be read, exit 2. Read once per build, and only when the settings list some.
pub fn assets(project: &crate::settings::Settings) -> Result<Vec<MediaFile>, crate::settings::SettingsError> {
    use crate::settings::{Problem, SettingsError};
    let (Some(file), false) = (project.file(), project.assets().is_empty()) else {
        return Ok(Vec::new());
    };
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let root = std::fs::canonicalize(folder)
        .map_err(|source| SettingsError::Read { path: folder.to_path_buf(), source })?;
    let mut files = Vec::with_capacity(project.assets().len());
    for asset in project.assets() {
        let read = crate::media::read_asset(&root, &asset.path, &asset.relative);
        files.push(read.map_err(|problem| match problem {
            AssetProblem::Missing(e) => asset.missing(file, "the asset", &e),
            AssetProblem::Unreadable { path, source } => SettingsError::Read { path, source },
            outside @ AssetProblem::Outside { .. } => SettingsError::Invalid {
                problem: Problem::BadPath,
                file: file.to_path_buf(),
                at: asset.at,
                key: Some(asset.key.clone()),
                message: format!("the asset {outside}"),
                hint: Some("put the file itself in the project folder, not a link to one outside it".into()),
            },
        })?);
    }
    Ok(files)
}

/// What a deck's package holds: its notes' media and the assets its note type's stylesheet
/// uses (their packed names are in it, [`crate::media::rewrite_css`]), in name order.
pub fn with_assets(mut files: Vec<MediaFile>, assets: &[MediaFile], css: &str) -> Vec<MediaFile> {
    if !assets.iter().any(|a| css.contains(&a.name)) {
        return files;
    }
    for asset in assets.iter().filter(|a| css.contains(&a.name)) {
        if !files.iter().any(|f| f.name == asset.name) {
            files.push(asset.clone());
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// A warning (W007, at its line in the settings file) for each asset that no note type of the
/// build names in its stylesheet: no package carries it, which is most likely a misspelt
/// `url(...)`.
pub fn unused_assets(
    project: &crate::settings::Settings,
    assets: &[MediaFile],
    notetypes: &[crate::notetype::Notetype],
) -> Vec<Diagnostic> {
    let Some(file) = project.file() else { return Vec::new() };
    (project.assets().iter().zip(assets))
        .filter(|(_, asset)| !notetypes.iter().any(|t| t.css.contains(&asset.name)))
        .map(|(path, _)| {
            let name = path.relative.rsplit('/').next().unwrap_or_default();
            let message = format!(
                "no stylesheet names the asset {} in a `url(...)`, so no deck packs it (key `{}`)",
                path.relative, path.key
            );
            Diagnostic::new(Code::W007, file, path.at.line, message).at_column(path.at.column).with_hint(format!(
                "name it by its file name in source-cards/ankideck.css or a note type's css: `url(\"{name}\")`; or remove it from `assets`"
            ))
        })
        .collect()
}
