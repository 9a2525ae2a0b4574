//! The `cloze:` and `cloze-only:` filters, as `rslib/src/cloze.rs` renders them: a field's text
//! is split into deletions (`{{c1,2::text::hint}}`, nested at most 10 deep, an unclosed one
//! dropped with what it holds, a stray `}}` kept as text), then each deletion is written as
//! Anki's `<span class="cloze" …>` markup for the card's ordinal. A field with no deletion of
//! that ordinal renders empty. Inside MathJax (`\(…\)`, `\[…\]`) the HTML the markup added is
//! stripped again, so a deletion inside maths stays valid TeX.
//!
//! Image occlusion deletions (`{{c1::image-occlusion:…}}`) are not rendered: ankideck makes no
//! image occlusion notes (their text renders as an ordinary deletion here).

use regex::{Captures, Regex};
use std::fmt::Write;
use std::sync::LazyLock;

/// Anki keeps at most this many open deletions.
const MAX_DEPTH: usize = 10;

enum Token<'a> {
    Open(Vec<u16>),
    Text(&'a str),
    Close,
}

/// `{{c<digits and commas>::` at the start of `s`: the numbers (sorted, without repeats) and
/// the length of the opener.
fn opener(s: &str) -> Option<(Vec<u16>, usize)> {
    let after_c = s.strip_prefix("{{c")?;
    let len = after_c.bytes().take_while(|b| b.is_ascii_digit() || *b == b',').count();
    let mut numbers: Vec<u16> = after_c[..len].split(',').filter_map(|n| n.parse().ok()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.is_empty() || !after_c[len..].starts_with("::") {
        return None;
    }
    Some((numbers, 3 + len + 2))
}

fn tokenize(mut text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    while !text.is_empty() {
        if let Some((numbers, len)) = opener(text) {
            out.push(Token::Open(numbers));
            text = &text[len..];
        } else if let Some(rest) = text.strip_prefix("}}") {
            out.push(Token::Close);
            text = rest;
        } else {
            // Text up to the next place a marker starts (both begin with `{` or `}`).
            let mut end = text.len();
            for (i, c) in text.char_indices().skip(1) {
                if (c == '{' && opener(&text[i..]).is_some()) || (c == '}' && text[i..].starts_with("}}")) {
                    end = i;
                    break;
                }
            }
            out.push(Token::Text(&text[..end]));
            text = &text[end..];
        }
    }
    out
}

enum Part<'a> {
    Text(&'a str),
    Cloze(Cloze<'a>),
}

struct Cloze<'a> {
    ordinals: Vec<u16>,
    parts: Vec<Part<'a>>,
    hint: Option<&'a str>,
}

impl Cloze<'_> {
    fn hint(&self) -> &str {
        self.hint.unwrap_or("...")
    }

    /// The deletion's text with its inner deletions' texts, without markup.
    fn clozed_text(&self, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Cloze(inner) => inner.clozed_text(out),
            }
        }
    }

    fn ordinals_text(&self) -> String {
        self.ordinals.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
    }
}

fn parse(text: &str) -> Vec<Part<'_>> {
    let mut open: Vec<Cloze> = Vec::new();
    let mut out = Vec::new();
    for token in tokenize(text) {
        match token {
            Token::Open(ordinals) => {
                if open.len() < MAX_DEPTH {
                    open.push(Cloze { ordinals, parts: Vec::with_capacity(1), hint: None });
                }
            }
            Token::Text(mut text) => match open.last_mut() {
                Some(cloze) => {
                    if !text.starts_with("image-occlusion:")
                        && let Some((head, hint)) = text.split_once("::")
                    {
                        text = head;
                        cloze.hint = Some(hint);
                    }
                    cloze.parts.push(Part::Text(text));
                }
                None => out.push(Part::Text(text)),
            },
            Token::Close => match open.pop() {
                Some(cloze) => match open.last_mut() {
                    Some(outer) => outer.parts.push(Part::Cloze(cloze)),
                    None => out.push(Part::Cloze(cloze)),
                },
                None => out.push(Part::Text("}}")),
            },
        }
    }
    out
}

