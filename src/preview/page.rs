//! The preview's HTML: a deck's page (every card, both sides) and the index of decks. A side's
//! HTML is the renderer's output verbatim between two comment markers, apart from two
//! rewrites a browser needs ([`rewrite_side`]): `[sound:NAME]` becomes a play control and
//! `[[type:Field]]` a type-in box, as Anki's reviewer shows them.

use super::render;
use crate::build::Outcome;
use crate::build::peek::PeekedDeck;
use crate::identify::Change;
use crate::model::NoteView;
use crate::notetype::Notetype;
use std::fmt::Write as _;

/// The comments around a question side's HTML in a page.
pub const QUESTION_MARKS: (&str, &str) = ("<!--q-->", "<!--/q-->");
/// The comments around an answer side's HTML in a page.
pub const ANSWER_MARKS: (&str, &str) = ("<!--a-->", "<!--/a-->");

/// A deck's page, made.
pub(super) struct DeckPage {
    pub file_name: String,
    pub html: String,
    pub cards: usize,
    pub new_cards: usize,
}

/// The page of one deck: every card of every note, in source order, by ordinal.
pub(super) fn deck_page(peeked: &PeekedDeck<'_>) -> std::io::Result<DeckPage> {
    let deck = peeked.deck;
    let (mut cards, mut new_cards) = (0, 0);
    let mut cloze_cards = false;
    let mut body = String::new();
    let file = peeked.file.display().to_string();
    deck.notes.for_each(None, &mut |i, note| {
        let mut buf = [0u8; 11];
        let guid = deck.guid(i, &mut buf);
        let (_, _, card_ids, _, change) = deck.identity(i);
        let new = change == Change::New;
        // A cloze card of a deck of another note type is a note of the built-in cloze.
        let notetype = peeked.notetypes.of(note.kind());
        cloze_cards |= notetype.id != peeked.notetype.id;
        let deck_name = match peeked.settings.subdecks {
            true => crate::emit::subdecks::subdeck_of(&deck.name, notetype, note),
            false => deck.name.clone(),
        };
        for ord in crate::identify::card_ords_of(note, notetype) {
            // A new note's card ids come from the build time: not shown, so the page is the same
            // bytes for the same input.
            let card_id = card_ids.iter_ords().find(|(o, _)| *o == ord).map(|(_, id)| id.0).filter(|_| !new);
            let card = Card { file: &file, note, guid, ord, card_id, new, deck: &deck_name };
            card_html(&card, notetype, &mut body);
            cards += 1;
            new_cards += usize::from(new);
        }
        Ok(())
    })?;
    let title = format!("{} ({})", deck.name, plural(cards, "card"));
    let mut html = head(&title, Some(page_css(peeked, cloze_cards)));
    let _ = write!(
        html,
        "<header class=\"ankideck-bar\"><a href=\"index.html\">All decks</a> <h1>{}</h1> <span>{} \
         · note type {}{}</span>{TOGGLES}</header>\n<main class=\"ankideck-cards\">\n",
        attr(&deck.name),
        plural(cards, "card"),
        attr(&peeked.notetype.name),
        match new_cards {
            0 => String::new(),
            n => format!(" · {n} new, not built yet"),
        }
    );
    html.push_str(&body);
    html.push_str("</main>\n</body>\n</html>\n");
    let file_name = page_name(&deck.key);
    Ok(DeckPage { file_name, html, cards, new_cards })
}

/// The stylesheet of a deck's page: its note type's. A deck of a built-in normal note type with
/// cloze cards takes the built-in cloze's, which is the same with the cloze rules added (`.cloze`
/// in day and night mode), as Anki shows those cards; with its own, a deletion was plain text.
/// (A custom note type's stylesheet is the user's own: its cloze cards are shown with it.)
fn page_css<'a>(peeked: &'a PeekedDeck<'_>, cloze_cards: bool) -> &'a str {
    let own = peeked.notetype;
    let builtin = || Notetype::all_builtin(None).iter().any(|b| b.id == own.id);
    match peeked.notetypes.cloze {
        Some(cloze) if cloze_cards && builtin() => &cloze.css,
        _ => &own.css,
    }
}

/// The file name of deck `key`'s page.
pub(super) fn page_name(key: &str) -> String {
    format!("deck-{}.html", crate::build::output_stem(key))
}

