//! `ankideck watch`'s eyes: the changes under a project folder, gathered into one batch per
//! burst of saves ([`Watcher::next_changes`]), for the command line to rebuild after each.
//!
//! The project folder (the lock file's) is watched on its own, and each folder in it, but `out/`
//! and those [`filter`] ignores, recursively: git's and the build's own writes are never even
//! seen. A folder made later (a `git checkout` bringing `media/` back) is watched from the batch
//! that names it on, before the build of that batch reads it. File events come from the system
//! (inotify, FSEvents, ReadDirectoryChangesW) through `notify`; where they are not available (a
//! network drive, a container's mount, no inotify watches left) or with `--poll`, the folders
//! are scanned every [`POLL_EVERY`] instead (`scan.rs`).
//!
//! A batch ends once no change came for [`QUIET`] (an editor's save by rename, a `git checkout`
//! of many files: one batch), or [`MAX_WAIT`] after its first change when changes keep coming.
//! The lock file is written by every build: its own writes are recognised by the file's size,
//! time and inode as the build left them, and are not a change.

pub mod filter;
pub mod live;
mod scan;

use notify::RecursiveMode;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// How long no change must come before a batch is built.
pub const QUIET: Duration = Duration::from_millis(150);

/// How long after its first change a batch is built, even if changes keep coming.
pub const MAX_WAIT: Duration = Duration::from_secs(2);

/// How often the folders are scanned when there are no file events.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// The environment variable that makes file events unavailable (tests only): the watch then
/// falls back to scanning as it does where the system has none.
pub const NO_EVENTS_VAR: &str = "ANKIDECK_TEST_NO_FILE_EVENTS";

/// The paths of a project that a watch needs.
#[derive(Debug, Clone)]
pub struct ProjectPaths {
    /// The project folder: the lock file's.
    pub root: PathBuf,
    /// The folder of the deck files (may be outside the project folder).
    pub source: PathBuf,
    /// Where the build writes: never watched.
    pub out: PathBuf,
    /// The lock file, which each build writes.
    pub lock: PathBuf,
}

/// How changes are seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeing {
    /// The system's file events.
    Events,
    /// Scanning every [`POLL_EVERY`]: asked for (`--poll`).
    Polling,
    /// Scanning, because file events could not be had (why).
    PollingInstead(String),
}

/// Why a watch cannot start: neither file events nor scanning could watch the project.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    Start(String),
}

/// What changed in one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The paths changed, added or removed, sorted, relative to the project folder when under it.
    pub paths: Vec<PathBuf>,
    /// The system lost track (its event queue overflowed): anything may have changed.
    pub rescan: bool,
    /// Problems of the watching itself (a folder that could not be watched), to be shown.
    pub problems: Vec<String>,
}

/// Where a watcher's changes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Events,
    Scan,
}

enum Message {
    Event(notify::Result<notify::Event>),
    Stop,
}

/// The watcher of one project's files.
pub struct Watcher {
    inner: Box<dyn notify::Watcher + Send>,
    seeing: Seeing,
    paths: ProjectPaths,
    messages: Receiver<Message>,
    sender: Sender<Message>,
    /// The folders watched recursively, with their identity (device and inode) when watched.
    watched: BTreeMap<PathBuf, Option<(u64, u64)>>,
    /// The lock file as the last build left it.
    lock_left: Option<FileStamp>,
}

impl Watcher {
    /// Starts watching the project; with `poll`, by scanning rather than by file events.
    /// `paths` should be canonical (events name the paths as they were watched).
    pub fn start(paths: ProjectPaths, poll: bool) -> Result<Watcher, WatchError> {
        let (sender, messages) = channel();
        let mut watcher = if poll {
            Watcher::with_backend(paths.clone(), sender.clone(), messages, Backend::Scan)
                .map_err(|f| WatchError::Start(f.reason))?
        } else {
            match Watcher::with_backend(paths.clone(), sender.clone(), messages, Backend::Events) {
                Ok(watcher) => watcher,
                Err(Fallback { reason, messages }) => {
                    let mut watcher =
                        Watcher::with_backend(paths.clone(), sender.clone(), messages, Backend::Scan)
                            .map_err(|f| WatchError::Start(f.reason))?;
                    watcher.seeing = Seeing::PollingInstead(reason);
                    watcher
                }
            }
        };
        watcher.lock_left = FileStamp::of(&watcher.paths.lock);
        Ok(watcher)
    }

