//! Media of the notes: finds the images and sounds a note's fields reference, checks each file
//! (inside the project folder, present, an image or audio by its bytes), gives it a
//! content-derived name and rewrites the reference to that name. It knows nothing of builds:
//! the build gives it the project folder and each note's source file, and packs the files it
//! returns.
//!
//! A reference is relative to the folder of the deck file that holds it. The project folder is
//! the lock file's: a path that leaves it (`../../etc/passwd`, an absolute path, a symbolic link
//! to a file outside) is refused, so building a deck someone sent can never pack a file of
//! theirs from elsewhere on the disk.

mod assets;
mod refs;
mod sniff;

pub use assets::{AssetProblem, asset_name, read_asset, rewrite_css};
pub use refs::{Reference, may_reference, references};
pub use sniff::{Format, MAX_NAME_BYTES, SNIFFED, media_name, sniff};

use crate::model::Note;
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What a media file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    /// Audio or video: Anki plays both with `[sound:…]`.
    Audio,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "an image",
            Kind::Audio => "audio",
        }
    }
}

/// One media file to pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Its name in Anki's media folder ([`media_name`]).
    pub name: String,
    /// The file, its symbolic links resolved.
    pub path: PathBuf,
    /// The path relative to the project folder, with `/`: to name it in messages and state.
    pub source: String,
    pub sha1: [u8; 20],
    pub len: u64,
}

/// Why a reference cannot be packed.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("`{reference}` is an absolute path: media files are named relative to the deck file")]
    Absolute { reference: String },
    #[error("`{reference}` is outside the project folder {}", root.display())]
    Outside { reference: String, root: PathBuf },
    #[error("the media file `{reference}` is missing (looked for {})", path.display())]
    Missing { reference: String, path: PathBuf },
    #[error("`{reference}` is not an image or audio file ({})", path.display())]
    NotMedia { reference: String, path: PathBuf },
    #[error("`{reference}` is {}, and the reference asks for {}", found.as_str(), wanted.as_str())]
    WrongKind { reference: String, found: Kind, wanted: Kind },
    #[error("`{reference}` and `{other}` have different bytes and would get one name `{name}` in Anki")]
    SameName { reference: String, other: String, name: String },
    /// The file is there but cannot be read: not the user's input, an I/O failure.
    #[error("cannot read the media file {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
}

impl Problem {
    /// Whether it is a mistake in the deck (exit 1), not a failure to read (exit 2).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Problem::Unreadable { .. })
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Problem::Absolute { .. } | Problem::Outside { .. } => {
                "put the file in the project folder (next to ankideck.lock, e.g. in source-cards/img/) and name it relative to the deck file"
            }
            Problem::Missing { .. } => {
                "check the spelling (names are case-sensitive and not URL-decoded: write a space, not %20), relative to the deck file's folder"
            }
            Problem::NotMedia { .. } => {
                "Anki shows images (png, jpg, gif, webp, svg, ...) and plays audio and video (mp3, ogg, wav, m4a, mp4, flac, ...)"
            }
            Problem::WrongKind { .. } => "use <img src> for images and [sound:...] for audio and video",
            Problem::SameName { .. } => "rename one of the two files",
            Problem::Unreadable { .. } => "check the file's permissions",
        }
    }
}

/// A reference of a note that cannot be packed: the deck file, the note's line, the problem.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {problem}", file.display())]
pub struct MediaError {
    pub file: PathBuf,
    pub line: u32,
    #[source]
    pub problem: Problem,
}

/// Resolves the references of one deck's notes: each file is read once, however many notes
/// name it.
#[derive(Debug)]
pub struct Resolver {
    /// The project folder, its symbolic links resolved.
    root: PathBuf,
    /// Each file looked at, by its resolved path.
    seen: HashMap<PathBuf, Result<(Format, MediaFile), ProblemKind>>,
    /// The files to pack, by name.
    files: BTreeMap<String, MediaFile>,
    /// Every path a reference named, as written (relative to the deck file's folder, so the same
    /// from whatever folder ankideck runs), and the SHA-1 of what it held: one file named by two
    /// paths is packed once, and either may change.
    named: BTreeMap<PathBuf, [u8; 20]>,
}

/// What a deck's references need packed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packed {
    /// The files, sorted by name.
    pub files: Vec<MediaFile>,
    /// Every path the references named, relative to the deck file's folder, sorted, with the
    /// SHA-1 of its bytes.
    pub named: Vec<(PathBuf, [u8; 20])>,
}

/// A file's problem, kept to report it again at every reference (the reference differs).
#[derive(Debug, Clone)]
enum ProblemKind {
    NotMedia,
    Unreadable(std::io::ErrorKind),
}

impl Resolver {
    /// A resolver for decks of the project in `root` (the lock file's folder; "" is the current
    /// folder).
    pub fn new(root: &Path) -> std::io::Result<Resolver> {
        let root = if root.as_os_str().is_empty() { Path::new(".") } else { root };
        Ok(Resolver {
            root: std::fs::canonicalize(root)?,
            seen: HashMap::new(),
            files: BTreeMap::new(),
            named: BTreeMap::new(),
        })
    }

