//! The durable steps of a build: each rename, removal or state write in `out/` or of the lock
//! goes through here, so that the order the build relies on (lock, then packages, then state) is
//! also the order in which the steps reach the disk, and so that tests can stop a build just
//! before any one of them.
//!
//! `ANKIDECK_TEST_CRASH_AT=<n>` makes the process abort (no cleanup, like `kill -9`) just before
//! its n-th durable step. The variable is read once; unset, a step costs one relaxed load.

use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable of the fault-injection hook (tests only).
pub const CRASH_AT_VAR: &str = "ANKIDECK_TEST_CRASH_AT";

/// The step to abort before, if the hook is set.
fn crash_at() -> Option<u64> {
    static CRASH_AT: OnceLock<Option<u64>> = OnceLock::new();
    *CRASH_AT.get_or_init(|| std::env::var(CRASH_AT_VAR).ok().and_then(|v| v.trim().parse().ok()))
}

/// Marks the start of a durable step: aborts the process here if the hook asks for it.
pub(crate) fn step() {
    static DONE: AtomicU64 = AtomicU64::new(0);
    if let Some(n) = crash_at() {
        // Steps are counted across threads; the build makes them one at a time.
        if DONE.fetch_add(1, Ordering::Relaxed) + 1 == n {
            std::process::abort();
        }
    }
}

/// Removes a file ankideck wrote, as a durable step; a file already gone is not an error.
/// Returns whether there was a file to remove.
pub(crate) fn remove_file(path: &Path) -> std::io::Result<bool> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(false);
    }
    step();
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Makes the renames and removals made in `dir` durable: until its directory is flushed, a
/// rename may be lost in a power cut even though the file's bytes were flushed.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        match std::fs::File::open(dir).and_then(|d| d.sync_all()) {
            // Some file systems cannot flush a directory (they make renames durable anyway).
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::InvalidInput | std::io::ErrorKind::Unsupported) =>
            {
                Ok(())
            }
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        // Windows cannot open a directory to flush it; its renames are journaled.
        let _ = dir;
        Ok(())
    }
}

/// The folder a file is in (`.` for a bare file name).
pub(crate) fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}
