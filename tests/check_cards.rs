//! End-to-end tests of what `check` says of a deck's cards for each note type: its summary
//! counts the cards Anki makes as `build` does (a cloze card per deletion number, a reversed
//! note's two cards), and `check --show` names each side by the field of the deck's note type
//! that holds it.

use std::path::Path;

mod common;

use common::run;

const CLOZE: &str = "Cloze Flashcards\n\nSPACE\nThe {{c1::sun}} is a {{c2::star}}.\n\n\
                     WATER\nWater boils at {{c1::100}} degrees.\n";
const WORDS: &str = "Words Flashcards\n\nNOUNS\nle chat\n---\nthe cat\n";
const ASKS: &str = "Asks Flashcards\n\nNOUNS\nthe house\n<->\ndas Haus\n\nNOUNS\nthe tree\n---\nder Baum\n";

/// A project with the decks `decks` (stem, text) and the settings `toml`.
fn project(decks: &[(&str, &str)], toml: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("source-cards")).unwrap();
    for (stem, text) in decks {
        std::fs::write(tmp.path().join(format!("source-cards/{stem}.txt")), text).unwrap();
    }
    std::fs::write(tmp.path().join("ankideck.toml"), toml).unwrap();
    tmp
}

/// The summary line of a run (its last line on stderr).
fn summary(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or("")
}

fn checked(dir: &Path, args: &[&str]) -> common::Run {
    let check = run(dir, &[&["check"], args].concat());
    assert_eq!(check.code, 0, "{}", check.stderr);
    check
}

#[test]
fn check_counts_the_cards_anki_makes_as_build_does() {
    let toml = "[decks.cloze]\nnotetype = \"cloze\"\n[decks.words]\nnotetype = \"reversed\"\n\
                [decks.asks]\nnotetype = \"optional-reversed\"\n";
    let tmp = project(&[("cloze", CLOZE), ("words", WORDS), ("asks", ASKS)], toml);
    let check = checked(tmp.path(), &[]);
    // cloze: 2 + 1; reversed: 2; optional-reversed: 2 + 1.
    assert_eq!(
        summary(&check.stderr),
        "3 decks, 8 cards of 5 notes, 0 errors, 0 warnings",
        "{}",
        check.stderr
    );
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("Cloze: 3 cards of 2 notes"), "{}", build.stderr);
    assert!(build.stderr.contains("Words: 2 cards of 1 note"), "{}", build.stderr);
    assert!(build.stderr.contains("Asks: 3 cards of 2 notes"), "{}", build.stderr);
    assert!(summary(&build.stderr).contains(": 8 cards;"), "{}", build.stderr);
    // The count does not depend on how the cards are printed.
    let show = checked(tmp.path(), &["--show"]);
    assert_eq!(summary(&show.stderr), summary(&check.stderr));
}

#[test]
fn check_of_one_card_per_note_says_cards_only() {
    let tmp = project(&[("words", WORDS)], "[defaults]\nnotetype = \"type-in\"\n");
    assert_eq!(summary(&checked(tmp.path(), &[]).stderr), "1 deck, 1 card, 0 errors, 0 warnings");
}

#[test]
fn check_counts_a_custom_note_types_cards_by_its_templates() {
    let tmp = project(
        &[("words", WORDS)],
        "[defaults]\nnotetype = \"vocab\"\n[notetypes.vocab]\nfields = [\"Word\", \"Meaning\"]\n\
         templates = [{ name = \"Recognise\", front = \"f.html\", back = \"b.html\" },\n\
         { name = \"Recall\", front = \"b.html\", back = \"f.html\" }]\n",
    );
    std::fs::write(tmp.path().join("f.html"), "{{Word}}").unwrap();
    std::fs::write(tmp.path().join("b.html"), "{{Meaning}}").unwrap();
    assert_eq!(summary(&checked(tmp.path(), &[]).stderr), "1 deck, 2 cards of 1 note, 0 errors, 0 warnings");
}

