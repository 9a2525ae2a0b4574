use super::*;
use crate::model::Note;
use crate::source::markdown_render::render;

fn parse_notes(text: &str, rules: Rules) -> Parsed<Note> {
    parse_with(Path::new("deck.md"), text.as_bytes(), rules, crate::source::note_of)
}

fn codes(parsed: &Parsed<Note>) -> Vec<(Code, u32)> {
    parsed.diagnostics.iter().map(|d| (d.code, d.line)).collect()
}

const CLOZE: Rules = Rules { one_line_cloze: true, cloze_cards: false };

#[test]
fn title_sections_and_cards_are_read_with_each_side_rendered() {
    let text = "# French vocabulary\n\n## Food\n\nQ: la pomme\nA: the apple\n\nQ: What is the plural of *le chou*?\nA: **les choux**\n\n   Answers may hold several paragraphs.\n\n## Other things\nQ: q3\nA: a3\n";
    let parsed = parse_notes(text, Rules::default());
    assert_eq!(codes(&parsed), []);
    let deck = parsed.deck.unwrap();
    assert_eq!((deck.name.as_str(), deck.stem.as_str()), ("French vocabulary", "deck"));
    let fields: Vec<Vec<&str>> = deck.cards.iter().map(|n| n.fields().collect()).collect();
    assert_eq!(
        fields,
        [
            vec!["la pomme", "the apple", "Food"],
            vec![
                "What is the plural of <em>le chou</em>?",
                "<p><strong>les choux</strong></p>\n<p>Answers may hold several paragraphs.</p>",
                "Food"
            ],
            vec!["q3", "a3", "Other things"],
        ]
    );
    assert_eq!(deck.cards[2].tags_text(), "Other_things");
    assert_eq!(deck.cards.iter().map(|n| n.line).collect::<Vec<_>>(), [5, 8, 14]);
}

#[test]
fn without_a_title_the_deck_is_named_after_the_file() {
    let parsed = parse_notes("Q: a\nA: b\n", Rules::default());
    assert_eq!(parsed.deck.unwrap().name, "deck");
}

#[test]
fn a_line_break_in_a_paragraph_stays_a_line_break_and_raw_html_is_kept() {
    assert_eq!(render("one\ntwo"), "one<br>two");
    assert_eq!(render("one  \ntwo\\\nthree"), "one<br>two<br>three");
    assert_eq!(
        render("a <b>bold</b> <span class=\"x\">y</span>"),
        "a <b>bold</b> <span class=\"x\">y</span>"
    );
    assert_eq!(render("a < b & c"), "a &lt; b &amp; c");
}

#[test]
fn tables_strikethrough_lists_and_code_render() {
    assert_eq!(render("~~no~~"), "<del>no</del>");
    let table = render("| a | b |\n|---|---|\n| 1 | 2 |");
    assert!(table.starts_with("<table>") && table.contains("<td>1</td>"), "{table}");
    assert_eq!(render("- x\n- y"), "<ul>\n<li>x</li>\n<li>y</li>\n</ul>");
    assert_eq!(render("```\nQ: $x$ {{c1::y}}\n```"), "<pre><code>Q: $x$ {{c1::y}}\n</code></pre>");
}

#[test]
fn cloze_markers_survive_rendering_untouched() {
    assert_eq!(
        render("The capital is {{c1::Paris::a city}}, of Italy {{c2::*Rome*}}."),
        "The capital is {{c1::Paris::a city}}, of Italy {{c2::<em>Rome</em>}}."
    );
    // Emphasis cannot take a marker's underscore or star as its own.
    assert_eq!(render("{{c1::a_}} b_c"), "{{c1::a_}} b_c");
    assert_eq!(render("*{{c1::x*}}"), "*{{c1::x*}}");
}

#[test]
fn maths_becomes_mathjax_escaped_and_untouched_by_markdown() {
    assert_eq!(render("so $a_1 < b_2 * c & d_3$ is"), r"so \(a_1 &lt; b_2 * c &amp; d_3\) is");
    assert_eq!(render("$$x^*_1 > y^*_2$$"), r"\[x^*_1 &gt; y^*_2\]");
    assert_eq!(render("$$\n\\sum_i x_i\n$$"), "\\[\n\\sum_i x_i\n\\]");
    // Money is not maths, nor is an escaped dollar.
    assert_eq!(render("$5 and $6"), "$5 and $6");
    assert_eq!(render(r"\$x\$"), "$x$");
    assert_eq!(render("`$x$`"), "<code>$x$</code>");
}

