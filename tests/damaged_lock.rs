//! End-to-end tests of a damaged or hand-edited lock file: the real `ankideck` binary on a temp
//! project. A damaged deck section is found by its `end` line (count and checksum), by a bad or
//! repeated line, or by a guid used twice; the deck's identities then come from its package in
//! `out/`, or the deck is not built (exit 1). Merge-conflict markers stop the build.

use std::path::PathBuf;

const T1: i64 = 1_764_000_000;
const T2: i64 = 1_764_100_000;
const T3: i64 = 1_764_200_000;
const LOCK: &str = "ankideck.lock";

mod common;
use common::Project;

/// What these tests add to the shared project: decks of their own, and the notes of a package.
impl Project {
    /// A project with one generated deck file per `(stem, cards)`.
    fn with_decks(decks: &[(&str, usize)]) -> Project {
        let project = Project::empty();
        for (stem, cards) in decks {
            project.write(&format!("source-cards/{stem}.txt"), deck_text(stem, *cards).as_bytes());
        }
        project
    }

    /// The identity of every note of a package: (guid, note id, mod, sort field), in id order.
    fn notes(&self, apkg: &str) -> Vec<(String, i64, i64, String)> {
        self.dump(apkg)
            .lines()
            .filter_map(|line| line.strip_prefix("note "))
            .map(|line| {
                let field = |name: &str| {
                    let start = line.find(&format!(" {name}=")).unwrap() + name.len() + 2;
                    line[start..].split(' ').next().unwrap().to_string()
                };
                let sfld =
                    line[line.find(" sfld=\"").unwrap() + 7..line.rfind("\" csum=").unwrap()].to_string();
                (
                    field("guid"),
                    line.split(' ').next().unwrap().parse().unwrap(),
                    field("mod").parse().unwrap(),
                    sfld,
                )
            })
            .collect()
    }
}

/// A deck of `cards` cards, each with a front and a back of its own.
fn deck_text(stem: &str, cards: usize) -> String {
    let mut text = format!("DECK {} Flashcards\n", stem.to_uppercase());
    for i in 0..cards {
        text.push_str(&format!(
            "SECTION\nWhat is fact number {i} of deck {stem}?\nIt is answer {i} of {stem}.\n"
        ));
    }
    text
}

/// The 1-based number of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{text}"))
        + 1
}

/// `text` without the lines whose 1-based numbers are in `lines`.
fn without_lines(text: &str, lines: std::ops::RangeInclusive<usize>) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| !lines.contains(&(i + 1)))
        .map(|(_, l)| l)
        .collect()
}

/// The note lines of deck `key` in lock text.
fn note_lines<'a>(lock: &'a str, key: &str) -> Vec<&'a str> {
    lock.lines().filter(|l| l.starts_with(&format!("note\t{key}\t"))).collect()
}

/// A lock cut at a line boundary (the last 5 note lines and the `end` line lost), with the package
/// still in out/: every identity comes back from the package, and the build names the line.
#[test]
fn cut_lock_with_its_package_keeps_every_identity() {
    let project = Project::with_decks(&[("cut", 20)]);
    project.build(T1, &[], 0);
    let before = project.notes("out/cut.apkg");
    let lock = project.read(LOCK);
    let end = line_of(&lock, "end\tcut\t");
    let cut = without_lines(&lock, end - 5..=end);
    project.write(LOCK, cut.as_bytes());

    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 20 unchanged, 0 removed)"), "{}", run.stderr);
    let named = format!(
        "note identities carried over from out/cut.apkg, because ankideck.lock:{}: the section of deck `cut` ends without its `end` line",
        end - 6
    );
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert_eq!(project.notes("out/cut.apkg"), before, "identities changed");
    assert_eq!(project.read(LOCK), lock, "the rebuilt lock section is not the sound one");
    // Sound again: the next build is a no-op.
    let run = project.build(T3, &[], 0);
    assert!(run.stderr.contains("0 built, 1 up to date"), "{}", run.stderr);
}

