//! One side of a Markdown card rendered to a field's HTML: CommonMark (pulldown-cmark, with
//! tables and strikethrough), raw HTML kept, a line break in a paragraph kept as `<br>`, a side
//! of one paragraph without its `<p>`. Cloze markers and maths are taken out before rendering
//! (so Markdown cannot touch them) and put back after: `$…$` becomes MathJax `\(…\)`, `$$…$$`
//! becomes `\[…\]`, with `<`, `>` and `&` escaped inside.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// Marks the start and end of a placeholder: private-use characters that Markdown leaves alone.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Whether `text` holds a cloze deletion's opening `{{cN::`.
pub fn has_cloze(text: &str) -> bool {
    text.match_indices("{{c").any(|(at, _)| cloze_opener(&text[at..]).is_some())
}

/// The length of the cloze opening `{{cN::` that `text` starts with, if it does.
fn cloze_opener(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("{{c")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && rest[digits..].starts_with("::")).then_some(3 + digits + 2)
}

/// Renders one side of a card (its Markdown lines joined by `\n`) to HTML.
pub fn render(markdown: &str) -> String {
    render_in(markdown, false)
}

/// [`render`], for text inside a cloze deletion (`in_cloze`) or not.
fn render_in(markdown: &str, in_cloze: bool) -> String {
    let (text, saved) = protect(markdown, in_cloze);
    let parser = Parser::new_ext(&text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut html = String::with_capacity(text.len() + text.len() / 4 + 16);
    pulldown_cmark::html::push_html(&mut html, Events { inner: parser, image: None });
    let html = unwrap_paragraph(html.trim_end());
    restore(html, &saved)
}

/// Markdown's events, with a line break made `<br>` (a line break in a paragraph stays
/// a line break on the card), and an image written as `<img src>` with its path as written:
/// pulldown-cmark percent-encodes a URL (`my%20pic.png`), and Anki looks for media files by the
/// name as written.
struct Events<'a> {
    inner: Parser<'a>,
    /// The image being read: its `src` and title, and its alt text so far.
    image: Option<(CowStr<'a>, CowStr<'a>, String)>,
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let event = self.inner.next()?;
            if let Some((_, _, alt)) = &mut self.image {
                match event {
                    Event::End(TagEnd::Image) => {
                        let (src, title, alt) = self.image.take().expect("an image is being read");
                        let mut tag = String::from("<img src=\"");
                        escape_into(&src, &mut tag);
                        tag.push_str("\" alt=\"");
                        escape_into(&alt, &mut tag);
                        if !title.is_empty() {
                            tag.push_str("\" title=\"");
                            escape_into(&title, &mut tag);
                        }
                        tag.push_str("\">");
                        return Some(Event::InlineHtml(tag.into()));
                    }
                    Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                    _ => {}
                }
                continue;
            }
            return Some(match event {
                // `<br>` as a text deck writes it (a hard break would write `<br />` and a
                // new line).
                Event::SoftBreak | Event::HardBreak => Event::InlineHtml(CowStr::Borrowed("<br>")),
                Event::Start(Tag::Image { dest_url, title, .. }) => {
                    self.image = Some((dest_url, title, String::new()));
                    continue;
                }
                other => other,
            });
        }
    }
}

/// `text` escaped for HTML text or a quoted attribute value.
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// A side that is one paragraph, without its `<p>`: a short answer is the answer, not a block
/// with margins (and a cloze card's text reads as a line).
fn unwrap_paragraph(html: &str) -> &str {
    match html.strip_prefix("<p>").and_then(|h| h.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") && !inner.contains("</p>") => inner,
        _ => html,
    }
}

/// The text with each maths span and cloze marker replaced by a placeholder, and what each
/// placeholder stands for. Code (fenced blocks, inline code spans) is left as written.
fn protect(markdown: &str, in_cloze: bool) -> (String, Vec<String>) {
    let mut protector = Protector { out: String::with_capacity(markdown.len()), saved: Vec::new(), in_cloze };
    let mut fence: Option<(char, usize)> = None;
    // The start of the run of lines outside code blocks not protected yet.
    let mut run = 0;
    let mut at = 0;
    for line in markdown.split_inclusive('\n') {
        let start = at;
        at += line.len();
        match (fence, fence_marker(line)) {
            (None, Some(open)) => {
                protector.text(&markdown[run..start]);
                fence = Some(open);
            }
            (Some((c, n)), Some((c2, n2))) if c == c2 && n2 >= n && is_bare_fence(line) => fence = None,
            (Some(_), _) => {}
            (None, None) => continue,
        }
        protector.out.push_str(line);
        run = at;
    }
    protector.text(&markdown[run..]);
    (protector.out, protector.saved)
}

/// What [`protect`] has written so far.
struct Protector {
    out: String,
    saved: Vec<String>,
    /// Whether the text is inside a cloze deletion.
    in_cloze: bool,
}

impl Protector {
    fn save(&mut self, html: String) {
        self.out.push(OPEN);
        self.out.push_str(&self.saved.len().to_string());
        self.out.push(CLOSE);
        self.saved.push(html);
    }

