//! `ankideck watch` end to end: the binary is spawned in a project, files are edited the ways
//! editors and git edit them, and the test waits (with a generous timeout, never asserting on
//! speed) for the line each build prints.

mod common;

use common::{Project, command};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long a test waits for a line before it fails: far longer than any build here takes.
const PATIENCE: Duration = Duration::from_secs(60);

const GOOD: &str = "GOOD DECK Flashcards
THE LEADERSHIP STRUGGLE
When was Trotsky expelled from the Party?
In November 1927.
THE FIRST FIVE-YEAR PLAN
Which new industrial city was built in the Urals?
Magnitogorsk.
";

/// A card of one line: E006.
const BROKEN: &str = "BROKEN DECK Flashcards
THE FIRST FIVE-YEAR PLAN
When did the first Five-Year Plan begin? In October 1928.
";

/// A running `ankideck watch`, and the lines of its stderr.
struct Watching {
    child: Child,
    lines: Receiver<String>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Watching {
    /// Starts `ankideck watch ARGS` and waits for its first build.
    fn start(project: &Project, args: &[&str]) -> Watching {
        let mut watching = Watching::spawn(project, args, &[]);
        watching.build_line("first build");
        watching
    }

    /// Starts `ankideck watch ARGS` with the environment variables `env`.
    fn spawn(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Watching {
        let mut all = vec!["watch"];
        all.extend_from_slice(args);
        let mut child = command(project.dir.path(), &all)
            .env("SOURCE_DATE_EPOCH", "1764000000")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines, seen: Vec::new() }
    }

    /// Waits for a line that contains `text`, and returns it.
    fn line(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    assert!(
                        !line.contains("panicked"),
                        "the watch panicked:\n{}\n{line}",
                        self.seen.join("\n")
                    );
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no line with `{text}` within {PATIENCE:?}; the watch said:\n{}",
                        self.seen.join("\n")
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the watch ended before a line with `{text}`; it said:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// Waits for the next build's line whose text after the time starts with `what`.
    fn build_line(&mut self, what: &str) -> String {
        let line = self.line(&format!(" {what}:"));
        assert!(is_build_line(&line), "not a build's line: {line}");
        line
    }

    /// How many build lines were seen so far.
    fn builds(&self) -> usize {
        self.seen.iter().filter(|l| is_build_line(l)).count()
    }

    /// Stops the watch as Ctrl-C does, and returns its exit code once it has ended.
    fn interrupt(mut self) -> i32 {
        // SAFETY: a signal to the child this test spawned.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        self.line("stopped watching");
        let status = self.child.wait().unwrap();
        status.code().expect("exited, not killed")
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `12:04:31 what: 3 decks: …`
fn is_build_line(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 9
        && b[..8]
            .iter()
            .enumerate()
            .all(|(i, c)| if i == 2 || i == 5 { *c == b':' } else { c.is_ascii_digit() })
        && line.contains(" rebuilt, ")
}

/// Waits until `done` holds, failing with `what` after [`PATIENCE`].
fn eventually(done: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A project with the deck `good.txt`.
fn project() -> Project {
    let project = Project::empty();
    project.write_source("good.txt", GOOD);
    project
}

/// Makes one more change (to a deck of its own) and waits for its build: the lines from
/// `since` on must then be `expected` build lines and this one, no other build between.
fn assert_builds_since(watching: &mut Watching, project: &Project, since: usize, expected: usize) {
    project
        .write_source("sentinel.txt", &format!("SENTINEL\nSECTION\nWhich build is this?\nNumber {since}.\n"));
    watching.build_line("source-cards/sentinel.txt");
    assert_eq!(
        watching.builds() - since,
        expected + 1,
        "builds other than the expected ones:\n{}",
        watching.seen.join("\n")
    );
}

/// The temporary files of ankideck and of `tempfile` left anywhere in the project.
fn temp_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            found.extend(temp_files(&entry.path()));
        } else if name.ends_with(".tmp") || name.starts_with(".tmp") {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[test]
fn an_edit_is_rebuilt_the_preview_is_told_and_ctrl_c_stops_cleanly() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);
    // `_live.js` is written after the line: waited for, not timed.
    eventually(|| project.exists("out/preview/_live.js"), "_live.js was not written");
    let live = project.read("out/preview/_live.js");
    assert!(live.starts_with("window.ankideckLive && window.ankideckLive(\""), "{live}");

    project.write_source("good.txt", &format!("{GOOD}THE PURGES\nWho led the opposition?\nTrotsky.\n"));
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains(": 1 deck: 1 rebuilt, 0 unchanged ("), "{line}");
    assert!(project.dump("out/good.apkg").contains("Who led the opposition?"));
    eventually(|| project.read("out/preview/_live.js") != live, "_live.js was not replaced");

    assert_eq!(watching.interrupt(), 0);
    assert_eq!(temp_files(project.dir.path()), Vec::<String>::new());
    assert!(!project.exists("out/.ankideck-watch"), "the watch's record is left");
}

#[test]
fn saves_by_rename_are_one_rebuild_each() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);
    let deck = project.path("source-cards/good.txt");

