//! End-to-end tests of `ankideck.toml` in `check` and `build`: errors stop both, warnings show
//! in both, each deck setting reaches the package, and changing a setting rebuilds exactly the
//! decks it touches.

use std::path::{Path, PathBuf};

mod common;

use common::{Run, run};

const HISTORY: &str = "History Flashcards\n\nWAR TIME\nWhen did it start? <b>\n1939 & later\n\n\
                       PEACE\nWhen did it end?\n1945\n\nWAR TIME\nWho invaded Poland?\nGermany\n";
const GEO: &str = "Geo Flashcards\n\nCAPITALS\nCapital of France?\nParis\n";

/// A project with two decks, `hist` and `geo`, and the settings file `toml` (none for `None`).
fn project(toml: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("source-cards")).unwrap();
    std::fs::write(tmp.path().join("source-cards/hist.txt"), HISTORY).unwrap();
    std::fs::write(tmp.path().join("source-cards/geo.txt"), GEO).unwrap();
    if let Some(toml) = toml {
        std::fs::write(tmp.path().join("ankideck.toml"), toml).unwrap();
    }
    tmp
}

fn dump(dir: &Path, package: &str) -> String {
    let dump = run(dir, &["dump", package]);
    assert_eq!(dump.code, 0, "{}", dump.stderr);
    dump.stdout
}

/// The decks a build wrote (not up to date), by the name it reports.
fn rebuilt(build: &Run) -> Vec<String> {
    let mut names: Vec<String> = (build.stderr.lines())
        .filter(|l| l.starts_with("  ") && l.contains(" -> out/"))
        .map(|l| l.trim().split(':').next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn out_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir.join("out"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    files.push((dir.join("ankideck.lock"), std::fs::read(dir.join("ankideck.lock")).unwrap_or_default()));
    files.sort();
    files
}

#[test]
fn a_settings_error_stops_check_and_build_at_its_file_line_and_key() {
    let tmp = project(Some("[defaults]\ntags = [\"ok\"]\nsubdecks = \"yes\"\n"));
    for args in [&["check"][..], &["build"]] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("ankideck.toml:3:12: error: "), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("(key `defaults.subdecks`)"), "{}", r.stderr);
        assert!(r.stderr.contains("  = hint: `subdecks` takes `true` or `false`"), "{}", r.stderr);
        assert!(!r.stderr.contains("error: ankideck.toml"), "one `error:` only: {}", r.stderr);
    }
    assert!(!tmp.path().join("out/hist.apkg").exists() && !tmp.path().join("ankideck.lock").exists());
}

