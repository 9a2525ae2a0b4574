//! End-to-end tests of note types per deck and of their changes against the lock: decks of one
//! project with different note types, a note type whose fields or templates changed (W011), a
//! deck switched to another note type (W012), and a template or stylesheet edit (no warning, no
//! note changed).

use std::path::Path;

mod common;

use common::{Run, run};

const HISTORY: &str =
    "History Flashcards\n\nWAR TIME\nWhen did it start?\n1939\n\nPEACE\nWhen did it end?\n1945\n";
const GEO: &str =
    "Geo Flashcards\n\nCAPITALS\nCapital of France?\nParis\n\nRIVERS\nLongest river of France?\nLoire\n";

/// A project with the decks `hist` and `geo` and the settings `toml` (none for `None`).
fn project(toml: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("source-cards")).unwrap();
    std::fs::write(tmp.path().join("source-cards/hist.txt"), HISTORY).unwrap();
    std::fs::write(tmp.path().join("source-cards/geo.txt"), GEO).unwrap();
    if let Some(toml) = toml {
        settings(tmp.path(), toml);
    }
    tmp
}

fn settings(dir: &Path, toml: &str) {
    std::fs::write(dir.join("ankideck.toml"), toml).unwrap();
}

fn lock(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("ankideck.lock")).unwrap()
}

fn built(dir: &Path, args: &[&str]) -> Run {
    let build = run(dir, &[&["build"], args].concat());
    assert_eq!(build.code, 0, "{}", build.stderr);
    build
}

/// A deck's lock lines that hold a note, as (guid, note id, card ids).
fn notes(lock: &str, deck: &str) -> Vec<(String, String, String)> {
    (lock.lines().filter(|l| l.starts_with(&format!("note\t{deck}\t"))))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[2].to_string(), cols[3].to_string(), cols[4].to_string())
        })
        .collect()
}

/// The lock's `notetype` lines' names.
fn notetype_names(lock: &str) -> Vec<String> {
    (lock.lines().filter(|l| l.starts_with("notetype\t")))
        .map(|l| l.split('\t').nth(4).unwrap().to_string())
        .collect()
}

#[test]
fn decks_of_one_project_build_with_their_own_note_types() {
    let tmp = project(Some("[defaults]\nnotetype = \"reversed\"\n\n[decks.hist]\nnotetype = \"basic\"\n"));
    assert_eq!(run(tmp.path(), &["check"]).code, 0);
    built(tmp.path(), &["--csv"]);
    let dump = |package: &str| run(tmp.path(), &["dump", package]).stdout;
    let (geo, hist) = (dump("out/geo.apkg"), dump("out/hist.apkg"));
    assert!(geo.contains("\"ankideck Reversed\"") && !geo.contains("\"ankideck Flashcard\""), "{geo}");
    assert!(hist.contains("\"ankideck Flashcard\"") && !hist.contains("\"ankideck Reversed\""), "{hist}");
    let csv = |name: &str| std::fs::read_to_string(tmp.path().join("out").join(name)).unwrap();
    assert!(csv("geo.csv").contains("#notetype:ankideck Reversed\n"));
    assert!(csv("hist.csv").contains("#notetype:ankideck Flashcard\n"));
    // Each deck line names its deck's note type; the head holds both, each with its schema.
    let text = lock(tmp.path());
    assert!(text.contains("\ndeck\tgeo\t") && text.contains("\tGeo\t1732999311602\n"), "{text}");
    assert!(text.contains("\tHistory\t1732999311601\n"), "{text}");
    assert_eq!(notetype_names(&text), ["ankideck Flashcard", "ankideck Reversed"]);
    assert!(text.contains("\ntemplate\t1732999311602\t"), "{text}");
    assert_eq!(notes(&text, "geo").iter().filter(|n| n.2.contains(',')).count(), 2, "two cards a note");
    // A rebuild changes nothing, and `--locked` passes.
    built(tmp.path(), &["--csv", "--force"]);
    assert_eq!(lock(tmp.path()), text);
    built(tmp.path(), &["--csv", "--locked"]);
}

