//! Anki's built-in template filters (`rslib/src/template_filters.rs`) and the HTML stripping
//! they use (`rslib/src/text.rs`). Filters apply in the order `template::Node` lists them (the
//! one nearest the field first). Anki's Python layer renders cards with "partial" rendering: the
//! first filter it does not know stops the built-in ones, and what is left goes to add-on hooks,
//! which (with no add-ons) leave the text as it is. So `{{text:unknown:F}}` shows the field
//! unstripped and `{{unknown:text:F}}` stripped; ours does the same.

use super::cloze;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What the filters need to know of the card being rendered.
pub(super) struct FilterContext {
    /// The card's ordinal (0-based, Anki's `card_ord`).
    pub ord: u16,
    /// True on the question side (Anki: no front side known yet).
    pub question: bool,
}

/// The field `text` of `field_name` through `filters` (in the order they apply).
pub(super) fn apply_filters<'a>(
    text: &'a str,
    filters: &[String],
    field_name: &str,
    context: &FilterContext,
) -> Cow<'a, str> {
    let names: Vec<&str> = filters.iter().map(String::as_str).collect();
    // `type:cloze:F` and `type:nc:F` are types of their own; any other list ending in `type`
    // is `type` alone (Anki's `apply_filters`).
    let names: &[&str] = match names.as_slice() {
        ["cloze", "type"] => &["type-cloze"],
        ["nc", "type"] => &["type-nc"],
        [.., "type"] => &["type"],
        names => names,
    };
    let mut text: Cow<str> = Cow::Borrowed(text);
    for name in names {
        match apply_filter(name, &text, field_name, context) {
            Filtered::Unchanged => {}
            Filtered::Changed(output) => text = Cow::Owned(output),
            // The rest goes to add-on hooks, which leave the text unchanged.
            Filtered::Unknown => break,
        }
    }
    text
}

enum Filtered {
    Unchanged,
    Changed(String),
    Unknown,
}

fn apply_filter(name: &str, text: &str, field_name: &str, context: &FilterContext) -> Filtered {
    let output: Cow<str> = match name {
        "text" => strip_html(text),
        "furigana" => Cow::Owned(ruby(text, Ruby::Furigana)),
        "kanji" => Cow::Owned(ruby(text, Ruby::Kanji)),
        "kana" => Cow::Owned(ruby(text, Ruby::Kana)),
        "type" => Cow::Owned(format!("[[type:{field_name}]]")),
        "type-cloze" => Cow::Owned(format!("[[type:cloze:{field_name}]]")),
        "type-nc" => Cow::Owned(format!("[[type:nc:{field_name}]]")),
        "hint" => hint(text, field_name),
        "cloze" => Cow::Owned(cloze::cloze_filter(text, context.ord, context.question)),
        "cloze-only" => Cow::Owned(cloze::cloze_only_filter(text, context.ord, context.question)),
        // An empty name (two colons in a row) is ignored.
        "" => Cow::Borrowed(text),
        _ => match name.strip_prefix("tts ") {
            Some(options) => Cow::Owned(format!("[anki:tts lang={options}]{text}[/anki:tts]")),
            None => return Filtered::Unknown,
        },
    };
    match output {
        Cow::Owned(output) => Filtered::Changed(output),
        Cow::Borrowed(_) => Filtered::Unchanged,
    }
}

#[derive(Clone, Copy)]
enum Ruby {
    Furigana,
    Kanji,
    Kana,
}

static FURIGANA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" ?([^ >]+?)\[(.+?)\]").expect("a valid pattern"));

/// `base[reading]` as ruby, or its base, or its reading; `[sound:…]` tags are left alone.
fn ruby(text: &str, kind: Ruby) -> String {
    FURIGANA
        .replace_all(&text.replace("&nbsp;", " "), |caps: &Captures| {
            if caps[2].starts_with("sound:") {
                return caps[0].to_string();
            }
            match kind {
                Ruby::Furigana => format!("<ruby><rb>{}</rb><rt>{}</rt></ruby>", &caps[1], &caps[2]),
                Ruby::Kanji => caps[1].to_string(),
                Ruby::Kana => caps[2].to_string(),
            }
        })
        .into_owned()
}