#[test]
fn a_cloze_inside_maths_keeps_working_and_its_maths_braces_never_close_it_early() {
    // Anki ends a deletion at the first `}}`: the manual says to write `} }`.
    assert_eq!(render(r"$\frac{ {{c1::1}} }{2}$"), r"\(\frac{ {{c1::1}} }{2}\)");
    assert_eq!(render(r"${{c1::\frac{1}{2}}}$"), r"\({{c1::\frac{1}{2} }}\)");
    assert_eq!(render(r"$x = {{c1::a^{b^{c}}}}$"), r"\(x = {{c1::a^{b^{c} } }}\)");
    // Maths inside a deletion opened before it.
    assert_eq!(render(r"{{c1::$x^{a^{b}}$}}"), r"{{c1::\(x^{a^{b} }\)}}");
    // Outside a deletion, maths is as written.
    assert_eq!(render(r"$x^{a^{b}}$"), r"\(x^{a^{b}}\)");
}

#[test]
fn images_keep_their_path_as_written() {
    assert_eq!(render("![a cat](img/my cat.png)"), "![a cat](img/my cat.png)");
    assert_eq!(
        render("![a \"cat\"](<img/my cat.png>)"),
        "<img src=\"img/my cat.png\" alt=\"a &quot;cat&quot;\">"
    );
    assert_eq!(render("![x](café.png \"T\")"), "<img src=\"café.png\" alt=\"x\" title=\"T\">");
    assert_eq!(render("[sound:a_b_c.mp3]"), "[sound:a_b_c.mp3]");
}

#[test]
fn tags_and_a_pinned_id_after_the_answer_are_taken_out_of_it() {
    let text = "## Sec\nQ: a\nA: b\nTags: verbs Irregular \"x\"\n<!-- id: abc123 -->\n\nQ: c\nA: d\n";
    let deck = parse_notes(text, Rules::default()).deck.unwrap();
    assert_eq!(deck.cards[0].field(1), "b");
    assert_eq!(deck.cards[0].tags_text(), "_x_ Irregular Sec verbs");
    assert_eq!(deck.cards[0].pinned(), Some("abc123"));
    assert_eq!(deck.cards[1].pinned(), None);
    assert_eq!(deck.cards[1].tags_text(), "Sec");
}

#[test]
fn a_bad_or_second_id_is_e017() {
    let parsed = parse_notes(
        "Q: a\nA: b\n<!-- id: two words -->\nQ: c\nA: d\n<!-- id: x -->\n<!-- id: y -->\n",
        Rules::default(),
    );
    assert_eq!(codes(&parsed), [(Code::E017, 3), (Code::E017, 7)]);
}

#[test]
fn an_answer_without_question_a_question_without_answer_and_an_empty_question_are_errors() {
    let parsed = parse_notes(
        "# T\nA: lost\nQ: q\nA: a\nA: again\nQ: no answer\n\nQ:\nA: x\nQ: empty\nA:\n",
        Rules::default(),
    );
    assert_eq!(
        codes(&parsed),
        [(Code::E014, 2), (Code::E014, 5), (Code::E015, 6), (Code::E016, 8), (Code::E015, 10)]
    );
    assert!(parsed.diagnostics.iter().all(|d| d.file == Path::new("deck.md")));
}

