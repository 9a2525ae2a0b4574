//! `ankideck watch`: builds once, then again after every batch of changes under the project
//! folder ([`crate::watch`]), holding the project's build guard for the whole session. Each
//! build prints one line (the time, what changed, the outcome, how long it took), then the
//! diagnostics and removed notes as `build` prints them; a build with errors leaves the last good
//! packages in place, and the watch goes on. Ctrl-C stops it once the build under way is done.

use super::build::{build_error, build_time, check_out_and_lock};
use super::progress::{TerminalProgress, When};
use super::report::{
    Verbosity, count, no_decks, plural, print_diagnostics, print_gone, print_interrupted, print_moved,
    print_removed, source_files,
};
use super::{INPUT_ERROR, TOOL_ERROR};
use crate::build::{BuildOptions, BuildReport, Outcome, Session};
use crate::emit::Compression;
use crate::watch::{Changes, ProjectPaths, Seeing, Watcher, live};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Folder holding the deck files.
    #[arg(long, value_name = "DIR", default_value = "source-cards")]
    pub source: PathBuf,
    /// Folder the packages are written to (never watched).
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// The lock file of note identities; its folder is the project folder that is watched.
    #[arg(long, value_name = "FILE", default_value = "ankideck.lock")]
    pub lock: PathBuf,
    /// Also write OUT/<deck>.csv for Anki's text import, as `build --csv`.
    #[arg(long)]
    pub csv: bool,
    /// How the package is compressed.
    #[arg(long, value_enum, default_value_t = Compression::Fast)]
    pub compression: Compression,
    /// Build decks whose source is larger than this many MiB from disk, as for `build`.
    #[arg(long, value_name = "MIB", default_value_t = crate::build::STREAM_ABOVE >> 20)]
    pub stream_above: u64,
    /// Look for changes by scanning the folders twice a second instead of the system's file
    /// events (for network drives and mounts that send no events).
    #[arg(long)]
    pub poll: bool,
}

pub(super) fn run_watch(args: WatchArgs, verbosity: Verbosity) -> ExitCode {
    let (files, skipped) = match source_files(&args.source) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if files.is_empty() {
        return no_decks(&args.source);
    }
    if let Err(code) = check_out_and_lock(&args.out, &args.source, &args.lock) {
        return code;
    }
    let (when, now_secs) = match When::from_env().and_then(|when| Ok((when, build_time()?))) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let opts = BuildOptions {
        source: args.source,
        out: args.out,
        lock: args.lock,
        csv: args.csv,
        locked: false,
        force: false,
        compression: args.compression,
        now_secs,
        stream_above: args.stream_above.saturating_mul(1 << 20),
        detail: verbosity == Verbosity::Verbose,
    };
    let mut session = match Session::start(&opts, &waiting) {
        Ok(session) => session,
        Err(err) => return build_error(&opts, err),
    };
    let mut watcher = match project_paths(session.options()).and_then(|paths| {
        Watcher::start(paths, args.poll).map_err(|e| format!("cannot watch the project: {e}"))
    }) {
        Ok(watcher) => watcher,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(TOOL_ERROR);
        }
    };
    stop_on_ctrl_c(&watcher);
    if !verbosity.quiet() {
        print_diagnostics(&skipped, verbosity);
        let how = match watcher.seeing() {
            Seeing::Events => String::new(),
            Seeing::Polling => " by scanning it twice a second".to_string(),
            Seeing::PollingInstead(why) => {
                format!(" by scanning it twice a second (file events are not available: {why})")
            }
        };
        eprintln!(
            "Watching {} for changes{how}; building into {}. Ctrl-C stops.",
            display_root(&opts.lock),
            opts.out.display()
        );
    }
    let mut rebuild = Rebuild { when, verbosity, builds: 0, with_errors: Default::default() };
    rebuild.run(&mut session, &mut watcher, "first build");
    while let Some(changes) = watcher.next_changes() {
        for problem in &changes.problems {
            eprintln!("warning: {problem}");
        }
        rebuild.run(&mut session, &mut watcher, &describe(&changes, &opts.lock));
    }
    session.end();
    if !verbosity.quiet() {
        eprintln!("{} stopped watching", clock());
    }
    ExitCode::SUCCESS
}

