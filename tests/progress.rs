//! The progress line of `ankideck build`: shown when forced (`ANKIDECK_PROGRESS=always`), never
//! on a pipe by default, and not for a quick build on a terminal (it waits a second).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A project holding a copy of the repository's seed deck (15 cards).
fn seed_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("source-cards");
    std::fs::create_dir(dir.path().join("source-cards")).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::write(
            dir.path().join("source-cards").join(path.file_name().unwrap()),
            std::fs::read(&path).unwrap(),
        )
        .unwrap();
    }
    dir
}

/// `ankideck build` in `project`, with `ANKIDECK_PROGRESS` set to `progress` (unset if `None`).
fn build(project: &Path, progress: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ankideck"));
    command.arg("build").current_dir(project).env("SOURCE_DATE_EPOCH", "1764000000");
    match progress {
        Some(value) => command.env("ANKIDECK_PROGRESS", value),
        None => command.env_remove("ANKIDECK_PROGRESS"),
    };
    command.output().expect("run ankideck")
}

/// What a terminal shows of `text` in the end: each `\r` and "clear line" (`ESC[2K`) erases the
/// line drawn so far.
fn as_shown(text: &str) -> String {
    text.split('\n')
        .map(|line| line.rsplit('\r').next().unwrap_or("").replace("\u{1b}[2K", ""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn forced_progress_names_each_stage_and_is_cleared_before_the_report() {
    let project = seed_project();
    let out = build(project.path(), Some("always"));
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The first drawing may come after the file was read (the reading runs in parallel with the
    // drawing), so the count read is not checked, only its total.
    for stage in ["reading deck files: ", "/1  [", "identifying 15 cards", "writing decks", "/15 cards"] {
        assert!(stderr.contains(stage), "no `{stage}` in:\n{stderr:?}");
    }
    // Once the line is cleared, what is left is the report of a build without progress.
    let quiet = seed_project();
    let plain = String::from_utf8(build(quiet.path(), Some("never")).stderr).unwrap();
    let strip_time =
        |s: &str| s.lines().map(|l| l.split(" (").next().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(strip_time(&as_shown(&stderr)), strip_time(&plain));
}

#[test]
fn no_progress_bytes_on_a_pipe_by_default() {
    let project = seed_project();
    let out = build(project.path(), None);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\r') && !stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.contains("reading deck files"), "{stderr:?}");
}

#[test]
fn a_bad_progress_setting_is_an_input_error() {
    let project = seed_project();
    let out = build(project.path(), Some("yes"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("ANKIDECK_PROGRESS must be `always`, `never` or `auto`, not `yes`"), "{stderr}");
    assert!(!project.path().join("out").exists(), "nothing is built");
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), a build shorter than a
/// second prints what it prints on a pipe: the progress line waits a second before it shows.
/// (A longer build on a terminal does show it; it takes seconds in a debug build, so that is
/// checked by hand, not here.)
#[test]
fn a_quick_build_on_a_terminal_shows_no_progress() {
    let project = seed_project();
    let bin = env!("CARGO_BIN_EXE_ankideck");
    let out = Command::new("script")
        .args(["-qec", &format!("'{bin}' build"), "/dev/null"])
        .current_dir(project.path())
        .env("SOURCE_DATE_EPOCH", "1764000000")
        .env_remove("ANKIDECK_PROGRESS")
        .output()
        .expect("`script` (util-linux) runs the build on a terminal; install util-linux");
    assert!(out.status.success(), "{out:?}");
    // `script` copies the terminal's output, both streams, to its stdout.
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("1 built"), "{shown:?}");
    assert!(!shown.contains("reading deck files") && !shown.contains('\u{1b}'), "{shown:?}");
}
