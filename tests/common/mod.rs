//! Helpers shared by end-to-end test files: running the binary in a folder.

use std::path::Path;
use std::process::Command;

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary in `dir` with `args`, at a fixed build time (`SOURCE_DATE_EPOCH`).
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1764000000")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}
