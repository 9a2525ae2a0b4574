//! `ankideck build --plan`: what importing each package would do in Anki, said without writing
//! anything (issue 13). Its counts are proved equal to Anki's import log by the real-Anki check
//! (tests/anki/check_plan.py); these tests hold its output, its JSON and that it writes nothing.

mod common;

use common::Project;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const T1: i64 = 1_764_000_000;
const T2: i64 = T1 + 86_400;

const ALPHA: &str = "ALPHA Flashcards
ANIMALS
The German word for dog
der Hund
ANIMALS
The German word for cat
die Katze
FOOD
The German word for bread
das Brot
FOOD
The German word for milk
die Milch
";

const BETA: &str = "BETA Flashcards
RIVERS
The river that flows through Paris
the Seine
";

const GAMMA: &str = "GAMMA Flashcards
CITIES
The capital of Italy
Rome
";

/// Every file and folder of the project: a file's bytes and modification time.
fn tree(project: &Project) -> BTreeMap<PathBuf, Option<(Vec<u8>, SystemTime)>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Option<(Vec<u8>, SystemTime)>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                walk(&path, root, out);
            } else {
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                out.insert(rel, Some((std::fs::read(&path).unwrap(), modified)));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(project.dir.path(), project.dir.path(), &mut out);
    out
}

/// Runs `build --plan ARGS` at `epoch`, checks that the project is exactly as it was (every
/// file's bytes and time, every folder) and returns the run.
fn plan(project: &Project, epoch: i64, args: &[&str], code: i32) -> common::Run {
    let before = tree(project);
    let mut all = vec!["--plan"];
    all.extend_from_slice(args);
    let run = project.build(epoch, &all, code);
    assert_eq!(tree(project), before, "build --plan changed the project\n{}", run.stderr);
    run
}

/// Alpha and beta built at T1; then in alpha the dog card's answer is edited, the milk card
/// removed and the cat card moved to beta, and a deck gamma added; beta is up to date no more.
fn edited_project() -> Project {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    project.write_source("beta.txt", BETA);
    project.write_source("gamma.txt", GAMMA);
    project.build(T1, &[], 0);
    let alpha = ALPHA
        .replace("der Hund\n", "der Hund (plural: die Hunde)\n")
        .replace("FOOD\nThe German word for milk\ndie Milch\n", "")
        .replace("ANIMALS\nThe German word for cat\ndie Katze\n", "");
    project.write_source("alpha.txt", &alpha);
    project.write_source("beta.txt", &format!("{BETA}ANIMALS\nThe German word for cat\ndie Katze\n"));
    project
}

#[test]
fn the_plan_says_per_deck_what_the_import_does_and_writes_nothing() {
    let project = edited_project();
    let run = plan(&project, T2, &[], 0);
    insta::assert_snapshot!(project.normalize(&run.stderr));
    // The build that follows does what the plan said.
    let built = project.build(T2, &[], 0);
    assert!(
        built.stderr.contains("ALPHA: 2 cards -> out/alpha.apkg (0 new, 1 updated, 1 unchanged, 1 removed)")
    );
    assert!(
        built.stderr.contains("BETA: 2 cards -> out/beta.apkg (0 new, 0 updated, 2 unchanged, 0 removed)")
    );
}

#[test]
fn the_plan_in_json_for_scripts() {
    let project = edited_project();
    let run = plan(&project, T2, &["--format", "json"], 0);
    let _: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    insta::assert_snapshot!(project.normalize(&run.stdout));
}

#[test]
fn with_no_previous_build_every_note_is_new_and_nothing_is_made() {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    let run = plan(&project, T1, &["--format", "json"], 0);
    assert!(!project.exists("out") && !project.exists("ankideck.lock"));
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let totals = &json["totals"];
    assert_eq!(
        (totals["new"].as_u64(), totals["updated"].as_u64(), totals["unchanged"].as_u64()),
        (Some(4), Some(0), Some(0))
    );
    assert_eq!(json["lock"]["changes"], true);
    let text = plan(&project, T1, &[], 0);
    assert!(
        text.stderr.contains("  ALPHA: 4 notes -> out/alpha.apkg: 4 new, 0 updated, 0 unchanged\n"),
        "{}",
        text.stderr
    );
}

