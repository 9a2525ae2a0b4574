//! The README's "Use it on your own decks" walk-through, run as written: its `sh` blocks, in
//! order, in an empty temp folder with the built `ankideck` on `PATH`. What it promises (the
//! package, the build's lines, the update on the rebuild) is checked.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The walk-through: the README's section of that name, up to the next section.
fn walk_through() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("\n## Use it on your own decks\n").expect("the README has the walk-through");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end].to_string()
}

/// The code blocks of `text` in the language `lang`, in order.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```\n").expect("a closed code block");
        found.push(body[..end].to_string());
        rest = &body[end..];
    }
    found
}

#[test]
fn readme_walk_through_builds_the_deck_and_the_rebuild_updates_the_edited_card() {
    let section = walk_through();
    let commands = blocks(&section, "sh");
    assert_eq!(commands.len(), 2, "the walk-through has a first build and a rebuild:\n{section}");
    // `ankideck` as installed: alone in a folder on PATH.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ankideck"), bin.join("ankideck")).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let run = |script: &str, cwd: &Path| {
        let out = Command::new("sh")
            .args(["-ec", script])
            .current_dir(cwd)
            .env("PATH", &path)
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("ANKIDECK_PROGRESS")
            .output()
            .expect("run sh");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "the README's commands failed:\n{script}\n--- stderr\n{stderr}");
        (String::from_utf8(out.stdout).unwrap(), stderr)
    };

    // The first block starts in the empty folder and makes the project, `my-decks`.
    let (shown, first) = run(&commands[0], &home);
    let project: PathBuf = home.join("my-decks");
    assert!(shown.contains("Front | What is the German word for cat?"), "check --show:\n{shown}");
    assert!(first.contains("0 errors, 0 warnings"), "the example deck has no warnings:\n{first}");
    let expected = blocks(&section, "text");
    let deck_line = expected[0].lines().nth(1).expect("the README shows the build's deck line");
    assert!(first.contains(deck_line), "the README shows `{deck_line}`; the build printed:\n{first}");
    let package = project.join("out/german.apkg");
    assert!(package.is_file(), "no {}", package.display());
    assert!(project.join("ankideck.lock").is_file());

    // The second block runs in the project, where the first one left the shell.
    let (_, second) = run(&commands[1], &project);
    assert!(second.contains("(0 new, 1 updated, 2 unchanged, 0 removed)"), "{second}");
    let dump = Command::new(env!("CARGO_BIN_EXE_ankideck")).arg("dump").arg(&package).output().unwrap();
    let dump = String::from_utf8(dump.stdout).unwrap();
    assert_eq!(dump.lines().filter(|l| l.starts_with("note ")).count(), 3, "{dump}");
    assert!(dump.contains("der Hund (plural: die Hunde)"), "{dump}");
    assert!(dump.contains("\"GERMAN VOCABULARY\""), "{dump}");
}