#[test]
fn check_show_names_each_side_by_the_field_of_the_decks_note_type() {
    let toml = "[decks.cloze]\nnotetype = \"cloze\"\n[decks.words]\nnotetype = \"vocab\"\n\
                [notetypes.vocab]\nfields = [\"Word\", \"Section\", \"Meaning\"]\n\
                templates = [{ name = \"Recognise\", front = \"f.html\", back = \"b.html\" }]\n";
    let cloze = "Cloze Flashcards\n\nSPACE\nThe {{c1::sun}} is a star.\n---\nSeen from Earth.\n";
    let tmp = project(&[("cloze", cloze), ("words", WORDS), ("asks", ASKS)], toml);
    std::fs::write(tmp.path().join("f.html"), "{{Word}}").unwrap();
    std::fs::write(tmp.path().join("b.html"), "{{Meaning}}").unwrap();
    let show = checked(tmp.path(), &["--show"]).stdout;
    assert!(
        show.contains("  Text       | The {{c1::sun}} is a star.\n  Back Extra | Seen from Earth.\n"),
        "{show}"
    );
    assert!(show.contains("  Word    | le chat\n  Meaning | the cat\n"), "{show}");
    // A deck of the default note type: its fields Front and Back; `<->` aligned with them.
    assert!(
        show.contains(
            "  Front | the house\n  <->   | asks for a reverse card, back to front\n  Back  | das Haus\n"
        ),
        "{show}"
    );
    assert!(!show.contains("front |") && !show.contains("back  |"), "{show}");
}

/// A table's notes are counted as a text deck's are: each cloze row makes a card per deletion.
#[test]
fn check_counts_the_cards_of_a_cloze_table_as_build_does() {
    let tmp = project(&[], "[defaults]\nnotetype = \"cloze\"\n");
    std::fs::write(
        tmp.path().join("source-cards/space.csv"),
        "Text,Back Extra\nThe {{c1::sun}} is a {{c2::star}}.,\nWater boils at {{c1::100}} degrees.,\n",
    )
    .unwrap();
    let check = checked(tmp.path(), &[]);
    assert_eq!(summary(&check.stderr), "1 deck, 3 cards of 2 notes, 0 errors, 0 warnings");
    let build = run(tmp.path(), &["build"]);
    assert!(build.stderr.contains("3 cards of 2 notes"), "{}", build.stderr);
}