/// Anki's `reveal_cloze`: one deletion as the card `ord` (1-based) shows it.
fn reveal(cloze: &Cloze, ord: u16, question: bool, found: &mut bool, out: &mut String) {
    let active = cloze.ordinals.contains(&ord);
    *found |= active;
    let inner = |out: &mut String, found: &mut bool| {
        for part in &cloze.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Cloze(inner) => reveal(inner, ord, question, found, out),
            }
        }
    };
    let ordinals = cloze.ordinals_text();
    match (question, active) {
        (true, true) => {
            let mut hidden = String::new();
            inner(&mut hidden, found);
            let hidden = htmlescape::encode_attribute(&hidden);
            let hint = cloze.hint();
            let _ = write!(
                out,
                r#"<span class="cloze" data-cloze="{hidden}" data-ordinal="{ordinals}">[{hint}]</span>"#
            );
        }
        (false, true) => {
            let _ = write!(out, r#"<span class="cloze" data-ordinal="{ordinals}">"#);
            inner(out, found);
            out.push_str("</span>");
        }
        (_, false) => {
            let _ = write!(out, r#"<span class="cloze-inactive" data-ordinal="{ordinals}">"#);
            inner(out, found);
            out.push_str("</span>");
        }
    }
}

/// Anki's `reveal_cloze_text`: the field as card `ord` (1-based) shows it, or "" when the field
/// has no deletion of that ordinal.
pub fn reveal_cloze_text(text: &str, ord: u16, question: bool) -> String {
    let mut out = String::new();
    let mut found = false;
    for part in &parse(text) {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Cloze(cloze) => reveal(cloze, ord, question, &mut found, &mut out),
        }
    }
    if found { out } else { String::new() }
}

/// Anki's `reveal_cloze_text_only`: the hints (question) or texts (answer) of the deletions of
/// ordinal `ord`, joined by ", ".
pub fn reveal_cloze_text_only(text: &str, ord: u16, question: bool) -> String {
    cloze_texts(text, ord, question).join(", ")
}

/// Anki's `extract_cloze_for_typing`: what a `type:cloze:` box of card `ord` (1-based) expects:
/// the texts of its deletions joined by ", ", or one text when they are all the same.
pub fn extract_cloze_for_typing(text: &str, ord: u16) -> String {
    let mut texts = cloze_texts(text, ord, false);
    if texts.iter().all(|t| *t == texts[0]) {
        texts.truncate(1);
    }
    texts.join(", ")
}

/// The hints or texts of the deletions of ordinal `ord`, outer ones first.
fn cloze_texts(text: &str, ord: u16, question: bool) -> Vec<String> {
    fn collect(part: &Part, ord: u16, question: bool, out: &mut Vec<String>) {
        if let Part::Cloze(cloze) = part {
            if cloze.ordinals.contains(&ord) {
                if question {
                    out.push(cloze.hint().to_string());
                } else {
                    let mut text = String::new();
                    cloze.clozed_text(&mut text);
                    out.push(text);
                }
            }
            for part in &cloze.parts {
                collect(part, ord, question, out);
            }
        }
    }
    let mut out = Vec::new();
    for part in &parse(text) {
        collect(part, ord, question, &mut out);
    }
    out
}

static MATHJAX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?xsi)(\\[(\[])(.*?)(\\[])])").expect("a valid pattern"));

/// The `cloze` filter: the field as card `ord` (0-based, as Anki's `card_ord`) shows it.
pub fn cloze_filter(text: &str, ord: u16, question: bool) -> String {
    let revealed = reveal_cloze_text(text, ord + 1, question);
    MATHJAX
        .replace_all(&revealed, |caps: &Captures| {
            format!("{}{}{}", &caps[1], super::filters::strip_html_preserving_entities(&caps[2]), &caps[3])
        })
        .into_owned()
}