#[test]
fn the_settings_are_read_from_the_folder_of_the_lock_file() {
    let tmp = project(None);
    std::fs::create_dir(tmp.path().join("elsewhere")).unwrap();
    std::fs::write(tmp.path().join("elsewhere/ankideck.toml"), "[defaults]\nhtml = 3\n").unwrap();
    assert_eq!(run(tmp.path(), &["check"]).code, 0);
    let check = run(tmp.path(), &["check", "--lock", "elsewhere/ankideck.lock"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(check.stderr.contains("elsewhere/ankideck.toml:2:8: error: "), "{}", check.stderr);
    let build = run(tmp.path(), &["build", "--lock", "elsewhere/ankideck.lock"]);
    assert_eq!(build.code, 1, "{}", build.stderr);
    assert!(build.stderr.contains("elsewhere/ankideck.toml:2:8: error: "), "{}", build.stderr);
}

#[test]
fn a_deck_table_without_a_deck_file_is_warning_w007_in_check_and_build() {
    let tmp = project(Some("[decks.geo]\ntags = [\"x\"]\n\n[decks.histo]\nhtml = true\n"));
    let warning = "ankideck.toml:4:8: warning[W007]: there is no deck file `histo.txt`";
    let check = run(tmp.path(), &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains(warning), "{}", check.stderr);
    assert!(check.stderr.contains("did you mean [decks.hist]?"), "{}", check.stderr);
    assert!(check.stderr.contains("0 errors, 1 warning"), "{}", check.stderr);
    let json = run(tmp.path(), &["check", "--format", "json"]);
    assert!(json.stdout.contains("\"W007\""), "{}", json.stdout);
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains(warning), "{}", build.stderr);
    // Also when every deck is up to date.
    let again = run(tmp.path(), &["build"]);
    assert_eq!(rebuilt(&again), Vec::<String>::new());
    assert!(again.stderr.contains(warning), "{}", again.stderr);
}

#[test]
fn name_description_tags_html_and_subdecks_reach_the_package() {
    let toml = "[defaults]\ntags = [\"zz\", \"Aa\"]\n\n[decks.hist]\nname = \"History::Modern\"\n\
                description = \"Printed set\"\nhtml = true\nsubdecks = true\n";
    let tmp = project(Some(toml));
    let build = run(tmp.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("  History::Modern: 3 cards -> out/hist.apkg"), "{}", build.stderr);
    let json = run(tmp.path(), &["check", "--format", "json"]);
    assert!(json.stdout.contains("\"name\": \"History::Modern\""), "{}", json.stdout);
    let hist = dump(tmp.path(), "out/hist.apkg");
    let war = ids_of_deck(&hist, "History::Modern::WAR TIME");
    let peace = ids_of_deck(&hist, "History::Modern::PEACE");
    assert!(
        hist.contains("deck ") && hist.contains("\"History::Modern\"\n  desc: \"Printed set\"\n"),
        "{hist}"
    );
    assert_eq!(hist.matches(&format!("did={war} ")).count(), 2, "{hist}");
    assert_eq!(hist.matches(&format!("did={peace} ")).count(), 1, "{hist}");
    // Kept as HTML; the tags sorted ignoring case, as Anki stores them.
    assert!(hist.contains("  When did it start? <b>\n  1939 & later\n"), "{hist}");
    assert!(hist.contains("tags=\" Aa WAR_TIME zz \""), "{hist}");
    // The other deck: only the default tags, its title, text escaped, no subdecks.
    let geo = dump(tmp.path(), "out/geo.apkg");
    assert!(geo.contains("tags=\" Aa CAPITALS zz \"") && geo.contains("\"Geo\""), "{geo}");
    assert!(!geo.contains("desc:") && !geo.contains("Geo::"), "{geo}");
    let csv = std::fs::read_to_string(tmp.path().join("out/hist.csv")).unwrap();
    assert!(csv.contains("#deck:History::Modern\n") && csv.contains("Aa WAR_TIME zz"), "{csv}");
}

/// The id of the deck named `name` in a dump.
fn ids_of_deck(dump: &str, name: &str) -> String {
    let line = dump.lines().find(|l| l.starts_with("deck ") && l.ends_with(&format!("\"{name}\""))).unwrap();
    line.split(' ').nth(1).unwrap().to_string()
}

#[test]
fn changing_a_setting_rebuilds_exactly_the_decks_it_touches() {
    let tmp = project(Some("[defaults]\ntags = [\"a\"]\n\n[decks.geo]\ndescription = \"One\"\n"));
    let first = run(tmp.path(), &["build"]);
    assert_eq!(rebuilt(&first), ["Geo", "History"], "{}", first.stderr);
    let before = out_files(tmp.path());
    let noop = run(tmp.path(), &["build"]);
    assert_eq!(rebuilt(&noop), Vec::<String>::new(), "{}", noop.stderr);
    assert_eq!(out_files(tmp.path()), before, "a no-op rebuild changes no byte");
    // Comments and order do not change a deck's settings.
    std::fs::write(
        tmp.path().join("ankideck.toml"),
        "# mine\n[decks.geo]\ndescription = \"One\"\n[defaults]\ntags = [\"a\"]\n",
    )
    .unwrap();
    assert_eq!(rebuilt(&run(tmp.path(), &["build"])), Vec::<String>::new());
    std::fs::write(
        tmp.path().join("ankideck.toml"),
        "[defaults]\ntags = [\"a\"]\n\n[decks.geo]\ndescription = \"Two\"\n",
    )
    .unwrap();
    let one = run(tmp.path(), &["build"]);
    assert_eq!(rebuilt(&one), ["Geo"], "{}", one.stderr);
    assert!(dump(tmp.path(), "out/geo.apkg").contains("desc: \"Two\""));
    std::fs::write(
        tmp.path().join("ankideck.toml"),
        "[defaults]\ntags = [\"b\"]\n\n[decks.geo]\ndescription = \"Two\"\n",
    )
    .unwrap();
    let all = run(tmp.path(), &["build"]);
    assert_eq!(rebuilt(&all), ["Geo", "History"], "{}", all.stderr);
    assert!(all.stderr.contains("0 new, 3 updated"), "new tags update the notes: {}", all.stderr);
}

#[test]
fn a_settings_file_that_changes_nothing_builds_the_same_bytes_as_none() {
    let without = project(None);
    assert_eq!(run(without.path(), &["build", "--csv"]).code, 0);
    let with = project(Some("# nothing yet\n[defaults]\nnotetype = \"basic\"\nsubdecks = false\n"));
    let build = run(with.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let strip = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        out_files(dir).into_iter().map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b)).collect()
    };
    assert_eq!(strip(with.path()), strip(without.path()));
    // And the state files agree too: adding such a file rebuilds nothing.
    std::fs::write(without.path().join("ankideck.toml"), "[defaults]\nhtml = false\n").unwrap();
    assert_eq!(rebuilt(&run(without.path(), &["build", "--csv"])), Vec::<String>::new());
}