/// `check --show --format json` gives, per note, its fields and every card Anki makes with its
/// `ord` and its question and answer as Anki renders them (tests/anki/check_render.py compares
/// them with Anki's); without `--show`, the cards are not rendered.
#[test]
fn check_show_json_lists_each_card_rendered_as_anki_renders_it() {
    let toml = "[decks.cloze]\nnotetype = \"cloze\"\n[decks.words]\nnotetype = \"reversed\"\nname = \"Lang::Words\"\n";
    let tmp = project(&[("cloze", CLOZE), ("words", WORDS)], toml);
    let json = checked(tmp.path(), &["--show", "--format", "json"]).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let decks = json["decks"].as_array().unwrap();
    let cloze = &decks.iter().find(|d| d["stem"] == "cloze").unwrap()["cards"][0];
    assert_eq!(cloze["fields"], serde_json::json!(["The {{c1::sun}} is a {{c2::star}}.", "", "SPACE"]));
    let cards = cloze["cards"].as_array().unwrap();
    assert_eq!(cards.iter().map(|c| c["ord"].as_u64().unwrap()).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(
        cards[1]["question"],
        "<div class=\"ankideck\">\n<div class=\"section\">SPACE</div>\n<div class=\"front\">The \
         <span class=\"cloze-inactive\" data-ordinal=\"1\">sun</span> is a \
         <span class=\"cloze\" data-cloze=\"star\" data-ordinal=\"2\">[...]</span>.</div>\n</div>"
    );
    assert!(
        cards[1]["answer"].as_str().unwrap().contains("<span class=\"cloze\" data-ordinal=\"2\">star</span>")
    );
    assert_eq!((&cards[0]["name"], &cards[0]["deck"]), (&"Cloze".into(), &"Cloze".into()));
    let words = &decks.iter().find(|d| d["stem"] == "words").unwrap()["cards"][0]["cards"];
    let reverse = &words[1];
    assert_eq!(
        (&reverse["ord"], &reverse["name"], &reverse["deck"]),
        (&1.into(), &"Card 2".into(), &"Lang::Words".into())
    );
    assert!(reverse["question"].as_str().unwrap().contains("<div class=\"front\">the cat</div>"));
    let answer = reverse["answer"].as_str().unwrap();
    assert!(answer.ends_with("<hr id=answer>\n\n<div class=\"ankideck back\">le chat</div>"), "{answer}");
    // The answer is its parts around `{{FrontSide}}`, joined by the question.
    let parts: Vec<&str> =
        reverse["answer_around_front"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(parts.join(reverse["question"].as_str().unwrap()), answer);
    let plain = checked(tmp.path(), &["--format", "json"]).stdout;
    assert!(!plain.contains("\"answer\"") && !plain.contains("\"fields\""), "{plain}");
}

/// `check --show` lists every card as Anki shows it, in text: its name, note type and tags,
/// its question and its answer (a deletion hidden on the question and in brackets on the
/// answer, entities decoded, a sound as ♪, a type-in answer as a box).
#[test]
fn check_show_lists_each_card_as_a_user_sees_it() {
    let toml = "[defaults]\nhtml = true\n[decks.cloze]\nnotetype = \"cloze\"\n[decks.words]\nnotetype = \"type-in\"\n";
    let cloze = "Cloze Flashcards\n\nSPACE\nThe {{c1::sun}} is a {{c2::star::kind}}.\n---\nSeen &amp; <b>loved</b>. [sound:_a/x.mp3]\n";
    let tmp = project(&[("cloze", cloze), ("words", WORDS)], toml);
    std::fs::create_dir(tmp.path().join("source-cards/_a")).unwrap();
    let mut sound = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    sound.extend([0; 64]);
    std::fs::write(tmp.path().join("source-cards/_a/x.mp3"), sound).unwrap();
    let show = checked(tmp.path(), &["--show"]).stdout;
    assert!(
        show.contains(
            "  Cloze 2 · ankideck Cloze · tags: SPACE\n    Q | SPACE\n      | The sun is a [kind].\n    \
             A | SPACE\n      | The sun is a [star].\n      | ──────────\n      | Seen & loved. ♪ _a/x.mp3\n"
        ),
        "{show}"
    );
    assert!(
        show.contains(
            "  Cloze 1 · ankideck Cloze · tags: SPACE\n    Q | SPACE\n      | The [...] is a star.\n"
        ),
        "{show}"
    );
    assert!(
        show.contains(
            "  Card 1 · ankideck Type-in · tags: NOUNS\n    Q | NOUNS\n      | le chat\n      | [type: ____]\n    \
             A | NOUNS\n      | le chat\n      | ──────────\n      | [type: the cat]\n\n"
        ),
        "{show}"
    );
}

#[test]
fn a_custom_note_type_showing_the_deck_shows_its_title_in_check_show() {
    let project = common::Project::empty();
    project.write(
        "ankideck.toml",
        "[defaults]\nnotetype = \"v\"\nsubdecks = true\n\n[notetypes.v]\nfields = [\"Front\", \"Back\", \"Section\"]\n\
         templates = [{ name = \"R\", front = \"t/f.html\", back = \"t/b.html\" }]\n",
    );
    project.write("t/f.html", "{{Front}} in {{Deck}} / {{Subdeck}}");
    project.write("t/b.html", "{{FrontSide}}<hr id=answer>{{Back}}");
    project.write_source("v.txt", "Vocab Flashcards\n\nANIMALS\nle chat\n---\nthe cat\n");
    let show = project.run(1_764_000_000, &["check", "--show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains("    Q | le chat in Vocab::ANIMALS / ANIMALS\n"), "{}", show.stdout);
}

/// A table's row without tags is named by its file and line alone: it was `t.csv:2: ` with a
/// trailing space and nothing after it.
#[test]
fn show_names_a_table_row_without_tags_by_its_place_alone() {
    let project = common::Project::empty();
    project.write_source("t.csv", "Front,Back\nHello,Hallo\n");
    let show = project.run(1_764_000_000, &["check", "--show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.starts_with("source-cards/t.csv:2\n  Front "), "{}", show.stdout);
    assert!(!show.stdout.lines().any(|l| l.ends_with(": ")), "{}", show.stdout);
}