    // vim's backup-write: the file renamed to its backup, a new one written, the backup removed.
    let since = watching.builds();
    std::fs::rename(&deck, project.path("source-cards/good.txt~")).unwrap();
    std::fs::write(&deck, GOOD.replace("Magnitogorsk.", "Magnitogorsk, in 1929.")).unwrap();
    std::fs::remove_file(project.path("source-cards/good.txt~")).unwrap();
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 rebuilt"), "{line}");
    assert_builds_since(&mut watching, &project, since, 1);

    // An atomic save: a temporary file of a name no filter knows, renamed over the deck.
    let since = watching.builds();
    let temp = project.path("source-cards/good.txt.saving");
    std::fs::write(&temp, GOOD.replace("In November 1927.", "In December 1927.")).unwrap();
    std::fs::rename(&temp, &deck).unwrap();
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 rebuilt"), "{line}");
    assert!(project.dump("out/good.apkg").contains("In December 1927."));
    assert_builds_since(&mut watching, &project, since, 1);

    // Delete and create (the file is briefly gone).
    let since = watching.builds();
    std::fs::remove_file(&deck).unwrap();
    std::fs::write(&deck, GOOD).unwrap();
    let line = watching.build_line("source-cards/good.txt");
    assert!(!line.contains("gone"), "{line}");
    assert_builds_since(&mut watching, &project, since, 1);
}

#[test]
fn a_deck_broken_for_a_while_keeps_its_package_until_it_is_fixed() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);
    let package = project.bytes("out/good.apkg");

    // Half written: the card's answer is not there yet.
    project.write_source("good.txt", GOOD.split_once("In November").unwrap().0.trim_end());
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 not built — 1 error in source-cards/good.txt:"), "{line}");
    watching.line("error[E");
    assert_eq!(project.bytes("out/good.apkg"), package, "the last good package stays");

    project.write_source("good.txt", &format!("{GOOD}THE PURGES\nWho led the opposition?\nTrotsky.\n"));
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 rebuilt") && !line.contains("error"), "{line}");
    assert!(project.dump("out/good.apkg").contains("Who led the opposition?"));
}

