//! Crash consistency, one build at a time, and what a build leaves in `out/`, end to end: the
//! real binary stopped before each of its durable steps (`ANKIDECK_TEST_CRASH_AT`), killed at
//! random moments, run twice at once, and checked against uninterrupted builds.
//!
//! After any crash, every guid in every package and CSV in `out/` must be in the lock on disk
//! (unless the file is the previous build's, byte for byte), no temporary file may sit outside
//! `out/`, and the next build must write exactly what an uninterrupted build writes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first build.
const T1: i64 = 1_764_000_000;
/// The rebuild after an edit.
const T2: i64 = 1_764_100_000;
/// Another rebuild.
const T3: i64 = 1_764_200_000;

/// Every file of a project: relative path → bytes.
type Tree = BTreeMap<PathBuf, Vec<u8>>;

/// A project folder in a temp dir.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A project holding exactly the files of `tree`.
    fn from_tree(tree: &Tree) -> Project {
        let project = Project { dir: tempfile::tempdir().unwrap() };
        for (rel, bytes) in tree {
            project.write(rel, bytes);
        }
        project
    }

    fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file the way an editor saves one: a temporary file renamed over it.
    fn write(&self, rel: impl AsRef<Path>, bytes: &[u8]) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let temp = path.with_extension("saving");
        std::fs::write(&temp, bytes).unwrap();
        std::fs::rename(&temp, &path).unwrap();
    }

    /// Writes the deck files of `decks` (key → text) and removes the other deck files.
    fn set_sources(&self, decks: &BTreeMap<&str, String>) {
        for entry in std::fs::read_dir(self.path("source-cards")).into_iter().flatten() {
            let path = entry.unwrap().path();
            let key = path.file_stem().unwrap().to_str().unwrap().to_string();
            if !decks.contains_key(key.as_str()) {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (key, text) in decks {
            self.write(format!("source-cards/{key}.txt"), text.as_bytes());
        }
    }

    /// `ankideck ARGS` at build time `epoch`, not yet started.
    fn command(&self, epoch: i64, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ankideck"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("SOURCE_DATE_EPOCH", epoch.to_string())
            .env_remove("ANKIDECK_TEST_CRASH_AT")
            .env_remove("RUST_BACKTRACE");
        command
    }

    /// Runs `ankideck build ARGS`, which must succeed; returns its stderr.
    fn build(&self, epoch: i64, args: &[&str]) -> String {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        let output = self.command(epoch, &all).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(output.status.success(), "build {args:?} failed:\n{stderr}");
        stderr
    }

    /// Every file under the project.
    fn tree(&self) -> Tree {
        fn walk(dir: &Path, root: &Path, tree: &mut Tree) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, tree);
                } else {
                    tree.insert(
                        path.strip_prefix(root).unwrap().to_path_buf(),
                        std::fs::read(&path).unwrap(),
                    );
                }
            }
        }
        let mut tree = Tree::new();
        walk(self.dir.path(), self.dir.path(), &mut tree);
        tree
    }
}

/// The text of deck `key` with `cards` cards, at `version` 1 (as first built) or 2 (edited: every
/// 7th card's back changed, every 11th card removed, five cards added at the end).
fn deck_text(key: &str, cards: usize, version: u32) -> String {
    let mut text = format!("{} Flashcards\n", key.to_uppercase());
    for i in 0..cards {
        if version == 2 && i % 11 == 5 {
            continue;
        }
        text.push_str(&format!("SECTION {} OF {}\n", i / 20 + 1, key.to_uppercase()));
        text.push_str(&format!(
            "In deck {key}, what does card number {i} of the set say about its subject, and\n"
        ));
        let edited = if version == 2 && i % 7 == 3 { " as revised in the second edition" } else { "" };
        text.push_str(&format!(
            "it says that the answer to question {i} of {key} is {}{edited}.\n",
            i * 37 % 1000
        ));
    }
    if version == 2 {
        for i in 0..5 {
            text.push_str("ADDED IN THE SECOND EDITION\n");
            text.push_str(&format!("In deck {key}, which card was added as new card {i} and\n"));
            text.push_str(&format!("it is the added card {i} of {key}.\n"));
        }
    }
    text
}

