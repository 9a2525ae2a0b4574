use super::*;
use crate::ids::{CardId, CardIds, DeckId, NoteId, NotetypeId};
use crate::sketch::Sketch;
use entry::push_field_int;
use std::path::Path;

pub(super) fn sample() -> Lock {
    let mut lock = Lock::default();
    lock.notetypes.insert(
        7,
        NotetypeEntry { id: NotetypeId(7), mtime: 100, hash: 0xabc, name: "NT".into(), schema: None },
    );
    lock.decks.insert(
        "d\tx".into(),
        DeckEntry { id: DeckId(9), mtime: 100, name: "D".into(), notetype: None, cloze_cards: None },
    );
    lock.notes.entry("d\tx".into()).or_default().push(NoteEntry {
        guid: "g#,1".into(),
        note_id: NoteId(1000),
        card_ids: CardIds::one(CardId(1001)),
        mtime: 100,
        content: 1,
        front: 2,
        back: 3,
        front_sketch: Sketch::of("a b c"),
        back_sketch: Sketch::of("d e"),
        preview: "front \\ with\ttab".into(),
        kind: Default::default(),
    });
    lock
}

#[test]
fn a_large_section_parses_in_pieces_as_it_does_whole() {
    let mut lock = sample();
    let template = lock.notes["d\tx"][0].clone();
    let notes: Vec<NoteEntry> = (0..30_000i64)
        .map(|i| NoteEntry {
            guid: format!("g{i}"),
            note_id: NoteId(2_000 + 2 * i),
            card_ids: CardIds::one(CardId(2_001 + 2 * i)),
            ..template.clone()
        })
        .collect();
    lock.notes.insert("d\tx".into(), notes);
    let text = lock.to_text().unwrap();
    let raw = RawSections::of(&text);
    assert!(raw.decks["d\tx"].text.len() > 2 << 20, "the section must span several pieces");
    assert_eq!(Lock::parse_selected(Path::new("l"), &raw, |_| true).unwrap(), lock);
    // A bad line deep in the section is named by its line in the file.
    let broken_line = text.lines().position(|l| l.contains("\tg29000\t")).unwrap();
    let broken = text.replace("\tg29000\t", "\tg29000\tx\t");
    let parsed = Lock::parse_selected(Path::new("l"), &RawSections::of(&broken), |_| true).unwrap();
    let damage = &parsed.damaged["d\tx"];
    assert_eq!(damage.line, broken_line + 1, "{damage:?}");
    assert!(damage.problem.contains("13 columns, not 12"), "{damage:?}");
    assert!(parsed.notes.is_empty());
}

/// Sections read again from the file, in blocks of any size, parse as they do from the text;
/// a file that changed since it was first read is an error, not a wrong lock.
#[test]
fn detached_sections_parse_from_the_file_as_from_the_text() {
    let mut lock = sample();
    let template = lock.notes.values().flatten().next().unwrap().clone();
    let notes: Vec<NoteEntry> = (0..3_000)
        .map(|i| NoteEntry {
            guid: format!("h{i}"),
            note_id: NoteId(2_000 + 2 * i64::from(i)),
            card_ids: CardIds::one(CardId(2_001 + 2 * i64::from(i))),
            ..template.clone()
        })
        .collect();
    lock.notes.insert("big".into(), notes);
    // A deck without notes: its section is its deck line.
    lock.decks.insert(
        "empty".into(),
        DeckEntry {
            id: DeckId(11),
            mtime: 100,
            name: "E".into(),
            notetype: Some(NotetypeId(7)),
            cloze_cards: None,
        },
    );
    let text = lock.to_text().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ankideck.lock");
    std::fs::write(&path, &text).unwrap();
    let raw = RawSections::of(&text);
    let keys: Vec<&String> = raw.decks.keys().collect();
    assert!(keys.len() >= 2);
    for selected in [keys[0].as_str(), "big", "empty"] {
        let expected = Lock::parse_selected(&path, &raw, |key| key == selected).unwrap();
        for block in [1, 100, 4096, 8 << 20] {
            let detached = raw.detach(|key| key == selected);
            assert_eq!(Lock::parse_detached_in_blocks(&path, detached, block).unwrap(), expected, "{block}");
        }
    }
    // Changed in place, rewritten with a line more in front, cut short: all are "changed".
    let edited = text.replace("\th1500\t", "\th1501\t");
    let shifted = format!("# x\n{text}");
    let cut = &text[..text.len() / 2];
    for changed in [edited.as_str(), shifted.as_str(), cut] {
        let detached = raw.detach(|key| key == "big");
        std::fs::write(&path, changed).unwrap();
        let err = Lock::parse_detached(&path, detached).unwrap_err();
        assert!(err.to_string().contains("changed while it was being read"), "{err}");
    }
}

