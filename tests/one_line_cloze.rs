//! End-to-end tests of cloze cards of one line: in a cloze deck, a card whose only line holds a
//! cloze deletion needs no back (its `Back Extra` is empty), and so in a deck of another note
//! type, where it is a note of the built-in cloze; a card of one line without one is still error
//! E006; an edited card keeps its note and a card replaced by another is a new note, though
//! neither has a back to match on.

use std::path::Path;

mod common;

use common::run;

const CAPITALS: &str = "Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of {{c2::France}}.\n\n\
                        ASIA\n{{c1::Tokyo}} is the capital of\nJapan.\n\n\
                        EUROPE\nThe {{c1::Seine}} flows through Paris and into the English Channel.\n";
const CLOZE: &str = "[defaults]\nnotetype = \"cloze\"\n";

fn project(text: &str, toml: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("source-cards")).unwrap();
    std::fs::write(tmp.path().join("source-cards/capitals.txt"), text).unwrap();
    if let Some(toml) = toml {
        std::fs::write(tmp.path().join("ankideck.toml"), toml).unwrap();
    }
    tmp
}

/// The `note` lines of a dump: (note id, sort field) of each.
fn notes(dir: &Path) -> Vec<(String, String)> {
    let dump = run(dir, &["dump", "out/capitals.apkg"]);
    assert_eq!(dump.code, 0, "{}", dump.stderr);
    (dump.stdout.lines().filter(|l| l.starts_with("note ")))
        .map(|l| (l.split(' ').nth(1).unwrap().to_string(), l.split("sfld=").nth(1).unwrap().to_string()))
        .collect()
}

#[test]
fn a_cloze_card_of_one_line_needs_no_back_in_check_and_build_in_memory_and_from_disk() {
    let tmp = project(CAPITALS, Some(CLOZE));
    let check = run(tmp.path(), &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains("1 deck, 4 cards of 3 notes, 0 errors, 0 warnings"), "{}", check.stderr);
    let mut csvs = Vec::new();
    for args in [&["build", "--csv"][..], &["build", "--csv", "--force", "--stream-above", "0"]] {
        let build = run(tmp.path(), args);
        assert_eq!(build.code, 0, "{}", build.stderr);
        assert!(build.stderr.contains("Capitals: 4 cards of 3 notes"), "{args:?}: {}", build.stderr);
        assert!(!build.stderr.contains("warning"), "{}", build.stderr);
        csvs.push(std::fs::read_to_string(tmp.path().join("out/capitals.csv")).unwrap());
    }
    assert_eq!(csvs[0], csvs[1], "the same notes from memory and from disk");
    assert!(
        csvs[0].contains(",{{c1::Paris}} is the capital of {{c2::France}}.,,EUROPE,EUROPE\n"),
        "an empty Back Extra: {}",
        csvs[0]
    );
    assert!(csvs[0].contains(",{{c1::Tokyo}} is the capital of,Japan.,ASIA,ASIA\n"), "{}", csvs[0]);
}

#[test]
fn a_card_of_one_line_is_e006_without_a_deletion() {
    let no_deletion = CAPITALS.replace("The {{c1::Seine}} flows", "The Seine flows");
    for toml in [Some(CLOZE), None, Some("[defaults]\nnotetype = \"reversed\"\n")] {
        for args in [&["check"][..], &["build"]] {
            let r = run(project(&no_deletion, toml).path(), args);
            assert_eq!(r.code, 1, "{toml:?} {args:?}: {}", r.stderr);
            assert!(r.stderr.contains(":11:1: error[E006]: the card has one line"), "{toml:?}: {}", r.stderr);
        }
    }
}

#[test]
fn in_a_deck_of_another_note_type_a_card_of_one_line_with_a_deletion_is_a_cloze_note() {
    for toml in [None, Some("[defaults]\nnotetype = \"reversed\"\n")] {
        let tmp = project(CAPITALS, toml);
        let check = run(tmp.path(), &["check"]);
        assert_eq!(check.code, 0, "{toml:?}: {}", check.stderr);
        let build = run(tmp.path(), &["build"]);
        assert_eq!(build.code, 0, "{toml:?}: {}", build.stderr);
        assert!(build.stderr.contains("Capitals: 4 cards of 3 notes"), "{toml:?}: {}", build.stderr);
        let dump = run(tmp.path(), &["dump", "out/capitals.apkg"]).stdout;
        // Every card of this deck holds a deletion: all three are notes of the built-in cloze.
        let cloze_notes =
            dump.lines().filter(|l| l.starts_with("note ") && l.contains(" mid=1732999311605 "));
        assert_eq!(cloze_notes.count(), 3, "{toml:?}: {dump}");
        assert!(dump.contains("\"ankideck Cloze\" type=1"), "{dump}");
    }
}

#[test]
fn an_edited_one_line_cloze_keeps_its_note_and_a_replaced_one_is_a_new_note() {
    let tmp = project(CAPITALS, Some(CLOZE));
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let before = notes(tmp.path());
    let edited = CAPITALS.replace("flows through Paris and into", "flows through Paris and on into").replace(
        "{{c1::Paris}} is the capital of {{c2::France}}",
        "{{c1::Rome}} is the capital of {{c2::Italy}}",
    );
    std::fs::write(tmp.path().join("source-cards/capitals.txt"), edited).unwrap();
    let build = run(tmp.path(), &["build"]);
    assert!(build.stderr.contains("(1 new, 1 updated, 1 unchanged, 1 removed)"), "{}", build.stderr);
    let after = notes(tmp.path());
    let id_of =
        |notes: &[(String, String)], word: &str| notes.iter().find(|n| n.1.contains(word)).unwrap().0.clone();
    assert_eq!(id_of(&after, "on into"), id_of(&before, "Seine"), "the Seine card is the same note");
    let rome = id_of(&after, "Rome");
    assert!(!before.iter().any(|n| n.0 == rome), "the Rome card is a new note: {after:?}");
}
