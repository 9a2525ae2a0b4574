//! End-to-end tests: the real `ankideck` binary run on fixture folders copied to a temp dir.
//! Each test snapshots the exit code, stderr and stdout, and a canonical text dump
//! (`ankideck dump`) of what was written, never the bytes of a package.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The first build.
const T1: i64 = 1_764_000_000;
/// A later rebuild.
const T2: i64 = 1_764_100_000;
/// A rebuild after that.
const T3: i64 = 1_764_200_000;

/// The seed deck's package, relative to a project.
const SEED_APKG: &str = "out/stalin-opposition-1924-41.apkg";
/// The edits fixture's package.
const HISTORY_APKG: &str = "out/soviet-history.apkg";

mod common;
use common::{Project, Run};

impl Run {
    /// Exit code, stderr and stdout, normalised, for a snapshot.
    fn transcript(&self, project: &Project) -> String {
        format!(
            "exit: {}\n--- stderr\n{}--- stdout\n{}",
            self.code,
            project.normalize(&self.stderr),
            project.normalize(&self.stdout)
        )
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> PathBuf {
    repo().join("tests/fixtures").join(path)
}

/// What these tests add to the shared project: its sources from a fixture.
impl Project {
    /// A project whose `source-cards/` is a copy of the fixture folder `fixture`.
    fn with_sources(fixture_dir: &str) -> Project {
        let project = Project::empty();
        project.copy(&fixture(fixture_dir), "source-cards");
        project
    }

    /// A project whose `source-cards/` is a copy of the repository's own `source-cards/`.
    fn seed() -> Project {
        let project = Project::empty();
        project.copy(&repo().join("source-cards"), "source-cards");
        project
    }
}

/// A note line of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Note {
    id: i64,
    guid: String,
    mtime: i64,
    sfld: String,
}

/// The notes of a dump, in id order.
fn notes(dump: &str) -> Vec<Note> {
    dump.lines()
        .filter_map(|line| line.strip_prefix("note "))
        .map(|line| {
            let field = |name: &str| {
                let start = line.find(&format!(" {name}=")).unwrap() + name.len() + 2;
                line[start..].split(' ').next().unwrap().to_string()
            };
            let sfld_start = line.find(" sfld=\"").unwrap() + 7;
            let sfld_end = line.rfind("\" csum=").unwrap();
            Note {
                id: line.split(' ').next().unwrap().parse().unwrap(),
                guid: field("guid"),
                mtime: field("mod").parse().unwrap(),
                sfld: line[sfld_start..sfld_end].to_string(),
            }
        })
        .collect()
}

/// The note whose sort field (front) starts with `front`.
fn note<'a>(notes: &'a [Note], front: &str) -> &'a Note {
    let found: Vec<&Note> = notes.iter().filter(|n| n.sfld.starts_with(front)).collect();
    assert_eq!(found.len(), 1, "exactly one note should start with {front:?}: {notes:#?}");
    found[0]
}

// 1. Seed build

#[test]
fn seed_build_writes_package_csv_and_lock() {
    let project = Project::seed();
    let run = project.build(T1, &["--csv"], 0);
    insta::assert_snapshot!("seed_build", run.transcript(&project));
    let dump = project.dump(SEED_APKG);
    assert_eq!(notes(&dump).len(), 15);
    insta::assert_snapshot!("seed_dump", dump);
    insta::assert_snapshot!("seed_csv", project.read("out/stalin-opposition-1924-41.csv"));
    insta::assert_snapshot!("seed_lock", project.read("ankideck.lock"));
}

// 2. Reproducible builds

#[test]
fn same_inputs_and_time_give_the_same_bytes() {
    let first = Project::seed();
    let second = Project::seed();
    first.build(T1, &["--csv"], 0);
    second.build(T1, &["--csv"], 0);
    for file in [SEED_APKG, "out/stalin-opposition-1924-41.csv", "ankideck.lock"] {
        assert!(first.bytes(file) == second.bytes(file), "{file} differs between two builds");
    }
}

