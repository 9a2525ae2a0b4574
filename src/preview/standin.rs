//! A naive stand-in for Anki's renderer (`crate::render`, written elsewhere), with its
//! signature, so the preview can be built and tested before that renderer lands. It replaces
//! `{{Field}}` by the field's HTML and `{{FrontSide}}` by the question, keeps a section's text
//! when its field is (not) empty, turns `{{type:Field}}` into `[[type:Field]]` as Anki does, and
//! ignores every other filter (no cloze, no hint). Delete this file and import
//! `crate::render::{RenderedCard, render_card}` in `preview/mod.rs` instead.

use crate::model::NoteView;
use crate::notetype::Notetype;
use crate::notetype::template::{Node, ParsedTemplate, field_is_empty};

/// The two sides of a card, as Anki's `render_card` gives them (`[sound:x]` still in the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCard {
    pub question: String,
    pub answer: String,
}

/// Card `ord` of `note` (of `notetype`) in deck `deck`: see the module docs for what it renders.
pub fn render_card(notetype: &Notetype, note: &NoteView<'_>, ord: u16, _deck: &str) -> RenderedCard {
    // A cloze note type has one template for every card.
    let at = match notetype.kind {
        crate::notetype::NotetypeKind::Cloze => 0,
        crate::notetype::NotetypeKind::Normal => usize::from(ord),
    };
    let Some(template) = notetype.templates.get(at) else {
        return RenderedCard { question: String::new(), answer: String::new() };
    };
    let field = |name: &str| notetype.fields.iter().position(|f| f.name == name).map(|i| note.field(i));
    let side = |text: &str, front: &str| match ParsedTemplate::parse(text) {
        Ok(parsed) => {
            let mut out = String::new();
            walk(&parsed.0, &field, front, &mut out);
            out
        }
        Err(_) => String::new(),
    };
    let question = side(template.question(), "");
    let answer = side(template.answer(), &question);
    RenderedCard { question, answer }
}

fn walk<'a>(nodes: &[Node], field: &dyn Fn(&str) -> Option<&'a str>, front: &str, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Comment(text) => {
                out.push_str("<!--");
                out.push_str(text);
                out.push_str("-->");
            }
            Node::Replacement { key, filters, .. } if filters.iter().any(|f| f == "type") => {
                out.push_str(&format!("[[type:{key}]]"));
            }
            Node::Replacement { key, .. } if key == "FrontSide" => out.push_str(front),
            Node::Replacement { key, .. } => out.push_str(field(key).unwrap_or_default()),
            Node::Conditional { key, children, .. } => {
                if !field(key).is_none_or(field_is_empty) {
                    walk(children, field, front, out);
                }
            }
            Node::Negated { key, children, .. } => {
                if field(key).is_none_or(field_is_empty) {
                    walk(children, field, front, out);
                }
            }
        }
    }
}
