//! End-to-end tests of note types per note: in a deck whose note type is not cloze, a card whose
//! question holds a cloze deletion is a note of the built-in cloze (`.md`, `.txt`, a CSV row
//! naming `Cloze`). The package holds both note types, each note its own `mid` and cards; the
//! lock names the cloze type on the deck's line; a no-op rebuild, a build from disk, a lost lock
//! and `build --csv`'s output read back all give the same bytes; a card that gains or loses its
//! deletion is a new note (W016), an edited cloze card keeps its note.

mod common;
use common::Project;
use std::collections::BTreeMap;

const T1: i64 = 1_764_000_000;
const T2: i64 = 1_764_100_000;
const T3: i64 = 1_764_200_000;

const BASIC_ID: &str = "1732999311601";
const CLOZE_ID: &str = "1732999311605";

const GEO_MD: &str = "# Geography\n\n## Capitals\n\nQ: What is the capital of France?\nA: Paris\n\n\
                      Q: The capital of Italy is {{c1::Rome}}, of Spain {{c2::Madrid}}.\nA: Both since long ago.\n\n\
                      Q: {{c1::Oslo}} is in Norway\n";

const HIST_TXT: &str = "HISTORY\n\nWAR\nWhen did the war end?\n1945\n\nTREATY\n\
                        The treaty of {{c1::Versailles}}\nwas signed in 1919\n";

/// A note of a dump: its id, note type id and first field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DumpNote {
    id: String,
    mid: String,
    sfld: String,
}

fn notes(project: &Project, deck: &str) -> Vec<DumpNote> {
    let field =
        |line: &str, key: &str| line.split(key).nth(1).unwrap().split(' ').next().unwrap().to_string();
    (project.dump(&format!("out/{deck}.apkg")).lines())
        .filter_map(|line| line.strip_prefix("note "))
        .map(|line| DumpNote {
            id: line.split(' ').next().unwrap().to_string(),
            mid: field(line, " mid="),
            sfld: line.split(" sfld=\"").nth(1).unwrap().rsplit_once("\" csum=").unwrap().0.to_string(),
        })
        .collect()
}

/// The cards of a dump: (note id, ord), in the dump's order.
fn cards(project: &Project, deck: &str) -> Vec<(String, String)> {
    (project.dump(&format!("out/{deck}.apkg")).lines())
        .filter_map(|line| line.strip_prefix("card "))
        .map(|line| {
            let nid = line.split(" nid=").nth(1).unwrap().split(' ').next().unwrap().to_string();
            let ord = line.split(" ord=").nth(1).unwrap().split(' ').next().unwrap().to_string();
            (nid, ord)
        })
        .collect()
}

fn written(project: &Project) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
    project.files().into_iter().filter(|(path, _)| !path.starts_with("source-cards")).collect()
}

fn geo_and_hist() -> Project {
    let project = Project::empty();
    project.write_source("geo.md", GEO_MD);
    project.write_source("hist.txt", HIST_TXT);
    project
}

