//! A build's progress on stderr: one line that names the stage (reading, identifying, writing),
//! counts deck files or cards, and clears itself before the report is printed.
//!
//! Shown only where someone watches: when stderr is a terminal, and only once the build has run
//! for [`SHOW_AFTER`], so a quick build prints exactly what it printed before. CI logs, pipes and
//! the tests see no progress bytes. `ANKIDECK_PROGRESS=always` shows it from the start on any
//! stderr (for a test, or a log that wants it), `never` never.

use crate::build::progress::{Progress, Stage};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A build shorter than this shows no progress on a terminal.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// How often the line is redrawn (its spinner and elapsed time) while a stage runs.
const TICK: Duration = Duration::from_millis(100);

/// The environment variable that overrides when progress is shown.
const ENV: &str = "ANKIDECK_PROGRESS";

/// When progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    /// On a terminal, once the build has run for [`SHOW_AFTER`].
    Auto,
    /// From the first stage, on any stderr.
    Always,
    Never,
}

impl When {
    /// From `ANKIDECK_PROGRESS` (`auto` when unset).
    pub(super) fn from_env() -> Result<When, String> {
        When::parse(std::env::var_os(ENV).as_deref())
    }

    /// From the value of `ANKIDECK_PROGRESS`, if set.
    fn parse(value: Option<&std::ffi::OsStr>) -> Result<When, String> {
        let Some(value) = value else { return Ok(When::Auto) };
        match value.to_str() {
            Some("" | "auto") => Ok(When::Auto),
            Some("always") => Ok(When::Always),
            Some("never") => Ok(When::Never),
            _ => Err(format!("{ENV} must be `always`, `never` or `auto`, not `{}`", value.to_string_lossy())),
        }
    }
}

/// The progress line of one build. [`TerminalProgress::finish`] (or dropping it) clears it.
pub(super) struct TerminalProgress {
    bar: ProgressBar,
    /// How the line is shown at the first stage; `None` once it has been (or never will be).
    pending: Mutex<Option<Show>>,
    /// The thread that shows the line after [`SHOW_AFTER`], and the channel that stops it.
    delay: Mutex<Option<(mpsc::Sender<()>, JoinHandle<()>)>>,
}

/// How the line is shown.
#[derive(Debug, Clone, Copy)]
enum Show {
    /// On a terminal, after [`SHOW_AFTER`].
    Delayed,
    /// Right away, on stderr whatever it is.
    Now,
}

impl TerminalProgress {
    /// The progress line for `when`; it shows nothing until the build's first stage begins.
    pub(super) fn new(when: When) -> TerminalProgress {
        let show = match when {
            When::Always => Some(Show::Now),
            When::Auto if std::io::stderr().is_terminal() => Some(Show::Delayed),
            When::Auto | When::Never => None,
        };
        TerminalProgress {
            bar: ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
            pending: Mutex::new(show),
            delay: Mutex::new(None),
        }
    }

    /// Clears the line (if it was shown) and stops showing it: call before printing to stderr.
    pub(super) fn finish(&self) {
        // Disconnecting the channel wakes the delay thread, which then shows nothing.
        if let Some((stop, thread)) = lock(&self.delay).take() {
            drop(stop);
            let _ = thread.join();
        }
        lock(&self.pending).take();
        self.bar.finish_and_clear();
    }

    /// Shows the line as asked, the first time a stage begins.
    fn show_once(&self) {
        let Some(show) = lock(&self.pending).take() else { return };
        match show {
            Show::Now => {
                // A `Term` wrapped as a plain `TermLike` is drawn to even when it is not a
                // terminal (indicatif hides its own stderr target then).
                let stderr = Box::new(console::Term::stderr());
                self.bar.set_draw_target(ProgressDrawTarget::term_like(stderr));
                self.bar.enable_steady_tick(TICK);
            }
            Show::Delayed => {
                let (stop, stopped) = mpsc::channel::<()>();
                let bar = self.bar.clone();
                let thread = std::thread::spawn(move || {
                    if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(SHOW_AFTER) {
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                        bar.enable_steady_tick(TICK);
                    }
                });
                *lock(&self.delay) = Some((stop, thread));
            }
        }
    }
}

impl Progress for TerminalProgress {
    fn begin(&self, stage: Stage, total: u64) {
        let template = match (stage, total) {
            (Stage::Reading, _) => "{spinner} reading deck files: {pos}/{len}  [{elapsed}]",
            (Stage::Identifying, _) => "{spinner} identifying {human_len} cards  [{elapsed}]",
            (Stage::Writing, 0) => "{spinner} writing the lock file  [{elapsed}]",
            (Stage::Writing, _) => {
                "{spinner} writing decks {wide_bar} {human_pos}/{human_len} cards  [{elapsed}]"
            }
        };
        let style = ProgressStyle::with_template(template).expect("the templates above are valid");
        // The draw target first: the stage's first drawing (below) then reaches it, before the
        // stage's work (which runs beside the drawing) can end it unseen.
        self.show_once();
        self.bar.set_style(style);
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.tick();
    }

    fn advance(&self, done: u64) {
        self.bar.inc(done);
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A mutex's value, also after a panic elsewhere (the line is only a display).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn progress_setting_is_auto_when_unset_or_empty() {
        assert_eq!(When::parse(None), Ok(When::Auto));
        assert_eq!(When::parse(Some(OsStr::new(""))), Ok(When::Auto));
        assert_eq!(When::parse(Some(OsStr::new("auto"))), Ok(When::Auto));
        assert_eq!(When::parse(Some(OsStr::new("always"))), Ok(When::Always));
        assert_eq!(When::parse(Some(OsStr::new("never"))), Ok(When::Never));
    }

    #[test]
    fn unknown_progress_setting_is_an_error_naming_the_variable_and_the_values() {
        let message = When::parse(Some(OsStr::new("yes"))).unwrap_err();
        assert_eq!(message, "ANKIDECK_PROGRESS must be `always`, `never` or `auto`, not `yes`");
    }
}
