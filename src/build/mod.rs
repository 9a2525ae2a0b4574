//! The `build` command's pipeline: discover → parse → resolve → identify → emit, for every deck
//! of a source folder. Decks are read and written in parallel; identities are assigned in file
//! order so the result does not depend on scheduling. One broken deck does not stop the others.

pub mod durable;
pub mod guard;
mod identities;
pub mod journal;
mod locked;
mod lockfile;
pub mod media;
pub mod moved;
pub mod progress;
pub mod recover;
mod reverted;
pub mod settings;
pub mod stale;
pub mod state;

pub use locked::{DeckChange, DeckChangeKind, LockChanges};

use crate::diagnostic::Diagnostic;
use crate::discover::{self, DiscoverError, SourceFile};
use crate::emit::{self, Compression, EmitError, collection::CollectionInput};
use crate::identify::streamed::{ScannedDeck, StreamedDeck};
use crate::identify::{self, IdentifiedDeck, NoteKey};
use crate::lock::{Lock, LockError, NoteEntry, NotetypeEntry, RawSections, SpilledSection};
use crate::model::Deck;
use crate::notetype::Notetype;
use crate::source::{self, stem_of};
use crate::spill::SpillWriter;
use crate::timing::Phase;
use progress::{Progress, Stage};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_128;

/// What `build` is asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub source: PathBuf,
    pub out: PathBuf,
    pub lock: PathBuf,
    pub csv: bool,
    pub locked: bool,
    pub force: bool,
    pub compression: Compression,
    /// The build time in seconds (`SOURCE_DATE_EPOCH` or the clock): the `mod` of what changes.
    pub now_secs: i64,
    /// A source file larger than this many bytes is built from disk: read in blocks, its notes
    /// kept in a temporary file in `out`, so memory does not grow with the deck's text.
    pub stream_above: u64,
    /// Also list each new and updated note of the decks built in memory (`--verbose`).
    pub detail: bool,
}

/// The default of [`BuildOptions::stream_above`]: 64 MiB, about 150,000 cards of the kind in the
/// benchmarks. Smaller decks are built in memory, which is faster.
pub const STREAM_ABOVE: u64 = 64 << 20;

/// How many bytes of a streamed source are read at a time.
pub const STREAM_BLOCK: usize = 8 << 20;

/// What happened to one deck.
#[derive(Debug, Clone)]
pub enum Outcome {
    Built(Box<Built>),
    UpToDate {
        name: String,
        cards: usize,
    },
    /// The source has errors (reported as diagnostics); nothing was written.
    Invalid,
    /// Reading or writing failed.
    Failed(String),
    /// The deck's lock section is damaged and no package holds its identities: not built.
    DamagedLock(String),
    /// `--locked` found the lock out of date, so the deck (its Anki name and cards) was not
    /// written.
    NotWritten {
        name: String,
        cards: usize,
    },
}

/// A deck that was written.
#[derive(Debug, Clone)]
pub struct Built {
    pub name: String,
    /// The deck's notes, and the cards they make (more than the notes for note types of
    /// several cards).
    pub notes: usize,
    pub cards: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: Vec<NoteEntry>,
    /// Whether the removed cards stay in the lock (another deck was not built: they may have
    /// moved there), so they are not reported as gone yet.
    pub removed_kept: bool,
    /// Cards whose note was in another Anki deck in the last build, by that deck.
    pub moved: Vec<moved::Moved>,
    pub outputs: Vec<PathBuf>,
    /// The package identities were recovered from, when the lock had none for this deck.
    /// Where the identities came from when the lock had none for this deck.
    pub recovered_from: Option<String>,
    /// Notes that got new ids because notes of other decks had the same (a merge of two branches).
    pub new_ids: Option<NewIds>,
    /// With [`BuildOptions::detail`], the new and updated notes of a deck built in memory.
    pub changed: Vec<ChangedNote>,
    /// The folder with the media of its CSV (a CSV written, of a deck with media).
    pub csv_media: Option<PathBuf>,
}

/// A new or updated note, for `--verbose`.
#[derive(Debug, Clone)]
pub struct ChangedNote {
    pub change: identify::Change,
    /// Its source line.
    pub line: u32,
    pub preview: String,
}

/// How many of a deck's notes got new ids because notes of earlier decks of the lock (other
/// guids) had the same ids, and the names of those decks ([`crate::lock::IdClash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIds {
    pub count: usize,
    pub with: Vec<String>,
}

/// One deck's result.
#[derive(Debug, Clone)]
pub struct DeckResult {
    pub file: PathBuf,
    pub outcome: Outcome,
}

/// What became of the lock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStatus {
    Unchanged,
    Written,
    /// `--locked` and the lock would change: nothing was written.
    OutOfDate,
}

/// Everything a build did, for the printer.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub decks: Vec<DeckResult>,
    pub diagnostics: Vec<Diagnostic>,
    pub lock: LockStatus,
    /// Decks in the lock whose source file is gone (their entries were dropped).
    pub forgotten: Vec<String>,
    /// Those of them whose outputs were removed from `out/`, with their notes.
    pub gone: Vec<stale::GoneDeck>,
    /// Notes an earlier, interrupted build dropped from the lock without reporting them.
    pub interrupted: Vec<journal::Unreported>,
    /// With `--locked` and a lock out of date: how the lock would change.
    pub refused: Option<LockChanges>,
    /// What becomes of the journal of unreported removals once this report has been delivered
    /// (see [`build_with`]): changed before, a kill between the two would lose removals.
    journal_after: JournalAfter,
}

/// The journal of unreported removals, once a report is delivered.
#[derive(Debug, Clone, Default)]
enum JournalAfter {
    #[default]
    Keep,
    Clear,
    /// Only these are still unreported (their decks' outputs could not be put in place), with
    /// the digest of the lock that dropped them.
    Rewrite(u128, Vec<journal::Unreported>),
}

impl BuildReport {
    /// Whether any deck had input errors or the lock was out of date.
    pub fn has_input_errors(&self) -> bool {
        self.lock == LockStatus::OutOfDate
            || self.decks.iter().any(|d| matches!(d.outcome, Outcome::Invalid | Outcome::DamagedLock(_)))
    }

    /// Whether any deck failed for a reason outside the user's input.
    pub fn has_failures(&self) -> bool {
        self.decks.iter().any(|d| matches!(d.outcome, Outcome::Failed(_)))
    }
}