#[test]
fn decks_added_and_deleted_and_many_files_at_once_are_one_build() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);

    let line = {
        project.write_source("broken.txt", BROKEN);
        watching.build_line("source-cards/broken.txt")
    };
    assert!(
        line.contains("2 decks: 0 rebuilt, 1 unchanged, 1 not built — 1 error in source-cards/broken.txt:3"),
        "{line}"
    );

    // Two changes in one window, then a checkout-like burst of twenty files: one build each.
    let since = watching.builds();
    project.write_source("broken.txt", &BROKEN.replace(" In October", "\nIn October"));
    project.write_source("good.txt", &GOOD.replace("Magnitogorsk.", "Magnitogorsk (1929)."));
    let line = watching.build_line("source-cards/broken.txt, source-cards/good.txt");
    assert!(line.contains("2 decks: 2 rebuilt, 0 unchanged ("), "{line}");
    for i in 0..20 {
        project.write_source(
            &format!("deck{i:02}.txt"),
            &format!("DECK {i}\nSECTION\nWhat is {i} + 1?\n{}.\n", i + 1),
        );
    }
    let line = watching.build_line("source-cards/deck00.txt and 19 more files");
    assert!(line.contains("22 decks: 20 rebuilt, 2 unchanged ("), "{line}");
    assert_builds_since(&mut watching, &project, since, 2);

    std::fs::remove_file(project.path("source-cards/broken.txt")).unwrap();
    let line = watching.build_line("source-cards/broken.txt (removed)");
    assert!(line.contains(", 1 gone ("), "{line}");
    watching.line("broken: its source file is gone");
    assert!(!project.exists("out/broken.apkg"));
}

#[test]
fn a_build_or_second_watch_meanwhile_is_refused_naming_the_watch() {
    let project = project();
    let watching = Watching::start(&project, &[]);
    let pid = watching.child.id();
    for args in [&["build"][..], &["watch"]] {
        let run = project.run(1_764_000_000, args);
        assert_eq!(run.code, 2, "{args:?}:\n{}", run.stderr);
        assert!(
            run.stderr.contains(&format!("`ankideck watch` (pid {pid}) is running for this project")),
            "{args:?}:\n{}",
            run.stderr
        );
    }
    assert_eq!(watching.interrupt(), 0);
    project.build(1_764_000_000, &[], 0);
}

#[test]
fn polling_sees_edits_too() {
    let project = project();
    let mut watching = Watching::start(&project, &["--poll"]);
    assert!(watching.seen.iter().any(|l| l.contains("by scanning it twice a second")), "{:?}", watching.seen);
    project.write_source("good.txt", &format!("{GOOD}THE PURGES\nWho led the opposition?\nTrotsky.\n"));
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 rebuilt"), "{line}");
}

#[test]
fn without_file_events_the_watch_says_so_and_scans() {
    let project = project();
    let mut watching = Watching::spawn(&project, &[], &[("ANKIDECK_TEST_NO_FILE_EVENTS", "1")]);
    watching.line(
        "by scanning it twice a second (file events are not available: ANKIDECK_TEST_NO_FILE_EVENTS is set)",
    );
    watching.build_line("first build");
    project.write_source("good.txt", &format!("{GOOD}THE PURGES\nWho led the opposition?\nTrotsky.\n"));
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 rebuilt"), "{line}");
}

#[test]
fn settings_and_folders_made_later_are_watched() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);
    project.write("ankideck.toml", "[defaults]\nthis-is-not-a-key = 1\n");
    let line = watching.line("ankideck.toml: not built");
    assert!(is_build_line(&line) || line.contains("not built ("), "{line}");
    std::fs::remove_file(project.path("ankideck.toml")).unwrap();
    watching.build_line("ankideck.toml (removed)");
    // A folder made after the watch started: its files are seen.
    project.write("media/notes.txt", "x");
    watching.line("media");
    project.write("media/more.txt", "y");
    watching.build_line("media/more.txt");
}

#[test]
fn a_source_folder_removed_and_made_again_is_still_watched() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);
    // As a checkout to a branch without the folder and back, within one batch.
    let folder = project.path("source-cards");
    std::fs::rename(&folder, project.path("elsewhere")).unwrap();
    std::fs::create_dir(&folder).unwrap();
    project.write_source("good.txt", GOOD);
    watching.build_line("elsewhere, source-cards");
    let since = watching.builds();
    project.write_source("good.txt", &GOOD.replace("Magnitogorsk.", "Magnitogorsk, in the Urals."));
    let line = watching.build_line("source-cards/good.txt");
    assert!(line.contains("1 rebuilt"), "{line}");
    assert_eq!(watching.builds() - since, 1);
}