#[test]
fn a_deck_built_from_disk_gets_the_same_settings_as_one_in_memory() {
    let toml = "[defaults]\ntags = [\"zz\"]\nsubdecks = true\nhtml = true\n\n[decks.hist]\nname = \"H::M\"\n\
                description = \"D\"\n";
    let (memory, disk) = (project(Some(toml)), project(Some(toml)));
    assert_eq!(run(memory.path(), &["build", "--csv"]).code, 0);
    let build = run(disk.path(), &["build", "--csv", "--stream-above", "0"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let strip = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        out_files(dir).into_iter().map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b)).collect()
    };
    assert_eq!(strip(disk.path()), strip(memory.path()));
    let hist = dump(disk.path(), "out/hist.apkg");
    assert!(hist.contains("\"H::M::WAR TIME\"") && hist.contains("tags=\" WAR_TIME zz \""), "{hist}");
}

/// The `card` lines of a dump: (card id, note id, ord) of each card.
fn cards_of(dump: &str) -> Vec<(String, String, String)> {
    (dump.lines().filter(|l| l.starts_with("card ")))
        .map(|l| {
            let field = |key: &str| l.split(' ').find_map(|w| w.strip_prefix(key)).unwrap().to_string();
            (l.split(' ').nth(1).unwrap().to_string(), field("nid="), field("ord="))
        })
        .collect()
}

