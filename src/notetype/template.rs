//! Anki's card template syntax, parsed the way `rslib/src/template.rs` parses it: `{{Field}}`,
//! `{{filter:other:Field}}` (filters listed right to left, in the order they apply),
//! `{{#Field}}…{{/Field}}`, `{{^Field}}…{{/Field}}`, `<!-- comments -->` and the legacy
//! `{{=<% %>=}}` delimiters. Card generation asks one question of a parsed question side: does it
//! render non-empty for a set of non-empty fields (`renders_with`)? Validation asks which fields
//! it names, and where. A preview renderer can walk the same nodes later.
//!
//! Details that decide which cards Anki creates are copied on purpose: a `{{` without a later
//! `}}` is plain text, leading `{` and surrounding spaces of a tag are dropped, a tag shorter than
//! two bytes is a plain replacement, and a section closes only on the exact name it opened with.

/// Where a node starts in the template text (a byte offset), for error messages.
pub type Offset = usize;

/// One node of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Text(String),
    Comment(String),
    /// `{{a:b:Key}}`: `filters` is `["b", "a"]`, the order they apply.
    Replacement {
        key: String,
        filters: Vec<String>,
        at: Offset,
    },
    /// `{{#Key}}…{{/Key}}`
    Conditional {
        key: String,
        children: Vec<Node>,
        at: Offset,
    },
    /// `{{^Key}}…{{/Key}}`
    Negated {
        key: String,
        children: Vec<Node>,
        at: Offset,
    },
}

/// A template that parsed; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTemplate(pub Vec<Node>);

/// Why a template does not parse (Anki refuses to save such a template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// `{{/closed}}` with no open section of that name.
    NotOpen { closed: String, open: Option<String>, at: Offset },
    /// `{{#open}}` or `{{^open}}` never closed.
    NotClosed { open: String, at: Offset },
}

const ALT_DIRECTIVE: &str = "{{=<% %>=}}";
const COMMENT_START: &str = "<!--";
const COMMENT_END: &str = "-->";

