//! `ankideck build`: the options, the build time, and the exit code of a build.

use super::progress::{TerminalProgress, When};
use super::report::{print_diagnostics, print_report};
use super::{BuildArgs, INPUT_ERROR, TOOL_ERROR};
use crate::build::{self, BuildOptions};
use crate::discover;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run_build(args: BuildArgs) -> ExitCode {
    // Files of the source folder that are not decks are named before the build.
    if let Ok((_, skipped)) = discover::discover_all(&args.source) {
        print_diagnostics(&skipped);
    }
    let now_secs = match build_time() {
        Ok(t) => t,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let when = match When::from_env() {
        Ok(when) => when,
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
        locked: args.locked,
        force: args.force,
        compression: args.compression,
        now_secs,
        stream_above: args.stream_above.saturating_mul(1 << 20),
    };
    let started = std::time::Instant::now();
    eprintln!("Building decks from {} into {}", opts.source.display(), opts.out.display());
    let waiting = |guard: &Path| {
        eprintln!("waiting for another ankideck build of this project to finish ({})", guard.display());
    };
    // The report is printed while the build still holds the project's guard: what it reports
    // for the first time is marked reported only once it is out.
    let progress = TerminalProgress::new(when);
    let mut deliver = |report: &build::BuildReport| {
        progress.finish();
        print_report(&opts, report, started.elapsed())
    };
    let result = build::build_with(&opts, &waiting, &progress, &mut deliver);
    progress.finish();
    match result {
        Ok(report) => {
            if report.has_failures() {
                ExitCode::from(TOOL_ERROR)
            } else if report.has_input_errors() {
                ExitCode::from(INPUT_ERROR)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            match err {
                build::BuildError::NoDecks(_) | build::BuildError::Discover(_) => ExitCode::from(INPUT_ERROR),
                build::BuildError::Lock(e) if e.is_input() => ExitCode::from(INPUT_ERROR),
                _ => ExitCode::from(TOOL_ERROR),
            }
        }
    }
}

/// The build time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the clock.
fn build_time() -> Result<i64, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => {
            value.trim().parse::<i64>().ok().filter(|t| *t > 0).ok_or_else(|| {
                format!("SOURCE_DATE_EPOCH must be a positive number of seconds, not `{value}`")
            })
        }
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)),
    }
}