#[test]
fn forced_rebuild_at_a_later_time_changes_nothing() {
    let project = Project::seed();
    project.build(T1, &["--csv"], 0);
    let before = project.files();
    let run = project.build(T2, &["--csv", "--force"], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 15 unchanged, 0 removed)"), "{}", run.stderr);
    for file in [SEED_APKG, "out/stalin-opposition-1924-41.csv", "ankideck.lock"] {
        assert!(before[Path::new(file)] == project.bytes(file), "{file} changed on a forced rebuild");
    }
}

// 3. Incremental builds

#[test]
fn unchanged_deck_is_up_to_date_and_not_rewritten() {
    let project = Project::seed();
    project.build(T1, &[], 0);
    let bytes = project.bytes(SEED_APKG);
    let modified = std::fs::metadata(project.path(SEED_APKG)).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    let run = project.build(T2, &[], 0);
    insta::assert_snapshot!("incremental_up_to_date", run.transcript(&project));
    assert_eq!(std::fs::metadata(project.path(SEED_APKG)).unwrap().modified().unwrap(), modified);
    assert!(project.bytes(SEED_APKG) == bytes);

    let deck = "source-cards/stalin-opposition-1924-41.txt";
    let edited = project.read(deck).replace("labour camps.", "labour camps in Siberia.");
    project.write(deck, edited.as_bytes());
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(0 new, 1 updated, 14 unchanged, 0 removed)"), "{}", run.stderr);
    assert!(run.stderr.contains("1 built, 0 up to date"), "{}", run.stderr);
    assert!(project.bytes(SEED_APKG) != bytes, "the package was not rebuilt");
    assert!(project.dump(SEED_APKG).contains("labour camps in Siberia."));
}

// 4. Edits keep identities

#[test]
fn edited_cards_keep_their_guids() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    let before = notes(&project.dump(HISTORY_APKG));
    assert_eq!(before.len(), 6);
    assert!(before.iter().all(|n| n.mtime == T1));

    project.copy(&fixture("edits/edited/soviet-history.txt"), "source-cards/soviet-history.txt");
    let run = project.build(T2, &[], 0);
    insta::assert_snapshot!("edits_build", run.transcript(&project));
    let dump = project.dump(HISTORY_APKG);
    insta::assert_snapshot!("edits_dump", dump);
    let after = notes(&dump);
    assert_eq!(after.len(), 6);

    let kept = |old_front: &str, new_front: &str, mtime: i64| {
        let (old, new) = (note(&before, old_front), note(&after, new_front));
        assert_eq!((&new.guid, new.id), (&old.guid, old.id), "{new_front:?} lost its identity");
        assert_eq!(new.mtime, mtime, "{new_front:?} has the wrong mod");
    };
    kept("Who competed", "Who competed", T2); // back typo fixed
    kept("Which policy did Stalin set", "Which policy did Stalin oppose", T2); // front reworded
    kept("When was Trotsky expelled", "When was Trotsky expelled", T1); // unchanged
    kept("When did the first Five-Year Plan", "When did the first Five-Year Plan", T1); // moved
    kept("Which new industrial city", "Which new industrial city", T1); // unchanged

    let inserted = note(&after, "Which body did Stalin control");
    assert!(before.iter().all(|n| n.guid != inserted.guid && n.id != inserted.id));
    assert_eq!(inserted.mtime, T2);

    let removed = note(&before, "Which miner");
    assert!(after.iter().all(|n| n.guid != removed.guid));
    assert!(run.stderr.contains("(1 new, 2 updated, 3 unchanged, 1 removed)"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "\n      source-cards/soviet-history.txt:17: Which miner was held up as a model worker in 1935?"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&format!("search: nid:{}", removed.id)), "{}", run.stderr);

    let lock = project.read("ankideck.lock");
    for n in &after {
        assert!(lock.contains(&format!("\t{}\t{}\t", n.guid, n.id)), "lock lacks {n:?}");
    }
    assert!(!lock.contains(&removed.guid), "the lock still holds the removed note");
}

// 5. --locked

#[test]
fn locked_passes_when_nothing_changed() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    let before = project.files();
    let run = project.build(T2, &["--locked"], 0);
    insta::assert_snapshot!("locked_unchanged", run.transcript(&project));
    assert!(project.files() == before, "--locked wrote something");
}

