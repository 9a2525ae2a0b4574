//! Finding media references in a field's HTML, as Anki finds them (`rslib/src/text.rs`:
//! `HTML_MEDIA_TAGS`, `AV_TAGS`, `extract_media_refs`), and writing a new name in their place.
//!
//! A reference is the `src=` (or `data=`) value of an `<img>`, `<audio>`, `<video>`,
//! `<source>` or `<object>` tag, quoted either way or unquoted, or the name in `[sound:…]`. The
//! name is HTML-entity-decoded (`a&amp;b.png` names `a&b.png`) and never percent-decoded: Anki
//! stores references unencoded. Remote (`http:`, `https:`) and `data:` URLs are not files.

use super::Kind;
use crate::html;

/// One media reference in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Byte range of the name as written (without quotes).
    pub start: usize,
    pub end: usize,
    /// The kind of file the reference asks for (`None`: either, as `<object data>`).
    pub wants: Option<Kind>,
    /// Whether the name sits in an unquoted attribute value (a new name gets quotes).
    pub unquoted_attribute: bool,
}

impl Reference {
    /// The name as written in the HTML.
    pub fn raw<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }

    /// The file name it refers to: entity-decoded.
    pub fn name(&self, text: &str) -> String {
        html::decode_entities(self.raw(text))
    }
}

/// The media tags Anki recognises, with the kind of file each shows.
const TAGS: [(&str, Option<Kind>); 5] = [
    ("img", Some(Kind::Image)),
    ("audio", Some(Kind::Audio)),
    ("video", Some(Kind::Audio)),
    ("source", Some(Kind::Audio)),
    ("object", None),
];

/// Whether a text may hold a reference at all: the quick test every note goes through.
pub fn may_reference(text: &str) -> bool {
    // One pass for both bytes that can start a reference (most notes have neither).
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'[', b'<', bytes).any(|i| match bytes[i] {
        b'[' => bytes[i + 1..].starts_with(b"sound:"),
        _ => matches!(bytes.get(i + 1).map(u8::to_ascii_lowercase), Some(b'i' | b'a' | b'v' | b's' | b'o')),
    })
}

/// Every reference to a local file in `text`, in order. References to remote or `data:` URLs
/// are left out.
pub fn references(text: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    html_references(text, &mut found);
    sound_references(text, &mut found);
    found.sort_by_key(|r| r.start);
    // A `[sound:…]` inside a tag's attribute is part of the tag, not a reference of its own.
    let mut kept: Vec<Reference> = Vec::with_capacity(found.len());
    for r in found {
        if kept.last().is_none_or(|last| last.end <= r.start) {
            kept.push(r);
        }
    }
    kept.retain(|r| !is_remote(&r.name(text)) && !r.raw(text).contains(crate::model::FIELD_SEPARATOR));
    kept
}

/// Whether a reference names a URL rather than a file.
fn is_remote(name: &str) -> bool {
    let lower = name.trim_start().to_ascii_lowercase();
    ["http://", "https://", "data:"].iter().any(|p| lower.starts_with(p))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `<img … src=…>` and the other media tags: the first `src=` or `data=` attribute of each.
fn html_references(text: &str, out: &mut Vec<Reference>) {
    let bytes = text.as_bytes();
    for lt in memchr::memchr_iter(b'<', bytes) {
        let after = lt + 1;
        let Some((tag, wants)) = TAGS.iter().find(|(tag, _)| {
            bytes.len() >= after + tag.len()
                && bytes[after..after + tag.len()].eq_ignore_ascii_case(tag.as_bytes())
                && !bytes.get(after + tag.len()).is_some_and(|&b| is_word(b))
        }) else {
            continue;
        };
        if let Some(r) = attribute_value(bytes, after + tag.len(), *wants) {
            out.push(r);
        }
    }
}

/// The value of the first `src=` or `data=` in the tag whose attributes start at `from`, if the
/// tag is closed by a `>`.
fn attribute_value(bytes: &[u8], from: usize, wants: Option<Kind>) -> Option<Reference> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return None,
            q @ (b'"' | b'\'') => i = i + 1 + memchr::memchr(q, &bytes[i + 1..])? + 1,
            _ => {
                let boundary = i == 0 || !is_word(bytes[i - 1]);
                let attr = ["src=", "data="].iter().find(|a| {
                    bytes.len() >= i + a.len() && bytes[i..i + a.len()].eq_ignore_ascii_case(a.as_bytes())
                });
                match attr {
                    Some(attr) if boundary => return value_at(bytes, i + attr.len(), wants),
                    _ => i += 1,
                }
            }
        }
    }
    None
}

