//! The project's settings, `ankideck.toml` at the project root: the note type, extra tags,
//! subdecks and HTML of every deck (`[defaults]`), the same per deck plus its name and
//! description (`[decks.<file stem>]`), and the user's own note types (`[notetypes.<name>]`).
//!
//! The file is optional; without it every deck has today's settings. It is read once, before
//! the sources (the `resolve` stage uses it), into [`Settings`]; [`Settings::for_deck`] gives a
//! deck's effective [`DeckSettings`], whose [`DeckSettings::digest`] is part of the deck's
//! incremental fingerprint, so changing a setting rebuilds exactly the decks it touches.
//! Reading and checking the custom note types' template files is the note type module's job:
//! this one validates their paths and hands them on.

mod error;
mod file;
mod resolve;
mod tree;

pub use error::{Position, Problem, SettingsError, SettingsWarning};
pub use file::Kind;
pub use resolve::merge_tags;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xxhash_rust::xxh3::Xxh3;

/// The settings file's name, at the project root.
pub const FILE_NAME: &str = "ankideck.toml";

/// The note types ankideck has built in, by the name the settings use.
pub const BUILTIN_NOTETYPES: &[&str] = &["basic", "reversed", "optional-reversed", "type-in", "cloze"];

/// A built-in note type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Builtin {
    /// Front, Back, Section: one card (today's note type).
    Basic,
    /// Two cards: Front→Back and Back→Front.
    Reversed,
    /// The reverse card only for notes that ask for it.
    OptionalReversed,
    /// The answer typed in (`{{type:Back}}`).
    TypeIn,
    /// Text and Back Extra; a card per cloze number.
    Cloze,
}

impl Builtin {
    /// The name the settings use for it.
    pub fn name(self) -> &'static str {
        BUILTIN_NOTETYPES[self as usize]
    }

    fn from_name(name: &str) -> Option<Builtin> {
        use Builtin::*;
        [Basic, Reversed, OptionalReversed, TypeIn, Cloze].into_iter().find(|b| b.name() == name)
    }
}

/// A path inside the project folder, from the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPath {
    /// Relative to the settings file's folder, `/`-separated, without `.` or `..`: what the
    /// digest holds, so that moving the project does not rebuild it.
    pub relative: String,
    /// The path to open (the settings file's folder joined with `relative`).
    pub path: PathBuf,
    /// Where the settings file names it (its value), and the key's dotted path
    /// (`notetypes.vocab.css`): a file that is not there is an error at that key.
    pub at: Position,
    pub key: String,
}

impl ProjectPath {
    /// The error for this path when it names no file that can be read as one (it is missing,
    /// or a folder), in the settings file `file`: a wrong path in the settings, so exit 1 at
    /// the key that names it. `what` is what the file is (`the stylesheet`).
    pub fn missing(&self, file: &Path, what: &str, error: &std::io::Error) -> SettingsError {
        let why = match error.kind() {
            std::io::ErrorKind::IsADirectory => "is a folder",
            _ => "does not exist",
        };
        SettingsError::Invalid {
            problem: Problem::MissingFile,
            file: file.to_path_buf(),
            at: self.at,
            key: Some(self.key.clone()),
            message: format!("{what} {} {why}", self.path.display()),
            hint: Some(format!(
                "{}, or correct the path: it is relative to the folder of {FILE_NAME} ({:?} here)",
                match error.kind() {
                    std::io::ErrorKind::IsADirectory => "name a file",
                    _ => "create the file",
                },
                self.relative
            )),
        }
    }
}

/// One template of a custom note type: its name and the files of its two sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFiles {
    pub name: String,
    pub front: ProjectPath,
    pub back: ProjectPath,
}

/// A note type defined in `[notetypes.<name>]`, validated in shape; its files are not read yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomNotetype {
    pub name: String,
    pub kind: Kind,
    pub fields: Vec<String>,
    pub css: Option<ProjectPath>,
    pub templates: Vec<TemplateFiles>,
}