#[test]
fn ctrl_c_during_a_build_lets_it_finish_and_leaves_no_temporary_file() {
    let project = Project::empty();
    let cards: String = (0..5000)
        .map(|i| {
            format!("SECTION {}\nCard {i} about the plan of the committee in\nAnswer {i}.\n", i / 25 + 1)
        })
        .collect();
    project.write_source("big.txt", &format!("Big Flashcards\n{cards}"));
    let mut watching = Watching::spawn(&project, &[], &[]);
    watching.line("Watching");
    // Most often the first build is under way here; if it is done already, the stop is
    // simply between builds.
    assert_eq!(watching.interrupt(), 0);
    assert_eq!(temp_files(project.dir.path()), Vec::<String>::new());
    assert!(project.dump("out/big.apkg").contains("Answer 4999."), "the package is whole");
    assert!(!project.exists("out/.ankideck-watch"));
}

#[test]
fn the_preview_is_written_by_the_first_build_and_follows_each_edit() {
    let project = project();
    project.write_source("other.txt", "OTHER DECK\nSECTION\nWhat stays the same?\nThis card.\n");
    let mut watching = Watching::start(&project, &[]);
    watching.line("preview: open ");
    let page = "out/preview/deck-good.html";
    assert!(project.read(page).contains("Which new industrial city was built in the Urals?"));
    let other = std::fs::metadata(project.path("out/preview/deck-other.html")).unwrap().modified().unwrap();

    // The page is replaced before `_live.js` tells the open page to reload.
    eventually(|| project.exists("out/preview/_live.js"), "_live.js was not written");
    let live = project.read("out/preview/_live.js");
    project.write_source("good.txt", &GOOD.replace("Urals?", "Ural mountains?"));
    watching.build_line("source-cards/good.txt");
    eventually(|| project.read("out/preview/_live.js") != live, "_live.js was not replaced");
    let html = project.read(page);
    assert!(html.contains("Which new industrial city was built in the Ural mountains?"), "{html}");
    assert!(!html.contains("in the Urals?"), "{html}");
    // Only the deck rebuilt is previewed again.
    let after = std::fs::metadata(project.path("out/preview/deck-other.html")).unwrap().modified().unwrap();
    assert_eq!(other, after, "the other deck's page was rewritten");

    // A deck deleted: its page goes.
    std::fs::remove_file(project.path("source-cards/other.txt")).unwrap();
    watching.build_line("source-cards/other.txt (removed)");
    eventually(|| !project.exists("out/preview/deck-other.html"), "the deleted deck's page stayed");
    assert!(project.read("out/preview/index.html").contains("deck-good.html"));
}

/// The preview's index lists a deck with errors as `ankideck preview` does, and no longer once
/// it is deleted: the watch refreshed the preview only after a deck was rebuilt or removed, so a
/// new deck half typed was missing from the index, and one deleted before it ever built stayed
/// listed.
#[test]
fn the_preview_index_follows_the_decks_with_errors() {
    let project = project();
    let mut watching = Watching::start(&project, &[]);
    watching.line("preview: open ");
    let index = "out/preview/index.html";
    project.write_source("half.txt", "HALF\nSECTION\nA card with one line\n");
    watching.build_line("source-cards/half.txt");
    eventually(
        || project.read(index).contains("half: has errors"),
        "the index does not list the deck with errors",
    );
    std::fs::remove_file(project.path("source-cards/half.txt")).unwrap();
    watching.build_line("source-cards/half.txt (removed)");
    eventually(|| !project.read(index).contains("half"), "the index still lists the deleted deck");
    assert!(project.read(index).contains("deck-good.html"));
}