#[test]
fn a_deck_switched_to_another_normal_note_type_keeps_its_guids_and_says_how_to_update_anki() {
    let tmp = project(None);
    built(tmp.path(), &[]);
    let before = lock(tmp.path());
    settings(tmp.path(), "[decks.geo]\nnotetype = \"reversed\"\n");
    // `check` says it before anything is built, `--locked` refuses it.
    let check = run(tmp.path(), &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stderr.contains("W012"), "{}", check.stderr);
    let locked = run(tmp.path(), &["build", "--locked"]);
    assert_ne!(locked.code, 0, "{}", locked.stderr);
    assert!(locked.stderr.contains("W012"), "{}", locked.stderr);
    assert_eq!(lock(tmp.path()), before, "--locked writes nothing");
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(stderr.contains("source-cards/geo.txt:1:"), "{}", build.stderr);
    assert!(
        stderr.contains("built as `ankideck Flashcard` and are now `ankideck Reversed`"),
        "{}",
        build.stderr
    );
    assert!(stderr.contains("search \"deck:Geo\" \"note:ankideck Flashcard\""), "{}", build.stderr);
    assert!(stderr.contains("Notes > Change Note Type"), "{}", build.stderr);
    assert!(!build.stderr.contains("hist.txt:1:"), "hist keeps its type: {}", build.stderr);
    let after = lock(tmp.path());
    let (old, new) = (notes(&before, "geo"), notes(&after, "geo"));
    assert_eq!(old.len(), 2);
    for (old, new) in old.iter().zip(&new) {
        assert_eq!((&old.0, &old.1), (&new.0, &new.1), "guid and note id kept");
        assert!(new.2.starts_with(&format!("{},", old.2)), "card 1 keeps its id, card 2 is new: {new:?}");
    }
    assert_eq!(notes(&before, "hist"), notes(&after, "hist"));
    assert_eq!(notetype_names(&after), ["ankideck Flashcard", "ankideck Reversed"]);
    // Said once: the lock now knows the deck's new note type.
    let again = built(tmp.path(), &["--force"]);
    assert!(!again.stderr.contains("W012"), "{}", again.stderr);
    // Once no deck uses `basic`, its lines go.
    settings(tmp.path(), "[defaults]\nnotetype = \"reversed\"\n");
    built(tmp.path(), &[]);
    assert_eq!(notetype_names(&lock(tmp.path())), ["ankideck Reversed"]);
}

#[test]
fn a_deck_switched_between_normal_and_cloze_gets_new_identities_and_says_so() {
    let tmp = project(None);
    built(tmp.path(), &[]);
    let before = notes(&lock(tmp.path()), "geo");
    settings(tmp.path(), "[decks.geo]\nnotetype = \"cloze\"\n");
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(stderr.contains("every note of the deck gets a new identity"), "{}", build.stderr);
    assert!(stderr.contains("\"deck:Geo\" \"note:ankideck Flashcard\""), "{}", build.stderr);
    let after = notes(&lock(tmp.path()), "geo");
    assert_eq!(after.len(), 2);
    for new in &after {
        assert!(before.iter().all(|old| old.0 != new.0 && old.1 != new.1), "{before:?} {after:?}");
    }
}

const VOCAB: &str = "[defaults]\nnotetype = \"vocab\"\n\n[notetypes.vocab]\nfields = FIELDS\ncss = \"t/v.css\"\n\
    templates = [{ name = \"Recognise\", front = \"t/f.html\", back = \"t/b.html\" }]\n";

/// A project of the custom note type `vocab` with the fields `fields` (a TOML list).
fn vocab_project(fields: &str) -> tempfile::TempDir {
    let tmp = project(Some(&VOCAB.replace("FIELDS", fields)));
    std::fs::create_dir(tmp.path().join("t")).unwrap();
    for (name, text) in [
        ("v.css", ".card { color: #123; }\n"),
        ("f.html", "{{Word}}"),
        ("b.html", "{{FrontSide}}<hr id=answer>{{Meaning}}"),
    ] {
        std::fs::write(tmp.path().join("t").join(name), text).unwrap();
    }
    tmp
}