/// The same cut without the package: the deck is not built (exit 1), the message names the lock
/// line and what to do, its damaged section is written back as it was, and the other deck builds.
#[test]
fn cut_lock_without_its_package_is_not_built() {
    let project = Project::with_decks(&[("a", 10), ("b", 3)]);
    project.build(T1, &[], 0);
    let lock = project.read(LOCK);
    let end = line_of(&lock, "end\ta\t");
    let cut = without_lines(&lock, end - 2..=end);
    project.write(LOCK, cut.as_bytes());
    std::fs::remove_file(project.path("out/a.apkg")).unwrap();
    // b changes: it is built in the same run.
    project.write("source-cards/b.txt", deck_text("b", 4).as_bytes());

    let run = project.build(T2, &[], 1);
    let named = format!(
        "source-cards/a.txt: not built: ankideck.lock:{}: the section of deck `a` ends without",
        end - 3
    );
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert!(run.stderr.contains("git checkout -- ankideck.lock"), "{}", run.stderr);
    assert!(run.stderr.contains("delete the lines of deck `a`"), "{}", run.stderr);
    assert!(!project.exists("out/a.apkg"), "a was built with new identities");
    assert!(run.stderr.contains("(1 new, 0 updated, 3 unchanged, 0 removed)"), "b is built: {}", run.stderr);
    // a's damaged lines are kept as they were: not laundered under a fresh checksum.
    let after = project.read(LOCK);
    let a_lines =
        |text: &str| text.lines().filter(|l| l.contains("\ta\t")).map(String::from).collect::<Vec<_>>();
    assert_eq!(a_lines(&after), a_lines(&cut));
    assert!(!after.contains("end\ta\t"), "{after}");
    // Still damaged on the next build.
    let run = project.build(T3, &[], 1);
    assert!(run.stderr.contains("not built: ankideck.lock:"), "{}", run.stderr);
}

/// A note line edited by hand (still well formed) no longer matches the checksum.
#[test]
fn hand_edited_line_is_found_by_the_checksum() {
    let project = Project::with_decks(&[("edited", 5)]);
    project.build(T1, &[], 0);
    let before = project.notes("out/edited.apkg");
    let lock = project.read(LOCK);
    let line = note_lines(&lock, "edited")[2];
    // A different guid: without the checksum it would be taken as this note's identity.
    let cols: Vec<&str> = line.split('\t').collect();
    let edited_line = line.replacen(cols[2], "hand-made", 1);
    project.write(LOCK, lock.replacen(line, &edited_line, 1).as_bytes());

    let run = project.build(T2, &[], 0);
    let end = line_of(&lock, "end\tedited\t");
    let deck = line_of(&lock, "deck\tedited\t");
    let named = format!(
        "because ankideck.lock:{end}: the section of deck `edited` (lines {deck}-{}) does not match the checksum",
        end - 1
    );
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert_eq!(project.notes("out/edited.apkg"), before);
    assert_eq!(project.read(LOCK), lock);
}

/// A repeated line (today: exit 2, `rowid … out of order`) is named with the line it repeats.
#[test]
fn duplicated_line_is_named_with_the_line_it_repeats() {
    let project = Project::with_decks(&[("dup", 5)]);
    project.build(T1, &[], 0);
    let before = project.notes("out/dup.apkg");
    let lock = project.read(LOCK);
    let line = note_lines(&lock, "dup")[1];
    let number = line_of(&lock, line);
    project.write(LOCK, lock.replacen(line, &format!("{line}\n{line}"), 1).as_bytes());

    let run = project.build(T2, &[], 0);
    let named = format!("ankideck.lock:{}: a repeated line: it is the same as line {number}", number + 1);
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert_eq!(project.notes("out/dup.apkg"), before);
    assert_eq!(project.read(LOCK), lock);

    // Without the package, the advice is to delete the copy, not the deck's lines.
    let damaged = lock.replacen(line, &format!("{line}\n{line}"), 1);
    project.write(LOCK, damaged.as_bytes());
    std::fs::remove_dir_all(project.path("out")).unwrap();
    let run = project.build(T2, &[], 1);
    let advice = format!("delete line {} of ankideck.lock (the copy)", number + 1);
    assert!(run.stderr.contains(&advice), "{}", run.stderr);
    assert_eq!(project.read(LOCK), damaged, "the damaged lines are left as they were");
}

