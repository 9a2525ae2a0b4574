//! Anki's card renderer: the question and answer HTML of a card, exactly as Anki's
//! `card.question()` / `card.answer()` give them (without the `<style>` wrapper), before Anki
//! replaces `[sound:…]` tags with `[anki:play:…]` markers. It walks the template parsed by
//! `notetype::template` as `rslib/src/template.rs` does (`render_card`, `RenderContext`), with
//! the field map of `rslib/src/notetype/render.rs` (the note's fields, then the special fields
//! `Tags`, `Type`, `Deck`, `Subdeck`, `CardFlag`, `Card`, `CardID` and `c<N>` where the note has
//! no field of that name), the filters of `filters` and the cloze rendering of `cloze`.
//!
//! Used by `check --show` and the preview, never by the build: nothing here is on the build path.

mod cloze;
pub mod filters;
pub mod text;

use crate::model::NoteView;
use crate::notetype::template::{Node, ParsedTemplate, field_is_empty};
use crate::notetype::{Notetype, NotetypeKind};
pub use cloze::extract_cloze_for_typing;
use std::borrow::Cow;

/// A card's two sides as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCard {
    pub question: String,
    pub answer: String,
    /// The answer split where `{{FrontSide}}` put the question: `answer` is
    /// `answer_around_front.join(&question)`. Anki's Python layer fills those places with the
    /// question after its `[sound:…]` replacement, so a check that applies that replacement
    /// needs them.
    pub answer_around_front: Vec<String>,
    /// Anki shows a message instead of the card: its front is blank, or (cloze) the note has no
    /// deletion of the card's number. Such cards are not made by a build.
    pub is_empty: bool,
}

/// What a card adds to its note for rendering: its ordinal, deck, flag and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardInfo<'a> {
    /// The template's index, or for cloze the deletion number minus 1 (Anki's `ord`).
    pub ord: u16,
    /// The card's deck, `::` between parents (`{{Deck}}`; `{{Subdeck}}` is its last part).
    pub deck: &'a str,
    /// The card's flag, 0 for none (`{{CardFlag}}` is `flag0`… as Anki's Rust renderer says).
    pub flag: u8,
    /// The card's id (`{{CardID}}`), 0 before Anki assigns it.
    pub id: i64,
}

/// As rslib's render_card gives them before av-tag extraction (`[sound:x]` still in the text).
pub fn render_card(notetype: &Notetype, note: &NoteView<'_>, ord: u16, deck: &str) -> RenderedCard {
    render_card_with(notetype, note, &CardInfo { ord, deck, flag: 0, id: 0 })
}

/// [`render_card`] with every card property given.
pub fn render_card_with(notetype: &Notetype, note: &NoteView<'_>, card: &CardInfo<'_>) -> RenderedCard {
    let template = match notetype.kind {
        NotetypeKind::Normal => notetype.templates.get(usize::from(card.ord)),
        NotetypeKind::Cloze => notetype.templates.first(),
    };
    let Some(template) = template else {
        let message = format!("no template {} in note type {}", card.ord, notetype.name);
        return RenderedCard {
            question: message.clone(),
            answer: message.clone(),
            answer_around_front: vec![message],
            is_empty: true,
        };
    };
    let tags = canonical_tags(note);
    let card_number = format!("c{}", u32::from(card.ord) + 1);
    let card_id = card.id.to_string();
    let flag = format!("flag{}", card.flag);
    let subdeck = card.deck.rsplit("::").next().unwrap_or_default();
    let mut fields: Vec<(&str, Cow<str>)> =
        notetype.fields.iter().zip(note.fields()).map(|(f, v)| (f.name.as_str(), Cow::Borrowed(v))).collect();
    // A note with fewer fields than its note type: Anki fills the rest with "".
    for f in notetype.fields.iter().skip(fields.len()) {
        fields.push((f.name.as_str(), Cow::Borrowed("")));
    }
    let specials: [(&str, &str); 8] = [
        ("Tags", &tags),
        ("Type", &notetype.name),
        ("Subdeck", subdeck),
        ("Deck", card.deck),
        ("CardFlag", &flag),
        ("Card", &template.name),
        ("CardID", &card_id),
        (&card_number, "1"),
    ];
    for (name, value) in specials {
        if !fields.iter().any(|(n, _)| *n == name) {
            fields.push((name, Cow::Borrowed(value)));
        }
    }
    let map = FieldMap { nonempty: fields.iter().map(|(_, v)| !field_is_empty(v)).collect(), fields };
    render_sides(template.parsed_question(), template.answer(), &map, card.ord, notetype.kind)
}

