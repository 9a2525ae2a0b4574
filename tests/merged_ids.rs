//! End-to-end tests of a lock merged from two git branches that each added a card to a different
//! deck and were built with the same `SOURCE_DATE_EPOCH`: both new notes got the same note id
//! and card id, and git merged the two lock sections cleanly (each with a right `end` line). This
//! is no damage: the later deck's note gets new ids (its guid, and so its note in Anki, stays),
//! with or without the packages in `out/`, and the next build is a no-op.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const T1: i64 = 1_764_000_000;
const T2: i64 = 1_764_100_000;
const T3: i64 = 1_764_200_000;
const T4: i64 = 1_764_300_000;
const LOCK: &str = "ankideck.lock";

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

/// Copies the files of `from` (a project) to `to`, but for `out/` unless `with_out`.
fn copy_project(from: &Path, to: &Path, with_out: bool) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_dir() {
            if name == "out" && !with_out {
                continue;
            }
            std::fs::create_dir_all(to.join(name)).unwrap();
            copy_project(&path, &to.join(name), true);
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

mod common;

/// Runs `ankideck ARGS` in `dir`; returns the exit code and stderr.
fn run(dir: &Path, epoch: i64, args: &[&str]) -> (i32, String) {
    let run = common::run_at(dir, epoch, args);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    (run.code, run.stderr)
}

/// `ankideck build` in `dir`, expecting success; its stderr.
fn build(dir: &Path, epoch: i64) -> String {
    let (code, stderr) = run(dir, epoch, &["build"]);
    assert_eq!(code, 0, "{stderr}");
    stderr
}

/// A package's notes: guid -> (note id, card id).
fn ids(dir: &Path, apkg: &str) -> BTreeMap<String, (i64, i64)> {
    let text = common::run_at(dir, T1, &["dump", apkg]).stdout;
    let mut card_of = BTreeMap::new();
    let mut notes = Vec::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split(' ').collect();
        match cols[0] {
            "note" => {
                notes.push((cols[2].strip_prefix("guid=").unwrap().to_string(), cols[1].parse().unwrap()))
            }
            "card" => {
                let nid: i64 = cols[2].strip_prefix("nid=").unwrap().parse().unwrap();
                card_of.insert(nid, cols[1].parse::<i64>().unwrap());
            }
            _ => {}
        }
    }
    notes.into_iter().map(|(guid, nid)| (guid, (nid, card_of[&nid]))).collect()
}

/// The lock's lines of deck `key`: its deck line through its `end` line.
fn section<'a>(lock: &'a str, key: &str) -> &'a str {
    let start = lock.find(&format!("deck\t{key}\t")).unwrap();
    let end = start + lock[start..].find(&format!("end\t{key}\t")).unwrap();
    &lock[start..end + lock[end..].find('\n').unwrap() + 1]
}

/// A base build of decks a and b (3 cards each); branch A adds a card to a, branch B one to b,
/// both built at T2. Returns the three project folders (the merge is made by the tests).
struct Branches {
    _root: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    merged: PathBuf,
}

impl Branches {
    fn new() -> Branches {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("base");
        std::fs::create_dir_all(base.join("source-cards")).unwrap();
        for stem in ["a", "b"] {
            std::fs::write(base.join(format!("source-cards/{stem}.txt")), deck_text(stem, 3)).unwrap();
        }
        build(&base, T1);
        let (a, b, merged) = (root.path().join("A"), root.path().join("B"), root.path().join("merged"));
        for (branch, stem) in [(&a, "a"), (&b, "b")] {
            std::fs::create_dir_all(branch).unwrap();
            copy_project(&base, branch, true);
            std::fs::write(branch.join(format!("source-cards/{stem}.txt")), deck_text(stem, 4)).unwrap();
            build(branch, T2);
        }
        // The clash this is about: both branches gave their new note the same ids.
        let (a_ids, b_ids) = (ids(&a, "out/a.apkg"), ids(&b, "out/b.apkg"));
        let new_in = |ids: &BTreeMap<String, (i64, i64)>| *ids.values().max().unwrap();
        assert_eq!(new_in(&a_ids), new_in(&b_ids), "no clash to test");
        Branches { _root: root, a, b, merged }
    }

