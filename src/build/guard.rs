//! One build at a time per project: a build holds an exclusive OS file lock on a file in `out/`
//! from before it reads the lock file until after it has recorded its state. A second build
//! waits for it (the caller is told, to say so), so two builds never interleave their writes.
//! While it holds the guard, a build removes the temporary files that killed builds left.

use super::durable;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The guard file in `out/`.
pub const GUARD_FILE: &str = ".ankideck-build-guard";

/// Holds the project's build guard until dropped.
pub(crate) struct BuildGuard {
    file: File,
    path: PathBuf,
    /// Whether `out/` was created to hold the guard (it is removed again if nothing else was
    /// written into it).
    created_out: bool,
    /// Whether the guard file was made to take the guard (`--plan` removes it again).
    created_file: bool,
}

impl BuildGuard {
    /// Takes the guard of the project whose outputs go to `out`, creating `out` if needed.
    /// If another build holds it, calls `waiting` with the guard's path once and waits.
    pub(crate) fn acquire(out: &Path, waiting: &dyn Fn(&Path)) -> std::io::Result<BuildGuard> {
        let path = out.join(GUARD_FILE);
        let created_out = !out.is_dir();
        let created_file = !path.is_file();
        let mut told = false;
        loop {
            std::fs::create_dir_all(out)?;
            let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    if !told {
                        waiting(&path);
                        told = true;
                    }
                    file.lock()?;
                }
                Err(TryLockError::Error(e)) => return Err(e),
            }
            // The build that held it may have removed the file (and `out/`) before letting it
            // go: a lock on a removed file guards nothing, so take the one now at the path.
            if is_same_file(&file, &path) {
                return Ok(BuildGuard { file, path, created_out, created_file });
            }
        }
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
        let first = BuildGuard::acquire(&out, &|_| panic!("nobody holds it yet")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let out2 = out.clone();
        let second = std::thread::spawn(move || {
            let told = std::cell::Cell::new(false);
            let guard = BuildGuard::acquire(&out2, &|_| told.set(true)).unwrap();
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
        let first = BuildGuard::acquire(&out, &|_| {}).unwrap();
        let out2 = out.clone();
        let second = std::thread::spawn(move || BuildGuard::acquire(&out2, &|_| {}).unwrap());
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
}