#[test]
fn a_custom_note_types_field_change_is_a_warning_before_anything_is_written() {
    let tmp = vocab_project("[\"Word\", \"Meaning\"]");
    built(tmp.path(), &[]);
    let before = lock(tmp.path());
    settings(tmp.path(), &VOCAB.replace("FIELDS", "[\"Word\", \"Meaning\", \"Example\"]"));
    let check = run(tmp.path(), &["check"]);
    assert!(check.stderr.contains("ankideck.toml:4:1: warning[W011]"), "{}", check.stderr);
    let locked = run(tmp.path(), &["build", "--locked"]);
    assert_ne!(locked.code, 0);
    assert!(locked.stderr.contains("W011"), "{}", locked.stderr);
    assert_eq!(lock(tmp.path()), before);
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(
        stderr.contains("note type `vocab` changed its fields or cards (fields added: Example)"),
        "{stderr}"
    );
    assert!(stderr.contains("tick \"Merge note types\""), "{stderr}");
    assert_eq!(build.stderr.matches("W011").count(), 1, "once for the note type, not per deck: {stderr}");
    let after = lock(tmp.path());
    assert!(after.contains("\tExample\n"), "the lock holds the new schema: {after}");
    let again = built(tmp.path(), &["--force"]);
    assert!(!again.stderr.contains("W011"), "{}", again.stderr);
    // Reordered fields are a change too (Anki compares the ids in order).
    settings(tmp.path(), &VOCAB.replace("FIELDS", "[\"Meaning\", \"Word\", \"Example\"]"));
    let build = built(tmp.path(), &[]);
    assert!(build.stderr.contains("fields reordered"), "{}", build.stderr);
}