/// A guid copied by hand into another deck's section: both lines are named; each deck keeps its
/// own notes' guids, read back from its package.
#[test]
fn guid_used_in_two_decks_is_named_on_both_lines() {
    let project = Project::with_decks(&[("a", 3), ("b", 3)]);
    project.build(T1, &[], 0);
    let (a, b) = (project.notes("out/a.apkg"), project.notes("out/b.apkg"));
    let lock = project.read(LOCK);
    let a_line = note_lines(&lock, "a")[0];
    let b_line = note_lines(&lock, "b")[1];
    let (a_guid, b_guid) = (a_line.split('\t').nth(2).unwrap(), b_line.split('\t').nth(2).unwrap());
    let edited = b_line.replacen(&format!("\t{b_guid}\t"), &format!("\t{a_guid}\t"), 1);
    project.write(LOCK, lock.replacen(b_line, &edited, 1).as_bytes());

    let run = project.build(T2, &[], 0);
    let named = format!(
        "ankideck.lock:{}: guid `{a_guid}` is also used on line {} (deck `a`)",
        line_of(&lock, b_line),
        line_of(&lock, a_line)
    );
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert_eq!(project.notes("out/a.apkg"), a);
    assert_eq!(project.notes("out/b.apkg"), b, "b's note took a's guid");
    assert_eq!(project.read(LOCK), lock);
}

/// A lock cut in the middle of a line (a partial copy): the line cut short is named.
#[test]
fn line_cut_midway_is_named() {
    let project = Project::with_decks(&[("half", 6)]);
    project.build(T1, &[], 0);
    let before = project.notes("out/half.apkg");
    let lock = project.read(LOCK);
    let line = note_lines(&lock, "half")[3];
    // Cut two characters into the note id column: the line has 4 of its 12 columns.
    let at = lock.find(line).unwrap() + line.split('\t').take(3).map(|c| c.len() + 1).sum::<usize>() + 2;
    project.write(LOCK, &lock.as_bytes()[..at]);

    let run = project.build(T2, &[], 0);
    let named =
        format!("ankideck.lock:{}: a note line cut short: it has 4 of its 12 columns", line_of(&lock, line));
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert_eq!(project.notes("out/half.apkg"), before);
    assert_eq!(project.read(LOCK), lock);
}