/// Why a build could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Emit(#[from] EmitError),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Stylesheet(#[from] discover::StylesheetError),
    #[error("no deck files (*.txt) in {0}")]
    NoDecks(PathBuf),
    #[error("cannot take the build guard {path}: {source}")]
    Guard { path: PathBuf, source: std::io::Error },
    #[error("cannot remove {path}: {source}")]
    Remove { path: PathBuf, source: std::io::Error },
    /// `ankideck.toml` is wrong or cannot be read: nothing is built.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// The decks' note type is not the one their notes in the lock were built with.
    #[error(
        "the notes in {} are of the note type `{old}`, and the settings now ask for `{new}`: \
         switching a deck's note type is not supported yet (Anki keeps a note's type on import, \
         so the notes would not be updated)\n  hint: set `notetype` back; or, to start over, \
         delete {0} (every note gets a new identity: Anki imports them as new notes and the old \
         ones keep their review history under `{old}`)",
        lock.display()
    )]
    NotetypeSwitch { lock: PathBuf, old: String, new: String },
    /// A custom note type of `ankideck.toml` is wrong (the message names the file).
    #[error("{0}")]
    Notetype(String),
}

/// A deck after the parallel read phase.
enum Prepared {
    UpToDate {
        name: String,
        cards: usize,
    },
    Ready {
        deck: Deck,
        source: u128,
    },
    /// A deck too large to hold in memory, read once: its notes are on disk.
    Streamed {
        deck: ScannedDeck,
        source: u128,
    },
    Invalid,
    Failed(String),
}

impl Prepared {
    /// How many cards the deck has to identify (none when it is not built).
    fn cards(&self) -> usize {
        match self {
            Prepared::Ready { deck, .. } => deck.notes.len(),
            Prepared::Streamed { deck, .. } => deck.keys.len(),
            _ => 0,
        }
    }
}

/// Builds every deck of `opts.source` into `opts.out`, after any other build of the project.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_with(opts, &|_| {}, &progress::NoProgress, &mut |_| {})
}

/// [`build`], calling `waiting` with the guard's path if it has to wait for another build of
/// the project to finish, `progress` at each phase, and `deliver` with the report while the
/// guard is still held. One build at a time: from before the lock is read until the report is
/// delivered, the build holds the project's guard ([`guard`]); while it does, it removes what
/// killed builds left: temporary files in `out/` and beside the lock (where they used to be).
/// Removed notes an interrupted build left unreported are forgotten only after `deliver`
/// returns, so a kill before the report is out means they are reported again, never lost.
pub fn build_with(
    opts: &BuildOptions,
    waiting: &dyn Fn(&Path),
    progress: &dyn Progress,
    deliver: &mut dyn FnMut(&BuildReport),
) -> Result<BuildReport, BuildError> {
    let _total = Phase::start("build", String::new);
    // A lock reached through a symbolic link is the file it names: its folder is the one to
    // guard, and it is replaced there (renaming onto the link would replace the link).
    let resolved;
    let opts = match std::fs::symlink_metadata(&opts.lock) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let lock = std::fs::canonicalize(&opts.lock)
                .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })?;
            resolved = BuildOptions { lock, ..opts.clone() };
            &resolved
        }
        _ => opts,
    };
    let guard = guard::BuildGuard::acquire(&opts.out, waiting)
        .map_err(|source| BuildError::Guard { path: opts.out.join(guard::GUARD_FILE), source })?;
    let lock_folder =
        guard::FolderGuard::acquire(durable::parent_of(&opts.lock), &|_| waiting(&opts.lock)).map_err(
            |source| BuildError::Guard { path: durable::parent_of(&opts.lock).to_path_buf(), source },
        )?;
    let leftovers = guard::remove_leftovers(&[&opts.out, durable::parent_of(&opts.lock)]);
    let report = leftovers.and_then(|_| build_guarded(opts, progress)).and_then(|report| {
        deliver(&report);
        let done = match &report.journal_after {
            JournalAfter::Keep => Ok(()),
            JournalAfter::Clear => journal::clear(&opts.out),
            JournalAfter::Rewrite(digest, decks) => journal::write(&opts.out, *digest, decks),
        };
        done.map_err(|source| BuildError::Remove { path: opts.out.join(state::STATE_DIR), source })?;
        Ok(report)
    });
    drop(lock_folder);
    guard.release();
    report
}

