//! The messages and exit codes of the command line: the README's exit code table checked row by
//! row, the errors for a wrong source, out folder or package (snapshots of stderr), `check` and
//! `build` reporting the same problems, `--locked` saying what would change, `-q` and `-v`.

use std::path::Path;

/// The build time of every run.
const T1: i64 = 1_764_000_000;
/// A later rebuild.
const T2: i64 = 1_764_100_000;

/// A small deck without problems.
const GOOD: &str = "Good Deck\nFIRST\nWhat is the first card?\nThe first answer.\nSECOND\nWhat is the second card?\nThe second answer.\n";

mod common;
use common::{Project, Run, normalize_elapsed};

/// What these tests add to the shared project: a good deck, runs in a folder of it with an
/// environment of their own, and the transcript of a run.
impl Project {
    /// A project with `source-cards/good.txt`.
    fn good() -> Project {
        let project = Project::empty();
        project.write("source-cards/good.txt", GOOD);
        project
    }

    /// Runs `ankideck ARGS` in the folder `cwd` of the project, with `env`.
    fn run_in(&self, cwd: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        common::run_with(&self.path(cwd), args, env)
    }

    /// Stderr with the temp path and the elapsed time replaced by placeholders, and the exit code.
    fn transcript(&self, run: &Run) -> String {
        let mut text = run.stderr.clone();
        for root in [self.dir.path().to_path_buf(), self.dir.path().canonicalize().unwrap()] {
            text = text.replace(&root.display().to_string(), "[TMP]");
        }
        let text: String = text.lines().map(|line| normalize_elapsed(line) + "\n").collect();
        format!("exit: {}\n{text}", run.code)
    }
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The rows of the README's exit code table: (code, when).
fn exit_code_table() -> Vec<(i32, String)> {
    let readme = readme();
    let table = readme.split_once("### Exit codes").expect("the README has an exit code section").1;
    table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            Some((cells[0].parse().ok()?, cells[1].to_string()))
        })
        .collect()
}

