//! `ankideck preview`: the options, the printed summary and the exit code of a preview
//! ([`crate::preview`] does the work).

use super::report::{Verbosity, count, no_decks, plural, print_diagnostics, source_files};
use super::{INPUT_ERROR, PreviewArgs, TOOL_ERROR};
use crate::build::{self, BuildError, BuildOptions, Outcome};
use crate::preview::{PreviewError, PreviewOptions, preview};
use std::process::ExitCode;

pub(super) fn run_preview(args: PreviewArgs, verbosity: Verbosity) -> ExitCode {
    let (files, skipped) = match source_files(&args.source) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if files.is_empty() {
        print_diagnostics(&skipped, verbosity);
        return no_decks(&args.source);
    }
    // As `build`: the pages in an out folder inside the source folder would be taken for (or
    // warned about as) files of the source folder, and a file where the folder should be is named.
    let out = super::build::out_folder(&args.out)
        .and_then(|()| super::build::out_apart_from_source(&args.out, &args.source));
    if let Err(err) = out {
        print_diagnostics(&skipped, verbosity);
        eprintln!("error: {err}");
        return ExitCode::from(if err.is_input() { INPUT_ERROR } else { TOOL_ERROR });
    }
    let now_secs = match super::build::build_time() {
        Ok(t) => t,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let opts = PreviewOptions {
        build: BuildOptions {
            source: args.source,
            out: args.out,
            lock: args.lock,
            csv: false,
            locked: false,
            force: true,
            compression: crate::emit::Compression::Fast,
            now_secs,
            stream_above: build::STREAM_ABOVE,
            detail: false,
        },
        decks: args.decks,
    };
    let report = match preview(&opts) {
        Ok(report) => report,
        Err(err) => return failed(err, &skipped, verbosity),
    };
    let mut diagnostics = skipped;
    diagnostics.extend(report.build.diagnostics.iter().cloned());
    print_diagnostics(&diagnostics, verbosity);
    let mut code = ExitCode::SUCCESS;
    for deck in &report.build.decks {
        match &deck.outcome {
            Outcome::Invalid => code = ExitCode::from(INPUT_ERROR),
            Outcome::DamagedLock(message) => {
                eprintln!("error: {message}");
                code = ExitCode::from(INPUT_ERROR);
            }
            Outcome::Failed(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(TOOL_ERROR);
            }
            _ => {}
        }
    }
    let cards: usize = report.decks.iter().map(|d| d.cards).sum();
    let new: usize = report.decks.iter().map(|d| d.new_cards).sum();
    if !verbosity.quiet() || code != ExitCode::SUCCESS {
        let new = match new {
            0 => String::new(),
            n => format!(" ({} new, not built yet)", count(n)),
        };
        eprintln!(
            "Previewed {}, {}{new}: open {}",
            plural(report.decks.len(), "deck"),
            plural(cards, "card"),
            report.index.display()
        );
    }
    code
}

/// The message and exit code of a preview that could not be written.
fn failed(err: PreviewError, skipped: &[crate::diagnostic::Diagnostic], verbosity: Verbosity) -> ExitCode {
    print_diagnostics(skipped, verbosity);
    match err {
        PreviewError::Build(err) => match *err {
            BuildError::Settings(err) => {
                eprintln!("{}", build::settings::error_text(&err));
                ExitCode::from(if err.is_input_error() { INPUT_ERROR } else { TOOL_ERROR })
            }
            err => {
                eprintln!("error: {err}");
                let input = match &err {
                    BuildError::NoDecks(_) | BuildError::Notetype(_) => true,
                    BuildError::Discover(e) => e.is_input(),
                    BuildError::Lock(e) => e.is_input(),
                    BuildError::Stylesheet(e) => e.is_input(),
                    _ => false,
                };
                ExitCode::from(if input { INPUT_ERROR } else { TOOL_ERROR })
            }
        },
        PreviewError::UnknownDeck { ref diagnostics, .. } => {
            // A deck with errors may be the one named: its errors say why it has no name.
            print_diagnostics(diagnostics, verbosity);
            eprintln!("error: {err}");
            ExitCode::from(INPUT_ERROR)
        }
        err @ PreviewError::Write { .. } => {
            eprintln!("error: {err}");
            ExitCode::from(TOOL_ERROR)
        }
    }
}