/// The build, once it holds the guard.
fn build_guarded(opts: &BuildOptions, progress: &dyn Progress) -> Result<BuildReport, BuildError> {
    let files = discover::discover(&opts.source)?;
    if files.is_empty() {
        return Err(BuildError::NoDecks(opts.source.clone()));
    }
    let project = settings::load(&opts.lock)?;
    let file_stems: Vec<String> = files.iter().map(|f| stem_of(&f.path)).collect();
    let notetype = load_notetype(&opts.source, &project, &file_stems)?;
    let settings_warnings = settings::warnings(&project, file_stems.iter().map(String::as_str));
    // The lock and the sources whose outputs exist (the incremental check needs both) are read
    // at the same time.
    let (old_text, sources) = rayon::join(
        || std::fs::read_to_string(&opts.lock),
        || files.par_iter().map(|file| read_for_check(file, opts)).collect::<Vec<_>>(),
    );
    let old_text = match old_text {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(BuildError::Read { path: opts.lock.clone(), source }),
    };
    // The incremental check reads the lock's raw sections; the whole lock is parsed only when a
    // deck has to be built.
    let raw = old_text.as_deref().map(RawSections::of).unwrap_or_default();
    // A merged lock with conflicts holds two versions of some identities: none is trusted.
    if let Some(line) = raw.conflict {
        return Err(LockError::Conflict { path: opts.lock.clone(), line }.into());
    }
    let interrupted = journal::pending(&opts.out, old_text.as_deref());
    let head = Lock::parse(&opts.lock, raw.head)?;
    // Notes built under one note type cannot move to another by rebuilding: Anki keeps a note's
    // type on import, and the lock's card ids are the old type's cards.
    if !raw.decks.is_empty() && !head.notetypes.is_empty() && !head.notetypes.contains_key(&notetype.id.0) {
        let old = head.notetypes.values().max_by_key(|e| e.mtime).expect("not empty");
        return Err(BuildError::NotetypeSwitch {
            lock: opts.lock.clone(),
            old: old.name.clone(),
            new: notetype.name.clone(),
        });
    }
    let notetype_entry =
        identify::identify_notetype(&notetype, head.notetypes.get(&notetype.id.0), opts.now_secs);
    let run = Run {
        opts,
        notetype: &notetype,
        project: &project,
        settings: format!("compression={} csv={}", opts.compression.name(), opts.csv),
        progress,
        media: media::Packs::default(),
    };
    progress.begin(Stage::Reading, files.len() as u64);
    let phase = Phase::start("check", String::new);
    // Each lock section's digest, once: the incremental check and the comparison with what the
    // decks' last builds wrote both need it.
    let sections: std::collections::HashMap<&str, u128> =
        raw.decks.par_iter().map(|(key, s)| (key.as_str(), state::section_digest(s.text))).collect();
    let mut checked = run.check_all(&files, sources, &notetype_entry, &sections);
    drop(phase);
    // A lock of an earlier version is written anew, each section parsed (none carried over as
    // it is): every deck is rebuilt once, so that each records the digest of its new section
    // (and one with version-1 lines gets its sketches from its package).
    if old_text.is_some() && raw.version < crate::lock::VERSION {
        for c in &mut checked {
            if matches!(c, Checked::UpToDate { .. }) {
                *c = Checked::Build(None);
            }
        }
    }
    let as_written = reverted::as_written(&opts.out, &files, &checked, &sections);
    let stems: HashSet<String> = files.iter().map(|f| stem_of(&f.path)).collect();
    let mut forgotten: Vec<String> = raw.decks.keys().filter(|k| !stems.contains(*k)).cloned().collect();
    forgotten.sort();
    let all_fresh = checked.iter().all(|c| matches!(c, Checked::UpToDate { .. }));
    if all_fresh && forgotten.is_empty() && raw.canonical {
        let decks = files.iter().zip(checked).map(|(file, c)| DeckResult::unbuilt(file, c.into())).collect();
        let report = BuildReport {
            decks,
            diagnostics: settings_warnings,
            lock: LockStatus::Unchanged,
            forgotten,
            gone: Vec::new(),
            journal_after: if interrupted.is_empty() { JournalAfter::Keep } else { JournalAfter::Clear },
            interrupted,
            refused: None,
        };
        return Ok(report);
    }
    // Only the sections of decks to rebuild (and of decks whose file is gone, which a renamed
    // file may take over) are parsed; the others are carried over verbatim. The lock and the
    // sources are parsed at the same time.
    let to_parse: HashSet<String> = files
        .iter()
        .zip(&checked)
        .filter(|(_, c)| matches!(c, Checked::Build(_)))
        .map(|(f, _)| stem_of(&f.path))
        .chain(forgotten.iter().cloned())
        .collect();
    // The text is let go before the sections to rebuild are parsed: they are read again from
    // the file, so a large lock is not held both as text and as entries. Only its digest is
    // needed from here on: whether the lock changes.
    let detached = raw.detach(|key| to_parse.contains(key));
    // Sections as their builds wrote them cannot share ids: their check is skipped (it reads
    // every note line of the lock).
    // (`--force` checks them all the same.)
    let detached = if as_written.all && !opts.force { detached.as_written() } else { detached };
    // A lock checked out with CRLF line ends (git's `core.autocrlf`) is the same lock: compared
    // with LF, so `--locked` passes and an unchanged lock is not rewritten (git would only turn
    // it back).
    let old_digest = old_text.as_deref().map(|t| match memchr::memchr(b'\r', t.as_bytes()).is_some() {
        true => xxh3_128(t.replace("\r\n", "\n").as_bytes()),
        false => xxh3_128(t.as_bytes()),
    });
    // With `--locked`, what a refusal has to compare: the old sections' digests, kept.
    let old_lock_summary = opts.locked.then(|| locked::OldLock {
        exists: old_text.is_some(),
        older_version: raw.version < crate::lock::VERSION,
        sections: sections.iter().map(|(key, digest)| (key.to_string(), *digest)).collect(),
        notetypes: head.notetypes.clone(),
    });
    drop(sections);
    drop(raw);
    drop(old_text);
    let (prepared, old_lock) = rayon::join(
        || {
            let _phase = Phase::start("prepare", String::new);
            run.prepare_all(&files, checked)
        },
        || {
            let _phase = Phase::start("lock parse", String::new);
            Lock::parse_detached(&opts.lock, detached)
        },
    );
    let mut old_lock = old_lock?;
    let mut prepared = prepared;
    // A deck with notes that get new ids (their ids are also an earlier deck's) is rebuilt even
    // when its outputs are up to date: its package must hold the ids of its lock entries.
    for (file, prepared) in files.iter().zip(prepared.iter_mut()) {
        let key = stem_of(&file.path);
        if matches!(prepared.0, Prepared::UpToDate { .. })
            && old_lock.clashes.contains_key(&key)
            && old_lock.parse_kept_clashing(&opts.lock, &key)
        {
            *prepared = prepare(file, None, opts, &project.for_deck(&key), &run.media);
        }
    }
    let diagnostics: Vec<Diagnostic> =
        settings_warnings.into_iter().chain(prepared.iter().flat_map(|(_, d)| d.clone())).collect();

    let cards = prepared.iter().map(|(p, _)| p.cards()).sum::<usize>();
    progress.begin(Stage::Identifying, cards as u64);
    let phase = Phase::start("identify", String::new);
    // Every deck whose file is gone: those the lock drops in the end have their outputs removed.
    let files_gone = forgotten.clone();
    let mut identified = run.identify_all(&files, prepared, &old_lock, &mut forgotten, &as_written.edited);
    drop(phase);
    let mut diagnostics = diagnostics;
    diagnostics.append(&mut identified.warnings);
    if opts.locked {
        finish_entries(&mut identified.lock, &identified.to_emit, &opts.out)?;
    }
    let new_digest = || {
        identified
            .lock
            .write_to(&mut std::io::sink())
            .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })
    };
    if let Some(old) = &old_lock_summary
        && let (digest, new_sections) = new_digest()?
        && old_digest != Some(digest)
    {
        let refused = locked::changes(old, &new_sections, &identified.lock.notetypes, &identified.to_emit);
        let decks = identified.results;
        let report = BuildReport {
            decks,
            diagnostics,
            lock: LockStatus::OutOfDate,
            forgotten,
            gone: Vec::new(),
            interrupted: Vec::new(),
            refused: Some(refused),
            journal_after: JournalAfter::Keep,
        };
        return Ok(report);
    }
    let cards = identified.to_emit.iter().map(|p| p.deck.notes().len()).sum::<usize>();
    progress.begin(Stage::Writing, cards as u64);
    let phase = Phase::start("emit", String::new);
    // The decks whose file is gone, with the entries no deck took over (a renamed deck's were
    // all taken). Those the new lock still holds (a deck file with errors may be one of them
    // renamed) keep their outputs.
    let gone_left = std::mem::take(&mut identified.gone_left);
    let dropped: Vec<(&str, &[NoteEntry])> = files_gone
        .iter()
        .map(|key| {
            let left = forgotten.contains(key).then(|| gone_left.get(key)).flatten();
            (key.as_str(), left.map_or(&[][..], Vec::as_slice))
        })
        .collect();
    let (lock, gone, journal_after) =
        run.emit_all(&mut identified, &old_lock, old_digest, &dropped, &files, &interrupted)?;
    drop(phase);
    for (file, result) in files.iter().zip(&identified.results) {
        if matches!(result.outcome, Outcome::Invalid | Outcome::Failed(_) | Outcome::DamagedLock(_)) {
            state::forget(&opts.out, &stem_of(&file.path));
        }
    }
    let Identified { lock: new_lock, results: decks, to_emit, .. } = identified;
    // The old and new identities are large; freeing them is work nobody waits for. (The decks
    // written are freed here: their notes were freed while they were written, and a deck on
    // disk borrows its old entries from the old lock.)
    drop(to_emit);
    free_in_background((new_lock, old_lock));
    Ok(BuildReport { decks, diagnostics, lock, forgotten, gone, interrupted, refused: None, journal_after })
}

