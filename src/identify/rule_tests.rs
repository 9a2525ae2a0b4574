//! The matching rule, stage by stage, across decks, and its determinism.

use super::*;
use crate::model::Note;
use similar::Sketch;

fn note(front: &str, back: &str) -> Note {
    Note::new(&[front, back, "S"], &["S"], 1)
}

fn deck(key: &str, notes: Vec<Note>) -> Deck {
    Deck { key: key.into(), name: key.to_uppercase(), file: format!("{key}.txt").into(), notes }
}

/// Builds deck `d` alone at time 1000, then again at 2000 with `after`: the two builds.
fn rebuild(before: Vec<Note>, after: Vec<Note>) -> (Snapshot, Snapshot) {
    let mut ids = IdAllocator::new(1_000, 0);
    let first = identify_alone(deck("d", before), &[], 1_000, &mut ids, &mut GuidSet::default());
    let old = first.lock_entries();
    let mut guids: GuidSet = old.iter().map(|e| e.guid.as_str()).collect();
    let mut ids = IdAllocator::new(2_000, old.iter().map(|e| e.card_ids.max()).max().unwrap_or(0));
    let second = identify_alone(deck("d", after), &old, 2_000, &mut ids, &mut guids);
    (first, second)
}

/// What became of note `i` of the second build: the index of the first build's note whose
/// identity it has, or `None` if it is new.
fn origin(first: &Snapshot, second: &Snapshot, i: usize) -> Option<usize> {
    first.notes.iter().position(|n| n.guid == second.notes[i].guid)
}

const VOCABULARY: [(&str, &str); 6] = [
    ("dog", "Hund"),
    ("house", "Haus"),
    ("tree", "Baum"),
    ("water", "Wasser"),
    ("bread", "Brot"),
    ("car", "Auto"),
];

fn vocabulary() -> Vec<Note> {
    VOCABULARY
        .iter()
        .map(|(en, de)| note(&format!("What is the German word for {en}"), &format!("{de}.")))
        .collect()
}

#[test]
fn a_replaced_vocabulary_card_is_new_and_the_old_one_removed() {
    let mut after = vocabulary();
    after[0] = note("What is the German word for cat", "Katze.");
    let (first, second) = rebuild(vocabulary(), after);
    assert_eq!(second.notes[0].change, Change::New, "the cat card must not take the dog card's history");
    assert_eq!(second.removed.len(), 1);
    assert_eq!(second.removed[0].guid, first.notes[0].guid);
    assert!((1..6).all(|i| origin(&first, &second, i) == Some(i)));
}

#[test]
fn a_corrected_answer_keeps_the_card() {
    let mut after = vocabulary();
    after[1] = note("What is the German word for house", "das Haus (plural: Häuser).");
    let (first, second) = rebuild(vocabulary(), after);
    assert_eq!(origin(&first, &second, 1), Some(1));
    assert_eq!(second.notes[1].change, Change::Updated);
}

#[test]
fn of_several_cards_with_one_front_the_most_similar_back_is_kept() {
    let before = vec![
        note("Name a cause of the Great Terror", "Fear of a fifth column in a coming war."),
        note("Name a cause of the Great Terror", "The murder of Kirov in December 1934."),
    ];
    // The first card is deleted; the second one's answer is corrected.
    let after =
        vec![note("Name a cause of the Great Terror", "The murder of Sergei Kirov in December 1934.")];
    let (first, second) = rebuild(before, after);
    assert_eq!(origin(&first, &second, 0), Some(1));
    assert_eq!(second.removed[0].guid, first.notes[0].guid);
}

#[test]
fn a_short_unchanged_answer_is_no_evidence_for_a_replaced_question() {
    let before = vec![note("Hund", "dog"), note("In which year did Lenin die?", "1924.")];
    let after =
        vec![note("Köter", "dog"), note("In which year did Stalin become General Secretary?", "1922.")];
    let (_, second) = rebuild(before, after);
    assert!(second.notes.iter().all(|n| n.change == Change::New));
    assert_eq!(second.removed.len(), 2);
}

#[test]
fn the_same_back_with_a_similar_front_keeps_the_card() {
    let before = vec![note("In which year did Lenin die", "1924.")];
    let after = vec![note("In which year did Lenin die, aged 53", "1924.")];
    let (first, second) = rebuild(before, after);
    assert_eq!(origin(&first, &second, 0), Some(0));
}

#[test]
fn an_empty_back_is_no_evidence_so_a_replaced_one_line_cloze_is_a_new_card_and_an_edited_one_is_not() {
    let before = vec![
        note("{{c1::Paris}} is the capital of {{c2::France}}.", ""),
        note("The {{c1::Seine}} flows through Paris and into the English Channel.", ""),
    ];
    let after = vec![
        note("{{c1::Rome}} is the capital of {{c2::Italy}}.", ""),
        note("The {{c1::Seine}} flows through Paris and on into the English Channel.", ""),
    ];
    let (first, second) = rebuild(before, after);
    assert_eq!(second.notes[0].change, Change::New);
    assert_eq!(origin(&first, &second, 1), Some(1));
}

#[test]
fn a_long_unchanged_answer_keeps_a_rewritten_question() {
    let back = "sending bourgeois managers, specialists and engineers, whom he accused of sabotage, to labour camps.";
    let before = vec![note("He extended the use of terror to enforce collectivisation by", back)];
    let after = vec![note("How did Stalin punish industrial failure?", back)];
    let (first, second) = rebuild(before, after);
    assert_eq!(origin(&first, &second, 0), Some(0));
}

