//! End-to-end tests of Markdown decks (`.md`): the real `ankideck` binary on a temporary project.
//! A deck builds, a no-op rebuild is byte-identical, an edit updates its note, a card moved to
//! another `.md` deck keeps its note, a pinned id keeps a note through any edit and a duplicate
//! one is E012, a cloze deck's cards are cloze notes, media are packed, and a deck built from
//! disk gives the bytes of one built in memory.

use std::collections::BTreeMap;

const T1: i64 = 1_764_000_000;
const T2: i64 = 1_764_100_000;

mod common;
use common::Project;

impl Project {
    /// The guid and fields (tags last) of every note of `out/<deck>.csv`, by first field: the
    /// CSV holds each field whole (the dump prints a field of several lines as lines).
    fn notes(&self, deck: &str) -> BTreeMap<String, (String, Vec<String>)> {
        let csv = self.read(&format!("out/{deck}.csv"));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(csv.as_bytes());
        (reader.records())
            .map(|record| {
                let record: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
                (record[1].clone(), (record[0].clone(), record[1..].to_vec()))
            })
            .collect()
    }

    fn guid(&self, deck: &str, first_field: &str) -> String {
        let notes = self.notes(deck);
        notes.get(first_field).unwrap_or_else(|| panic!("no note {first_field:?} in {notes:?}")).0.clone()
    }
}

const FRENCH: &str = "# French vocabulary

## Food

Q: la pomme
A: the apple

Q: What is the plural of *le chou*?
A: **les choux**

   Answers may hold several paragraphs.

Q: $x_1 < y$ in maths
A: a line
and the next
Tags: maths Hard
";

#[test]
fn a_markdown_deck_builds_its_fields_as_rendered_and_rebuilds_byte_identical() {
    let project = Project::empty();
    project.write_source("french.md", FRENCH);
    project.build(T1, &["--csv"], 0);
    let notes = project.notes("french");
    let fields: Vec<&Vec<String>> = notes.values().map(|(_, f)| f).collect();
    assert_eq!(
        fields,
        [
            &vec![
                "What is the plural of <em>le chou</em>?".to_string(),
                "<p><strong>les choux</strong></p>\n<p>Answers may hold several paragraphs.</p>".into(),
                "Food".into(),
                "Food".into()
            ],
            &vec![
                r"\(x_1 &lt; y\) in maths".to_string(),
                "a line<br>and the next".into(),
                "Food".into(),
                "Food Hard maths".into()
            ],
            &vec!["la pomme".to_string(), "the apple".into(), "Food".into(), "Food".into()],
        ]
    );
    let dump = project.dump("out/french.apkg");
    assert!(
        dump.contains("deck 1540658113308 \"French vocabulary\"") || dump.contains("\"French vocabulary\"")
    );
    assert!(dump.contains("tags=\" Food Hard maths \""), "{dump}");
    let before = project.files();
    project.build(T2, &["--csv"], 0);
    assert_eq!(project.files(), before, "a no-op rebuild changes no byte");
}

#[test]
fn an_edited_card_is_an_update_keeping_its_guid() {
    let project = Project::empty();
    project.write_source("french.md", FRENCH);
    project.build(T1, &["--csv"], 0);
    let guid = project.guid("french", "la pomme");
    project.write_source("french.md", &FRENCH.replace("A: the apple", "A: the *apple*"));
    let run = project.build(T2, &["--csv"], 0);
    assert!(run.stderr.contains("(0 new, 1 updated, 2 unchanged, 0 removed)"), "{}", run.stderr);
    assert_eq!(project.guid("french", "la pomme"), guid);
    assert_eq!(project.notes("french")["la pomme"].1[1], "the <em>apple</em>");
}

#[test]
fn a_card_moved_to_another_markdown_deck_keeps_its_guid() {
    let project = Project::empty();
    let a =
        "# A\n\nQ: first question here\nA: first answer\n\nQ: the moving question\nA: the moving answer\n";
    let b = "# B\n\nQ: another question\nA: another answer\n";
    project.write_source("a.md", a);
    project.write_source("b.md", b);
    project.build(T1, &["--csv"], 0);
    let guid = project.guid("a", "the moving question");
    project.write_source("a.md", "# A\n\nQ: first question here\nA: first answer\n");
    project.write_source("b.md", &format!("{b}\nQ: the moving question\nA: the moving answer\n"));
    project.build(T2, &["--csv"], 0);
    assert_eq!(project.guid("b", "the moving question"), guid);
    assert!(!project.notes("a").contains_key("the moving question"));
}