/// A renamed deck file whose old lock section is damaged: its identities come from the package
/// of its old name.
#[test]
fn renamed_deck_with_a_damaged_section_keeps_its_identities() {
    let project = Project::with_decks(&[("old", 6)]);
    project.build(T1, &[], 0);
    let before = project.notes("out/old.apkg");
    let lock = project.read(LOCK);
    let end = line_of(&lock, "end\told\t");
    project.write(LOCK, without_lines(&lock, end..=end).as_bytes());
    std::fs::rename(project.path("source-cards/old.txt"), project.path("source-cards/new.txt")).unwrap();

    let run = project.build(T2, &[], 0);
    assert!(
        run.stderr.contains(
            "carried over from out/old.apkg (same deck name; its file is gone), because ankideck.lock:"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(0 new, 0 updated, 6 unchanged, 0 removed)"), "{}", run.stderr);
    assert_eq!(project.notes("out/new.apkg"), before);
    assert!(!project.read(LOCK).contains("\told\t"), "the old section is gone");
}

/// Git merge-conflict markers: the build stops (exit 1), writes nothing and says how to resolve.
#[test]
fn merge_conflict_markers_stop_the_build() {
    let project = Project::with_decks(&[("a", 3), ("b", 3)]);
    project.build(T1, &[], 0);
    let lock = project.read(LOCK);
    let a_end = line_of(&lock, "end\ta\t");
    let theirs = note_lines(&lock, "b")[0].replace("\tb\t1\t", "\tb\t9\t");
    let mut lines: Vec<String> = lock.lines().map(String::from).collect();
    let b_first = line_of(&lock, "note\tb\t") - 1;
    lines.splice(
        b_first..=b_first,
        [
            "<<<<<<< HEAD".to_string(),
            lines[b_first].clone(),
            "=======".into(),
            theirs,
            ">>>>>>> other".into(),
        ],
    );
    let conflicted = lines.join("\n") + "\n";
    project.write(LOCK, conflicted.as_bytes());
    project.write("source-cards/a.txt", deck_text("a", 4).as_bytes());
    let before = project.files();

    let run = project.build(T2, &[], 1);
    assert!(a_end < b_first);
    let named = format!("error: ankideck.lock:{}: a git merge-conflict marker", b_first + 1);
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert!(run.stderr.contains("git checkout --theirs -- ankideck.lock"), "{}", run.stderr);
    assert!(project.files() == before, "a build with conflict markers in the lock wrote something");
}

/// A damaged head (a note type line cut short): the build stops (exit 1) and writes nothing.
#[test]
fn damaged_head_stops_the_build() {
    let project = Project::with_decks(&[("a", 3)]);
    project.build(T1, &[], 0);
    let lock = project.read(LOCK);
    let line = lock.lines().find(|l| l.starts_with("notetype\t")).unwrap();
    project.write(LOCK, lock.replacen(line, &line[..12], 1).as_bytes());
    project.write("source-cards/a.txt", deck_text("a", 4).as_bytes());
    let before = project.files();
    let run = project.build(T2, &[], 1);
    let named = format!("error: ankideck.lock:{}: bad notetype entry", line_of(&lock, "notetype\t"));
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    assert!(project.files() == before);
}

/// A deck's lines moved to two places (a bad merge): damaged, recovered from the package.
#[test]
fn deck_lines_in_two_places_are_damaged() {
    let project = Project::with_decks(&[("a", 3), ("b", 3)]);
    project.build(T1, &[], 0);
    let (a, b) = (project.notes("out/a.apkg"), project.notes("out/b.apkg"));
    let lock = project.read(LOCK);
    let moved_line = note_lines(&lock, "a")[0];
    let moved = lock.replacen(&format!("{moved_line}\n"), "", 1) + moved_line + "\n";
    project.write(LOCK, moved.as_bytes());
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("the lines of deck `a` stand in 2 places"), "{}", run.stderr);
    assert_eq!(project.notes("out/a.apkg"), a);
    assert_eq!(project.notes("out/b.apkg"), b);
    assert_eq!(project.read(LOCK), lock);
}

/// Every `end` line of `lock` holds its section's note count and the xxh3-64 of its deck line
/// through its last note line.
fn assert_trailers_are_right(lock: &str) {
    let mut section = String::new();
    let mut ends = 0;
    for line in lock.split_inclusive('\n') {
        if line.starts_with("deck\t") {
            section.clear();
        }
        if let Some(rest) = line.strip_prefix("end\t") {
            let cols: Vec<&str> = rest.trim_end().split('\t').collect();
            let count = section.lines().filter(|l| l.starts_with("note\t")).count();
            assert_eq!(cols[1], count.to_string(), "count of {line}");
            assert_eq!(cols[2], format!("{:016x}", xxhash_rust::xxh3::xxh3_64(section.as_bytes())), "{line}");
            ends += 1;
        } else if line.starts_with("deck\t") || line.starts_with("note\t") {
            section.push_str(line);
        }
    }
    assert_eq!(ends, lock.lines().filter(|l| l.starts_with("deck\t")).count(), "{lock}");
}

/// A v3 lock round-trips: a forced rebuild and a `--locked` build leave every byte as it is.
#[test]
fn version_3_lock_is_byte_stable() {
    let project = Project::with_decks(&[("a", 4), ("b", 2)]);
    project.build(T1, &["--csv"], 0);
    let lock = project.read(LOCK);
    assert!(lock.contains("\nversion\t3\n"), "{lock}");
    assert_trailers_are_right(&lock);
    let before = project.files();
    project.build(T2, &["--csv", "--force"], 0);
    assert!(
        project
            .files()
            .into_iter()
            .filter(|(p, _)| !p.starts_with("out/.ankideck-state"))
            .eq(before.into_iter().filter(|(p, _)| !p.starts_with("out/.ankideck-state")))
    );
    project.build(T2, &["--csv", "--locked"], 0);
}

/// The lines only in `old` and the lines only in `new`, as a line diff (`git diff --numstat`)
/// counts them: what is not in their longest common subsequence.
fn line_diff<'a>(old: &'a str, new: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    // common[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] =
                if a[i] == b[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let (mut removed, mut added, mut i, mut j) = (Vec::new(), Vec::new(), 0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || common[i][j + 1] >= common[i + 1][j]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    (removed, added)
}

/// The lock diffs well: a card inserted at the top of a deck of 50 changes two lines, the new
/// note's (added) and the deck's `end` line (its count and checksum), not every line below it.
#[test]
fn inserting_a_card_at_the_top_changes_two_lock_lines() {
    let project = Project::with_decks(&[("fifty", 50)]);
    project.build(T1, &[], 0);
    let before = project.read(LOCK);
    let text = deck_text("fifty", 50);
    let (title, cards) = text.split_at(text.find('\n').unwrap() + 1);
    project.write(
        "source-cards/fifty.txt",
        format!("{title}SECTION\nWhat is the fact inserted at the top?\nIt is new.\n{cards}").as_bytes(),
    );
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(1 new, 0 updated, 50 unchanged, 0 removed)"), "{}", run.stderr);
    let after = project.read(LOCK);
    let (removed, added) = line_diff(&before, &after);
    assert_eq!(removed.len() + added.len(), 3, "-{removed:#?}\n+{added:#?}");
    assert!(removed[0].starts_with("end\tfifty\t50\t"), "{removed:?}");
    assert!(
        added[0].starts_with("note\tfifty\t")
            && added[0].ends_with("\tWhat is the fact inserted at the top?")
    );
    assert!(added[1].starts_with("end\tfifty\t51\t"), "{added:?}");
}

/// Built from disk, a deck's lock section gets the same `end` line as in memory.
#[test]
fn streamed_build_writes_the_same_trailers() {
    let memory = Project::with_decks(&[("a", 30), ("b", 5)]);
    let disk = Project::with_decks(&[("a", 30), ("b", 5)]);
    memory.build(T1, &[], 0);
    disk.build(T1, &["--stream-above", "0"], 0);
    let lock = disk.read(LOCK);
    assert_trailers_are_right(&lock);
    assert_eq!(lock, memory.read(LOCK));
    // Damage is found in a deck built from disk too.
    let end = line_of(&lock, "end\ta\t");
    disk.write(LOCK, without_lines(&lock, end - 1..=end - 1).as_bytes());
    let run = disk.build(T2, &["--stream-above", "0"], 0);
    assert!(run.stderr.contains("has 29 note lines, its `end` line says 30"), "{}", run.stderr);
    assert_eq!(disk.read(LOCK), lock);
}

/// A version-1 lock (no `end` lines) is read with every identity, and upgraded on the next write.
#[test]
fn version_1_lock_is_read_and_upgraded() {
    let in_memory = version_1_lock_rebuilt(&[]);
    // A deck read from disk is matched the same way, to the same lock.
    assert_eq!(version_1_lock_rebuilt(&["--stream-above", "0"]), in_memory);
}

/// The `lock-v1` fixture's deck rebuilt (with `args`) over its version-1 lock: the lock written.
fn version_1_lock_rebuilt(args: &[&str]) -> String {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock-v1");
    let project = Project::with_decks(&[]);
    project.write(
        "source-cards/soviet-history.txt",
        &std::fs::read(fixture.join("soviet-history.txt")).unwrap(),
    );
    let v1 = std::fs::read_to_string(fixture.join("ankideck.lock")).unwrap();
    assert!(v1.contains("\nversion\t1\n") && !v1.contains("\nend\t"));
    project.write(LOCK, v1.as_bytes());

    // The card with a quote was built when quotes were stored as `&#x27;`: it keeps its identity
    // and is updated once, as its HTML changed.
    let run = project.build(T2, args, 0);
    assert!(run.stderr.contains("(0 new, 1 updated, 5 unchanged, 0 removed)"), "{}", run.stderr);
    let lock = project.read(LOCK);
    assert!(lock.contains("\nversion\t3\n"), "{lock}");
    assert_trailers_are_right(&lock);
    // Every note keeps its guid and ids; the five unchanged ones their time and hashes too (the
    // sketch columns are version 3's; the line number is gone).
    let notes = |lock: &str, line_column: bool| -> Vec<Vec<String>> {
        let lines = lock.lines().filter(|l| l.starts_with("note\t"));
        let cols = lines.map(|l| l.split('\t').map(str::to_string).collect::<Vec<_>>());
        cols.map(|mut c| {
            if line_column {
                c.remove(2);
            }
            c.truncate(9);
            c
        })
        .collect()
    };
    let (old, new) = (notes(&v1, true), notes(&lock, false));
    assert_eq!(old.len(), 6);
    assert_eq!(new.len(), 6);
    for (old, new) in old.iter().zip(&new) {
        assert_eq!(old[..5], new[..5]);
        if old[2] == "N]K&x}?i8Q" {
            assert_eq!(new[5], T2.to_string(), "the quoted card is updated");
        } else {
            assert_eq!(old, new);
        }
    }
    let notes = project.notes("out/soviet-history.apkg");
    for (guid, id, _, _) in &notes {
        assert!(v1.contains(&format!("\t{guid}\t{id}\t{}\t", id + 1)), "{guid} {id} not from the v1 lock");
    }
    assert_eq!(notes.len(), 6);
    let run = project.build(T3, &[args, &["--force"]].concat(), 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 6 unchanged, 0 removed)"), "{}", run.stderr);
    assert_eq!(project.read(LOCK), lock);
    lock
}

/// A version-2 lock, as ankideck before version 3 wrote it (the `lock-v2` fixture, with the
/// source it was built from and no `out/`): every note keeps its guid, ids, `mod` and hashes,
/// the lock is written as version 3 without line numbers, and a forced rebuild changes nothing.
#[test]
fn version_2_lock_is_read_and_upgraded() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock-v2");
    let project = Project::with_decks(&[]);
    let source = std::fs::read(fixture.join("soviet-history.txt")).unwrap();
    project.write("source-cards/soviet-history.txt", &source);
    let v2 = std::fs::read_to_string(fixture.join("ankideck.lock")).unwrap();
    assert!(v2.contains("\nversion\t2\n") && v2.contains("\nend\t"));
    project.write(LOCK, v2.as_bytes());

    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 6 unchanged, 0 removed)"), "{}", run.stderr);
    let v3 = project.read(LOCK);
    assert!(v3.contains("\nversion\t3\n"), "{v3}");
    assert_trailers_are_right(&v3);
    // A version-2 note line less its line number (the third column) is the version-3 line.
    let notes = |lock: &str, line_column: bool| -> Vec<String> {
        let lines = lock.lines().filter(|l| l.starts_with("note\t"));
        let cols = lines.map(|l| l.split('\t').map(str::to_string).collect::<Vec<_>>());
        cols.map(|mut c| {
            if line_column {
                c.remove(2);
            }
            c.join("\t")
        })
        .collect()
    };
    assert_eq!(notes(&v3, false), notes(&v2, true));
    assert_eq!(notes(&v2, true).len(), 6);
    let head = |lock: &str| {
        lock.lines().filter(|l| !l.starts_with("version\t")).take(4).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(head(&v3), head(&v2), "the note type and deck lines are as they were");
    let run = project.build(T3, &["--force"], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 6 unchanged, 0 removed)"), "{}", run.stderr);
    assert_eq!(project.read(LOCK), v3);
    project.build(T3, &["--locked"], 0);
}

/// A lock checked out with CRLF line ends (git's `core.autocrlf`) is sound, not damaged.
#[test]
fn lock_with_crlf_line_ends_is_sound() {
    let project = Project::with_decks(&[("a", 4)]);
    project.build(T1, &[], 0);
    let before = project.notes("out/a.apkg");
    let lock = project.read(LOCK);
    project.write(LOCK, lock.replace('\n', "\r\n").as_bytes());
    std::fs::remove_dir_all(project.path("out")).unwrap();
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 4 unchanged, 0 removed)"), "{}", run.stderr);
    assert!(!run.stderr.contains("carried over"), "{}", run.stderr);
    assert_eq!(project.notes("out/a.apkg"), before);
    // The same lock with other line ends: `--locked` passes, and the lock is not rewritten (git
    // would only turn it back to CRLF on the next checkout).
    let crlf = project.read(LOCK);
    assert!(crlf.contains("\r\n"), "the lock was left as it was");
    project.build(T2, &["--locked"], 0);
    assert_eq!(project.read(LOCK), crlf);
}

