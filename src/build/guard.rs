//! One build at a time per project: a build holds an exclusive OS file lock on a file in `out/`
//! from before it reads the lock file until after it has recorded its state. A second build
//! waits for it (the caller is told, to say so), so two builds never interleave their writes.
//! While it holds the guard, a build removes the temporary files that killed builds left.
//!
//! `ankideck watch` holds the guard for its whole session and records its pid beside it
//! ([`WATCH_FILE`]): a build started meanwhile would wait for ever, so it is refused instead,
//! naming the watch ([`GuardError::HeldByWatch`]).

use super::durable;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The guard file in `out/`.
pub const GUARD_FILE: &str = ".ankideck-build-guard";

/// The file in `out/` where `ankideck watch` records its pid while it holds the guard. (Not in
/// the guard file itself: where locks are mandatory (Windows), a held file cannot be read.)
pub const WATCH_FILE: &str = ".ankideck-watch";

/// How often a build waiting for the guard tries it again (and looks whether a watch took it).
const RETRY: std::time::Duration = std::time::Duration::from_millis(50);

/// Who takes the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// One build: it lets the guard go when done.
    Build,
    /// `ankideck watch`, for its whole session: recorded in [`WATCH_FILE`].
    Watch,
}

/// Why the guard could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// `ankideck watch` holds it (its pid when recorded), and keeps it until stopped.
    #[error("held by `ankideck watch`")]
    HeldByWatch { pid: Option<u32> },
}

/// Holds the project's build guard until dropped.
pub(crate) struct BuildGuard {
    file: File,
    path: PathBuf,
    /// Whether `out/` was created to hold the guard (it is removed again if nothing else was
    /// written into it).
    created_out: bool,
    holder: Holder,
    /// Whether the guard file was made to take the guard (`--plan` removes it again).
    created_file: bool,
}

impl BuildGuard {
    /// Takes the guard of the project whose outputs go to `out`, creating `out` if needed, for
    /// `holder`. If another build holds it, calls `waiting` with the guard's path once and waits;
    /// if a watch holds it, fails with [`GuardError::HeldByWatch`].
    pub(crate) fn acquire(
        out: &Path,
        holder: Holder,
        waiting: &dyn Fn(&Path),
    ) -> Result<BuildGuard, GuardError> {
        let path = out.join(GUARD_FILE);
        let created_out = !out.is_dir();
        let created_file = !path.is_file();
        let mut told = false;
        loop {
            std::fs::create_dir_all(out)?;
            let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
            // Tried again and again rather than waited for: a watch that takes the guard
            // meanwhile keeps it, and the build is then told so instead of waiting for ever.
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) => {
                        if let Some(pid) = watching(out) {
                            return Err(GuardError::HeldByWatch { pid });
                        }
                        if !told {
                            waiting(&path);
                            told = true;
                        }
                        std::thread::sleep(RETRY);
                    }
                    Err(TryLockError::Error(e)) => return Err(e.into()),
                }
            }
            // The build that held it may have removed the file (and `out/`) before letting it
            // go: a lock on a removed file guards nothing, so take the one now at the path.
            if is_same_file(&file, &path) {
                let watch_file = out.join(WATCH_FILE);
                match holder {
                    // No watch holds the guard now: a record left is a killed watch's.
                    Holder::Build => match std::fs::remove_file(&watch_file) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    },
                    Holder::Watch => std::fs::write(&watch_file, format!("{}\n", std::process::id()))?,
                }
                return Ok(BuildGuard { file, path, created_out, holder, created_file });
            }
        }
    }

    /// Whether the guard file held is still the one at its path (`out/` was not deleted).
    pub(crate) fn is_current(&self) -> bool {
        is_same_file(&self.file, &self.path)
    }

    /// The guard file's path.
    #[cfg(test)]
    fn path(&self) -> &Path {
        &self.path
    }

    /// Lets the guard go; if this build created `out/` and wrote nothing else into it (a
    /// `--locked` build that found the lock out of date), removes the guard file and `out/`.
    pub(crate) fn release(self) {
        let out = durable::parent_of(&self.path);
        // A watch's record goes first: nothing holds the guard now.
        if self.holder == Holder::Watch {
            let _ = std::fs::remove_file(out.join(WATCH_FILE));
        }
        if self.created_out && only_holds_the_guard(out) {
            // Removed while still held: a waiting build notices and takes a new one.
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_dir(out);
        }
        drop(self.file);
    }
}

impl BuildGuard {
    /// Lets the guard go, leaving `out/` as it was found (`build --plan` writes nothing): the
    /// guard file is removed if it was made to take the guard, and `out/` if it was made and
    /// is empty again.
    pub(crate) fn release_as_found(self) {
        let out = durable::parent_of(&self.path);
        if self.created_file {
            // Removed while still held: a waiting build notices and takes a new one.
            let _ = std::fs::remove_file(&self.path);
        }
        if self.created_out {
            let _ = std::fs::remove_dir(out);
        }
        drop(self.file);
    }
}

/// The lock file's folder, held too: two builds with different `--out` folders still share the
/// lock file. The lock is on the folder itself, so the project gets no file for git to see; where
/// the system cannot lock a folder, only `out/` is guarded.
pub(crate) struct FolderGuard {
    /// Held for its lock; `None` where the folder could not be locked.
    _held: Option<File>,
}

impl FolderGuard {
    /// Takes the folder's lock, calling `waiting` with its path once if another build holds it.
    pub(crate) fn acquire(dir: &Path, waiting: &dyn Fn(&Path)) -> std::io::Result<FolderGuard> {
        let Ok(file) = File::open(dir) else { return Ok(FolderGuard { _held: None }) };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                waiting(dir);
                file.lock()?;
            }
            Err(TryLockError::Error(_)) => return Ok(FolderGuard { _held: None }),
        }
        Ok(FolderGuard { _held: Some(file) })
    }
}