/// Anki keeps a note's tags sorted, without case-insensitive repeats (`canonify_tags`, when a
/// package is imported): `{{Tags}}` shows them so.
fn canonical_tags(note: &NoteView<'_>) -> String {
    let mut tags: Vec<&str> = Vec::new();
    for tag in note.tags() {
        if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            tags.push(tag);
        }
    }
    tags.sort_by_cached_key(|t| t.to_lowercase());
    tags.join(" ")
}

/// The fields by name (note fields first, so they win over special fields of the same name).
struct FieldMap<'a> {
    fields: Vec<(&'a str, Cow<'a, str>)>,
    nonempty: Vec<bool>,
}

impl FieldMap<'_> {
    fn get(&self, name: &str) -> Option<(&str, bool)> {
        let at = self.fields.iter().position(|(n, _)| *n == name)?;
        Some((&self.fields[at].1, self.nonempty[at]))
    }

    fn is_nonempty(&self, name: &str) -> bool {
        self.get(name).is_some_and(|(_, nonempty)| nonempty)
    }
}

/// Why a side does not render (Anki shows the message on both sides).
#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplateError {
    FieldNotFound { field: String, filters: String },
    NoSuchConditional(String),
    Parse(crate::notetype::template::ParseError),
}

/// A rendered side: text, with the places `{{FrontSide}}` stands.
#[derive(Default)]
struct Side {
    parts: Vec<String>,
}

impl Side {
    fn push(&mut self, text: &str) {
        match self.parts.last_mut() {
            Some(last) => last.push_str(text),
            None => self.parts.push(text.to_string()),
        }
    }

    fn front_side(&mut self) {
        if self.parts.is_empty() {
            self.parts.push(String::new());
        }
        self.parts.push(String::new());
    }
}

struct Context<'a> {
    fields: &'a FieldMap<'a>,
    ord: u16,
    question: bool,
}

fn render_nodes(nodes: &[Node], context: &Context, out: &mut Side) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push(text),
            Node::Comment(text) => {
                out.push("<!--");
                out.push(text);
                out.push("-->");
            }
            // On the question side Anki's Python layer has no front side yet: "".
            Node::Replacement { key, .. } if key == "FrontSide" => {
                if !context.question {
                    out.front_side();
                }
            }
            // A filter of nothing renders nothing without add-ons.
            Node::Replacement { key, filters, .. } if key.is_empty() && !filters.is_empty() => {}
            Node::Replacement { key, filters, .. } => {
                let Some((text, _)) = context.fields.get(key) else {
                    let mut written: Vec<&str> = filters.iter().rev().map(String::as_str).collect();
                    written.push("");
                    return Err(TemplateError::FieldNotFound {
                        field: key.clone(),
                        filters: written.join(":"),
                    });
                };
                let filter_context = filters::FilterContext { ord: context.ord, question: context.question };
                out.push(&filters::apply_filters(text, filters, key, &filter_context));
            }
            Node::Conditional { key, children, .. } | Node::Negated { key, children, .. } => {
                let negated = matches!(node, Node::Negated { .. });
                let shown = if context.fields.is_nonempty(key) {
                    !negated
                } else if context.fields.get(key).is_some() || is_cloze_conditional(key) {
                    negated
                } else {
                    let prefix = if negated { "^" } else { "#" };
                    return Err(TemplateError::NoSuchConditional(format!("{prefix}{key}")));
                };
                // A hidden section is still rendered: its errors count.
                let mut hidden = Side::default();
                render_nodes(children, context, if shown { &mut *out } else { &mut hidden })?;
            }
        }
    }
    Ok(())
}

fn is_cloze_conditional(key: &str) -> bool {
    key.strip_prefix('c').is_some_and(|n| n.parse::<u32>().is_ok())
}