/// A `git revert` (or checkout) of an edit brings back the lock of before it, with the older
/// `mod`: the rebuilt note must still look newer than the edited one Anki has, or the import
/// skips it and Anki keeps the text the user went back from (found by review).
#[test]
fn reverted_edit_gets_a_mod_after_the_package_it_replaces() {
    let project = Project::with_decks(&[("a", 4)]);
    project.build(T1, &[], 0);
    let (source_v1, lock_v1) = (project.read("source-cards/a.txt"), project.read(LOCK));
    project.write("source-cards/a.txt", source_v1.replace("fact number 2 of", "fact no. 2 of").as_bytes());
    project.build(T2, &[], 0);
    let edited = project.notes("out/a.apkg");
    // The revert: sources and lock as they were before the edit; out/ is not under version control.
    project.write("source-cards/a.txt", source_v1.as_bytes());
    project.write(LOCK, lock_v1.as_bytes());
    let run = project.build(T3, &[], 0);
    assert!(run.stderr.contains("(0 new, 1 updated, 3 unchanged, 0 removed)"), "{}", run.stderr);
    let reverted = project.notes("out/a.apkg");
    for (before, after) in edited.iter().zip(&reverted) {
        assert_eq!(before.0, after.0, "same guids");
        if before.3 == after.3 {
            assert_eq!(before.2, after.2, "an unchanged note keeps its mod");
        } else {
            assert!(after.2 > before.2, "the reverted note is newer than the edited one: {after:?}");
        }
    }
    // Built again, nothing changes.
    let again = project.build(T3, &["--force"], 0);
    assert!(again.stderr.contains("(0 new, 0 updated, 4 unchanged, 0 removed)"), "{}", again.stderr);
}