/// Runs the cases of one row of the exit code table; each returns its run.
fn cases_of(when: &str) -> Vec<(&'static str, Run)> {
    let good = Project::good;
    match when {
        w if w.starts_with("success") => {
            let project = good();
            let build = project.run(T1, &["build"]);
            let check = project.run(T1, &["check"]);
            let dump = project.run(T1, &["dump", "out/good.apkg"]);
            // Warnings do not make a failure.
            let warned = good();
            warned.write("source-cards/notes.rtf", "not a deck");
            let with_warning = warned.run(T1, &["build"]);
            assert!(with_warning.stderr.contains("warning["), "{}", with_warning.stderr);
            vec![("build", build), ("check", check), ("dump", dump), ("build with a warning", with_warning)]
        }
        "a deck file has errors (the other decks are built)" => {
            let project = good();
            project.write("source-cards/broken.txt", "Broken\nONE\nonly one line\n");
            let build = project.run(T1, &["build"]);
            assert!(project.path("out/good.apkg").exists(), "the good deck is built");
            vec![("build", build), ("check", project.run(T1, &["check"]))]
        }
        "`ankideck.css` is not valid UTF-8 (nothing is built)" => {
            // The user's file is wrong, not unreadable: say what to do, as for a deck file.
            let project = good();
            std::fs::write(project.path("source-cards/ankideck.css"), b".card { color: \xff }").unwrap();
            let (build, check) = (project.run(T1, &["build"]), project.run(T1, &["check"]));
            for run in [&build, &check] {
                let expected =
                    "error: source-cards/ankideck.css is not valid UTF-8\n  = hint: save it as UTF-8";
                assert!(run.stderr.contains(expected), "{}", run.stderr);
            }
            assert!(!project.path("out/good.apkg").exists());
            vec![("build", build), ("check", check)]
        }
        w if w.starts_with("the lock is damaged") => {
            let damaged = good();
            assert_eq!(damaged.run(T1, &["build"]).code, 0);
            std::fs::remove_dir_all(damaged.path("out")).unwrap();
            // The deck's `end` line is cut off.
            let lock = damaged.read("ankideck.lock");
            let cut = &lock[..lock.trim_end().rfind('\n').unwrap() + 1];
            damaged.write("ankideck.lock", cut);
            let conflict = good();
            assert_eq!(conflict.run(T1, &["build"]).code, 0);
            let lock = conflict.read("ankideck.lock");
            conflict.write("ankideck.lock", &format!("<<<<<<< HEAD\n{lock}=======\n{lock}>>>>>>> theirs\n"));
            vec![("damaged", damaged.run(T1, &["build"])), ("conflict", conflict.run(T1, &["build"]))]
        }
        w if w.starts_with("`build --locked`") => {
            let project = good();
            vec![("no lock yet", project.run(T1, &["build", "--locked"]))]
        }
        w if w.starts_with("the source folder is missing") => {
            let project = Project::empty();
            project.write("a-file", "x");
            std::fs::create_dir(project.path("empty")).unwrap();
            vec![
                ("build, missing", project.run(T1, &["build"])),
                ("check, missing", project.run(T1, &["check"])),
                ("build, a file", project.run(T1, &["build", "--source", "a-file"])),
                ("check, a file", project.run(T1, &["check", "--source", "a-file"])),
                ("build, no decks", project.run(T1, &["build", "--source", "empty"])),
                ("check, no decks", project.run(T1, &["check", "--source", "empty"])),
            ]
        }
        w if w.starts_with("`--out` names a file") => {
            let project = good();
            project.write("a-file", "x");
            vec![
                ("a file", project.run(T1, &["build", "--out", "a-file"])),
                ("under a file", project.run(T1, &["build", "--out", "a-file/out"])),
                ("lock under a file", project.run(T1, &["build", "--lock", "a-file/ankideck.lock"])),
                ("lock in no folder", project.run(T1, &["build", "--lock", "no-folder/ankideck.lock"])),
                ("out is the source", project.run(T1, &["build", "--out", "source-cards"])),
                ("out inside the source", project.run(T1, &["build", "--out", "source-cards/out"])),
            ]
        }
        w if w.starts_with("`SOURCE_DATE_EPOCH`") => {
            let project = good();
            let words = project.run_in("", &["build"], &[("SOURCE_DATE_EPOCH", "yesterday")]);
            let negative = project.run_in("", &["build"], &[("SOURCE_DATE_EPOCH", "-5")]);
            vec![("words", words), ("negative", negative)]
        }
        w if w.starts_with("`ankideck.toml` has an error") => {
            let project = good();
            project.write("ankideck.toml", "[defaults]\nsubdecks = \"yes\"\n");
            vec![("build", project.run(T1, &["build"])), ("check", project.run(T1, &["check"]))]
        }
        w if w.starts_with("a file that `ankideck.toml` names") => {
            // A wrong path in the settings is the user's input: named at its key, exit 1.
            let project = good();
            project.write(
                "ankideck.toml",
                "[defaults]\nnotetype = \"vocab\"\n[notetypes.vocab]\nfields = [\"Word\", \"Meaning\"]\n\
                 css = \"styles/vocab.css\"\n\
                 templates = [{ name = \"Card 1\", front = \"f.html\", back = \"f.html\" }]\n",
            );
            project.write("f.html", "{{Word}}");
            let (build, check) = (project.run(T1, &["build"]), project.run(T1, &["check"]));
            std::fs::create_dir_all(project.path("styles/vocab.css")).unwrap();
            let folder = project.run(T1, &["check"]);
            for (run, what) in
                [(&build, "does not exist"), (&check, "does not exist"), (&folder, "is a folder")]
            {
                let expected = format!(
                    "ankideck.toml:5:7: error: the stylesheet styles/vocab.css {what} (key `notetypes.vocab.css`)"
                );
                assert!(run.stderr.contains(&expected), "{}", run.stderr);
            }
            assert!(!project.path("out/good.apkg").exists());
            vec![("build", build), ("check", check), ("a folder", folder)]
        }
        w if w.starts_with("`dump`") => {
            let project = good();
            project.write("text.apkg", "not a zip");
            vec![
                ("missing", project.run(T1, &["dump", "missing.apkg"])),
                ("a folder", project.run(T1, &["dump", "source-cards"])),
                ("not a zip", project.run(T1, &["dump", "text.apkg"])),
            ]
        }
        w if w.starts_with("the command line is wrong") => {
            let project = good();
            vec![
                ("unknown command", project.run(T1, &["bulid"])),
                ("unknown flag", project.run(T1, &["build", "--no-such-flag"])),
                ("bad value", project.run(T1, &["build", "--compression", "maximal"])),
            ]
        }
        w if w.starts_with("a file or folder cannot be read") => {
            let project = good();
            // A folder where the lock file should be: reading it fails (even as root).
            std::fs::create_dir(project.path("ankideck.lock")).unwrap();
            // A deck file whose reading fails (even as root): /proc/self/mem at offset 0.
            let deck = Project::good();
            std::os::unix::fs::symlink("/proc/self/mem", deck.path("source-cards/unreadable.txt")).unwrap();
            let (build, check) = (deck.run(T1, &["build"]), deck.run(T1, &["check"]));
            // Both name it and go on with the other decks.
            for run in [&build, &check] {
                assert!(run.stderr.contains("cannot read source-cards/unreadable.txt: "), "{}", run.stderr);
            }
            assert!(check.stderr.contains("2 decks, 2 cards, 0 errors"), "{}", check.stderr);
            // A stylesheet that cannot be read (a folder).
            let css = Project::good();
            std::fs::create_dir(css.path("source-cards/ankideck.css")).unwrap();
            let (css_build, css_check) = (css.run(T1, &["build"]), css.run(T1, &["check"]));
            for run in [&css_build, &css_check] {
                assert!(run.stderr.contains("cannot read source-cards/ankideck.css: "), "{}", run.stderr);
            }
            // A settings file that cannot be read (a folder).
            let toml = Project::good();
            std::fs::create_dir(toml.path("ankideck.toml")).unwrap();
            let (toml_build, toml_check) = (toml.run(T1, &["build"]), toml.run(T1, &["check"]));
            for run in [&toml_build, &toml_check] {
                assert!(
                    run.stderr.lines().any(|l| l.starts_with("error: cannot read ankideck.toml: ")),
                    "{}",
                    run.stderr
                );
            }
            vec![
                ("the lock", project.run(T1, &["build"])),
                ("the settings, build", toml_build),
                ("the settings, check", toml_check),
                ("a deck file, build", build),
                ("a deck file, check", check),
                ("the stylesheet, build", css_build),
                ("the stylesheet, check", css_check),
            ]
        }
        w if w.starts_with("a file or folder cannot be written") => {
            let project = good();
            // A folder where the package goes: putting the package in place fails.
            std::fs::create_dir_all(project.path("out/good.apkg/inside")).unwrap();
            let package = project.run(T1, &["build"]);
            // A folder that cannot be made (even as root: /proc takes no new folders).
            let out = project.run(T1, &["build", "--out", "/proc/ankideck-out"]);
            vec![("a package", package), ("out/", out)]
        }
        w if w.starts_with("`preview` names a deck that is not in the source folder") => {
            let project = good();
            let unknown = project.run(T1, &["preview", "nowhere"]);
            assert!(
                unknown.stderr.contains("error: no deck `nowhere` in source-cards"),
                "{}",
                unknown.stderr
            );
            assert!(!project.exists("out/preview"), "nothing is written");
            let broken = good();
            broken.write_source("broken.txt", "Broken\n\nEUROPE\nA front without a back\n");
            let with_errors = broken.run(T1, &["preview"]);
            assert!(broken.exists("out/preview/index.html"), "the other decks are previewed");
            vec![("an unknown deck", unknown), ("a deck with errors", with_errors)]
        }
        w if w.starts_with("`build` or `watch` while `ankideck watch` runs") => {
            let project = good();
            let mut watch = common::command(project.dir.path(), &["watch"])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // It holds the guard once its record is written.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !project.exists("out/.ankideck-watch") {
                assert!(std::time::Instant::now() < deadline, "the watch did not start");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let build = project.run(T1, &["build"]);
            let second = project.run(T1, &["watch"]);
            let _ = watch.kill();
            let _ = watch.wait();
            vec![("build", build), ("a second watch", second)]
        }
        other => panic!("the README's exit code table has a row this test does not know: {other:?}"),
    }
}

