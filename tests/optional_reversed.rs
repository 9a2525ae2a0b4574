//! End-to-end tests of `optional-reversed` decks in the text format: a card asks for its reverse
//! card with a line `<->` where `---` would end its front; the notes that ask get two cards, the
//! others one; adding or removing the marker updates the same note; in a deck of any other note
//! type the marker is warning W013 in `check` and `build` alike.

use std::path::Path;

mod common;

use common::run;

const WORDS: &str = "Words Flashcards\n\nNOUNS\nthe house\n<->\ndas Haus\n\n\
                     NOUNS\nthe tree\n---\nder Baum\n\nNOUNS\nthe dog is called\nder Hund.\n";
const OPTIONAL_REVERSED: &str = "[defaults]\nnotetype = \"optional-reversed\"\n";

/// A project with the deck `words.txt` of `text` and the settings `toml`.
fn project(text: &str, toml: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("source-cards")).unwrap();
    std::fs::write(tmp.path().join("source-cards/words.txt"), text).unwrap();
    if let Some(toml) = toml {
        std::fs::write(tmp.path().join("ankideck.toml"), toml).unwrap();
    }
    tmp
}

fn dump(dir: &Path) -> String {
    let dump = run(dir, &["dump", "out/words.apkg"]);
    assert_eq!(dump.code, 0, "{}", dump.stderr);
    dump.stdout
}

/// Each note's id and its cards' (id, ord), in note order, from a dump.
fn notes_and_cards(dump: &str) -> Vec<(String, Vec<(String, String)>)> {
    let field =
        |line: &str, key: &str| line.split(' ').find_map(|w| w.strip_prefix(key)).unwrap().to_string();
    let notes: Vec<String> = dump
        .lines()
        .filter(|l| l.starts_with("note "))
        .map(|l| l.split(' ').nth(1).unwrap().into())
        .collect();
    (notes.into_iter())
        .map(|nid| {
            let cards = (dump.lines())
                .filter(|l| l.starts_with("card ") && field(l, "nid=") == nid)
                .map(|l| (l.split(' ').nth(1).unwrap().to_string(), field(l, "ord=")))
                .collect();
            (nid, cards)
        })
        .collect()
}

fn ords(notes: &[(String, Vec<(String, String)>)]) -> Vec<Vec<&str>> {
    notes.iter().map(|(_, cards)| cards.iter().map(|(_, ord)| ord.as_str()).collect()).collect()
}

#[test]
fn only_the_cards_with_a_reverse_separator_get_the_reverse_card() {
    let tmp = project(WORDS, Some(OPTIONAL_REVERSED));
    let check = run(tmp.path(), &["check"]);
    assert_eq!((check.code, check.stderr.contains("0 warnings")), (0, true), "{}", check.stderr);
    let build = run(tmp.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(!build.stderr.contains("warning"), "{}", build.stderr);
    assert!(build.stderr.contains("Words: 4 cards of 3 notes"), "{}", build.stderr);
    let dump = dump(tmp.path());
    assert!(dump.contains("notetype 1732999311603 \"ankideck Optional Reversed\""), "{dump}");
    assert_eq!(ords(&notes_and_cards(&dump)), [vec!["0", "1"], vec!["0"], vec!["0"]]);
    let csv = std::fs::read_to_string(tmp.path().join("out/words.csv")).unwrap();
    assert!(csv.contains("#columns:guid,Front,Back,Add Reverse,Section,tags\n"), "{csv}");
    assert!(csv.contains(",the house,das Haus,y,NOUNS,NOUNS\n"), "{csv}");
    assert!(csv.contains(",the tree,der Baum,,NOUNS,NOUNS\n"), "{csv}");
    // `check --show` says which cards ask.
    let show = run(tmp.path(), &["check", "--show"]);
    assert!(
        show.stdout.contains("  Front | the house\n  <->   | asks for a reverse card, back to front\n"),
        "{}",
        show.stdout
    );
    assert_eq!(show.stdout.matches("<->").count(), 1, "{}", show.stdout);
}

#[test]
fn adding_or_removing_the_marker_updates_the_same_note_and_its_kept_cards() {
    let tmp = project(WORDS, Some(OPTIONAL_REVERSED));
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let before = notes_and_cards(&dump(tmp.path()));
    let swapped = WORDS.replace("<->", "===").replace("---", "<->").replace("===", "---");
    std::fs::write(tmp.path().join("source-cards/words.txt"), swapped).unwrap();
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("(0 new, 2 updated, 1 unchanged, 0 removed)"), "{}", build.stderr);
    // The house no longer asks: Anki keeps its card 2, blank, and the build says so.
    assert!(
        build.stderr.contains("words.txt:3:1: warning[W010]: this note no longer makes its card 2"),
        "{}",
        build.stderr
    );
    let after = notes_and_cards(&dump(tmp.path()));
    assert_eq!(ords(&after), [vec!["0"], vec!["0", "1"], vec!["0"]]);
    let ids =
        |notes: &[(String, Vec<(String, String)>)]| notes.iter().map(|n| n.0.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&after), ids(&before), "the same notes");
    assert_eq!(after[0].1[0], before[0].1[0], "the house keeps its card 1");
    assert_eq!(after[1].1[0], before[1].1[0], "the tree keeps its card 1");
    assert!(!before.iter().flat_map(|n| &n.1).any(|c| *c == after[1].1[1]), "the tree's card 2 is new");
}

