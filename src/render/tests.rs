use super::*;
use crate::ids::NotetypeId;
use crate::model::Note;
use crate::notetype::{Field, Template};

/// A note type of `fields` with one template per `(question, answer)`.
fn notetype(kind: NotetypeKind, fields: &[&str], templates: &[(&str, &str)]) -> Notetype {
    Notetype {
        id: NotetypeId(1),
        name: "Test Type".into(),
        kind,
        fields: fields.iter().map(|f| Field { name: f.to_string(), id: 0 }).collect(),
        templates: templates
            .iter()
            .enumerate()
            .map(|(i, (q, a))| Template::new(&format!("Card {}", i + 1), 0, q, a).unwrap())
            .collect(),
        css: String::new(),
    }
}

fn render(nt: &Notetype, fields: &[&str], tags: &[&str], ord: u16) -> RenderedCard {
    let note = Note::new(fields, tags, 1);
    render_card(nt, &note.as_view(), ord, "Parent::Child")
}

/// rslib's `can_render_fully` (notetype/render.rs) with Anki's stock Basic templates.
#[test]
fn basic_front_and_back_render_as_anki_renders_them() {
    let nt = notetype(
        NotetypeKind::Normal,
        &["Front", "Back"],
        &[("{{Front}}", "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}")],
    );
    let card = render(&nt, &["front", "back"], &[], 0);
    assert_eq!(card.question, "front");
    assert_eq!(card.answer, "front\n\n<hr id=answer>\n\nback");
    assert_eq!(card.answer_around_front, ["", "\n\n<hr id=answer>\n\nback"]);
    assert!(!card.is_empty);
    // Unknown filters (no add-ons) leave the field as it is; a filter of nothing is nothing.
    let nt = notetype(
        NotetypeKind::Normal,
        &["Front", "Back"],
        &[("{{some_filter:Front}}{{another_filter:}}", "")],
    );
    assert_eq!(render(&nt, &["front", "back"], &[], 0).question, "front");
}

/// rslib's `render_single` (template.rs).
#[test]
fn sections_comments_and_card_conditionals_render_as_in_ankis_tests() {
    let nt2 = notetype(NotetypeKind::Normal, &["F", "B", "E"], &[("x", ""), ("x", "")]);
    let side2 = |template: &str| {
        let mut nt = nt2.clone();
        nt.templates[1] = Template::new("Card 2", 0, template, "").unwrap();
        render(&nt, &["f", "b", " "], &[], 1).question
    };
    // (Each template names a non-empty field: one that names none shows Anki's blank message.)
    assert_eq!(side2("{{B}}A{{F}}"), "bAf");
    assert_eq!(side2("{{^E}}1{{#F}}2{{#B}}{{F}}{{/B}}{{/F}}{{/E}}"), "12f");
    assert_eq!(
        side2(
            "{{^E}}1<!--{{#F}}2{{#B}}{{F}}{{/B}}{{/F}}-->\u{123}<!-- this is a comment -->{{/E}}\u{456}{{F}}"
        ),
        "1<!--{{#F}}2{{#B}}{{F}}{{/B}}{{/F}}-->\u{123}<!-- this is a comment -->\u{456}f"
    );
    // Card 2 has `c2`; `c1` is a cloze conditional that is empty.
    assert_eq!(side2("{{^c1}}1{{#c2}}2{{/c2}}{{/c1}}{{F}}"), "12f");
    assert_eq!(side2("{{one:two:B}}"), "b");
    assert_eq!(side2("{{one::text:B}}"), "b");
    assert!(side2("{{X}}").contains("there is no field called"));
}

#[test]
fn an_unknown_field_shows_ankis_template_error_on_both_sides() {
    let nt = notetype(NotetypeKind::Normal, &["Front", "Back"], &[("{{Front}}", "{{foo:text:X}}")]);
    let card = render(&nt, &["f", "b"], &[], 0);
    assert_eq!(
        card.question,
        "Back template has a problem:<br>Found &#x27;\u{2068}{{foo:text:X}}\u{2069}&#x27;, but there is no field called &#x27;\u{2068}X\u{2069}&#x27;<br><a href='https://docs.ankiweb.net/templates/errors.html#template-syntax-error'>More information</a>"
    );
    assert_eq!(card.answer, card.question);
    let nt = notetype(NotetypeKind::Normal, &["Front"], &[("{{#Nope}}{{/Nope}}{{Front}}", "")]);
    assert!(
        render(&nt, &["f"], &[], 0)
            .question
            .starts_with("Front template has a problem:<br>Found &#x27;\u{2068}{{#Nope}}")
    );
}

#[test]
fn special_fields_come_from_the_card_and_note_but_note_fields_win() {
    let nt = notetype(
        NotetypeKind::Normal,
        &["Front", "Card"],
        &[("{{Front}}|{{Tags}}|{{Type}}|{{Deck}}|{{Subdeck}}|{{Card}}|{{CardFlag}}|{{#c1}}c1{{/c1}}", "")],
    );
    let card = render(&nt, &["f", "mine"], &["b", "A", "a", "C"], 0);
    assert_eq!(card.question, "f|A b C|Test Type|Parent::Child|Child|mine|flag0|c1");
    let nt = notetype(NotetypeKind::Normal, &["Front"], &[("{{Front}} {{Card}} {{CardID}}", "")]);
    let note = Note::new(&["f"], &[] as &[&str], 1);
    let info = CardInfo { ord: 0, deck: "D", flag: 3, id: 42 };
    assert_eq!(render_card_with(&nt, &note.as_view(), &info).question, "f Card 1 42");
}