/// What every phase of one build reads.
struct Run<'a> {
    opts: &'a BuildOptions,
    notetype: &'a Notetype,
    /// The project's `ankideck.toml`.
    project: &'a crate::settings::Settings,
    /// The settings that change the outputs, as fingerprinted.
    settings: String,
    progress: &'a dyn Progress,
    /// The media files of the decks prepared, until they are written.
    media: media::Packs,
}

/// The decks after the identify phase: the new lock, a result per file, the decks to write.
struct Identified<'a> {
    lock: Lock,
    results: Vec<DeckResult>,
    to_emit: Vec<Pending<'a>>,
    notetype_entry: NotetypeEntry,
    /// For each deck whose file is gone, its entries that no deck took (its removed notes).
    gone_left: std::collections::HashMap<String, Vec<NoteEntry>>,
    /// What identifying found to warn about (W010: cards a note no longer makes).
    warnings: Vec<Diagnostic>,
}

/// Completes the lock entries of the decks to write: the sketches and previews of a deck in
/// memory; the whole section of a deck on disk, written to a temporary file in `dir`.
fn finish_entries(lock: &mut Lock, to_emit: &[Pending], dir: &Path) -> Result<(), BuildError> {
    for pending in to_emit {
        match &pending.deck {
            DeckBody::Memory(deck) => {
                if let Some(entries) = lock.notes.get_mut(&deck.key) {
                    deck.finish_entries(entries);
                }
            }
            DeckBody::Streamed(deck) => {
                let section = SpilledSection::write(dir, &deck.key, &deck.deck, |f| {
                    deck.for_each_lock_entry(f)
                })
                .map_err(|source| {
                    BuildError::Emit(EmitError::Io {
                        action: "cannot write the lock entries of a large deck to a temporary file in",
                        path: dir.to_path_buf(),
                        source,
                    })
                })?;
                lock.spilled.insert(deck.key.clone(), section);
            }
        }
    }
    Ok(())
}

impl DeckResult {
    /// The result of a deck that is not written in this build.
    fn unbuilt(file: &SourceFile, prepared: Prepared) -> DeckResult {
        let outcome = match prepared {
            Prepared::UpToDate { name, cards } => Outcome::UpToDate { name, cards },
            Prepared::Failed(message) => Outcome::Failed(message),
            Prepared::Invalid | Prepared::Ready { .. } | Prepared::Streamed { .. } => Outcome::Invalid,
        };
        DeckResult { file: file.path.clone(), outcome }
    }
}