#[test]
fn reversed_decks_get_two_cards_per_note_of_the_reversed_note_type_and_an_edit_keeps_both() {
    let tmp = project(Some("[defaults]\nnotetype = \"reversed\"\n"));
    let build = run(tmp.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let geo = dump(tmp.path(), "out/geo.apkg");
    assert!(geo.contains("notetype 1732999311602 \"ankideck Reversed\""), "{geo}");
    assert!(geo.contains("mid=1732999311602"), "{geo}");
    let cards = cards_of(&geo);
    assert_eq!(cards.len(), 2, "{geo}");
    assert_eq!((cards[0].1 == cards[1].1, cards[0].2.as_str(), cards[1].2.as_str()), (true, "0", "1"));
    assert_eq!(cards_of(&dump(tmp.path(), "out/hist.apkg")).len(), 6);
    // The deck's line counts what Anki will show: cards, and the notes its changes count.
    assert!(
        build.stderr.contains(": 6 cards of 3 notes -> out/hist.apkg, out/hist.csv (3 new,"),
        "{}",
        build.stderr
    );
    let csv = std::fs::read_to_string(tmp.path().join("out/geo.csv")).unwrap();
    assert!(
        csv.contains("#notetype:ankideck Reversed\n")
            && csv.contains("#columns:guid,Front,Back,Section,tags\n")
    );
    // An edited answer updates the note: the same note and both card ids.
    std::fs::write(tmp.path().join("source-cards/geo.txt"), GEO.replace("Paris", "Paris, on the Seine"))
        .unwrap();
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let edited = dump(tmp.path(), "out/geo.apkg");
    assert!(edited.contains("Paris, on the Seine"), "{edited}");
    assert_eq!(cards_of(&edited), cards);
}

#[test]
fn type_in_decks_get_one_card_of_the_type_in_note_type() {
    let tmp = project(Some("[defaults]\nnotetype = \"type-in\"\n"));
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let geo = dump(tmp.path(), "out/geo.apkg");
    assert!(
        geo.contains("notetype 1732999311604 \"ankideck Type-in\"") && geo.contains("{{type:Back}}"),
        "{geo}"
    );
    assert!(geo.contains("mid=1732999311604"), "{geo}");
    assert_eq!(cards_of(&geo).len(), 1, "{geo}");
}

#[test]
fn a_reversed_note_whose_back_anki_sees_as_empty_has_no_reverse_card_until_it_gets_one() {
    let tmp = project(Some("[defaults]\nnotetype = \"reversed\"\nhtml = true\n"));
    std::fs::write(
        tmp.path().join("source-cards/geo.txt"),
        "Geo Flashcards\n\nCAPITALS\nCapital of France?\n<br>\n",
    )
    .unwrap();
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let first = cards_of(&dump(tmp.path(), "out/geo.apkg"));
    assert_eq!(
        first.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(),
        ["0"],
        "Anki makes no card 2: {first:?}"
    );
    // The back filled in: the note keeps its card 1 and gets a card 2.
    std::fs::write(
        tmp.path().join("source-cards/geo.txt"),
        "Geo Flashcards\n\nCAPITALS\nCapital of France?\nParis\n",
    )
    .unwrap();
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let second = cards_of(&dump(tmp.path(), "out/geo.apkg"));
    assert_eq!(second.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["0", "1"], "{second:?}");
    assert_eq!((&second[0].0, &second[0].1), (&first[0].0, &first[0].1), "card 1 keeps its id and note");
    assert!(second[1].0 > second[0].0, "card 2 has a new id");
}

const CLOZE: &str = "Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of {{c3::France}}.\nIn Europe.\n\n\
                     EUROPE\n{{c2::Rome}} is in {{c1,2::Italy::a country}}.\n---\nOld.\n";

#[test]
fn cloze_notes_get_a_card_per_cloze_number_at_its_ordinal_and_keep_them_through_edits() {
    let toml = "[defaults]\nnotetype = \"cloze\"\n";
    let (memory, disk) = (project(Some(toml)), project(Some(toml)));
    for tmp in [&memory, &disk] {
        std::fs::write(tmp.path().join("source-cards/geo.txt"), CLOZE).unwrap();
    }
    assert_eq!(run(memory.path(), &["build", "--csv"]).code, 0);
    let build = run(disk.path(), &["build", "--csv", "--stream-above", "0"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let strip = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        out_files(dir).into_iter().map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b)).collect()
    };
    assert_eq!(strip(disk.path()), strip(memory.path()), "from disk as in memory");
    let tmp = memory;
    let geo = dump(tmp.path(), "out/geo.apkg");
    assert!(geo.contains("notetype 1732999311605 \"ankideck Cloze\" type=1"), "{geo}");
    let cards = cards_of(&geo);
    let ords: Vec<&str> = cards.iter().map(|c| c.2.as_str()).collect();
    assert_eq!(ords, ["0", "2", "0", "1"], "c1 and c3; c2 and c1,2: {geo}");
    let lock = std::fs::read_to_string(tmp.path().join("ankideck.lock")).unwrap();
    assert!(lock.contains(&format!("\t{},,{}\t", cards[0].0, cards[1].0)), "no card at ordinal 1: {lock}");
    let csv = std::fs::read_to_string(tmp.path().join("out/geo.csv")).unwrap();
    assert!(
        csv.contains("#notetype:ankideck Cloze\n")
            && csv.contains("#columns:guid,Text,Back Extra,Section,tags\n")
    );
    // Unchanged: up to date, the same bytes.
    let before = out_files(tmp.path());
    assert_eq!(run(tmp.path(), &["build", "--csv"]).code, 0);
    assert_eq!(out_files(tmp.path()), before);
    // A deletion c2 added to the first note: its cards 1 and 3 keep their ids, card 2 is new.
    std::fs::write(
        tmp.path().join("source-cards/geo.txt"),
        CLOZE.replace("capital of", "{{c2::capital}} of"),
    )
    .unwrap();
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let edited = cards_of(&dump(tmp.path(), "out/geo.apkg"));
    let mut first: Vec<_> = edited.iter().filter(|c| c.1 == cards[0].1).collect();
    first.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(first.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["0", "1", "2"], "{edited:?}");
    assert_eq!((&first[0].0, &first[2].0), (&cards[0].0, &cards[1].0), "cards 1 and 3 keep their ids");
    assert!(!cards.iter().any(|c| c.0 == first[1].0), "card 2 has a new id");
}

