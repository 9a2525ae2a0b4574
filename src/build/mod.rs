//! The `build` command's pipeline: discover → parse → resolve → identify → emit, for every deck
//! of a source folder. Decks are read and written in parallel; identities are assigned in file
//! order so the result does not depend on scheduling. One broken deck does not stop the others.
//!
//! This file holds the options, the report, the errors and the order of the phases
//! (`build_guarded`); each phase is a file: `check.rs` (which decks are up to date),
//! `prepare.rs` (read and parse each deck to build), `identities.rs` (identify them together),
//! `write.rs` (packages, CSVs and the lock, put in place in a crash-safe order).

mod check;
mod checkout;
pub mod durable;
pub mod guard;
mod identities;
pub mod journal;
mod kinds;
pub mod lines;
mod locked;
mod lockfile;
pub mod media;
pub mod moved;
pub mod peek;
pub mod plan;
mod prepare;
pub mod progress;
pub mod recover;
mod reverted;
pub mod schema;
mod session;
pub mod settings;
pub mod stale;
pub mod state;
mod write;

pub use locked::{DeckChange, DeckChangeKind, LockChanges};
pub use session::Session;

use check::{Checked, read_for_check};
use prepare::{Prepared, prepare};
use write::{Pending, finish_entries};

use crate::diagnostic::Diagnostic;
use crate::discover::{self, DiscoverError};
use crate::emit::{Compression, EmitError};
use crate::identify;
use crate::lock::{Lock, LockError, NoteEntry, NotetypeEntry, RawSections};
use crate::notetype::Notetype;
use crate::source::stem_of;
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
    /// Also list each new and updated note (`--verbose`).
    pub detail: bool,
}

/// The default of [`BuildOptions::stream_above`]: 64 MiB, about 150,000 cards of the kind in the
/// benchmarks. Smaller decks are built in memory, which is faster.
pub const STREAM_ABOVE: u64 = 64 << 20;

/// How many bytes of a streamed source are read at a time.
pub const STREAM_BLOCK: usize = 8 << 20;

/// [`STREAM_BLOCK`], or the number of bytes in `ANKIDECK_TEST_STREAM_BLOCK`: tests set it so that
/// a deck of a few hundred kilobytes is read in many blocks, as a large one is.
pub fn stream_block() -> usize {
    static BLOCK: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BLOCK.get_or_init(|| {
        let set = std::env::var("ANKIDECK_TEST_STREAM_BLOCK").ok().and_then(|v| v.parse().ok());
        set.filter(|&n| n > 0).unwrap_or(STREAM_BLOCK)
    })
}

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
    /// Where the removed notes were in the deck's source, if `out/` knows.
    pub removed_lines: lines::RemovedLines,
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
    /// With [`BuildOptions::detail`], the new and updated notes.
    pub changed: Vec<ChangedNote>,
    /// Each note's source line, for the lines file ([`lines::records_of`]); taken when it is
    /// written.
    pub source_lines: String,
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
    /// There was no lock file and there is nothing to record in one (every deck has errors):
    /// none was written.
    NothingToRecord,
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
    /// With `--plan` ([`plan_with`]): what importing the packages would do in Anki.
    pub plan: Option<plan::Plan>,
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