#[test]
fn every_row_of_the_readme_exit_code_table_is_what_the_binary_exits_with() {
    let table = exit_code_table();
    assert!(table.len() >= 10, "the exit code table was not found whole: {table:?}");
    for code in [0, 1, 2] {
        assert!(table.iter().any(|(c, _)| *c == code), "no row for exit code {code}");
    }
    for (code, when) in &table {
        for (case, run) in cases_of(when) {
            assert_eq!(
                run.code, *code,
                "README row `{when}`, case {case}: exit {}\n{}",
                run.code, run.stderr
            );
        }
    }
}

#[test]
fn help_says_what_each_exit_code_means_in_one_line() {
    let run = Project::empty().run(T1, &["--help"]);
    assert_eq!(run.code, 0);
    let line = run.stdout.lines().find(|l| l.starts_with("Exit codes:")).expect("an exit code line");
    for code in ["0 success", "1 an input is wrong", "2 reading or writing failed"] {
        assert!(line.contains(code), "`{code}` is not in the --help line: {line}");
    }
    // The README says the same in its table.
    let table = exit_code_table();
    assert!(table.iter().any(|(c, w)| *c == 0 && w.starts_with("success")));
}

// The errors of a wrong source folder, out folder or package: each names the path, what is
// wrong and what to do.

