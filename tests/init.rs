//! End-to-end tests of `ankideck init`: the project it scaffolds builds with no warning, its
//! settings file parses and changes nothing until edited, and it never overwrites a file.

use ankideck::settings::{DeckSettings, NotetypeChoice, Settings};
use std::path::Path;

mod common;

use common::run;

/// Every file under `dir` with its content, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            match path.is_dir() {
                true => stack.push(path),
                false => {
                    let rel = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                    found.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn init_makes_a_project_that_builds_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let init = run(tmp.path(), &["init", "my-cards"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    insta::assert_snapshot!(
        "init_output",
        format!("exit: {}\n--- stderr\n{}--- stdout\n{}", init.code, init.stderr, init.stdout)
    );
    let project = tmp.path().join("my-cards");
    let names: Vec<String> = files(&project).into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, [".gitignore", "ankideck.toml", "source-cards/solar-system.txt"]);
    assert_eq!(std::fs::read_to_string(project.join(".gitignore")).unwrap(), "out/\n");

    let check = run(&project, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains("8 cards, 0 errors, 0 warnings"), "{}", check.stderr);
    let build = run(&project, &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(!build.stderr.contains("warning"), "{}", build.stderr);
    assert!(project.join("out/solar-system.apkg").is_file());
}

#[test]
fn the_scaffolded_settings_parse_and_change_nothing_until_edited() {
    let tmp = tempfile::tempdir().unwrap();
    let init = run(tmp.path(), &["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(init.stderr.starts_with("Made an ankideck project here:\n"), "{}", init.stderr);
    assert!(!init.stderr.contains("cd "), "no folder to change to: {}", init.stderr);
    let path = tmp.path().join("ankideck.toml");
    let settings = Settings::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.file(), Some(path.as_path()));
    assert_eq!(settings.for_deck("solar-system"), DeckSettings::default());
    assert_eq!(settings.for_deck("solar-system").digest(), DeckSettings::default().digest());

    // Every example line (`#key = …`, `#[table]`; prose has `# `) is valid once uncommented.
    let text = std::fs::read_to_string(&path).unwrap();
    let uncommented: String = text
        .lines()
        .map(|line| match line.strip_prefix('#') {
            Some(rest) if !rest.starts_with([' ', '#']) && !rest.is_empty() => format!("{rest}\n"),
            _ => format!("{line}\n"),
        })
        .collect();
    let edited = Settings::parse(&uncommented, &path).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    let deck = edited.for_deck("solar-system");
    assert_eq!(deck.name.as_deref(), Some("Science::Solar System"));
    assert_eq!(deck.tags, ["space"]);
    assert_eq!(edited.notetypes().count(), 1);
    assert!(matches!(deck.notetype, NotetypeChoice::Builtin(_)));
    // The only warnings: the example note type's files, which init does not write (W007, as no
    // deck uses it).
    let warnings = edited.warnings(&["solar-system"]);
    assert!(
        warnings.iter().all(|w| w.key.starts_with("notetypes.") && w.message.contains("does not exist")),
        "{warnings:?}"
    );
}

#[test]
fn init_refuses_and_writes_nothing_when_a_file_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ankideck.toml"), "[defaults]\n").unwrap();
    let before = files(tmp.path());
    let init = run(tmp.path(), &["init", "."]);
    assert_eq!(init.code, 1);
    insta::assert_snapshot!("init_refused", init.stderr);
    assert_eq!(files(tmp.path()), before);
    assert!(!tmp.path().join("source-cards").exists(), "no folder made either");
}

#[test]
fn an_existing_gitignore_is_left_as_it_was_and_named() {
    for (content, says) in [
        ("target/\n", "add a line `out/` to it"),
        ("target/\n/out/\n", "was already there, and ignores out/"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".gitignore"), content).unwrap();
        let init = run(tmp.path(), &["init"]);
        assert_eq!(init.code, 0, "{}", init.stderr);
        assert!(init.stderr.contains(says), "{}", init.stderr);
        assert_eq!(std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(), content);
        assert!(tmp.path().join("ankideck.toml").exists() && tmp.path().join("source-cards").exists());
    }
}

#[test]
fn init_in_a_folder_with_decks_adds_no_sample_deck() {
    let tmp = tempfile::tempdir().unwrap();
    let deck = "History\nTHE COLD WAR\nThe Cold War began after\n1945.\n";
    std::fs::create_dir(tmp.path().join("source-cards")).unwrap();
    std::fs::write(tmp.path().join("source-cards/history.txt"), deck).unwrap();
    let init = run(tmp.path(), &["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    // The sample would be built and imported into the user's collection beside their decks.
    assert!(!tmp.path().join("source-cards/solar-system.txt").exists(), "{}", init.stderr);
    assert!(tmp.path().join("ankideck.toml").is_file());
    assert!(init.stderr.contains("no sample deck was added"), "{}", init.stderr);
    assert!(!init.stderr.contains("solar-system"), "{}", init.stderr);
}

#[test]
fn quiet_init_prints_only_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let init = run(tmp.path(), &["init", "-q", "deck"]);
    assert_eq!((init.code, init.stderr.as_str(), init.stdout.as_str()), (0, "", ""));
    assert!(tmp.path().join("deck/ankideck.toml").is_file());
    let again = run(tmp.path(), &["init", "-q", "deck"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("error: init writes nothing"), "{}", again.stderr);
}

#[test]
fn init_into_a_file_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes"), "").unwrap();
    let init = run(tmp.path(), &["init", "notes"]);
    assert_eq!(init.code, 1);
    assert!(init.stderr.contains("notes is not a folder"), "{}", init.stderr);
}

#[cfg(unix)]
#[test]
fn a_dangling_link_where_init_would_write_counts_as_there() {
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(tmp.path().join("elsewhere.toml"), tmp.path().join("ankideck.toml")).unwrap();
    let init = run(tmp.path(), &["init"]);
    assert_eq!(init.code, 1, "{}", init.stderr);
    assert!(init.stderr.contains("\n  ankideck.toml\n"), "{}", init.stderr);
    assert!(!tmp.path().join("elsewhere.toml").exists(), "nothing written through the link");
    assert!(!tmp.path().join(".gitignore").exists());
}