#[test]
fn check_and_build_warn_about_a_cloze_card_without_deletion_and_a_deletion_in_the_back() {
    let tmp = project(Some("[defaults]\nnotetype = \"cloze\"\n"));
    let text = "Geo\n\nEUROPE\nNo deletion here.\n---\nIn Europe.\n\nEUROPE\n{{c1::Rome}} is in Italy.\n---\nIn {{c2::Europe}}.\n";
    std::fs::write(tmp.path().join("source-cards/geo.txt"), text).unwrap();
    std::fs::write(tmp.path().join("source-cards/hist.txt"), CLOZE).unwrap();
    let w008 = "source-cards/geo.txt:3:1: warning[W008]: the card has no cloze deletion: Anki makes its card 1, blank";
    let w009 = "source-cards/geo.txt:8:1: warning[W009]: a cloze deletion in the field `Back Extra`";
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["build"],
        &["build", "--force", "--stream-above", "0"],
    ] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let out = format!("{}{}", r.stdout, r.stderr);
        if args.contains(&"json") {
            assert_eq!((out.matches("\"W008\"").count(), out.matches("\"W009\"").count()), (1, 1), "{out}");
        } else {
            assert!(out.contains(w008) && out.contains(w009), "{args:?}: {out}");
            assert!(out.find(w008) < out.find(w009), "in line order: {out}");
        }
        assert!(!out.contains("hist.txt:"), "a deck with deletions in the front only: no warning: {out}");
    }
}

#[test]
fn a_lost_lock_of_a_cloze_deck_is_recovered_from_its_package_with_each_card_at_its_ordinal() {
    let tmp = project(Some("[defaults]\nnotetype = \"cloze\"\n"));
    std::fs::write(tmp.path().join("source-cards/geo.txt"), CLOZE).unwrap();
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let lock = std::fs::read_to_string(tmp.path().join("ankideck.lock")).unwrap();
    let before = cards_of(&dump(tmp.path(), "out/geo.apkg"));
    std::fs::remove_file(tmp.path().join("ankideck.lock")).unwrap();
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("note identities carried over from out/geo.apkg"), "{}", build.stderr);
    assert_eq!(cards_of(&dump(tmp.path(), "out/geo.apkg")), before);
    let notes = |lock: &str| {
        lock.lines().filter(|l| l.starts_with("note\tgeo\t")).map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(notes(&std::fs::read_to_string(tmp.path().join("ankideck.lock")).unwrap()), notes(&lock));
}