    /// The merged checkout, with `out/` of branch `out_of` (or none): each deck file and lock
    /// section from the branch that changed it.
    fn merge(&self, out_of: Option<&Path>) -> String {
        std::fs::create_dir_all(&self.merged).unwrap();
        copy_project(&self.a, &self.merged, false);
        std::fs::copy(self.b.join("source-cards/b.txt"), self.merged.join("source-cards/b.txt")).unwrap();
        let (lock_a, lock_b) = (read(&self.a, LOCK), read(&self.b, LOCK));
        let lock = lock_a.replace(section(&lock_a, "b"), section(&lock_b, "b"));
        assert_ne!(lock, lock_a);
        std::fs::write(self.merged.join(LOCK), &lock).unwrap();
        if let Some(branch) = out_of {
            std::fs::create_dir_all(self.merged.join("out")).unwrap();
            copy_project(&branch.join("out"), &self.merged.join("out"), true);
        }
        lock
    }
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

const NOTE: &str = "1 note of deck `DECK B` had ids also used in deck `DECK A` (a merge of two branches?); \
                    it gets new ids, which changes nothing in Anki";

/// Checks the merged project after its build: every guid of each branch's package kept, a's ids
/// as branch A gave them, b's new note with new ids, no id twice; and the next build a no-op.
fn assert_merged_well(branches: &Branches, merged_lock: &str) {
    let dir = &branches.merged;
    let (a, b) = (ids(dir, "out/a.apkg"), ids(dir, "out/b.apkg"));
    let (branch_a, branch_b) = (ids(&branches.a, "out/a.apkg"), ids(&branches.b, "out/b.apkg"));
    assert_eq!(a, branch_a, "the earlier deck keeps its ids");
    assert_eq!(b.keys().collect::<Vec<_>>(), branch_b.keys().collect::<Vec<_>>(), "guids kept");
    let changed: Vec<&String> = b.keys().filter(|g| b[*g] != branch_b[*g]).collect();
    assert_eq!(changed.len(), 1, "only the clashing note gets new ids: {b:?}");
    let all: Vec<i64> = a.values().chain(b.values()).flat_map(|(n, c)| [*n, *c]).collect();
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len(), "an id twice: {a:?} {b:?}");
    // The lock holds the new ids, and only they changed.
    let lock = read(dir, LOCK);
    assert_eq!(section(&lock, "a"), section(merged_lock, "a"));
    let (nid, cid) = b[changed[0]];
    assert!(lock.contains(&format!("\t{}\t{nid}\t{cid}\t", changed[0])), "{lock}");
    // Sound and up to date: the next build does nothing.
    let stderr = build(dir, T4);
    assert!(stderr.contains("0 built, 2 up to date"), "{stderr}");
    assert!(!stderr.contains("had ids also used"), "{stderr}");
    assert_eq!(read(dir, LOCK), lock);
}

/// On a fresh clone (no `out/`): both decks build (exit 0), none of their notes is new.
#[test]
fn merged_branches_with_the_same_ids_build_without_out() {
    let branches = Branches::new();
    let lock = branches.merge(None);
    let stderr = build(&branches.merged, T3);
    assert!(stderr.contains("DECK A: 4 cards -> out/a.apkg (0 new, 0 updated, 4 unchanged"), "{stderr}");
    assert!(stderr.contains("DECK B: 4 cards -> out/b.apkg (0 new, 0 updated, 4 unchanged"), "{stderr}");
    assert!(stderr.contains(NOTE), "{stderr}");
    assert!(!stderr.contains("ankideck.lock:"), "reported as damage: {stderr}");
    assert_merged_well(&branches, &lock);
}

/// In branch B's folder after the merge: b is up to date there, a is not; b is rebuilt all the
/// same, with the new ids (its package must hold its lock entries' ids).
#[test]
fn merged_branches_rebuild_the_later_deck_even_if_up_to_date() {
    let branches = Branches::new();
    let lock = branches.merge(Some(&branches.b));
    let stderr = build(&branches.merged, T3);
    assert!(stderr.contains("DECK A: 4 cards -> out/a.apkg (0 new, 0 updated, 4 unchanged"), "{stderr}");
    assert!(stderr.contains("DECK B: 4 cards -> out/b.apkg (0 new, 0 updated, 4 unchanged"), "{stderr}");
    assert!(stderr.contains(NOTE), "{stderr}");
    assert_merged_well(&branches, &lock);
}

