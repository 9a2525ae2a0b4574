//! What `check --show` says of each note's cards: in JSON, every card Anki makes for the note
//! with its question and answer HTML as Anki renders them (`crate::render`), for scripts and
//! the real-Anki render check.

use crate::model::Note;
use crate::notetype::Notetype;
use crate::render::{self, CardInfo};
use crate::source::SourceCard;
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;

/// A source card in `check --format json`: as read, and with `--show` its note's fields and
/// its cards as Anki renders them.
#[derive(Debug, Serialize)]
pub(super) struct Listed {
    #[serde(flatten)]
    pub card: SourceCard,
    /// The note's fields, in the note type's order (with `--show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// Every card Anki makes for the note (with `--show`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cards: Vec<ShownCard>,
    /// The note, kept until the deck's name is known (the cards are rendered then).
    #[serde(skip)]
    pub note: Option<Note>,
}

impl Listed {
    /// `card` listed, its note kept for [`Listed::render`] when `show`.
    pub fn new(card: SourceCard, note: Option<Note>) -> Listed {
        Listed { card, fields: None, cards: Vec::new(), note }
    }

    /// Renders the note's cards (if kept) in deck `deck`, as notes of `own` (the deck's note
    /// type) or, for a cloze card in a deck of another type, of `cloze`.
    pub fn render(&mut self, own: Option<&Notetype>, cloze: Option<&Notetype>, deck: &str, subdecks: bool) {
        let Some(note) = self.note.take() else { return };
        let notetype = match note.kind() {
            crate::model::NoteKind::Own => own,
            crate::model::NoteKind::Cloze => cloze,
        };
        if let Some(notetype) = notetype {
            self.cards = rendered_cards(&note, notetype, deck, subdecks);
        }
        self.fields = Some(note.fields().map(str::to_string).collect());
    }
}

/// Rewrites a kept note's media references to the names the package gives the files, as the
/// build does (Anki renders the packed names). A reference that cannot be packed is reported
/// by the check itself; the note keeps it as written.
pub(super) struct Packer<'a> {
    lock: &'a Path,
    file: &'a Path,
    resolver: Mutex<Option<crate::media::Resolver>>,
}

impl<'a> Packer<'a> {
    pub fn new(lock: &'a Path, file: &'a Path) -> Packer<'a> {
        Packer { lock, file, resolver: Mutex::new(None) }
    }

    pub fn packed(&self, note: Note) -> Note {
        if !crate::media::may_reference(note.flds()) {
            return note;
        }
        let mut resolver = self.resolver.lock().unwrap_or_else(|p| p.into_inner());
        if resolver.is_none() {
            *resolver = crate::build::media::resolver(self.lock).ok();
        }
        match resolver.as_mut().map(|r| crate::build::media::pack_note(r, &note, self.file)) {
            Some(Ok(Some(packed))) => packed,
            _ => note,
        }
    }
}

/// One card of a note, rendered.
#[derive(Debug, Serialize)]
pub(super) struct ShownCard {
    /// Anki's `ord`: the template's index, or for cloze the deletion number minus 1.
    pub ord: u16,
    /// The template's name (`{{Card}}`).
    pub name: String,
    /// The deck the card goes to.
    pub deck: String,
    pub question: String,
    pub answer: String,
    /// The answer split where `{{FrontSide}}` put the question (see [`render::RenderedCard`]).
    pub answer_around_front: Vec<String>,
}

/// The cards Anki makes for `note`, rendered; in deck `deck`, or with `subdecks` its section's
/// subdeck (as the build files them: `emit::subdecks`).
pub(super) fn rendered_cards(note: &Note, notetype: &Notetype, deck: &str, subdecks: bool) -> Vec<ShownCard> {
    let deck = match subdecks {
        true => crate::emit::subdecks::subdeck_of(deck, notetype, note),
        false => deck.to_string(),
    };
    let view = note.as_view();
    crate::identify::card_ords_of(note, notetype)
        .into_iter()
        .map(|ord| {
            let rendered =
                render::render_card_with(notetype, &view, &CardInfo { ord, deck: &deck, flag: 0, id: 0 });
            let at = match notetype.kind {
                crate::notetype::NotetypeKind::Normal => usize::from(ord),
                crate::notetype::NotetypeKind::Cloze => 0,
            };
            let name = notetype.templates.get(at).map_or("", |t| t.name.as_str());
            ShownCard {
                ord,
                name: name.to_string(),
                deck: deck.clone(),
                question: rendered.question,
                answer: rendered.answer,
                answer_around_front: rendered.answer_around_front,
            }
        })
        .collect()
}

/// The cards of `note` as `check --show` prints them after its fields: per card its name, note
/// type and tags, then its question and answer as a terminal shows them
/// ([`render::text::side_text`]).
pub(super) fn cards_text(note: &Note, notetype: &Notetype, deck: &str, subdecks: bool) -> String {
    let mut out = String::new();
    let tags = note.tags_text();
    for card in rendered_cards(note, notetype, deck, subdecks) {
        let name = match notetype.kind {
            crate::notetype::NotetypeKind::Normal => card.name.clone(),
            crate::notetype::NotetypeKind::Cloze => format!("{} {}", card.name, card.ord + 1),
        };
        out.push_str(&format!("  {name} · {}", notetype.name));
        if !tags.is_empty() {
            out.push_str(&format!(" · tags: {tags}"));
        }
        out.push('\n');
        // What a type-in box of a field expects: the field's text, or the card's deletions.
        let typed = |field: &str| {
            let value = notetype.fields.iter().position(|f| f.name == field).map_or("", |at| note.field(at));
            match notetype.kind {
                crate::notetype::NotetypeKind::Cloze => {
                    let deletions = crate::render::extract_cloze_for_typing(value, card.ord + 1);
                    render::filters::strip_html(&deletions).into_owned()
                }
                crate::notetype::NotetypeKind::Normal => render::filters::strip_html(value).into_owned(),
            }
        };
        let sides = [
            ("Q", render::text::side_text(&card.question, None)),
            ("A", render::text::side_text(&card.answer, Some(&typed))),
        ];
        for (label, lines) in sides {
            if lines.is_empty() {
                out.push_str(&format!("    {label} |\n"));
            }
            for (i, line) in lines.iter().enumerate() {
                let label = if i == 0 { label } else { "" };
                out.push_str(&format!("    {label:<1} | {line}\n"));
            }
        }
    }
    out
}

/// `listed` (a note as `check --show` prints it, ending with a blank line) with `cards` before
/// that blank line.
pub(super) fn with_cards(mut listed: String, cards: &str) -> String {
    if listed.ends_with("\n\n") {
        listed.pop();
        listed.push_str(cards);
        listed.push('\n');
    } else {
        listed.push_str(cards);
    }
    listed
}
