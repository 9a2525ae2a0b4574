//! `ankideck build`: the options, the build time, and the exit code of a build.

use super::progress::{TerminalProgress, When};
use super::report::{Verbosity, no_decks, print_diagnostics, print_report, source_files};
use super::{BuildArgs, INPUT_ERROR, OutputFormat, TOOL_ERROR};
use crate::build::{self, BuildOptions};
use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(super) fn run_build(args: BuildArgs, verbosity: Verbosity) -> ExitCode {
    // The source and out folders are checked before the build takes its guard (which creates
    // the out folder): run from the wrong folder, a build says so and leaves nothing behind.
    let (files, skipped) = match source_files(&args.source) {
        Ok(found) => found,
        Err(code) => return code,
    };
    // Files of the source folder that are not decks are named before the build (quiet, they
    // are counted with the build's warnings).
    if !verbosity.quiet() {
        print_diagnostics(&skipped, verbosity);
    }
    if files.is_empty() {
        return no_decks(&args.source);
    }
    let now_secs = match build_time() {
        Ok(t) => t,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    if let Err(code) = check_out_and_lock(&args.out, &args.source, &args.lock) {
        return code;
    }
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
        detail: verbosity == Verbosity::Verbose,
    };
    let started = std::time::Instant::now();
    if args.plan {
        return run_plan(&opts, args.format, verbosity, &skipped);
    }
    if !verbosity.quiet() {
        eprintln!("Building decks from {} into {}", opts.source.display(), opts.out.display());
    }
    let waiting = |guard: &Path| {
        eprintln!("waiting for another ankideck build of this project to finish ({})", guard.display());
    };
    // The report is printed while the build still holds the project's guard: what it reports
    // for the first time is marked reported only once it is out.
    let progress = TerminalProgress::new(if verbosity.quiet() { When::Never } else { when });
    let mut deliver = |report: &build::BuildReport| {
        progress.finish();
        print_report(&opts, report, started.elapsed(), verbosity, &skipped)
    };
    let result = build::build_with(&opts, &waiting, &progress, &mut deliver);
    progress.finish();
    exit_code(&opts, result)
}

/// `build --plan`: the build up to its write, printing what importing the packages would do.
fn run_plan(
    opts: &BuildOptions,
    format: OutputFormat,
    verbosity: Verbosity,
    skipped: &[Diagnostic],
) -> ExitCode {
    let started = std::time::Instant::now();
    let waiting = |guard: &Path| {
        eprintln!("waiting for another ankideck build of this project to finish ({})", guard.display());
    };
    let mut deliver = |report: &build::BuildReport| match format {
        OutputFormat::Text => super::plan::print_plan(opts, report, started.elapsed(), verbosity, skipped),
        OutputFormat::Json => super::plan::print_plan_json(opts, report, skipped),
    };
    exit_code(opts, build::plan_with(opts, &waiting, &mut deliver))
}

/// The exit code of a build (or a plan) and the message of an error that stopped it.
fn exit_code(opts: &BuildOptions, result: Result<build::BuildReport, build::BuildError>) -> ExitCode {
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
        Err(err) => build_error(opts, err),
    }
}

/// Prints why a build could not run at all (`build` and `watch`); its exit code.
pub(super) fn build_error(opts: &BuildOptions, err: build::BuildError) -> ExitCode {
    match err {
        // The guard is the first thing a build writes, creating the out folder: if that
        // fails, the folder is what to name.
        build::BuildError::Guard { source, .. } if !opts.out.is_dir() => {
            eprintln!("error: {}", OutError::Create { out: opts.out.clone(), source });
            ExitCode::from(TOOL_ERROR)
        }
        // A settings error names its file, line and column itself, as a diagnostic does.
        build::BuildError::Settings(err) => {
            eprintln!("{}", build::settings::error_text(&err));
            ExitCode::from(if err.is_input_error() { INPUT_ERROR } else { TOOL_ERROR })
        }
        err => {
            eprintln!("error: {err}");
            match err {
                build::BuildError::NoDecks(_) | build::BuildError::Notetype(_) => ExitCode::from(INPUT_ERROR),
                build::BuildError::Discover(e) if e.is_input() => ExitCode::from(INPUT_ERROR),
                build::BuildError::Lock(e) if e.is_input() => ExitCode::from(INPUT_ERROR),
                build::BuildError::Stylesheet(e) if e.is_input() => ExitCode::from(INPUT_ERROR),
                _ => ExitCode::from(TOOL_ERROR),
            }
        }
    }
}