#[test]
fn a_deck_with_errors_would_not_be_built_and_the_plan_exits_1() {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    project.write_source("beta.txt", BETA);
    project.build(T1, &[], 0);
    project.write_source("beta.txt", &format!("{BETA}RIVERS\nThe river of Rome\n"));
    let run = plan(&project, T2, &[], 1);
    assert!(run.stderr.contains("error[E006]"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("  source-cards/beta.txt: would not be built: the errors above must be fixed first"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("  ALPHA: up to date (source-cards/alpha.txt): 4 notes unchanged\n"),
        "{}",
        run.stderr
    );
    let json = plan(&project, T2, &["--format", "json"], 1);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["decks"][1]["status"], "not-built");
    assert_eq!(json["totals"]["decks_not_built"], 1);
}

#[test]
fn an_unchanged_project_plans_every_note_unchanged() {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    project.build(T1, &[], 0);
    let run = plan(&project, T2, &[], 0);
    assert!(
        run.stderr.contains("  ALPHA: up to date (source-cards/alpha.txt): 4 notes unchanged\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ankideck.lock would not change"), "{}", run.stderr);
}

#[test]
fn a_deck_file_deleted_leaves_its_notes_in_anki_with_their_search() {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    project.write_source("beta.txt", BETA);
    project.build(T1, &[], 0);
    std::fs::remove_file(project.path("source-cards/beta.txt")).unwrap();
    let run = plan(&project, T2, &[], 0);
    assert!(
        run.stderr.contains("  beta: its source file is gone; the build would drop it from ankideck.lock\n")
    );
    assert!(run.stderr.contains("    the build would remove out/beta.apkg\n"), "{}", run.stderr);
    assert!(run.stderr.contains("    its 1 note stay in Anki (an import never deletes notes); to find them in Anki's browser, search: nid:"));
}

#[test]
fn with_locked_the_plan_fails_when_the_lock_would_change() {
    let project = edited_project();
    let run = plan(&project, T2, &["--locked"], 1);
    assert!(
        run.stderr.contains("error: ankideck.lock is out of date and --locked forbids changing it"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("  ALPHA: 2 notes -> out/alpha.apkg: 0 new, 1 updated, 1 unchanged\n"),
        "{}",
        run.stderr
    );
    // An up-to-date lock passes.
    project.build(T2, &[], 0);
    plan(&project, T2, &["--locked"], 0);
}

#[test]
fn a_removed_cloze_deletion_leaves_a_blank_card() {
    let project = Project::empty();
    project.write("ankideck.toml", "[defaults]\nnotetype = \"cloze\"\n");
    project.write_source(
        "capitals.txt",
        "Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of {{c2::France}}.\n",
    );
    project.build(T1, &[], 0);
    project.write_source("capitals.txt", "Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of France.\n");
    let run = plan(&project, T2, &[], 0);
    assert!(run.stderr.contains("    1 card left blank: their notes no longer make them"), "{}", run.stderr);
    assert!(run.stderr.contains("Tools > Empty Cards"), "{}", run.stderr);
}

#[test]
fn a_deck_switched_to_another_note_type_plans_its_notes_conflicting() {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    project.build(T1, &[], 0);
    project.write("ankideck.toml", "[defaults]\nnotetype = \"reversed\"\n");
    let run = plan(&project, T2, &["--format", "json"], 0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let deck = &json["decks"][0];
    assert_eq!(
        (deck["conflicting"].as_u64(), deck["updated"].as_u64(), deck["unchanged"].as_u64()),
        (Some(4), Some(0), Some(0))
    );
    assert_eq!(deck["notetype_change"]["change"], "switched");
    let text = plan(&project, T2, &[], 0);
    assert!(text.stderr.contains("the import skips the 4 notes Anki has as conflicting"), "{}", text.stderr);
}

#[test]
fn format_needs_plan() {
    let project = Project::empty();
    project.write_source("alpha.txt", ALPHA);
    let run = project.run(T1, &["build", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--plan"), "{}", run.stderr);
    assert!(!project.exists("out"));
}

#[test]
fn a_card_moved_to_a_deck_of_another_note_type_is_conflicting_and_keeps_its_one_card() {
    let project = Project::empty();
    project.write("ankideck.toml", "[decks.two]\nnotetype = \"reversed\"\n");
    project.write_source("one.txt", "ONE\n\nWORDS\nhola\n---\nhello\n\nWORDS\nadios\n---\nbye\n");
    project.write_source("two.txt", "TWO\n\nWORDS\ngato\n---\ncat\n");
    project.build(T1, &[], 0);
    project.write_source("one.txt", "ONE\n\nWORDS\nhola\n---\nhello\n");
    project.write_source("two.txt", "TWO\n\nWORDS\ngato\n---\ncat\n\nWORDS\nadios\n---\nbye\n");
    let run = plan(&project, T2, &["--format", "json"], 0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let two = &json["decks"][1];
    assert_eq!((two["conflicting"].as_u64(), two["unchanged"].as_u64()), (Some(1), Some(1)), "{two:#}");
    // Anki has the note's one `basic` card in ONE; the `reversed` card 2 is not added.
    assert_eq!(two["moved"][0]["cards"], 1, "{two:#}");
}

#[test]
fn a_cloze_card_moved_to_a_deck_of_another_note_type_stays_a_cloze_note_and_is_not_conflicting() {
    // Both decks make it a note of the built-in cloze: Anki has it under that note type and
    // matches it as usual (a duplicate), so no W012 and no "Change Note Type" advice.
    let project = Project::empty();
    project.write("ankideck.toml", "[decks.two]\nnotetype = \"optional-reversed\"\n");
    let cloze = "WAR\nThe war began in {{c1::1914}} and ended in {{c2::1918}}.\nthe great war\n";
    project.write_source("one.txt", &format!("ONE\n\nWORDS\nhola\n---\nhello\n\n{cloze}"));
    project.write_source("two.txt", "TWO\n\nWORDS\ngato\n<->\ncat\n");
    project.build(T1, &[], 0);
    project.write_source("one.txt", "ONE\n\nWORDS\nhola\n---\nhello\n");
    project.write_source("two.txt", &format!("TWO\n\nWORDS\ngato\n<->\ncat\n\n{cloze}"));
    let run = plan(&project, T2, &["--format", "json"], 0);
    assert!(!run.stderr.contains("W012"), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let two = &json["decks"][1];
    assert_eq!((two["conflicting"].as_u64(), two["unchanged"].as_u64()), (Some(0), Some(2)), "{two:#}");
    // Its two cards stay in ONE, where Anki has them.
    assert_eq!(two["moved"][0]["cards"], 2, "{two:#}");
    let run = project.build(T2, &[], 0);
    assert!(!run.stderr.contains("W012"), "{}", run.stderr);
}

#[test]
fn a_deck_switched_to_another_note_type_leaves_its_cloze_cards_out_of_the_conflicting() {
    // Its cloze cards are notes of the built-in cloze before and after: Anki matches them as
    // usual (here a duplicate); only the plain card's note is skipped as conflicting.
    let project = Project::empty();
    let deck = "ONE\n\nWORDS\nhola\n---\nhello\n\nWAR\nThe war began in {{c1::1914}}.\nthe great war\n";
    project.write_source("one.txt", deck);
    project.build(T1, &[], 0);
    project.write("ankideck.toml", "[decks.one]\nnotetype = \"reversed\"\n");
    let run = plan(&project, T2, &["--format", "json"], 0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let one = &json["decks"][0];
    let counts = ["new", "updated", "unchanged", "conflicting"].map(|k| one[k].as_u64().unwrap());
    assert_eq!(counts, [0, 0, 1, 1], "{one:#}");
}

#[test]
fn a_pinned_card_that_changes_kind_is_conflicting_as_w016_says() {
    // It keeps its guid, and Anki has it under the old note type: skipped ("conflicting").
    let project = Project::empty();
    let plain = "# Geography\n\nQ: What is the capital of France?\nA: Paris\n<!-- id: pinned-1 -->\n\n\
                 Q: What is the capital of Spain?\nA: Madrid\n";
    project.write_source("geo.md", plain);
    project.build(T1, &[], 0);
    project.write_source("geo.md", &plain.replace("of France?", "of {{c1::France}}?"));
    let run = plan(&project, T2, &["--format", "json"], 0);
    assert!(run.stdout.contains("W016"), "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let geo = &json["decks"][0];
    let counts = ["new", "updated", "unchanged", "conflicting"].map(|k| geo[k].as_u64().unwrap());
    assert_eq!(counts, [0, 0, 1, 1], "{geo:#}");
}

#[test]
fn verbose_lists_the_new_and_updated_notes_and_quiet_only_the_summary() {
    let project = edited_project();
    let verbose = plan(&project, T2, &["--verbose"], 0);
    assert!(verbose.stderr.contains("    updated line 2: The German word for dog\n"), "{}", verbose.stderr);
    let quiet = plan(&project, T2, &["--quiet"], 0);
    assert_eq!(quiet.stderr.lines().count(), 1, "{}", quiet.stderr);
    assert!(quiet.stderr.starts_with("Plan: 0 new, 1 updated, 4 unchanged"), "{}", quiet.stderr);
}
