//! End-to-end tests of CSV/TSV decks: the rebuild guarantees of text decks hold for tables (a
//! no-op rebuild is byte-identical, an edited cell is an update of the same note, reordered and
//! moved rows keep their notes), a deck built from disk is the same bytes as one built in
//! memory, `build --csv`'s output reads back as the same deck, and bad tables are errors at
//! their lines in `check` and `build`.

use std::collections::BTreeMap;

const T1: i64 = 1_764_000_000;
const T2: i64 = 1_764_100_000;
const T3: i64 = 1_764_200_000;

mod common;
use common::Project;

impl Project {
    /// The guid of every note of `out/<deck>.apkg`, by its first field.
    fn guids(&self, deck: &str) -> BTreeMap<String, String> {
        self.dump(&format!("out/{deck}.apkg"))
            .lines()
            .filter_map(|line| line.strip_prefix("note "))
            .map(|line| {
                let guid = line.split(" guid=").nth(1).unwrap().split(' ').next().unwrap().to_string();
                let front =
                    line.split(" sfld=\"").nth(1).unwrap().rsplit_once("\" csum=").unwrap().0.to_string();
                (front, guid)
            })
            .collect()
    }

    /// The outputs and the lock: what a build writes.
    fn written(&self) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
        self.files().into_iter().filter(|(path, _)| !path.starts_with("source-cards")).collect()
    }
}

/// A table of `rows` numbered rows, in the order given.
fn table(rows: impl IntoIterator<Item = usize>) -> String {
    let mut text = String::from("Front,Back,Section,Tags\n");
    for i in rows {
        text.push_str(&format!(
            "\"Question {i}, with a comma?\",\"Answer {i} <b>\nsecond line\",Part {},t{}\n",
            i / 4,
            i % 3
        ));
    }
    text
}

#[test]
fn a_no_op_rebuild_is_byte_identical() {
    let project = Project::empty();
    project.write_source("vocab.csv", &table(0..10));
    project.build(T1, &["--csv"], 0);
    let first = project.written();
    let again = project.build(T2, &["--csv"], 0);
    assert_eq!(project.written(), first);
    assert!(again.stderr.contains("up to date"), "{}", again.stderr);
    // Parsed again (no state to say it is unchanged), still the same bytes.
    std::fs::remove_dir_all(project.path("out/.ankideck")).ok();
    let forced = project.build(T3, &["--csv", "--force"], 0);
    assert!(forced.stderr.contains("0 new, 0 updated, 10 unchanged"), "{}", forced.stderr);
    assert_eq!(project.written(), first);
}

#[test]
fn an_edited_cell_is_an_update_keeping_the_guid() {
    let project = Project::empty();
    project.write_source("vocab.csv", &table(0..10));
    project.build(T1, &[], 0);
    let before = project.guids("vocab");
    project.write_source("vocab.csv", &table(0..10).replace("Answer 3 <b>", "Answer 3, edited <b>"));
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("0 new, 1 updated, 9 unchanged, 0 removed"), "{}", run.stderr);
    assert_eq!(project.guids("vocab"), before);
    assert!(project.dump("out/vocab.apkg").contains("Answer 3, edited &lt;b&gt;<br>second line"));
}

#[test]
fn reordered_rows_keep_their_notes() {
    let project = Project::empty();
    project.write_source("vocab.csv", &table(0..12));
    project.build(T1, &[], 0);
    let before = project.guids("vocab");
    project.write_source("vocab.csv", &table((0..12).rev()));
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("0 new,"), "{}", run.stderr);
    assert_eq!(project.guids("vocab"), before);
}