/// A note of a note type with two templates holds a card id per template, in one column.
#[test]
fn a_two_card_entry_round_trips() {
    let mut lock = sample();
    let note = &mut lock.notes.get_mut("d\tx").unwrap()[0];
    note.card_ids = CardIds::parse("1001,1002").unwrap();
    let text = lock.to_text().unwrap();
    let line = text.lines().find(|l| l.starts_with("note\t")).unwrap();
    assert!(line.starts_with("note\td\\tx\tg#,1\t1000\t1001,1002\t100\t"), "{line}");
    let parsed = Lock::parse(Path::new("l"), &text).unwrap();
    assert_eq!(parsed, lock);
    assert_eq!(parsed.notes["d\tx"][0].card_ids.len(), 2);
    assert_eq!(parsed.max_id(), 1002, "new ids go above every card's");
    // The kept section's ids count as well.
    let kept = Lock::parse_selected(Path::new("l"), &RawSections::of(&text), |_| false).unwrap();
    assert_eq!(kept.kept_guids_and_max_id(), (vec!["g#,1"], 1002));
}

#[test]
fn a_cloze_card_of_a_deck_of_another_type_says_so_on_its_line_and_reads_back() {
    let mut lock = sample();
    let plain = lock.notes["d\tx"][0].clone();
    let cloze = NoteEntry {
        guid: "c1".into(),
        note_id: crate::ids::NoteId(2000),
        card_ids: CardIds::parse("2001,2002").unwrap(),
        kind: crate::model::NoteKind::Cloze,
        ..plain.clone()
    };
    lock.notes.get_mut("d\tx").unwrap().push(cloze);
    let text = lock.to_text().unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("note\t")).collect();
    assert!(!lines[0].ends_with("\tcloze") && lines[1].ends_with("\tcloze"), "{text}");
    assert_eq!(lines[1].split('\t').count(), 13);
    // Parsed whole, checked as a section, and kept and parsed again: the same entries.
    assert_eq!(Lock::parse(Path::new("l"), &text).unwrap(), lock);
    let raw = RawSections::of(&text);
    let parsed = Lock::parse_selected(Path::new("l"), &raw, |_| true).unwrap();
    assert_eq!(parsed.notes, lock.notes);
    // A plain note whose preview is the word `cloze` is no cloze card.
    let mut odd = sample();
    odd.notes.get_mut("d\tx").unwrap()[0].preview = "cloze".into();
    assert_eq!(Lock::parse(Path::new("l"), &odd.to_text().unwrap()).unwrap(), odd);
}

#[test]
fn lock_round_trips_through_text() {
    let lock = sample();
    let text = lock.to_text().unwrap();
    assert!(text.starts_with("# Generated by ankideck"));
    assert_eq!(Lock::parse(Path::new("l"), &text).unwrap(), lock);
    assert_eq!(lock.max_id(), 1001);
}

#[test]
fn digest_and_streamed_text_match_the_text() {
    let lock = sample();
    let mut out = Vec::new();
    let (digest, sections) = lock.write_to(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), lock.to_text().unwrap());
    assert_eq!(digest, lock.digest().unwrap());
    assert_eq!(sections["d\tx"], lock.deck_digest("d\tx").unwrap());
    assert_eq!(digest, xxhash_rust::xxh3::xxh3_128(lock.to_text().unwrap().as_bytes()));
}