#[test]
fn a_card_with_a_deletion_in_a_basic_deck_is_a_cloze_note_with_a_card_per_deletion() {
    let project = geo_and_hist();
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    // As build counts them: 4 cards of 3 notes in geo, 2 of 2 in hist.
    assert!(check.stderr.contains("2 decks, 6 cards of 5 notes, 0 errors, 0 warnings"), "{}", check.stderr);
    // `--show` names a cloze card's sides by the cloze fields; JSON marks it.
    let show = project.run(T1, &["check", "--show"]).stdout;
    assert!(show.contains("  Text       | {{c1::Oslo}} is in Norway\n"), "{show}");
    assert!(show.contains("  Front | What is the capital of France?\n"), "{show}");
    let json = project.run(T1, &["check", "--format", "json"]).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let clozes: Vec<bool> = json["decks"][0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.get("cloze").and_then(|v| v.as_bool()).unwrap_or(false))
        .collect();
    assert_eq!(clozes, [false, true, true], "{json}");
    let build = project.build(T1, &[], 0);
    assert!(build.stderr.contains("Geography: 4 cards of 3 notes"), "{}", build.stderr);
    let geo = notes(&project, "geo");
    let mids: Vec<&str> = geo.iter().map(|n| n.mid.as_str()).collect();
    assert_eq!(mids, [BASIC_ID, CLOZE_ID, CLOZE_ID], "{geo:?}");
    let dump = project.dump("out/geo.apkg");
    assert!(
        dump.contains("\"ankideck Flashcard\" type=0") && dump.contains("\"ankideck Cloze\" type=1"),
        "{dump}"
    );
    // The cloze note of two deletions has cards 1 and 2 (ords 0, 1); the others one each.
    let by_note =
        |id: &str| cards(&project, "geo").into_iter().filter(|c| c.0 == id).map(|c| c.1).collect::<Vec<_>>();
    assert_eq!(
        (by_note(&geo[0].id), by_note(&geo[1].id), by_note(&geo[2].id)),
        (vec!["0".into()], vec!["0".into(), "1".into()], vec!["0".into()])
    );
    // The text deck's card of two lines: the question is its Text, the answer its Back Extra.
    let hist = project.dump("out/hist.apkg");
    assert!(hist.contains(&format!("mid={CLOZE_ID}")), "{hist}");
    assert!(hist.contains("  The treaty of {{c1::Versailles}}\n  was signed in 1919\n"), "{hist}");
    // The lock names the cloze type on each deck's line, after the deck's own.
    let lock = project.read("ankideck.lock");
    assert!(lock.contains(&format!("\tGeography\t{BASIC_ID}+{CLOZE_ID}\n")), "{lock}");
    assert!(lock.contains(&format!("notetype\t{CLOZE_ID}\t")), "{lock}");
}

#[test]
fn a_deck_without_cloze_cards_is_built_as_before() {
    let project = Project::empty();
    project.write_source("geo.md", "# Geography\n\nQ: What is the capital of France?\nA: Paris\n");
    project.build(T1, &[], 0);
    let lock = project.read("ankideck.lock");
    assert!(!lock.contains(CLOZE_ID), "no cloze type in the lock: {lock}");
    assert!(!project.dump("out/geo.apkg").contains("ankideck Cloze"));
}

#[test]
fn a_mixed_deck_rebuilds_byte_identically_from_memory_disk_a_lost_lock_and_its_csv() {
    let project = geo_and_hist();
    project.build(T1, &["--csv"], 0);
    let first = written(&project);
    let noop = project.build(T2, &["--csv"], 0);
    assert!(noop.stderr.contains("ankideck.lock unchanged"), "{}", noop.stderr);
    assert_eq!(written(&project), first, "a no-op rebuild");
    project.build(T2, &["--csv", "--force", "--stream-above", "0"], 0);
    assert_eq!(written(&project), first, "built from disk");
    std::fs::remove_file(project.path("ankideck.lock")).unwrap();
    let recovered = project.build(T3, &["--csv"], 0);
    assert!(recovered.stderr.contains("(0 new, 0 updated, 3 unchanged, 0 removed)"), "{}", recovered.stderr);
    assert_eq!(written(&project), first, "the lock recovered from the packages");
    // The CSV names each row's note type and reads back as the same deck.
    let csv = project.read("out/geo.csv");
    assert!(csv.contains("#notetype column:2\n") && !csv.contains("#columns:"), "{csv}");
    assert!(csv.contains(",ankideck Cloze,{{c1::Oslo}} is in Norway,,Capitals,Capitals\n"), "{csv}");
    let package = project.bytes("out/geo.apkg");
    std::fs::rename(project.path("out/geo.csv"), project.path("source-cards/geo.csv")).unwrap();
    std::fs::remove_file(project.path("source-cards/geo.md")).unwrap();
    let again = project.build(T3, &[], 0);
    assert!(again.stderr.contains("Geography: 4 cards of 3 notes"), "{}", again.stderr);
    assert_eq!(project.bytes("out/geo.apkg"), package, "the CSV read back");
}