/// In branch A's folder after the merge: b is built anyway; a stays up to date.
#[test]
fn merged_branches_build_in_the_earlier_decks_folder() {
    let branches = Branches::new();
    let lock = branches.merge(Some(&branches.a));
    let stderr = build(&branches.merged, T3);
    assert!(stderr.contains("DECK A: up to date"), "{stderr}");
    assert!(stderr.contains("DECK B: 4 cards -> out/b.apkg (0 new, 0 updated, 4 unchanged"), "{stderr}");
    assert!(stderr.contains(NOTE), "{stderr}");
    assert_merged_well(&branches, &lock);
}

/// The same merge built twice from the same files gives the same bytes.
#[test]
fn merged_branches_build_the_same_bytes_every_time() {
    let branches = Branches::new();
    branches.merge(None);
    build(&branches.merged, T3);
    let first = (read(&branches.merged, LOCK), std::fs::read(branches.merged.join("out/b.apkg")).unwrap());
    std::fs::remove_dir_all(&branches.merged).unwrap();
    branches.merge(None);
    build(&branches.merged, T3);
    let second = (read(&branches.merged, LOCK), std::fs::read(branches.merged.join("out/b.apkg")).unwrap());
    assert!(first == second, "not deterministic");
}

/// With `out/` holding both branches' packages (a CI cache, a copied folder), which hold the same
/// ids again: before, both decks were damaged, their identities read back from those packages
/// with the same ids, so the lock kept them and every build that read it said so again. Now the
/// first build settles it, and a later change of the earlier deck builds without a word of it.
#[test]
fn merged_branches_with_both_packages_settle_in_one_build() {
    let branches = Branches::new();
    let lock = branches.merge(None);
    std::fs::create_dir_all(branches.merged.join("out")).unwrap();
    for (branch, stem) in [(&branches.a, "a"), (&branches.b, "b")] {
        let package = format!("out/{stem}.apkg");
        std::fs::copy(branch.join(&package), branches.merged.join(&package)).unwrap();
    }
    let stderr = build(&branches.merged, T3);
    assert!(stderr.contains(NOTE), "{stderr}");
    assert!(!stderr.contains("ankideck.lock:"), "reported as damage: {stderr}");
    assert_merged_well(&branches, &lock);
    std::fs::write(branches.merged.join("source-cards/a.txt"), deck_text("a", 5)).unwrap();
    let stderr = build(&branches.merged, T4 + 1);
    assert!(stderr.contains("DECK A: 5 cards -> out/a.apkg (1 new, 0 updated, 4 unchanged"), "{stderr}");
    assert!(stderr.contains("DECK B: up to date"), "{stderr}");
    assert!(!stderr.contains("ankideck.lock:") && !stderr.contains("had ids also used"), "{stderr}");
}

/// The `lock-v2` fixture's project (its source and version-2 lock), copied to `dir`.
fn v2_project(dir: &Path) {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock-v2");
    std::fs::create_dir_all(dir.join("source-cards")).unwrap();
    std::fs::copy(fixture.join("soviet-history.txt"), dir.join("source-cards/soviet-history.txt")).unwrap();
    std::fs::copy(fixture.join(LOCK), dir.join(LOCK)).unwrap();
}

/// A version-2 section's `end` line for its deck line and note lines `body`.
fn v2_end(body: &str, notes: usize) -> String {
    format!("end\tsoviet-history\t{notes}\t{:016x}\n", xxhash_rust::xxh3::xxh3_64(body.as_bytes()))
}