#[test]
fn an_empty_file_and_a_file_without_cards_are_e002_and_e003() {
    assert_eq!(codes(&parse_notes(" \n\n", Rules::default())), [(Code::E002, 1)]);
    let parsed = parse_notes("# Title\n\n<!-- nothing yet -->\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::E003, 1)]);
}

#[test]
fn text_outside_a_card_is_w015_once_per_run() {
    let parsed =
        parse_notes("# T\nintro\nmore intro\n## S\nQ: a\nA: b\n### Notes\nloose\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::W015, 2), (Code::W015, 8)]);
    // The heading ended the card: its text is not in the answer.
    assert_eq!(parsed.deck.unwrap().cards[0].field(1), "b");
}

#[test]
fn a_question_line_inside_a_code_block_is_code() {
    let deck = parse_notes("Q: show\nA: this\n```\nQ: not a card\n## nor a section\n```\n", Rules::default())
        .deck
        .unwrap();
    assert_eq!(deck.cards.len(), 1);
    assert!(deck.cards[0].field(1).contains("Q: not a card\n## nor a section"), "{}", deck.cards[0].field(1));
}

#[test]
fn in_a_cloze_deck_the_answer_is_back_extra_and_may_be_empty() {
    let parsed =
        parse_notes("Q: {{c1::Paris}} is in France\nA:\nQ: {{c1::Rome}}\nA: Italy\nQ: {{c1::Oslo}}\n", CLOZE);
    assert_eq!(codes(&parsed), []);
    let deck = parsed.deck.unwrap();
    let fields: Vec<Vec<&str>> = deck.cards.iter().map(|n| n.fields().collect()).collect();
    assert_eq!(
        fields,
        [
            vec!["{{c1::Paris}} is in France", "", ""],
            vec!["{{c1::Rome}}", "Italy", ""],
            vec!["{{c1::Oslo}}", "", ""]
        ]
    );
}

#[test]
fn a_cloze_deletion_in_a_deck_of_another_type_is_w014() {
    let parsed =
        parse_notes("Q: {{c1::Paris}}\nA: x\nQ: plain\nA: y\nQ: {{c2::no answer}}\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::W014, 1), (Code::E015, 5)]);
    assert!(parsed.diagnostics[0].hint.as_deref().unwrap().contains("notetype = \"cloze\""));
    assert!(parsed.diagnostics[1].hint.as_deref().unwrap().contains("notetype = \"cloze\""));
}

#[test]
fn not_utf8_is_e001_at_its_line() {
    let parsed = parse_with(Path::new("d.md"), b"Q: a\nA: \xff\n", Rules::default(), crate::source::note_of);
    assert_eq!(codes(&parsed), [(Code::E001, 2)]);
}

#[test]
fn control_characters_are_removed_and_w002() {
    let parsed = parse_notes("Q: a\u{1f}b\nA: c\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::W002, 1)]);
    assert_eq!(parsed.deck.unwrap().cards[0].field(0), "ab");
}

#[test]
fn crlf_and_cr_files_read_as_lf_files() {
    let lf = parse_notes("# T\nQ: a\nb\nA: c\n", Rules::default()).deck.unwrap();
    let crlf = parse_notes("# T\r\nQ: a\r\nb\r\nA: c\r\n", Rules::default()).deck.unwrap();
    assert_eq!(lf.cards, crlf.cards);
    let cr = parse_notes("# T\rQ: a\rb\rA: c\r", Rules::default()).deck.unwrap();
    assert_eq!(lf.cards, cr.cards);
}

#[test]
fn streaming_gives_what_reading_whole_gives() {
    let text = "# T\nQ: a\nA: b\nQ: c $x$\nA: d\n";
    let whole = parse_notes(text, Rules::default());
    let mut got = Vec::new();
    let (parsed, digest) = parse_stream(
        Path::new("deck.md"),
        &mut text.as_bytes(),
        Rules::default(),
        crate::source::note_of,
        |piece| {
            got.extend(piece);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(got, whole.deck.unwrap().cards);
    assert_eq!(parsed.deck.unwrap().cards.len(), 2);
    assert_eq!(digest, crate::build::state::source_digest(text.as_bytes()));
}

#[test]
fn a_question_line_written_with_a_space_first_is_text() {
    let deck = parse_notes("Q: a\nA: b\n Q: not a card\n", Rules::default()).deck.unwrap();
    assert_eq!(deck.cards.len(), 1);
    assert_eq!(deck.cards[0].field(1), "b<br>Q: not a card");
}

#[test]
fn a_comment_of_several_lines_outside_a_card_is_no_lost_text() {
    let parsed = parse_notes("# T\n<!--\nmy notes\non this deck\n-->\nQ: a\nA: b\n", Rules::default());
    assert_eq!(codes(&parsed), []);
    let parsed = parse_notes("# T\n<!-- one line -->\nlost\nQ: a\nA: b\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::W015, 3)]);
}
