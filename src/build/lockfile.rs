//! Writing the lock file: streamed to a temporary file beside it while the packages are being
//! written, then put in place only if its text changed.

use crate::build::LockStatus;
use crate::emit::{self, EmitError};
use crate::lock::Lock;
use std::path::Path;

/// Streams the lock to a temporary file beside it; returns it with the digest of its text.
pub(super) fn stage_lock(path: &Path, lock: &Lock) -> Result<StagedLock, EmitError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = emit::temp_file_in(dir)?;
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(temp.as_file());
    let written = lock.write_to(&mut out).and_then(|d| out.flush().map(|()| d));
    let (digest, sections) = written.map_err(EmitError::io("cannot write", path))?;
    drop(out);
    // Flushed to disk here, while the packages are still being written; committing it later
    // is then only a rename.
    temp.as_file().sync_all().map_err(EmitError::io("cannot flush", path))?;
    Ok(StagedLock { temp, digest, sections })
}

/// A lock written to a temporary file, with the digests of its text and of each deck's section.
pub(super) struct StagedLock {
    pub(super) sections: std::collections::HashMap<String, u128>,
    temp: tempfile::NamedTempFile,
    digest: u128,
}

/// Puts a staged lock in place, unless its text is the same as the old one's.
pub(super) fn commit_lock(
    path: &Path,
    staged: StagedLock,
    old_digest: Option<u128>,
) -> Result<LockStatus, EmitError> {
    if old_digest == Some(staged.digest) {
        return Ok(LockStatus::Unchanged);
    }
    emit::persist(staged.temp, path)?;
    Ok(LockStatus::Written)
}
