//! A rendered side as a terminal shows it (`check --show`): the HTML's text with tags dropped,
//! `<br>` and block elements as line breaks, `<hr>` as a rule, entities decoded, white space
//! collapsed as a browser collapses it, an image as `[image: FILE]`, `[sound:FILE]` as
//! `♪ FILE`, a hint as `[hint: NAME]` (its text hidden, as Anki hides it until clicked) and a
//! type-in box as `[type: ____]` on the question and `[type: ANSWER]` on the answer. A cloze
//! deletion is `[...]` or its hint on the question (as the renderer wrote it) and its text in
//! brackets on the answer, where Anki highlights it.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// The width of the rule `<hr>` becomes.
const RULE: &str = "──────────";

static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?si)<!--.*?-->|<style.*?>.*?</style>|<script.*?>.*?</script>").expect("a valid pattern")
});
/// The markup of the `hint:` filter (`filters::hint`): the link and its hidden text.
static HINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)<a class=hint href="\#"\nonclick=".*?" draggable=false>\n(.*?)</a>\n<div id="hint[0-9a-f]{16}" class=hint style="display: none">.*?</div>"#)
        .expect("a valid pattern")
});
static TYPE_IN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[\[type:(?:cloze:|nc:)?([^\]]+)\]\]").expect("a valid pattern"));
static SOUND: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[sound:([^\]]+)\]").expect("a valid pattern"));
static TTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)\[anki:tts[^\]]*\](.*?)\[/anki:tts\]").expect("a valid pattern"));
static SRC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).expect("a valid pattern")
});

/// `html` as lines of text. `typed(field)` is what a type-in box of that field expects (shown on
/// the answer side); `None` on the question side, where the box is empty.
pub fn side_text(html: &str, typed: Option<&dyn Fn(&str) -> String>) -> Vec<String> {
    let html = HIDDEN.replace_all(html, "");
    let html = HINT.replace_all(&html, |c: &Captures| format!("[hint: {}]", c[1].trim()));
    let html = TYPE_IN.replace_all(&html, |c: &Captures| match typed {
        // Escaped: it is text, and tags are dropped below.
        Some(typed) => format!("[type: {}]", htmlescape::encode_minimal(&typed(&c[1]))),
        None => "[type: ____]".to_string(),
    });
    let html = TTS.replace_all(&html, "♪ $1");
    let html = SOUND.replace_all(&html, "♪ $1");
    let mut out = Lines::default();
    let mut rest: &str = &html;
    while !rest.is_empty() {
        match rest.find('<') {
            Some(start) => {
                out.text(&rest[..start]);
                let after = &rest[start..];
                match after.find('>') {
                    Some(end) => {
                        out.tag(&after[1..end]);
                        rest = &after[end + 1..];
                    }
                    None => {
                        out.text(after);
                        rest = "";
                    }
                }
            }
            None => {
                out.text(rest);
                rest = "";
            }
        }
    }
    out.finish()
}

/// Lines being written, with the white space collapsed.
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    line: String,
    /// A space is due before the next text on this line.
    space: bool,
    /// For each open `<span>`: whether it is a revealed deletion (closed with `]`).
    spans: Vec<bool>,
    /// How many `<pre>` are open: their text keeps its line breaks and spaces (code).
    pre: usize,
}