#[test]
fn a_row_moved_to_another_deck_file_keeps_its_guid() {
    let project = Project::empty();
    project.write_source("a.csv", &table(0..8));
    project.write_source("b.csv", "Front,Back,Section,Tags\nalone,here,,\n");
    project.build(T1, &[], 0);
    let moved = project.guids("a")["Question 5, with a comma?"].clone();
    project.write_source("a.csv", &table((0..8).filter(|i| *i != 5)));
    let row = table(5..6).split_once('\n').unwrap().1.to_string();
    project.write_source("b.csv", &format!("Front,Back,Section,Tags\nalone,here,,\n{row}"));
    project.build(T2, &[], 0);
    assert_eq!(project.guids("b")["Question 5, with a comma?"], moved);
    assert!(!project.guids("a").contains_key("Question 5, with a comma?"));
}

#[test]
fn a_deck_built_from_disk_is_the_same_bytes_as_one_built_in_memory() {
    let (memory, disk) = (Project::empty(), Project::empty());
    let steps = [table(0..40), table((0..40).rev()), table(0..41).replace("Answer 7 ", "Answer seven ")];
    for (step, text) in steps.iter().enumerate() {
        let epoch = T1 + step as i64 * 1000;
        for (project, args) in [(&memory, &["--csv"][..]), (&disk, &["--csv", "--stream-above", "0"][..])] {
            project.write_source("big.csv", text);
            project.write_source("pinned.tsv", "guid\tfront\tback\nG-1\tpinned\tnote\n");
            let run = project.build(epoch, args, 0);
            assert!(!run.stderr.contains("warning"), "{}", run.stderr);
        }
        assert_eq!(memory.written(), disk.written(), "step {step}");
    }
    assert_eq!(memory.guids("pinned")["pinned"], "G-1");
}

#[test]
fn build_csv_output_as_a_source_is_the_same_deck_with_the_same_guids() {
    let project = Project::empty();
    project.write_source("history.txt", "Rome Flashcards\n\nTHE REPUBLIC & EMPIRE\nWho crossed\nthe Rubicon? Caesar, in 49 BC.\n\nLATER\nWho was the first\nemperor? Augustus.\n");
    project.build(T1, &["--csv"], 0);
    let apkg = project.bytes("out/history.apkg");
    let guids = project.guids("history");
    let csv = project.read("out/history.csv");
    std::fs::remove_file(project.path("source-cards/history.txt")).unwrap();
    project.write_source("history.csv", &csv);
    let run = project.build(T1, &["--csv"], 0);
    assert!(run.stderr.contains("0 new, 0 updated, 2 unchanged, 0 removed"), "{}", run.stderr);
    assert_eq!(project.guids("history"), guids);
    assert_eq!(project.bytes("out/history.apkg"), apkg, "the same package, byte for byte");
    assert_eq!(project.read("out/history.csv"), csv);
}

#[test]
fn bad_tables_are_errors_at_their_lines_in_check_and_build() {
    let project = Project::empty();
    project.write_source("ok.csv", "front,back\na,b\n");
    project.write_source("bad.csv", "front,bak\na,b\n");
    project.write_source("rows.tsv", "front\tback\na\tb\nc\n\tno front\n");
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    for expected in [
        "source-cards/bad.csv:1:1: error[E020]: `bak` is not a column of a `basic` deck",
        "  = hint: name each column after a field of the note type (Front, Back), or section, tags, guid",
        "source-cards/rows.tsv:3:1: error[E021]: the row has 1 cells, and the header names 2 columns",
        "source-cards/rows.tsv:4:1: error[E022]: the note has no `Front`",
    ] {
        assert!(check.stderr.contains(expected), "{expected}\n{}", check.stderr);
    }
    let build = project.build(T1, &[], 1);
    for line in check.stderr.lines().filter(|l| l.contains("error[")) {
        assert!(build.stderr.contains(line), "{line}\n{}", build.stderr);
    }
    assert!(
        project.exists("out/ok.apkg") && !project.exists("out/bad.apkg") && !project.exists("out/rows.apkg")
    );
}