#[test]
fn both_sides_lightly_edited_keep_the_card_only_if_each_side_is_similar() {
    let before = vec![
        note(
            "The Shakhty show trial of 1928 was a clear indication of",
            "Stalin's determination to find a scapegoat for the chaos caused by his economic policies.",
        ),
        note("What is the German word for dog", "Hund."),
    ];
    let after = vec![
        note(
            "The Shakhty show trial of 1928 was a plain indication of",
            "Stalin's determination to find scapegoats for the chaos caused by his economic policies.",
        ),
        note("What is the German word for dogs", "Hunde."),
    ];
    let (first, second) = rebuild(before, after);
    assert_eq!(origin(&first, &second, 0), Some(0));
    // The fronts are alike, the backs ("Hund" and "Hunde") are other words: not evidence enough.
    assert_eq!(second.notes[1].change, Change::New);
}

#[test]
fn an_entry_from_a_version_1_lock_is_matched_by_its_unchanged_sides_only() {
    let before =
        vec![note("Who led the Left Opposition", "Trotsky."), note("Who was NKVD chief in 1936", "Yagoda.")];
    let mut ids = IdAllocator::new(1_000, 0);
    let first = identify_alone(deck("d", before), &[], 1_000, &mut ids, &mut GuidSet::default());
    let mut old = first.lock_entries();
    for entry in &mut old {
        entry.front_sketch = Sketch::default();
        entry.back_sketch = Sketch::default();
    }
    let after = vec![
        note("Who led the Left Opposition", "Leon Trotsky."),
        note("Who was NKVD chief in 1936?", "Yagoda."),
    ];
    let mut ids = IdAllocator::new(2_000, 10_000_000);
    let second = identify_alone(deck("d", after), &old, 2_000, &mut ids, &mut GuidSet::default());
    assert_eq!(second.notes[0].guid, first.notes[0].guid, "the same front");
    assert_eq!(second.notes[1].change, Change::New, "no sketch to compare the fronts with");
    // Every lock entry gets its sketches back.
    assert!(second.lock_entries().iter().all(|e| !e.front_sketch.values().is_empty()));
}

/// Two decks built together at 1000 and again at 2000 with their new notes, the second time with
/// `gone` (notes of a third deck whose file is gone, built the first time) in the pool.
fn rebuild_two(before: [Vec<Note>; 3], after: [Vec<Note>; 2]) -> (Vec<Snapshot>, Vec<Snapshot>) {
    let mut ids = IdAllocator::new(1_000, 0);
    let [a, b, c] = before;
    let first = identify_together(
        vec![(deck("a", a), &[][..]), (deck("b", b), &[][..]), (deck("c", c), &[][..])],
        &[],
        1_000,
        &mut ids,
        &mut GuidSet::default(),
    );
    let old: Vec<Vec<NoteEntry>> = first.iter().map(Snapshot::lock_entries).collect();
    let mut guids: GuidSet = old.iter().flatten().map(|e| e.guid.as_str()).collect();
    let mut ids = IdAllocator::new(2_000, 10_000_000);
    let [a, b] = after;
    let second = identify_together(
        vec![(deck("a", a), &old[0][..]), (deck("b", b), &old[1][..])],
        &[&old[2][..]],
        2_000,
        &mut ids,
        &mut guids,
    );
    (first, second)
}

#[test]
fn a_card_moved_to_another_deck_keeps_its_identity() {
    let moved = note("Who was murdered in December 1934", "Kirov.");
    let gone = note("Who organised the first show trial", "Stalin, through Yagoda.");
    let (first, second) = rebuild_two(
        [vec![moved.clone(), note("x1", "y1")], vec![note("x2", "y2")], vec![gone.clone()]],
        [vec![note("x1", "y1")], vec![note("x2", "y2"), moved, gone]],
    );
    assert_eq!(second[1].notes[1].guid, first[0].notes[0].guid);
    assert_eq!(second[1].notes[2].guid, first[2].notes[0].guid, "from a deck whose file is gone");
    assert_eq!(second[1].notes[1].change, Change::Unchanged);
    assert!(second.iter().all(|d| d.removed.is_empty()), "a card taken by another deck is not removed");
}

#[test]
fn a_card_of_the_own_deck_wins_over_one_of_another_deck() {
    let card = note("What is the German word for dog", "Hund.");
    // The card is in both decks; deck a's copy is deleted and b's copy gets its answer
    // corrected. Both old copies are as like it: b's own wins, though a's comes first.
    let (first, second) = rebuild_two(
        [vec![card.clone(), note("x", "y")], vec![card.clone()], vec![]],
        [vec![note("x", "y")], vec![note("What is the German word for dog", "der Hund.")]],
    );
    assert_eq!(second[1].notes[0].guid, first[1].notes[0].guid);
    assert_eq!(second[0].removed.len(), 1);
    assert_eq!(second[0].removed[0].guid, first[0].notes[0].guid);
}

#[test]
fn matching_does_not_depend_on_the_number_of_threads() {
    let notes = |n: usize, edit: bool| -> Vec<Note> {
        (0..n)
            .map(|i| {
                let front = format!("Question {i} about the purges of {} and", 1930 + i % 9);
                let back =
                    format!("answer {} with words {} {}.", i % 17, i % 5, if edit { "more" } else { "" });
                note(&front, &back)
            })
            .collect()
    };
    let build = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let (_, second) = rebuild_two(
                [notes(300, false), notes(200, false), notes(100, false)],
                [notes(250, true), notes(350, true)],
            );
            second.iter().map(|d| d.lock_entries()).collect::<Vec<_>>()
        })
    };
    assert_eq!(build(1), build(4));
}