#[test]
fn hand_formatting_matches_format() {
    for n in [0i64, 7, -1, 1_764_000_000_000, i64::MIN, i64::MAX] {
        let mut out = String::new();
        push_field_int(&mut out, n);
        assert_eq!(out, format!("\t{n}"));
    }
    let mut out = String::new();
    push_hex16(&mut out, 0xab);
    assert_eq!(out, format!("{:016x}", 0xab));
}

#[test]
fn unknown_version_is_a_clear_error() {
    let err = Lock::parse(Path::new("ankideck.lock"), "version\t99\n").unwrap_err();
    assert!(matches!(err, LockError::UnknownVersion { .. }));
    assert!(err.to_string().contains("version 99"), "{err}");
}

#[test]
fn malformed_entry_damages_its_section_and_names_the_line() {
    let lock = Lock::parse(Path::new("ankideck.lock"), "version\t1\nnote\tx\n").unwrap();
    let damage = &lock.damaged["x"];
    assert_eq!(damage.line, 2);
    assert!(damage.problem.contains("cut short"), "{damage:?}");
    assert!(lock.notes.is_empty());
    assert_eq!(lock.to_text().unwrap().lines().last(), Some("note\tx"), "kept as it was");
}

#[test]
fn malformed_head_is_an_error_that_names_the_line() {
    let err = Lock::parse(Path::new("ankideck.lock"), "version\t2\nnotetype\t1\n").unwrap_err();
    assert!(err.is_input());
    assert!(err.to_string().starts_with("ankideck.lock:2: bad notetype entry"), "{err}");
}

#[test]
fn raw_sections_equal_the_canonical_deck_sections() {
    let mut lock = sample();
    lock.decks.insert(
        "e".into(),
        DeckEntry {
            id: DeckId(10),
            mtime: 5,
            name: "E".into(),
            notetype: Some(NotetypeId(7)),
            cloze_cards: None,
        },
    );
    let text = lock.to_text().unwrap();
    let raw = RawSections::of(&text);
    assert_eq!(raw.decks.len(), 2);
    assert_eq!(raw.decks["d\tx"].text, lock.deck_section("d\tx"));
    assert_eq!(raw.decks["e"].text, lock.deck_section("e"));
    assert_eq!(xxhash_rust::xxh3::xxh3_128(raw.decks["e"].text.as_bytes()), lock.deck_digest("e").unwrap());

    let partial = Lock::parse_selected(Path::new("l"), &raw, |key| key == "e").unwrap();
    assert_eq!(partial.kept.len(), 1);
    assert_eq!(partial.to_text().unwrap(), text, "kept sections are written back verbatim");
    assert_eq!(partial.max_id(), lock.max_id());
    assert_eq!(partial.decks["e"], lock.decks["e"]);
    assert_eq!(Lock::parse(Path::new("l"), raw.head).unwrap().notetypes, lock.notetypes);
}

#[test]
fn a_deck_split_in_two_places_makes_the_lock_parse_whole() {
    let mut lock = sample();
    lock.decks.insert(
        "e".into(),
        DeckEntry {
            id: DeckId(10),
            mtime: 5,
            name: "E".into(),
            notetype: Some(NotetypeId(7)),
            cloze_cards: None,
        },
    );
    let text = lock.to_text().unwrap();
    // Move the deck line of `d\tx` to the end, after deck `e`.
    let deck_line = text.lines().find(|l| l.starts_with("deck\td")).unwrap().to_string();
    let moved = text.replace(&format!("{deck_line}\n"), "") + &deck_line + "\n";
    let raw = RawSections::of(&moved);
    assert!(!raw.canonical);
    // Parsed whole, the deck is damaged: its lines stand in two places, under one checksum.
    let parsed = Lock::parse_selected(Path::new("l"), &raw, |_| false).unwrap();
    assert_eq!(parsed.decks.keys().collect::<Vec<_>>(), ["e"]);
    assert!(parsed.damaged["d\tx"].problem.contains("stand in 2 places"), "{:?}", parsed.damaged);
    // Its section (spanning both places) never passes for the one the last build wrote.
    assert_ne!(raw.decks["d\tx"].text, lock.deck_section("d\tx"));
}