#[test]
fn locked_fails_and_writes_nothing_when_the_source_changed() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    project.copy(&fixture("edits/edited/soviet-history.txt"), "source-cards/soviet-history.txt");
    let before = project.files();
    let run = project.build(T2, &["--locked"], 1);
    insta::assert_snapshot!("locked_out_of_date", run.transcript(&project));
    assert!(project.files() == before, "--locked wrote something");
}

#[test]
fn locked_without_a_lock_creates_nothing() {
    let project = Project::with_sources("edits/source-cards");
    let run = project.build(T1, &["--locked"], 1);
    assert!(run.stderr.contains("ankideck.lock is out of date"), "{}", run.stderr);
    assert!(!project.exists("ankideck.lock"));
    assert!(!project.exists("out"), "--locked created out/");
}

// 6. Lost lock file

#[test]
fn lost_lock_is_recovered_from_the_packages() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    let dump = project.dump(HISTORY_APKG);
    let lock = project.read("ankideck.lock");

    std::fs::remove_file(project.path("ankideck.lock")).unwrap();
    let run = project.build(T2, &[], 0);
    insta::assert_snapshot!("lost_lock_build", run.transcript(&project));
    assert!(run.stderr.contains("carried over from out/soviet-history.apkg"), "{}", run.stderr);
    assert_eq!(project.dump(HISTORY_APKG), dump, "recovered identities differ");
    assert_eq!(project.read("ankideck.lock"), lock, "the recovered lock differs");
}

#[test]
fn lost_lock_and_edited_source_keep_the_guids() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    let before = notes(&project.dump(HISTORY_APKG));

    std::fs::remove_file(project.path("ankideck.lock")).unwrap();
    project.copy(&fixture("edits/edited/soviet-history.txt"), "source-cards/soviet-history.txt");
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(1 new, 2 updated, 3 unchanged, 1 removed)"), "{}", run.stderr);
    let after = notes(&project.dump(HISTORY_APKG));
    for (old, new) in [
        ("Who competed", "Who competed"),
        ("Which policy did Stalin set", "Which policy did Stalin oppose"),
        ("When was Trotsky expelled", "When was Trotsky expelled"),
    ] {
        assert_eq!(note(&after, new).guid, note(&before, old).guid, "{new:?} lost its guid");
    }
}

// 7. Errors

