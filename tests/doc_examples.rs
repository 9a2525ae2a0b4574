//! The note type examples of `docs/format.md` and the README, built as written: so the docs
//! cannot rot. An example is a run of files, each a code block under a line that ends with
//! `` `PATH`: `` (the file's path from the project root), closed by a line
//! `` `ankideck build` says: `…` ``: the
//! files are written into an empty project, `check` must find nothing to say, and `build` must
//! report that line for the deck. Files under a heading with no such line are an error here,
//! and each document must show every note type.

use std::collections::BTreeSet;
use std::path::Path;

mod common;

use common::run;

/// One example: its files (path, text), what the build reports, and the line of that report.
struct Example {
    files: Vec<(String, String)>,
    says: String,
    line: usize,
}

const SAYS: &str = "`ankideck build` says: `";

/// The examples of a Markdown document.
fn examples(doc: &str) -> Vec<Example> {
    let mut found = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut path: Option<String> = None;
    let mut lines = doc.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        if let Some(rest) = line.strip_prefix(SAYS) {
            let says = rest.split('`').next().unwrap().to_string();
            assert!(!files.is_empty(), "line {}: a build result with no files above it", index + 1);
            found.push(Example { files: std::mem::take(&mut files), says, line: index + 1 });
        } else if line.starts_with('#') {
            assert!(files.is_empty(), "line {}: files above with no `ankideck build` says: line", index + 1);
        } else if line.starts_with("```") {
            let mut text = String::new();
            for (_, body) in lines.by_ref() {
                if body.starts_with("```") {
                    break;
                }
                text.push_str(body);
                text.push('\n');
            }
            if let Some(path) = path.take() {
                files.push((path, text));
            }
        } else if let Some(named) = line.strip_suffix("`:").and_then(|l| l.rsplit_once('`')) {
            path = Some(named.1.to_string());
        } else if !line.trim().is_empty() {
            path = None;
        }
    }
    assert!(files.is_empty(), "files at the end with no `ankideck build` says: line");
    found
}

/// The note type an example's settings choose (`basic` without them), `custom` for its own.
fn notetype(example: &Example) -> String {
    let toml = example.files.iter().find(|(path, _)| path == "ankideck.toml");
    let name = toml
        .and_then(|(_, text)| text.lines().find_map(|l| l.strip_prefix("notetype = \"")))
        .map_or("basic", |rest| rest.trim_end_matches('"'));
    match ["basic", "reversed", "optional-reversed", "type-in", "cloze"].contains(&name) {
        true => name.to_string(),
        false => "custom".to_string(),
    }
}

fn build_every_example(doc: &str) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let examples = examples(&text);
    let shown: BTreeSet<String> = examples.iter().map(notetype).collect();
    let every: BTreeSet<String> =
        ["basic", "reversed", "optional-reversed", "type-in", "cloze", "custom"].map(String::from).into();
    assert_eq!(shown, every, "{doc} shows an example of every note type");
    for example in &examples {
        let at = format!("{doc}:{}", example.line);
        let tmp = tempfile::tempdir().unwrap();
        for (path, text) in &example.files {
            let file = tmp.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let check = run(tmp.path(), &["check"]);
        assert_eq!(check.code, 0, "{at}: {}", check.stderr);
        assert!(check.stderr.contains(" 0 errors, 0 warnings"), "{at}: {}", check.stderr);
        let build = run(tmp.path(), &["build"]);
        assert_eq!(build.code, 0, "{at}: {}", build.stderr);
        let line = format!("  {} -> out/", example.says);
        assert!(
            build.stderr.contains(&line),
            "{at}: the build does not say `{}`:\n{}",
            example.says,
            build.stderr
        );
        // The package holds notes of the note type the example is about.
        let deck = example.files.iter().find_map(|(path, _)| path.strip_prefix("source-cards/")).unwrap();
        let stem = Path::new(deck).file_stem().unwrap().to_string_lossy();
        let dump = run(tmp.path(), &["dump", &format!("out/{stem}.apkg")]);
        let name = match notetype(example).as_str() {
            "basic" => "ankideck Flashcard",
            "reversed" => "ankideck Reversed",
            "optional-reversed" => "ankideck Optional Reversed",
            "type-in" => "ankideck Type-in",
            "cloze" => "ankideck Cloze",
            _ => "vocab",
        };
        assert!(
            dump.stdout.contains(&format!(" \"{name}\" type=")),
            "{at}: not of `{name}`:\n{}",
            dump.stdout
        );
    }
}

#[test]
fn every_note_type_example_of_the_format_doc_builds_as_it_says() {
    build_every_example("docs/format.md");
}

#[test]
fn every_note_type_example_of_the_readme_builds_as_it_says() {
    build_every_example("README.md");
}

#[test]
fn an_example_reads_its_files_and_result_and_a_file_without_a_result_is_refused() {
    let doc = "# T\n\n`ankideck.toml`:\n\n```toml\na = 1\n```\n\nThen `source-cards/x.txt`:\n```text\nX\n```\n\n\
               ```text\nnot a file\n```\n\n`ankideck build` says: `X: 1 card`.\n";
    let found = examples(doc);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].files,
        [("ankideck.toml".to_string(), "a = 1\n".to_string()), ("source-cards/x.txt".into(), "X\n".into())]
    );
    assert_eq!(found[0].says, "X: 1 card");
    let unfinished = std::panic::catch_unwind(|| examples("`a.txt`:\n```text\nX\n```\n## Next\n"));
    assert!(unfinished.is_err());
}
