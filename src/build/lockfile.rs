//! Writing the lock file: streamed to a temporary file in `out/` while the packages are being
//! written, then put in place, before any package, only if its text changed. Never staged in
//! the project root, where `git add -A` would pick a leftover up.

use super::durable;
use crate::build::LockStatus;
use crate::emit::{self, EmitError};
use crate::lock::Lock;
use std::io::{Seek as _, Write as _};
use std::path::Path;

/// Streams the lock to a temporary file in `out`; returns it with the digest of its text.
pub(super) fn stage_lock(path: &Path, out: &Path, lock: &Lock) -> Result<StagedLock, EmitError> {
    let temp = emit::temp_file_in(out)?;
    let mut writer = std::io::BufWriter::new(temp.as_file());
    let written = lock.write_to(&mut writer).and_then(|d| writer.flush().map(|()| d));
    let (digest, sections) = written.map_err(EmitError::io("cannot write", path))?;
    drop(writer);
    // Flushed to disk here, while the packages are still being written; committing it later
    // is then only a rename.
    emit::seal(&temp, path)?;
    Ok(StagedLock { temp, digest, sections })
}

/// A lock written to a temporary file, with the digests of its text and of each deck's section.
pub(super) struct StagedLock {
    pub(super) sections: std::collections::HashMap<String, u128>,
    temp: tempfile::NamedTempFile,
    digest: u128,
}

impl StagedLock {
    /// The digest of the staged lock's text.
    pub(super) fn digest(&self) -> u128 {
        self.digest
    }
}

/// Whether a lock whose text has the digest `digest` records nothing: no note type, deck or
/// note (the text of an empty lock: its header and version line).
pub(super) fn records_nothing(digest: u128) -> bool {
    let empty = Lock::default().write_to(&mut std::io::sink()).map(|(digest, _)| digest);
    empty.is_ok_and(|empty| empty == digest)
}

/// Puts a staged lock in place, unless its text is the same as the old one's, and makes the
/// rename durable before anything else is written. Without an old lock (`old_digest` `None`),
/// a lock that records nothing is not written: a first build whose decks all have errors
/// leaves no file behind.
pub(super) fn commit_lock(
    path: &Path,
    staged: StagedLock,
    old_digest: Option<u128>,
) -> Result<LockStatus, EmitError> {
    if old_digest == Some(staged.digest) {
        return Ok(LockStatus::Unchanged);
    }
    if old_digest.is_none() && records_nothing(staged.digest) {
        // The staged file is removed as it is dropped.
        return Ok(LockStatus::NothingToRecord);
    }
    durable::step();
    match staged.temp.persist(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::CrossesDevices => copy_beside(e.file, path)?,
        Err(e) => {
            return Err(EmitError::Io {
                action: "cannot move the finished file to",
                path: path.into(),
                source: e.error,
            });
        }
    }
    durable::sync_dir(durable::parent_of(path)).map_err(EmitError::io("cannot flush the folder of", path))?;
    Ok(LockStatus::Written)
}

/// `out/` and the lock are on different file systems, so the staged lock cannot be renamed to
/// it: it is copied to a temporary file beside the lock, which is renamed.
fn copy_beside(mut staged: tempfile::NamedTempFile, path: &Path) -> Result<(), EmitError> {
    let beside = emit::temp_file_in(durable::parent_of(path))?;
    let copied = staged.rewind().and_then(|()| std::io::copy(staged.as_file_mut(), &mut beside.as_file()));
    copied.map_err(EmitError::io("cannot write", path))?;
    emit::seal(&beside, path)?;
    emit::put_in_place(beside, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A staged lock of `text` in `out`.
    fn staged(out: &Path, text: &str) -> StagedLock {
        let temp = emit::temp_file_in(out).unwrap();
        std::fs::write(temp.path(), text).unwrap();
        StagedLock { sections: Default::default(), temp, digest: 1 }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn lock_staged_in_out_replaces_the_lock_and_leaves_no_temporary_file() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let lock = root.path().join("ankideck.lock");
        std::fs::write(&lock, "old").unwrap();
        let status = commit_lock(&lock, staged(&out, "new"), Some(2)).unwrap();
        assert_eq!(status, LockStatus::Written);
        assert_eq!(std::fs::read_to_string(&lock).unwrap(), "new");
        assert_eq!(names(root.path()), ["ankideck.lock", "out"]);
        assert!(names(&out).is_empty(), "{:?}", names(&out));
    }

    #[test]
    fn an_empty_lock_is_not_written_where_there_was_none_and_is_where_there_was_one() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let lock = root.path().join("ankideck.lock");
        let empty = || stage_lock(&lock, &out, &Lock::default()).unwrap();
        assert_eq!(commit_lock(&lock, empty(), None).unwrap(), LockStatus::NothingToRecord);
        assert_eq!(names(root.path()), ["out"]);
        assert!(names(&out).is_empty(), "{:?}", names(&out));
        // A lock that had decks and now has none is rewritten: it says they are gone.
        std::fs::write(&lock, "old").unwrap();
        assert_eq!(commit_lock(&lock, empty(), Some(2)).unwrap(), LockStatus::Written);
        assert!(std::fs::read_to_string(&lock).unwrap().contains("version\t"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn lock_on_another_file_system_than_out_is_copied_beside_it() {
        // /dev/shm is a memory file system on Linux: another one than the temp dir's.
        let shm = Path::new("/dev/shm");
        let out = tempfile::tempdir().unwrap();
        let Ok(lock_dir) = tempfile::tempdir_in(shm) else {
            eprintln!("skipped: no /dev/shm");
            return;
        };
        use std::os::unix::fs::MetadataExt;
        let dev = |p: &Path| std::fs::metadata(p).unwrap().dev();
        assert_ne!(dev(out.path()), dev(lock_dir.path()), "the test needs two file systems");
        let lock = lock_dir.path().join("ankideck.lock");
        let status = commit_lock(&lock, staged(out.path(), "new"), None).unwrap();
        assert_eq!(status, LockStatus::Written);
        assert_eq!(std::fs::read_to_string(&lock).unwrap(), "new");
        assert_eq!(names(lock_dir.path()), ["ankideck.lock"]);
        assert!(names(out.path()).is_empty(), "{:?}", names(out.path()));
    }
}