/// What a build waiting for the guard says (another build holds it).
fn waiting(guard: &Path) {
    eprintln!("waiting for another ankideck build of this project to finish ({})", guard.display());
}

/// The project folder as the user named it (the lock file's folder).
fn display_root(lock: &Path) -> String {
    match lock.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.display().to_string(),
        None => ".".to_string(),
    }
}

/// The project's paths, made canonical (the file events name them so).
fn project_paths(opts: &BuildOptions) -> Result<ProjectPaths, String> {
    let real = |path: &Path| path.canonicalize().map_err(|e| format!("cannot find {}: {e}", path.display()));
    let root = real(crate::build::durable::parent_of(&opts.lock))?;
    let name = opts.lock.file_name().ok_or_else(|| format!("{} names no file", opts.lock.display()))?;
    Ok(ProjectPaths { lock: root.join(name), root, source: real(&opts.source)?, out: real(&opts.out)? })
}

/// Ctrl-C stops the watch once the build under way is done (so it leaves no temporary file); a
/// second Ctrl-C stops it at once (the next build removes what it left).
fn stop_on_ctrl_c(watcher: &Watcher) {
    let stop = watcher.stopper();
    static PRESSED: AtomicUsize = AtomicUsize::new(0);
    let set = ctrlc::set_handler(move || {
        if PRESSED.fetch_add(1, Ordering::SeqCst) > 0 {
            std::process::exit(130);
        }
        // A long build would otherwise look as if the key did nothing.
        if BUILDING.load(Ordering::SeqCst) {
            eprintln!("stopping once the build under way is done (Ctrl-C again stops at once)");
        }
        stop();
    });
    if let Err(e) = set {
        eprintln!("warning: Ctrl-C cannot be caught ({e}): it stops the watch at once");
    }
}

/// Whether a build is under way (for what Ctrl-C says).
static BUILDING: AtomicBool = AtomicBool::new(false);

/// One build of the session, and its line.
struct Rebuild {
    when: When,
    verbosity: Verbosity,
    /// Builds so far: part of the preview's stamp.
    builds: u64,
    /// The decks with errors at the last build (the preview's index lists them).
    with_errors: std::collections::BTreeSet<String>,
}