#[test]
fn deck_files_of_one_name_in_two_formats_are_an_error_saying_so() {
    let project = Project::empty();
    project.write_source("a.csv", "front,back\nx,y\n");
    project.write_source("a.txt", "A\n\nONE\nx is\ny.\n");
    project.write_source("b.tsv", "front\tback\nx\ty\n");
    project.write_source("table.xlsx", "PK");
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    let message = "error[E024]: deck files with the same name `a` in two formats: source-cards/a.csv, source-cards/a.txt";
    assert!(check.stderr.contains(&format!("source-cards/a.csv: {message}")), "{}", check.stderr);
    assert!(check.stderr.contains(&format!("source-cards/a.txt: {message}")), "{}", check.stderr);
    assert!(
        check.stderr.contains("source-cards/table.xlsx: warning[W006]: skipped: not a deck: only `.txt`, `.md`, `.csv` and `.tsv` files are decks"),
        "{}",
        check.stderr
    );
    let build = project.build(T1, &[], 1);
    assert!(build.stderr.contains(&format!("source-cards/a.csv: {message}")), "{}", build.stderr);
    assert!(!project.exists("out/a.apkg") && project.exists("out/b.apkg"));
}

#[test]
fn a_guid_column_pins_each_note_and_a_duplicate_is_e012() {
    let project = Project::empty();
    project.write_source("a.csv", "guid,front,back\nabc,x,y\n,free,note\n");
    project.build(T1, &[], 0);
    assert_eq!(project.guids("a")["x"], "abc");
    project.write_source("b.csv", "guid,front,back\nabc,other,note\n");
    let run = project.build(T2, &[], 1);
    assert!(run.stderr.contains("error[E012]"), "{}", run.stderr);
}

#[test]
fn check_lists_a_tables_notes_in_json_and_with_show() {
    let project = Project::empty();
    project.write_source("vocab.csv", "Front,Back,Section\nla pomme,the apple,Food & drink\n");
    let json = project.run(T1, &["check", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let deck = &parsed["decks"][0];
    assert_eq!((deck["stem"].as_str(), deck["name"].as_str()), (Some("vocab"), Some("vocab")));
    let card = &deck["cards"][0];
    assert_eq!(card["line"], 2);
    assert_eq!(card["front"], serde_json::json!(["la pomme"]));
    assert_eq!(card["back"], serde_json::json!(["the apple"]));
    assert_eq!(card["section"], "Food &amp; drink");
    let show = project.run(T1, &["check", "--show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout.contains("source-cards/vocab.csv:2: Food_&_drink\n  Front   | la pomme\n  Back    | the apple\n  Section | Food &amp; drink\n"),
        "{}",
        show.stdout
    );
    assert!(show.stderr.contains("1 deck, 1 card, 0 errors, 0 warnings"), "{}", show.stderr);
}

#[test]
fn a_cloze_table_takes_its_deck_settings_and_a_row_without_deletion_is_w008_at_its_line() {
    let project = Project::empty();
    project.write(
        "ankideck.toml",
        "[decks.capitals]\nnotetype = \"cloze\"\nhtml = true\ntags = [\"geo\"]\nname = \"Geo::Capitals\"\n",
    );
    project.write_source(
        "capitals.csv",
        "Text,Back Extra,Tags\n\"{{c1::Paris}} is <b>the</b> capital\",of France,europe\nno deletion here,,\n",
    );
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let w008 = "source-cards/capitals.csv:3:1: warning[W008]: the card has no cloze deletion";
    assert!(check.stderr.contains(w008), "{}", check.stderr);
    let build = project.build(T1, &[], 0);
    assert!(build.stderr.contains(w008), "{}", build.stderr);
    let dump = project.dump("out/capitals.apkg");
    assert!(dump.contains("\"ankideck Cloze\" type=1"), "{dump}");
    assert!(dump.contains("\"Geo::Capitals\""), "{dump}");
    // The cell kept as HTML (`html = true`), the deck's tag added to the row's.
    assert!(dump.contains("tags=\" europe geo \" sfld=\"{{c1::Paris}} is the capital\""), "{dump}");
    assert!(dump.contains("\n  {{c1::Paris}} is <b>the</b> capital\n  of France\n"), "{dump}");
}
