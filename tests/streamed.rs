//! A deck built from disk (`--stream-above`) must give the same bytes as the same deck built in
//! memory: every package, CSV and lock file, and the same report, through first builds, edits,
//! reordering, duplicates, a lost lock, a renamed file, a broken file and `--locked`.

use ankideck::build::{self, BuildOptions, BuildReport, LockStatus, Outcome};
use ankideck::emit::Compression;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const T1: i64 = 1_764_000_000;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A card: its section heading and its lines.
#[derive(Clone)]
struct Card {
    section: String,
    lines: Vec<String>,
}

fn cards(rng: &mut Rng, count: usize) -> Vec<Card> {
    let words = ["Kamenev", "Zinoviev", "1927", "purge", "Trotsky", "Zürich", "<b>", "&", "“quoted”", "café"];
    (0..count)
        .map(|i| {
            let mut phrase =
                |n: usize| (0..n).map(|_| words[rng.below(words.len())]).collect::<Vec<_>>().join(" ");
            let front = match i % 13 {
                // A front that is a number: SQLite stores the sort field as an integer.
                0 => format!("{} and", 1900 + i),
                1 => format!("{} \u{7}control and", phrase(3)),
                _ => format!("Card {i}: {} and", phrase(4)),
            };
            let mut lines = vec![front, format!("{}.", phrase(5))];
            if i % 7 == 0 {
                lines.push(format!("{}.", phrase(60)));
            }
            Card { section: format!("SECTION {}", i / 20), lines }
        })
        .collect()
}