#[test]
fn front_side_is_the_question_on_the_answer_and_nothing_on_the_question() {
    let nt = notetype(
        NotetypeKind::Normal,
        &["Front", "Back"],
        &[("{{FrontSide}}{{Front}}", "{{Back}}{{FrontSide}}/{{text:FrontSide}}")],
    );
    let card = render(&nt, &["<b>f</b>", "b"], &[], 0);
    assert_eq!(card.question, "<b>f</b>");
    assert_eq!(card.answer, "b<b>f</b>/<b>f</b>");
    assert_eq!(card.answer_around_front, ["b", "/", ""]);
}

#[test]
fn a_blank_front_shows_ankis_message() {
    let nt = notetype(NotetypeKind::Normal, &["Front", "Back"], &[("test{{Front}}", "{{Back}}")]);
    let card = render(&nt, &["", "b"], &[], 0);
    let message = "<div>The front of this card is blank.<br><a href='https://docs.ankiweb.net/templates/errors.html#front-of-card-is-blank'>More information</a></div>";
    assert_eq!(card.question, format!("test{message}"));
    assert_eq!(card.answer, message);
    assert!(card.is_empty);
}

#[test]
fn cloze_cards_render_their_own_deletion_and_a_missing_one_says_so() {
    let nt = Notetype::builtin("cloze", None).unwrap();
    let fields = ["{{c1::Paris}} is in {{c2::France::country}}", "extra", ""];
    let first = render(&nt, &fields, &[], 0);
    assert!(first.question.contains(
        r#"<span class="cloze" data-cloze="Paris" data-ordinal="1">[...]</span> is in <span class="cloze-inactive" data-ordinal="2">France</span>"#
    ));
    let second = render(&nt, &fields, &[], 1);
    assert!(second.question.contains(r#"data-ordinal="2">[country]</span>"#));
    assert!(second.answer.contains(r#"<span class="cloze" data-ordinal="2">France</span>"#));
    assert!(second.answer.ends_with("<div class=\"ankideck back\">extra</div>"));
    let third = render(&nt, &fields, &[], 2);
    assert!(third.is_empty);
    assert!(third.answer.starts_with("<div>No cloze \u{2068}3\u{2069} found on card.\nPlease either add"));
}

#[test]
fn type_in_renders_as_the_marker_anki_replaces() {
    let nt = Notetype::builtin("type-in", None).unwrap();
    let card = render(&nt, &["q", "a", ""], &[], 0);
    assert!(card.question.ends_with("</div>\n\n[[type:Back]]"));
    assert!(card.answer.ends_with("<div class=\"ankideck back\">[[type:Back]]</div>"));
}

#[test]
fn builtin_reversed_cards_render_each_direction() {
    let nt = Notetype::builtin("optional-reversed", None).unwrap();
    let card = render(&nt, &["q", "a", "y", "S"], &[], 1);
    assert_eq!(
        card.question,
        "<div class=\"ankideck\">\n<div class=\"section\">S</div>\n<div class=\"front\">a</div>\n</div>"
    );
    assert_eq!(
        card.answer,
        format!("{}\n\n<hr id=answer>\n\n<div class=\"ankideck back\">q</div>", card.question)
    );
    assert!(render(&nt, &["q", "a", "", "S"], &[], 1).is_empty);
}

/// The messages real Anki (26.9) renders for an answer side that does not parse, copied from
/// `Note.ephemeral_card` with a custom template.
#[test]
fn an_answer_that_does_not_parse_shows_ankis_message() {
    let message = |found: &str| {
        format!(
            "Back template has a problem:<br>{found}<br><a href='https://docs.ankiweb.net/templates/errors.html#template-syntax-error'>More information</a>"
        )
    };
    let cases = [
        ("{{#Front}}{{Front}}", "Missing &#x27;\u{2068}{{/Front}}\u{2069}&#x27;"),
        (
            "{{Front}}{{/Front}}",
            "Found &#x27;\u{2068}{{/Front}}\u{2069}&#x27;, but missing &#x27;\u{2068}{{#Front}}\u{2069}&#x27; or &#x27;\u{2068}{{^Front}}\u{2069}&#x27;",
        ),
        (
            "{{#Front}}{{/Back}}",
            "Found &#x27;\u{2068}{{/Back}}\u{2069}&#x27;, but expected &#x27;\u{2068}{{/Front}}\u{2069}&#x27;",
        ),
    ];
    for (answer, found) in cases {
        let nt = notetype(NotetypeKind::Normal, &["Front", "Back"], &[("{{Front}}", answer)]);
        let card = render(&nt, &["f", "b"], &[], 0);
        assert_eq!(
            (card.question.as_str(), card.answer.as_str()),
            (message(found).as_str(), message(found).as_str())
        );
    }
}