/// One card to show.
struct Card<'a> {
    file: &'a str,
    note: &'a NoteView<'a>,
    guid: &'a str,
    ord: u16,
    card_id: Option<i64>,
    new: bool,
    deck: &'a str,
}

fn card_html(card: &Card<'_>, notetype: &Notetype, out: &mut String) {
    let rendered = render(notetype, card.note, card.ord, card.deck);
    let template = match notetype.kind {
        crate::notetype::NotetypeKind::Cloze => notetype.templates.first(),
        crate::notetype::NotetypeKind::Normal => notetype.templates.get(usize::from(card.ord)),
    };
    let template = template.map_or("", |t| t.name.as_str());
    let field = |name: &str| notetype.fields.iter().position(|f| f.name == name).map(|i| card.note.field(i));
    let _ = write!(
        out,
        "<article class=\"ankideck-card\" data-guid=\"{}\" data-ord=\"{}\"",
        attr(card.guid),
        card.ord
    );
    if let Some(id) = card.card_id {
        let _ = write!(out, " data-card-id=\"{id}\"");
    }
    if card.new {
        out.push_str(" data-new=\"\"");
    }
    let _ = write!(
        out,
        ">\n<p class=\"ankideck-meta\">{}:{} · card {} ({}) · guid <code>{}</code>{}</p>\n",
        attr(card.file),
        card.note.line,
        card.ord + 1,
        attr(template),
        attr(card.guid),
        if card.new { " · <strong class=\"ankideck-new\">new, not built yet</strong>" } else { "" }
    );
    let classes = format!("card card{}", card.ord + 1);
    for (side, html, marks) in
        [("question", &rendered.question, QUESTION_MARKS), ("answer", &rendered.answer, ANSWER_MARKS)]
    {
        let _ = writeln!(
            out,
            "<div class=\"ankideck-side\"><div class=\"ankideck-label\">{}</div><div class=\"{classes} {side} tex2jax_process\">{}{}{}</div></div>",
            if side == "question" { "Question" } else { "Answer" },
            marks.0,
            rewrite_side(html, side == "answer", &field),
            marks.1
        );
    }
    out.push_str("</article>\n");
}

/// A side's HTML as the page shows it: `[sound:NAME]` becomes an `<audio>` of the file and a
/// button playing it; `[[type:Field]]` a type-in box (on the answer side, holding the field's
/// text, which the reviewer compares with what was typed). Each keeps the text it replaced in
/// its `data-anki` attribute, so a check can undo the rewrite exactly. And as Anki's reviewer
/// shows a card (`prepare_card_text_for_display`), the file names of `<img src>` and the other
/// media tags are percent-encoded ([`encode_media_paths`]). Nothing else is changed.
pub fn rewrite_side<'f>(html: &str, answer: bool, field: &dyn Fn(&str) -> Option<&'f str>) -> String {
    let html = encode_media_paths(html);
    let mut out = String::with_capacity(html.len());
    let mut rest = &*html;
    loop {
        let sound = rest.find("[sound:");
        let typein = rest.find("[[type:");
        let (at, is_sound) = match (sound, typein) {
            (Some(s), Some(t)) => (s.min(t), s < t),
            (Some(s), None) => (s, true),
            (None, Some(t)) => (t, false),
            (None, None) => break,
        };
        let (open, close) = if is_sound { ("[sound:", "]") } else { ("[[type:", "]]") };
        let Some(len) = rest[at + open.len()..].find(close) else { break };
        out.push_str(&rest[..at]);
        let inner = &rest[at + open.len()..at + open.len() + len];
        // The text replaced, kept in `data-anki` so a check can put it back exactly.
        let original = &rest[at..at + open.len() + len + close.len()];
        if is_sound {
            let name = crate::html::decode_entities(inner);
            let _ = write!(
                out,
                "<span class=\"ankideck-sound\" data-anki=\"{}\"><audio preload=\"metadata\" src=\"{}\"></audio>\
                 <button type=\"button\" class=\"ankideck-play\" title=\"{}\">&#9654;</button></span>",
                attr(original),
                attr(&url_path(&name)),
                attr(&name)
            );
        } else {
            // `[[type:Back]]`, `[[type:cloze:Text]]`, `[[type:nc:Back]]`: the field is the last part.
            let name = inner.rsplit(':').next().unwrap_or(inner);
            let expected = if answer {
                crate::html::strip_html_preserving_media_filenames(field(name).unwrap_or_default())
                    .into_owned()
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "<input type=\"text\" class=\"ankideck-typeans\" data-anki=\"{}\" data-field=\"{}\" placeholder=\"type the answer\" value=\"{}\"{}>",
                attr(original),
                attr(name),
                attr(&expected),
                if answer { " readonly" } else { "" }
            );
        }
        rest = &rest[at + open.len() + len + close.len()..];
    }
    out.push_str(rest);
    out
}