#[cfg(test)]
impl BuildReport {
    /// A report of these decks, for the printers' tests.
    pub(crate) fn for_tests(
        decks: Vec<DeckResult>,
        diagnostics: Vec<Diagnostic>,
        lock: LockStatus,
    ) -> BuildReport {
        BuildReport {
            decks,
            diagnostics,
            lock,
            forgotten: Vec::new(),
            gone: Vec::new(),
            interrupted: Vec::new(),
            refused: None,
            journal_after: JournalAfter::Keep,
            plan: None,
        }
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
    #[error("no deck files (*.txt, *.csv, *.tsv) in {0}")]
    NoDecks(PathBuf),
    #[error("cannot take the build guard {path}: {source}")]
    Guard { path: PathBuf, source: std::io::Error },
    /// `ankideck watch` holds the project's build guard (`path`) for its whole session.
    #[error(
        "`ankideck watch`{} is running for this project and holds its build guard {}: it rebuilds \
         the decks on every change, so this build would wait for ever\n  = hint: leave it running (it \
         keeps the decks current) or stop it with Ctrl-C in its terminal, then build",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(), path.display()
    )]
    Watched { path: PathBuf, pid: Option<u32> },
    #[error("cannot remove {path}: {source}")]
    Remove { path: PathBuf, source: std::io::Error },
    /// `ankideck.toml` is wrong or cannot be read: nothing is built.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// A custom note type of `ankideck.toml` is wrong (the message names the file).
    #[error(transparent)]
    Notetype(settings::NotetypeOfError),
}

/// Why one deck could not be read or written: it is not built, and the build goes on with the
/// others (its outcome is [`Outcome::Failed`] with this message).
#[derive(Debug, thiserror::Error)]
pub enum DeckError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The sections of the deck's subdecks could not be read back from the note store.
    #[error(transparent)]
    Subdecks(std::io::Error),
    /// The deck's notes could not be read back from their store (a spill file).
    #[error("cannot read back the notes of {}: {source}", path.display())]
    ReadBack { path: PathBuf, source: std::io::Error },
    /// A media file (or the project folder) cannot be read: the message names it.
    #[error("{0}")]
    Media(String),
}

impl DeckError {
    /// An I/O error while doing `action` (a verb and its preposition) to `path`.
    pub fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> DeckError + 'a {
        move |source| DeckError::Io { action, path: path.to_path_buf(), source }
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
/// While `ankideck watch` holds the guard ([`Session`]) it fails at once with
/// [`BuildError::Watched`] instead of waiting.
/// Removed notes an interrupted build left unreported are forgotten only after `deliver`
/// returns, so a kill before the report is out means they are reported again, never lost.
pub fn build_with(
    opts: &BuildOptions,
    waiting: &dyn Fn(&Path),
    progress: &dyn Progress,
    deliver: &mut dyn FnMut(&BuildReport),
) -> Result<BuildReport, BuildError> {
    guarded(opts, waiting, progress, deliver, false)
}

/// `build --plan`: the build of [`build_with`] stopped before it writes anything (no package,
/// CSV, lock, state or journal; `out/` and its guard file are left as they were found), its
/// report holding [`BuildReport::plan`]: what importing each package would do in a collection
/// that imported the previous build. It holds the project's guard like a build, so it does not
/// read a lock that a build is writing.
pub fn plan_with(
    opts: &BuildOptions,
    waiting: &dyn Fn(&Path),
    deliver: &mut dyn FnMut(&BuildReport),
) -> Result<BuildReport, BuildError> {
    guarded(opts, waiting, &progress::NoProgress, deliver, true)
}

/// [`build_with`], or with `plan` [`plan_with`].
fn guarded(
    opts: &BuildOptions,
    waiting: &dyn Fn(&Path),
    progress: &dyn Progress,
    deliver: &mut dyn FnMut(&BuildReport),
    plan: bool,
) -> Result<BuildReport, BuildError> {
    let _total = Phase::start("build", String::new);
    let opts = resolve_lock(opts)?;
    let guard = acquire_guard(&opts, guard::Holder::Build, waiting)?;
    let report = build_held(&opts, waiting, progress, deliver, plan);
    match plan {
        true => guard.release_as_found(),
        false => guard.release(),
    }
    report
}

/// The options with the lock reached through a symbolic link replaced by the file it names: its
/// folder is the one to guard, and it is replaced there (renaming onto the link would replace
/// the link).
fn resolve_lock(opts: &BuildOptions) -> Result<std::borrow::Cow<'_, BuildOptions>, BuildError> {
    match std::fs::symlink_metadata(&opts.lock) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let lock = std::fs::canonicalize(&opts.lock)
                .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })?;
            Ok(std::borrow::Cow::Owned(BuildOptions { lock, ..opts.clone() }))
        }
        _ => Ok(std::borrow::Cow::Borrowed(opts)),
    }
}