/// Only the lock goes back (a checkout of the lock file): the notes' text is what Anki already
/// has, so they are unchanged and keep the package's `mod`, and the next edit gets a `mod` after
/// it (found by review: the `mod` went back, and the next edit was lost in Anki).
#[test]
fn reverted_lock_alone_keeps_the_package_mods_and_the_next_edit_passes_them() {
    let project = Project::with_decks(&[("a", 4)]);
    project.build(T1, &[], 0);
    let lock_v1 = project.read(LOCK);
    let source = project.read("source-cards/a.txt");
    let v2 = source.replace("fact number 2 of", "fact no. 2 of");
    project.write("source-cards/a.txt", v2.as_bytes());
    project.build(T1, &[], 0);
    let v3 = source.replace("fact number 2 of", "fact nr. 2 of");
    project.write("source-cards/a.txt", v3.as_bytes());
    project.build(T1, &[], 0);
    let in_anki = project.notes("out/a.apkg");

    project.write(LOCK, lock_v1.as_bytes());
    let run = project.build(T1, &[], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 4 unchanged, 0 removed)"), "{}", run.stderr);
    assert_eq!(project.notes("out/a.apkg"), in_anki, "the package Anki has, mods included");

    let v4 = source.replace("fact number 2 of", "fact #2 of");
    project.write("source-cards/a.txt", v4.as_bytes());
    project.build(T1, &[], 0);
    let after = project.notes("out/a.apkg");
    for (before, after) in in_anki.iter().zip(&after) {
        if before.3 != after.3 {
            assert!(after.2 > before.2, "the edit is newer than what Anki has: {after:?} / {before:?}");
        }
    }
}

