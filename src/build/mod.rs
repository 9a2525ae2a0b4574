//! The `build` command's pipeline: discover → parse → resolve → identify → emit, for every deck
//! of a source folder. Decks are read and written in parallel; identities are assigned in file
//! order so the result does not depend on scheduling. One broken deck does not stop the others.

mod identities;
mod lockfile;
pub mod moved;
pub mod recover;
pub mod state;

use crate::diagnostic::Diagnostic;
use crate::discover::{self, DiscoverError, SourceFile};
use crate::emit::{self, Compression, EmitError, collection::CollectionInput};
use crate::identify::streamed::{ScannedDeck, StreamedDeck};
use crate::identify::{self, IdentifiedDeck, NoteKey};
use crate::lock::{Lock, LockError, NoteEntry, NotetypeEntry, RawSections, SpilledSection};
use crate::model::{self, Deck};
use crate::notetype::Notetype;
use crate::source::{self, stem_of};
use crate::spill::SpillWriter;
use crate::timing::Phase;
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
    /// `--locked` found the lock out of date, so the deck was not written.
    NotWritten,
}

/// A deck that was written.
#[derive(Debug, Clone)]
pub struct Built {
    pub name: String,
    pub cards: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: Vec<NoteEntry>,
    /// Cards whose note was in another Anki deck in the last build, by that deck.
    pub moved: Vec<moved::Moved>,
    pub outputs: Vec<PathBuf>,
    /// The package identities were recovered from, when the lock had none for this deck.
    /// Where the identities came from when the lock had none for this deck.
    pub recovered_from: Option<String>,
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
}

