//! Which cards Anki creates for a note: `rslib/src/notetype/cardgen.rs` as it runs when a note is
//! added (`new_cards_required` with `ensure_not_empty`).
//!
//! - Normal type: a card for each template whose question renders non-empty with the note's
//!   non-empty fields (`template::field_is_empty`). Special fields the note type does not shadow
//!   count as non-empty (`{{Deck}}`, `{{Card}}`, …; `{{Tags}}` only when the note has tags;
//!   `{{FrontSide}}` never).
//! - Cloze type: a card for each cloze number found in **any** field of the note (Anki reads
//!   every field here, not only those the template passes through `cloze:`); number n is card
//!   ordinal n-1, capped at `MAX_CLOZE_ORD` (Anki files every number above 500 under ordinal 499).
//! - Before either, Anki removes ASCII control characters other than tab and newline from every
//!   field (`normalize_field`), so `<b\x01r>` is an empty field and `{{c\x011::…}}` a deletion.
//! - No card at all: Anki still adds card 1 (ordinal 0), which its Empty Cards tool then lists;
//!   `CardOrds::none_rendered` says so, for a warning.

use super::cloze::add_cloze_numbers;
use super::template::field_is_empty;
use super::{Notetype, NotetypeKind};
use serde_json::{Value, json};
use std::borrow::Cow;

/// The highest card ordinal Anki gives a cloze card (cloze number 500 and above).
pub const MAX_CLOZE_ORD: u16 = 499;

/// The fields Anki fills itself when rendering (`rslib/src/notetype/mod.rs: SPECIAL_FIELDS`).
pub const SPECIAL_FIELDS: [&str; 8] =
    ["FrontSide", "Card", "CardFlag", "Deck", "Subdeck", "Tags", "Type", "CardID"];

/// The cards of one note, by template ordinal (cloze: cloze number - 1), ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOrds {
    pub ords: Vec<u16>,
    /// No template rendered (no cloze number): `ords` is `[0]` because Anki adds card 1 anyway.
    pub none_rendered: bool,
}

impl Notetype {
    /// The cards Anki creates when it adds a note of this type with these field values (in
    /// field order; a missing value counts as empty) and, if `has_tags`, some tags.
    pub fn card_ords<S: AsRef<str>>(&self, fields: &[S], has_tags: bool) -> CardOrds {
        let mut ords: Vec<u16> = match self.kind {
            NotetypeKind::Normal => {
                let filled: Vec<bool> = (0..self.fields.len())
                    .map(|i| fields.get(i).is_some_and(|v| !field_is_empty(&anki_normalized(v.as_ref()))))
                    .collect();
                let nonempty = |key: &str| match self.fields.iter().position(|f| f.name == key) {
                    Some(i) => filled[i],
                    None => is_filled_special(key, has_tags),
                };
                (0..self.templates.len())
                    .filter(|&ord| self.templates[ord].parsed_question().renders_with(&nonempty))
                    .map(|ord| ord as u16)
                    .collect()
            }
            NotetypeKind::Cloze => {
                let mut numbers = Vec::new();
                for value in fields {
                    add_cloze_numbers(&anki_normalized(value.as_ref()), &mut numbers);
                }
                numbers.into_iter().map(|n| (n - 1).min(MAX_CLOZE_ORD)).collect()
            }
        };
        ords.sort_unstable();
        ords.dedup();
        let none_rendered = ords.is_empty();
        if none_rendered {
            ords.push(0);
        }
        CardOrds { ords, none_rendered }
    }

    /// For a cloze type, the fields holding a cloze deletion that the question does not pass
    /// through `cloze:`. Anki still makes a card for each of their numbers, and its question
    /// hides nothing (Anki's editor warns about the same thing); callers should warn.
    pub fn stray_cloze_fields<S: AsRef<str>>(&self, fields: &[S]) -> Vec<&str> {
        if self.kind != NotetypeKind::Cloze {
            return Vec::new();
        }
        let clozed = self.templates.first().map(|t| t.parsed_question().cloze_fields()).unwrap_or_default();
        let mut numbers = Vec::new();
        self.fields
            .iter()
            .zip(fields)
            .filter(|(f, value)| {
                numbers.clear();
                add_cloze_numbers(&anki_normalized(value.as_ref()), &mut numbers);
                !numbers.is_empty() && !clozed.contains(&f.name.as_str())
            })
            .map(|(f, _)| f.name.as_str())
            .collect()
    }

    /// Anki's legacy `req` list (`Notetype::updated_requirements`): per template, the fields any
    /// one of which renders its question, else the fields all needed, else none.
    pub fn requirements(&self) -> Value {
        let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        let reqs: Vec<Value> = self
            .templates
            .iter()
            .enumerate()
            .map(|(ord, t)| {
                let q = t.parsed_question();
                let any: Vec<usize> =
                    (0..names.len()).filter(|&i| q.renders_with_for_reqs(&|k: &str| k == names[i])).collect();
                if !any.is_empty() {
                    return json!([ord, "any", any]);
                }
                let names = &names;
                let all: Vec<usize> = (0..names.len())
                    .filter(|&skip| {
                        let others = |k: &str| names.iter().enumerate().any(|(i, n)| i != skip && *n == k);
                        !q.renders_with_for_reqs(&others)
                    })
                    .collect();
                let everything = |k: &str| names.contains(&k);
                if !all.is_empty() && q.renders_with_for_reqs(&everything) {
                    json!([ord, "all", all])
                } else {
                    json!([ord, "none", []])
                }
            })
            .collect();
        Value::Array(reqs)
    }
}

