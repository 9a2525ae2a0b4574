//! End-to-end tests of what a new user meets in the text format: three decks written as a
//! student would (`tests/fixtures/new-user/`: vocabulary with accents and apostrophes, chemistry
//! with formulas in capitals, history with long answers), files that are not decks, old line
//! endings, a flood of diagnostics, and the escaping of quotes. The real binary runs in a temp
//! dir; messages are insta snapshots.

use std::path::{Path, PathBuf};

/// The build time of every run.
const T1: i64 = 1_764_000_000;
/// A later one.
const T2: i64 = 1_764_100_000;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/new-user").join(path)
}

mod common;
use common::{Project, Run};

/// What these tests add to the shared project: decks copied from a fixture.
impl Project {
    /// A project whose `source-cards/` holds copies of the `.txt` files of a fixture folder,
    /// each passed through `edit`.
    fn with_decks(from: &str, edit: impl Fn(&str) -> String) -> Project {
        let project = Project::empty();
        for entry in std::fs::read_dir(fixture(from)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            project.write(
                &format!("source-cards/{}", path.file_name().unwrap().to_string_lossy()),
                &edit(&text),
            );
        }
        project
    }
}

impl Run {
    /// Exit code, stderr and stdout, the elapsed time left out, for a snapshot.
    fn transcript(&self) -> String {
        let stderr: String = self
            .stderr
            .lines()
            .map(|line| match line.rfind(" (") {
                Some(open) if line.ends_with(" s)") => format!("{}([ELAPSED] s)\n", &line[..=open]),
                _ => format!("{line}\n"),
            })
            .collect();
        format!("exit: {}\n--- stderr\n{stderr}--- stdout\n{}", self.code, self.stdout)
    }

    fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "{}", self.stderr);
        serde_json::from_str(&self.stdout).expect("JSON on stdout")
    }
}

/// The decks as first written: answers in capitals without their `\`.
fn unescaped(text: &str) -> String {
    text.lines().map(|line| line.strip_prefix('\\').unwrap_or(line).to_string() + "\n").collect()
}