impl BuildReport {
    /// Whether any deck had input errors or the lock was out of date.
    pub fn has_input_errors(&self) -> bool {
        self.lock == LockStatus::OutOfDate || self.decks.iter().any(|d| matches!(d.outcome, Outcome::Invalid))
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
    #[error("no deck files (*.txt) in {0}")]
    NoDecks(PathBuf),
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

/// Builds every deck of `opts.source` into `opts.out`.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let _total = Phase::start("build", String::new);
    let files = discover::discover(&opts.source)?;
    if files.is_empty() {
        return Err(BuildError::NoDecks(opts.source.clone()));
    }
    let notetype = load_notetype(&opts.source)?;
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
    let head = Lock::parse(&opts.lock, raw.head)?;
    let notetype_entry =
        identify::identify_notetype(&notetype, head.notetypes.get(&notetype.id.0), opts.now_secs);
    let run = Run {
        opts,
        notetype: &notetype,
        settings: format!("compression={} csv={}", opts.compression.name(), opts.csv),
    };
    let phase = Phase::start("check", String::new);
    let checked = run.check_all(&files, sources, &notetype_entry, &raw);
    drop(phase);
    let stems: HashSet<String> = files.iter().map(|f| stem_of(&f.path)).collect();
    let mut forgotten: Vec<String> = raw.decks.keys().filter(|k| !stems.contains(*k)).cloned().collect();
    forgotten.sort();
    let all_fresh = checked.iter().all(|c| matches!(c, Checked::UpToDate { .. }));
    if all_fresh && forgotten.is_empty() && raw.canonical {
        let decks = files.iter().zip(checked).map(|(file, c)| DeckResult::unbuilt(file, c.into())).collect();
        return Ok(BuildReport { decks, diagnostics: Vec::new(), lock: LockStatus::Unchanged, forgotten });
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
    let old_digest = old_text.as_deref().map(|t| xxh3_128(t.as_bytes()));
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
    let old_lock = old_lock?;
    let diagnostics: Vec<Diagnostic> = prepared.iter().flat_map(|(_, d)| d.clone()).collect();

    let phase = Phase::start("identify", String::new);
    let mut identified = run.identify_all(&files, prepared, &old_lock, &mut forgotten);
    drop(phase);
    if opts.locked {
        finish_entries(&mut identified.lock, &identified.to_emit, &opts.out)?;
    }
    let new_digest =
        || identified.lock.digest().map_err(|source| BuildError::Read { path: opts.lock.clone(), source });
    if opts.locked && old_digest != Some(new_digest()?) {
        let decks = identified.results;
        return Ok(BuildReport { decks, diagnostics, lock: LockStatus::OutOfDate, forgotten });
    }
    let phase = Phase::start("emit", String::new);
    let lock = run.emit_all(&mut identified, &old_lock, old_digest)?;
    drop(phase);
    for (file, result) in files.iter().zip(&identified.results) {
        if matches!(result.outcome, Outcome::Invalid | Outcome::Failed(_)) {
            state::forget(&opts.out, &stem_of(&file.path));
        }
    }
    let Identified { lock: new_lock, results: decks, to_emit, .. } = identified;
    // The old and new identities are large; freeing them is work nobody waits for. (The decks
    // written are freed here: their notes were freed while they were written, and a deck on
    // disk borrows its old entries from the old lock.)
    drop(to_emit);
    free_in_background((new_lock, old_lock));
    Ok(BuildReport { decks, diagnostics, lock, forgotten })
}

/// What every phase of one build reads.
struct Run<'a> {
    opts: &'a BuildOptions,
    notetype: &'a Notetype,
    /// The settings that change the outputs, as fingerprinted.
    settings: String,
}

/// The decks after the identify phase: the new lock, a result per file, the decks to write.
struct Identified<'a> {
    lock: Lock,
    results: Vec<DeckResult>,
    to_emit: Vec<Pending<'a>>,
    notetype_entry: NotetypeEntry,
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
    /// Finds, in parallel, which files must be built: the others are up to date.
    fn check_all(
        &self,
        files: &[SourceFile],
        sources: Vec<Option<SourceRead>>,
        notetype_entry: &NotetypeEntry,
        raw: &RawSections<'_>,
    ) -> Vec<Checked> {
        let clashing = clashing_names(files);
        files
            .par_iter()
            .zip(sources)
            .map(|(file, source)| match clashing.iter().find(|(path, _)| path == &file.path) {
                Some((_, diagnostic)) => Checked::Invalid(diagnostic.clone()),
                None => check(file, source, notetype_entry, raw, &self.settings, &self.opts.out),
            })
            .collect()
    }

    /// Reads and parses, in parallel, every file that must be built.
    fn prepare_all(&self, files: &[SourceFile], checked: Vec<Checked>) -> Vec<(Prepared, Vec<Diagnostic>)> {
        files
            .par_iter()
            .zip(checked)
            .map(|(file, checked)| match checked {
                Checked::Build(read) => prepare(file, read, self.opts),
                Checked::Invalid(diagnostic) => (Prepared::Invalid, vec![diagnostic]),
                other => (other.into(), Vec::new()),
            })
            .collect()
    }