fn text(title: &str, cards: &[Card]) -> String {
    let mut text = format!("{title} Flashcards\n");
    for card in cards {
        text.push('\n');
        text.push_str(&card.section);
        text.push('\n');
        for line in &card.lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// Two projects built alike, one in memory and one from disk.
struct Pair {
    dir: tempfile::TempDir,
}

impl Pair {
    fn new() -> Pair {
        let dir = tempfile::tempdir().unwrap();
        for side in ["memory", "disk"] {
            std::fs::create_dir_all(dir.path().join(side).join("source-cards")).unwrap();
        }
        Pair { dir }
    }

    fn root(&self, side: &str) -> PathBuf {
        self.dir.path().join(side)
    }

    fn write(&self, name: &str, text: &str) {
        for side in ["memory", "disk"] {
            std::fs::write(self.root(side).join("source-cards").join(name), text).unwrap();
        }
    }

    fn remove(&self, path: &str) {
        for side in ["memory", "disk"] {
            let path = self.root(side).join(path);
            if path.is_dir() {
                std::fs::remove_dir_all(path).unwrap();
            } else {
                std::fs::remove_file(path).unwrap();
            }
        }
    }

    fn options(&self, side: &str, now_secs: i64, stream_above: u64) -> BuildOptions {
        let root = self.root(side);
        BuildOptions {
            source: root.join("source-cards"),
            out: root.join("out"),
            lock: root.join("ankideck.lock"),
            csv: true,
            locked: false,
            force: false,
            compression: Compression::Fast,
            now_secs,
            stream_above,
            detail: false,
        }
    }

    /// Builds both sides (`disk_above` bytes: what the disk side streams) and checks that they
    /// wrote the same files and reported the same; returns the report.
    fn build(&self, now_secs: i64, disk_above: u64, edit: impl Fn(&mut BuildOptions)) -> BuildReport {
        let mut memory = self.options("memory", now_secs, u64::MAX);
        let mut disk = self.options("disk", now_secs, disk_above);
        edit(&mut memory);
        edit(&mut disk);
        let from_memory = build::build(&memory).unwrap();
        let from_disk = build::build(&disk).unwrap();
        // Messages name files by path: each side's folder reads as ROOT.
        let summary_of = |report: &BuildReport, side: &str| {
            summary(report).replace(&self.root(side).display().to_string(), "ROOT")
        };
        assert_eq!(summary_of(&from_disk, "disk"), summary_of(&from_memory, "memory"));
        assert_eq!(files(&self.root("disk")), files(&self.root("memory")));
        from_disk
    }
}

/// What a report says, as text (paths relative to the project).
fn summary(report: &BuildReport) -> String {
    let mut out = String::new();
    for deck in &report.decks {
        let name = deck.file.file_name().unwrap().to_string_lossy();
        let outcome = match &deck.outcome {
            Outcome::Built(b) => format!(
                "built {} cards {} new {} updated {} unchanged {} removed {:?} recovered {}",
                b.name,
                b.cards,
                b.new,
                b.updated,
                b.unchanged,
                b.removed.iter().map(|e| (&e.guid, &e.preview)).collect::<Vec<_>>(),
                b.recovered_from.is_some(),
            ),
            other => format!("{other:?}"),
        };
        out.push_str(&format!("{name}: {outcome}\n"));
    }
    for d in &report.diagnostics {
        out.push_str(&format!(
            "{:?} {} {}:{} {}\n",
            d.code,
            d.file.file_name().unwrap().to_string_lossy(),
            d.line,
            d.column,
            d.message
        ));
    }
    out.push_str(&format!("lock {:?} forgotten {:?}\n", report.lock, report.forgotten));
    out
}

/// Every file a build wrote (the lock and `out/`, state files included), by relative path.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let lock = root.join("ankideck.lock");
    if lock.exists() {
        found.insert("ankideck.lock".to_string(), std::fs::read(lock).unwrap());
    }
    let mut stack = vec![root.join("out")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                assert!(!name.ends_with(".tmp"), "a temporary file was left behind: {name}");
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

fn built(report: &BuildReport) -> Vec<(usize, usize, usize)> {
    report
        .decks
        .iter()
        .filter_map(|d| match &d.outcome {
            Outcome::Built(b) => Some((b.new, b.updated, b.unchanged)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_deck_built_from_disk_is_the_deck_built_in_memory_through_a_history_of_edits() {
    let mut rng = Rng(0x5eed);
    let pair = Pair::new();
    let mut deck = cards(&mut rng, 700);
    // Duplicates: identical cards take the next occurrence of their guid.
    deck.push(deck[3].clone());
    deck.push(deck[3].clone());
    pair.write("history.txt", &text("History", &deck));
    let first = pair.build(T1, 0, |_| {});
    assert_eq!(built(&first), [(702, 0, 0)]);

    // Edits of every kind: backs, fronts, both sides lightly, deletions, insertions in the
    // middle, a block moved to the end (ids no longer follow source order), a new duplicate.
    deck[10].lines[1] = "A new answer.".into();
    deck[20].lines[0] = "Card 20 asked another way and".into();
    deck[30].lines[0].push_str(" also");
    deck[30].lines[1].push_str(" Indeed.");
    deck.remove(40);
    deck.remove(41);
    let inserted = cards(&mut Rng(7), 30);
    for (i, card) in inserted.into_iter().enumerate() {
        deck.insert(100 + i * 3, Card { lines: vec![format!("Inserted {i} and"), "Yes.".into()], ..card });
    }
    let moved: Vec<Card> = deck.drain(200..260).collect();
    deck.extend(moved);
    deck.push(deck[5].clone());
    pair.write("history.txt", &text("History", &deck));
    let second = pair.build(T1 + 100, 0, |_| {});
    let (new, updated, unchanged) = built(&second)[0];
    // The new duplicate may take a deleted card's identity (it is similar to it). Card 20's
    // question is rewritten and its answer is a few words from a list of ten: no evidence that
    // it is the same card, so it is new too.
    assert!((31..=32).contains(&new), "30 inserted cards, card 20 and one more duplicate: {new}");
    assert!(updated >= 2 && unchanged > 600, "{second:?}");

    // Nothing changed: nothing is rebuilt, on either side.
    let third = pair.build(T1 + 200, 0, |_| {});
    assert!(third.decks.iter().all(|d| matches!(d.outcome, Outcome::UpToDate { .. })));
    assert_eq!(third.lock, LockStatus::Unchanged);

    // The lock is lost: identities are recovered from the packages, the same way.
    pair.remove("ankideck.lock");
    let fourth = pair.build(T1 + 300, 0, |o| o.force = true);
    assert_eq!(built(&fourth)[0].0, 0, "no note is new after recovery");

    // `--locked` with nothing to change passes; after an edit it refuses, on both sides.
    let locked = pair.build(T1 + 400, 0, |o| {
        o.locked = true;
        o.force = true;
    });
    assert_eq!(locked.lock, LockStatus::Unchanged);
    deck[0].lines[1] = "Changed again.".into();
    pair.write("history.txt", &text("History", &deck));
    let refused = pair.build(T1 + 500, 0, |o| o.locked = true);
    assert_eq!(refused.lock, LockStatus::OutOfDate);
}

#[test]
fn decks_from_disk_and_from_memory_side_by_side_and_a_renamed_file() {
    let mut rng = Rng(0xdec0);
    let pair = Pair::new();
    let small = text("Small", &cards(&mut rng, 40));
    let large = text("Large", &cards(&mut rng, 400));
    pair.write("a-small.txt", &small);
    pair.write("b-large.txt", &large);
    // Only the large deck is built from disk.
    let above = small.len() as u64 + 1;
    assert!((large.len() as u64) > above);
    let first = pair.build(T1, above, |_| {});
    assert_eq!(built(&first), [(40, 0, 0), (400, 0, 0)]);

    // The large deck's file is renamed: its notes keep their identities.
    pair.remove("source-cards/b-large.txt");
    pair.write("c-large.txt", &large);
    let renamed = pair.build(T1 + 100, above, |_| {});
    assert_eq!(built(&renamed), [(0, 0, 400)]);
}

#[test]
fn a_broken_deck_read_from_disk_reports_what_the_memory_build_reports() {
    let mut rng = Rng(0xbad);
    let pair = Pair::new();
    let mut broken = text("Broken", &cards(&mut rng, 50));
    broken.push_str("\nLAST HEADING\nOnly one line.\n");
    broken.push_str("\nANOTHER\n");
    pair.write("broken.txt", &broken);
    pair.write("fine.txt", &text("Fine", &cards(&mut rng, 20)));
    let report = pair.build(T1, 0, |_| {});
    assert!(report.has_input_errors());
    assert_eq!(built(&report), [(20, 0, 0)]);
    // Not valid UTF-8 halfway through.
    let mut bytes = text("Bytes", &cards(&mut rng, 30)).into_bytes();
    let at = bytes.len() / 2;
    bytes[at] = 0xff;
    for side in ["memory", "disk"] {
        std::fs::write(pair.root(side).join("source-cards/broken.txt"), &bytes).unwrap();
    }
    let report = pair.build(T1 + 100, 0, |_| {});
    assert!(report.diagnostics.iter().any(|d| d.message.contains("UTF-8")), "{}", summary(&report));
}

/// More notes than are read back at a time (8,192): batches meet in every reading order.
#[test]
fn a_deck_of_several_batches_reads_back_in_every_order() {
    let mut rng = Rng(0xb17);
    let pair = Pair::new();
    let mut deck = cards(&mut rng, 9_000);
    pair.write("many.txt", &text("Many", &deck));
    assert_eq!(built(&pair.build(T1, 0, |_| {})), [(9_000, 0, 0)]);
    // Blocks moved across the batch boundary: the notes' ids no longer follow source order.
    let moved: Vec<Card> = deck.drain(8_000..8_500).collect();
    for (i, card) in moved.into_iter().enumerate() {
        deck.insert(i * 3, card);
    }
    deck[8_300].lines[1] = "Edited.".into();
    pair.write("many.txt", &text("Many", &deck));
    let (new, updated, unchanged) = built(&pair.build(T1 + 100, 0, |_| {}))[0];
    assert_eq!((new, updated, unchanged), (0, 1, 8_999));
}

/// A renamed deck file with an error does not lose the old file's entries: once it is fixed,
/// its notes keep their identities.
#[test]
fn a_renamed_deck_with_an_error_keeps_its_identities_until_it_builds() {
    let mut rng = Rng(0x7e4a);
    let pair = Pair::new();
    let deck = text("History", &cards(&mut rng, 50));
    pair.write("a.txt", &deck);
    assert_eq!(built(&pair.build(T1, 0, |_| {})), [(50, 0, 0)]);
    pair.remove("source-cards/a.txt");
    pair.write("b.txt", &format!("{deck}\nA HEADING WITHOUT TEXT\n"));
    let broken = pair.build(T1 + 100, 0, |_| {});
    assert!(broken.has_input_errors() && broken.forgotten.is_empty(), "{}", summary(&broken));
    let lock = std::fs::read_to_string(pair.root("disk").join("ankideck.lock")).unwrap();
    assert_eq!(lock.lines().filter(|l| l.starts_with("note\ta\t")).count(), 50);
    pair.write("b.txt", &deck);
    let fixed = pair.build(T1 + 200, 0, |_| {});
    assert_eq!(built(&fixed), [(0, 0, 50)]);
    assert_eq!(fixed.forgotten, Vec::<String>::new());
}

/// A lock checked out from before the last build (`git checkout`) holds a note's older `mod`
/// while Anki has the newer text: a deck from disk, like one in memory, gives such a note a
/// `mod` after its last package's, so Anki takes the text the user went back to.
#[test]
fn a_deck_from_disk_rebuilt_after_a_lock_went_back_is_the_deck_built_in_memory() {
    let mut rng = Rng(0x4e7);
    let pair = Pair::new();
    let mut deck = cards(&mut rng, 60);
    pair.write("back.txt", &text("Back", &deck));
    assert_eq!(built(&pair.build(T1, 0, |_| {})), [(60, 0, 0)]);
    let first_lock = std::fs::read(pair.root("memory").join("ankideck.lock")).unwrap();
    let first_text = text("Back", &deck);
    deck[7].lines[1] = "A newer answer.".into();
    pair.write("back.txt", &text("Back", &deck));
    assert_eq!(built(&pair.build(T1 + 100, 0, |_| {})), [(0, 1, 59)]);
    // Source and lock go back to the first build's.
    pair.write("back.txt", &first_text);
    for side in ["memory", "disk"] {
        std::fs::write(pair.root(side).join("ankideck.lock"), &first_lock).unwrap();
    }
    let report = pair.build(T1 + 200, 0, |_| {});
    assert_eq!(built(&report), [(0, 1, 59)], "the card Anki has newer is updated: {}", summary(&report));
}

/// While another deck does not build, a card removed from a deck from disk stays in its lock
/// section (it may have moved to the deck that did not build), as for a deck in memory.
#[test]
fn a_card_removed_from_a_deck_from_disk_stays_in_the_lock_while_another_deck_is_broken() {
    let mut rng = Rng(0x6e3);
    let pair = Pair::new();
    let mut deck = cards(&mut rng, 50);
    pair.write("kept.txt", &text("Kept", &deck));
    pair.write("other.txt", &text("Other", &cards(&mut rng, 10)));
    assert_eq!(built(&pair.build(T1, 0, |_| {})), [(50, 0, 0), (10, 0, 0)]);
    let gone = deck.remove(12);
    pair.write("kept.txt", &text("Kept", &deck));
    pair.write("other.txt", "Other Flashcards\n\nA HEADING\nOnly one line.\n");
    let report = pair.build(T1 + 100, 0, |_| {});
    assert!(report.has_input_errors());
    let lock = std::fs::read_to_string(pair.root("disk").join("ankideck.lock")).unwrap();
    let front = gone.lines[0].split(' ').take(2).collect::<Vec<_>>().join(" ");
    assert!(lock.contains(&front), "the removed card's entry is kept: {front}");
}

/// `--verbose` lists each new and updated note of a deck from disk, as of one in memory.
#[test]
fn a_deck_from_disk_lists_its_changed_notes_as_one_in_memory_does() {
    let mut rng = Rng(0x7e5);
    let pair = Pair::new();
    let mut deck = cards(&mut rng, 40);
    pair.write("listed.txt", &text("Listed", &deck));
    pair.build(T1, 0, |_| {});
    deck[3].lines[1] = "Changed.".into();
    deck.insert(
        9,
        Card { section: "NEW".into(), lines: vec!["A new question and".into(), "Answer.".into()] },
    );
    pair.write("listed.txt", &text("Listed", &deck));
    let changed = |report: &BuildReport| match &report.decks[0].outcome {
        Outcome::Built(b) => {
            b.changed.iter().map(|c| (c.change, c.line, c.preview.clone())).collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    let memory =
        build::build(&BuildOptions { detail: true, ..pair.options("memory", T1 + 100, u64::MAX) }).unwrap();
    let disk = build::build(&BuildOptions { detail: true, ..pair.options("disk", T1 + 100, 0) }).unwrap();
    assert_eq!(changed(&memory).len(), 2, "{:?}", changed(&memory));
    assert_eq!(changed(&disk), changed(&memory));
}