#[test]
fn missing_source_folder_says_where_it_looked() {
    let project = Project::empty();
    insta::assert_snapshot!("missing_source_build", project.transcript(&project.run(T1, &["build"])));
    insta::assert_snapshot!("missing_source_check", project.transcript(&project.run(T1, &["check"])));
    assert!(!project.path("out").exists(), "a build from the wrong folder left out/ behind");
}

#[test]
fn run_from_inside_the_source_folder_hints_to_cd_up() {
    let project = Project::good();
    let env = [("SOURCE_DATE_EPOCH", "1764000000")];
    let build = project.run_in("source-cards", &["build"], &env);
    insta::assert_snapshot!("inside_source_build", project.transcript(&build));
    // Following the hint must not make a second project inside the source folder: `build
    // --source .` there writes a new lock and out/ beside the decks, every note new in Anki.
    assert!(!build.stderr.contains("--source ."), "{}", build.stderr);
    let check = project.run_in("source-cards", &["check"], &env);
    assert!(check.stderr.contains("(`cd ..`)"), "{}", check.stderr);
    assert_eq!(check.code, 1);
    // A folder named `source-cards` without decks (yet) is the same mistake.
    std::fs::remove_file(project.path("source-cards/good.txt")).unwrap();
    let empty = project.run_in("source-cards", &["check"], &env);
    assert!(empty.stderr.contains("(`cd ..`)"), "{}", empty.stderr);
    // Elsewhere, the hint is to run from the project folder, without `cd ..`.
    let other = project.run_in("", &["check", "--source", "elsewhere"], &env);
    assert!(!other.stderr.contains("cd .."), "{}", other.stderr);
    assert!(other.stderr.contains("the one that holds elsewhere/"), "{}", other.stderr);
}

#[test]
fn source_that_is_a_file_or_has_no_decks_is_named() {
    let project = Project::empty();
    project.write("cards.txt", "x");
    project.write("notes/readme.rtf", "x");
    insta::assert_snapshot!(
        "source_is_a_file",
        project.transcript(&project.run(T1, &["build", "--source", "cards.txt"]))
    );
    insta::assert_snapshot!(
        "source_without_decks",
        project.transcript(&project.run(T1, &["check", "--source", "notes"]))
    );
    let json = project.run(T1, &["check", "--source", "notes", "--format", "json"]);
    assert_eq!(json.code, 1);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["decks"].as_array().unwrap().len(), 0);
    assert_eq!(json["diagnostics"][0]["code"], "W006", "{json}");
}

#[test]
fn out_naming_a_file_says_so_and_writes_nothing() {
    let project = Project::good();
    project.write("packages", "a file");
    insta::assert_snapshot!(
        "out_is_a_file",
        project.transcript(&project.run(T1, &["build", "--out", "packages"]))
    );
    insta::assert_snapshot!(
        "out_under_a_file",
        project.transcript(&project.run(T1, &["build", "--out", "packages/decks"]))
    );
    assert!(!project.path("ankideck.lock").exists());
    let proc = project.run(T1, &["build", "--out", "/proc/ankideck-out"]);
    assert_eq!(proc.code, 2);
    assert!(
        proc.stderr.contains("error: cannot create the out folder /proc/ankideck-out: "),
        "{}",
        proc.stderr
    );
}