/// An attribute value starting at `at`: quoted either way, or unquoted up to a space or `>`.
fn value_at(bytes: &[u8], at: usize, wants: Option<Kind>) -> Option<Reference> {
    let (start, end, unquoted) = match bytes.get(at)? {
        q @ (b'"' | b'\'') => (at + 1, at + 1 + memchr::memchr(*q, &bytes[at + 1..])?, false),
        _ => (at, at + bytes[at..].iter().position(|&b| b == b' ' || b == b'>')?, true),
    };
    // Anki's pattern wants a name of one character or more, and the tag closed after it.
    if end == start || memchr::memchr(b'>', &bytes[end..]).is_none() {
        return None;
    }
    Some(Reference { start, end, wants, unquoted_attribute: unquoted })
}

/// `[sound:name]`: the shortest name up to a `]`.
fn sound_references(text: &str, out: &mut Vec<Reference>) {
    let bytes = text.as_bytes();
    for at in memchr::memmem::find_iter(bytes, b"[sound:") {
        let start = at + "[sound:".len();
        if let Some(len) = memchr::memchr(b']', &bytes[start..]).filter(|&len| len > 0) {
            out.push(Reference {
                start,
                end: start + len,
                wants: Some(Kind::Audio),
                unquoted_attribute: false,
            });
        }
    }
}

/// `text` with each reference's name replaced by the name `new_name` gives for it (index in
/// `refs`), HTML-escaped; an unquoted attribute value gets double quotes (a name may hold a space).
pub fn rewrite(text: &str, refs: &[Reference], new_name: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(text.len() + refs.len() * 16);
    let mut last = 0;
    for (i, r) in refs.iter().enumerate() {
        out.push_str(&text[last..r.start]);
        if r.unquoted_attribute {
            out.push('"');
        }
        html::escape(&new_name(i), &mut out);
        if r.unquoted_attribute {
            out.push('"');
        }
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        references(text).iter().map(|r| r.name(text)).collect()
    }

    #[test]
    fn img_src_is_found_in_any_quoting_and_case() {
        assert_eq!(names(r#"<img src="a.png">"#), ["a.png"]);
        assert_eq!(names(r#"<IMG SRC='b c.png' alt="x">"#), ["b c.png"]);
        assert_eq!(names("<img src=c.png>"), ["c.png"]);
        assert_eq!(names("<img class=x src=d.png width=3>"), ["d.png"]);
        assert_eq!(names(r#"x<br><img alt="src=no.png" src="e.png"/>y"#), ["e.png"]);
    }

    #[test]
    fn other_media_tags_and_sound_are_references() {
        let text = r#"[sound:s.mp3] <audio src="a.ogg"></audio><video src=v.webm><object data="o.svg">"#;
        assert_eq!(names(text), ["s.mp3", "a.ogg", "v.webm", "o.svg"]);
        let kinds: Vec<_> = references(text).iter().map(|r| r.wants).collect();
        assert_eq!(kinds, [Some(Kind::Audio), Some(Kind::Audio), Some(Kind::Audio), None]);
    }

    #[test]
    fn urls_unclosed_tags_and_lookalikes_are_not_references() {
        assert!(
            names(
                r#"<img src="http://x/a.png"><img src='HTTPS://x/b.png'><img src="data:image/png;base64,AA">"#
            )
            .is_empty()
        );
        assert!(names(r#"<img src="a.png""#).is_empty());
        assert!(names(r#"<imgx src="a.png"><image src="b.png"><img src="">[sound:]"#).is_empty());
        assert!(names("a &lt;img src=\"a.png\"&gt; [sound:no").is_empty());
    }

    #[test]
    fn names_are_entity_decoded_not_percent_decoded() {
        assert_eq!(names(r#"<img src="a&amp;b.png">[sound:c&amp;d.mp3]"#), ["a&b.png", "c&d.mp3"]);
        assert_eq!(names(r#"<img src="my%20pic.png">"#), ["my%20pic.png"]);
    }

    #[test]
    fn a_reference_does_not_run_across_fields() {
        assert!(names("[sound:a\x1fb]").is_empty());
    }

    #[test]
    fn quick_test_passes_every_text_with_a_reference_and_skips_plain_lines() {
        for text in [r#"<img src="a.png">"#, "[sound:a.mp3]", "<Audio src=a.ogg>", "<SOURCE src=a>"] {
            assert!(may_reference(text), "{text}");
        }
        assert!(!may_reference("one<br>two &lt;img&gt;"));
    }

    #[test]
    fn rewriting_escapes_the_new_name_and_quotes_unquoted_values() {
        let text = r#"<img src=a.png> and [sound:b.mp3] <img src='c.png'>"#;
        let refs = references(text);
        let out = rewrite(text, &refs, |i| ["a b&c-1.png", "b-2.mp3", "c-3.png"][i].to_string());
        assert_eq!(out, r#"<img src="a b&amp;c-1.png"> and [sound:b-2.mp3] <img src='c-3.png'>"#);
        assert_eq!(names(&out), ["a b&c-1.png", "b-2.mp3", "c-3.png"]);
    }
}