enum Token<'a> {
    Text(&'a str),
    Comment(&'a str),
    Replacement(&'a str),
    Open(&'a str),
    OpenNegated(&'a str),
    Close(&'a str),
}

/// Splits `text` into tokens with their byte offsets, as Anki's `tokens()` does.
fn tokenize(template: &str) -> Vec<(Offset, Token<'_>)> {
    let trimmed = template.trim_start();
    let (mut rest, open_tag, close_tag) = if trimmed.starts_with(ALT_DIRECTIVE) {
        (trimmed.trim_start_matches(ALT_DIRECTIVE), "<%", "%>")
    } else {
        (template, "{{", "}}")
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        // `rest` is always a suffix of `template`.
        let start = template.len() - rest.len();
        let mut found = None;
        // Once no closing tag follows an opening one, none follows a later one either: stop
        // looking (keeps a long template with a stray `{{` linear).
        let (mut tags_possible, mut comments_possible) = (true, true);
        for (i, _) in rest.char_indices() {
            let here = &rest[i..];
            if tags_possible && let Some(inner) = here.strip_prefix(open_tag) {
                match inner.find(close_tag) {
                    Some(end) => {
                        let len = open_tag.len() + end + close_tag.len();
                        found = Some((i, classify(&inner[..end]), len));
                        break;
                    }
                    None => tags_possible = false,
                }
            }
            if comments_possible && let Some(inner) = here.strip_prefix(COMMENT_START) {
                match inner.find(COMMENT_END) {
                    Some(end) => {
                        let len = COMMENT_START.len() + end + COMMENT_END.len();
                        found = Some((i, Token::Comment(&inner[..end]), len));
                        break;
                    }
                    None => comments_possible = false,
                }
            }
            if !tags_possible && !comments_possible {
                break;
            }
        }
        match found {
            None => {
                out.push((start, Token::Text(rest)));
                rest = "";
            }
            Some((i, token, len)) => {
                if i > 0 {
                    out.push((start, Token::Text(&rest[..i])));
                }
                out.push((start + i, token));
                rest = &rest[i + len..];
            }
        }
    }
    out
}

/// Anki's `classify_handle`.
fn classify(inside: &str) -> Token<'_> {
    let s = inside.trim_start_matches('{').trim();
    if s.len() < 2 {
        return Token::Replacement(s);
    }
    if let Some(key) = s.strip_prefix('#') {
        Token::Open(key.trim_start())
    } else if let Some(key) = s.strip_prefix('/') {
        Token::Close(key.trim_start())
    } else if let Some(key) = s.strip_prefix('^') {
        Token::OpenNegated(key.trim_start())
    } else {
        Token::Replacement(s)
    }
}

impl ParsedTemplate {
    /// Parses a template; the error says which section is unbalanced and where.
    pub fn parse(text: &str) -> Result<ParsedTemplate, ParseError> {
        let mut tokens = tokenize(text).into_iter();
        Ok(ParsedTemplate(parse_inner(&mut tokens, None)?))
    }

    /// True if the template renders something when exactly the keys for which `nonempty`
    /// answers true have content (Anki's `renders_with_fields`: text alone never counts).
    pub fn renders_with(&self, nonempty: &dyn Fn(&str) -> bool) -> bool {
        !is_empty(&self.0, nonempty, true)
    }

    /// As `renders_with`, but `{{^F}}` sections always count as open: the legacy `req` rule.
    pub(crate) fn renders_with_for_reqs(&self, nonempty: &dyn Fn(&str) -> bool) -> bool {
        !is_empty(&self.0, nonempty, false)
    }

    /// Every field name the template uses, in replacements and (except `{{#c1}}`-style cloze
    /// conditionals) in sections, with where it appears first.
    pub fn referenced_names(&self) -> Vec<(&str, Offset)> {
        let mut out = Vec::new();
        references(&self.0, &mut out, false);
        out
    }

    /// The fields the template passes through the `cloze` filter.
    pub fn cloze_fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        references(&self.0, &mut out, true);
        out.into_iter().map(|(name, _)| name).collect()
    }

    /// True if some set of non-empty fields makes the template render. `can_fill(key)` says
    /// whether `key` can ever have content (a note field or a special field Anki fills).
    pub fn can_render(&self, can_fill: &dyn Fn(&str) -> bool) -> bool {
        satisfiable(&self.0, can_fill, &mut Vec::new(), &mut Vec::new())
    }
}

fn parse_inner<'a>(
    tokens: &mut impl Iterator<Item = (Offset, Token<'a>)>,
    open: Option<(&'a str, Offset)>,
) -> Result<Vec<Node>, ParseError> {
    let mut nodes = Vec::new();
    while let Some((at, token)) = tokens.next() {
        nodes.push(match token {
            Token::Text(t) => Node::Text(t.to_string()),
            Token::Comment(t) => Node::Comment(t.to_string()),
            Token::Replacement(t) => {
                let mut parts = t.rsplit(':');
                let key = parts.next().unwrap_or_default().to_string();
                Node::Replacement { key, filters: parts.map(str::to_string).collect(), at }
            }
            Token::Open(key) => {
                let children = parse_inner(tokens, Some((key, at)))?;
                Node::Conditional { key: key.to_string(), children, at }
            }
            Token::OpenNegated(key) => {
                let children = parse_inner(tokens, Some((key, at)))?;
                Node::Negated { key: key.to_string(), children, at }
            }
            Token::Close(closed) => {
                if let Some((name, _)) = open
                    && name == closed
                {
                    return Ok(nodes);
                }
                let open = open.map(|(name, _)| name.to_string());
                return Err(ParseError::NotOpen { closed: closed.to_string(), open, at });
            }
        });
    }
    match open {
        Some((name, at)) => Err(ParseError::NotClosed { open: name.to_string(), at }),
        None => Ok(nodes),
    }
}

/// Anki's `template_is_empty`.
fn is_empty(nodes: &[Node], nonempty: &dyn Fn(&str) -> bool, check_negated: bool) -> bool {
    for node in nodes {
        match node {
            Node::Text(_) | Node::Comment(_) => {}
            Node::Replacement { key, .. } => {
                if nonempty(key) {
                    return false;
                }
            }
            Node::Conditional { key, children, .. } => {
                if nonempty(key) && !is_empty(children, nonempty, check_negated) {
                    return false;
                }
            }
            Node::Negated { key, children, .. } => {
                if check_negated && nonempty(key) {
                    continue;
                }
                if !is_empty(children, nonempty, check_negated) {
                    return false;
                }
            }
        }
    }
    true
}

/// A replacement renders when its key has content, every enclosing `{{#K}}` has content and no
/// enclosing `{{^K}}` does: true if that is possible for some replacement.
fn satisfiable<'a>(
    nodes: &'a [Node],
    can_fill: &dyn Fn(&str) -> bool,
    must: &mut Vec<&'a str>,
    must_not: &mut Vec<&'a str>,
) -> bool {
    for node in nodes {
        let found = match node {
            Node::Text(_) | Node::Comment(_) => false,
            Node::Replacement { key, .. } => {
                can_fill(key)
                    && !must_not.contains(&key.as_str())
                    && must.iter().all(|k| can_fill(k) && !must_not.contains(k))
            }
            Node::Conditional { key, children, .. } => {
                must.push(key);
                let found = satisfiable(children, can_fill, must, must_not);
                must.pop();
                found
            }
            Node::Negated { key, children, .. } => {
                must_not.push(key);
                let found = satisfiable(children, can_fill, must, must_not);
                must_not.pop();
                found
            }
        };
        if found {
            return true;
        }
    }
    false
}

/// Anki's `find_field_references`; `{{#c1}}` conditionals are cloze tests, not fields.
fn references<'a>(nodes: &'a [Node], out: &mut Vec<(&'a str, Offset)>, cloze_only: bool) {
    fn add<'a>(out: &mut Vec<(&'a str, Offset)>, name: &'a str, at: Offset) {
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, at));
        }
    }
    for node in nodes {
        match node {
            Node::Text(_) | Node::Comment(_) => {}
            Node::Replacement { key, filters, at } => {
                if !cloze_only || filters.iter().any(|f| f == "cloze") {
                    add(out, key, *at);
                }
            }
            Node::Conditional { key, children, at } | Node::Negated { key, children, at } => {
                if !cloze_only && !is_cloze_conditional(key) {
                    add(out, key, *at);
                }
                references(children, out, cloze_only);
            }
        }
    }
}