#[test]
fn lock_in_a_folder_that_is_a_file_or_missing_is_named_before_anything_is_written() {
    let project = Project::good();
    project.write("packages", "a file");
    let run = project.run(T1, &["build", "--lock", "packages/ankideck.lock"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The path at fault is the lock's folder, not out/ (which is fine).
    assert!(
        run.stderr.starts_with(
            "error: the lock file packages/ankideck.lock cannot be written: packages is a file, not a folder\n"
        ),
        "{}",
        run.stderr
    );
    let run = project.run(T1, &["build", "--lock", "locks/ankideck.lock"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("there is no folder locks\n  = hint: --lock names the lock file"),
        "{}",
        run.stderr
    );
    // Found before the build: no package was written for a lock that could not be.
    assert!(!project.path("out").exists());
}

#[test]
fn dump_of_something_else_than_a_package_says_not_an_anki_package() {
    let project = Project::good();
    project.write("text.apkg", "not a zip");
    let zip_without_collection = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("media", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, b"{}").unwrap();
        zip.finish().unwrap().into_inner()
    };
    std::fs::write(project.path("empty.apkg"), zip_without_collection).unwrap();
    let mut transcript = String::new();
    for path in ["source-cards", "text.apkg", "empty.apkg", "missing.apkg"] {
        transcript += &project.transcript(&project.run(T1, &["dump", path]));
    }
    insta::assert_snapshot!("dump_not_a_package", transcript);
    // What Anki 2.1.50+ exports: the real collection in collection.anki21b, and a placeholder
    // collection.anki2 asking to update Anki, which must not be dumped as if it were the deck.
    let good = project.run(T1, &["build"]);
    assert_eq!(good.code, 0, "{}", good.stderr);
    let placeholder = {
        let mut package =
            zip::ZipArchive::new(std::fs::File::open(project.path("out/good.apkg")).unwrap()).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut package.by_name("collection.anki2").unwrap(), &mut bytes).unwrap();
        bytes
    };
    let mut newer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in
        [("collection.anki2", placeholder), ("collection.anki21b", b"zstd".to_vec()), ("meta", vec![8, 3])]
    {
        newer.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut newer, &bytes).unwrap();
    }
    std::fs::write(project.path("newer.apkg"), newer.finish().unwrap().into_inner()).unwrap();
    let run = project.run(T1, &["dump", "newer.apkg"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: newer.apkg: an Anki package in a newer format (collection.anki21b)"),
        "{}",
        run.stderr
    );
}

#[test]
fn wrong_command_line_exits_1_and_help_exits_0() {
    let project = Project::empty();
    assert_eq!(project.run(T1, &["build", "--no-such-flag"]).code, 1);
    assert_eq!(project.run(T1, &["build", "--help"]).code, 0);
    assert_eq!(project.run(T1, &["--version"]).code, 0);
}

// The per-deck line and the summary at 1 card and at many.

#[test]
fn one_card_is_one_card_and_thousands_are_grouped() {
    let project = Project::empty();
    project.write("source-cards/one.txt", "One\nONLY\nWhat is the only card?\nThis one.\n");
    let mut many = String::from("Many\n");
    for i in 0..1234 {
        many += &format!("CARD\nWhat is card number {i}?\nIt is number {i}.\n");
    }
    project.write("source-cards/many.txt", &many);
    let run = project.run(T1, &["build"]);
    insta::assert_snapshot!("one_and_many_build", project.transcript(&run));
    let again = project.run(T1, &["build"]);
    assert!(again.stderr.contains("  One: up to date (1 card, "), "{}", again.stderr);
    assert!(again.stderr.contains("  Many: up to date (1,234 cards, "), "{}", again.stderr);
    assert!(again.stderr.contains(": 1,235 cards; "), "{}", again.stderr);
    let check = project.run(T1, &["check"]);
    assert!(check.stderr.contains("2 decks, 1,235 cards, 0 errors, 0 warnings"), "{}", check.stderr);
}

// `check` and `build` report the same problems.

/// The diagnostic lines of a run (with their hints and the "and N more" lines), in order.
fn diagnostic_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(": error[")
                || l.contains(": warning[")
                || l.starts_with("  = hint:")
                || l.contains(": and ")
        })
        .collect()
}