/// The guids of a package (from `ankideck dump`).
fn package_guids(path: &Path) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_ankideck")).arg("dump").arg(path).output().unwrap();
    assert!(output.status.success(), "cannot dump {}", path.display());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("note "))
        .map(|line| {
            let start = line.find(" guid=").expect("a note line has a guid") + 6;
            line[start..].split(' ').next().unwrap().to_string()
        })
        .collect()
}

/// The guids of a CSV (its first column; header lines start with `#`).
fn csv_guids(bytes: &[u8]) -> Vec<String> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).comment(Some(b'#')).from_reader(bytes);
    reader.records().map(|r| r.expect("a CSV row")[0].to_string()).collect()
}

/// Every tab-separated field of the lock: a guid the lock knows is one of them, whatever the
/// lock's version.
fn lock_fields(lock: &[u8]) -> HashSet<String> {
    String::from_utf8_lossy(lock).lines().flat_map(|l| l.split('\t')).map(str::to_string).collect()
}

/// Guids of outputs, by their bytes: the same package is dumped once.
#[derive(Default)]
struct GuidCache(HashMap<Vec<u8>, Vec<String>>);

impl GuidCache {
    fn guids(&mut self, path: &Path, bytes: &[u8]) -> Vec<String> {
        if let Some(guids) = self.0.get(bytes) {
            return guids.clone();
        }
        let guids =
            if path.extension().is_some_and(|e| e == "csv") { csv_guids(bytes) } else { package_guids(path) };
        self.0.insert(bytes.to_vec(), guids.clone());
        guids
    }
}

fn is_temp(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".ankideck-") && n.ends_with(".tmp"))
}

/// What must hold after a build was stopped at any point: the lock knows every guid of every
/// package and CSV in `out/` that is not the one `before` held, and no temporary file is outside
/// `out/`. `what` names the crash in messages.
fn assert_consistent(project: &Project, before: &Tree, cache: &mut GuidCache, what: &str) {
    let tree = project.tree();
    let lock = lock_fields(tree.get(Path::new("ankideck.lock")).expect("a lock"));
    for (rel, bytes) in &tree {
        if is_temp(rel) {
            assert_eq!(
                rel.parent(),
                Some(Path::new("out")),
                "{what}: a temporary file outside out/: {}",
                rel.display()
            );
        }
        let is_output = rel.parent() == Some(Path::new("out"))
            && rel.extension().is_some_and(|e| e == "apkg" || e == "csv")
            && !is_temp(rel);
        if !is_output || before.get(rel) == Some(bytes) {
            continue;
        }
        let guids = cache.guids(&project.path(rel), bytes);
        let unknown: Vec<&String> = guids.iter().filter(|g| !lock.contains(*g)).collect();
        assert!(
            unknown.is_empty(),
            "{what}: {} holds guids the lock does not know: {unknown:?}",
            rel.display()
        );
    }
}

/// Asserts that a project is exactly `expected` (outputs, lock, state, sources).
fn assert_same_tree(project: &Project, expected: &Tree, what: &str) {
    let tree = project.tree();
    let differ: Vec<&PathBuf> = tree
        .keys()
        .chain(expected.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|rel| tree.get(*rel) != expected.get(*rel))
        .collect();
    assert!(differ.is_empty(), "{what}: these files differ from an uninterrupted build: {differ:?}");
}

/// The note ids of every `nid:` search a build printed.
fn reported_note_ids(stderr: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter_map(|line| line.split_once("search: nid:"))
        .flat_map(|(_, ids)| ids.split(',').map(str::to_string))
        .collect()
}

/// A following build finds every deck up to date and changes nothing.
fn assert_up_to_date(project: &Project, args: &[&str], what: &str) {
    let before = project.tree();
    let stderr = project.build(T3 + 1, args);
    assert!(
        stderr.lines().any(|l| l.starts_with("0 built, ")),
        "{what}: a following build rebuilt something:\n{stderr}"
    );
    assert!(reported_note_ids(&stderr).is_empty(), "{what}: removed notes reported twice:\n{stderr}");
    assert_same_tree(project, &before, &format!("{what}, then a no-op build"));
}

/// A project built from `v1` at T1, and the tree of an uninterrupted rebuild from `v2` at `t2`.
struct Scenario {
    built: Tree,
    rebuilt: Tree,
    /// The note ids the uninterrupted rebuild reported removed (its `nid:` searches).
    removed: BTreeSet<String>,
    v2: BTreeMap<&'static str, String>,
    args: Vec<&'static str>,
}