/// Takes the guard of `out/` for `holder`.
fn acquire_guard(
    opts: &BuildOptions,
    holder: guard::Holder,
    waiting: &dyn Fn(&Path),
) -> Result<guard::BuildGuard, BuildError> {
    let path = opts.out.join(guard::GUARD_FILE);
    guard::BuildGuard::acquire(&opts.out, holder, waiting).map_err(|e| match e {
        guard::GuardError::Io(source) => BuildError::Guard { path, source },
        guard::GuardError::HeldByWatch { pid } => BuildError::Watched { path, pid },
    })
}

/// A build, once the guard of `out/` is held: takes the lock folder's guard, removes what killed
/// builds left (not for a `plan`, which writes nothing), builds and delivers the report.
fn build_held(
    opts: &BuildOptions,
    waiting: &dyn Fn(&Path),
    progress: &dyn Progress,
    deliver: &mut dyn FnMut(&BuildReport),
    plan: bool,
) -> Result<BuildReport, BuildError> {
    let lock_folder =
        guard::FolderGuard::acquire(durable::parent_of(&opts.lock), &|_| waiting(&opts.lock)).map_err(
            |source| BuildError::Guard { path: durable::parent_of(&opts.lock).to_path_buf(), source },
        )?;
    // A plan leaves even a killed build's temporary files to the next build.
    let leftovers = match plan {
        true => Ok(0),
        false => guard::remove_leftovers(&[&opts.out, durable::parent_of(&opts.lock)]),
    };
    let report = leftovers.and_then(|_| build_guarded(opts, progress, None, plan)).and_then(|report| {
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
    report
}

/// The build, once it holds the guard. With `peek`, it stops once the decks are identified,
/// hands them over and writes nothing ([`peek::peek`]); with `plan`, it stops before it writes
/// anything ([`plan_with`]).
fn build_guarded(
    opts: &BuildOptions,
    progress: &dyn Progress,
    peek: Option<&mut peek::HandOver<'_>>,
    plan: bool,
) -> Result<BuildReport, BuildError> {
    let files = discover::discover(&opts.source)?;
    if files.is_empty() {
        return Err(BuildError::NoDecks(opts.source.clone()));
    }
    let project = settings::load(&opts.lock)?;
    let file_stems: Vec<String> = files.iter().map(|f| stem_of(&f.path)).collect();
    let assets = media::assets(&project)?;
    let mut types = schema::DeckTypes::load(&project, &file_stems, |choice| {
        load_notetype(&opts.source, &project, choice, &assets)
    })?;
    let mut settings_warnings = settings::warnings(&project, file_stems.iter().map(String::as_str));
    settings_warnings.extend(media::unused_assets(&project, &assets, types.all()));
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
    // A note type whose schema changed, or a deck switched to another one: said before anything
    // is written (W011, W012).
    let mut review = types.review(&raw, &head, &files, &settings::settings_path(&opts.lock), opts.now_secs);
    // A deck whose last package holds another note type than the lock says (a git checkout).
    review.extend(checkout::switched_since_last_build(&opts.out, &raw, &head, &types, &files));
    let settings_warnings = settings_warnings.into_iter().chain(review).collect::<Vec<_>>();
    let run = Run {
        opts,
        types: &types,
        project: &project,
        settings: format!("compression={} csv={}", opts.compression.name(), opts.csv),
        progress,
        media: media::Packs::default(),
        assets,
    };
    progress.begin(Stage::Reading, files.len() as u64);
    let phase = Phase::start("check", String::new);
    // Each lock section's digest, once: the incremental check and the comparison with what the
    // decks' last builds wrote both need it.
    let sections: std::collections::HashMap<&str, u128> =
        raw.decks.par_iter().map(|(key, s)| (key.as_str(), state::section_digest(s.text))).collect();
    let mut checked = run.check_all(&files, sources, &sections, &raw);
    drop(phase);
    // The plan says how many notes the package of each deck that is up to date holds.
    let up_to_date: std::collections::HashMap<usize, usize> = match plan {
        true => (files.iter().zip(&checked).enumerate())
            .filter(|(_, (_, c))| matches!(c, Checked::UpToDate { .. }))
            .map(|(i, (f, _))| {
                (i, raw.decks.get(&stem_of(&f.path)).map_or(0, |s| plan::notes_in_section(s.text)))
            })
            .collect(),
        false => Default::default(),
    };
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
            journal_after: if interrupted.is_empty() || plan {
                JournalAfter::Keep
            } else {
                JournalAfter::Clear
            },
            interrupted,
            refused: None,
            plan: plan.then(|| plan::Plan { up_to_date, ..Default::default() }),
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
    // Each old section's digest, by deck: the lines of the notes a deck drops are taken from
    // `out/` only for the very section they were recorded with ([`lines`]).
    let old_sections: std::collections::HashMap<String, u128> =
        sections.iter().map(|(key, digest)| (key.to_string(), *digest)).collect();
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
            *prepared =
                prepare(file, None, opts, &project.for_deck(&key), types.notetype(&key).sides(), &run.media);
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
    if let Some(hand_over) = peek {
        hand_over(&run, &identified);
        return Ok(peek::report(identified.results, diagnostics));
    }
    if opts.locked || plan {
        finish_entries(&mut identified.lock, &identified.to_emit, &opts.out)?;
    }
    let new_digest = || {
        identified
            .lock
            .write_to(&mut std::io::sink())
            .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })
    };
    // The plan: the build stops here, before anything is written. (With `--locked` it also
    // says how the lock would change, and fails as `--locked` does.)
    if plan {
        let (digest, new_sections) = new_digest()?;
        let lock_changes =
            old_digest != Some(digest) && !(old_digest.is_none() && lockfile::records_nothing(digest));
        let refused = (old_lock_summary.as_ref().filter(|_| lock_changes))
            .map(|old| locked::changes(old, &new_sections, &identified.lock.notetypes, &identified.to_emit));
        let decks = run.plan_decks(&identified.to_emit, &old_lock, &old_sections, &mut identified.results);
        let dropped = dropped_decks(&files_gone, &forgotten, &identified.gone_left);
        let gone = plan::gone_decks(opts, &dropped, &identified.lock, &stems);
        drop(dropped);
        let Identified { results, .. } = identified;
        return Ok(BuildReport {
            decks: results,
            diagnostics,
            lock: if refused.is_some() { LockStatus::OutOfDate } else { LockStatus::Unchanged },
            forgotten,
            gone: Vec::new(),
            interrupted,
            refused,
            journal_after: JournalAfter::Keep,
            plan: Some(plan::Plan { decks, up_to_date, gone, lock_changes }),
        });
    }
    if let Some(old) = &old_lock_summary
        && let (digest, new_sections) = new_digest()?
        && old_digest != Some(digest)
        && !(old_digest.is_none() && lockfile::records_nothing(digest))
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
            plan: None,
        };
        return Ok(report);
    }
    let cards = identified.to_emit.iter().map(|p| p.deck.len()).sum::<usize>();
    progress.begin(Stage::Writing, cards as u64);
    let phase = Phase::start("emit", String::new);
    // The decks whose file is gone, with the entries no deck took over (a renamed deck's were
    // all taken). Those the new lock still holds (a deck file with errors may be one of them
    // renamed) keep their outputs.
    let gone_left = std::mem::take(&mut identified.gone_left);
    let dropped = dropped_decks(&files_gone, &forgotten, &gone_left);
    let (lock, gone, journal_after) = run.emit_all(
        &mut identified,
        &old_lock,
        (old_digest, &old_sections),
        &dropped,
        &files,
        &interrupted,
    )?;
    drop(phase);
    for (file, result) in files.iter().zip(&identified.results) {
        if matches!(result.outcome, Outcome::Invalid | Outcome::Failed(_) | Outcome::DamagedLock(_)) {
            state::forget(&opts.out, &stem_of(&file.path));
        }
    }
    let Identified { lock: new_lock, results: decks, to_emit, .. } = identified;
    // The old and new identities are large; freeing them is work nobody waits for. (The decks
    // written are freed here: their notes were freed while they were written, and they borrow
    // their old entries from the old lock.)
    drop(to_emit);
    free_in_background((new_lock, old_lock));
    Ok(BuildReport {
        decks,
        diagnostics,
        lock,
        forgotten,
        gone,
        interrupted,
        refused: None,
        journal_after,
        plan: None,
    })
}