impl Lines {
    fn text(&mut self, html: &str) {
        let text = super::filters::decode_entities(html);
        if self.pre > 0 {
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    self.hard_break();
                }
                self.line.push_str(line);
            }
            return;
        }
        for (i, word) in text.split(|c: char| c.is_ascii_whitespace()).enumerate() {
            if i > 0 {
                self.space = true;
            }
            if !word.is_empty() {
                if self.space && !self.line.is_empty() {
                    self.line.push(' ');
                }
                self.space = false;
                self.line.push_str(word);
            }
        }
    }

    /// Ends the line if it holds text (a block's edge).
    fn soft_break(&mut self) {
        if !self.line.is_empty() {
            self.hard_break();
        }
    }

    /// Ends the line, empty or not (`<br>`).
    fn hard_break(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.space = false;
    }

    fn tag(&mut self, tag: &str) {
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "br" => self.hard_break(),
            "hr" => {
                self.soft_break();
                self.lines.push(RULE.to_string());
            }
            "img" => {
                let src = SRC.captures(tag).and_then(|c| c.get(1).or(c.get(2)).or(c.get(3)));
                let src = src.map_or("", |m| m.as_str());
                self.text(&format!(" [image: {src}] "));
            }
            "li" if !tag.starts_with('/') => {
                self.soft_break();
                self.line.push_str("• ");
            }
            "address" | "article" | "aside" | "blockquote" | "dd" | "div" | "dl" | "dt" | "figcaption"
            | "figure" | "footer" | "form" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "header" | "li"
            | "main" | "nav" | "ol" | "p" | "section" | "table" | "tr" | "ul" => self.soft_break(),
            "pre" => {
                self.soft_break();
                match tag.starts_with('/') {
                    true => self.pre = self.pre.saturating_sub(1),
                    false => self.pre += 1,
                }
            }
            "td" | "th" => self.space = true,
            "span" => self.span(tag),
            _ => {}
        }
    }

    /// The revealed deletion of an answer, in brackets where the question had them.
    fn span(&mut self, tag: &str) {
        if tag.starts_with('/') {
            let revealed = self.spans.pop();
            if revealed == Some(true) {
                self.line.push(']');
            }
            return;
        }
        let revealed = tag.contains(r#"class="cloze" data-ordinal="#);
        if revealed {
            if self.space && !self.line.is_empty() {
                self.line.push(' ');
            }
            self.space = false;
            self.line.push('[');
        }
        self.spans.push(revealed);
    }

    fn finish(mut self) -> Vec<String> {
        self.soft_break();
        let mut lines: Vec<String> = Vec::new();
        for line in self.lines {
            // No run of blank lines, none at the start.
            if line.is_empty() && lines.last().is_none_or(String::is_empty) {
                continue;
            }
            lines.push(line);
        }
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> Vec<String> {
        side_text(html, None)
    }

    #[test]
    fn blocks_and_breaks_are_lines_and_white_space_collapses() {
        assert_eq!(
            text(
                "<div class=\"ankideck\">\n<div class=\"section\">NOUNS</div>\n<div class=\"front\">le  <b>chat</b></div>\n</div>\n\n<hr id=answer>\n\n<div>the<br>cat</div>"
            ),
            ["NOUNS", "le chat", RULE, "the", "cat"]
        );
        assert_eq!(text("a<br><br><br>b"), ["a", "", "b"]);
        assert_eq!(text("<ul><li>one</li><li>two</li></ul>"), ["• one", "• two"]);
    }

    #[test]
    fn code_keeps_its_lines_and_indentation() {
        assert_eq!(
            text("<p>See</p>\n<pre><code>fn a() {\n    b  &lt; c\n}\n</code></pre>\n<p>after  it</p>"),
            ["See", "fn a() {", "    b  < c", "}", "after it"]
        );
    }

    #[test]
    fn entities_are_decoded_and_comments_and_styles_dropped() {
        assert_eq!(text("a &amp; b&nbsp;&lt;c&gt;<!-- x --><style>p {}</style>"), ["a & b <c>"]);
        assert_eq!(text("&bogus; &amp;"), ["&bogus; &amp;"]);
    }

    #[test]
    fn media_hints_and_type_in_boxes_have_markers() {
        assert_eq!(text("See <img src=\"red-1.png\"> [sound:hi.mp3]"), ["See [image: red-1.png] ♪ hi.mp3"]);
        assert_eq!(text("[anki:tts lang=en_US]hola[/anki:tts]"), ["♪ hola"]);
        let hint = crate::render::filters::apply_filters(
            "secret",
            &["hint".to_string()],
            "Extra",
            &crate::render::filters::FilterContext { ord: 0, question: true },
        );
        assert_eq!(text(&format!("a {hint} b")), ["a [hint: Extra] b"]);
        assert_eq!(text("<div>q</div>[[type:Back]]"), ["q", "[type: ____]"]);
        let typed = |field: &str| format!("<{field}>");
        assert_eq!(side_text("[[type:cloze:Text]]", Some(&typed)), ["[type: <Text>]"]);
    }

    #[test]
    fn cloze_markup_shows_the_brackets_on_the_front_and_the_text_on_the_back() {
        let front =
            crate::render::cloze::cloze_filter("{{c1::Paris}} is in {{c2::France::country}}", 1, true);
        assert_eq!(text(&front), ["Paris is in [country]"]);
        let back =
            crate::render::cloze::cloze_filter("{{c1::Paris}} is in {{c2::France::country}}", 1, false);
        assert_eq!(text(&back), ["Paris is in [France]"]);
        let nested = crate::render::cloze::reveal_cloze_text("a {{c1::b {{c2::c}} d}} e", 1, false);
        assert_eq!(text(&nested), ["a [b c d] e"]);
    }
}
