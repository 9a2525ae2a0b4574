//! HTML helpers shared by the resolve and emit stages: escaping source text into field HTML, and
//! Anki's "strip HTML preserving media filenames" used for the sort field and the checksum.
//!
//! The stripping mirrors `rslib/src/text.rs` (`strip_html_preserving_media_filenames`) and the
//! checksum mirrors `field_checksum` in `rslib/src/notes/mod.rs`.

use sha1::{Digest, Sha1};
use std::borrow::Cow;

/// Escapes text for an HTML field: `&`, `<` and `>` only, as Anki's editor stores typed text
/// (and as Python's `html.escape(s, quote=False)` does). Quotes stay as they are: they need no
/// escaping outside attributes, and a field holding `&#x27;` is not found by a search for `'`.
pub fn escape(text: &str, out: &mut String) {
    // Three bytes to find: memchr's vectorised search, not a byte loop (every field of every
    // card goes through here).
    let bytes = text.as_bytes();
    let mut start = 0;
    for i in memchr::memchr3_iter(b'&', b'<', b'>', bytes) {
        out.push_str(&text[start..i]);
        out.push_str(match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// Which rule [`escape`] follows, for the fingerprint of a deck's outputs: a deck built under an
/// older rule is rebuilt, and its notes whose HTML changed are updated once.
pub const ESCAPE_RULE: &str = "escape=amp,lt,gt";

/// Appends `text` to `out` with the ASCII bytes that `replacement` names replaced. Those bytes
/// always stand at character boundaries, so a byte scan is enough, and much faster than a char
/// search.
pub fn push_replacing_ascii(text: &str, out: &mut String, replacement: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if let Some(with) = replacement(b).filter(|_| b.is_ascii()) {
            out.push_str(&text[start..i]);
            out.push_str(with);
            start = i + 1;
        }
    }
    out.push_str(&text[start..]);
}

/// Appends lines as one field's HTML to `out`: each escaped, joined with `<br>` (the field
/// value of a multi-line side).
pub fn push_lines_as_field<'a>(lines: impl IntoIterator<Item = &'a str>, out: &mut String) {
    for (i, line) in lines.into_iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        escape(line, out);
    }
}

/// Anki's `strip_html_preserving_media_filenames`: media tags become ` filename `, comments,
/// `<style>` and `<script>` blocks and all other tags are removed, then entities are decoded.
pub fn strip_html_preserving_media_filenames(html: &str) -> Cow<'_, str> {
    if !html.bytes().any(|b| b == b'<' || b == b'&') {
        return Cow::Borrowed(html);
    }
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(after) = tail.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if let Some(skipped) = skip_block(tail, "style").or_else(|| skip_block(tail, "script")) {
            rest = skipped;
            continue;
        }
        match tail.find('>') {
            Some(end) => {
                let tag = &tail[..=end];
                if let Some(name) = media_filename(tag) {
                    text.push(' ');
                    text.push_str(&name);
                    text.push(' ');
                }
                rest = &tail[end + 1..];
            }
            None => {
                text.push_str(tail);
                rest = "";
            }
        }
    }
    text.push_str(rest);
    Cow::Owned(decode_entities(&text))
}

/// Skips a `<style>…</style>` or `<script>…</script>` block at the start of `tail`.
fn skip_block<'a>(tail: &'a str, name: &str) -> Option<&'a str> {
    let open = tail.get(1..=name.len())?;
    let next = tail[name.len() + 1..].chars().next()?;
    if !open.eq_ignore_ascii_case(name) || !(next == '>' || next.is_whitespace()) {
        return None;
    }
    let lower = tail.to_ascii_lowercase();
    let close = format!("</{name}>");
    Some(lower.find(&close).map_or("", |end| &tail[end + close.len()..]))
}

/// The `src` (or `data`) file of an `<img|audio|video|object|source>` tag, entity-decoded.
fn media_filename(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let is_media = ["<img", "<audio", "<video", "<object", "<source"]
        .iter()
        .any(|p| lower.starts_with(p) && !lower[p.len()..].starts_with(|c: char| c.is_alphanumeric()));
    if !is_media {
        return None;
    }
    for attr in ["src", "data"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(attr) {
            let at = from + pos;
            from = at + attr.len();
            let before_ok = lower[..at].ends_with(|c: char| c.is_whitespace());
            let after = lower[from..].trim_start();
            if !before_ok || !after.starts_with('=') {
                continue;
            }
            let value_start = tag.len() - after.len() + 1;
            let value = tag[value_start..].trim_start();
            let raw = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
                _ => value.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
            };
            return Some(decode_entities(raw));
        }
    }
    None
}

/// Decodes the named entities Anki's stripper knows best plus numeric ones; `&nbsp;` becomes a space.
pub fn decode_entities(text: &str) -> String {
    if !text.bytes().any(|b| b == b'&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &tail[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity.strip_prefix('#').and_then(|num| {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Anki's `field_checksum`: the first 4 bytes of SHA-1 of the stripped first field, big-endian.
pub fn field_checksum(stripped: &str) -> u32 {
    let digest = Sha1::digest(stripped.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_ankis_unit_test() {
        assert_eq!(field_checksum("test"), 2_840_236_005);
    }

    #[test]
    fn escape_covers_markup_and_keeps_quotes_searchable() {
        let mut out = String::new();
        escape(r#"a<b>&"c"'d' m'appelle"#, &mut out);
        assert_eq!(out, r#"a&lt;b&gt;&amp;"c"'d' m'appelle"#);
    }

    #[test]
    fn lines_join_with_br() {
        let mut field = String::new();
        push_lines_as_field(["a & b", "c"], &mut field);
        assert_eq!(field, "a &amp; b<br>c");
    }

    #[test]
    fn strip_matches_ankis_examples() {
        assert_eq!(strip_html_preserving_media_filenames("a<br>b"), "ab");
        assert_eq!(strip_html_preserving_media_filenames("&nbsp;x&amp;y&lt;"), " x&y<");
        assert_eq!(strip_html_preserving_media_filenames(r#"<img src="p.jpg"> cap"#), " p.jpg  cap");
        assert_eq!(strip_html_preserving_media_filenames("[sound:s.mp3]"), "[sound:s.mp3]");
        assert_eq!(
            strip_html_preserving_media_filenames("a<!-- c --><style>x{}</style>b<script>1</script>"),
            "ab"
        );
    }

    #[test]
    fn decode_handles_numeric_and_unknown_entities() {
        assert_eq!(decode_entities("&#x27;&#39;&bogus;&"), "''&bogus;&");
    }
}