#[test]
fn a_reverse_separator_in_a_deck_of_another_note_type_is_w011_in_check_and_build() {
    for toml in
        [None, Some("[defaults]\nnotetype = \"reversed\"\n"), Some("[defaults]\nnotetype = \"cloze\"\n")]
    {
        let name = toml.map_or("basic", |t| t.split('"').nth(1).unwrap());
        // In the cloze deck every front has a deletion, so that it has nothing else to warn
        // about (elsewhere a deletion makes a cloze card: see the test below).
        let text = match name {
            "cloze" => WORDS.replace("the ", "the {{c1::very}} "),
            _ => WORDS.to_string(),
        };
        let tmp = project(&text, toml);
        let check = run(tmp.path(), &["check"]);
        assert_eq!(check.code, 0, "{}", check.stderr);
        let w011 = format!(
            // At the `<->` line, not the card's heading (line 3).
            "source-cards/words.txt:5:1: warning[W013]: `<->` asks for a reverse card, {}",
            match name {
                "reversed" =>
                    "and every card of a `reversed` deck has one: it only ends the front".to_string(),
                _ => format!("which a deck of note type `{name}` does not make: it only ends the front"),
            }
        );
        assert!(check.stderr.contains(&w011), "{name}: {}", check.stderr);
        assert_eq!(check.stderr.matches("warning[").count(), 1, "{name}: {}", check.stderr);
        // The same in a build in memory and one from disk.
        for args in [&["build"][..], &["build", "--force", "--stream-above", "0"]] {
            let build = run(tmp.path(), args);
            assert_eq!(build.code, 0, "{}", build.stderr);
            assert!(build.stderr.contains(&w011), "{name} {args:?}: {}", build.stderr);
        }
        // The marker ends the front as `---` would: the card is the one `---` makes.
        let with_marker = dump(tmp.path());
        std::fs::write(tmp.path().join("source-cards/words.txt"), text.replace("<->", "---")).unwrap();
        let build = run(tmp.path(), &["build"]);
        assert!(build.stderr.contains("0 updated, 3 unchanged"), "{name}: {}", build.stderr);
        assert!(!build.stderr.contains("W013"), "{}", build.stderr);
        assert_eq!(dump(tmp.path()), with_marker, "{name}");
    }
}