/// Branch A upgraded ankideck (its lock is version 3, its package in out/); branch B, still on
/// the version-2 ankideck, added a card at the end of the deck (its lock section is version 2,
/// its package holds the new note). The merge keeps both sides' lines of the section, A's then
/// B's (`merge=union`, or "accept both"). `tamper` may change B's side (kept sound: its `end`
/// line is made anew). Returns the merged project (with A's out/) and the new note's guid.
fn v3_and_v2_merged(root: &Path, tamper: impl Fn(&str) -> String) -> (PathBuf, String) {
    let (a, b, merged) = (root.join("A"), root.join("B"), root.join("merged"));
    v2_project(&a);
    build(&a, T2);
    let added =
        "THE FIRST FIVE-YEAR PLAN\nWhich canal was dug by prisoners from 1931?\nThe White Sea Canal.\n";
    // Branch B's package and new note: what its (version-2) build gave; built here by this
    // ankideck, its note line written back in version 2's form.
    v2_project(&b);
    let source = read(&b, "source-cards/soviet-history.txt") + added;
    std::fs::write(b.join("source-cards/soviet-history.txt"), &source).unwrap();
    build(&b, T2);
    let v2_base = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock-v2").join(LOCK),
    )
    .unwrap();
    let built_b = read(&b, LOCK);
    let new_line = built_b.lines().rfind(|l| l.starts_with("note\t")).unwrap();
    let new_guid = new_line.split('\t').nth(2).unwrap().to_string();
    assert!(!v2_base.contains(&new_guid));
    let mut cols: Vec<&str> = new_line.split('\t').collect();
    cols.insert(2, "20");
    let deck_line = v2_base.lines().find(|l| l.starts_with("deck\t")).unwrap().to_string() + "\n";
    let old_notes: String =
        v2_base.lines().filter(|l| l.starts_with("note\t")).map(|l| format!("{l}\n")).collect();
    let b_notes = tamper(&format!("{old_notes}{}\n", cols.join("\t")));
    let b_side = format!("{b_notes}{}", v2_end(&(deck_line.clone() + &b_notes), 7));
    // The merge: A's lock (version 3, it changed the version line), the section's deck line
    // once, then A's note lines and `end` line, then B's.
    let lock_a = read(&a, LOCK);
    let start = lock_a.find("deck\tsoviet-history\t").unwrap();
    // Version 4 added the deck's note type at the end of its line: the merge keeps A's line
    // (only A changed it), B's side vouches for the line without that column.
    let a_deck_line = &lock_a[start..start + lock_a[start..].find('\n').unwrap() + 1];
    assert_eq!(
        a_deck_line.rsplit_once('\t').unwrap().0.to_string() + "\n",
        deck_line,
        "A's deck line is B's and its note type"
    );
    let merged_lock = format!("{}{b_side}", lock_a);
    assert!(lock_a.contains("\nversion\t4\n"));
    std::fs::create_dir_all(merged.join("out")).unwrap();
    copy_project(&a, &merged, true);
    std::fs::write(merged.join("source-cards/soviet-history.txt"), &source).unwrap();
    std::fs::write(merged.join(LOCK), merged_lock).unwrap();
    (merged, new_guid)
}

