//! What a watch does after each build: refresh the preview of the decks rebuilt, and tell the
//! open preview pages to reload. The pages poll `out/preview/_live.js`, a script of one line,
//! `window.ankideckLive && window.ankideckLive("STAMP");`, whose stamp changes with every build
//! that changed something; it is replaced in one rename, so a page never reads half of it.

use crate::build::{BuildOptions, BuildReport, Outcome};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The script the preview pages poll.
pub const LIVE_FILE: &str = "_live.js";

/// Why the pages could not be told.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct LiveError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// The decks a build wrote (their names in Anki), and whether it changed anything the preview
/// shows: a deck written, or one whose source is gone.
pub fn rebuilt(report: &BuildReport) -> (Vec<&str>, bool) {
    let names: Vec<&str> = (report.decks.iter())
        .filter_map(|d| match &d.outcome {
            Outcome::Built(b) => Some(b.name.as_str()),
            _ => None,
        })
        .collect();
    let changed = !names.is_empty() || !report.forgotten.is_empty() || !report.gone.is_empty();
    (names, changed)
}

/// Called once after each build of a watch, with its report (after [`refresh_preview`]): if the
/// build changed something (or `first`, the session's first build, after which a page open from
/// before may be out of date), writes a new `_live.js` with `stamp`. Returns whether it wrote one.
pub fn after_build(
    opts: &BuildOptions,
    report: &BuildReport,
    stamp: &str,
    first: bool,
) -> Result<bool, LiveError> {
    let (_, changed) = rebuilt(report);
    if !changed && !first {
        return Ok(false);
    }
    write_live(&opts.out, stamp)?;
    Ok(true)
}

/// The decks of a build's report that have errors (not built), by file stem: the preview's index
/// lists them, so a change of this set is one the preview shows.
pub fn with_errors(report: &BuildReport) -> BTreeSet<String> {
    (report.decks.iter())
        .filter(|d| matches!(d.outcome, Outcome::Invalid))
        .map(|d| crate::source::stem_of(&d.file))
        .collect()
}

/// Brings the preview up to date after a build of the watch: every deck after the session's
/// first build or when a deck's source is gone (its page goes), else the decks rebuilt and
/// those with errors (which the index lists), when a deck was rebuilt or the decks with errors
/// are not those of the build before (`had_errors`: a deck half typed, or fixed back to its last
/// build); nothing else to do: `None`. Returns the preview written, if one was. The pages are
/// read as `ankideck preview` reads them: identified again from the lock just written.
pub fn refresh_preview(
    opts: &BuildOptions,
    report: &BuildReport,
    first: bool,
    had_errors: &BTreeSet<String>,
) -> Result<Option<crate::preview::PreviewReport>, crate::preview::PreviewError> {
    let (decks, changed) = rebuilt(report);
    let errors = with_errors(report);
    let errors_changed = errors != *had_errors;
    let mut every = first || !report.forgotten.is_empty() || !report.gone.is_empty();
    if !every && !errors_changed && (!changed || decks.is_empty()) {
        return Ok(None);
    }
    let stems: BTreeSet<String> = report.decks.iter().map(|d| crate::source::stem_of(&d.file)).collect();
    let mut named: Vec<String> = decks.into_iter().map(str::to_string).collect();
    named.extend(errors.iter().cloned());
    // A deck fixed back to its last build is up to date, not rebuilt: its page is made again.
    named.extend(had_errors.iter().filter(|k| stems.contains(*k) && !errors.contains(*k)).cloned());
    // Nothing to name (a deck with errors deleted): the index is made with every deck.
    every |= named.is_empty();
    let build = BuildOptions { force: true, csv: false, locked: false, detail: false, ..opts.clone() };
    let decks = if every { Vec::new() } else { named };
    crate::preview::preview(&crate::preview::PreviewOptions { build, decks }).map(Some)
}

/// The text of `_live.js` for `stamp`.
pub fn live_script(stamp: &str) -> String {
    format!("window.ankideckLive && window.ankideckLive(\"{stamp}\");\n")
}

/// Replaces `out/preview/_live.js` in one step, making the folder if needed.
pub fn write_live(out: &Path, stamp: &str) -> Result<(), LiveError> {
    let dir = out.join(crate::preview::PREVIEW_DIR);
    let path = dir.join(LIVE_FILE);
    let error = |source| LiveError { path: path.clone(), source };
    std::fs::create_dir_all(&dir).map_err(error)?;
    // Not flushed to disk: a reload signal lost in a power cut costs nothing.
    let mut temp =
        tempfile::Builder::new().prefix(".ankideck-").suffix(".tmp").tempfile_in(&dir).map_err(error)?;
    temp.write_all(live_script(stamp).as_bytes()).map_err(error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(error)?;
    }
    temp.persist(&path).map_err(|e| error(e.error))?;
    Ok(())
}

/// A stamp that differs from every earlier one of this and other sessions: the time in
/// milliseconds and the build's number in the session.
pub fn stamp(build: u64) -> String {
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    format!("{millis}-{build}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_script_calls_the_page_with_the_stamp() {
        assert_eq!(live_script("17-3"), "window.ankideckLive && window.ankideckLive(\"17-3\");\n");
    }

    #[test]
    fn live_file_is_replaced_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        write_live(dir.path(), "1-1").unwrap();
        write_live(dir.path(), "2-2").unwrap();
        let preview = dir.path().join(crate::preview::PREVIEW_DIR);
        assert_eq!(std::fs::read_to_string(preview.join(LIVE_FILE)).unwrap(), live_script("2-2"));
        let names: Vec<_> = std::fs::read_dir(&preview).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [LIVE_FILE]);
    }

    #[test]
    fn stamps_of_one_session_differ() {
        assert_ne!(stamp(1), stamp(2));
    }
}