/// The field as Anki stores it: without ASCII control characters other than tab and newline.
fn anki_normalized(value: &str) -> Cow<'_, str> {
    let removed = |c: char| c.is_ascii_control() && c != '\n' && c != '\t';
    if value.contains(removed) { Cow::Owned(value.replace(removed, "")) } else { Cow::Borrowed(value) }
}

/// A special field counts as filled unless it is `FrontSide`, or `Tags` on a note without tags.
fn is_filled_special(key: &str, has_tags: bool) -> bool {
    SPECIAL_FIELDS.contains(&key) && key != "FrontSide" && (key != "Tags" || has_tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ords(notetype: &str, fields: &[&str]) -> Vec<u16> {
        Notetype::builtin(notetype, None).unwrap().card_ords(fields, false).ords
    }

    #[test]
    fn reversed_makes_the_back_card_only_when_the_back_has_content() {
        assert_eq!(ords("reversed", &["a", "b", ""]), vec![0, 1]);
        assert_eq!(ords("reversed", &["a", "<br>", "Section"]), vec![0]);
        assert_eq!(ords("reversed", &["", "b", ""]), vec![1]);
    }

    #[test]
    fn optional_reversed_asks_for_the_reverse_in_its_own_field() {
        assert_eq!(ords("optional-reversed", &["a", "b", "", "S"]), vec![0]);
        assert_eq!(ords("optional-reversed", &["a", "b", "y", "S"]), vec![0, 1]);
        assert_eq!(ords("optional-reversed", &["a", "", "y", "S"]), vec![0]);
    }

    #[test]
    fn a_note_with_no_card_still_gets_card_one() {
        let nt = Notetype::builtin("reversed", None).unwrap();
        assert_eq!(nt.card_ords(&["", "", ""], false), CardOrds { ords: vec![0], none_rendered: true });
        let cloze = Notetype::builtin("cloze", None).unwrap();
        assert_eq!(
            cloze.card_ords(&["no deletion", "", ""], false),
            CardOrds { ords: vec![0], none_rendered: true }
        );
    }

    #[test]
    fn cloze_numbers_come_from_every_field_and_cap_at_ordinal_499() {
        assert_eq!(ords("cloze", &["{{c2::a}}", "{{c1::b}}", ""]), vec![0, 1]);
        assert_eq!(
            ords("cloze", &["{{c1,3::a}} {{c499::b}} {{c500::c}} {{c9999::d}}"]),
            vec![0, 2, 498, 499]
        );
    }

    #[test]
    fn control_characters_are_removed_first_as_anki_does() {
        assert_eq!(ords("reversed", &["\u{1}", "<b\u{7f}r>", "\r"]).len(), 1);
        assert_eq!(ords("reversed", &["\u{1}x", "b", ""]), vec![0, 1]);
        assert_eq!(ords("cloze", &["{{c\u{1}2::a}} {{c3\u{1b}::b}}", "", ""]), vec![1, 2]);
    }

    #[test]
    fn deletions_outside_the_cloze_field_are_reported() {
        let cloze = Notetype::builtin("cloze", None).unwrap();
        assert_eq!(
            cloze.stray_cloze_fields(&["{{c1::a}}", "{{c2::b}}", "{{c3::c}}"]),
            vec!["Back Extra", "Section"]
        );
        assert!(cloze.stray_cloze_fields(&["{{c1::a}}", "plain {{c1:x}}", ""]).is_empty());
        let reversed = Notetype::builtin("reversed", None).unwrap();
        assert!(reversed.stray_cloze_fields(&["{{c1::a}}", "", ""]).is_empty());
    }

    #[test]
    fn special_fields_count_unless_frontside_or_tags_without_tags() {
        let custom = |q: &str| {
            let mut nt = Notetype::flashcard(None);
            nt.templates = vec![super::super::Template::new("T", 1, q, "").unwrap()];
            nt
        };
        assert!(!custom("{{Deck}}").card_ords(&[""; 3], false).none_rendered);
        assert!(custom("{{FrontSide}}").card_ords(&[""; 3], true).none_rendered);
        assert!(custom("{{Tags}}").card_ords(&[""; 3], false).none_rendered);
        assert!(!custom("{{Tags}}").card_ords(&[""; 3], true).none_rendered);
    }

    #[test]
    fn requirements_are_ankis_legacy_list() {
        assert_eq!(Notetype::flashcard(None).requirements(), json!([[0, "any", [0, 2]]]));
        let nt = Notetype::builtin("optional-reversed", None).unwrap();
        assert_eq!(nt.requirements(), json!([[0, "any", [0]], [1, "all", [1, 2]]]));
        let mut all = Notetype::flashcard(None);
        all.templates = vec![super::super::Template::new("T", 1, "{{#Back}}{{Front}}{{/Back}}", "").unwrap()];
        assert_eq!(all.requirements(), json!([[0, "all", [0, 1]]]));
    }
}