impl Run<'_> {
    /// The settings of deck `stem` that change its outputs, as fingerprinted: the build's
    /// and the deck's own from `ankideck.toml`.
    fn deck_fingerprint(&self, stem: &str) -> String {
        self.settings.clone() + &settings::fingerprint_part(&self.project.for_deck(stem))
    }

    /// Finds, in parallel, which files must be built: the others are up to date.
    fn check_all(
        &self,
        files: &[SourceFile],
        sources: Vec<Option<SourceRead>>,
        notetype_entry: &NotetypeEntry,
        sections: &std::collections::HashMap<&str, u128>,
    ) -> Vec<Checked> {
        let clashing = discover::case_clashes(files);
        files
            .par_iter()
            .zip(sources)
            .map(|(file, source)| match clashing.iter().find(|d| d.file == file.path) {
                Some(diagnostic) => Checked::Invalid(diagnostic.clone()),
                None => {
                    let settings = self.deck_fingerprint(&stem_of(&file.path));
                    check(file, source, notetype_entry, sections, &settings, &self.opts.out)
                }
            })
            .collect()
    }

    /// Reads and parses, in parallel, every file that must be built.
    fn prepare_all(&self, files: &[SourceFile], checked: Vec<Checked>) -> Vec<(Prepared, Vec<Diagnostic>)> {
        files
            .par_iter()
            .zip(checked)
            .map(|(file, checked)| {
                let settings = self.project.for_deck(&stem_of(&file.path));
                let prepared = match checked {
                    Checked::Build(read) => prepare(file, read, self.opts, &settings, &self.media),
                    // Parsed all the same, so that build reports what check does: the clash
                    // does not hide the file's own problems.
                    Checked::Invalid(diagnostic) => {
                        let (_, parsed) = prepare(file, None, self.opts, &settings, &self.media);
                        (Prepared::Invalid, std::iter::once(diagnostic).chain(parsed).collect())
                    }
                    other => (other.into(), Vec::new()),
                };
                self.progress.advance(1);
                prepared
            })
            .collect()
    }

    /// Writes the identified decks and the lock, in the order that keeps the lock on disk
    /// knowing every identity that any output in `out/` holds, whenever the build is stopped:
    /// 1. the packages and CSVs are written to temporary files and flushed while the lock is
    ///    streamed to one (a deck whose files could not be written keeps its old lock entries);
    /// 2. the outputs of decks whose source file is gone are removed (their entries are still
    ///    in the lock on disk, so a crash here only repeats the removal), then the lock is put
    ///    in place and the rename flushed;
    /// 3. each deck's state file is removed, its package and CSV renamed into place (a CSV not
    ///    asked for is removed) and `out/` flushed;
    /// 4. only then the state files that say the decks are up to date are recorded.
    fn emit_all(
        &self,
        identified: &mut Identified<'_>,
        old_lock: &Lock,
        old_digest: Option<u128>,
        dropped: &[(&str, &[NoteEntry])],
        files: &[SourceFile],
        interrupted: &[journal::Unreported],
    ) -> Result<(LockStatus, Vec<stale::GoneDeck>, JournalAfter), BuildError> {
        let opts = self.opts;
        let Identified { lock, results, to_emit, notetype_entry, .. } = identified;
        let (emitted, staged_lock) = rayon::join(
            || {
                to_emit
                    .par_iter()
                    .map(|p| {
                        let deck_settings = self.project.for_deck(p.deck.key());
                        let media = self.media.of(p.deck.key());
                        let emitted =
                            emit_deck(opts, self.notetype, notetype_entry, &deck_settings, p, &media.files);
                        self.progress.advance(p.deck.notes().len() as u64);
                        emitted
                    })
                    .collect::<Vec<_>>()
            },
            || {
                // `--locked` completed them before comparing the lock.
                if !opts.locked {
                    let _phase = Phase::start("lock entries", String::new);
                    finish_entries(lock, to_emit, &opts.out)?;
                }
                let _phase = Phase::start("lock write", String::new);
                Ok::<_, BuildError>(lockfile::stage_lock(&opts.lock, &opts.out, lock)?)
            },
        );
        // The notes are written out: free them on another thread while the packages are
        // flushed to disk (a deck of 100,000 notes takes tens of milliseconds to free).
        let notes: Vec<_> = to_emit
            .iter_mut()
            .filter_map(|p| match &mut p.deck {
                DeckBody::Memory(deck) => Some(std::mem::take(&mut deck.notes)),
                DeckBody::Streamed(_) => None,
            })
            .collect();
        free_in_background(notes);
        // Without a lock to go with them, the new packages must not replace the old ones: the
        // identities of their new notes would be lost. (Their temporary files are removed.)
        let staged_lock = staged_lock?;
        let mut written = Vec::with_capacity(to_emit.len());
        for (pending, result) in to_emit.iter().zip(emitted) {
            match result {
                Ok(done) => written.push((pending, done)),
                Err(message) => {
                    // The package was not written: the lock keeps what matches the old one.
                    let stem = pending.deck.key();
                    lock.decks.remove(stem);
                    lock.notes.remove(stem);
                    lock.spilled.remove(stem);
                    let taken_over = pending.taken_over.as_deref();
                    recover::keep_entries_of_unbuilt(old_lock, stem, taken_over, &pending.exchange, lock);
                    results[pending.index].outcome = Outcome::Failed(message);
                }
            }
        }
        // A deck that failed to write put its old entries back: the staged lock is stale then.
        let mut staged = if written.len() < to_emit.len() {
            lockfile::stage_lock(&opts.lock, &opts.out, lock)?
        } else {
            staged_lock
        };
        let live = stale::LiveNames::of(files.iter().map(|f| stem_of(&f.path)));
        let dropped: Vec<&(&str, &[NoteEntry])> = dropped
            .iter()
            .filter(|(key, _)| !lock.decks.contains_key(*key) && !lock.kept.contains_key(*key))
            .collect();
        let gone = dropped
            .iter()
            .map(|(key, entries)| stale::remove_gone_deck(&opts.out, key, entries, &live))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|(path, source)| BuildError::Remove { path, source })?;
        if gone.iter().any(|g| !g.removed_files.is_empty()) {
            // Removed for good before the lock forgets the deck (or a power cut could leave
            // outputs that no later build knows to remove).
            durable::sync_dir(&opts.out).map_err(|source| {
                BuildError::Emit(EmitError::Io {
                    action: "cannot flush the folder",
                    path: opts.out.clone(),
                    source,
                })
            })?;
        }
        // The notes this lock drops are reported only if the build gets to the end: they are
        // kept on disk until then.
        // (Removed cards kept in the lock are not dropped by it: nothing to report later.)
        let removed = written
            .iter()
            .filter(|(p, _)| !p.kept_removed)
            .map(|(p, (built, _))| (p.deck.key(), &built.removed[..]));
        let removed = removed.chain(dropped.iter().map(|(key, entries)| (*key, *entries)));
        let mut unreported = journal::unreported(interrupted, removed);
        let mut journal_after = JournalAfter::Keep;
        let journal_error = |source| BuildError::Remove { path: opts.out.join(state::STATE_DIR), source };
        if !unreported.is_empty() {
            journal::write(&opts.out, staged.digest(), &unreported).map_err(journal_error)?;
        }
        let lock_digest = staged.digest();
        let section_digests = std::mem::take(&mut staged.sections);
        let phase = Phase::start("lock commit", String::new);
        let status = lockfile::commit_lock(&opts.lock, staged, old_digest)?;
        drop(phase);
        let placed = place_outputs(opts, written, results)?;
        let notetype_line = notetype_fingerprint(notetype_entry);
        for (pending, built) in placed {
            let stem = pending.deck.key();
            let section = match section_digests.get(stem) {
                Some(digest) => *digest,
                None => lock
                    .deck_digest(stem)
                    .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })?,
            };
            let fingerprint = state::fingerprint(&state::FingerprintInput {
                source: pending.source,
                settings: &self.deck_fingerprint(stem),
                notetype: &notetype_line,
                lock_section: section,
            });
            let media = self.media.of(stem);
            if pending.kept_removed
                || media::record(&opts.out, stem, &media).is_err()
                || state::record(&opts.out, stem, &fingerprint, built.cards, section, &built.name).is_err()
            {
                state::forget(&opts.out, stem);
            }
            results[pending.index].outcome = Outcome::Built(Box::new(built));
        }
        if !unreported.is_empty() {
            // A deck whose outputs could not be put in place is not reported as built: its
            // removed notes stay in the journal for the next build to report.
            let failed: HashSet<&str> = to_emit
                .iter()
                .filter(|p| matches!(results[p.index].outcome, Outcome::Failed(_)))
                .map(|p| p.deck.key())
                .collect();
            unreported.retain(|deck| failed.contains(deck.key.as_str()));
            // Changed once the report is out (see `build_with`).
            journal_after = match unreported.is_empty() {
                true => JournalAfter::Clear,
                false => JournalAfter::Rewrite(lock_digest, unreported),
            };
        }
        Ok((status, gone, journal_after))
    }
}