#[test]
fn a_reverse_separator_in_a_cloze_card_of_a_deck_of_another_note_type_says_it_gets_no_reverse() {
    // The card is a note of the built-in cloze: no reverse card, even in an optional-reversed or
    // reversed deck (W013 said that the deck's note type makes none, or that it makes one).
    for toml in [Some(OPTIONAL_REVERSED), Some("[defaults]\nnotetype = \"reversed\"\n"), None] {
        let text =
            "Words Flashcards\n\nNOUNS\nthe {{c1::house}}\n<->\ndas Haus\n\nNOUNS\nthe tree\n<->\nder Baum\n";
        let tmp = project(text, toml);
        let build = run(tmp.path(), &["build"]);
        assert_eq!(build.code, 0, "{}", build.stderr);
        let w013 = "source-cards/words.txt:5:1: warning[W013]: `<->` asks for a reverse card, which a cloze card \
                    does not get (it is a note of the built-in cloze: a card per deletion number): it only ends the front";
        assert!(build.stderr.contains(w013), "{toml:?}: {}", build.stderr);
        // The plain card's `<->` is said as before (none in an optional-reversed deck).
        let plain = build.stderr.matches("warning[W013]").count();
        assert_eq!(plain, if toml == Some(OPTIONAL_REVERSED) { 1 } else { 2 }, "{toml:?}: {}", build.stderr);
    }
}

#[test]
fn w013_is_said_at_its_marker_even_when_the_deck_has_errors() {
    // A card of one line further down: E006, the deck is not built.
    let tmp = project(&format!("{WORDS}\nNOUNS\nonly one line\n"), None);
    let w013 = "source-cards/words.txt:5:1: warning[W013]: `<->` asks for a reverse card";
    let e006 = "source-cards/words.txt:18:1: error[E006]";
    let check = run(tmp.path(), &["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(check.stderr.contains(w013) && check.stderr.contains(e006), "{}", check.stderr);
    for args in [&["build"][..], &["build", "--stream-above", "0"]] {
        let build = run(tmp.path(), args);
        assert_eq!(build.code, 1, "{}", build.stderr);
        assert!(build.stderr.contains(w013) && build.stderr.contains(e006), "{args:?}: {}", build.stderr);
        // What `check` says, in the same order.
        let said = |stderr: &str| {
            stderr.lines().filter(|l| l.contains("]: ")).map(str::to_string).collect::<Vec<_>>()
        };
        assert_eq!(said(&build.stderr), said(&check.stderr), "{args:?}");
    }
}

#[test]
fn with_subdecks_each_card_goes_to_its_sections_subdeck_not_one_named_after_add_reverse() {
    // `Add Reverse` comes before `Section` in this note type: the subdeck is the section's.
    let project = common::Project::empty();
    project.write("ankideck.toml", "[defaults]\nnotetype = \"optional-reversed\"\nsubdecks = true\n");
    project.write_source("g.txt", "G\n\nHOUSE\nthe house\n<->\ndas Haus\n\nTREE\nthe tree\n---\nder Baum\n");
    project.build(1_764_000_000, &[], 0);
    let dump = project.dump("out/g.apkg");
    assert!(dump.contains("\"G::HOUSE\"") && dump.contains("\"G::TREE\""), "{dump}");
    assert!(!dump.contains("\"G::y\""), "{dump}");
}

#[test]
fn with_subdecks_a_custom_note_type_takes_the_subdeck_from_its_section_field_wherever_it_is() {
    let project = common::Project::empty();
    project.write(
        "ankideck.toml",
        "[defaults]\nnotetype = \"v\"\nsubdecks = true\n\n[notetypes.v]\nfields = [\"Word\", \"Meaning\", \"Example\", \"Section\"]\n\
         templates = [{ name = \"R\", front = \"t/f.html\", back = \"t/b.html\" }]\n",
    );
    project.write("t/f.html", "{{Word}} {{Deck}}");
    project.write("t/b.html", "{{FrontSide}}<hr id=answer>{{Meaning}}");
    project.write_source("v.csv", "Word,Meaning,Example,Section\nchat,cat,Le chat dort.,ANIMALS\n");
    project.build(1_764_000_000, &[], 0);
    let dump = project.dump("out/v.apkg");
    assert!(dump.contains("\"v::ANIMALS\""), "{dump}");
    assert!(!dump.contains("Le chat dort.\""), "the Example field names no deck: {dump}");
    let show = project.run(1_764_000_000, &["check", "--show"]);
    assert!(show.stdout.contains("chat v::ANIMALS"), "{}", show.stdout);
}