#[test]
fn a_card_that_gains_or_loses_its_deletion_is_a_new_note_and_w016_names_the_old_one() {
    let project = geo_and_hist();
    project.build(T1, &[], 0);
    let before = notes(&project, "geo");
    let gained = GEO_MD.replace("capital of France?", "capital of {{c1::France}}?");
    project.write_source("geo.md", &gained);
    let build = project.build(T2, &[], 0);
    assert!(build.stderr.contains("(1 new, 0 updated, 2 unchanged, 1 removed)"), "{}", build.stderr);
    let w016 = "source-cards/geo.md:5:1: warning[W016]: this card was a plain card in the last build and is now a cloze card";
    assert!(build.stderr.contains(w016), "{}", build.stderr);
    let plain = before.iter().find(|n| n.sfld.contains("France")).unwrap();
    assert!(build.stderr.contains(&format!("(search: nid:{})", plain.id)), "{}", build.stderr);
    let france = |notes: &[DumpNote]| notes.iter().find(|n| n.sfld.contains("France")).unwrap().clone();
    let after = france(&notes(&project, "geo"));
    assert_eq!(after.mid, CLOZE_ID);
    assert!(!before.iter().any(|n| n.id == after.id), "a new note: {after:?}");
    // And back: the cloze note is removed, the plain card a new note again.
    project.write_source("geo.md", GEO_MD);
    let back = project.build(T3, &[], 0);
    assert!(back.stderr.contains("warning[W016]: this card was a cloze card"), "{}", back.stderr);
    assert!(back.stderr.contains(&format!("(search: nid:{})", after.id)), "{}", back.stderr);
    assert_eq!(france(&notes(&project, "geo")).mid, BASIC_ID);
}

#[test]
fn an_edited_cloze_card_of_a_basic_deck_keeps_its_note() {
    let project = geo_and_hist();
    project.build(T1, &[], 0);
    let before = notes(&project, "geo");
    let edited = GEO_MD
        .replace("of Spain {{c2::Madrid}}.", "and of Spain {{c2::Madrid}}.")
        .replace("{{c1::Oslo}} is in Norway", "{{c1::Oslo}} is in southern Norway");
    project.write_source("geo.md", &edited);
    let build = project.build(T2, &[], 0);
    assert!(build.stderr.contains("(0 new, 2 updated, 1 unchanged, 0 removed)"), "{}", build.stderr);
    assert!(!build.stderr.contains("W016"), "{}", build.stderr);
    let after = notes(&project, "geo");
    assert_eq!(
        after.iter().map(|n| &n.id).collect::<Vec<_>>(),
        before.iter().map(|n| &n.id).collect::<Vec<_>>()
    );
}

#[test]
fn an_anki_export_of_basic_and_cloze_notes_reads_each_row_as_its_note_type() {
    let project = Project::empty();
    // Anki's "Notes in Plain Text" with guids and note types: fields padded to two.
    project.write_source(
        "mixed.txt",
        "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n\
         Ab1\tBasic\tMixed\tWhat is 2+2?\t4\tmaths\n\
         Cd2\tCloze\tMixed\t{{c1::Paris}} is in {{c2::France}}\textra\tgeo\n",
    );
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains("3 cards of 2 notes"), "{}", check.stderr);
    project.build(T1, &[], 0);
    let dump = project.dump("out/mixed.apkg");
    assert!(dump.contains(&format!("guid=Ab1 mid={BASIC_ID} ")), "{dump}");
    assert!(dump.contains(&format!("guid=Cd2 mid={CLOZE_ID} ")), "{dump}");
    assert!(dump.contains("  {{c1::Paris}} is in {{c2::France}}\n  extra\n"), "{dump}");
    assert_eq!(cards(&project, "mixed").len(), 3, "{dump}");
    // Read record by record into the spill file: the same package.
    let package = project.bytes("out/mixed.apkg");
    project.build(T1, &["--force", "--stream-above", "0"], 0);
    assert_eq!(project.bytes("out/mixed.apkg"), package, "built from disk");
}