/// Whether a watch holds the guard of `out` (asked while the guard is held): its pid if it
/// recorded one. A record whose process is gone is a killed watch's, and says nothing.
fn watching(out: &Path) -> Option<Option<u32>> {
    let text = match std::fs::read_to_string(out.join(WATCH_FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        // Unreadable: a watch wrote it; what else would have.
        Err(_) => return Some(None),
    };
    // An empty record is one being written.
    let Ok(pid) = text.trim().parse::<u32>() else { return Some(None) };
    is_running(pid).then_some(Some(pid))
}

#[cfg(unix)]
fn is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn is_running(_pid: u32) -> bool {
    true
}

fn only_holds_the_guard(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .is_ok_and(|entries| entries.into_iter().all(|e| e.is_ok_and(|e| e.file_name() == GUARD_FILE)))
}

#[cfg(unix)]
fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_file: &File, path: &Path) -> bool {
    // Windows does not remove a file that is open without delete sharing.
    path.is_file()
}

/// Whether a file name is one of ankideck's temporary files (`.ankideck-*.tmp`).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(".ankideck-") && name.ends_with(".tmp")
}

/// Removes the temporary files (`.ankideck-*.tmp`) that earlier, killed builds left in each of
/// `dirs`; only call it while holding the guard. Returns how many were removed.
pub(crate) fn remove_leftovers(dirs: &[&Path]) -> Result<usize, super::BuildError> {
    let mut removed = 0;
    for dir in dirs {
        // Errors name the folder or file at fault: the lock's folder may be a file (`--lock
        // notes.txt/ankideck.lock`) while out/ is fine.
        let read = |source| super::BuildError::Read { path: dir.to_path_buf(), source };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(read(e)),
        };
        for entry in entries {
            let entry = entry.map_err(read)?;
            let is_temp = entry.file_name().to_str().is_some_and(is_temp_name);
            let path = entry.path();
            let remove = |source| super::BuildError::Remove { path: path.clone(), source };
            if is_temp
                && entry.file_type().map_err(remove)?.is_file()
                && durable::remove_file(&path).map_err(remove)?
            {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_build_waits_for_the_lock_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderGuard::acquire(dir.path(), &|_| panic!("nobody holds it")).unwrap();
        assert!(first._held.is_some(), "a folder can be locked here");
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        let second = std::thread::spawn(move || {
            let told = std::cell::Cell::new(false);
            let _guard = FolderGuard::acquire(&path, &|_| told.set(true)).unwrap();
            tx.send(told.get()).unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "the second waits while the first holds the folder");
        drop(first);
        assert!(rx.recv().unwrap(), "and was told it waits");
        second.join().unwrap();
    }

    #[test]
    fn leftover_temp_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            ".ankideck-abc.tmp",
            ".ankideck-x.tmp",
            "deck.apkg",
            ".ankideck-state",
            "notes.tmp",
            ".ankideck-y",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        assert_eq!(remove_leftovers(&[dir.path()]).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".ankideck-state", ".ankideck-y", "deck.apkg", "notes.tmp"]);
    }

    #[test]
    fn a_second_guard_waits_until_the_first_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let first = BuildGuard::acquire(&out, Holder::Build, &|_| panic!("nobody holds it yet")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let out2 = out.clone();
        let second = std::thread::spawn(move || {
            let told = std::cell::Cell::new(false);
            let guard = BuildGuard::acquire(&out2, Holder::Build, &|_| told.set(true)).unwrap();
            tx.send(told.get()).unwrap();
            guard.release();
        });
        assert!(rx.recv_timeout(std::time::Duration::from_millis(300)).is_err(), "took a held guard");
        first.release();
        assert!(rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap(), "was not told it waits");
        second.join().unwrap();
    }

    #[test]
    fn a_guard_removed_while_waited_for_is_taken_anew() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // The first build created out/ and writes nothing else: it removes both on release.
        let first = BuildGuard::acquire(&out, Holder::Build, &|_| {}).unwrap();
        let out2 = out.clone();
        let second = std::thread::spawn(move || BuildGuard::acquire(&out2, Holder::Build, &|_| {}).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(100));
        first.release();
        let second = second.join().unwrap();
        assert!(is_same_file(&second.file, second.path()), "holds a removed guard file");
        let other = File::open(second.path()).unwrap();
        assert!(
            matches!(other.try_lock(), Err(TryLockError::WouldBlock)),
            "the file at the path is not locked"
        );
    }

    #[test]
    fn a_killed_watchs_record_does_not_refuse_a_build() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let first = BuildGuard::acquire(&out, Holder::Build, &|_| {}).unwrap();
        // The pid of a process that has exited: the record of a watch that was killed.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::fs::write(out.join(WATCH_FILE), format!("{dead}\n")).unwrap();
        let out2 = out.clone();
        let second = std::thread::spawn(move || BuildGuard::acquire(&out2, Holder::Build, &|_| {}));
        std::thread::sleep(std::time::Duration::from_millis(200));
        first.release();
        let second = second.join().unwrap().expect("waited, not refused");
        assert!(
            !out.join(WATCH_FILE).exists(),
            "the stale record is removed by the build that holds the guard"
        );
        // A live watch's record refuses.
        std::fs::write(out.join(WATCH_FILE), format!("{}\n", std::process::id())).unwrap();
        let refused = BuildGuard::acquire(&out, Holder::Build, &|_| {});
        assert!(matches!(refused, Err(GuardError::HeldByWatch { pid: Some(_) })));
        second.release();
    }
}