impl Scenario {
    fn new(
        v1: &BTreeMap<&'static str, String>,
        v2: BTreeMap<&'static str, String>,
        first_args: &[&str],
        args: &[&'static str],
    ) -> Scenario {
        let project = Project::from_tree(&Tree::new());
        std::fs::create_dir(project.path("source-cards")).unwrap();
        project.set_sources(v1);
        project.build(T1, first_args);
        let built = project.tree();
        project.set_sources(&v2);
        let removed = reported_note_ids(&project.build(T2, args));
        assert!(!removed.is_empty(), "the scenario removes no notes");
        let rebuilt = project.tree();
        assert!(!rebuilt.keys().any(|p| is_temp(p)), "an uninterrupted build left temporary files");
        Scenario { built, rebuilt, removed, v2, args: args.to_vec() }
    }

    /// The project as first built, with the sources edited to v2.
    fn edited(&self) -> Project {
        let project = Project::from_tree(&self.built);
        project.set_sources(&self.v2);
        project
    }

    /// After a crash: consistent, and the next build completes to exactly the uninterrupted
    /// result, which a later build finds up to date.
    /// `stopped` is what the stopped build printed: with the next build's report, it names every
    /// note the uninterrupted build reported removed.
    fn assert_recovers(&self, project: &Project, cache: &mut GuidCache, what: &str, stopped: &str) {
        assert_consistent(project, &self.built, cache, what);
        let stderr = project.build(T2, &self.args);
        assert_same_tree(project, &self.rebuilt, what);
        let mut reported = reported_note_ids(stopped);
        reported.extend(reported_note_ids(&stderr));
        let lost: Vec<&String> = self.removed.difference(&reported).collect();
        assert!(lost.is_empty(), "{what}: removed notes never reported: {lost:?}\n{stderr}");
        assert_up_to_date(project, &self.args, what);
    }
}

/// v1: three decks; v2: `alpha` edited (cards changed, removed, added), `beta` deleted,
/// `gamma` unchanged, `delta` new.
fn small_project() -> (BTreeMap<&'static str, String>, BTreeMap<&'static str, String>) {
    let v1 = BTreeMap::from([
        ("alpha", deck_text("alpha", 30, 1)),
        ("beta", deck_text("beta", 12, 1)),
        ("gamma", deck_text("gamma", 8, 1)),
    ]);
    let v2 = BTreeMap::from([
        ("alpha", deck_text("alpha", 30, 2)),
        ("gamma", deck_text("gamma", 8, 1)),
        ("delta", deck_text("delta", 6, 1)),
    ]);
    (v1, v2)
}

/// Stops the v2 rebuild before its 1st, 2nd, … durable step until one completes.
fn crash_at_every_step(scenario: &Scenario) -> usize {
    let mut cache = GuidCache::default();
    for n in 1.. {
        let project = scenario.edited();
        let mut args = vec!["build"];
        args.extend(&scenario.args);
        let output =
            project.command(T2, &args).env("ANKIDECK_TEST_CRASH_AT", n.to_string()).output().unwrap();
        let status = output.status;
        if status.success() {
            assert_same_tree(&project, &scenario.rebuilt, "a run with the hook past its last step");
            return n - 1;
        }
        assert_eq!(status.code(), None, "step {n}: the build failed instead of stopping: {status}");
        let stopped = String::from_utf8(output.stderr).unwrap();
        scenario.assert_recovers(&project, &mut cache, &format!("crash before step {n}"), &stopped);
    }
    unreachable!()
}

#[test]
fn a_build_stopped_before_any_durable_step_leaves_a_consistent_project() {
    let (v1, v2) = small_project();
    let with_csv = Scenario::new(&v1, v2.clone(), &["--csv"], &["--csv"]);
    let steps = crash_at_every_step(&with_csv);
    // The lock, then per deck its state removal and two renames, the gone deck's three files,
    // and three state files.
    assert!(steps >= 10, "only {steps} durable steps with CSV");
    // Without --csv the CSVs of the first build are removed: more steps.
    let without_csv = Scenario::new(&v1, v2, &["--csv"], &[]);
    let steps = crash_at_every_step(&without_csv);
    assert!(steps >= 10, "only {steps} durable steps without CSV");
}

/// A few thousand cards in three decks: a build that takes a while, with several renames.
fn large_project() -> (BTreeMap<&'static str, String>, BTreeMap<&'static str, String>) {
    let v1 = BTreeMap::from([
        ("alpha", deck_text("alpha", 1500, 1)),
        ("beta", deck_text("beta", 800, 1)),
        ("gamma", deck_text("gamma", 700, 1)),
    ]);
    let v2 = BTreeMap::from([
        ("alpha", deck_text("alpha", 1500, 2)),
        ("gamma", deck_text("gamma", 700, 2)),
        ("delta", deck_text("delta", 300, 1)),
    ]);
    (v1, v2)
}

/// A small, seedable random number generator (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn from_clock() -> Rng {
        let seed =
            std::env::var("ANKIDECK_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
            });
        eprintln!("ANKIDECK_TEST_SEED={seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn builds_killed_at_random_moments_leave_consistent_projects() {
    let (v1, v2) = large_project();
    let scenario = Scenario::new(&v1, v2, &["--csv"], &["--csv"]);
    // How long an uninterrupted rebuild takes: the kills fall anywhere in it, and a little after.
    let timed = scenario.edited();
    let started = Instant::now();
    timed.build(T2, &scenario.args);
    let mut span = started.elapsed().as_micros() as u64;
    let mut rng = Rng::from_clock();
    let mut cache = GuidCache::default();
    let (mut killed, mut finished) = (0, 0);
    // Kills before the lock was committed, after it but before the build was done, and after.
    let mut stages = [0; 3];
    while killed < 50 {
        let project = scenario.edited();
        let mut args = vec!["build"];
        args.extend(&scenario.args);
        let mut child = project.command(T2, &args).stderr(Stdio::piped()).spawn().unwrap();
        // Every other kill falls in the last fifth of the build, where the lock and the outputs
        // are put in place (a few milliseconds of it).
        let at = if killed % 2 == 0 { rng.below(span) } else { span * 4 / 5 + rng.below(span / 4) };
        std::thread::sleep(Duration::from_micros(at));
        let what = match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "the build failed: {status}");
                finished += 1;
                // The builds run faster than when timed (a busy machine): aim earlier.
                span = span * 3 / 4;
                "a build that finished before the kill".to_string()
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                killed += 1;
                let lock = std::fs::read(project.path("ankideck.lock")).unwrap();
                let stage = match (
                    Some(&lock) == scenario.built.get(Path::new("ankideck.lock")),
                    project.tree() == scenario.rebuilt,
                ) {
                    (true, _) => 0,
                    (false, false) => 1,
                    (false, true) => 2,
                };
                stages[stage] += 1;
                format!("kill {killed}")
            }
        };
        let mut stopped = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stopped).unwrap();
        scenario.assert_recovers(&project, &mut cache, &what, &stopped);
        assert!(finished < 50, "the builds finish before they can be killed");
    }
    eprintln!(
        "kills before the lock was committed, after, after the build: {stages:?}; finished: {finished}"
    );
}