#[test]
fn a_pinned_id_keeps_the_note_through_any_edit_and_a_duplicate_is_e012() {
    let project = Project::empty();
    project.write_source("a.md", "Q: what is it\nA: this\n<!-- id: my-card-1 -->\n");
    project.build(T1, &["--csv"], 0);
    assert_eq!(project.guid("a", "what is it"), "my-card-1");
    project.write_source("a.md", "Q: something else entirely\nA: other\n<!-- id: my-card-1 -->\n");
    project.build(T2, &["--csv"], 0);
    assert_eq!(project.guid("a", "something else entirely"), "my-card-1");

    project.write_source("b.md", "# B\n\nQ: a new card\nA: pinning the same id\n<!-- id: my-card-1 -->\n");
    let run = project.build(T2, &[], 1);
    assert!(run.stderr.contains("error[E012]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("source-cards/b.md:3") || run.stderr.contains("source-cards/a.md:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn in_a_cloze_deck_a_card_is_a_cloze_note_with_its_answer_in_back_extra() {
    let project = Project::empty();
    project.write("ankideck.toml", "[decks.geo]\nnotetype = \"cloze\"\n");
    project.write_source(
        "geo.md",
        "# Geo\n\nQ: The capital of France is {{c1::Paris}}, of Italy {{c2::Rome}}.\nA: Both are capitals.\n\nQ: $${{c1::\\frac{1}{2}}}$$ is a half\nA:\n",
    );
    project.build(T1, &["--csv"], 0);
    let dump = project.dump("out/geo.apkg");
    assert!(dump.contains("type=1"), "a cloze note type: {dump}");
    let notes = project.notes("geo");
    let capital = &notes["The capital of France is {{c1::Paris}}, of Italy {{c2::Rome}}."].1;
    assert_eq!(capital[1], "Both are capitals.");
    assert!(notes.contains_key(r"\[{{c1::\frac{1}{2} }}\] is a half"), "{notes:?}");
    // Two cards for the first note, one for the second.
    assert_eq!(dump.lines().filter(|l| l.starts_with("card ")).count(), 3, "{dump}");
}

#[test]
fn a_cloze_deletion_in_the_answer_alone_of_a_basic_deck_is_w014_and_bad_cards_are_errors_at_their_line() {
    let project = Project::empty();
    // The first card is a cloze note (its question holds the deletion); the second's deletion
    // is in its answer only: it is a plain card, the deletion shown as written.
    project.write_source("m.md", "# M\n\nQ: {{c1::Paris}}\nA: x\n\nQ: Rome\nA: {{c1::Italy}}\n\nA: stray\n");
    let check = project.run(T1, &["check"]);
    assert_eq!(check.code, 1);
    assert!(!check.stderr.contains("m.md:3:1: warning[W014]"), "{}", check.stderr);
    assert!(check.stderr.contains("source-cards/m.md:6:1: warning[W014]"), "{}", check.stderr);
    assert!(check.stderr.contains("in the answer of a card whose question has none"), "{}", check.stderr);
    assert!(check.stderr.contains("source-cards/m.md:9:1: error[E014]"), "{}", check.stderr);
    let json = project.run(T1, &["check", "--format", "json"]);
    assert!(json.stdout.contains("\"W014\"") && json.stdout.contains("\"E014\""), "{}", json.stdout);
    let run = project.build(T1, &[], 1);
    assert!(run.stderr.contains("source-cards/m.md:9:1: error[E014]"), "{}", run.stderr);
    assert!(!project.exists("out/m.apkg"));
}

#[test]
fn images_and_sounds_of_a_markdown_deck_are_packed() {
    let project = Project::empty();
    project.write("source-cards/_media/cat.png", b"\x89PNG\r\n\x1a\n0000");
    project.write("source-cards/_media/say.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00");
    project.write_source("m.md", "Q: ![a cat](_media/cat.png)\nA: [sound:_media/say.mp3]\n");
    project.build(T1, &["--csv"], 0);
    let dump = project.dump("out/m.apkg");
    assert!(dump.contains("media: {\"0\":\"cat-"), "{dump}");
    assert!(dump.contains("<img src=\"cat-") && dump.contains("[sound:say-"), "{dump}");
    project.write_source("m.md", "Q: ![a dog](_media/dog.png)\nA: x\n");
    let run = project.build(T1, &[], 1);
    assert!(run.stderr.contains("source-cards/m.md:1:1: error[E013]"), "{}", run.stderr);
}

#[test]
fn a_markdown_deck_built_from_disk_gives_the_bytes_built_in_memory() {
    let text = format!(
        "{FRENCH}\n## More\n\nQ: ![c](_media/c.png) {{{{c1::x}}}}\nA: y\n<!-- id: pinned-1 -->\n\nQ: a\nA: b\nTags: t\n"
    );
    let memory = Project::empty();
    let disk = Project::empty();
    for (project, args) in [(&memory, &["--csv"][..]), (&disk, &["--csv", "--stream-above", "0"][..])] {
        project.write("source-cards/_media/c.png", b"\x89PNG\r\n\x1a\n0000");
        project.write_source("m.md", &text);
        project.build(T1, args, 0);
    }
    let outputs = |p: &Project| {
        p.files()
            .into_iter()
            .filter(|(path, _)| !path.starts_with("source-cards"))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(outputs(&disk), outputs(&memory));
    // And after an edit, then with a duplicate card and the sections in another order.
    let edited = text.replace("A: b", "A: c");
    let (head, more) = edited.split_once("## More").unwrap();
    let reordered =
        format!("# Other\n\n## More{more}\nQ: a\nA: c\n\n{}", head.trim_start_matches("# French vocabulary"));
    for (edit, at) in [(edited.as_str(), T2), (reordered.as_str(), T2 + 100)] {
        for (project, args) in [(&memory, &["--csv"][..]), (&disk, &["--csv", "--stream-above", "0"][..])] {
            project.write_source("m.md", edit);
            project.build(at, args, 0);
        }
        assert_eq!(outputs(&disk), outputs(&memory));
    }
}

#[test]
fn sections_are_subdecks_when_the_settings_say_so() {
    let project = Project::empty();
    project.write("ankideck.toml", "[defaults]\nsubdecks = true\n");
    project.write_source("sub.md", "# Sub\n\n## Part one\nQ: a\nA: b\n\n## Part two\nQ: c\nA: d\n");
    project.build(T1, &[], 0);
    let dump = project.dump("out/sub.apkg");
    assert!(dump.contains("\"Sub::Part one\"") && dump.contains("\"Sub::Part two\""), "{dump}");
}

#[test]
fn check_show_lists_each_card_with_its_tags_and_id() {
    let project = Project::empty();
    project.write_source("m.md", "Q: a *b*\nA: one\n\ntwo\nTags: x y\n<!-- id: k1 -->\n");
    let text = project.run(T1, &["check", "--show"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains(
            "source-cards/m.md:1: \n  Front | a <em>b</em>\n  Back  | <p>one</p>\n        | <p>two</p>\n  Tags  | x y\n  id    | k1\n"
        ),
        "{}",
        text.stdout
    );
    let json = project.run(T1, &["check", "--show", "--format", "json"]);
    assert!(
        json.stdout.contains("\"tags\": [\n            \"x\",\n            \"y\"\n          ]"),
        "{}",
        json.stdout
    );
    assert!(json.stdout.contains("\"id\": \"k1\""), "{}", json.stdout);
}

/// A Markdown deck of `cards` cards with what a reading in blocks must carry from one line to the
/// next: code blocks holding `Q:` lines and headings, lists, HTML blocks, maths, cloze deletions
/// (`cloze`: each card has one), tags, pinned ids, images, a comment of several lines, CRLF line
/// endings and a byte-order mark.
fn large_deck(name: &str, cards: usize, cloze: bool) -> String {
    let mut text = String::from("\u{feff}# Große Übung\r\n\r\n<!--\r\nmy notes\r\n-->\r\n");
    for i in 0..cards {
        if i % 25 == 0 {
            text.push_str(&format!("## Part {} é\r\n\r\n", i / 25));
        }
        let deletion = match (cloze, i % 6) {
            (false, _) => String::new(),
            (true, 1) => format!(" $${{{{c2::\\frac{{1}}{{{i}}}}}}}$$ {{{{c1::word}}}}"),
            (true, _) => format!(" {{{{c1::word {i}}}}}"),
        };
        text.push_str(&format!("Q: Card {i}{deletion}: what is *{i}* in café Zürich?\r\n"));
        match i % 6 {
            0 => text.push_str(&format!(
                "A: this code\r\n\r\n```python\r\nQ: not a card {i}\r\n## nor a section\r\nA: nor an answer\r\n```\r\n\r\nafter it\r\n"
            )),
            1 => text.push_str(&format!(
                "A: $x_{i} < y$ and $$\\frac{{1}}{{{i}}}$$\r\n\r\n- one\r\n- two\r\n  more\r\n"
            )),
            2 => text.push_str(&format!("A: ~~not~~ <div>\r\nan <b>html</b> block {i}\r\n</div>\r\n")),
            3 => text.push_str(&format!("A: ![c](_media/c.png) and [sound:_media/s.mp3] {i}\r\n")),
            4 => text.push_str(&format!("A: **{i}**\r\nTags: t{} Other\r\n<!-- id: {name}-{i} -->\r\n", i % 3)),
            _ => text.push_str(&format!("A: {i}\r\nsecond line\r\n")),
        }
        text.push_str("\r\n");
    }
    text
}

#[test]
fn a_large_markdown_deck_built_from_disk_in_blocks_gives_the_bytes_and_messages_built_in_memory() {
    // A block of 4 KiB: each deck of a few hundred kilobytes is read in about a hundred blocks.
    let block = [("ANKIDECK_TEST_STREAM_BLOCK", "4096")];
    let broken = large_deck("broken", 300, false)
        .replace("A: 11\r\n", "A: 11\u{7}\r\nA: again\r\n")
        .replace("## Part 11 é\r\n", "## Part 11 é\r\nstray text\r\n")
        + "Q: no answer\r\n";
    let line_of = |text: &str| 1 + broken[..broken.find(text).unwrap()].matches('\n').count();
    let memory = Project::empty();
    let disk = Project::empty();
    for project in [&memory, &disk] {
        project.write("ankideck.toml", "[decks.cloze]\nnotetype = \"cloze\"\n");
        project.write("source-cards/_media/c.png", b"\x89PNG\r\n\x1a\n0000");
        project.write("source-cards/_media/s.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00");
        project.write_source("basic.md", &large_deck("basic", 1500, false));
        project.write_source("cloze.md", &large_deck("cloze", 1500, true));
        project.write_source("broken.md", &broken);
    }
    let build = |project: &Project, epoch: i64, from_disk: bool| {
        let epoch = epoch.to_string();
        let mut env = vec![("SOURCE_DATE_EPOCH", epoch.as_str())];
        let mut args = vec!["build", "--csv"];
        if from_disk {
            env.extend(block);
            args.extend(["--stream-above", "0"]);
        }
        let run = common::run_with(project.dir.path(), &args, &env);
        assert_eq!(run.code, 1, "the broken deck is an error: {}", run.stderr);
        project.normalize(&run.stderr)
    };
    let outputs = |p: &Project| {
        p.files()
            .into_iter()
            .filter(|(path, _)| !path.starts_with("source-cards"))
            .collect::<BTreeMap<_, _>>()
    };
    let said = build(&memory, T1, false);
    assert_eq!(build(&disk, T1, true), said);
    for (text, code) in [
        ("A: 11\u{7}", "warning[W002]"),
        ("A: again", "error[E014]"),
        ("stray", "warning[W015]"),
        ("Q: no answer", "error[E015]"),
    ] {
        let expected = format!("broken.md:{}:1: {code}", line_of(text));
        assert!(said.contains(&expected), "{expected} in {said}");
    }
    assert_eq!(said.matches(": error[").count() + said.matches(": warning[").count(), 4, "{said}");
    assert!(said.contains("1,750 cards of 1,500 notes -> out/cloze.apkg"), "{said}");
    assert_eq!(outputs(&disk), outputs(&memory));
    assert!(memory.exists("out/cloze.apkg") && memory.exists("out/basic.csv"));
    // Edited: a card in the middle of a block reworded, one moved to the end, a section renamed.
    let edit = |text: String| {
        text.replace("A: 701\r\nsecond line", "A: 701\r\nanother line")
            .replace("Q: Card 3:", "Q: Card three:")
            .replace("## Part 30 é", "## Part thirty")
    };
    for project in [&memory, &disk] {
        project.write_source("basic.md", &edit(large_deck("basic", 1500, false)));
        project.write_source("cloze.md", &edit(large_deck("cloze", 1500, true)));
    }
    assert_eq!(build(&disk, T2, true), build(&memory, T2, false));
    assert_eq!(outputs(&disk), outputs(&memory));
    // And `check` says the same read in blocks as read in one.
    let check = |env: &[(&str, &str)]| {
        let run = common::run_with(disk.dir.path(), &["check", "--show"], env);
        (run.code, run.stdout, disk.normalize(&run.stderr))
    };
    assert_eq!(check(&block), check(&[]));
}