fn is_cloze_conditional(key: &str) -> bool {
    key.strip_prefix('c').is_some_and(|n| n.parse::<u32>().is_ok())
}

/// Anki's `field_is_empty`: only ASCII whitespace and `<br>`/`<div>` tags (any case, optional
/// `/` before the name, optional space and `/` before `>`).
pub fn field_is_empty(text: &str) -> bool {
    let mut rest = text.as_bytes();
    loop {
        match rest.first() {
            None => return true,
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') => rest = &rest[1..],
            Some(b'<') => match empty_tag_len(rest) {
                Some(len) => rest = &rest[len..],
                None => return false,
            },
            Some(_) => return false,
        }
    }
}

/// The length of `</?(br|div) ?/?>` at the start of `s`, case-insensitive.
fn empty_tag_len(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    if s.get(i) == Some(&b'/') {
        i += 1;
    }
    let name_len = [&b"br"[..], &b"div"[..]]
        .iter()
        .find(|name| s.len() >= i + name.len() && s[i..i + name.len()].eq_ignore_ascii_case(name))?
        .len();
    i += name_len;
    if s.get(i) == Some(&b' ') {
        i += 1;
    }
    if s.get(i) == Some(&b'/') {
        i += 1;
    }
    (s.get(i) == Some(&b'>')).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedTemplate {
        ParsedTemplate::parse(text).unwrap()
    }

    fn renders(text: &str, fields: &[&str]) -> bool {
        parse(text).renders_with(&|k| fields.contains(&k))
    }

    #[test]
    fn filters_are_listed_in_the_order_they_apply() {
        let t = parse("a {{text:cloze:Text}} b");
        assert_eq!(
            t.0[1],
            Node::Replacement { key: "Text".into(), filters: vec!["cloze".into(), "text".into()], at: 2 }
        );
    }

    #[test]
    fn an_unclosed_brace_pair_is_text_and_extra_braces_are_dropped() {
        assert_eq!(parse("{{Front").0, vec![Node::Text("{{Front".into())]);
        assert!(matches!(&parse("{{{ Front }}}").0[0], Node::Replacement { key, .. } if key == "Front"));
    }

    #[test]
    fn sections_must_close_on_the_name_they_opened_with() {
        assert!(matches!(
            ParsedTemplate::parse("{{#A}}x{{/B}}"),
            Err(ParseError::NotOpen { closed, open: Some(open), at: 7 }) if closed == "B" && open == "A"
        ));
        assert!(matches!(ParsedTemplate::parse("x\n{{^A}}"), Err(ParseError::NotClosed { at: 2, .. })));
        assert!(matches!(ParsedTemplate::parse("{{/A}}"), Err(ParseError::NotOpen { open: None, .. })));
    }

    #[test]
    fn a_stray_opening_tag_keeps_the_rest_as_text() {
        let text = format!("{}{{{{Front}}", "{{ x ".repeat(20_000));
        assert_eq!(parse(&text).0, vec![Node::Text(text.clone())]);
        assert_eq!(parse("<!-- a {{Front}}").0.len(), 2);
    }

    #[test]
    fn comments_hide_tags_and_legacy_delimiters_are_understood() {
        assert!(!renders("<!-- {{Front}} -->", &["Front"]));
        assert!(renders("{{=<% %>=}}<%Front%> {{Back}}", &["Front"]));
        assert!(!renders("{{=<% %>=}}{{Front}}", &["Front"]));
    }

    #[test]
    fn a_question_renders_only_through_a_non_empty_field() {
        let q = "{{#Section}}{{Section}}{{/Section}} {{Front}}";
        assert!(renders(q, &["Front"]));
        assert!(renders(q, &["Section"]));
        assert!(!renders(q, &["Back"]));
        assert!(!renders("{{#A}}{{B}}{{/A}}", &["B"]));
        assert!(renders("{{^A}}{{B}}{{/A}}", &["B"]));
        assert!(!renders("{{^A}}{{B}}{{/A}}", &["A", "B"]));
        assert!(!renders("just text", &["Front"]));
    }

    #[test]
    fn can_render_finds_contradictions() {
        let can = |k: &str| k != "FrontSide";
        assert!(!parse("{{#A}}{{^A}}{{B}}{{/A}}{{/A}}").can_render(&can));
        assert!(!parse("{{^A}}{{A}}{{/A}} {{FrontSide}}").can_render(&can));
        assert!(parse("{{^A}}{{B}}{{/A}}").can_render(&can));
    }

    #[test]
    fn referenced_names_skip_cloze_conditionals() {
        let t = parse("{{#c1}}x{{/c1}}{{#A}}{{cloze:B}}{{/A}}{{B}}");
        assert_eq!(t.referenced_names(), vec![("A", 15), ("B", 21)]);
        assert_eq!(t.cloze_fields(), vec!["B"]);
    }

    #[test]
    fn empty_fields_follow_ankis_rule() {
        for empty in ["", " ", "<BR>", "<div />", " <div> <br> </div>\n", "</div><br/>"] {
            assert!(field_is_empty(empty), "{empty:?}");
        }
        for full in ["x", " <div>x</div>\n", "&nbsp;", "\u{a0}", "<br/ >", "<p></p>"] {
            assert!(!field_is_empty(full), "{full:?}");
        }
    }
}