#[test]
fn two_builds_at_once_never_interleave() {
    // Built at v0; the sources are at v1 when the first build starts, and at v2 (one file saved)
    // before the second does; the second build has a later build time. Run one after the other,
    // in either order, they give one of three results; interleaved, a mix of them.
    let (v0, v1) = large_project();
    let mut v2 = v1.clone();
    v2.insert("alpha", deck_text("alpha", 1400, 1));
    let start = Project::from_tree(&Tree::new());
    std::fs::create_dir(start.path("source-cards")).unwrap();
    start.set_sources(&v0);
    start.build(T1, &["--csv"]);
    start.set_sources(&v1);
    let start = start.tree();
    let serial = |steps: &[(&BTreeMap<&str, String>, i64)]| {
        let project = Project::from_tree(&start);
        for (sources, epoch) in steps {
            project.set_sources(sources);
            project.build(*epoch, &["--csv"]);
        }
        project.tree()
    };
    let outcomes = [serial(&[(&v1, T2), (&v2, T3)]), serial(&[(&v2, T2)]), serial(&[(&v2, T3)])];
    let mut cache = GuidCache::default();
    let mut waited = 0;
    for trial in 1..=10 {
        let project = Project::from_tree(&start);
        let first = project.command(T2, &["build", "--csv"]).stderr(Stdio::piped()).spawn().unwrap();
        project.write("source-cards/alpha.txt", v2["alpha"].as_bytes());
        let second = project.command(T3, &["build", "--csv"]).stderr(Stdio::piped()).spawn().unwrap();
        let mut stderr = String::new();
        for child in [first, second] {
            let output = child.wait_with_output().unwrap();
            let text = String::from_utf8(output.stderr).unwrap();
            assert!(output.status.success(), "trial {trial}: a build failed:\n{text}");
            stderr.push_str(&text);
        }
        if stderr.contains("waiting for another ankideck build of this project to finish") {
            waited += 1;
        }
        let what = format!("trial {trial}");
        assert_consistent(&project, &start, &mut cache, &what);
        let tree = project.tree();
        for (rel, bytes) in tree.iter().filter(|(rel, _)| rel.extension().is_some_and(|e| e == "csv")) {
            let package = project.path(rel.with_extension("apkg"));
            let from_package: HashSet<String> =
                cache.guids(&package, &std::fs::read(&package).unwrap()).into_iter().collect();
            let from_csv: HashSet<String> = cache.guids(&project.path(rel), bytes).into_iter().collect();
            let differ: Vec<&String> = from_csv.symmetric_difference(&from_package).collect();
            assert!(differ.is_empty(), "{what}: {} and its package differ in {differ:?}", rel.display());
        }
        assert!(outcomes.contains(&tree), "{what}: the result is not that of one build after the other");
        assert_up_to_date(&project, &["--csv"], &what);
    }
    assert!(waited > 0, "in no trial did a build wait for the other");
}