/// The temporary files of a deck's outputs, with their destinations.
type TempOutputs = Vec<(tempfile::NamedTempFile, PathBuf)>;

/// Puts the written decks' outputs in place, once the lock that knows their identities is: a
/// deck's state file is removed first (it vouched for the old outputs), and so is a CSV an
/// earlier build left when this one writes none. A deck whose outputs could not be moved is
/// marked failed; the others are returned with what was built.
fn place_outputs<'p, 'a>(
    opts: &BuildOptions,
    written: Vec<(&'p Pending<'a>, (Built, TempOutputs))>,
    results: &mut [DeckResult],
) -> Result<Vec<(&'p Pending<'a>, Built)>, BuildError> {
    let out = &opts.out;
    let mut placed = Vec::with_capacity(written.len());
    for (pending, (built, files)) in written {
        let stem = pending.deck.key();
        state::forget(out, stem);
        let stale = match opts.csv {
            true => Ok(None),
            false => stale::remove_stale_csv(out, stem)
                .map_err(|e| format!("cannot remove {}: {e}", stale::csv_path(out, stem).display())),
        };
        let moved = stale.and_then(|_| {
            files.into_iter().try_for_each(|(temp, dest)| {
                durable::step();
                emit::put_in_place(temp, &dest).map_err(|e| e.to_string())
            })
        });
        match moved {
            Ok(()) => placed.push((pending, built)),
            Err(message) => results[pending.index].outcome = Outcome::Failed(message),
        }
    }
    durable::sync_dir(out).map_err(|source| {
        BuildError::Emit(EmitError::Io { action: "cannot flush the folder", path: out.clone(), source })
    })?;
    Ok(placed)
}

/// Frees a large value on a thread of its own. If no thread can be started, the closure, and the
/// value with it, is dropped here.
fn free_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("ankideck-free".into()).spawn(move || drop(value));
}

/// The decks' note type (their settings'), with the project's `ankideck.css` if there is one.
fn load_notetype(
    source: &Path,
    project: &crate::settings::Settings,
    stems: &[String],
) -> Result<Notetype, BuildError> {
    let css = discover::read_stylesheet(source)?;
    let stems: Vec<&str> = stems.iter().map(String::as_str).collect();
    settings::notetype_of(project, &stems, css.as_deref()).map_err(|e| match e {
        settings::NotetypeOfError::Settings(e) => BuildError::Settings(e),
        settings::NotetypeOfError::Read { path, source } => BuildError::Read { path, source },
        settings::NotetypeOfError::Custom(e) => BuildError::Notetype(e.to_string()),
        e @ settings::NotetypeOfError::TooFewFields { .. } => BuildError::Notetype(e.to_string()),
    })
}

/// The output file name stem: never `collection` or `backup-*`, which Anki's importer treats as
/// whole-collection backups (`qt/aqt/import_export/importing.py`).
pub fn output_stem(stem: &str) -> String {
    let lower = stem.to_lowercase();
    if lower == "collection" || lower.starts_with("backup-") {
        format!("deck-{stem}")
    } else {
        stem.to_string()
    }
}

/// The notetype line and definition hash that decks' fingerprints include.
fn notetype_fingerprint(entry: &NotetypeEntry) -> String {
    format!("{}\t{}\t{:016x}", entry.id.0, entry.mtime, entry.hash)
}

/// What the incremental check found for one source file.
enum Checked {
    UpToDate {
        name: String,
        cards: usize,
    },
    /// The deck must be built; the file's bytes and digest if the check read them.
    Build(Option<(Vec<u8>, u128)>),
    /// Not built because of this error (found before parsing).
    Invalid(Diagnostic),
    Failed(String),
}

impl From<Checked> for Prepared {
    fn from(checked: Checked) -> Prepared {
        match checked {
            Checked::UpToDate { name, cards } => Prepared::UpToDate { name, cards },
            Checked::Build(_) | Checked::Invalid(_) => Prepared::Invalid,
            Checked::Failed(message) => Prepared::Failed(message),
        }
    }
}

/// Whether a deck's outputs are up to date: its source, the lock section, the note type and the
/// settings all have the fingerprint its last build recorded. A file to build keeps the bytes
/// read here, for the parser.
fn check(
    file: &SourceFile,
    source: Option<SourceRead>,
    notetype_entry: &NotetypeEntry,
    sections: &std::collections::HashMap<&str, u128>,
    settings: &str,
    out: &Path,
) -> Checked {
    let stem = stem_of(&file.path);
    let (bytes, digest) = match source {
        None => return Checked::Build(None),
        Some(Err(message)) => return Checked::Failed(message),
        Some(Ok(read)) => read,
    };
    let fingerprint = state::fingerprint(&state::FingerprintInput {
        source: media::fold_recorded(digest, out, &stem),
        settings,
        notetype: &notetype_fingerprint(notetype_entry),
        lock_section: sections.get(stem.as_str()).copied().unwrap_or_else(|| state::section_digest("")),
    });
    match state::up_to_date(out, &stem, &fingerprint) {
        Some((cards, name)) => Checked::UpToDate { name, cards },
        None => Checked::Build(bytes.map(|bytes| (bytes, digest))),
    }
}

/// A source file's digest and its bytes (unless it is built from disk), or why it could not be
/// read.
type SourceRead = Result<(Option<Vec<u8>>, u128), String>;

/// Reads a source file for the incremental check; `None` when there is nothing to check (the
/// build is forced, or the outputs are missing). A file to build from disk is only hashed.
fn read_for_check(file: &SourceFile, opts: &BuildOptions) -> Option<SourceRead> {
    if opts.force || !outputs_exist(opts, &stem_of(&file.path)) {
        return None;
    }
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", file.path.display());
    Some(match std::fs::metadata(&file.path) {
        Ok(meta) if meta.len() > opts.stream_above => {
            std::fs::File::open(&file.path).and_then(digest_of).map(|digest| (None, digest)).map_err(cannot)
        }
        _ => read_source(file).map(|(bytes, digest)| (Some(bytes), digest)),
    })
}

/// A source file's bytes and their digest ([`state::source_digest`]), or why it could not be read.
fn read_source(file: &SourceFile) -> Result<(Vec<u8>, u128), String> {
    let bytes = std::fs::read(&file.path).map_err(|e| format!("cannot read {}: {e}", file.path.display()))?;
    let digest = state::source_digest(&bytes);
    Ok((bytes, digest))
}