#[test]
fn kept_section_without_final_line_break_gets_one() {
    let lock = sample();
    let text = lock.to_text().unwrap();
    let raw = RawSections::of(text.trim_end());
    let kept = Lock::parse_selected(Path::new("l"), &raw, |_| false).unwrap();
    assert_eq!(kept.to_text().unwrap(), text);
    assert_eq!(kept.kept_guids(), ["g#,1"]);
    assert_eq!(kept.kept_guids_and_max_id(), (vec!["g#,1"], kept.max_id()));
}

#[test]
fn every_section_ends_with_its_count_and_checksum() {
    let mut lock = sample();
    lock.decks.insert(
        "e".into(),
        DeckEntry {
            id: DeckId(10),
            mtime: 5,
            name: "E".into(),
            notetype: Some(NotetypeId(7)),
            cloze_cards: None,
        },
    );
    let text = lock.to_text().unwrap();
    let section = lock.deck_section("d\tx");
    let (body, end) = section.split_at(section.rfind("end\t").unwrap());
    assert_eq!(end, format!("end\td\\tx\t1\t{:016x}\n", xxhash_rust::xxh3::xxh3_64(body.as_bytes())));
    assert!(text.ends_with(&format!(
        "deck\te\t10\t5\tE\t7\nend\te\t0\t{:016x}\n",
        xxhash_rust::xxh3::xxh3_64(b"deck\te\t10\t5\tE\t7\n")
    )));
    let raw = RawSections::of(&text);
    assert!(raw.canonical);
    assert_eq!(raw.decks["d\tx"].text, section, "the end line belongs to its section");
}

#[test]
fn a_spilled_section_is_the_section_written_from_memory() {
    let lock = sample();
    let dir = tempfile::tempdir().unwrap();
    let entries = &lock.notes["d\tx"];
    let spilled = SpilledSection::write(dir.path(), "d\tx", &lock.decks["d\tx"], |f| f(entries)).unwrap();
    let mut on_disk = Lock { spilled: [("d\tx".to_string(), spilled)].into(), ..Lock::default() };
    on_disk.notetypes = lock.notetypes.clone();
    assert_eq!(on_disk.to_text().unwrap(), lock.to_text().unwrap());
    assert_eq!(on_disk.deck_digest("d\tx").unwrap(), lock.deck_digest("d\tx").unwrap());
}

#[test]
fn a_damaged_section_is_written_back_as_it_was() {
    let mut lock = sample();
    lock.decks.insert(
        "e".into(),
        DeckEntry {
            id: DeckId(10),
            mtime: 5,
            name: "E".into(),
            notetype: Some(NotetypeId(7)),
            cloze_cards: None,
        },
    );
    let text = lock.to_text().unwrap();
    let edited = text.replace("\tg#,1\t", "\tg#,2\t");
    for parsed in [
        Lock::parse(Path::new("l"), &edited).unwrap(),
        Lock::parse_selected(Path::new("l"), &RawSections::of(&edited), |_| true).unwrap(),
    ] {
        assert!(
            parsed.damaged["d\tx"].problem.contains("does not match the checksum"),
            "{:?}",
            parsed.damaged
        );
        assert!(!parsed.notes.contains_key("d\tx") && !parsed.decks.contains_key("d\tx"));
        assert_eq!(parsed.decks["e"], lock.decks["e"]);
        assert_eq!(parsed.to_text().unwrap(), edited, "never under a fresh checksum");
    }
}

#[test]
fn a_conflict_marker_is_an_input_error_naming_its_line() {
    let text = sample().to_text().unwrap();
    let conflicted = text.replacen("deck\t", "<<<<<<< HEAD\ndeck\t", 1);
    let err = Lock::parse(Path::new("ankideck.lock"), &conflicted).unwrap_err();
    assert!(err.is_input());
    assert!(err.to_string().starts_with("ankideck.lock:5: a git merge-conflict marker"), "{err}");
    assert_eq!(RawSections::of(&conflicted).conflict, Some(5));
}

#[test]
fn empty_text_is_an_empty_lock() {
    assert_eq!(Lock::parse(Path::new("l"), "").unwrap(), Lock::default());
}