/// The decks whose file is gone (`files_gone`), each with its entries no deck took over
/// (`gone_left`) if the lock drops it (it is still `forgotten`), else none.
fn dropped_decks<'a>(
    files_gone: &'a [String],
    forgotten: &[String],
    gone_left: &'a std::collections::HashMap<String, Vec<NoteEntry>>,
) -> Vec<(&'a str, &'a [NoteEntry])> {
    (files_gone.iter())
        .map(|key| {
            let left = forgotten.contains(key).then(|| gone_left.get(key)).flatten();
            (key.as_str(), left.map_or(&[][..], Vec::as_slice))
        })
        .collect()
}

/// What every phase of one build reads.
struct Run<'a> {
    opts: &'a BuildOptions,
    /// Each deck's note type.
    types: &'a schema::DeckTypes,
    /// The project's `ankideck.toml`.
    project: &'a crate::settings::Settings,
    /// The settings that change the outputs, as fingerprinted.
    settings: String,
    progress: &'a dyn Progress,
    /// The media files of the decks prepared, until they are written.
    media: media::Packs,
    /// The stylesheet assets, packed with each deck whose note type's CSS uses them.
    assets: Vec<crate::media::MediaFile>,
}

/// The decks after the identify phase: the new lock, a result per file, the decks to write.
struct Identified<'a> {
    lock: Lock,
    results: Vec<DeckResult>,
    to_emit: Vec<Pending<'a>>,
    /// The entry of each note type this build writes, by id.
    notetype_entries: std::collections::HashMap<i64, NotetypeEntry>,
    /// For each deck whose file is gone, its entries that no deck took (its removed notes).
    gone_left: std::collections::HashMap<String, Vec<NoteEntry>>,
    /// What identifying found to warn about (W010: cards a note no longer makes).
    warnings: Vec<Diagnostic>,
}

/// Frees a large value on a thread of its own. If no thread can be started, the closure, and the
/// value with it, is dropped here.
fn free_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("ankideck-free".into()).spawn(move || drop(value));
}

/// The note type `choice` of the settings, with the project's `ankideck.css` if there is one.
/// Its stylesheet names the `assets` by their packed names: an edited font changes the note
/// type's CSS, so its `mod` and every deck using it.
fn load_notetype(
    source: &Path,
    project: &crate::settings::Settings,
    choice: &crate::settings::NotetypeChoice,
    assets: &[crate::media::MediaFile],
) -> Result<Notetype, BuildError> {
    let css = discover::read_stylesheet(source)?;
    let made = settings::notetype_with(project, choice, css.as_deref()).map(|mut notetype| {
        if !assets.is_empty() {
            notetype.css = crate::media::rewrite_css(&notetype.css, assets);
        }
        notetype
    });
    made.map_err(|e| match e {
        settings::NotetypeOfError::Settings(e) => BuildError::Settings(e),
        settings::NotetypeOfError::Read { path, source } => BuildError::Read { path, source },
        e @ (settings::NotetypeOfError::Custom(_) | settings::NotetypeOfError::TooFewFields { .. }) => {
            BuildError::Notetype(e)
        }
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
