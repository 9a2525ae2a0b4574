use super::*;
use crate::model::Note;
use crate::source::markdown_render::render;

/// Reads a deck whole, and checks that reading it as a stream, in blocks of several sizes, gives
/// the same notes and diagnostics: so every test here is a test of [`parse_stream`] too.
fn parse_notes(text: &str, rules: Rules) -> Parsed<Note> {
    parse_bytes(text.as_bytes(), rules)
}

fn parse_bytes(bytes: &[u8], rules: Rules) -> Parsed<Note> {
    let whole = parse_with(Path::new("deck.md"), bytes, rules, crate::source::note_of);
    for block in [1, 2, 5, 64, 1 << 20] {
        assert_streams_alike(bytes, block, rules, &whole);
    }
    whole
}

fn stream(bytes: &[u8], block: usize, rules: Rules) -> (Parsed<()>, u128, Vec<Note>, usize) {
    let (mut notes, mut pieces) = (Vec::new(), 0);
    let (parsed, digest) =
        parse_stream(Path::new("deck.md"), &mut &bytes[..], block, rules, crate::source::note_of, |piece| {
            pieces += 1;
            notes.extend(piece);
            Ok(())
        })
        .unwrap();
    (parsed, digest, notes, pieces)
}

fn assert_streams_alike(bytes: &[u8], block: usize, rules: Rules, whole: &Parsed<Note>) {
    let (streamed, digest, notes, _) = stream(bytes, block, rules);
    assert_eq!(streamed.diagnostics, whole.diagnostics, "block of {block} bytes");
    match (&streamed.deck, &whole.deck) {
        (Some(s), Some(w)) => {
            assert_eq!((&s.name, &s.stem, s.cards.len()), (&w.name, &w.stem, w.cards.len()));
            assert_eq!(digest, crate::build::state::source_digest(bytes), "the digest of every byte");
            if !whole.has_errors() {
                assert_eq!(notes, w.cards, "block of {block} bytes");
            }
        }
        (s, w) => assert_eq!(s.is_some(), w.is_some(), "block of {block} bytes"),
    }
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
    let parsed = parse_bytes(b"Q: a\nA: \xff\n", Rules::default());
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

/// A deck with every kind of line whose meaning depends on the lines before it: a code block
/// holding `Q:` lines and headings, a comment of several lines, a list and an HTML block in an
/// answer, maths, cloze deletions, tags, pinned ids, non-ASCII text, CRLF line endings.
fn generated_deck(cards: usize) -> String {
    let mut text = String::from("\u{feff}# Große Übung\r\n\r\n<!--\r\nmy notes\r\n-->\r\n");
    for i in 0..cards {
        if i % 10 == 0 {
            text.push_str(&format!("## Part {} é\r\n\r\n", i / 10));
        }
        text.push_str(&format!("Q: Card {i}: what is *{i}* in café Zürich 🦀?\r\n"));
        match i % 5 {
            0 => text.push_str(&format!(
                "A: this code\r\n\r\n```python\r\nQ: not a card {i}\r\n## nor a section\r\nA: nor an answer\r\n```\r\n\r\nafter it\r\n"
            )),
            1 => text.push_str(&format!("A: $x_{i} < y$ and $$\\frac{{1}}{{{i}}}$$\r\n\r\n- one\r\n- two\r\n  more\r\n")),
            2 => text.push_str(&format!("A: {{{{c1::{i}}}}} is ~~not~~ <div>\r\nan <b>html</b> block\r\n</div>\r\n")),
            // The fence opens after `A:` (the side starts there): the backticks and `#` are code.
            3 => text.push_str(&format!("A: ~~~\r\n```\r\n# {i}\r\n```\r\n~~~\r\n")),
            _ => text.push_str(&format!("A: **{i}**\r\nTags: t{} Other\r\n<!-- id: pin-{i} -->\r\n", i % 3)),
        }
        text.push_str("\r\n");
    }
    text
}

#[test]
fn a_deck_read_in_blocks_ending_at_any_line_gives_what_the_whole_file_gives() {
    let text = generated_deck(60);
    let whole = parse_notes(&text, Rules::default());
    let deck = whole.deck.as_ref().unwrap();
    assert_eq!((deck.name.as_str(), deck.cards.len()), ("Große Übung", 60));
    // A code block's `Q:` is code, inside the answer of its card; the only warnings are the
    // cloze deletions of a basic deck.
    assert!(
        deck.cards[0].field(1).contains("Q: not a card 0\n## nor a section"),
        "{}",
        deck.cards[0].field(1)
    );
    assert!(whole.diagnostics.iter().all(|d| d.code == Code::W014), "{:?}", codes(&whole));
    assert_eq!(whole.diagnostics.len(), 12);
    assert_eq!(deck.cards[4].pinned(), Some("pin-4"));
    for block in [3, 7, 100, 999, 4096] {
        assert_streams_alike(text.as_bytes(), block, Rules::default(), &whole);
        assert_streams_alike(text.as_bytes(), block, CLOZE, &parse_notes(&text, CLOZE));
    }
}

#[test]
fn a_large_deck_is_read_a_block_at_a_time_not_whole() {
    let text = generated_deck(3000);
    let (streamed, _, notes, pieces) = stream(text.as_bytes(), 1 << 12, CLOZE);
    assert_eq!((streamed.deck.unwrap().cards.len(), notes.len()), (3000, 3000));
    assert!(pieces > text.len() / (1 << 12) / 2, "read in blocks of 4 KiB, not whole: {pieces} pieces");
    assert_eq!(streamed.diagnostics, []);
}

#[test]
fn what_is_wrong_late_in_a_deck_read_in_blocks_is_at_its_line() {
    let mut text = generated_deck(40).replace("\r\n", "\n");
    let lines = text.lines().count() as u32;
    text.push_str("Q: last\nA: x\u{7}y\nA: again\nstray\n");
    let parsed = parse_notes(&text, Rules::default());
    assert_eq!(
        codes(&parsed).into_iter().filter(|(c, _)| *c != Code::W014).collect::<Vec<_>>(),
        [(Code::W002, lines + 2), (Code::E014, lines + 3)]
    );
    let mut bytes = text.into_bytes();
    bytes.extend(b"Q: more\nA: \xc3\n");
    assert_eq!(codes(&parse_bytes(&bytes, Rules::default())), [(Code::E001, lines + 6)]);
}

#[test]
fn in_a_file_of_cr_line_endings_a_control_character_or_a_bad_byte_is_at_its_line() {
    assert_eq!(codes(&parse_notes("Q: a\rA: b\u{1}\r", Rules::default())), [(Code::W002, 2)]);
    assert_eq!(codes(&parse_bytes(b"Q: a\rA: \xff\r", Rules::default())), [(Code::E001, 2)]);
}

#[test]
fn cards_between_comment_marks_are_commented_out_and_an_unclosed_comment_is_e018() {
    // After an answer, the comment is in that answer (Anki shows nothing of it).
    let parsed = parse_notes("# T\nQ: a\nA: b\n\n<!--\nQ: c\nA: d\n-->\n\nQ: e\nA: f\n", Rules::default());
    assert_eq!(codes(&parsed), []);
    let deck = parsed.deck.unwrap();
    let fields: Vec<Vec<&str>> = deck.cards.iter().map(|n| n.fields().take(2).collect()).collect();
    assert_eq!(fields, [vec!["a", "<p>b</p>\n<!--\nQ: c\nA: d\n-->"], vec!["e", "f"]]);
    // After a heading, it is on no card, and no text outside one.
    let parsed = parse_notes("## S\n<!--\nQ: c\nA: d\n## T\n-->\nQ: e\nA: f\n", Rules::default());
    assert_eq!(codes(&parsed), []);
    let deck = parsed.deck.unwrap();
    assert_eq!(deck.cards.iter().map(|n| (n.field(0), n.field(2))).collect::<Vec<_>>(), [("e", "S")]);
    // Never closed: it would take every card after it.
    let parsed = parse_notes("Q: a\nA: b\n<!-- start\nQ: c\nA: d\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::E018, 3)]);
    // Four spaces in, in an answer, it is code: the card after it is a card.
    let parsed = parse_notes("Q: a\nA: b\n\n    <!--\nQ: c\nA: d\n", Rules::default());
    assert_eq!((codes(&parsed), parsed.deck.unwrap().cards.len()), (vec![], 2));
}

#[test]
fn a_fence_opened_after_q_or_a_holds_the_lines_up_to_its_close_and_the_card_after_is_a_card() {
    // The side starts with the text after `A:`: the fence opens there, and the line ``` after
    // the code closes it (it was taken for a fence opening, which took the next card).
    let parsed = parse_notes("Q: one\nA: ```\ncode\n```\n\nQ: two\nA: b\n", Rules::default());
    assert_eq!(codes(&parsed), []);
    let deck = parsed.deck.unwrap();
    let fields: Vec<Vec<&str>> = deck.cards.iter().map(|n| n.fields().take(2).collect()).collect();
    assert_eq!(fields, [vec!["one", "<pre><code>code\n</code></pre>"], vec!["two", "b"]]);
    // In the question too, and a `Q:` in that code is code.
    let parsed = parse_notes("Q: ~~~\nQ: not a card\n~~~\nA: a\n\nQ: two\nA: b\n", Rules::default());
    assert_eq!((codes(&parsed), parsed.deck.unwrap().cards.len()), (vec![], 2));
    // A comment opened after `A:` is the side's as on a line of its own.
    let parsed = parse_notes("Q: one\nA: <!-- hidden\nQ: c\n-->\nshown\n\nQ: two\nA: b\n", Rules::default());
    assert_eq!((codes(&parsed), parsed.deck.unwrap().cards.len()), (vec![], 2));
}

#[test]
fn backticks_in_a_line_are_no_fence_and_a_fence_never_closed_taking_cards_is_e018() {
    // ```x``` is code in a line (a fence's info string has no backtick): the card after is one.
    let parsed = parse_notes("Q: one\nA: see\n```js``` here\n\nQ: two\nA: b\n", Rules::default());
    assert_eq!((codes(&parsed), parsed.deck.unwrap().cards.len()), (vec![], 2));
    // A fence never closed takes every line after it: an error when it took a card.
    let parsed = parse_notes("Q: one\nA: see\n```\ncode\n\nQ: two\nA: b\n", Rules::default());
    assert_eq!(codes(&parsed), [(Code::E018, 3)]);
    // At the end of the last answer, it is that answer's code.
    let parsed = parse_notes("Q: one\nA: see\n```\ncode\n", Rules::default());
    assert_eq!((codes(&parsed), parsed.deck.unwrap().cards.len()), (vec![], 1));
}