    /// Starts a watcher of file events (`events`) or a scanning one, and watches the folders.
    fn with_backend(
        paths: ProjectPaths,
        sender: Sender<Message>,
        messages: Receiver<Message>,
        backend: Backend,
    ) -> Result<Watcher, Fallback> {
        let handler = {
            let sender = sender.clone();
            move |event| {
                let _ = sender.send(Message::Event(event));
            }
        };
        let made: notify::Result<Box<dyn notify::Watcher + Send>> = match backend {
            // Tests make file events fail as a system without them does.
            Backend::Events if std::env::var_os(NO_EVENTS_VAR).is_some() => {
                Err(notify::Error::generic(&format!("{NO_EVENTS_VAR} is set")))
            }
            Backend::Events => notify::recommended_watcher(handler).map(|w| Box::new(w) as _),
            Backend::Scan => Ok(Box::new(scan::Scanner::start(handler, POLL_EVERY)) as _),
        };
        let inner = match made {
            Ok(inner) => inner,
            Err(e) => return Err(Fallback { reason: e.to_string(), messages }),
        };
        let seeing = if backend == Backend::Events { Seeing::Events } else { Seeing::Polling };
        let mut watcher =
            Watcher { inner, seeing, paths, messages, sender, watched: BTreeMap::new(), lock_left: None };
        if let Err(reason) = watcher.watch_all() {
            let Watcher { messages, .. } = watcher;
            return Err(Fallback { reason, messages });
        }
        Ok(watcher)
    }

    /// Watches the project folder, its folders and the source folder (if elsewhere).
    fn watch_all(&mut self) -> Result<(), String> {
        let root = self.paths.root.clone();
        self.inner.watch(&root, RecursiveMode::NonRecursive).map_err(|e| watch_error(&root, e))?;
        if !self.paths.source.starts_with(&root) {
            let source = self.paths.source.clone();
            self.inner.watch(&source, RecursiveMode::Recursive).map_err(|e| watch_error(&source, e))?;
        }
        match self.follow_folders() {
            problems if problems.is_empty() => Ok(()),
            problems => Err(problems.join("; ")),
        }
    }