/// [`state::source_digest`] of everything `reader` gives, read a block at a time.
fn digest_of(mut reader: impl std::io::Read) -> std::io::Result<u128> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.digest128()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Parses one source file (reading it, unless the check did). The digest recorded for the next
/// incremental check is of the bytes parsed here. A file larger than
/// [`BuildOptions::stream_above`] is read in blocks and its notes are kept on disk.
fn prepare(
    file: &SourceFile,
    read: Option<(Vec<u8>, u128)>,
    opts: &BuildOptions,
    deck_settings: &crate::settings::DeckSettings,
    packs: &media::Packs,
) -> (Prepared, Vec<Diagnostic>) {
    let cannot = |e: std::io::Error| {
        (Prepared::Failed(format!("cannot read {}: {e}", file.path.display())), Vec::new())
    };
    if read.is_none() {
        match std::fs::metadata(&file.path) {
            Ok(meta) if meta.len() > opts.stream_above => {
                return prepare_streamed(file, opts, deck_settings, packs);
            }
            Ok(_) => {}
            Err(e) => return cannot(e),
        }
    }
    let (bytes, digest) = match read.map_or_else(|| read_source(file), Ok) {
        Ok(read) => read,
        Err(message) => return (Prepared::Failed(message), Vec::new()),
    };
    let phase = Phase::start("parse", || stem_of(&file.path));
    let mapping = settings::NoteMapping::of(deck_settings);
    // Whether any note may reference media, found while its text is fresh in the cache: a
    // deck without is not read again for them.
    let may_have_media = std::sync::atomic::AtomicBool::new(false);
    let parsed = source::parse_with(file.format, &file.path, &bytes, mapping.rules(), |card| {
        let note = mapping.note_of(card);
        media::note_may_reference(&note, &may_have_media);
        note
    });
    drop(phase);
    drop(bytes);
    let has_errors = parsed.has_errors();
    match parsed.deck {
        Some(deck) if !has_errors => {
            let mut deck = source::deck_of(deck);
            deck.name = settings::deck_name(deck.name, deck_settings);
            let mut diagnostics = parsed.diagnostics;
            diagnostics.extend(mapping.take_warnings(&file.path));
            if let Some(notetype) = settings::card_lint(deck_settings) {
                diagnostics.extend(
                    deck.notes.iter().flat_map(|n| settings::card_warnings(&notetype, &file.path, n)),
                );
            }
            let phase = Phase::start("media", || stem_of(&file.path));
            let packed = match may_have_media.into_inner() {
                true => media::pack_notes(&mut deck.notes, &file.path, &opts.lock),
                false => Ok(Default::default()),
            };
            drop(phase);
            let files = match packed {
                Ok(files) => files,
                Err(media::Refused::Input(found)) => {
                    return (Prepared::Invalid, [diagnostics, found].concat());
                }
                Err(media::Refused::Failed(message)) => return (Prepared::Failed(message), diagnostics),
            };
            let source = media::fold(digest, &files);
            packs.put(&deck.key, files);
            (Prepared::Ready { deck, source }, diagnostics)
        }
        _ => (Prepared::Invalid, parsed.diagnostics),
    }
}

/// Reads a large source file once, in blocks: each note goes to a spill file in `out` as it is
/// made, and only its hashes and first-choice guid stay in memory.
fn prepare_streamed(
    file: &SourceFile,
    opts: &BuildOptions,
    deck_settings: &crate::settings::DeckSettings,
    packs: &media::Packs,
) -> (Prepared, Vec<Diagnostic>) {
    let _phase = Phase::start("scan", || stem_of(&file.path));
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        (Prepared::Failed(format!("cannot {what} {}: {e}", path.display())), Vec::new())
    };
    let mut reader = match std::fs::File::open(&file.path) {
        Ok(f) => f,
        Err(e) => return failed("read", &file.path, e),
    };
    let mut spill = match std::fs::create_dir_all(&opts.out).and_then(|()| SpillWriter::new(&opts.out)) {
        Ok(spill) => spill,
        Err(e) => return failed("create a temporary file in", &opts.out, e),
    };
    let key = stem_of(&file.path);
    let mut keys: Vec<NoteKey> = Vec::new();
    let mut guids: Vec<u64> = Vec::new();
    let mut tags: std::collections::BTreeSet<String> = Default::default();
    let mapping = settings::NoteMapping::of(deck_settings);
    let map = |card: source::CardText<'_>| {
        let note = mapping.note_of(card);
        let guid = crate::ids::note_guid_value(&key, note.front(), note.back(), 1);
        (NoteKey::of(&note), guid, note)
    };
    let mut spill_failed = None;
    let lint = settings::card_lint(deck_settings);
    let mut warnings = Vec::new();
    let rules = mapping.rules();
    let mut media = media::Streaming::new(&opts.lock, &file.path);
    let streamed =
        source::parse_stream(file.format, &file.path, &mut reader, STREAM_BLOCK, rules, map, |piece| {
            for (mut note_key, mut guid, mut note) in piece {
                if let Some(notetype) = &lint {
                    warnings.extend(settings::card_warnings(notetype, &file.path, &note));
                }
                // A note whose references were rewritten has new keys.
                if let Some(packed) = media.note(&note) {
                    note_key = NoteKey::of(&packed);
                    guid = crate::ids::note_guid_value(&key, packed.front(), packed.back(), 1);
                    note = packed;
                }
                let key = note_key;
                keys.push(key);
                guids.push(guid);
                for tag in note.tags() {
                    if !tags.contains(tag) {
                        tags.insert(tag.to_string());
                    }
                }
                spill.push(&note).inspect_err(|_| spill_failed = Some(()))?;
            }
            Ok(())
        });
    let (parsed, digest) = match streamed {
        Ok(done) => done,
        Err(e) if spill_failed.is_some() => return failed("write a temporary file in", &opts.out, e),
        Err(e) => return failed("read", &file.path, e),
    };
    let has_errors = parsed.has_errors();
    let Some(deck) = parsed.deck.filter(|_| !has_errors) else {
        return (Prepared::Invalid, parsed.diagnostics);
    };
    let notes = match spill.finish() {
        Ok(notes) => notes,
        Err(e) => return failed("write a temporary file in", &opts.out, e),
    };
    let deck = ScannedDeck {
        key: deck.stem,
        name: settings::deck_name(deck.name, deck_settings),
        file: deck.file,
        keys,
        guids,
        tags: tags.into_iter().collect(),
        notes,
    };
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(mapping.take_warnings(&file.path));
    diagnostics.extend(warnings);
    let files = match media.finish() {
        Ok(files) => files,
        Err(media::Refused::Input(found)) => return (Prepared::Invalid, [diagnostics, found].concat()),
        Err(media::Refused::Failed(message)) => return (Prepared::Failed(message), diagnostics),
    };
    let source = media::fold(digest, &files);
    packs.put(&deck.key, files);
    (Prepared::Streamed { deck, source }, diagnostics)
}