#[test]
fn a_note_that_loses_a_cloze_deletion_is_warning_w010_naming_the_card_anki_keeps_blank() {
    let tmp = project(Some("[defaults]\nnotetype = \"cloze\"\n"));
    std::fs::write(tmp.path().join("source-cards/geo.txt"), CLOZE).unwrap();
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    std::fs::write(tmp.path().join("source-cards/geo.txt"), CLOZE.replace("{{c3::France}}", "France"))
        .unwrap();
    let build = run(tmp.path(), &["build", "--stream-above", "0"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let w010 =
        "source-cards/geo.txt:3:1: warning[W010]: this note no longer makes its card 3: Anki keeps it blank";
    assert!(build.stderr.contains(w010), "{}", build.stderr);
    assert_eq!(build.stderr.matches("W010").count(), 1, "{}", build.stderr);
    let ords: Vec<String> = cards_of(&dump(tmp.path(), "out/geo.apkg")).into_iter().map(|c| c.2).collect();
    assert_eq!(ords, ["0", "0", "1"]);
    // Reported once: the next build has nothing to say.
    let again = run(tmp.path(), &["build", "--force"]);
    assert!(!again.stderr.contains("W010"), "{}", again.stderr);
}

const VOCAB_TOML: &str = "[defaults]\nnotetype = \"vocab\"\n\n[notetypes.vocab]\n\
    fields = [\"Word\", \"Section\", \"Meaning\", \"Example\"]\ncss = \"t/v.css\"\n\
    templates = [{ name = \"Recognise\", front = \"t/f.html\", back = \"t/b.html\" }, \
    { name = \"Recall\", front = \"t/f2.html\", back = \"t/b2.html\" }]\n";

/// A project with the custom note type `vocab` (fields Word, Section, Meaning, Example; the
/// card Recall only for a note with an Example).
fn vocab_project() -> tempfile::TempDir {
    let tmp = project(Some(VOCAB_TOML));
    std::fs::create_dir(tmp.path().join("t")).unwrap();
    for (name, text) in [
        ("v.css", ".card { color: #123; }\n"),
        ("f.html", "{{Section}}: {{Word}}"),
        ("b.html", "{{FrontSide}}<hr id=answer>{{Meaning}}"),
        ("f2.html", "{{#Example}}{{Example}}{{/Example}}"),
        ("b2.html", "{{FrontSide}}<hr id=answer>{{Word}}"),
    ] {
        std::fs::write(tmp.path().join("t").join(name), text).unwrap();
    }
    tmp
}

#[test]
fn a_custom_note_type_gets_front_back_and_section_in_its_fields_and_the_cards_anki_makes() {
    let tmp = vocab_project();
    let build = run(tmp.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let geo = dump(tmp.path(), "out/geo.apkg");
    assert!(geo.contains("\"vocab\" type=0") && geo.contains("field 3 \"Example\""), "{geo}");
    // The second value is the section, the third the back, the fourth empty.
    assert!(geo.contains("  Capital of France?\n  CAPITALS\n  Paris\n  \n"), "{geo}");
    // An empty Example: only the card Recognise.
    assert_eq!(cards_of(&geo).iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["0"], "{geo}");
    let csv = std::fs::read_to_string(tmp.path().join("out/geo.csv")).unwrap();
    assert!(
        csv.contains("#notetype:vocab\n#deck:Geo\n#columns:guid,Word,Section,Meaning,Example,tags\n"),
        "{csv}"
    );
    // A template edited: the note type changes in place, the notes keep their identity.
    let lock = std::fs::read_to_string(tmp.path().join("ankideck.lock")).unwrap();
    std::fs::write(tmp.path().join("t/b.html"), "{{FrontSide}}<hr id=answer><b>{{Meaning}}</b>").unwrap();
    assert_eq!(run(tmp.path(), &["build"]).code, 0);
    let after = std::fs::read_to_string(tmp.path().join("ankideck.lock")).unwrap();
    let notes =
        |lock: &str| lock.lines().filter(|l| l.starts_with("note\t")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(notes(&after), notes(&lock));
    assert!(dump(tmp.path(), "out/geo.apkg").contains("<b>{{Meaning}}</b>"));
}

#[test]
fn a_wrong_custom_template_stops_check_and_build_at_its_file_and_line() {
    let tmp = vocab_project();
    std::fs::write(tmp.path().join("t/f.html"), "{{Section}}\n{{Wort}}").unwrap();
    for args in [&["check"][..], &["build"]] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("t/f.html:2: `Wort` is not a field of note type `vocab`"), "{}", r.stderr);
    }
    assert!(!tmp.path().join("out/geo.apkg").exists());
    // A file that is not there: a wrong path in ankideck.toml, named at its key (exit 1).
    std::fs::remove_file(tmp.path().join("t/f.html")).unwrap();
    let column = VOCAB_TOML.lines().nth(6).unwrap().find("\"t/f.html\"").unwrap() + 1;
    for args in [&["check"][..], &["build"]] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let expected = format!(
            "ankideck.toml:7:{column}: error: the template t/f.html does not exist \
             (key `notetypes.vocab.templates[0].front`)\n  = hint: create the file, or correct the path"
        );
        assert!(r.stderr.contains(&expected), "{}", r.stderr);
    }
    // A file that cannot be read (reading /proc/self/mem at offset 0 fails, even as root): exit 2.
    std::os::unix::fs::symlink("/proc/self/mem", tmp.path().join("t/f.html")).unwrap();
    for args in [&["check"][..], &["build"]] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("cannot read t/f.html"), "{}", r.stderr);
    }
}