/// The note type of a deck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotetypeChoice {
    Builtin(Builtin),
    Custom(Arc<CustomNotetype>),
}

/// A deck's effective settings: the defaults overlaid by its own table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckSettings {
    pub notetype: NotetypeChoice,
    /// Tags added to every note: the defaults' and the deck's, sorted, each once (Anki compares
    /// tags ignoring case, so `History` and `history` are one tag; the first spelling is kept).
    pub tags: Vec<String>,
    /// Each section becomes a subdeck `Deck::Section`.
    pub subdecks: bool,
    /// The card text is HTML, kept as written, instead of text to escape.
    pub html: bool,
    /// The Anki deck name, instead of the file's title.
    pub name: Option<String>,
    pub description: Option<String>,
}

impl Default for DeckSettings {
    /// Today's behaviour: what a deck gets without a settings file.
    fn default() -> Self {
        DeckSettings {
            notetype: NotetypeChoice::Builtin(Builtin::Basic),
            tags: Vec::new(),
            subdecks: false,
            html: false,
            name: None,
            description: None,
        }
    }
}

impl DeckSettings {
    /// A digest of everything in these settings that affects the deck's outputs. The contents
    /// of a custom note type's files are not in it (only their paths): whoever reads those
    /// files adds their digest to the deck's fingerprint.
    pub fn digest(&self) -> u128 {
        let mut h = Xxh3::new();
        // Every part is length-prefixed, so no two different settings give the same bytes.
        let mut part = |bytes: &[u8]| {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(b"ankideck settings 1");
        match &self.notetype {
            NotetypeChoice::Builtin(b) => part(format!("builtin {}", b.name()).as_bytes()),
            NotetypeChoice::Custom(c) => {
                part(b"custom");
                part(c.name.as_bytes());
                part(format!("{:?}", c.kind).as_bytes());
                part(&(c.fields.len() as u64).to_le_bytes());
                c.fields.iter().for_each(|f| part(f.as_bytes()));
                part(c.css.as_ref().map_or("", |p| &p.relative).as_bytes());
                part(&(c.templates.len() as u64).to_le_bytes());
                for t in &c.templates {
                    [&t.name, &t.front.relative, &t.back.relative].iter().for_each(|s| part(s.as_bytes()));
                }
            }
        }
        part(&(self.tags.len() as u64).to_le_bytes());
        self.tags.iter().for_each(|t| part(t.as_bytes()));
        part(&[self.subdecks as u8, self.html as u8]);
        for text in [&self.name, &self.description] {
            match text {
                Some(text) => part(format!("some {text}").as_bytes()),
                None => part(b"none"),
            }
        }
        h.digest128()
    }
}

/// The keys one table sets; `None` where it leaves the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Layer {
    notetype: Option<NotetypeChoice>,
    /// Where `notetype` is set (its value).
    notetype_at: Option<Position>,
    tags: Vec<String>,
    subdecks: Option<bool>,
    html: Option<bool>,
    name: Option<String>,
    description: Option<String>,
}

/// A `[decks.<stem>]` table and where it starts.
#[derive(Debug, Clone)]
struct DeckTable {
    layer: Layer,
    at: Position,
}

/// The project's settings, read and validated.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file they were read from; `None` without a file.
    file: Option<PathBuf>,
    defaults: Layer,
    decks: BTreeMap<String, DeckTable>,
    notetypes: BTreeMap<String, Arc<CustomNotetype>>,
    /// `[defaults] assets`: files the stylesheets use, packed under a versioned name.
    assets: Vec<ProjectPath>,
}

impl Settings {
    /// Reads the settings file at `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Settings::parse(&text, path),
                Err(e) => Err(resolve::not_utf8(path, &e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(source) => Err(SettingsError::Read { path: path.to_path_buf(), source }),
        }
    }

    /// Reads settings from `text`, the content of the file `path` (relative paths in it are
    /// relative to `path`'s folder).
    pub fn parse(text: &str, path: &Path) -> Result<Settings, SettingsError> {
        resolve::parse(text, path)
    }