#[test]
fn a_build_waits_for_the_build_that_holds_the_guard_and_says_so() {
    let (v1, _) = small_project();
    let project = Project::from_tree(&Tree::new());
    std::fs::create_dir(project.path("source-cards")).unwrap();
    project.set_sources(&v1);
    std::fs::create_dir(project.path("out")).unwrap();
    let guard = std::fs::File::create(project.path("out/.ankideck-build-guard")).unwrap();
    guard.lock().unwrap();
    let mut child = project.command(T1, &["build"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut text = String::new();
    while !text
        .contains("waiting for another ankideck build of this project to finish (out/.ankideck-build-guard)")
    {
        let before = text.len();
        std::io::BufRead::read_line(&mut stderr, &mut text).unwrap();
        assert!(text.len() > before, "the build ended without saying it waits:\n{text}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "the build did not wait");
    assert!(!project.path("ankideck.lock").exists(), "the build wrote while another held the guard");
    drop(guard);
    assert!(child.wait().unwrap().success());
    assert!(project.path("ankideck.lock").exists());
}

#[test]
fn a_build_without_csv_removes_the_csv_an_earlier_build_left_and_nothing_else() {
    let (v1, _) = small_project();
    let project = Project::from_tree(&Tree::new());
    std::fs::create_dir(project.path("source-cards")).unwrap();
    project.set_sources(&v1);
    project.build(T1, &["--csv"]);
    assert!(project.path("out/alpha.csv").exists());
    project.write("out/notes.csv", b"mine");
    project.write("out/readme.txt", b"mine");
    project.build(T2, &[]);
    for key in v1.keys() {
        assert!(!project.path(format!("out/{key}.csv")).exists(), "out/{key}.csv was left");
        assert!(project.path(format!("out/{key}.apkg")).exists());
    }
    assert_eq!(std::fs::read(project.path("out/notes.csv")).unwrap(), b"mine");
    assert_eq!(std::fs::read(project.path("out/readme.txt")).unwrap(), b"mine");
}

#[test]
fn a_deleted_deck_has_its_outputs_removed_and_its_notes_named() {
    let (v1, _) = small_project();
    let project = Project::from_tree(&Tree::new());
    std::fs::create_dir(project.path("source-cards")).unwrap();
    project.set_sources(&v1);
    project.build(T1, &["--csv"]);
    let dump = Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .arg("dump")
        .arg(project.path("out/beta.apkg"))
        .output()
        .unwrap();
    let ids: Vec<String> = String::from_utf8(dump.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("note ")?.split(' ').next().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 12);

    // While another deck has errors (it may be beta renamed), beta stays.
    let mut broken = v1.clone();
    broken.remove("beta");
    broken.insert("renamed", "RENAMED Flashcards\ntext before any heading\n".to_string());
    project.set_sources(&broken);
    let stderr = project.run_failing(T2);
    assert!(project.path("out/beta.apkg").exists(), "removed while a deck had errors:\n{stderr}");

    let mut gone = v1.clone();
    gone.remove("beta");
    project.set_sources(&gone);
    let stderr = project.build(T2, &["--csv"]);
    for file in ["out/beta.apkg", "out/beta.csv", "out/.ankideck-state/beta.state"] {
        assert!(!project.path(file).exists(), "{file} was left:\n{stderr}");
    }
    assert!(stderr.contains("beta: its source file is gone"), "{stderr}");
    assert!(stderr.contains("removed out/beta.apkg, out/beta.csv"), "{stderr}");
    assert!(stderr.contains(&format!("search: nid:{}\n", ids.join(","))), "{stderr}");
    assert!(project.path("out/alpha.apkg").exists() && project.path("out/gamma.csv").exists());
}

#[test]
fn leftover_temporary_files_of_a_killed_build_are_removed_by_the_next() {
    let (v1, _) = small_project();
    let project = Project::from_tree(&Tree::new());
    std::fs::create_dir(project.path("source-cards")).unwrap();
    project.set_sources(&v1);
    project.build(T1, &[]);
    // Where builds left them: out/, and the project root (where the lock used to be staged).
    project.write("out/.ankideck-a1b2c3.tmp", b"half a package");
    project.write(".ankideck-d4e5f6.tmp", b"half a lock");
    project.write("out/.ankideck-keep", b"not a temporary file");
    project.build(T1, &[]);
    let temps: Vec<PathBuf> = project.tree().into_keys().filter(|p| is_temp(p)).collect();
    assert!(temps.is_empty(), "left: {temps:?}");
    assert!(project.path("out/.ankideck-keep").exists());
}

impl Project {
    /// Runs `ankideck build`, which must exit 1 (an input is wrong); returns its stderr.
    fn run_failing(&self, epoch: i64) -> String {
        let output = self.command(epoch, &["build"]).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        stderr
    }
}

#[test]
fn a_renamed_deck_file_has_its_old_outputs_removed() {
    let (v1, _) = small_project();
    let project = Project::from_tree(&Tree::new());
    std::fs::create_dir(project.path("source-cards")).unwrap();
    project.set_sources(&v1);
    project.build(T1, &["--csv"]);
    let mut renamed = v1.clone();
    let beta = renamed.remove("beta").unwrap();
    renamed.insert("beta-2", beta);
    project.set_sources(&renamed);
    let stderr = project.build(T2, &["--csv"]);
    assert!(stderr.contains("carried over from the lock entries of `beta`"), "{stderr}");
    assert!(
        stderr.contains("beta: its deck file was renamed\n    removed out/beta.apkg, out/beta.csv\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("nid:"), "the renamed deck's notes are not gone: {stderr}");
    assert!(!project.path("out/beta.apkg").exists() && !project.path("out/beta.csv").exists());
    assert!(project.path("out/beta-2.apkg").exists());
}

#[test]
fn a_package_that_cannot_be_put_in_place_fails_cleanly_and_the_next_build_recovers() {
    let (v1, v2) = small_project();
    let scenario = Scenario::new(&v1, v2, &["--csv"], &["--csv"]);
    let project = scenario.edited();
    // A folder where the package goes: the rename cannot replace it.
    std::fs::remove_file(project.path("out/alpha.apkg")).unwrap();
    project.write("out/alpha.apkg/blocker", b"x");
    let output = project.command(T2, &["build", "--csv"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("alpha.txt: failed: cannot move the finished file to out/alpha.apkg"),
        "{stderr}"
    );
    let temps: Vec<PathBuf> = project.tree().into_keys().filter(|p| is_temp(p)).collect();
    assert!(temps.is_empty(), "left: {temps:?}");
    assert!(!project.path("out/.ankideck-state/alpha.state").exists(), "alpha is called up to date");
    let mut cache = GuidCache::default();
    assert_consistent(&project, &scenario.built, &mut cache, "a failed rename");
    std::fs::remove_dir_all(project.path("out/alpha.apkg")).unwrap();
    // As if the rename had failed over the old package: the next build replaces it.
    std::fs::write(project.path("out/alpha.apkg"), &scenario.built[Path::new("out/alpha.apkg")]).unwrap();
    scenario.assert_recovers(&project, &mut cache, "after a failed rename", &stderr);
}
