//! Notes built before quotes were kept as typed: earlier versions stored `'` as `&#x27;` and `"`
//! as `&quot;` in field HTML, so the front and back hashes (and sketches) in their lock entries
//! are of that text. A note whose fields hold a quote is matched to such an entry through its
//! fields escaped the old way ([`OldForm`]), in stages 1 to 3 of [`super::matching`] when its own
//! hashes found nothing, and in stage 4 by the better of its two sketches. It is then the same
//! card, updated once (its content hash differs). Notes without quotes have no old form and cost
//! one byte scan of their fields, only when no entry of their deck matched them exactly.

use super::similar::Sides;
use super::{Note, hash, sides_of};
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
    pub fn of<S: AsRef<str>>(note: &Note<S>) -> Sketched {
        Sketched { sides: sides_of(note), old: old_form(note.front(), note.back()).map(Box::new) }
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
    use super::*;

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
