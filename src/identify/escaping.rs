//! Notes built before quotes were kept as typed: earlier versions stored `'` as `&#x27;` and `"`
//! as `&quot;` in field HTML, so the front and back hashes (and sketches) in their lock entries
//! are of that text. A note whose fields hold a quote is matched to such an entry through its
//! fields escaped the old way ([`OldForm`]), in stages 1 to 3 of [`super::matching`] when its own
//! hashes found nothing, and in stage 4 by the better of its two sketches. It is then the same
//! card, updated once (its content hash differs). Notes without quotes have no old form and cost
//! one byte scan of their fields, only when no entry of their deck matched them exactly.

use super::similar::Sides;
use super::{Note, SideFields, hash};
use crate::html;

/// A note's fields as an earlier version escaped them: the hashes and sketches of its front and
/// back with quotes as entities. A side without a quote has its own hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldForm {
    pub front: u64,
    pub back: u64,
    pub sketch: Sides,
}

/// What matching needs of a note that no entry of its deck matched exactly: its sketches and,
/// when its fields hold a quote, their old form.
#[derive(Debug, Clone, Default)]
pub struct Sketched {
    pub sides: Sides,
    /// Boxed: almost every note has none.
    pub old: Option<Box<OldForm>>,
}

impl Sketched {
    pub fn of<S: AsRef<str>>(note: &Note<S>, sides: SideFields) -> Sketched {
        let (question, answer) = note.sides(sides);
        // A note of another kind than its deck's was never built by the versions that escaped
        // quotes: it has no old form.
        let old = match note.kind() {
            crate::model::NoteKind::Own => old_form(question, answer).map(Box::new),
            _ => None,
        };
        Sketched { sides: super::sides_of(note, sides), old }
    }
}

/// The old form of a front and back, if either holds a quote.
pub fn old_form(front: &str, back: &str) -> Option<OldForm> {
    let (old_front, old_back) = (old_escaped(front), old_escaped(back));
    if old_front.is_none() && old_back.is_none() {
        return None;
    }
    let front = old_front.as_deref().unwrap_or(front);
    let back = old_back.as_deref().unwrap_or(back);
    Some(OldForm { front: hash(front), back: hash(back), sketch: Sides::of(front, back) })
}