/// A source folder with a problem of every kind: files whose names differ only in case (each
/// with problems of its own), text before the first heading, a one-line card, an empty file,
/// invalid UTF-8, a title without cards, doubtful splits, a heading typo, an answer in
/// capitals, a file with more diagnostics than are shown, files that are not decks.
fn problem_project() -> Project {
    let project = Project::good();
    project.write("source-cards/Deck.txt", "Upper\nONE\nonly one line\n");
    project
        .write("source-cards/deck.txt", "Lower\nTWO\nWhat is this?\nIt is a card.\nThe end.\nTHREE\nalone\n");
    project
        .write("source-cards/before.txt", "Before\ntext before a heading\nHEAD\nWhat is it?\nAn answer.\n");
    project.write("source-cards/empty.txt", "");
    std::fs::write(project.path("source-cards/binary.txt"), b"Title\nHEAD\n\xff\xfe\n").unwrap();
    project.write("source-cards/title.txt", "Only a title\n");
    project.write(
        "source-cards/doubtful.txt",
        "Doubtful\nCHEMISTRY\nWhat is water?\nH₂O\nCell Division\nWhat is mitosis?\nIt is division.\nIt makes two cells.\nIt is common.\n",
    );
    let mut many = String::from("Many\n");
    for i in 0..30 {
        many += &format!("CARD\nWhat is card {i}?\nIt is a card.\nThe end.\n");
    }
    project.write("source-cards/many.txt", &many);
    project.write("source-cards/notes.rtf", "not a deck");
    std::fs::create_dir(project.path("source-cards/drafts")).unwrap();
    project
}

