//! Matching and `mod` policy.

use super::*;
use crate::model::Note;
use std::collections::HashSet;

fn note(front: &str, back: &str, line: u32) -> Note {
    Note::new(&[front, back, "S"], &["S"], line)
}

fn deck(notes: Vec<Note>) -> Deck {
    Deck { key: "d".into(), name: "D".into(), file: "d.txt".into(), notes }
}

/// Builds `notes` against `old` at time `now`, returning the identified deck.
fn run(notes: Vec<Note>, old: &[NoteEntry], now: i64) -> Snapshot {
    let max = old.iter().map(|e| e.card_ids.max()).max().unwrap_or(0);
    let mut ids = IdAllocator::new(now, max);
    let mut guids: GuidSet = old.iter().map(|e| e.guid.as_str()).collect();
    identify_alone(deck(notes), old, now, &mut ids, &mut guids)
}

const A: (&str, &str) = (
    "The Shakhty show trial of 1928 was a clear indication of",
    "Stalin's determination to find a scapegoat for the chaos.",
);
const B: (&str, &str) = (
    "Kirov was murdered in December 1934 and the circumstances",
    "were suspicious, and Stalin was quick to blame Trotskyites.",
);
const C: (&str, &str) = (
    "In 1932 two opposition groups emerged within the Party elite and",
    "Ryutin led the second group with a platform of criticism.",
);

fn v1() -> Snapshot {
    run(vec![note(A.0, A.1, 2), note(B.0, B.1, 5), note(C.0, C.1, 8)], &[], 1_000)
}