/// Field HTML (quotes as typed) with its quotes escaped as earlier versions did, if it has any.
/// `&`, `<` and `>` were escaped the same way then, so the rest is unchanged.
pub fn old_escaped(field: &str) -> Option<String> {
    let quotes = |b: u8| b == b'\'' || b == b'"';
    if !field.bytes().any(quotes) {
        return None;
    }
    let mut out = String::with_capacity(field.len() + 16);
    html::push_replacing_ascii(field, &mut out, |b| match b {
        b'"' => Some("&quot;"),
        b'\'' => Some("&#x27;"),
        _ => None,
    });
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::{Change, Deck, GuidSet, IdAllocator, Snapshot, identify_alone, identify_together};
    use super::*;
    use crate::lock::NoteEntry;
    use crate::model::Note;

    fn note(front: &str, back: &str) -> Note {
        Note::new(&[front, back, "S"], &["S"], 1)
    }

    /// The note as an earlier version built it: quotes as entities.
    fn old_note(front: &str, back: &str) -> Note {
        let old = |field: &str| old_escaped(field).unwrap_or_else(|| field.to_string());
        note(&old(front), &old(back))
    }

    fn deck(key: &str, notes: Vec<Note>) -> Deck {
        Deck { key: key.into(), name: key.to_uppercase(), file: format!("{key}.txt").into(), notes }
    }

    /// Builds `before` at 1000, then `after` at 2000 against its lock entries (without their
    /// sketches when `v1`, as read from a version-1 lock without its package).
    fn rebuild(before: Vec<Note>, after: Vec<Note>, v1: bool) -> (Snapshot, Snapshot) {
        let mut ids = IdAllocator::new(1_000, 0);
        let first = identify_alone(deck("d", before), &[], 1_000, &mut ids, &mut GuidSet::default());
        let mut old = first.lock_entries();
        if v1 {
            for e in &mut old {
                e.front_sketch = Default::default();
                e.back_sketch = Default::default();
            }
        }
        let mut guids: GuidSet = old.iter().map(|e| e.guid.as_str()).collect();
        let mut ids = IdAllocator::new(2_000, 10_000_000);
        let second = identify_alone(deck("d", after), &old, 2_000, &mut ids, &mut guids);
        (first, second)
    }

    /// Cards with quotes on short sides, and one without.
    const QUOTED: [(&str, &str); 4] = [
        ("Comment dit-on \"yes\" ?", "\"Oui.\""),
        ("What is \"l'eau\"?", "Water."),
        ("Hund?", "\"Dog.\""),
        ("What is 70 in French?", "Soixante-dix."),
    ];

    #[test]
    fn quoted_cards_built_with_escaped_quotes_keep_their_identity_and_are_updated_once() {
        for v1 in [false, true] {
            let before = QUOTED.iter().map(|(f, b)| old_note(f, b)).collect();
            let after: Vec<Note> = QUOTED.iter().map(|(f, b)| note(f, b)).collect();
            let (first, second) = rebuild(before, after.clone(), v1);
            for i in 0..3 {
                assert_eq!(second.notes[i].guid, first.notes[i].guid, "card {i}, v1 {v1}");
                assert_eq!(second.notes[i].change, Change::Updated, "card {i}, v1 {v1}");
            }
            assert_eq!(second.notes[3].change, Change::Unchanged);
            assert!(second.removed.is_empty());
            // Once rebuilt, they are unchanged.
            let old = second.lock_entries();
            let mut ids = IdAllocator::new(3_000, 20_000_000);
            let third = identify_alone(deck("d", after), &old, 3_000, &mut ids, &mut GuidSet::default());
            assert!(third.notes.iter().all(|n| n.change == Change::Unchanged));
        }
    }

    #[test]
    fn a_quoted_card_edited_since_the_escaped_build_is_matched_by_each_stage() {
        let before = vec![
            // 2: the same front, the answer corrected.
            old_note("What is \"l'eau\" in English?", "Water."),
            // 3: the same short back, the front reworded a little.
            old_note("How do you say \"yes\" in French", "\"Oui.\""),
            // 4: both sides edited a little.
            old_note("Translate \"J'ai faim\" into English", "\"I'm hungry\", said politely."),
            // 4, short sides: only the sketches of the old form are similar enough.
            old_note("\"Merci\"", "\"Thanks\""),
        ];
        let after = vec![
            note("What is \"l'eau\" in English?", "Water (the drink)."),
            note("How do you say \"yes\" in French?", "\"Oui.\""),
            note("Translate \"J'ai faim\" into English, please", "\"I'm hungry\", said very politely."),
            note("\"Merci\"!", "\"Thanks.\""),
        ];
        let (first, second) = rebuild(before, after, false);
        for i in 0..4 {
            assert_eq!(second.notes[i].guid, first.notes[i].guid, "card {i}");
            assert_eq!(second.notes[i].change, Change::Updated);
        }
    }

    #[test]
    fn a_replaced_quoted_card_is_still_new() {
        let (_, second) = rebuild(
            vec![old_note("What is \"Hund\"?", "Dog.")],
            vec![note("What is \"Katze\"?", "Cat.")],
            true,
        );
        assert_eq!(second.notes[0].change, Change::New);
        assert_eq!(second.removed.len(), 1);
    }

    #[test]
    fn an_entry_with_the_cards_own_hashes_wins_over_one_built_with_escaped_quotes() {
        let (first, second) = rebuild(
            vec![old_note("Is it \"Oui\"?", "Yes."), note("Is it \"Oui\"?", "Yes.")],
            vec![note("Is it \"Oui\"?", "Yes.")],
            false,
        );
        assert_eq!(second.notes[0].guid, first.notes[1].guid);
        assert_eq!(second.notes[0].change, Change::Unchanged);
        assert_eq!(second.removed[0].guid, first.notes[0].guid);
    }

    #[test]
    fn a_quoted_card_moved_to_another_deck_keeps_its_escaped_identity() {
        let mut ids = IdAllocator::new(1_000, 0);
        let first = identify_together(
            vec![(deck("a", vec![old_note("\"Hund\"?", "\"Dog.\""), note("x", "y")]), &[][..])],
            &[],
            1_000,
            &mut ids,
            &mut GuidSet::default(),
        );
        // As read from a version-1 lock without its package: no sketches, only hashes.
        let mut old: Vec<NoteEntry> = first[0].lock_entries();
        for e in &mut old {
            e.front_sketch = Default::default();
            e.back_sketch = Default::default();
        }
        let mut ids = IdAllocator::new(2_000, 10_000_000);
        let second = identify_together(
            vec![
                (deck("a", vec![note("x", "y")]), &old[..]),
                (deck("b", vec![note("\"Hund\"?", "\"Dog.\"")]), &[][..]),
            ],
            &[],
            2_000,
            &mut ids,
            &mut GuidSet::default(),
        );
        assert_eq!(second[1].notes[0].guid, first[0].notes[0].guid);
        assert_eq!(second[1].notes[0].change, Change::Updated);
        assert!(second[0].removed.is_empty());
    }

    #[test]
    fn quotes_are_escaped_as_earlier_versions_did_and_nothing_else_changes() {
        assert_eq!(
            old_escaped("Trotsky's &amp; \"Oui.\" &lt;b&gt;").as_deref(),
            Some("Trotsky&#x27;s &amp; &quot;Oui.&quot; &lt;b&gt;")
        );
        assert_eq!(old_escaped("no quote &amp; here"), None);
    }

    #[test]
    fn a_note_without_quotes_has_no_old_form_and_a_quoted_side_only_changes_its_own_hash() {
        assert_eq!(old_form("What is it?", "Yes."), None);
        let old = old_form("What is it?", "\"Oui.\"").expect("a quoted back");
        assert_eq!(old.front, hash("What is it?"));
        assert_eq!(old.back, hash("&quot;Oui.&quot;"));
        assert_eq!(old.sketch, Sides::of("What is it?", "&quot;Oui.&quot;"));
    }
}
