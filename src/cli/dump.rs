//! `ankideck dump`: a canonical text dump of a package on stdout.

use super::{INPUT_ERROR, TOOL_ERROR};
use crate::emit::dump;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run_dump(package: &Path) -> ExitCode {
    match dump::read_package(package) {
        Ok(contents) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(dump::dump(&contents).as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: cannot write to stdout: {e}");
                    ExitCode::from(TOOL_ERROR)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            match err {
                dump::PackageError::NotAPackage { .. }
                | dump::PackageError::Missing { .. }
                | dump::PackageError::NewerFormat { .. } => ExitCode::from(INPUT_ERROR),
                dump::PackageError::Failed(_) => ExitCode::from(TOOL_ERROR),
            }
        }
    }
}