fn render_sides(
    question_template: &ParsedTemplate,
    answer_template: &str,
    fields: &FieldMap,
    ord: u16,
    kind: NotetypeKind,
) -> RenderedCard {
    let failed = |error: TemplateError, question_side: bool| {
        let message = error_message(&error, question_side);
        RenderedCard {
            question: message.clone(),
            answer: message.clone(),
            answer_around_front: vec![message],
            is_empty: false,
        }
    };
    let mut question = Side::default();
    if let Err(error) =
        render_nodes(&question_template.0, &Context { fields, ord, question: true }, &mut question)
    {
        return failed(error, true);
    }
    let mut question = question.parts.concat();
    let blank = match kind {
        NotetypeKind::Cloze => {
            let mut numbers = Vec::new();
            for (_, value) in &fields.fields {
                crate::notetype::add_cloze_numbers(value, &mut numbers);
            }
            (!numbers.contains(&(ord + 1))).then(|| {
                format!(
                    "No cloze \u{2068}{}\u{2069} found on card.\nPlease either add a cloze deletion, or use the Empty Cards tool.",
                    u32::from(ord) + 1
                )
            })
        }
        NotetypeKind::Normal => (!question_template.renders_with(&|key| fields.is_nonempty(key)))
            .then(|| "The front of this card is blank.".to_string()),
    };
    if let Some(message) = blank {
        let link = match kind {
            NotetypeKind::Cloze => BLANK_CLOZE_LINK,
            NotetypeKind::Normal => BLANK_LINK,
        };
        let message = format!("<div>{message}<br><a href='{link}'>More information</a></div>");
        question.push_str(&message);
        return RenderedCard {
            question,
            answer: message.clone(),
            answer_around_front: vec![message],
            is_empty: true,
        };
    }
    let parsed = ParsedTemplate::parse(answer_template).map_err(TemplateError::Parse);
    let mut answer = Side::default();
    let rendered =
        parsed.and_then(|t| render_nodes(&t.0, &Context { fields, ord, question: false }, &mut answer));
    if let Err(error) = rendered {
        return failed(error, false);
    }
    if answer.parts.is_empty() {
        answer.parts.push(String::new());
    }
    RenderedCard {
        answer: answer.parts.join(&question),
        question,
        answer_around_front: answer.parts,
        is_empty: false,
    }
}

const ERROR_LINK: &str = "https://docs.ankiweb.net/templates/errors.html#template-syntax-error";
const BLANK_LINK: &str = "https://docs.ankiweb.net/templates/errors.html#front-of-card-is-blank";
const BLANK_CLOZE_LINK: &str =
    "https://docs.ankiweb.net/templates/errors.html#no-cloze-filter-on-cloze-note-type";

/// Anki's `template_error_to_anki_error`, in English with Fluent's isolation marks around each
/// value (as Anki's Python layer formats them).
fn error_message(error: &TemplateError, question_side: bool) -> String {
    use crate::notetype::template::ParseError;
    let mark = |s: &str| format!("\u{2068}{s}\u{2069}");
    let details = match error {
        TemplateError::FieldNotFound { field, filters } => format!(
            "Found '{}', but there is no field called '{}'",
            mark(&format!("{{{{{filters}{field}}}}}")),
            mark(field)
        ),
        TemplateError::NoSuchConditional(condition) => format!(
            "Found '{}', but there is no field called '{}'",
            mark(&format!("{{{{{condition}}}}}")),
            mark(&condition[1..])
        ),
        TemplateError::Parse(ParseError::NotClosed { open, .. }) => {
            format!("Missing '{}'", mark(&format!("{{{{/{open}}}}}")))
        }
        TemplateError::Parse(ParseError::NotOpen { closed, open: Some(open), .. }) => format!(
            "Found '{}', but expected '{}'",
            mark(&format!("{{{{/{closed}}}}}")),
            mark(&format!("{{{{/{open}}}}}"))
        ),
        TemplateError::Parse(ParseError::NotOpen { closed, open: None, .. }) => format!(
            "Found '{}', but missing '{}' or '{}'",
            mark(&format!("{{{{/{closed}}}}}")),
            mark(&format!("{{{{#{closed}}}}}")),
            mark(&format!("{{{{^{closed}}}}}"))
        ),
    };
    let header = if question_side { "Front template has a problem:" } else { "Back template has a problem:" };
    let details = htmlescape::encode_minimal(&details);
    format!("{header}<br>{details}<br><a href='{ERROR_LINK}'>More information</a>")
}

#[cfg(test)]
mod tests;
