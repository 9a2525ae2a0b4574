//! Phase timings for profiling: with `ANKIDECK_TIMINGS` set, each phase's wall time goes to
//! standard error when it ends (also with `--verbose`). Off by default; it never changes what a
//! build writes.

use std::sync::OnceLock;
use std::time::Instant;

static ON: OnceLock<bool> = OnceLock::new();

fn enabled() -> bool {
    *ON.get_or_init(|| std::env::var_os("ANKIDECK_TIMINGS").is_some_and(|v| !v.is_empty()))
}

/// Turns the timings on (`--verbose`), as `ANKIDECK_TIMINGS` does; before any phase starts.
pub fn enable() {
    let _ = ON.set(true);
}

/// Times a phase until it is dropped.
pub struct Phase {
    name: &'static str,
    detail: String,
    started: Option<Instant>,
}

impl Phase {
    /// Starts timing `name` (for the deck or file named by `detail`, if any).
    pub fn start(name: &'static str, detail: impl FnOnce() -> String) -> Phase {
        let (started, detail) =
            if enabled() { (Some(Instant::now()), detail()) } else { (None, String::new()) };
        Phase { name, detail, started }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(started) = self.started {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let (rss, peak) = memory_mib();
            eprintln!(
                "timing {:<24} {:>9.1} ms  rss {rss:>7.1} MiB  peak {peak:>7.1} MiB  {}",
                self.name, ms, self.detail
            );
        }
    }
}

/// The process's resident memory and its high-water mark (`VmHWM`), in MiB (0 where /proc is
/// missing). The benchmark reads the high-water mark of each build from here.
pub fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