#[test]
fn answers_in_capitals_give_one_error_each_with_the_fix() {
    let project = Project::with_decks("source-cards", unescaped);
    let run = project.run(T1, &["check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("first_try_check", run.transcript());
}

#[test]
fn decks_check_with_a_warning_at_each_doubtful_card() {
    let project = Project::with_decks("source-cards", str::to_string);
    let run = project.run(T1, &["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("decks_check", run.transcript());
}

/// Every card of `source-cards/` that is not split as the writer meant (as `fixed/` says, with
/// `---` and proper headings) has a warning in its lines, and no other card has one.
#[test]
fn every_card_split_wrongly_has_a_warning_and_no_other_card_has_one() {
    let as_written =
        Project::with_decks("source-cards", str::to_string).run(T1, &["check", "--format", "json"]).json();
    let meant = Project::with_decks("fixed", str::to_string).run(T1, &["check", "--format", "json"]).json();
    assert_eq!(meant["diagnostics"], serde_json::json!([]), "the fixed decks are clean");
    let sides = |card: &serde_json::Value| (card["front"].clone(), card["back"].clone());
    let meant_cards: Vec<_> = meant["decks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["cards"].as_array().unwrap())
        .map(sides)
        .collect();
    let mut wrong = 0;
    for deck in as_written["decks"].as_array().unwrap() {
        let file = Path::new(deck["file"].as_str().unwrap()).file_name().unwrap().to_owned();
        let cards = deck["cards"].as_array().unwrap();
        for (i, card) in cards.iter().enumerate() {
            let (start, end) = (
                card["line"].as_u64().unwrap(),
                cards.get(i + 1).map_or(u64::MAX, |c| c["line"].as_u64().unwrap()),
            );
            let warned = as_written["diagnostics"].as_array().unwrap().iter().any(|d| {
                Path::new(d["file"].as_str().unwrap()).file_name().unwrap() == file
                    && (start..end).contains(&d["line"].as_u64().unwrap())
            });
            let right = meant_cards.contains(&sides(card));
            wrong += usize::from(!right);
            assert_eq!(
                warned, !right,
                "{file:?} card at line {start}: split right: {right}, warned: {warned}"
            );
        }
    }
    assert!(wrong >= 8, "the fixture has mis-split cards to find: {wrong}");
}

#[test]
fn decks_build_with_their_warnings_and_quotes_stay_searchable() {
    let project = Project::with_decks("source-cards", str::to_string);
    let run = project.run(T1, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("decks_build", run.transcript());
    let notes = project.dump("out/vocabulary.apkg");
    assert!(notes.contains("Je m'appelle…"), "{notes}");
    // The dump quotes the sort field, with `"` as `\"`.
    assert!(notes.contains(r#"What is \"l'eau\" in English?"#), "{notes}");
    assert!(!notes.contains("&#x27;") && !notes.contains("&quot;"), "{notes}");
}

#[test]
fn check_show_lists_how_each_card_was_split() {
    let project = Project::with_decks("source-cards", str::to_string);
    std::fs::remove_file(project.dir.path().join("source-cards/chemistry.txt")).unwrap();
    std::fs::remove_file(project.dir.path().join("source-cards/vocabulary.txt")).unwrap();
    let run = project.run(T1, &["check", "--show"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("check_show", run.transcript());
}

/// Notes built when quotes were stored as `&#x27;` and `&quot;` keep their identities, and
/// those whose HTML changes are updated once.
#[test]
fn notes_built_with_escaped_quotes_are_updated_once_and_keep_their_guids() {
    let in_memory = escaped_quotes_rebuilt(&[]);
    // A deck read from disk is matched the same way, to the same lock.
    assert_eq!(escaped_quotes_rebuilt(&["--stream-above", "0"]), in_memory);
}

/// The vocabulary deck rebuilt (with `args`) over the lock of a build by an earlier version: the
/// lock written.
fn escaped_quotes_rebuilt(args: &[&str]) -> String {
    let project = Project::with_decks("fixed", str::to_string);
    for deck in ["chemistry", "history"] {
        std::fs::remove_file(project.dir.path().join(format!("source-cards/{deck}.txt"))).unwrap();
    }
    // The lock of a build of the vocabulary deck by an earlier ankideck (commit e472d55), which
    // escaped quotes.
    let old_lock = std::fs::read_to_string(fixture("escaped-quotes.lock")).unwrap();
    project.write("ankideck.lock", &old_lock);
    // The guid column: the fourth in the old lock, the third since lock version 3 (and in 4).
    let guids = |lock: &str| {
        let column = if lock.contains("\nversion\t3\n") || lock.contains("\nversion\t4\n") { 2 } else { 3 };
        let mut guids: Vec<String> = lock
            .lines()
            .filter(|l| l.starts_with("note\t"))
            .map(|l| l.split('\t').nth(column).unwrap().to_string())
            .collect();
        guids.sort();
        guids
    };
    let build = |epoch: i64, more: &[&str]| project.run(epoch, &[&["build"], args, more].concat());
    let run = build(T2, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("(0 new, 9 updated, 1 unchanged, 0 removed)"), "{}", run.stderr);
    let lock = std::fs::read_to_string(project.dir.path().join("ankideck.lock")).unwrap();
    assert_eq!(guids(&lock), guids(&old_lock));
    let run = build(T2 + 1, &["--force"]);
    assert!(run.stderr.contains("(0 new, 0 updated, 10 unchanged, 0 removed)"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(project.dir.path().join("ankideck.lock")).unwrap(), lock);
    lock
}

#[test]
fn files_that_are_not_decks_are_named_with_the_reason() {
    let project = Project::with_decks("fixed", str::to_string);
    project.write("source-cards/notes.rtf", "# my notes\n");
    project.write("source-cards/deck.xlsx", "PK");
    project.write("source-cards/old/history.txt", "Old\n");
    project.write("source-cards/_README.txt", "These are my decks.\n");
    project.write("source-cards/ankideck.css", ".card { color: red; }\n");
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    insta::assert_snapshot!("skipped_check", check.transcript());
    let build = project.run(T1, &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        build.stderr.starts_with(&check.stderr.lines().take(6).map(|l| format!("{l}\n")).collect::<String>()),
        "{}",
        build.stderr
    );
}

#[test]
fn a_deck_with_old_mac_line_endings_builds() {
    let project = Project::with_decks("fixed", |text| text.replace('\n', "\r"));
    let run = project.run(T1, &["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.ends_with("3 decks, 24 cards, 0 errors, 0 warnings\n"), "{}", run.stderr);
}

#[test]
fn each_files_diagnostics_are_capped_in_text_and_complete_in_json() {
    let project = Project::with_decks("fixed", str::to_string);
    let headings: String = (0..100).map(|i| format!("HEADING {i}\n")).collect();
    project.write("source-cards/flood.txt", &format!("Flood\n{headings}"));
    let run = project.run(T1, &["check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("capped_check", run.transcript());
    let json = project.run(T1, &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 100);
}

/// A deck with quotes on short sides; its fields' HTML is its text (no `&`, `<` or `>`).
const QUOTED_DECK: &str = "QUOTES Flashcards\n\nGREETINGS\nHow do you say \"yes\" in French?\n\"Oui.\"\n\n\
GREETINGS\nWhat does \"Danke\" mean?\n\"Thanks.\"\n\nGERMAN WORDS\nWhat is \"Hund\"?\nDog.\n\n\
NUMBERS\nWhat is 70 in French?\nSoixante-dix.\n";

/// The cards of [`QUOTED_DECK`]: front, back, section.
const QUOTED_CARDS: [(&str, &str, &str); 4] = [
    ("How do you say \"yes\" in French?", "\"Oui.\"", "GREETINGS"),
    ("What does \"Danke\" mean?", "\"Thanks.\"", "GREETINGS"),
    ("What is \"Hund\"?", "Dog.", "GERMAN WORDS"),
    ("What is 70 in French?", "Soixante-dix.", "NUMBERS"),
];

/// The lock an earlier version wrote for [`QUOTED_DECK`], made from this version's `lock`:
/// version 1 (no `end` lines, a source line column, one sketch column, here empty as it is not
/// read), with the hashes
/// of the fields as they were then, quotes as `&quot;` and `&#x27;`.
fn as_written_with_escaped_quotes(lock: &str) -> String {
    use ankideck::identify::{content_hash, hash};
    let old = |text: &str| text.replace('"', "&quot;").replace('\'', "&#x27;");
    let hashes = |front: &str, back: &str, section: &str| {
        let note = ankideck::model::Note::new(&[front, back, section], &[section.replace(' ', "_")], 1);
        [content_hash(&note), hash(front), hash(back)].map(|h| format!("{h:016x}"))
    };
    let mut out = String::new();
    for line in lock.lines().filter(|l| !l.starts_with("end\t")) {
        let mut cols: Vec<String> = line.split('\t').map(str::to_string).collect();
        if line.starts_with("version\t") {
            cols[1] = "1".into();
        } else if cols[0] == "note" {
            cols.insert(2, "1".into());
            let (front, back, section) = *QUOTED_CARDS.iter().find(|c| c.0 == cols[12]).expect("a card");
            // The hashes are made here as the build makes them.
            assert_eq!(hashes(front, back, section)[..], cols[7..10], "{line}");
            cols.splice(7..12, hashes(&old(front), &old(back), section).into_iter().chain(["-".to_string()]));
        }
        out.push_str(&cols.join("\t"));
        out.push('\n');
    }
    out
}

/// Cards with quotes on short sides built by an earlier version (a version-1 lock, no package in
/// `out/`) keep their notes: those with quotes are updated once, in memory and from disk alike.
#[test]
fn short_quoted_cards_of_a_lock_with_escaped_quotes_are_updated_once_not_new() {
    let first = Project { dir: tempfile::tempdir().unwrap() };
    first.write("source-cards/quotes.txt", QUOTED_DECK);
    assert_eq!(first.run(T1, &["build"]).code, 0);
    let lock = std::fs::read_to_string(first.dir.path().join("ankideck.lock")).unwrap();
    let old_lock = as_written_with_escaped_quotes(&lock);
    assert_ne!(old_lock, lock);
    let rebuilt = |args: &[&str]| {
        let project = Project { dir: tempfile::tempdir().unwrap() };
        project.write("source-cards/quotes.txt", QUOTED_DECK);
        project.write("ankideck.lock", &old_lock);
        let build = |epoch: i64, more: &[&str]| project.run(epoch, &[&["build"], args, more].concat());
        let run = build(T2, &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("(0 new, 3 updated, 1 unchanged, 0 removed)"), "{}", run.stderr);
        let rebuilt = std::fs::read_to_string(project.dir.path().join("ankideck.lock")).unwrap();
        let run = build(T2 + 1, &["--force"]);
        assert!(run.stderr.contains("(0 new, 0 updated, 4 unchanged, 0 removed)"), "{}", run.stderr);
        assert_eq!(std::fs::read_to_string(project.dir.path().join("ankideck.lock")).unwrap(), rebuilt);
        rebuilt
    };
    let in_memory = rebuilt(&[]);
    assert_eq!(rebuilt(&["--stream-above", "0"]), in_memory);
    // Every note keeps its guid and ids; only the `mod` of those with quotes moved on.
    let identity = |lock: &str| -> Vec<String> {
        let notes = lock.lines().filter(|l| l.starts_with("note\t"));
        notes.map(|l| l.split('\t').take(5).collect::<Vec<_>>().join("\t")).collect()
    };
    assert_eq!(identity(&in_memory), identity(&lock));
    assert_eq!(in_memory.lines().filter(|l| l.contains(&format!("\t{T2}\t"))).count(), 3);
}