#[test]
fn a_pinned_card_that_changes_kind_keeps_its_guid_and_w016_says_anki_will_skip_it() {
    let project = Project::empty();
    let plain = "# Geography\n\nQ: What is the capital of France?\nA: Paris\n<!-- id: pinned-1 -->\n";
    project.write_source("geo.md", plain);
    project.build(T1, &[], 0);
    let before = notes(&project, "geo");
    project.write_source("geo.md", &plain.replace("of France?", "of {{c1::France}}?"));
    let build = project.build(T2, &[], 0);
    let flat = build.stderr.replace('\n', " ");
    assert!(flat.contains("source-cards/geo.md:3:1: warning[W016]: this card keeps its pinned id"), "{flat}");
    assert!(flat.contains("Anki skips it on import (\"conflicting\")"), "{flat}");
    assert!(flat.contains(&format!("search nid:{}", before[0].id)), "{flat}");
    assert!(flat.contains("Change Note Type to `ankideck Cloze`"), "{flat}");
    let dump = project.dump("out/geo.apkg");
    assert!(dump.contains(&format!("guid=pinned-1 mid={CLOZE_ID} ")), "{dump}");
    // The lock says the note is a cloze card: a rebuild says nothing more.
    let lock = project.read("ankideck.lock");
    assert!(lock.lines().any(|l| l.contains("\tpinned-1\t") && l.ends_with("\tcloze")), "{lock}");
    let again = project.build(T3, &[], 0);
    assert!(!again.stderr.contains("W016"), "{}", again.stderr);
}

/// The cloze cards of a deck of a custom note type are notes of the built-in cloze, whose
/// stylesheet has the project's `ankideck.css` (the custom type's has not): an edit of
/// `ankideck.css` rebuilds that deck, whose package then equals a forced rebuild's. (It was
/// "up to date", its package keeping the old stylesheet, and so did the watch's preview.)
#[test]
fn an_edit_of_ankideck_css_rebuilds_a_custom_type_deck_with_cloze_cards() {
    let project = Project::empty();
    project.write(
        "ankideck.toml",
        "[notetypes.vocab]\nfields = [\"Word\", \"Meaning\"]\ncss = \"vocab.css\"\n\
         templates = [{ name = \"R\", front = \"f.html\", back = \"b.html\" }]\n\
         [decks.german]\nnotetype = \"vocab\"\n",
    );
    project.write("vocab.css", ".card { color: navy; }\n");
    project.write("f.html", "{{Word}}");
    project.write("b.html", "{{FrontSide}}<hr id=answer>{{Meaning}}");
    project.write_source(
        "german.txt",
        "German\n\nANIMALS\nder Hund\nthe dog\n\nANIMALS\n{{c1::die Katze}} is the cat.\n",
    );
    project.write_source("ankideck.css", ".card { font-size: 20px; }\n");
    project.build(T1, &[], 0);
    project.write_source("ankideck.css", ".card { font-size: 31px; }\n");
    let rebuilt = project.build(T2, &[], 0);
    assert!(rebuilt.stderr.contains("German: 2 cards -> out/german.apkg"), "{}", rebuilt.stderr);
    let incremental = project.bytes("out/german.apkg");
    assert!(project.dump("out/german.apkg").contains("ankideck Cloze"));
    project.build(T2, &["--force"], 0);
    assert!(incremental == project.bytes("out/german.apkg"), "the package differs from a forced rebuild's");
    // With nothing changed, the deck is up to date again.
    let again = project.build(T3, &[], 0);
    assert!(again.stderr.contains("German: up to date"), "{}", again.stderr);
}