#[test]
fn a_template_or_stylesheet_edit_updates_the_note_type_in_place_with_no_note_changed() {
    let tmp = vocab_project("[\"Word\", \"Meaning\"]");
    built(tmp.path(), &[]);
    let before = lock(tmp.path());
    std::fs::write(tmp.path().join("t/v.css"), ".card { color: #456; }\n").unwrap();
    std::fs::write(tmp.path().join("t/b.html"), "{{FrontSide}}<hr id=answer><b>{{Meaning}}</b>").unwrap();
    let build = built(tmp.path(), &[]);
    assert!(!build.stderr.contains("W011") && !build.stderr.contains("W012"), "{}", build.stderr);
    assert!(build.stderr.contains("0 new, 0 updated"), "{}", build.stderr);
    let after = lock(tmp.path());
    for deck in ["geo", "hist"] {
        assert_eq!(notes(&before, deck), notes(&after, deck));
    }
    let lines =
        |lock: &str| lock.lines().filter(|l| l.starts_with("note\t")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(lines(&before), lines(&after), "no note line changes (mod included)");
    let head = |lock: &str| lock.lines().find(|l| l.starts_with("notetype\t")).unwrap().to_string();
    assert_ne!(head(&before), head(&after), "the note type's mod and hash move forward");
}

/// `lock` as a build of lock version 3 wrote it: no schema lines, no kind on the note type line,
/// no note type on the deck lines (and the `end` lines' checksums to match).
fn as_version_3(lock: &str) -> String {
    let mut out = String::new();
    let mut body = String::new();
    for line in lock.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[0] {
            "version" => out.push_str("version\t3\n"),
            "field" | "template" => {}
            "notetype" | "deck" => {
                let text = format!("{}\n", cols[..cols.len() - 1].join("\t"));
                if cols[0] == "deck" { body.push_str(&text) } else { out.push_str(&text) }
            }
            "note" => body.push_str(&format!("{line}\n")),
            "end" => {
                let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
                out.push_str(&body);
                out.push_str(&format!("end\t{}\t{}\t{hash:016x}\n", cols[1], cols[2]));
                body.clear();
            }
            _ => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

#[test]
fn a_version_3_lock_of_one_note_type_is_upgraded_with_every_identity_and_no_warning() {
    let tmp = project(Some("[defaults]\nnotetype = \"reversed\"\n"));
    built(tmp.path(), &[]);
    let v4 = lock(tmp.path());
    let v3 = as_version_3(&v4);
    assert!(v3.contains("\nversion\t3\n") && !v3.contains("\nfield\t"), "{v3}");
    std::fs::write(tmp.path().join("ankideck.lock"), &v3).unwrap();
    let build = built(tmp.path(), &[]);
    assert!(!build.stderr.contains("W01"), "{}", build.stderr);
    assert!(build.stderr.contains("0 new, 0 updated"), "{}", build.stderr);
    assert_eq!(lock(tmp.path()), v4, "every identity kept, the deck's note type and the schema added");
    // From a version-3 lock, a switch is seen all the same: its decks were of the head's type.
    std::fs::write(tmp.path().join("ankideck.lock"), &v3).unwrap();
    settings(tmp.path(), "[defaults]\nnotetype = \"type-in\"\n");
    let build = built(tmp.path(), &[]);
    assert_eq!(build.stderr.matches("W012").count(), 2, "{}", build.stderr);
    assert!(build.stderr.contains("built as `ankideck Reversed`"), "{}", build.stderr);
}

#[test]
fn locked_on_a_version_3_lock_says_it_is_upgraded_and_not_that_a_note_type_changed() {
    let tmp = project(Some("[defaults]\nnotetype = \"reversed\"\n"));
    built(tmp.path(), &[]);
    let v3 = as_version_3(&lock(tmp.path()));
    std::fs::write(tmp.path().join("ankideck.lock"), &v3).unwrap();
    let locked = run(tmp.path(), &["build", "--locked"]);
    assert_eq!(locked.code, 1, "{}", locked.stderr);
    assert!(locked.stderr.contains("it is rewritten as lock version 4"), "{}", locked.stderr);
    // Only the schema lines a version-3 lock did not have are added: no note type changed.
    assert!(!locked.stderr.contains("note type"), "{}", locked.stderr);
    // A deck switched at the same time: the note types' lines change, and it is said.
    settings(tmp.path(), "[defaults]\nnotetype = \"reversed\"\n[decks.geo]\nnotetype = \"basic\"\n");
    let locked = run(tmp.path(), &["build", "--locked"]);
    assert_eq!(locked.code, 1, "{}", locked.stderr);
    assert!(locked.stderr.contains("    the note types' lines ("), "{}", locked.stderr);
    assert_eq!(lock(tmp.path()), v3, "--locked wrote nothing");
}

#[test]
fn a_switched_deck_whose_lock_section_is_damaged_or_lost_keeps_its_identities_from_its_package() {
    let tmp = project(Some("[defaults]\nnotetype = \"reversed\"\n"));
    built(tmp.path(), &[]);
    let before = lock(tmp.path());
    let guids = |lock: &str| notes(lock, "geo").into_iter().map(|n| (n.0, n.1)).collect::<Vec<_>>();
    // Switched to `basic` (the package in out/ is `reversed`'s) with a note line of the lock lost
    // (a cut, a bad merge): the identities are read back from the package, of the old type.
    settings(tmp.path(), "[defaults]\nnotetype = \"reversed\"\n[decks.geo]\nnotetype = \"basic\"\n");
    let cut =
        before.lines().filter(|l| !l.ends_with("\tCapital of France?")).collect::<Vec<_>>().join("\n") + "\n";
    assert_ne!(cut, before);
    std::fs::write(tmp.path().join("ankideck.lock"), &cut).unwrap();
    let build = built(tmp.path(), &[]);
    assert!(build.stderr.contains("carried over from out/geo.apkg"), "{}", build.stderr);
    assert!(build.stderr.contains("W012"), "{}", build.stderr);
    assert!(build.stderr.contains("(0 new, "), "{}", build.stderr);
    assert_eq!(guids(&lock(tmp.path())), guids(&before), "every note keeps its guid and id");
    // The lock lost altogether, after the switch: the same.
    std::fs::write(tmp.path().join("ankideck.lock"), &before).unwrap();
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    settings(tmp.path(), "[defaults]\nnotetype = \"reversed\"\n");
    built(tmp.path(), &[]);
    settings(tmp.path(), "[defaults]\nnotetype = \"reversed\"\n[decks.geo]\nnotetype = \"type-in\"\n");
    std::fs::remove_file(tmp.path().join("ankideck.lock")).unwrap();
    let check = run(tmp.path(), &["check"]);
    assert!(check.stderr.contains("W012"), "`check` reads out/ with no lock too: {}", check.stderr);
    let build = built(tmp.path(), &[]);
    assert!(build.stderr.contains("(0 new, "), "{}", build.stderr);
    // With no lock to say so, out/ does: the deck's name is the package's.
    let stderr = build.stderr.replace('\n', " ");
    assert!(stderr.contains("out/geo.apkg, the deck's last build"), "{}", build.stderr);
    assert!(stderr.contains("search \"deck:Geo\" \"note:ankideck Reversed\""), "{}", build.stderr);
    assert_eq!(guids(&lock(tmp.path())), guids(&before), "every note keeps its guid and id");
}

#[test]
fn a_deck_switched_between_normal_and_cloze_with_its_lock_lost_gives_no_new_note_an_old_guid() {
    let tmp = project(None);
    built(tmp.path(), &[]);
    let before = notes(&lock(tmp.path()), "geo");
    // The lock lost and the deck switched to cloze: its notes are new notes (the cards do not
    // map), so none may take the guid of a note Anki has under `basic` (guids are made from the
    // content, which did not change): Anki would skip it as "conflicting".
    std::fs::remove_file(tmp.path().join("ankideck.lock")).unwrap();
    settings(tmp.path(), "[decks.geo]\nnotetype = \"cloze\"\n");
    let build = built(tmp.path(), &[]);
    assert!(build.stderr.contains("(2 new, "), "{}", build.stderr);
    let after = notes(&lock(tmp.path()), "geo");
    assert_eq!(after.len(), before.len());
    for (guid, _, _) in &before {
        assert!(after.iter().all(|n| &n.0 != guid), "{guid} given to a new note: {after:?}");
    }
}

#[test]
fn a_card_moved_to_a_deck_of_another_note_type_keeps_its_guid_and_says_how_to_update_anki() {
    let tmp = project(Some("[decks.hist]\nnotetype = \"reversed\"\n"));
    built(tmp.path(), &[]);
    let before = lock(tmp.path());
    let river = notes(&before, "geo")[1].clone();
    let (geo, card) = GEO.split_at(GEO.find("\nRIVERS").unwrap());
    std::fs::write(tmp.path().join("source-cards/geo.txt"), format!("{geo}\n")).unwrap();
    std::fs::write(tmp.path().join("source-cards/hist.txt"), format!("{HISTORY}{card}")).unwrap();
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(stderr.contains("hist.txt:1:"), "{}", build.stderr);
    assert!(
        stderr.contains("1 note(s) moved here from a deck built as `ankideck Flashcard`, and this deck is `ankideck Reversed`"),
        "{}",
        build.stderr
    );
    assert!(stderr.contains(&format!("search nid:{} in Browse", river.1)), "{}", build.stderr);
    let moved = notes(&lock(tmp.path()), "hist").into_iter().find(|n| n.0 == river.0);
    assert!(moved.is_some_and(|n| n.1 == river.1), "the moved note keeps its guid and id");
    // Between decks of one note type, no such warning.
    let again = built(tmp.path(), &["--force"]);
    assert!(!again.stderr.contains("W012"), "{}", again.stderr);
}

#[test]
fn a_card_moved_between_a_normal_and_a_cloze_deck_is_told_that_anki_maps_fields_by_position() {
    let tmp = project(Some("[decks.hist]\nnotetype = \"cloze\"\n"));
    std::fs::write(
        tmp.path().join("source-cards/hist.txt"),
        "History\nWAR\nIt started in {{c1::1939}}.\n---\n",
    )
    .unwrap();
    built(tmp.path(), &[]);
    // geo's second card (built as `basic`) moved to the cloze deck.
    let (geo, card) = GEO.split_at(GEO.find("\nRIVERS").unwrap());
    std::fs::write(tmp.path().join("source-cards/geo.txt"), format!("{geo}\n")).unwrap();
    let hist = format!("History\nWAR\nIt started in {{{{c1::1939}}}}.\n---\n{}", card.trim_start());
    std::fs::write(tmp.path().join("source-cards/hist.txt"), hist).unwrap();
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(
        stderr.contains("1 note(s) moved here from a deck built as `ankideck Flashcard`"),
        "{}",
        build.stderr
    );
    // `Front`, `Back` and `Text`, `Back Extra` share no name: "fields by name" maps nothing.
    assert!(!stderr.contains("fields by name"), "{}", build.stderr);
    assert!(stderr.contains("by position"), "{}", build.stderr);
}

#[test]
fn a_switched_deck_whose_package_cannot_be_put_in_place_leaves_a_lock_that_names_every_note_type() {
    let tmp = project(None);
    built(tmp.path(), &[]);
    settings(tmp.path(), "[defaults]\nnotetype = \"reversed\"\n");
    // geo's package cannot be put in place (a folder is in its way).
    let blocked = tmp.path().join("out/geo.apkg");
    std::fs::remove_file(&blocked).unwrap();
    std::fs::create_dir(&blocked).unwrap();
    let build = run(tmp.path(), &["build"]);
    assert_eq!(build.code, 2, "{}", build.stderr);
    assert_eq!(build.stderr.matches("W012").count(), 2, "{}", build.stderr);
    let after = lock(tmp.path());
    // Every deck line's note type has its lines in the head.
    for deck in after.lines().filter(|l| l.starts_with("deck\t")) {
        let id = deck.rsplit('\t').next().unwrap();
        assert!(after.contains(&format!("\nnotetype\t{id}\t")), "{deck}: {after}");
    }
    std::fs::remove_dir(&blocked).unwrap();
    built(tmp.path(), &[]);
    assert_eq!(notetype_names(&lock(tmp.path())), ["ankideck Reversed"]);
}

#[test]
fn a_deck_file_renamed_and_switched_to_another_note_type_says_how_to_update_anki() {
    let tmp = project(None);
    built(tmp.path(), &[]);
    std::fs::rename(tmp.path().join("source-cards/geo.txt"), tmp.path().join("source-cards/places.txt"))
        .unwrap();
    settings(tmp.path(), "[decks.places]\nnotetype = \"reversed\"\n");
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(stderr.contains("places.txt:1:"), "{}", build.stderr);
    assert!(
        stderr.contains("2 note(s) moved here from a deck built as `ankideck Flashcard`"),
        "{}",
        build.stderr
    );
}

#[test]
fn a_deck_switched_to_a_custom_note_type_is_told_which_field_takes_the_front_and_the_back() {
    let tmp = project(None);
    built(tmp.path(), &[]);
    let custom = vocab_project("[\"Word\", \"Meaning\"]");
    std::fs::rename(custom.path().join("t"), tmp.path().join("t")).unwrap();
    settings(tmp.path(), &VOCAB.replace("FIELDS", "[\"Word\", \"Meaning\"]"));
    let before = notes(&lock(tmp.path()), "geo");
    let build = built(tmp.path(), &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(
        stderr.contains("map Front to Word, Back to Meaning and Card 1 to Recognise"),
        "{}",
        build.stderr
    );
    let after = notes(&lock(tmp.path()), "geo");
    assert_eq!(
        before.iter().map(|n| &n.0).collect::<Vec<_>>(),
        after.iter().map(|n| &n.0).collect::<Vec<_>>(),
        "the guids are kept: the custom type holds the front and the back"
    );
}

/// A switch to a note type of fewer cards: Change Note Type has nowhere to put the old type's
/// other cards and deletes them with their review history; the hint says so, card by card.
#[test]
fn a_deck_switched_to_a_note_type_of_fewer_cards_is_told_which_cards_anki_deletes() {
    let tmp = project(Some("[decks.geo]\nnotetype = \"reversed\"\n"));
    built(tmp.path(), &[]);
    settings(tmp.path(), "[decks.geo]\nnotetype = \"type-in\"\n");
    let check = run(tmp.path(), &["check"]);
    let stderr = check.stderr.replace('\n', " ");
    assert!(stderr.contains("Card 1 to Card 1, Card 2 to nothing"), "{}", check.stderr);
    assert!(stderr.contains("Anki deletes those cards, and their review history"), "{}", check.stderr);
    // The other way round, every old card has a place: nothing is said to be deleted.
    let tmp = project(None);
    built(tmp.path(), &[]);
    settings(tmp.path(), "[decks.geo]\nnotetype = \"reversed\"\n");
    let check = run(tmp.path(), &["check"]);
    assert!(!check.stderr.contains("to nothing"), "{}", check.stderr);
    assert!(check.stderr.replace('\n', " ").contains("Card 1 to Card 1"), "{}", check.stderr);
}

/// Runs git in `dir` (a committer of its own, no global settings needed).
fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_checkout_whose_lock_names_another_note_type_than_the_last_package_says_how_to_update_anki() {
    // main: `geo` is `reversed`, built and committed (out/ is not).
    let tmp = project(Some("[decks.geo]\nnotetype = \"reversed\"\n"));
    let dir = tmp.path();
    std::fs::write(dir.join(".gitignore"), "out/\n").unwrap();
    built(dir, &[]);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "main"]);
    // Branch b switches `geo` to `basic` and builds: out/geo.apkg holds `basic` notes.
    git(dir, &["checkout", "-q", "-b", "b"]);
    settings(dir, "[decks.geo]\nnotetype = \"basic\"\n");
    let switched = built(dir, &[]);
    assert!(switched.stderr.contains("W012"), "{}", switched.stderr);
    git(dir, &["commit", "-q", "-am", "geo as basic"]);
    // Back on main the lock says `reversed`, as the settings do; out/ says `basic`: said by
    // `--locked` (which writes the decks, the lock being as it says)...
    git(dir, &["checkout", "-q", "main"]);
    let check = run(dir, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_switch_told(&check.stderr);
    let locked = run(dir, &["build", "--locked"]);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    assert_switch_told(&locked.stderr);
    // ... once: out/ now holds what the lock says.
    let again = built(dir, &[]);
    assert!(!again.stderr.contains("W012"), "{}", again.stderr);
    // And by `build`, on the next round trip.
    git(dir, &["checkout", "-q", "b"]);
    built(dir, &[]);
    git(dir, &["checkout", "-q", "main"]);
    assert_switch_told(&built(dir, &[]).stderr);
    let again = built(dir, &["--force"]);
    assert!(!again.stderr.contains("W012"), "{}", again.stderr);
}

#[test]
fn a_checkout_is_told_from_the_package_when_the_state_file_records_no_note_type() {
    // As above, with state files an earlier version wrote (no note type line): the package is
    // read because the lock section is not the one the last build wrote.
    let tmp = project(Some("[decks.geo]\nnotetype = \"reversed\"\n"));
    let dir = tmp.path();
    std::fs::write(dir.join(".gitignore"), "out/\n").unwrap();
    built(dir, &[]);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "main"]);
    git(dir, &["checkout", "-q", "-b", "b"]);
    settings(dir, "[decks.geo]\nnotetype = \"basic\"\n");
    built(dir, &[]);
    git(dir, &["commit", "-q", "-am", "geo as basic"]);
    let state = dir.join("out/.ankideck-state/geo.state");
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.contains("\nnotetype "), "{text}");
    std::fs::write(&state, text.lines().next().unwrap().to_string() + "\n").unwrap();
    git(dir, &["checkout", "-q", "main"]);
    assert_switch_told(&built(dir, &[]).stderr);
}

