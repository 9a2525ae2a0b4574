//! Changes seen by scanning, where the system sends no file events (`--poll`, network drives,
//! no inotify watches left): every [`super::POLL_EVERY`] the watched folders are listed and each
//! file's size, modification time (to the nanosecond) and inode compared with the scan before.
//! (notify's own `PollWatcher` compares modification times in whole seconds, so two saves within
//! one second would be one change, and the second one never built.) Ignored folders
//! ([`super::filter`]) are not entered.

use super::filter;
use notify::event::{CreateKind, DataChange, ModifyKind, RemoveKind};
use notify::{Event, EventHandler, EventKind, RecursiveMode, WatcherKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The folders scanned: how, and what their last scan saw.
type Folders = Arc<Mutex<BTreeMap<PathBuf, (RecursiveMode, BTreeMap<PathBuf, Seen>)>>>;

/// A watcher that scans.
pub struct Scanner {
    folders: Folders,
    stop: Arc<AtomicBool>,
}

/// A file (or, directly in a folder watched on its own, a folder) as one scan saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    ino: u64,
}

impl Scanner {
    /// Starts scanning every `every` the folders watched (none yet) on a thread of its own;
    /// each change is handed to `handler` as a file event.
    pub fn start<F: EventHandler>(mut handler: F, every: Duration) -> Scanner {
        let folders: Folders = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (watched, stopped) = (Arc::clone(&folders), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                let Ok(mut folders) = watched.lock() else { break };
                for (folder, (mode, before)) in folders.iter_mut() {
                    let mut now = BTreeMap::new();
                    list(folder, *mode == RecursiveMode::Recursive, &mut now);
                    for event in changes(before, &now) {
                        handler.handle_event(Ok(event));
                    }
                    *before = now;
                }
            }
        });
        Scanner { folders, stop }
    }
}

impl notify::Watcher for Scanner {
    fn new<F: EventHandler>(handler: F, config: notify::Config) -> notify::Result<Scanner> {
        Ok(Scanner::start(handler, config.poll_interval().unwrap_or(super::POLL_EVERY)))
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        if !path.is_dir() {
            return Err(notify::Error::path_not_found().add_path(path.to_path_buf()));
        }
        // The folder as it is now is what the first scan compares with: a change made right
        // after `watch` returns is seen.
        let mut now = BTreeMap::new();
        list(path, mode == RecursiveMode::Recursive, &mut now);
        if let Ok(mut folders) = self.folders.lock() {
            folders.insert(path.to_path_buf(), (mode, now));
        }
        Ok(())
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        if let Ok(mut folders) = self.folders.lock() {
            folders.remove(path);
        }
        Ok(())
    }

    fn kind() -> WatcherKind {
        WatcherKind::PollWatcher
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Lists the files of `folder` (and its folders but the ignored ones, when `deep`; the folders
/// themselves when not).
fn list(folder: &Path, deep: bool, into: &mut BTreeMap<PathBuf, Seen>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let path = entry.path();
        if meta.is_dir() {
            let ignored = entry.file_name().to_str().is_some_and(filter::is_ignored_dir);
            match deep {
                true if !ignored => list(&path, true, into),
                true => {}
                false => {
                    into.insert(path, seen(&meta));
                }
            }
        } else {
            into.insert(path, seen(&meta));
        }
    }
}

fn seen(meta: &std::fs::Metadata) -> Seen {
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let ino = 0;
    // A folder's size and time change with its files: only its coming and going count.
    match meta.is_dir() {
        true => Seen { len: 0, modified: None, ino },
        false => Seen { len: meta.len(), modified: meta.modified().ok(), ino },
    }
}

/// The events between two scans of a folder.
fn changes(before: &BTreeMap<PathBuf, Seen>, after: &BTreeMap<PathBuf, Seen>) -> Vec<Event> {
    let mut events = Vec::new();
    for (path, now) in after {
        let kind = match before.get(path) {
            None => EventKind::Create(CreateKind::Any),
            Some(then) if then != now => EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            Some(_) => continue,
        };
        events.push(Event::new(kind).add_path(path.clone()));
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        events.push(Event::new(EventKind::Remove(RemoveKind::Any)).add_path(path.clone()));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_rewritten_within_the_same_second_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "one").unwrap();
        let mut first = BTreeMap::new();
        list(dir.path(), true, &mut first);
        // Same size, same second: only the time's nanoseconds (or the inode) tell.
        std::thread::sleep(Duration::from_millis(5));
        std::fs::write(dir.path().join("b.tmp"), "two").unwrap();
        std::fs::rename(dir.path().join("b.tmp"), &file).unwrap();
        let mut second = BTreeMap::new();
        list(dir.path(), true, &mut second);
        let events = changes(&first, &second);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].paths, [file]);
    }

    #[test]
    fn ignored_folders_are_not_entered_and_removed_files_are_told() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git/objects")).unwrap();
        std::fs::write(dir.path().join(".git/objects/x"), "x").unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let mut first = BTreeMap::new();
        list(dir.path(), true, &mut first);
        assert_eq!(first.keys().collect::<Vec<_>>(), [&dir.path().join("a.txt")]);
        std::fs::remove_file(dir.path().join("a.txt")).unwrap();
        let events = changes(&first, &BTreeMap::new());
        assert!(matches!(events[..], [Event { kind: EventKind::Remove(_), .. }]), "{events:?}");
    }
}
