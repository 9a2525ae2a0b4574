//! End-to-end tests of a lock merged from two git branches that each added a card to a different
//! deck and were built with the same `SOURCE_DATE_EPOCH`: both new notes got the same note id
//! and card id, and git merged the two lock sections cleanly (each with a right `end` line). This
//! is no damage: the later deck's note gets new ids (its guid, and so its note in Anki, stays),
//! with or without the packages in `out/`, and the next build is a no-op.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Runs `ankideck ARGS` in `dir`; returns the exit code and stderr.
fn run(dir: &Path, epoch: i64, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code().expect("exited"), stderr)
}

/// `ankideck build` in `dir`, expecting success; its stderr.
fn build(dir: &Path, epoch: i64) -> String {
    let (code, stderr) = run(dir, epoch, &["build"]);
    assert_eq!(code, 0, "{stderr}");
    stderr
}

/// A package's notes: guid -> (note id, card id).
fn ids(dir: &Path, apkg: &str) -> BTreeMap<String, (i64, i64)> {
    let output = Command::new(env!("CARGO_BIN_EXE_ankideck")).args(["dump", apkg]).current_dir(dir).output();
    let text = String::from_utf8(output.unwrap().stdout).unwrap();
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