/// A note added after the lock that comes back (a checkout of an older lock) is new to that lock
/// but already in Anki from the last package: it keeps that package's `mod`, so the build's
/// "unchanged" is what Anki reports too (found by review: it got the build's time, and Anki
/// reported it updated).
#[test]
fn reverted_lock_without_an_added_note_keeps_its_package_mod() {
    let project = Project::with_decks(&[("a", 4)]);
    project.build(T1, &[], 0);
    let lock_v1 = project.read(LOCK);
    let source = project.read("source-cards/a.txt");
    project.write("source-cards/a.txt", format!("{source}SECTION\nAn added card?\nIts answer.\n").as_bytes());
    let run = project.build(T2, &[], 0);
    assert!(run.stderr.contains("(1 new, 0 updated, 4 unchanged, 0 removed)"), "{}", run.stderr);
    let in_anki = project.notes("out/a.apkg");

    project.write(LOCK, lock_v1.as_bytes());
    let run = project.build(T3, &[], 0);
    assert!(run.stderr.contains("(0 new, 0 updated, 5 unchanged, 0 removed)"), "{}", run.stderr);
    let guid_mod = |notes: &[(String, i64, i64, String)]| {
        let mut v: Vec<(String, i64, String)> =
            notes.iter().map(|n| (n.0.clone(), n.2, n.3.clone())).collect();
        v.sort();
        v
    };
    assert_eq!(guid_mod(&project.notes("out/a.apkg")), guid_mod(&in_anki), "guids and mods Anki has");
}