    /// Watches the folders of the project folder not watched yet, and forgets those that are
    /// gone. A folder removed and made again under the same name (a `git checkout` within one
    /// batch) is another folder: its old watch sees nothing any more, so it is watched anew.
    /// Returns what could not be watched.
    fn follow_folders(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut present = BTreeMap::new();
        match std::fs::read_dir(&self.paths.root) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                    let ignored = entry.file_name().to_str().is_some_and(filter::is_ignored_dir);
                    // A folder that holds `out/` (`--out build/out`) is watched: its other files
                    // matter, and the changes in `out/` are dropped by the filter.
                    if is_dir && !ignored && path != self.paths.out {
                        let identity = FileStamp::of(&path).map(|s| s.identity());
                        present.insert(path, identity);
                    }
                }
            }
            Err(e) => problems.push(format!("cannot read the folder {}: {e}", self.paths.root.display())),
        }
        let stale: Vec<PathBuf> = (self.watched.iter())
            .filter(|(path, identity)| present.get(*path) != Some(*identity))
            .map(|(path, _)| path.clone())
            .collect();
        for gone in stale {
            let _ = self.inner.unwatch(&gone);
            self.watched.remove(&gone);
        }
        for (new, identity) in present {
            if self.watched.contains_key(&new) {
                continue;
            }
            match self.inner.watch(&new, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(new, identity);
                }
                Err(e) => problems.push(watch_error(&new, e)),
            }
        }
        problems
    }

    /// How changes are seen.
    pub fn seeing(&self) -> &Seeing {
        &self.seeing
    }

    /// A function that makes [`Watcher::wait`] return `None` (for Ctrl-C), from any thread.
    pub fn stopper(&self) -> impl Fn() + Send + 'static {
        let sender = self.sender.clone();
        move || {
            let _ = sender.send(Message::Stop);
        }
    }

    /// Records the lock file as a build left it: its own write is not a change.
    pub fn built(&mut self) {
        self.lock_left = FileStamp::of(&self.paths.lock);
    }

    /// Waits for the next batch of changes (perhaps none that is left); `None` once stopped.
    fn wait(&mut self) -> Option<Changes> {
        let mut paths = BTreeSet::new();
        // The paths whose first event in the batch made them.
        let mut made_here = BTreeSet::new();
        let mut changes = Changes::default();
        let mut first: Option<Instant> = None;
        let mut last = Instant::now();
        loop {
            let message = match first {
                None => self.messages.recv().ok()?,
                Some(first) => {
                    let until = (last + QUIET).min(first + MAX_WAIT);
                    match self.messages.recv_timeout(until.saturating_duration_since(Instant::now())) {
                        Ok(message) => message,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return None,
                    }
                }
            };
            let seen = match message {
                Message::Stop => return None,
                // Reading a file is no change (each build reads the decks: it would never end).
                Message::Event(Ok(event)) if is_read(&event.kind) => false,
                Message::Event(Ok(event)) => {
                    changes.rescan |= event.need_rescan();
                    let before = paths.len();
                    let made = is_made(&event.kind);
                    for path in event.paths.iter().filter(|p| self.matters(p)) {
                        if made && !paths.contains(path) {
                            made_here.insert(path.clone());
                        }
                        paths.insert(path.clone());
                    }
                    event.need_rescan() || paths.len() > before
                }
                Message::Event(Err(e)) => {
                    changes.problems.push(e.to_string());
                    // Events may have been lost with it.
                    changes.rescan = true;
                    true
                }
            };
            if seen {
                last = Instant::now();
                first.get_or_insert(last);
            }
        }
        changes.problems.extend(self.follow_folders());
        // A file made and removed again within the batch (an editor's temporary file under a
        // name the filter does not know) changed nothing.
        paths.retain(|p| !made_here.contains(p) || p.exists());
        changes.paths = paths.into_iter().map(|p| self.relative(&p)).collect();
        Some(changes)
    }

    /// Waits for the next batch of changes that changed something; `None` once stopped.
    pub fn next_changes(&mut self) -> Option<Changes> {
        loop {
            let changes = self.wait()?;
            if !changes.paths.is_empty() || changes.rescan || !changes.problems.is_empty() {
                return Some(changes);
            }
        }
    }

    /// Whether a change of `path` is one to build for. A folder is only when it is a new one
    /// of the project folder (made, moved in, or removed and made again): it is watched once
    /// the batch ends. (The
    /// changes in a folder name their files; a folder removed is no folder any more.)
    fn matters(&self, path: &Path) -> bool {
        if !filter::matters(path, &self.paths.root, &self.paths.out) {
            return false;
        }
        if path.is_dir() {
            let watched = self.watched.get(path);
            return path.parent() == Some(self.paths.root.as_path())
                && watched.is_none_or(|identity| *identity != FileStamp::of(path).map(|s| s.identity()));
        }
        // The lock as the last build left it: that build's own write.
        !(path == self.paths.lock && FileStamp::of(path) == self.lock_left)
    }

    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.paths.root).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// File events could not be had: why, and the channel back for the scanning watcher.
struct Fallback {
    reason: String,
    messages: Receiver<Message>,
}

/// Whether an event makes a file at its path (created, or renamed to it).
fn is_made(kind: &notify::EventKind) -> bool {
    use notify::event::{EventKind, ModifyKind, RenameMode};
    matches!(kind, EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)))
}

/// Whether an event is only a file read (opened, closed without writing).
fn is_read(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    matches!(kind, EventKind::Access(access) if *access != AccessKind::Close(AccessMode::Write))
}

fn watch_error(path: &Path, e: notify::Error) -> String {
    format!("cannot watch {}: {e}", path.display())
}

/// A file as it was: size, modification time and inode (a file replaced by a rename is another).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Device and inode (0 where the system has none to give).
    dev: u64,
    ino: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let (dev, ino) =
            (std::os::unix::fs::MetadataExt::dev(&meta), std::os::unix::fs::MetadataExt::ino(&meta));
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Some(FileStamp { len: meta.len(), modified: meta.modified().ok(), dev, ino })
    }

    /// Which file it is, whatever its contents.
    fn identity(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}