impl Rebuild {
    fn run(&mut self, session: &mut Session, watcher: &mut Watcher, what: &str) {
        let started = Instant::now();
        self.builds += 1;
        let now_secs = match build_time() {
            Ok(t) => t,
            Err(message) => {
                eprintln!("error: {message}");
                return;
            }
        };
        let verbosity = self.verbosity;
        let progress = TerminalProgress::new(if verbosity.quiet() { When::Never } else { self.when });
        // Printed while the guard is held, as `build` does: removed notes are marked reported
        // only once they are out.
        let mut deliver = |report: &BuildReport| {
            progress.finish();
            eprintln!("{}", outcome_line(&clock(), what, report, started.elapsed()));
            print_details(report, verbosity);
        };
        BUILDING.store(true, Ordering::SeqCst);
        let result = session.build(now_secs, &waiting, &progress, &mut deliver);
        BUILDING.store(false, Ordering::SeqCst);
        progress.finish();
        watcher.built();
        let opts = session.options();
        match result {
            Ok(report) => {
                let first = self.builds == 1;
                let refreshed = live::refresh_preview(opts, &report, first, &self.with_errors);
                self.with_errors = live::with_errors(&report);
                let previewed = matches!(refreshed, Ok(Some(_)));
                match refreshed {
                    Ok(Some(preview)) if first && !verbosity.quiet() => {
                        eprintln!(
                            "preview: open {} (it reloads itself after each build)",
                            preview.index.display()
                        );
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!("warning: the preview is not up to date: {e}"),
                }
                let stamp = live::stamp(self.builds);
                // A preview written (the index, when only the decks with errors changed) is one
                // the open pages reload.
                if let Err(e) = live::after_build(opts, &report, &stamp, first || previewed) {
                    eprintln!("warning: the preview pages are not told to reload: {e}");
                }
            }
            Err(err) => {
                eprintln!("{} {what}: not built ({:.2} s)", clock(), started.elapsed().as_secs_f64());
                build_error(opts, err);
            }
        }
    }
}

/// What changed, for the line: a path, a few, or the first and how many more.
fn describe(changes: &Changes, lock: &Path) -> String {
    let root = crate::build::durable::parent_of(lock);
    let named = |path: &PathBuf| {
        let gone = !root.join(path).exists();
        format!("{}{}", path.display(), if gone { " (removed)" } else { "" })
    };
    match changes.paths.as_slice() {
        [] if changes.rescan => "files changed (too many changes at once to name them)".to_string(),
        [] => "changes".to_string(),
        [one] => named(one),
        [a, b] => format!("{}, {}", named(a), named(b)),
        [first, rest @ ..] => format!("{} and {} more files", named(first), count(rest.len())),
    }
}

/// The line of one build: `12:04:31 source-cards/x.txt: 3 decks: 1 rebuilt, 2 unchanged (0.12 s)`,
/// with `— 1 error in source-cards/x.txt:12` when a deck has errors.
fn outcome_line(time: &str, what: &str, report: &BuildReport, elapsed: Duration) -> String {
    let (mut rebuilt, mut unchanged, mut not_built) = (0, 0, 0);
    for deck in &report.decks {
        match deck.outcome {
            Outcome::Built(_) => rebuilt += 1,
            Outcome::UpToDate { .. } | Outcome::NotWritten { .. } => unchanged += 1,
            Outcome::Invalid | Outcome::Failed(_) | Outcome::DamagedLock(_) => not_built += 1,
        }
    }
    let mut outcome = format!(
        "{}: {} rebuilt, {} unchanged",
        plural(report.decks.len(), "deck"),
        count(rebuilt),
        count(unchanged)
    );
    if not_built > 0 {
        outcome.push_str(&format!(", {} not built", count(not_built)));
    }
    if !report.forgotten.is_empty() {
        outcome.push_str(&format!(", {} gone", count(report.forgotten.len())));
    }
    let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    let warnings = report.diagnostics.len() - errors.len();
    let mut problems = Vec::new();
    match errors.as_slice() {
        [] => {}
        [one] => problems.push(format!("1 error in {}", at(one))),
        [first, ..] => {
            problems.push(format!("{}, the first in {}", plural(errors.len(), "error"), at(first)))
        }
    }
    let failed = report.decks.iter().filter(|d| matches!(d.outcome, Outcome::Failed(_))).count();
    if failed > 0 {
        problems.push(format!("{} failed", plural(failed, "deck")));
    }
    if warnings > 0 {
        problems.push(plural(warnings, "warning"));
    }
    let problems = if problems.is_empty() { String::new() } else { format!(" — {}", problems.join(", ")) };
    format!("{time} {what}: {outcome}{problems} ({:.2} s)", elapsed.as_secs_f64())
}

/// `file:line` of a diagnostic (`file` for one of the whole file).
fn at(d: &crate::diagnostic::Diagnostic) -> String {
    match d.line {
        0 => d.file.display().to_string(),
        line => format!("{}:{line}", d.file.display()),
    }
}

/// Under the line: the diagnostics as `build` prints them, the decks that failed, the notes
/// removed or moved (said once: the next build does not say them again), the decks gone.
fn print_details(report: &BuildReport, verbosity: Verbosity) {
    print_diagnostics(&report.diagnostics, verbosity);
    for deck in &report.decks {
        match &deck.outcome {
            Outcome::Failed(message) => eprintln!("  {}: failed: {message}", deck.file.display()),
            Outcome::DamagedLock(message) => eprintln!("  {}: not built: {message}", deck.file.display()),
            Outcome::Built(b) if !verbosity.quiet() => {
                let said = !b.removed.is_empty() || !b.moved.is_empty() || !b.changed.is_empty();
                if said || verbosity == Verbosity::Verbose {
                    eprintln!(
                        "  {}: {} new, {} updated, {} removed",
                        b.name,
                        count(b.new),
                        count(b.updated),
                        count(b.removed.len())
                    );
                }
                for note in &b.changed {
                    let change = if note.change == crate::identify::Change::New { "new" } else { "updated" };
                    eprintln!("    {change} line {}: {}", note.line, note.preview);
                }
                print_removed(b);
                print_moved(b);
            }
            _ => {}
        }
    }
    if verbosity.quiet() {
        return;
    }
    for key in &report.forgotten {
        eprintln!("  {key}: its source file is gone; dropped from the lock file");
        if let Some(gone) = report.gone.iter().find(|g| &g.key == key) {
            print_gone(gone);
        }
    }
    for gone in
        report.gone.iter().filter(|g| !report.forgotten.contains(&g.key) && !g.removed_files.is_empty())
    {
        eprintln!("  {}: its deck file was renamed", gone.key);
        print_gone(gone);
    }
    for deck in &report.interrupted {
        print_interrupted(deck);
    }
}

/// The time of day, `HH:MM:SS`, local where the system says which zone that is.
fn clock() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (h, m, s) = local_time(secs).unwrap_or(((secs / 3600) % 24, (secs / 60) % 60, secs % 60));
    format!("{h:02}:{m:02}:{s:02}")
}