/// A card added after the lock that comes back, then edited: Anki has its note from the last
/// package, so the edit updates that note (same guid and ids, a newer `mod`) instead of making a
/// new one beside it (found by review: it came back new, a duplicate in Anki whose reviewed note
/// kept the old text).
#[test]
fn reverted_lock_then_an_edit_of_a_card_added_since_updates_its_note() {
    reverted_lock_then_an_edit(&[]);
}

/// The same for a deck built from disk.
#[test]
fn reverted_lock_then_an_edit_of_a_card_added_since_updates_its_note_from_disk() {
    reverted_lock_then_an_edit(&["--stream-above", "0"]);
}

fn reverted_lock_then_an_edit(args: &[&str]) {
    let project = Project::with_decks(&[("a", 4)]);
    project.build(T1, args, 0);
    let lock_v1 = project.read(LOCK);
    let source = project.read("source-cards/a.txt");
    project.write("source-cards/a.txt", format!("{source}SECTION\nAn added card?\nIts answer.\n").as_bytes());
    project.build(T2, args, 0);
    let in_anki = project.notes("out/a.apkg");
    let added = in_anki.iter().find(|n| n.3 == "An added card?").unwrap().clone();

    project.write(LOCK, lock_v1.as_bytes());
    project.write(
        "source-cards/a.txt",
        format!("{source}SECTION\nAn added card?\nIts answer, edited.\n").as_bytes(),
    );
    let run = project.build(T3, args, 0);
    assert!(run.stderr.contains("(0 new, 1 updated, 4 unchanged, 0 removed)"), "{}", run.stderr);
    let after = project.notes("out/a.apkg");
    let edited = after.iter().find(|n| n.3 == "An added card?").unwrap();
    assert_eq!((&edited.0, edited.1), (&added.0, added.1), "the same guid and note id");
    assert!(edited.2 > added.2, "the edit is newer than what Anki has: {edited:?} / {added:?}");
    assert!(project.read(LOCK).contains(&added.0), "the lock holds it again");
}