/// The package (and CSV) paths of a deck.
fn output_paths(opts: &BuildOptions, stem: &str) -> Vec<PathBuf> {
    let out_stem = output_stem(stem);
    let mut paths = vec![opts.out.join(format!("{out_stem}.apkg"))];
    if opts.csv {
        paths.push(opts.out.join(format!("{out_stem}.csv")));
    }
    paths
}

fn outputs_exist(opts: &BuildOptions, stem: &str) -> bool {
    output_paths(opts, stem).iter().all(|p| p.is_file())
}

/// Where a deck to identify is: in memory, or (its notes) on disk.
enum Source {
    Memory(Deck),
    Disk(ScannedDeck),
}

/// An identified deck: in memory, or (its notes) on disk.
enum DeckBody<'a> {
    Memory(IdentifiedDeck),
    Streamed(StreamedDeck<'a>),
}

impl DeckBody<'_> {
    fn key(&self) -> &str {
        match self {
            DeckBody::Memory(deck) => &deck.key,
            DeckBody::Streamed(deck) => &deck.key,
        }
    }

    fn notes(&self) -> &dyn emit::DeckNotes {
        match self {
            DeckBody::Memory(deck) => deck,
            DeckBody::Streamed(deck) => deck,
        }
    }

    fn count(&self, change: identify::Change) -> usize {
        match self {
            DeckBody::Memory(deck) => deck.count(change),
            DeckBody::Streamed(deck) => deck.count(change),
        }
    }

    fn removed(&self) -> &[NoteEntry] {
        match self {
            DeckBody::Memory(deck) => &deck.removed,
            DeckBody::Streamed(deck) => &deck.removed,
        }
    }
}

/// A deck identified and waiting to be written.
struct Pending<'a> {
    index: usize,
    deck: DeckBody<'a>,
    recovered_from: Option<String>,
    /// The deck key whose lock entries this deck took over (its file was renamed).
    taken_over: Option<String>,
    /// The digest of the source file, for its state fingerprint.
    source: u128,
    /// The cards whose note was in another Anki deck before.
    moved: Vec<moved::Moved>,
    /// The entries it took from other decks and gave them.
    exchange: recover::Exchange,
    /// Its removed cards' entries stay in the lock (another deck was not built: a card may have
    /// moved there), so the deck is not recorded up to date: the next build puts them up for
    /// matching again.
    kept_removed: bool,
    /// Its notes that got new ids.
    new_ids: Option<NewIds>,
}

/// Writes a deck's package (and CSV) to temporary files and flushes them; returns them with
/// their destinations, to be put in place once the lock is.
fn emit_deck(
    opts: &BuildOptions,
    notetype: &Notetype,
    notetype_entry: &NotetypeEntry,
    deck_settings: &crate::settings::DeckSettings,
    pending: &Pending,
    media: &[crate::media::MediaFile],
) -> Result<(Built, TempOutputs), String> {
    let deck = pending.deck.notes();
    let outputs = output_paths(opts, pending.deck.key());
    let subdecks = match deck_settings.subdecks {
        true => Some(emit::subdecks::Subdecks::of(deck).map_err(|e| e.to_string())?),
        false => None,
    };
    let description = deck_settings.description.as_deref().unwrap_or("");
    let input = CollectionInput { deck, notetype, notetype_entry, description, subdecks: subdecks.as_ref() };
    // Both files are finished before either replaces the old one, so the package and the CSV
    // in out/ always come from the same build.
    let package =
        emit::apkg::write_temp(&outputs[0], &input, media, opts.compression).map_err(|e| e.to_string())?;
    let csv = match outputs.get(1) {
        Some(path) => Some(emit::csv::write_temp(path, deck, notetype).map_err(|e| e.to_string())?),
        None => None,
    };
    // The CSV's media are copied beside it (a folder left by a build with `--csv` is removed).
    let media_folder = media::csv_folder(&opts.out, &output_stem(pending.deck.key()));
    let csv_media = if opts.csv { media } else { &[] };
    media::copy_for_csv(&opts.out, &media_folder, csv_media)
        .map_err(|e| format!("cannot copy the media of the CSV to {}: {e}", media_folder.display()))?;
    let mut files = vec![(package, outputs[0].clone())];
    if let (Some(csv), Some(path)) = (csv, outputs.get(1)) {
        files.push((csv, path.clone()));
    }
    // Flushed here, in parallel, so that putting them in place later is only a rename.
    for (temp, dest) in &files {
        emit::seal(temp, dest).map_err(|e| e.to_string())?;
    }
    let body = &pending.deck;
    // One card a note unless the note type makes several (counted only then: it asks for
    // every note's ids).
    let cards = match notetype.templates.len() == 1 && notetype.kind != crate::notetype::NotetypeKind::Cloze {
        true => deck.len(),
        false => (0..deck.len()).map(|i| deck.ids(i).card_ids.len()).sum(),
    };
    let built = Built {
        name: deck.name().to_string(),
        notes: deck.len(),
        cards,
        new: body.count(identify::Change::New),
        updated: body.count(identify::Change::Updated),
        unchanged: body.count(identify::Change::Unchanged),
        removed: body.removed().to_vec(),
        removed_kept: pending.kept_removed,
        moved: pending.moved.clone(),
        outputs,
        recovered_from: pending.recovered_from.clone(),
        new_ids: pending.new_ids.clone(),
        changed: match body {
            DeckBody::Memory(deck) if opts.detail => deck
                .notes
                .iter()
                .filter(|n| n.change != identify::Change::Unchanged)
                .map(|n| ChangedNote {
                    change: n.change,
                    line: n.note.line,
                    preview: identify::preview(n.note.front()),
                })
                .collect(),
            _ => Vec::new(),
        },
        csv_media: (!csv_media.is_empty()).then_some(media_folder),
    };
    Ok((built, files))
}