#[cfg(unix)]
fn local_time(secs: u64) -> Option<(u64, u64, u64)> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let filled = unsafe { libc::localtime_r(&t, &mut tm) };
    if filled.is_null() {
        return None;
    }
    Some((u64::try_from(tm.tm_hour).ok()?, u64::try_from(tm.tm_min).ok()?, u64::try_from(tm.tm_sec).ok()?))
}

#[cfg(not(unix))]
fn local_time(_secs: u64) -> Option<(u64, u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{DeckResult, LockStatus};
    use crate::diagnostic::{Code, Diagnostic};

    fn report(outcomes: Vec<Outcome>, diagnostics: Vec<Diagnostic>) -> BuildReport {
        let decks = outcomes
            .into_iter()
            .enumerate()
            .map(|(i, outcome)| DeckResult { file: PathBuf::from(format!("source-cards/{i}.txt")), outcome })
            .collect();
        BuildReport::for_tests(decks, diagnostics, LockStatus::Unchanged)
    }

    #[test]
    fn the_line_counts_decks_and_names_the_first_error() {
        let up = || Outcome::UpToDate { name: "A".into(), cards: 3 };
        let error = Diagnostic::new(Code::E006, Path::new("source-cards/x.txt"), 12, "card has one line");
        let clean = report(vec![up(), up()], vec![]);
        assert_eq!(
            outcome_line("12:04:31", "source-cards/a.txt", &clean, Duration::from_millis(120)),
            "12:04:31 source-cards/a.txt: 2 decks: 0 rebuilt, 2 unchanged (0.12 s)"
        );
        let broken = report(vec![up(), up(), Outcome::Invalid], vec![error.clone()]);
        assert_eq!(
            outcome_line("12:04:31", "source-cards/x.txt", &broken, Duration::from_millis(30)),
            "12:04:31 source-cards/x.txt: 3 decks: 0 rebuilt, 2 unchanged, 1 not built — 1 error in source-cards/x.txt:12 (0.03 s)"
        );
        let two = report(vec![Outcome::Invalid], vec![error.clone(), error]);
        assert!(
            outcome_line("t", "w", &two, Duration::ZERO)
                .contains("— 2 errors, the first in source-cards/x.txt:12")
        );
    }

    #[test]
    fn changes_are_named_one_two_or_the_first_and_how_many_more() {
        let changes = |paths: &[&str]| Changes {
            paths: paths.iter().map(PathBuf::from).collect(),
            ..Changes::default()
        };
        let lock = Path::new("/nonexistent-project/ankideck.lock");
        assert_eq!(describe(&changes(&["a.txt"]), lock), "a.txt (removed)");
        assert_eq!(
            describe(&changes(&["a.txt", "b.txt", "c.txt"]), lock),
            "a.txt (removed) and 2 more files"
        );
        let rescan = Changes { rescan: true, ..Changes::default() };
        assert_eq!(describe(&rescan, lock), "files changed (too many changes at once to name them)");
    }
}