#[test]
fn check_and_build_report_the_same_problems() {
    let project = problem_project();
    let check = project.run(T1, &["check"]);
    let checked = diagnostic_lines(&check.stderr);
    // Every kind is there (the folder is not accidentally clean).
    for code in ["E010", "E006", "E004", "W006"] {
        assert!(checked.iter().any(|l| l.contains(&format!("[{code}]"))), "no {code}:\n{}", check.stderr);
    }
    assert!(checked.iter().any(|l| l.contains(": and ")), "no capped file:\n{}", check.stderr);
    let build = project.run(T1, &["build"]);
    assert_eq!(
        diagnostic_lines(&build.stderr),
        checked,
        "build:\n{}\ncheck:\n{}",
        build.stderr,
        check.stderr
    );
    assert_eq!((check.code, build.code), (1, 1));
    // A deck built from disk reports the same.
    let streamed = project.run(T1, &["build", "--force", "--stream-above", "0"]);
    assert_eq!(diagnostic_lines(&streamed.stderr), checked, "build from disk:\n{}", streamed.stderr);
    // JSON lists the same diagnostics.
    let json = project.run(T1, &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let codes = json["diagnostics"].as_array().unwrap().len();
    let shown = checked.iter().filter(|l| l.contains(": error[") || l.contains(": warning[")).count();
    assert!(codes > shown, "JSON has every diagnostic, the text the first 20 of each file");
}

#[test]
fn files_differing_only_in_case_do_not_hide_each_others_problems() {
    let project = Project::good();
    project.write("source-cards/Deck.txt", "Upper\nONE\nonly one line\n");
    project.write("source-cards/deck.txt", "Lower\nTWO\nalso one line\n");
    let build = project.run(T1, &["build"]);
    insta::assert_snapshot!("case_clash_build", project.transcript(&build));
    let check = project.run(T1, &["check"]);
    assert_eq!(diagnostic_lines(&build.stderr), diagnostic_lines(&check.stderr));
}

// `--locked` says what would change.

#[test]
fn locked_lists_per_deck_what_would_change_and_counts_the_refused_decks() {
    let project = Project::good();
    project.write("source-cards/other.txt", "Other\nONE\nWhat is one?\nOne.\n");
    project.write("source-cards/gone.txt", "Gone\nONE\nWhat is gone?\nThis.\n");
    assert_eq!(project.run(T1, &["build"]).code, 0);
    let lock = project.read("ankideck.lock");
    // An answer corrected and a card added in one deck, a deck file removed, one added, and
    // the stylesheet changed.
    project.write(
        "source-cards/good.txt",
        &(GOOD.replace("The first answer.", "The first answer, corrected.")
            + "THIRD\nWhat is the third card?\nThe third answer.\n"),
    );
    std::fs::remove_file(project.path("source-cards/gone.txt")).unwrap();
    project.write("source-cards/new.txt", "New\nONE\nWhat is new?\nThat.\nTWO\nWhat else?\nThis.\n");
    project.write("source-cards/ankideck.css", ".card { color: red; }\n");
    let run = project.run_in("", &["build", "--locked"], &[("SOURCE_DATE_EPOCH", &T2.to_string())]);
    insta::assert_snapshot!("locked_refused", project.transcript(&run));
    assert_eq!(project.read("ankideck.lock"), lock, "--locked changed the lock");
    // Quiet, the refusal is an error: it is still listed.
    let quiet = project.run_in("", &["-q", "build", "--locked"], &[("SOURCE_DATE_EPOCH", &T2.to_string())]);
    assert!(quiet.stderr.contains("    deck `good`: notes: 1 new, 1 updated, 0 removed"), "{}", quiet.stderr);
}

#[test]
fn out_in_the_source_folder_is_refused_before_anything_is_written() {
    let project = Project::good();
    let run = project.run(T1, &["build", "--out", "source-cards/out"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("out_inside_source", project.transcript(&run));
    assert!(!project.path("source-cards/out").exists());
    assert!(!project.path("ankideck.lock").exists());
}

#[test]
fn locked_names_a_lock_of_an_older_version() {
    let project = Project::empty();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock-v1");
    project.write("ankideck.lock", &std::fs::read_to_string(fixtures.join("ankideck.lock")).unwrap());
    project.write(
        "source-cards/soviet-history.txt",
        &std::fs::read_to_string(fixtures.join("soviet-history.txt")).unwrap(),
    );
    let run = project.run(T1, &["build", "--locked"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("    it is rewritten as lock version "), "{}", run.stderr);
    assert!(run.stderr.contains(", 1 deck refused by --locked: "), "{}", run.stderr);
}

// `-q` and `-v`.

#[test]
fn quiet_prints_only_errors_the_number_of_warnings_and_the_summary() {
    let project = Project::good();
    project.write("source-cards/notes.rtf", "not a deck");
    project.write("source-cards/broken.txt", "Broken\nONE\nonly one line\n");
    project.write("source-cards/warned.txt", "Warned\nTWO\nWhat is this?\nIt is a card.\nThe end.\n");
    let build = project.run(T1, &["build", "--quiet"]);
    insta::assert_snapshot!("quiet_build", project.transcript(&build));
    let check = project.run(T1, &["-q", "check"]);
    insta::assert_snapshot!("quiet_check", project.transcript(&check));
    // Without errors or warnings, only the summary.
    let clean = Project::good();
    let run = clean.run(T1, &["-q", "build"]);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("1 built, 0 up to date, 0 not built: 2 cards; "), "{}", run.stderr);
    assert_eq!(clean.run(T1, &["-q", "-v", "build"]).code, 1, "--quiet and --verbose together are refused");
}

#[test]
fn verbose_adds_phase_timings_and_the_notes_behind_the_counts() {
    let project = Project::good();
    assert_eq!(project.run(T1, &["build"]).code, 0);
    project.write(
        "source-cards/good.txt",
        &(GOOD.replace("The first answer.", "The first answer, corrected.")
            + "THIRD\nWhat is the third card?\nThe third answer.\n"),
    );
    let run = project.run_in("", &["build", "--verbose"], &[("SOURCE_DATE_EPOCH", &T2.to_string())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let said = run.stderr.as_str();
    assert!(
        said.contains("  Good Deck: 3 cards -> out/good.apkg (1 new, 1 updated, 1 unchanged, 0 removed)\n"),
        "{said}"
    );
    assert!(said.contains("\n    updated line 2: What is the first card?\n"), "{said}");
    assert!(said.contains("\n    new line 8: What is the third card?\n"), "{said}");
    assert!(said.lines().any(|l| l.starts_with("timing identify ")), "{said}");
    // Not verbose: neither.
    let again = project.run_in("", &["build", "--force"], &[("SOURCE_DATE_EPOCH", &T2.to_string())]);
    assert!(!again.stderr.contains("timing ") && !again.stderr.contains(" line "), "{}", again.stderr);
}