/// The `cloze-only` filter.
pub fn cloze_only_filter(text: &str, ord: u16, question: bool) -> String {
    reveal_cloze_text_only(text, ord + 1, question)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::filters::strip_html;

    fn plain(text: &str, ord: u16, question: bool) -> String {
        strip_html(&reveal_cloze_text(text, ord, question)).into_owned()
    }

    /// Anki's `template_filters.rs` test `cloze`.
    #[test]
    fn cloze_filter_marks_the_active_deletion_and_leaves_the_others() {
        let text = "{{c1::one}} {{c2::two::hint}}";
        assert_eq!(
            cloze_filter(text, 0, true),
            r#"<span class="cloze" data-cloze="one" data-ordinal="1">[...]</span> <span class="cloze-inactive" data-ordinal="2">two</span>"#
        );
        assert_eq!(strip_html(&cloze_filter(text, 1, true)), "one [hint]");
        assert_eq!(strip_html(&cloze_filter(text, 1, false)), "one two");
        assert_eq!(cloze_filter(text, 2, true), "");
    }

    /// Anki's `cloze.rs` test `nested_cloze_html`.
    #[test]
    fn nested_deletions_hide_their_inner_markup_in_the_data_attribute() {
        let text = "foo {{c1::bar {{c2::baz}}}}";
        assert_eq!(
            reveal_cloze_text(text, 1, true),
            format!(
                r#"foo <span class="cloze" data-cloze="{}" data-ordinal="1">[...]</span>"#,
                htmlescape::encode_attribute(
                    r#"bar <span class="cloze-inactive" data-ordinal="2">baz</span>"#
                )
            )
        );
        assert_eq!(
            reveal_cloze_text(text, 1, false),
            r#"foo <span class="cloze" data-ordinal="1">bar <span class="cloze-inactive" data-ordinal="2">baz</span></span>"#
        );
        let hinted = "foo {{c1::bar {{c2::baz}}::qux}}";
        assert_eq!(
            reveal_cloze_text(hinted, 2, true),
            r#"foo <span class="cloze-inactive" data-ordinal="1">bar <span class="cloze" data-cloze="baz" data-ordinal="2">[...]</span></span>"#
        );
        assert_eq!(plain(hinted, 1, true), "foo [qux]");
        assert_eq!(plain(hinted, 2, false), "foo bar baz");
    }

    #[test]
    fn a_deletion_for_several_cards_lists_its_ordinals_sorted_once() {
        let text = "{{c2,1,2::shared}} word and {{c1::first}} vs {{c2::second}}";
        assert_eq!(plain(text, 1, true), "[...] word and [...] vs second");
        assert_eq!(plain(text, 2, true), "[...] word and first vs [...]");
        assert!(reveal_cloze_text(text, 2, true).contains(r#"data-ordinal="1,2""#));
        assert_eq!(plain("{{c1,2,3::multi}}", 3, false), "multi");
    }

    #[test]
    fn unclosed_deletions_vanish_and_stray_closers_stay() {
        assert_eq!(plain("a {{c1::b}} {{c2::c", 1, false), "a b ");
        assert_eq!(plain("x }} {{c1::y}}", 1, false), "x }} y");
        assert_eq!(plain("{{c1::a}} {{c::b}} {{c1:c}}", 1, false), "a {{c::b}} {{c1:c}}");
    }

    /// Anki's tests `cloze_only` and `multi_card_cloze_only_filter`.
    #[test]
    fn cloze_only_gives_the_hints_or_the_texts_of_the_active_deletions() {
        assert_eq!(reveal_cloze_text_only("foo", 1, true), "");
        assert_eq!(reveal_cloze_text_only("foo {{c1::bar}}", 1, true), "...");
        assert_eq!(reveal_cloze_text_only("foo {{c1::bar::baz}}", 1, true), "baz");
        assert_eq!(reveal_cloze_text_only("foo {{c1::bar}}", 1, false), "bar");
        assert_eq!(reveal_cloze_text_only("{{c1::foo}} {{c1::bar}}", 1, false), "foo, bar");
        let text = "{{c1,2::shared}} and {{c1::first}} vs {{c2::second}}";
        assert_eq!(reveal_cloze_text_only(text, 2, false), "shared, second");
    }

    /// Anki's test `clozes_for_typing`.
    #[test]
    fn a_type_in_box_expects_the_deletions_text_once_when_all_are_the_same() {
        assert_eq!(extract_cloze_for_typing("{{c2::foo}}", 1), "");
        assert_eq!(extract_cloze_for_typing("{{c1::foo}} {{c1::bar}} {{c1::foo}}", 1), "foo, bar, foo");
        assert_eq!(extract_cloze_for_typing("{{c1::foo}} {{c1::foo}} {{c1::foo}}", 1), "foo");
    }

    #[test]
    fn markup_inside_mathjax_is_stripped_again() {
        assert_eq!(
            cloze_filter(r"\(x^{{c1::2}}\) and {{c2::y}}", 0, true),
            r#"\(x^[...]\) and <span class="cloze-inactive" data-ordinal="2">y</span>"#
        );
        assert_eq!(cloze_filter(r"\[a {{c1::<b>b</b>}} &lt;\]", 0, false), r"\[a b &lt;\]");
    }
}