/// `html` with the file names of its media tags percent-encoded where a URL needs it, as Anki's
/// reviewer displays a card (`encode_iri_paths`: the bytes of the WHATWG fragment set, controls,
/// space, `"`, `<`, `>`, `` ` `` and `#`; an IRI, so letters beyond ASCII stay). Anki stores the names
/// unencoded, so without it `<img src="a#b.png">` would ask the browser for `a` (the rest a
/// fragment) and show no image where Anki shows it. `[sound:…]` names are not URLs: left alone.
fn encode_media_paths(html: &str) -> std::borrow::Cow<'_, str> {
    let needs = |b: u8| b.is_ascii_control() || matches!(b, b' ' | b'"' | b'<' | b'>' | b'`' | b'#');
    let refs: Vec<crate::media::Reference> = crate::media::references(html)
        .into_iter()
        .filter(|r| !html[..r.start].ends_with("[sound:") && r.raw(html).bytes().any(needs))
        .collect();
    if refs.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut last = 0;
    for r in &refs {
        out.push_str(&html[last..r.start]);
        for c in r.raw(html).chars() {
            match c.is_ascii() && needs(c as u8) {
                true => {
                    let _ = write!(out, "%{:02X}", c as u8);
                }
                false => out.push(c),
            }
        }
        last = r.end;
    }
    out.push_str(&html[last..]);
    std::borrow::Cow::Owned(out)
}

/// The index page: the decks previewed, with their card counts, the pages an earlier preview
/// left of the `earlier` decks (name, page), and the decks that could not be previewed, linking
/// the pages `kept` of them from an earlier preview.
pub(super) fn index_page(
    decks: &[super::PreviewedDeck],
    earlier: &[(String, String)],
    unbuilt: &[(String, &Outcome)],
    kept: &[String],
) -> String {
    let mut html = head("Preview", None);
    html.push_str(
        "<header class=\"ankideck-bar\"><h1>Decks</h1></header>\n<main class=\"ankideck-index\">\n<ul>\n",
    );
    let mut sorted: Vec<&super::PreviewedDeck> = decks.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.key.cmp(&b.key)));
    for deck in sorted {
        let _ = writeln!(
            html,
            "<li><a href=\"{}\">{}</a> <span class=\"ankideck-count\">{}{}</span></li>",
            attr(&url_path(&deck.page)),
            attr(&deck.name),
            plural(deck.cards, "card"),
            match deck.new_cards {
                0 => String::new(),
                n => format!(", {n} new, not built yet"),
            }
        );
    }
    for (name, page) in earlier {
        let _ = writeln!(
            html,
            "<li><a href=\"{}\">{}</a> <span class=\"ankideck-count\">not previewed this time: the page may be \
             out of date</span></li>",
            attr(&url_path(page)),
            attr(name)
        );
    }
    for (key, outcome) in unbuilt {
        let why = match outcome {
            Outcome::Failed(message) | Outcome::DamagedLock(message) => message.clone(),
            _ => "has errors: `ankideck check` lists them".to_string(),
        };
        let page = page_name(key);
        match kept.contains(&page) {
            true => {
                let _ = writeln!(
                    html,
                    "<li class=\"ankideck-unbuilt\"><a href=\"{}\">{}</a>: {} (the page is an earlier preview's)</li>",
                    attr(&url_path(&page)),
                    attr(key),
                    attr(&why)
                );
            }
            false => {
                let _ = writeln!(html, "<li class=\"ankideck-unbuilt\">{}: {}</li>", attr(key), attr(&why));
            }
        }
    }
    html.push_str("</ul>\n</main>\n</body>\n</html>\n");
    html
}

/// The buttons of a deck page: night mode and phone width (the page script toggles them).
const TOGGLES: &str = " <span class=\"ankideck-toggles\"><button type=\"button\" id=\"ankideck-night\">Night mode</button> \
                       <button type=\"button\" id=\"ankideck-phone\">Phone width</button></span>";