#[test]
fn a_missing_file_of_a_note_type_no_deck_uses_is_warning_w007_in_check_and_build() {
    let tmp = vocab_project();
    // No deck uses `vocab` any more; its stylesheet and a template are gone.
    let toml = VOCAB_TOML.replace("[defaults]\nnotetype = \"vocab\"\n", "");
    std::fs::write(tmp.path().join("ankideck.toml"), &toml).unwrap();
    std::fs::remove_file(tmp.path().join("t/v.css")).unwrap();
    std::fs::remove_file(tmp.path().join("t/b2.html")).unwrap();
    for args in [&["check"][..], &["build"]] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("warning[")).collect();
        assert_eq!(warnings.len(), 2, "{args:?}: {}", r.stderr);
        assert!(
            warnings[0].starts_with("ankideck.toml:4:7: warning[W007]: the stylesheet t/v.css does not exist; no deck uses the note type `vocab`"),
            "{}",
            r.stderr
        );
        assert!(warnings[0].ends_with("(key `notetypes.vocab.css`)"), "{}", r.stderr);
        assert!(warnings[1].contains("the template t/b2.html does not exist"), "{}", r.stderr);
        assert!(warnings[1].ends_with("(key `notetypes.vocab.templates[1].back`)"), "{}", r.stderr);
    }
}

#[test]
fn a_custom_note_type_without_a_field_for_the_back_is_an_error() {
    let tmp = vocab_project();
    let toml =
        VOCAB_TOML.replace("[\"Word\", \"Section\", \"Meaning\", \"Example\"]", "[\"Word\", \"Section\"]");
    std::fs::write(tmp.path().join("ankideck.toml"), toml.replace("{{Meaning}}", "")).unwrap();
    std::fs::write(tmp.path().join("t/b.html"), "{{FrontSide}}").unwrap();
    std::fs::write(tmp.path().join("t/f2.html"), "{{Word}}!").unwrap();
    for args in [&["check"][..], &["build"]] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("ankideck.toml: the note type `vocab` has 1 field(s) besides `Section`"),
            "{}",
            r.stderr
        );
    }
}
