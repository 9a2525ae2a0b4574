//! Helpers shared by end-to-end test files: a project folder in a temp dir and the binary run in
//! it. Each file adds what only it needs (its fixtures, its transcripts) in an `impl` of its own.

// Each test file compiles its own copy of this module and uses only some of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary in `dir` with `args`, at a fixed build time (`SOURCE_DATE_EPOCH`).
pub fn run(dir: &Path, args: &[&str]) -> Run {
    run_at(dir, 1_764_000_000, args)
}

/// Runs the binary in `dir` with `args` at build time `epoch` (`SOURCE_DATE_EPOCH`), without the
/// caller's `ANKIDECK_*` settings or `RUST_BACKTRACE`.
pub fn run_at(dir: &Path, epoch: i64, args: &[&str]) -> Run {
    run_with(dir, args, &[("SOURCE_DATE_EPOCH", &epoch.to_string())])
}

/// Runs the binary in `dir` with `args` and only the environment variables `env` of its own.
pub fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ankideck"));
    command.args(args).current_dir(dir).env_remove("RUST_BACKTRACE").env_remove("SOURCE_DATE_EPOCH");
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("ANKIDECK_")) {
        command.env_remove(key);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A project folder in a temp dir; the binary runs with it as the working directory.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn empty() -> Project {
        Project { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file of the project, making its folder.
    pub fn write(&self, rel: &str, bytes: &(impl AsRef<[u8]> + ?Sized)) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes.as_ref()).unwrap();
    }

    /// Writes deck file `name` in `source-cards/`.
    pub fn write_source(&self, name: &str, text: &str) {
        self.write(&format!("source-cards/{name}"), text);
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Copies a file or a folder (recursively) into the project.
    pub fn copy(&self, from: &Path, rel: &str) {
        copy_tree(from, &self.path(rel));
    }

    /// Runs `ankideck ARGS` at build time `epoch`.
    pub fn run(&self, epoch: i64, args: &[&str]) -> Run {
        run_at(self.dir.path(), epoch, args)
    }

    /// Runs `ankideck build ARGS` and expects exit code `code` (and no panic).
    pub fn build(&self, epoch: i64, args: &[&str], code: i32) -> Run {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        let run = self.run(epoch, &all);
        assert_eq!(run.code, code, "build {args:?}: unexpected exit code\n{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }

    /// The canonical text dump of a package (`ankideck dump`).
    pub fn dump(&self, apkg: &str) -> String {
        let run = self.run(1_764_000_000, &["dump", apkg]);
        assert_eq!(run.code, 0, "dump {apkg} failed:\n{}", run.stderr);
        run.stdout
    }

    /// Every file under the project (relative path → bytes), to prove nothing was written.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out
    }

    /// `text` with the temp dir's path replaced by `[TMP]` and each line's elapsed time by
    /// `[ELAPSED]`.
    pub fn normalize(&self, text: &str) -> String {
        let mut text = text.to_string();
        for root in [self.dir.path().to_path_buf(), self.dir.path().canonicalize().unwrap()] {
            text = text.replace(&root.display().to_string(), "[TMP]");
        }
        text.lines().map(|line| normalize_elapsed(line) + "\n").collect()
    }
}

/// `... (0.02 s)` at the end of a line → `... ([ELAPSED] s)`.
pub fn normalize_elapsed(line: &str) -> String {
    if let Some(body) = line.strip_suffix(" s)")
        && let Some(open) = body.rfind('(')
        && body[open + 1..].chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return format!("{}([ELAPSED] s)", &body[..open]);
    }
    line.to_string()
}

/// Copies a file or a folder (recursively).
pub fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        // Not fs::copy: fixtures may be read-only in the checkout, and the tests edit the copies.
        std::fs::write(to, std::fs::read(from).unwrap()).unwrap();
    }
}

/// The binary as a command to spawn in `dir` with `args` (a long-running one such as `watch`),
/// without the caller's `ANKIDECK_*` settings, `RUST_BACKTRACE` or `SOURCE_DATE_EPOCH`.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ankideck"));
    command.args(args).current_dir(dir).env_remove("RUST_BACKTRACE").env_remove("SOURCE_DATE_EPOCH");
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("ANKIDECK_")) {
        command.env_remove(key);
    }
    command
}