/// Runs `check` on one fixture of `tests/fixtures/errors/` (or on `bytes`).
fn check_error(name: &str, bytes: Option<&[u8]>) -> String {
    let project = Project::empty();
    let deck = format!("source-cards/{name}.txt");
    match bytes {
        Some(bytes) => project.write(&deck, bytes),
        None => project.copy(&fixture(&format!("errors/{name}.txt")), &deck),
    }
    let run = project.run(T1, &["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.starts_with(&format!("{deck}:")), "{}", run.stderr);
    run.transcript(&project)
}

#[test]
fn one_line_card_is_an_error() {
    insta::assert_snapshot!("error_one_line_card", check_error("one-line-card", None));
}

#[test]
fn text_before_the_first_heading_is_an_error() {
    insta::assert_snapshot!("error_text_before_heading", check_error("text-before-heading", None));
}

#[test]
fn empty_file_is_an_error() {
    insta::assert_snapshot!("error_empty_file", check_error("empty-file", None));
}

#[test]
fn invalid_utf8_is_an_error() {
    let bytes = b"SOVIET HISTORY Flashcards\nTHE LEADERSHIP STRUGGLE\nWho succeeded L\xe9nin?\nStalin.\n";
    insta::assert_snapshot!("error_invalid_utf8", check_error("invalid-utf8", Some(bytes)));
}

#[test]
fn title_without_cards_is_an_error() {
    insta::assert_snapshot!("error_title_without_cards", check_error("title-without-cards", None));
}

#[test]
fn good_deck_is_built_next_to_a_broken_one() {
    let project = Project::with_sources("good-and-broken/source-cards");
    let run = project.build(T1, &[], 1);
    insta::assert_snapshot!("good_and_broken_build", run.transcript(&project));
    assert!(project.exists("out/good.apkg"));
    assert!(!project.exists("out/broken.apkg"));
    assert_eq!(notes(&project.dump("out/good.apkg")).len(), 2);
    let lock = project.read("ankideck.lock");
    assert!(lock.contains("deck\tgood\t") && !lock.contains("\tbroken\t"), "{lock}");
}

#[test]
fn broken_source_keeps_the_previous_package() {
    let project = Project::with_sources("good-and-broken/source-cards");
    project.copy(&fixture("good-and-broken/fixed/broken.txt"), "source-cards/broken.txt");
    project.build(T1, &[], 0);
    let package = project.bytes("out/broken.apkg");
    let lock = project.read("ankideck.lock");

    project.copy(&fixture("good-and-broken/source-cards/broken.txt"), "source-cards/broken.txt");
    let run = project.build(T2, &[], 1);
    insta::assert_snapshot!("broken_again_build", run.transcript(&project));
    assert!(project.bytes("out/broken.apkg") == package, "out/broken.apkg was replaced");
    assert_eq!(project.read("ankideck.lock"), lock, "the broken deck's lock entries were lost");

    // Fixed again, it builds to the very same package.
    project.copy(&fixture("good-and-broken/fixed/broken.txt"), "source-cards/broken.txt");
    project.build(T3, &[], 0);
    assert!(project.bytes("out/broken.apkg") == package, "out/broken.apkg changed");
}

// 8. check --format json

#[test]
fn check_json_lists_the_seed_cards() {
    let project = Project::seed();
    let run = project.run(T1, &["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let decks = json["decks"].as_array().expect("a list of decks");
    assert_eq!(decks.len(), 1);
    assert_eq!(decks[0]["cards"].as_array().expect("a list of cards").len(), 15);
    assert_eq!(json["diagnostics"], serde_json::json!([]));
}

#[test]
fn check_json_into_a_closed_pipe_is_not_an_error() {
    let project = Project::seed();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .args(["check", "--format", "json"])
        .current_dir(project.dir.path())
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

// 9. Output names Anki would take for a collection backup

#[test]
fn collection_and_backup_decks_get_a_deck_prefix() {
    let project = Project::with_sources("collection/source-cards");
    let run = project.build(T1, &["--csv"], 0);
    insta::assert_snapshot!("collection_build", run.transcript(&project));
    for name in ["deck-collection", "deck-backup-2025"] {
        assert!(project.exists(&format!("out/{name}.apkg")), "out/{name}.apkg is missing");
        assert!(project.exists(&format!("out/{name}.csv")), "out/{name}.csv is missing");
    }
    for name in ["collection", "backup-2025"] {
        assert!(!project.exists(&format!("out/{name}.apkg")), "out/{name}.apkg was written");
    }
    let run = project.build(T1, &["--csv"], 0);
    assert!(run.stderr.contains("0 built, 2 up to date"), "{}", run.stderr);
}

// 10. --help

#[test]
fn build_help_names_the_defaults() {
    let run = Project::empty().run(T1, &["build", "--help"]);
    assert_eq!(run.code, 0);
    for default in ["[default: source-cards]", "[default: out]", "[default: ankideck.lock]"] {
        assert!(run.stdout.contains(default), "{default} missing from:\n{}", run.stdout);
    }
}

#[test]
fn renamed_deck_file_keeps_its_identities() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    let before = notes(&project.dump(HISTORY_APKG));
    std::fs::rename(project.path("source-cards/soviet-history.txt"), project.path("source-cards/ussr.txt"))
        .unwrap();
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("carried over from the lock entries of `soviet-history`"), "{}", run.stderr);
    assert!(run.stderr.contains("(0 new, 0 updated, 6 unchanged, 0 removed)"), "{}", run.stderr);
    let after = notes(&project.dump("out/ussr.apkg"));
    let guids = |ns: &[Note]| ns.iter().map(|n| n.guid.clone()).collect::<Vec<_>>();
    assert_eq!(guids(&after), guids(&before));
    assert!(!project.read("ankideck.lock").contains("soviet-history\t"), "the old key is gone from the lock");
}

#[test]
fn deck_files_differing_only_in_case_are_not_built() {
    let project = Project::with_sources("edits/source-cards");
    project.copy(&fixture("edits/source-cards/soviet-history.txt"), "source-cards/Soviet-History.txt");
    let run = project.build(T1, &[], 1);
    assert!(run.stderr.contains("error[E010]"), "{}", run.stderr);
    assert!(!project.exists("out/soviet-history.apkg"));
}

#[test]
fn unreadable_previous_package_is_not_overwritten_without_a_lock() {
    let project = Project::with_sources("edits/source-cards");
    project.build(T1, &[], 0);
    std::fs::remove_file(project.path("ankideck.lock")).unwrap();
    project.write(HISTORY_APKG, b"not a zip");
    let run = project.build(T2, &[], 2);
    assert!(run.stderr.contains("cannot be read to recover them"), "{}", run.stderr);
    assert_eq!(project.bytes(HISTORY_APKG), b"not a zip");
}

#[test]
fn rebuilding_one_deck_of_several_keeps_the_others_lock_sections_exactly() {
    let project = Project::with_sources("edits/source-cards");
    project.copy(&fixture("good-and-broken/source-cards/good.txt"), "source-cards/good.txt");
    project.build(T1, &[], 0);
    project.copy(&fixture("edits/edited/soviet-history.txt"), "source-cards/soviet-history.txt");
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("up to date"), "{}", run.stderr);
    let partial = project.read("ankideck.lock");
    // A forced build parses and re-identifies every deck: the lock must come out the same.
    project.build(T2, &["--force"], 0);
    assert_eq!(project.read("ankideck.lock"), partial);
    project.build(T2, &["--locked"], 0);
}

#[test]
fn every_compression_gives_the_same_package_contents() {
    let project = Project::seed();
    project.build(T1, &["--compression", "fast"], 0);
    let fast = project.dump(SEED_APKG);
    let fast_size = project.bytes(SEED_APKG).len();
    for level in ["small", "none"] {
        project.build(T1, &["--compression", level], 0);
        assert_eq!(project.dump(SEED_APKG), fast, "--compression {level}");
    }
    let stored_size = project.bytes(SEED_APKG).len();
    assert!(stored_size > fast_size, "stored {stored_size} vs deflated {fast_size}");
}

#[test]
fn a_new_deck_never_reuses_a_guid_of_a_deck_that_is_up_to_date() {
    let project = Project::empty();
    let deck = "FIRST DECK\nSECTION\nWho led the Soviet Union after\nLenin died? Stalin.\n";
    project.write("source-cards/a.txt", deck.as_bytes());
    project.build(T1, &[], 0);
    std::fs::rename(project.path("source-cards/a.txt"), project.path("source-cards/b.txt")).unwrap();
    project.build(T2, &[], 0); // b takes over a's identities
    assert!(!project.exists("out/a.apkg"), "the renamed deck's old package was left");
    project.write("source-cards/a.txt", deck.replacen("FIRST", "OTHER", 1).as_bytes());
    let run = project.build(T2 + 100, &[], 0);
    assert!(run.stderr.contains("up to date"), "b is not rebuilt: {}", run.stderr);
    let a = notes(&project.dump("out/a.apkg"));
    let b = notes(&project.dump("out/b.apkg"));
    assert_ne!(a[0].guid, b[0].guid, "two decks share a guid");
}

#[test]
fn a_first_build_whose_decks_all_have_errors_writes_no_lock_and_says_nothing_of_it() {
    let project = Project::empty();
    project.write("source-cards/broken.txt", "Broken\nONE\nonly one line\n");
    for args in [&["build"][..], &["build", "--locked"]] {
        let build = project.run(T1, args);
        assert_eq!(build.code, 1, "{args:?}: {}", build.stderr);
        assert!(!project.path("ankideck.lock").exists(), "{args:?}");
        assert!(!build.stderr.contains("ankideck.lock"), "{args:?}: {}", build.stderr);
        let last = build.stderr.lines().last().unwrap();
        assert!(last.starts_with("0 built, 0 up to date, 1 not built: 0 cards ("), "{args:?}: {last}");
    }
    // Once a deck builds, the lock is written.
    project.write("source-cards/broken.txt", "Broken\nONE\nthe question?\nthe answer\n");
    let build = project.run(T1, &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("; ankideck.lock updated ("), "{}", build.stderr);
    assert!(project.path("ankideck.lock").exists());
}