/// Checks, before the guard is taken, that the out folder can be made and is not in the source
/// folder, and that the lock file's folder is there (`build` and `watch`): the error printed
/// and the exit code.
pub(super) fn check_out_and_lock(out: &Path, source: &Path, lock: &Path) -> Result<(), ExitCode> {
    if let Err(err) = out_folder(out).and_then(|()| out_apart_from_source(out, source)) {
        eprintln!("error: {err}");
        return Err(ExitCode::from(if err.is_input() { INPUT_ERROR } else { TOOL_ERROR }));
    }
    if let Err(message) = lock_folder(lock) {
        eprintln!("error: {message}");
        return Err(ExitCode::from(INPUT_ERROR));
    }
    Ok(())
}

/// The build time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the clock.
pub(super) fn build_time() -> Result<i64, String> {
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

/// Why the out folder cannot hold the packages.
#[derive(Debug, thiserror::Error)]
pub(super) enum OutError {
    #[error(
        "the out folder {} is a file, not a folder\n  = hint: --out names the folder the packages are \
         written to: name another one with `--out DIR`, or move the file {} away",
        out.display(), out.display()
    )]
    IsAFile { out: PathBuf },
    #[error(
        "the out folder {} cannot be made: {} is a file, not a folder\n  = hint: name another folder \
         with `--out DIR`, or move the file {} away",
        out.display(), file.display(), file.display()
    )]
    UnderAFile { out: PathBuf, file: PathBuf },
    #[error(
        "the out folder {} is {} source folder {}: the packages would be taken for files of the \
         source folder\n  = hint: write them elsewhere, e.g. `--out out` (the default) from the project folder",
        out.display(), if *same { "the" } else { "inside the" }, sources.display()
    )]
    InSource { out: PathBuf, sources: PathBuf, same: bool },
    #[error("cannot create the out folder {}: {source}", out.display())]
    Create { out: PathBuf, source: std::io::Error },
}

impl OutError {
    /// A file where the folder should be is the user's to move (1); a folder that cannot be
    /// created (permissions, a read-only disk) is a failure to write (2).
    pub(super) fn is_input(&self) -> bool {
        !matches!(self, OutError::Create { .. })
    }
}

/// Checks that the out folder is neither the source folder nor inside it: the packages and
/// state written there would be taken for (or warned about as) files of the source folder.
pub(super) fn out_apart_from_source(out: &Path, source: &Path) -> Result<(), OutError> {
    let Ok(source_real) = source.canonicalize() else { return Ok(()) };
    // The out folder may not exist yet: its nearest existing ancestor decides.
    let Some((existing, _)) = out
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .find_map(|p| p.canonicalize().ok().map(|real| (real, p)))
    else {
        return Ok(());
    };
    let same = existing == source_real && out.canonicalize().is_ok();
    if existing.starts_with(&source_real) {
        return Err(OutError::InSource { out: out.to_path_buf(), sources: source.to_path_buf(), same });
    }
    Ok(())
}

/// Checks that the folder of the lock file is there (ankideck makes no folder for it). The lock
/// is written last: without this, every package would be written first and the build would
/// then fail on the lock.
fn lock_folder(lock: &Path) -> Result<(), String> {
    let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    if dir.is_dir() {
        return Ok(());
    }
    let hint = "--lock names the lock file (default: ankideck.lock in the project folder), in a \
                folder that exists";
    let file = dir.ancestors().filter(|p| !p.as_os_str().is_empty()).find(|p| p.exists());
    match file {
        Some(file) if !file.is_dir() => Err(format!(
            "the lock file {} cannot be written: {} is a file, not a folder\n  = hint: {hint}",
            lock.display(),
            file.display()
        )),
        Some(_) | None => Err(format!(
            "the lock file {} cannot be written: there is no folder {}\n  = hint: {hint}",
            lock.display(),
            dir.display()
        )),
    }
}

/// Checks that `out` is a folder or can be one: a file at `out` or above it is named. (The
/// build creates it, unless `--locked` refuses to write anything.)
pub(super) fn out_folder(out: &Path) -> Result<(), OutError> {
    for at in out.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        match std::fs::metadata(at) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) if at == out => return Err(OutError::IsAFile { out: out.to_path_buf() }),
            Ok(_) => return Err(OutError::UnderAFile { out: out.to_path_buf(), file: at.to_path_buf() }),
            Err(_) => continue,
        }
    }
    Ok(())
}