    /// The file these settings came from, if there was one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The effective settings of the deck whose file stem is `stem`.
    pub fn for_deck(&self, stem: &str) -> DeckSettings {
        let mut deck = DeckSettings::default();
        let own = self.decks.get(stem).map(|d| &d.layer);
        for layer in std::iter::once(&self.defaults).chain(own) {
            if let Some(n) = &layer.notetype {
                deck.notetype = n.clone();
            }
            deck.tags.extend(layer.tags.iter().cloned());
            deck.subdecks = layer.subdecks.unwrap_or(deck.subdecks);
            deck.html = layer.html.unwrap_or(deck.html);
            deck.name = layer.name.clone().or(deck.name);
            deck.description = layer.description.clone().or(deck.description);
        }
        deck.tags = resolve::merge_tags(deck.tags);
        deck
    }

    /// The stylesheet assets (`[defaults] assets`), in the order the file lists them.
    pub fn assets(&self) -> &[ProjectPath] {
        &self.assets
    }

    /// The custom note types, by name.
    pub fn notetypes(&self) -> impl Iterator<Item = &Arc<CustomNotetype>> {
        self.notetypes.values()
    }

    /// A warning for each `[decks.<stem>]` table whose deck file is not among `stems` (the stems
    /// of the deck files found): its settings apply to nothing.
    pub fn warnings(&self, stems: &[&str]) -> Vec<SettingsWarning> {
        let Some(file) = &self.file else { return Vec::new() };
        let known = stems;
        let mut warnings: Vec<SettingsWarning> = (self.decks.iter())
            .filter(|(stem, _)| !known.contains(&stem.as_str()))
            .map(|(stem, table)| SettingsWarning {
                file: file.clone(),
                at: table.at,
                key: format!("decks.{stem}"),
                message: format!(
                    "there is no deck file `{stem}.txt`; the settings of [decks.{stem}] apply to nothing"
                ),
                hint: Some(match error::did_you_mean(stem, known.iter().copied()) {
                    Some(near) => format!(
                        "did you mean [decks.{near}]? A deck is named by its file's name without `.txt`"
                    ),
                    None => "a deck is named by its file's name without `.txt`".to_string(),
                }),
            })
            .collect();
        warnings.extend(self.unused_missing_files(stems));
        warnings.sort_by_key(|w| (w.at.line, w.at.column));
        warnings
    }

    /// A warning for each file named by a `[notetypes.X]` that no deck of `stems` uses and that
    /// is not there: nothing reads it in this build, and a deck switched to that note type
    /// would fail (a used note type's missing file is an error, when it is read).
    fn unused_missing_files(&self, stems: &[&str]) -> Vec<SettingsWarning> {
        let Some(file) = &self.file else { return Vec::new() };
        let used: Vec<NotetypeChoice> = stems.iter().map(|stem| self.for_deck(stem).notetype).collect();
        let mut warnings = Vec::new();
        for custom in self.notetypes.values() {
            if used.iter().any(|u| matches!(u, NotetypeChoice::Custom(c) if c.name == custom.name)) {
                continue;
            }
            let css = custom.css.iter().map(|p| (p, "the stylesheet"));
            let templates =
                custom.templates.iter().flat_map(|t| [(&t.front, "the template"), (&t.back, "the template")]);
            for (path, what) in css.chain(templates) {
                let error = match std::fs::metadata(&path.path) {
                    Ok(meta) if meta.is_dir() => std::io::Error::from(std::io::ErrorKind::IsADirectory),
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => e,
                    // Not readable: the build that uses it says so.
                    Err(_) => continue,
                };
                let SettingsError::Invalid { at, key, message, hint, .. } = path.missing(file, what, &error)
                else {
                    unreachable!("a missing file is an error in the settings")
                };
                warnings.push(SettingsWarning {
                    file: file.clone(),
                    at,
                    key: key.unwrap_or_default(),
                    message: format!(
                        "{message}; no deck uses the note type `{}`, so nothing is built with it",
                        custom.name
                    ),
                    hint,
                });
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests;