    /// Protects text outside code blocks.
    fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let b = bytes[i];
            if b == b'\\' && rest.len() > 1 && rest.is_char_boundary(2) {
                // An escaped character (`\$`) is Markdown's to render.
                self.out.push_str(&rest[..2]);
                i += 2;
                continue;
            }
            if b == b'`' {
                // An inline code span is code: as written.
                let run = rest.bytes().take_while(|c| *c == b'`').count();
                let close = rest[run..].find(&rest[..run]).map(|at| run + at + run);
                let end = close.unwrap_or(run);
                self.out.push_str(&rest[..end]);
                i += end;
                continue;
            }
            if let Some((open, content)) = cloze_at(rest) {
                // A deletion is rendered on its own, so that no emphasis runs across its
                // markers (`*{{c1::x*}}`), and saved whole.
                let html = format!("{}{}}}}}", &rest[..open], render_in(content, true));
                self.save(html);
                i += open + content.len() + 2;
                continue;
            }
            if let Some((len, display, inner)) = (b == b'$').then(|| maths_at(rest)).flatten() {
                let html = maths_html(inner, display, self.in_cloze);
                self.save(html);
                i += len;
                continue;
            }
            let c = rest.chars().next().expect("not at the end");
            self.out.push(c);
            i += c.len_utf8();
        }
    }
}

/// The cloze deletion `rest` starts with, if it is closed: the length of its opening `{{cN::`
/// and its text (up to its `}}`: deletions inside it and maths are passed over).
fn cloze_at(rest: &str) -> Option<(usize, &str)> {
    let open = cloze_opener(rest)?;
    let mut depth = 1;
    let mut i = open;
    while i < rest.len() {
        let here = &rest[i..];
        if let Some(len) = cloze_opener(here) {
            depth += 1;
            i += len;
        } else if here.starts_with("}}") {
            depth -= 1;
            if depth == 0 {
                return Some((open, &rest[open..i]));
            }
            i += 2;
        } else if let Some((len, _, _)) = here.starts_with('$').then(|| maths_at(here)).flatten() {
            i += len;
        } else {
            i += here.chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

/// The fence a line opens or closes (```` ``` ```` or `~~~`, up to three spaces in), if any.
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = rest.chars().take_while(|x| *x == c).count();
    (indent <= 3 && n >= 3).then_some((c, n))
}

/// Whether a fence line holds nothing but its fence (a closing fence has no info string).
fn is_bare_fence(line: &str) -> bool {
    line.trim().chars().all(|c| c == '`' || c == '~')
}

/// The maths span `rest` starts with: its length, whether it is display maths (`$$…$$`), and
/// its text. Inline maths (`$…$`) opens before a non-space and closes after one, not before a
/// digit (so `$5 and $6` is money) and stays on one line; display maths may run over lines
/// of one paragraph.
fn maths_at(rest: &str) -> Option<(usize, bool, &str)> {
    if let Some(body) = rest.strip_prefix("$$") {
        let end = body.find("$$")?;
        let inner = &body[..end];
        // A blank line ends a paragraph, and so the maths.
        let lines: Vec<&str> = inner.split('\n').collect();
        let blank_line = lines.len() > 2 && lines[1..lines.len() - 1].iter().any(|l| l.trim().is_empty());
        return (!inner.trim().is_empty() && !blank_line).then_some((2 + end + 2, true, inner));
    }
    let rest = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let body = &rest[1..];
    if body.starts_with(char::is_whitespace) || body.is_empty() {
        return None;
    }
    let bytes = body.as_bytes();
    let mut at = 0;
    while let Some(found) = body[at..].find('$') {
        let end = at + found;
        let before = body[..end].chars().next_back();
        let escaped = end > 0 && bytes[end - 1] == b'\\';
        let after_digit = body[end + 1..].starts_with(|c: char| c.is_ascii_digit());
        if end > 0 && !escaped && !before.is_some_and(char::is_whitespace) && !after_digit {
            return Some((1 + end + 1, false, &body[..end]));
        }
        at = end + 1;
    }
    None
}

/// A maths span as MathJax: `\(…\)` or `\[…\]`, `<`, `>` and `&` escaped, cloze deletions kept.
/// Inside a cloze deletion (opened before the maths or in it), a `}}` of the maths would close
/// the deletion early (Anki ends a deletion at the first `}}`): it is written `} }`, as Anki's
/// manual says to.
fn maths_html(maths: &str, display: bool, in_outer_cloze: bool) -> String {
    let mut html = String::with_capacity(maths.len() + 8);
    html.push_str(if display { "\\[" } else { "\\(" });
    // The brace depth of each cloze deletion opened in the maths, innermost last.
    let mut opened: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < maths.len() {
        let rest = &maths[i..];
        if let Some(len) = cloze_opener(rest) {
            html.push_str(&rest[..len]);
            opened.push(depth);
            i += len;
            continue;
        }
        let c = rest.chars().next().expect("not at the end");
        match c {
            '}' if opened.last() == Some(&depth) && rest.starts_with("}}") => {
                html.push_str("}}");
                opened.pop();
                i += 2;
                continue;
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match c {
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            c => html.push(c),
        }
        let in_cloze = in_outer_cloze || !opened.is_empty();
        if c == '}' && in_cloze && maths[i + 1..].starts_with('}') {
            html.push(' ');
        }
        i += c.len_utf8();
    }
    html.push_str(if display { "\\]" } else { "\\)" });
    html
}

/// The rendered HTML with each placeholder replaced by what it stands for.
fn restore(html: &str, saved: &[String]) -> String {
    if saved.is_empty() {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len() + saved.iter().map(String::len).sum::<usize>());
    let mut rest = html;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len_utf8()..];
        let index = after.find(CLOSE).and_then(|end| Some((after[..end].parse::<usize>().ok()?, end)));
        match index.and_then(|(n, end)| Some((saved.get(n)?, end))) {
            Some((text, end)) => {
                out.push_str(text);
                rest = &after[end + CLOSE.len_utf8()..];
            }
            None => {
                out.push(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