/// A link that shows the field when clicked; its element id is a hash of the text and name.
fn hint<'a>(text: &'a str, field_name: &str) -> Cow<'a, str> {
    if text.trim().is_empty() {
        return Cow::Borrowed(text);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(text.as_bytes());
    hasher.update(field_name.as_bytes());
    let id: String = hasher.finalize().as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect();
    Cow::Owned(format!(
        r##"
<a class=hint href="#"
onclick="this.style.display='none';
document.getElementById('hint{id}').style.display='block';
return false;" draggable=false>
{field_name}</a>
<div id="hint{id}" class=hint style="display: none">{text}</div>
"##
    ))
}

static HTML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?si)(<!--.*?-->)|(<style.*?>.*?</style>)|(<script.*?>.*?</script>)|(<.*?>)")
        .expect("a valid pattern")
});

/// Anki's `strip_html`: tags, comments, styles and scripts removed, entities decoded.
pub fn strip_html(html: &str) -> Cow<'_, str> {
    match strip_html_preserving_entities(html) {
        Cow::Borrowed(text) => decode_entities(text),
        Cow::Owned(text) => Cow::Owned(decode_entities(&text).into_owned()),
    }
}

/// Anki's `strip_html_preserving_entities`.
pub fn strip_html_preserving_entities(html: &str) -> Cow<'_, str> {
    HTML.replace_all(html, "")
}

/// Anki's `decode_entities`: every entity decoded and no-break spaces made spaces, or the text
/// unchanged when one entity is not valid.
pub fn decode_entities(html: &str) -> Cow<'_, str> {
    if !html.contains('&') {
        return Cow::Borrowed(html);
    }
    match htmlescape::decode_html(html) {
        Ok(text) => Cow::Owned(text.replace('\u{a0}', " ")),
        Err(_) => Cow::Borrowed(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str, filters: &[&str]) -> String {
        let filters: Vec<String> = filters.iter().map(|f| f.to_string()).collect();
        apply_filters(text, &filters, "Field", &FilterContext { ord: 0, question: true }).into_owned()
    }

    /// Anki's `template_filters.rs` tests `furigana`, `hint`, `typing` and `tts`.
    #[test]
    fn filters_render_as_in_ankis_own_tests() {
        let text = "test first[second] third[fourth]";
        assert_eq!(ruby(text, Ruby::Kana), "testsecondfourth");
        assert_eq!(ruby(text, Ruby::Kanji), "testfirstthird");
        assert_eq!(ruby("first[second]", Ruby::Furigana), "<ruby><rb>first</rb><rt>second</rt></ruby>");
        assert_eq!(ruby("a[sound:x.mp3]", Ruby::Kana), "a[sound:x.mp3]");
        assert_eq!(
            hint("foo", "field"),
            "\n<a class=hint href=\"#\"\nonclick=\"this.style.display='none';\ndocument.getElementById('hint83fe48607f0f3a66').style.display='block';\nreturn false;\" draggable=false>\nfield</a>\n<div id=\"hint83fe48607f0f3a66\" class=hint style=\"display: none\">foo</div>\n"
        );
        assert_eq!(hint(" ", "field"), " ");
        assert_eq!(filter("x", &["type"]), "[[type:Field]]");
        assert_eq!(filter("x", &["cloze", "type"]), "[[type:cloze:Field]]");
        assert_eq!(filter("x", &["nc", "type"]), "[[type:nc:Field]]");
        assert_eq!(filter("x", &["some", "unknown", "type"]), "[[type:Field]]");
        assert_eq!(
            filter("foo", &["tts en_US voices=Bob,Jane"]),
            "[anki:tts lang=en_US voices=Bob,Jane]foo[/anki:tts]"
        );
    }

    #[test]
    fn an_unknown_filter_stops_the_filters_after_it() {
        assert_eq!(filter("<b>b</b>", &["text", "unknown"]), "b");
        assert_eq!(filter("<b>b</b>", &["unknown", "text"]), "<b>b</b>");
        assert_eq!(filter("<b>b</b>", &["", "text"]), "b");
    }

    #[test]
    fn strip_html_drops_tags_comments_styles_and_decodes_entities() {
        assert_eq!(strip_html("a<br>b<!-- c --><style>x</style>&amp;&nbsp;&lt;"), "ab& <");
        // One invalid entity: Anki leaves every entity as it is.
        assert_eq!(strip_html("<i>&amp; &bogus;</i>"), "&amp; &bogus;");
        assert_eq!(strip_html_preserving_entities("<i>&lt;</i>"), "&lt;");
    }
}