/// The start of a page up to `<body>`: the page's own style and script, MathJax, the note
/// type's stylesheet.
fn head(title: &str, css: Option<&str>) -> String {
    let mut html = String::from("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(html, "<title>{}</title>", attr(title));
    html.push_str("<link rel=\"stylesheet\" href=\"_ankideck/preview.css\">\n");
    if let Some(css) = css {
        let _ = writeln!(html, "<style>\n{}\n</style>", style_text(css));
        html.push_str(super::files::MATHJAX_SETUP);
    }
    html.push_str("<script src=\"_ankideck/preview.js\"></script>\n");
    html.push_str("</head>\n<body class=\"tex2jax_ignore\">\n");
    html
}

/// A stylesheet as the text of a `<style>` element: a `</style` in it (in any case, as HTML
/// reads it) would end the element early, so its `/` is escaped (`<\/style`, the same to CSS).
fn style_text(css: &str) -> std::borrow::Cow<'_, str> {
    let lower = css.to_ascii_lowercase();
    if !lower.contains("</style") {
        return std::borrow::Cow::Borrowed(css);
    }
    let mut out = String::with_capacity(css.len() + 8);
    let mut last = 0;
    for (at, _) in lower.match_indices("</style") {
        out.push_str(&css[last..at + 1]);
        out.push('\\');
        last = at + 1;
    }
    out.push_str(&css[last..]);
    std::borrow::Cow::Owned(out)
}

/// `1 card`, `2 cards`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `text` escaped for an attribute or text: `&`, `<`, `>` and `"`.
fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::html::escape(text, &mut out);
    out.replace('"', "&quot;")
}

/// A file name as a relative URL: the bytes a URL path cannot hold as they are (`%`, `#`, `?`,
/// spaces and the like) percent-encoded.
fn url_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'('
            | b')'
            | b'!'
            | b'@'
            | b'+'
            | b','
            | b'='
            | b'&' => out.push(b as char),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_tag_becomes_an_audio_element_and_a_button() {
        let out = rewrite_side("Hi [sound:a b#1.mp3] there", false, &|_| None);
        assert_eq!(
            out,
            "Hi <span class=\"ankideck-sound\" data-anki=\"[sound:a b#1.mp3]\"><audio preload=\"metadata\" src=\"a%20b%231.mp3\"></audio>\
             <button type=\"button\" class=\"ankideck-play\" title=\"a b#1.mp3\">&#9654;</button></span> there"
        );
    }

    #[test]
    fn a_type_tag_becomes_a_box_holding_the_answer_on_the_answer_side() {
        let field = |name: &str| (name == "Back").then_some("<b>Paris</b>");
        assert!(rewrite_side("[[type:Back]]", false, &field).contains("value=\"\""));
        let answer = rewrite_side("x [[type:nc:Back]] y", true, &field);
        assert!(answer.starts_with("x <input type=\"text\""), "{answer}");
        assert!(answer.contains("data-field=\"Back\""), "{answer}");
        assert!(answer.contains("value=\"Paris\" readonly>"), "{answer}");
        assert!(answer.ends_with("> y"), "{answer}");
    }

    #[test]
    fn a_media_file_name_is_percent_encoded_as_anki_displays_it_so_a_hash_is_no_fragment() {
        let html = "<img src=\"a#b c-1.png\"><IMG alt=x src='été \"q\".png'> <img src=plain-2.png> \
                    <img src=\"https://x/a b#c\"> [sound:a b#1.mp3]";
        assert_eq!(
            encode_media_paths(html),
            "<img src=\"a%23b%20c-1.png\"><IMG alt=x src='été%20%22q%22.png'> <img src=plain-2.png> \
             <img src=\"https://x/a b#c\"> [sound:a b#1.mp3]"
        );
        assert!(matches!(encode_media_paths("<img src=\"a-1.png\">"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn a_closing_style_tag_in_a_stylesheet_in_any_case_cannot_end_the_element() {
        assert_eq!(style_text("/* </style> </STYLE><b> */ .a{}"), "/* <\\/style> <\\/STYLE><b> */ .a{}");
        assert!(matches!(style_text(".card { color: red }"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn html_without_tags_is_kept_verbatim() {
        let html = "<img src=\"x-1.png\"> [sound:unclosed \\(x^2\\) [[type: also";
        assert_eq!(rewrite_side(html, true, &|_| None), html);
    }
}