    /// Writes the identified decks and the lock. The packages are written while the lock is
    /// streamed to a temporary file and the decks' lock sections are hashed for their state
    /// files: the two do not depend on each other.
    fn emit_all(
        &self,
        identified: &mut Identified<'_>,
        old_lock: &Lock,
        old_digest: Option<u128>,
    ) -> Result<LockStatus, BuildError> {
        let opts = self.opts;
        let Identified { lock, results, to_emit, notetype_entry } = identified;
        if !to_emit.is_empty() {
            std::fs::create_dir_all(&opts.out)
                .map_err(|source| BuildError::Read { path: opts.out.clone(), source })?;
        }
        let (emitted, staged_lock) = rayon::join(
            || {
                to_emit
                    .par_iter()
                    .map(|p| emit_deck(opts, self.notetype, notetype_entry, p))
                    .collect::<Vec<_>>()
            },
            || {
                // `--locked` completed them before comparing the lock.
                if !opts.locked {
                    let _phase = Phase::start("lock entries", String::new);
                    finish_entries(lock, to_emit, &opts.out)?;
                }
                let _phase = Phase::start("lock write", String::new);
                Ok::<_, BuildError>(lockfile::stage_lock(&opts.lock, lock)?)
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
        let emitted: Vec<Result<Built, String>> = emitted
            .into_par_iter()
            .map(|written| {
                let (built, files) = written?;
                for (temp, dest) in files {
                    emit::persist(temp, &dest).map_err(|e| e.to_string())?;
                }
                Ok(built)
            })
            .collect();
        let section_digests = &staged_lock.sections;
        let notetype_line = notetype_fingerprint(notetype_entry);
        for (pending, result) in to_emit.iter().zip(emitted) {
            let stem = pending.deck.key();
            results[pending.index].outcome = match result {
                Ok(built) => {
                    let section = match section_digests.get(stem) {
                        Some(digest) => *digest,
                        None => lock
                            .deck_digest(stem)
                            .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })?,
                    };
                    let fingerprint = state::fingerprint(&state::FingerprintInput {
                        source: pending.source,
                        settings: &self.settings,
                        notetype: &notetype_line,
                        lock_section: section,
                    });
                    if state::record(&opts.out, stem, &fingerprint, built.cards, &built.name).is_err() {
                        state::forget(&opts.out, stem);
                    }
                    Outcome::Built(Box::new(built))
                }
                Err(message) => {
                    // The package was not written: the lock keeps what matches the old one.
                    lock.decks.remove(stem);
                    lock.notes.remove(stem);
                    lock.spilled.remove(stem);
                    let taken_over = pending.taken_over.as_deref();
                    recover::keep_entries_of_unbuilt(old_lock, stem, taken_over, &pending.exchange, lock);
                    Outcome::Failed(message)
                }
            };
        }
        // A deck that failed to write put its old entries back: the staged lock is stale then.
        let any_failed = to_emit.iter().any(|p| matches!(results[p.index].outcome, Outcome::Failed(_)));
        let staged = if any_failed { lockfile::stage_lock(&opts.lock, lock)? } else { staged_lock };
        let _phase = Phase::start("lock commit", String::new);
        Ok(lockfile::commit_lock(&opts.lock, staged, old_digest)?)
    }
}

/// Frees a large value on a thread of its own. If no thread can be started, the closure, and the
/// value with it, is dropped here.
fn free_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("ankideck-free".into()).spawn(move || drop(value));
}

/// Deck files whose names differ only in case: they would write the same outputs (and the same
/// file on a case-insensitive file system), so none of them is built.
fn clashing_names(files: &[SourceFile]) -> Vec<(PathBuf, Diagnostic)> {
    let mut by_name: std::collections::BTreeMap<String, Vec<&SourceFile>> = Default::default();
    for file in files {
        by_name.entry(stem_of(&file.path).to_lowercase()).or_default().push(file);
    }
    let mut clashes = Vec::new();
    for group in by_name.values().filter(|g| g.len() > 1) {
        let names: Vec<String> = group.iter().map(|f| f.path.display().to_string()).collect();
        for file in group {
            let message = format!("deck files whose names differ only in case: {}", names.join(", "));
            let diagnostic = Diagnostic::new(crate::diagnostic::Code::E010, &file.path, 0, message)
                .with_hint("rename one of them: each deck file names its own out/<name>.apkg");
            clashes.push((file.path.clone(), diagnostic));
        }
    }
    clashes
}