    /// The note with its references rewritten to the packed names (`None` if it has none),
    /// or every problem of its references. `dir` is the folder of its deck file `file`.
    pub fn note(&mut self, note: &Note, dir: &Path, file: &Path) -> Result<Option<Note>, Vec<MediaError>> {
        if !may_reference(note.flds()) {
            return Ok(None);
        }
        let text = note.flds();
        let refs = references(text);
        if refs.is_empty() {
            return Ok(None);
        }
        let mut names = Vec::with_capacity(refs.len());
        let mut problems = Vec::new();
        for r in &refs {
            match self.file(dir, &r.name(text), r.wants) {
                Ok(name) => names.push(name),
                Err(problem) => {
                    problems.push(MediaError { file: file.to_path_buf(), line: note.line, problem })
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let flds = refs::rewrite(text, &refs, |i| names[i].clone());
        Ok(Some(
            Note::from_parts(
                flds,
                note.tags_text().to_string(),
                note.pinned().map(str::to_string),
                note.line,
            )
            .with_kind(note.kind()),
        ))
    }

    /// The packed name of the file `reference` names, relative to `dir`.
    fn file(&mut self, dir: &Path, reference: &str, wants: Option<Kind>) -> Result<String, Problem> {
        let named = Path::new(reference);
        let drive =
            reference.as_bytes().get(1) == Some(&b':') && reference.as_bytes()[0].is_ascii_alphabetic();
        if named.is_absolute() || named.has_root() || reference.starts_with('\\') || drive {
            return Err(Problem::Absolute { reference: reference.to_string() });
        }
        let joined = dir.join(named);
        let path = match std::fs::canonicalize(&joined) {
            Ok(path) => path,
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) =>
            {
                // `../../etc/passwd` is refused for where it points, whether or not it is there.
                if leaves(&self.root, dir, named) {
                    return Err(Problem::Outside {
                        reference: reference.to_string(),
                        root: self.root.clone(),
                    });
                }
                return Err(Problem::Missing { reference: reference.to_string(), path: joined });
            }
            Err(source) => return Err(Problem::Unreadable { path: joined, source }),
        };
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return Err(Problem::Outside { reference: reference.to_string(), root: self.root.clone() });
        };
        let source =
            relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let looked = match self.seen.get(&path) {
            Some(done) => done.clone(),
            None => {
                let done = look_at(&path, reference, source);
                self.seen.insert(path.clone(), done.clone());
                done
            }
        };
        let (format, file) = match looked {
            Ok(found) => found,
            Err(ProblemKind::NotMedia) => {
                return Err(Problem::NotMedia { reference: reference.to_string(), path: joined });
            }
            Err(ProblemKind::Unreadable(kind)) => {
                return Err(Problem::Unreadable { path: joined, source: kind.into() });
            }
        };
        if let Some(wanted) = wants.filter(|&w| w != format.kind) {
            return Err(Problem::WrongKind { reference: reference.to_string(), found: format.kind, wanted });
        }
        self.named.insert(named.to_path_buf(), file.sha1);
        match self.files.get(&file.name) {
            Some(other) if other.sha1 != file.sha1 => Err(Problem::SameName {
                reference: reference.to_string(),
                other: other.source.clone(),
                name: file.name.clone(),
            }),
            Some(_) => Ok(file.name),
            None => {
                let name = file.name.clone();
                self.files.insert(name.clone(), file);
                Ok(name)
            }
        }
    }

    /// The files to pack, sorted by name.
    pub fn into_files(self) -> Vec<MediaFile> {
        self.files.into_values().collect()
    }

    /// The files to pack and the paths that named them.
    pub fn into_packed(self) -> Packed {
        Packed { files: self.files.into_values().collect(), named: self.named.into_iter().collect() }
    }
}

/// Whether `named`, relative to the folder `dir`, ends outside `root` with its `..` taken as
/// written. Only for a file that is not there (a file that is, is resolved by the file system):
/// it decides between two refusals, so a symbolic link in `named` cannot let anything through.
fn leaves(root: &Path, dir: &Path, named: &Path) -> bool {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(mut path) = std::fs::canonicalize(dir) else {
        return false;
    };
    for component in named.components() {
        match component {
            std::path::Component::ParentDir => {
                path.pop();
            }
            std::path::Component::Normal(name) => path.push(name),
            _ => {}
        }
    }
    !path.starts_with(root)
}

/// Reads a file once: its format and packed name, or why it cannot be packed.
///
/// Only its head is kept in memory (all [`sniff`] looks at); the rest is hashed as it is read,
/// so a film of some gigabytes needs no more memory than an icon.
fn look_at(path: &Path, reference: &str, source: String) -> Result<(Format, MediaFile), ProblemKind> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| match path.is_dir() {
        // A folder is not a media file.
        true => ProblemKind::NotMedia,
        false => ProblemKind::Unreadable(e.kind()),
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let mut head = Vec::with_capacity(SNIFFED);
    (&mut file).take(SNIFFED as u64).read_to_end(&mut head).map_err(unreadable)?;
    let format = sniff(&head).ok_or(ProblemKind::NotMedia)?;
    let mut hasher = Sha1::new();
    hasher.update(&head);
    let mut len = head.len() as u64;
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                len += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(unreadable(e)),
        }
    }
    let sha1: [u8; 20] = hasher.finalize().into();
    let file_name = Path::new(reference).file_name().map_or(reference.into(), |n| n.to_string_lossy());
    let name = media_name(&file_name, &format, &sha1);
    Ok((format, MediaFile { name, path: path.to_path_buf(), source, sha1, len }))
}

#[cfg(test)]
mod tests;