#[test]
fn a_checkout_back_from_a_cloze_branch_says_the_packages_cloze_notes_stay_in_anki() {
    let tmp = project(None);
    let dir = tmp.path();
    std::fs::write(dir.join(".gitignore"), "out/\n").unwrap();
    built(dir, &[]);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "main"]);
    git(dir, &["checkout", "-q", "-b", "b"]);
    settings(dir, "[decks.geo]\nnotetype = \"cloze\"\n");
    built(dir, &[]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "geo as cloze"]);
    git(dir, &["checkout", "-q", "main"]);
    let before = notes(&lock(dir), "geo");
    let build = built(dir, &[]);
    let stderr = build.stderr.replace('\n', " ");
    assert!(stderr.contains("source-cards/geo.txt:1:"), "{}", build.stderr);
    assert!(stderr.contains("holds `ankideck Cloze` notes"), "{}", build.stderr);
    assert!(stderr.contains("Anki cannot map the cards"), "{}", build.stderr);
    assert!(stderr.contains("search \"deck:Geo\" \"note:ankideck Cloze\""), "{}", build.stderr);
    assert_eq!(notes(&lock(dir), "geo"), before, "main's identities are kept");
}

/// Whether `stderr` tells that out/geo.apkg holds `basic` notes, with the steps to `reversed`.
fn assert_switch_told(stderr: &str) {
    let flat = stderr.replace('\n', " ");
    assert!(flat.contains("source-cards/geo.txt:1:"), "{stderr}");
    assert!(flat.contains("out/geo.apkg, the deck's last build"), "{stderr}");
    assert!(flat.contains("holds `ankideck Flashcard` notes"), "{stderr}");
    assert!(flat.contains("search \"deck:Geo\" \"note:ankideck Flashcard\""), "{stderr}");
    assert!(flat.contains("Notes > Change Note Type, choose `ankideck Reversed`"), "{stderr}");
    assert!(!stderr.contains("hist.txt:1:"), "hist kept its type: {stderr}");
}