/// The note type, with the project's `ankideck.css` if there is one.
fn load_notetype(source: &Path) -> Result<Notetype, BuildError> {
    let path = source.join(discover::STYLESHEET);
    match std::fs::read_to_string(&path) {
        Ok(css) => Ok(Notetype::flashcard(Some(&css))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Notetype::flashcard(None)),
        Err(source) => Err(BuildError::Read { path, source }),
    }
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
    raw_lock: &RawSections<'_>,
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
        source: digest,
        settings,
        notetype: &notetype_fingerprint(notetype_entry),
        lock_section: state::section_digest(raw_lock.decks.get(&stem).map_or("", |s| s.text)),
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
) -> (Prepared, Vec<Diagnostic>) {
    let cannot = |e: std::io::Error| {
        (Prepared::Failed(format!("cannot read {}: {e}", file.path.display())), Vec::new())
    };
    if read.is_none() {
        match std::fs::metadata(&file.path) {
            Ok(meta) if meta.len() > opts.stream_above => return prepare_streamed(file, opts),
            Ok(_) => {}
            Err(e) => return cannot(e),
        }
    }
    let (bytes, digest) = match read.map_or_else(|| read_source(file), Ok) {
        Ok(read) => read,
        Err(message) => return (Prepared::Failed(message), Vec::new()),
    };
    let phase = Phase::start("parse", || stem_of(&file.path));
    let parsed = source::parse_with(file.format, &file.path, &bytes, model::note_of);
    drop(phase);
    drop(bytes);
    let has_errors = parsed.has_errors();
    match parsed.deck {
        Some(deck) if !has_errors => {
            let deck = model::deck_of(deck);
            (Prepared::Ready { deck, source: digest }, parsed.diagnostics)
        }
        _ => (Prepared::Invalid, parsed.diagnostics),
    }
}

/// Reads a large source file once, in blocks: each note goes to a spill file in `out` as it is
/// made, and only its hashes and first-choice guid stay in memory.
fn prepare_streamed(file: &SourceFile, opts: &BuildOptions) -> (Prepared, Vec<Diagnostic>) {
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
    let map = |card: source::CardText<'_>| {
        let note = model::note_of(card);
        let guid = crate::ids::note_guid_value(&key, note.front(), note.back(), 1);
        (NoteKey::of(&note), guid, note)
    };
    let mut spill_failed = None;
    let streamed = source::parse_stream(file.format, &file.path, &mut reader, STREAM_BLOCK, map, |piece| {
        for (key, guid, note) in piece {
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
        name: deck.name,
        file: deck.file,
        keys,
        guids,
        tags: tags.into_iter().collect(),
        notes,
    };
    (Prepared::Streamed { deck, source: digest }, parsed.diagnostics)
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
}

/// Writes a deck's package (and CSV) to temporary files; returns them with their destinations,
/// for [`emit::persist`] once both are finished.
fn emit_deck(
    opts: &BuildOptions,
    notetype: &Notetype,
    notetype_entry: &NotetypeEntry,
    pending: &Pending,
) -> Result<(Built, Vec<(tempfile::NamedTempFile, PathBuf)>), String> {
    let deck = pending.deck.notes();
    let outputs = output_paths(opts, pending.deck.key());
    let input = CollectionInput { deck, notetype, notetype_entry };
    // Both files are finished before either replaces the old one, so the package and the CSV
    // in out/ always come from the same build.
    let package = emit::apkg::write_temp(&outputs[0], &input, opts.compression).map_err(|e| e.to_string())?;
    let csv = match outputs.get(1) {
        Some(path) => Some(emit::csv::write_temp(path, deck, notetype).map_err(|e| e.to_string())?),
        None => None,
    };
    let mut files = vec![(package, outputs[0].clone())];
    if let (Some(csv), Some(path)) = (csv, outputs.get(1)) {
        files.push((csv, path.clone()));
    }
    let body = &pending.deck;
    let built = Built {
        name: deck.name().to_string(),
        cards: deck.len(),
        new: body.count(identify::Change::New),
        updated: body.count(identify::Change::Updated),
        unchanged: body.count(identify::Change::Unchanged),
        removed: body.removed().to_vec(),
        moved: pending.moved.clone(),
        outputs,
        recovered_from: pending.recovered_from.clone(),
    };
    Ok((built, files))
}