#[test]
fn first_build_gives_every_note_a_new_identity() {
    let d = v1();
    assert!(d.notes.iter().all(|n| n.change == Change::New && n.mtime == 1_000));
    let guids: HashSet<&String> = d.notes.iter().map(|n| &n.guid).collect();
    assert_eq!(guids.len(), 3);
    assert_eq!(d.notes[0].note_id.0, 1_000_000);
    assert_eq!(d.notes.iter().map(|n| n.position).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn unchanged_rebuild_keeps_everything() {
    let first = v1();
    let again =
        run(vec![note(A.0, A.1, 2), note(B.0, B.1, 5), note(C.0, C.1, 8)], &first.lock_entries(), 2_000);
    assert!(again.notes.iter().all(|n| n.change == Change::Unchanged && n.mtime == 1_000));
    assert_eq!(again.lock_entries(), first.lock_entries());
}

#[test]
fn edited_back_keeps_guid_and_bumps_mod() {
    let first = v1();
    let d = run(
        vec![note(A.0, "A new back.", 2), note(B.0, B.1, 5), note(C.0, C.1, 8)],
        &first.lock_entries(),
        2_000,
    );
    assert_eq!(d.notes[0].guid, first.notes[0].guid);
    assert_eq!(d.notes[0].change, Change::Updated);
    assert_eq!(d.notes[0].mtime, 2_000);
    assert_eq!(d.notes[0].note_id, first.notes[0].note_id);
}

#[test]
fn edited_front_keeps_guid() {
    let first = v1();
    let d = run(
        vec![note(A.0, A.1, 2), note("Who was murdered in 1934?", B.1, 5), note(C.0, C.1, 8)],
        &first.lock_entries(),
        2_000,
    );
    assert_eq!(d.notes[1].guid, first.notes[1].guid);
    assert_eq!(d.notes[1].change, Change::Updated);
}

#[test]
fn both_sides_lightly_edited_match_by_similarity() {
    let first = v1();
    let front = C.0.replace("1932", "1933");
    let back = C.1.replace("criticism", "criticisms");
    let d =
        run(vec![note(A.0, A.1, 2), note(B.0, B.1, 5), note(&front, &back, 8)], &first.lock_entries(), 2_000);
    assert_eq!(d.notes[2].guid, first.notes[2].guid);
    assert_eq!(d.notes[2].change, Change::Updated);
}

#[test]
fn inserted_moved_and_deleted_cards() {
    let first = v1();
    let notes =
        vec![note(C.0, C.1, 2), note("A brand new card about", "the Great Purges.", 5), note(A.0, A.1, 8)];
    let d = run(notes, &first.lock_entries(), 2_000);
    assert_eq!(d.notes[0].guid, first.notes[2].guid);
    assert_eq!(d.notes[0].change, Change::Unchanged, "moving a card is not a change of its note");
    assert_eq!(d.notes[1].change, Change::New);
    assert!(d.notes[1].note_id.0 > first.notes[2].card_ids.max(), "new ids go above the lock's");
    assert_eq!(d.notes[1].mtime, 2_000);
    assert_eq!(d.notes[2].guid, first.notes[0].guid);
    assert_eq!(d.removed.len(), 1);
    assert_eq!(d.removed[0].guid, first.notes[1].guid);
}

#[test]
fn moving_to_another_section_updates_but_keeps_guid() {
    let first = v1();
    let moved = Note::new(&[B.0, B.1, "OTHER"], &["OTHER"], 5);
    let d = run(vec![note(A.0, A.1, 2), moved, note(C.0, C.1, 8)], &first.lock_entries(), 2_000);
    assert_eq!(d.notes[1].guid, first.notes[1].guid);
    assert_eq!(d.notes[1].change, Change::Updated);
}

#[test]
fn identical_duplicates_keep_their_guids_in_order() {
    let first = run(vec![note(A.0, A.1, 2), note(A.0, A.1, 5)], &[], 1_000);
    assert_ne!(first.notes[0].guid, first.notes[1].guid);
    let d = run(vec![note(A.0, A.1, 2), note(A.0, A.1, 5)], &first.lock_entries(), 2_000);
    assert_eq!(d.notes[0].guid, first.notes[0].guid);
    assert_eq!(d.notes[1].guid, first.notes[1].guid);
}

#[test]
fn unrelated_replacement_is_new_not_an_update() {
    let first = v1();
    let d = run(
        vec![
            note(A.0, A.1, 2),
            note(B.0, B.1, 5),
            note("Completely different question", "Unrelated answer entirely.", 8),
        ],
        &first.lock_entries(),
        2_000,
    );
    assert_eq!(d.notes[2].change, Change::New);
    assert_eq!(d.removed.len(), 1);
}

#[test]
fn changed_mod_is_strictly_newer_even_with_an_older_clock() {
    let first = v1();
    let d =
        run(vec![note(A.0, "Changed.", 2), note(B.0, B.1, 5), note(C.0, C.1, 8)], &first.lock_entries(), 500);
    assert_eq!(d.notes[0].mtime, 1_001);
}

#[test]
fn notetype_mod_moves_only_when_its_definition_changes() {
    let nt = Notetype::flashcard(None);
    let first = identify_notetype(&nt, None, 1_000);
    assert_eq!(first.mtime, 1_000);
    assert_eq!(identify_notetype(&nt, Some(&first), 2_000).mtime, 1_000);
    let styled = Notetype::flashcard(Some(".x{}"));
    assert_eq!(identify_notetype(&styled, Some(&first), 2_000).mtime, 2_000);
}

#[test]
fn edit_next_to_a_deleted_twin_with_the_same_back_keeps_its_own_guid() {
    let first = run(
        vec![
            note("Who pushed collectivisation of the farms in the villages", "Stalin.", 2),
            note("Who ordered the Great Purge of the party and the army", "Stalin.", 5),
        ],
        &[],
        1_000,
    );
    // The first card is deleted; the second card's front gets a typo fixed.
    let d = run(
        vec![note("Who ordered the Great Purge of the Party and the army", "Stalin.", 2)],
        &first.lock_entries(),
        2_000,
    );
    assert_eq!(d.notes[0].guid, first.notes[1].guid);
    assert_eq!(d.removed[0].guid, first.notes[0].guid);
}

/// Used to match by the similarity of both sides taken together ("1 updated"): the front is
/// lightly edited, but the answer is replaced, so it is another card.
#[test]
fn front_edited_and_answer_replaced_is_a_new_card() {
    let first = run(
        vec![
            note("Which Soviet leader launched the five year plans", "Stalin.", 2),
            note("Which Soviet leader held the Red Army together in the civil war", "Trotsky.", 5),
        ],
        &[],
        1_000,
    );
    let d = run(
        vec![
            note("Which Soviet leader launched the five year plans", "Stalin.", 2),
            note("Which Soviet leader held the Red Army together after the civil war", "Stalin.", 5),
        ],
        &first.lock_entries(),
        2_000,
    );
    assert_eq!(d.notes[1].change, Change::New);
    assert_eq!(d.removed.len(), 1);
    assert_eq!(d.removed[0].guid, first.notes[1].guid);
}

#[test]
fn previews_name_the_front_as_text() {
    assert_eq!(preview("Who led the opposition?"), "Who led the opposition?");
    assert_eq!(preview("Line one<br>line &amp; two"), "Line one line & two");
    // Escaped text never holds a bare `<`, but a front from an HTML deck can: it stays.
    assert_eq!(preview("1 < 2 is true"), "1 < 2 is true");
    let long = "word ".repeat(30);
    assert_eq!(preview(&long), format!("{}…", &long[..60]));
    // A front longer than the prefix read says so even when its text is short.
    let padded = format!("short{}", "<b></b>".repeat(100));
    assert_eq!(preview(&padded), "short…");
    // Plain text and the same text through the markup path agree.
    for text in ["Zürich naïve café", "x".repeat(70).as_str(), ""] {
        assert_eq!(preview(text), preview(&format!("<i>{text}</i>")));
    }
}

/// Text that cannot be read past the first occurrence of a key (as a spill file that fails).
struct Unreadable;

impl Sketches for Unreadable {
    fn sketches(&self, indices: &[usize]) -> Vec<escaping::Sketched> {
        vec![escaping::Sketched::default(); indices.len()]
    }
}

impl NoteText for Unreadable {
    type Error = &'static str;

    fn guid(&self, _: usize, occurrence: usize) -> Result<u64, Self::Error> {
        if occurrence == 1 { Ok(42) } else { Err("cannot read") }
    }

    fn card_ords(&self, _: usize, _: crate::notetype::NoteTypes<'_>) -> Result<Vec<Vec<u16>>, Self::Error> {
        Err("cannot read")
    }
}

/// Identical cards need their text for the guid of each further occurrence: when it cannot be
/// read, assigning fails (it used to retry the same guid for ever).
#[test]
fn unreadable_text_fails_assignment_instead_of_retrying() {
    let key = NoteKey { front: 1, back: 2, content: 3 };
    let mut ids = IdAllocator::new(1_000, 0);
    let mut guids = GuidSet::default();
    let matched = match_decks(&[ToMatch { keys: &[key; 3], text: &Unreadable, own: &[], pinned: &[] }], &[]);
    let deck_match = matched.decks.into_iter().next().unwrap();
    assert_eq!(
        assign(deck_match, 0, &[&[]], &Unreadable, (&mut ids, CardShape::Every(1)), &mut guids).err(),
        Some("cannot read")
    );
}

#[test]
fn a_note_of_the_other_kind_matches_no_entry_of_its_old_kind_by_any_stage() {
    use crate::model::NoteKind;
    let first = v1();
    let cloze = |n: Note| n.with_kind(NoteKind::Cloze);
    // The same text (stage 1), the same front (2), the same back and a similar front (3), both
    // sides lightly edited (4): as a note of the other kind, each is a new note.
    let edited = format!("{} too", A.0);
    let again = run(
        vec![
            cloze(note(A.0, A.1, 2)),
            cloze(note(B.0, "another back entirely", 5)),
            cloze(note(&edited, A.1, 8)),
            cloze(note(&format!("{} x", C.0), &format!("{} y", C.1), 9)),
        ],
        &first.lock_entries(),
        2_000,
    );
    assert!(again.notes.iter().all(|n| n.change == Change::New), "{:?}", again.notes);
    assert_eq!(again.removed.len(), 3);
    let old_guids: HashSet<&String> = first.notes.iter().map(|n| &n.guid).collect();
    assert!(again.notes.iter().all(|n| !old_guids.contains(&n.guid)), "no guid of the plain notes");
    // Among notes of its own kind, a cloze card matches as any card does.
    let cloze_first = run(vec![cloze(note(A.0, A.1, 2))], &[], 1_000);
    let cloze_again = run(vec![cloze(note(&edited, A.1, 2))], &cloze_first.lock_entries(), 2_000);
    assert_eq!(cloze_again.notes[0].change, Change::Updated);
    assert_eq!(cloze_again.notes[0].guid, cloze_first.notes[0].guid);
}