/// A git merge of a branch whose lock is version 3 with one still on version 2 that added a
/// card, both sides' lines kept: each side is whole and sound (its own `end` line), so the
/// section is read as both together. The card only branch B added keeps its guid (its note in
/// Anki, if B's package was imported), every other note keeps its identity, the report says where
/// they came from, and the next build is a no-op. (Before, the section was damaged and read back
/// from A's package: B's card came back as a new note.)
#[test]
fn a_version_3_and_version_2_lock_merged_keep_both_sides_identities() {
    let root = tempfile::tempdir().unwrap();
    let (merged, new_guid) = v3_and_v2_merged(root.path(), str::to_string);
    let before_a = ids(&root.path().join("A"), "out/soviet-history.apkg");
    let stderr = build(&merged, T3);
    assert!(
        stderr.contains("7 cards -> out/soviet-history.apkg (0 new, 0 updated, 7 unchanged, 0 removed)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("note identities carried over from both sides of a git merge in the lock (version 4, 6 notes and version 2, 7 notes; 1 only on one side)"),
        "{stderr}"
    );
    assert!(!stderr.contains("ankideck.lock:"), "reported as damage: {stderr}");
    let after = ids(&merged, "out/soviet-history.apkg");
    assert!(after.contains_key(&new_guid), "branch B's card keeps its guid: {after:?}");
    assert_eq!(after.len(), 7);
    for (guid, ids) in &before_a {
        assert_eq!(after.get(guid), Some(ids), "{guid} keeps its ids");
    }
    let lock = read(&merged, LOCK);
    assert_eq!(lock.matches("\nend\t").count(), 1, "{lock}");
    assert_eq!(lock.matches("\nnote\t").count(), 7, "{lock}");
    let again = build(&merged, T4);
    assert!(again.contains("0 built, 1 up to date"), "{again}");
    assert_eq!(read(&merged, LOCK), lock);
}

/// Both sides sound but disagreeing on a note's ids (here B's side edited, its `end` line made
/// anew): no build can tell which is right, so the section stays damaged, identities are read
/// back from the package as before, and the message says exactly what to do.
#[test]
fn a_merged_lock_whose_sides_disagree_on_a_note_says_to_take_one_side() {
    let root = tempfile::tempdir().unwrap();
    let (merged, new_guid) =
        v3_and_v2_merged(root.path(), |notes| notes.replacen("\t1764000000004\t", "\t1764000000099\t", 1));
    let stderr = build(&merged, T3);
    assert!(
        stderr.contains("holds both sides of a git merge (each with its `end` line), and note `"),
        "{stderr}"
    );
    assert!(
        stderr.contains("has note id 1764000000004 on one side and 1764000000099 on the other"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Take the deck's lines (its deck line through its `end` line) whole from one side"),
        "{stderr}"
    );
    assert!(stderr.contains("(1 new, 0 updated, 6 unchanged, 0 removed)"), "{stderr}");
    assert!(!ids(&merged, "out/soviet-history.apkg").contains_key(&new_guid));
}

/// `lock` as a build of lock version 3 wrote it: no schema lines, no kind on the note type line,
/// no note type on the deck lines (and the `end` lines' checksums to match).
fn as_version_3(lock: &str) -> String {
    let (mut out, mut body) = (String::new(), String::new());
    for line in lock.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[0] {
            "version" => out.push_str("version\t3\n"),
            "field" | "template" => {}
            "notetype" => out.push_str(&format!("{}\n", cols[..cols.len() - 1].join("\t"))),
            "deck" => body.push_str(&format!("{}\n", cols[..cols.len() - 1].join("\t"))),
            "note" => body.push_str(&format!("{line}\n")),
            "end" => {
                let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
                out.push_str(&std::mem::take(&mut body));
                out.push_str(&format!("end\t{}\t{}\t{hash:016x}\n", cols[1], cols[2]));
            }
            _ => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

/// Branch A upgraded ankideck (its lock went from version 3 to 4: each deck line gained its note
/// type, the note lines stayed as they were); branch B, still on version 3, added a card at the
/// end of the deck. A union merge (`merge=union`, "accept both") keeps each line both sides have
/// once: A's deck line (only A changed it), the note lines both have, then the lines in conflict,
/// A's `end` line and B's new note line and `end` line. B's side is not whole (it shares A's note
/// lines), yet it is sound once they are counted in: read as both sides together, in a fresh
/// clone (no out/) too. (Before, the section was damaged and, without out/, the deck not built.)
#[test]
fn a_version_4_and_version_3_lock_merged_by_union_keep_both_sides_identities() {
    let root = tempfile::tempdir().unwrap();
    let (a, b, merged) = (root.path().join("A"), root.path().join("B"), root.path().join("merged"));
    for dir in [&a, &b] {
        std::fs::create_dir_all(dir.join("source-cards")).unwrap();
        std::fs::write(dir.join("ankideck.toml"), "[defaults]\nnotetype = \"reversed\"\n").unwrap();
        std::fs::write(dir.join("source-cards/d.txt"), deck_text("d", 3)).unwrap();
    }
    build(&a, T1);
    let lock_a = read(&a, LOCK);
    std::fs::write(b.join(LOCK), as_version_3(&lock_a)).unwrap();
    std::fs::write(b.join("source-cards/d.txt"), deck_text("d", 4)).unwrap();
    build(&b, T2);
    let lock_b = as_version_3(&read(&b, LOCK));
    let b_section = section(&lock_b, "d");
    let (b_new, b_end): (Vec<&str>, Vec<&str>) = (b_section.lines())
        .filter(|l| !l.starts_with("deck\t") && !lock_a.contains(&format!("{l}\n")))
        .partition(|l| l.starts_with("note\t"));
    assert_eq!((b_new.len(), b_end.len()), (1, 1), "{b_section}");
    let a_end = lock_a.lines().find(|l| l.starts_with("end\td\t")).unwrap();
    let merged_lock =
        lock_a.replace(&format!("{a_end}\n"), &format!("{a_end}\n{}\n{}\n", b_new[0], b_end[0]));
    std::fs::create_dir_all(&merged).unwrap();
    copy_project(&b, &merged, false);
    std::fs::write(merged.join(LOCK), &merged_lock).unwrap();
    let stderr = build(&merged, T3);
    assert!(stderr.contains("4 notes -> out/d.apkg (0 new, 0 updated, 4 unchanged, 0 removed)"), "{stderr}");
    assert!(
        stderr.contains("both sides of a git merge in the lock (version 4, 3 notes and version 3, 4 notes"),
        "{stderr}"
    );
    assert_eq!(ids(&merged, "out/d.apkg"), ids(&b, "out/d.apkg"), "every note keeps B's identities");
}
