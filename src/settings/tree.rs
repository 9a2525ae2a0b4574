//! The settings file as a tree of spanned keys and values (toml's `DeTable`), kept beside the
//! typed reading so that every error can name the key it is about and where it is: serde's
//! errors carry a byte span only, and validation needs the span of a value it found wrong.

use super::error::{Position, did_you_mean, list};
use super::file::{DECK_KEYS, DEFAULTS_KEYS, FILE_KEYS, NOTETYPE_KEYS, TEMPLATE_KEYS};
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// What a deck's table is called in messages.
const DECK_WHAT: &str = "a [decks.<file stem>] table";

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// A dotted key path as the user would write it: `decks.history.tags[1]`.
pub(super) fn dotted(path: &[Step]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !text.is_empty() {
                    text.push('.');
                }
                // A key that is not a bare TOML key is shown quoted, as the user must write it.
                let bare =
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                match bare {
                    true => text.push_str(k),
                    false => text.push_str(&format!("{k:?}")),
                }
            }
            Step::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

/// A key the table it is in does not have.
pub(super) struct UnknownKey {
    pub span: Range<usize>,
    pub path: Vec<Step>,
    pub message: String,
    pub hint: String,
}

/// The parsed file.
pub(super) struct Tree<'i> {
    pub text: &'i str,
    root: DeTable<'i>,
}

impl<'i> Tree<'i> {
    /// Parses `text`; a syntax error comes back with its span and toml's message.
    pub fn parse(text: &'i str) -> Result<Tree<'i>, (Option<Range<usize>>, String)> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Tree { text, root: root.into_inner() }),
            Err(e) => Err((e.span(), e.message().trim_end().to_string())),
        }
    }

    /// The position of byte `offset`.
    pub fn position(&self, offset: usize) -> Position {
        Position::of(self.text, offset)
    }

    /// The first unknown key in file order, if any.
    pub fn first_unknown_key(&self) -> Option<UnknownKey> {
        let mut found = Vec::new();
        check_keys(&self.root, &mut Vec::new(), FILE_KEYS, "the top level", &mut found);
        for (key, value) in self.root.iter() {
            let mut path = vec![Step::Key(key.get_ref().to_string())];
            match (key.get_ref().as_ref(), value.get_ref()) {
                ("defaults", DeValue::Table(t)) => {
                    check_keys(t, &mut path, DEFAULTS_KEYS, "[defaults]", &mut found)
                }
                ("decks", DeValue::Table(decks)) => {
                    each_table(decks, &mut path, &mut found, |t, path, found| {
                        check_keys(t, path, DECK_KEYS, DECK_WHAT, found)
                    })
                }
                ("notetypes", DeValue::Table(types)) => {
                    each_table(types, &mut path, &mut found, check_notetype)
                }
                _ => {}
            }
        }
        found.into_iter().min_by_key(|u| u.span.start)
    }

    /// The span of the key at `path` (or of its value when `value`), if it is in the file.
    pub fn span_of(&self, path: &[Step], value: bool) -> Option<Range<usize>> {
        let (first, rest) = path.split_first()?;
        let Step::Key(first) = first else { return None };
        let (key, mut current) = self.root.iter().find(|(k, _)| k.get_ref() == first.as_str())?;
        let mut key_span = Some(key.span());
        for step in rest {
            let (key, next) = child(current.get_ref(), step)?;
            key_span = key;
            current = next;
        }
        match (value, key_span) {
            (false, Some(key)) => Some(key),
            _ => Some(current.span()),
        }
    }

    /// The key path of the deepest key or value whose span holds byte `offset` (the spans of
    /// tables opened by a `[header]` do not hold their keys, so every branch is searched).
    pub fn path_at(&self, offset: usize) -> Vec<Step> {
        let mut path = Vec::new();
        search_table(&self.root, offset, &mut path);
        path
    }

    /// The `[decks.<stem>]` tables, with the span of each stem.
    pub fn deck_keys(&self) -> Vec<(String, Range<usize>)> {
        let decks = self.root.iter().find(|(k, _)| k.get_ref() == "decks");
        match decks.map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(t)) => t.iter().map(|(k, _)| (k.get_ref().to_string(), k.span())).collect(),
            _ => Vec::new(),
        }
    }
}

/// Whether `offset` is in `table` or below, with its path pushed onto `path` when it is.
fn search_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<Step>) -> bool {
    table.iter().any(|(k, v)| search(Step::Key(k.get_ref().to_string()), Some(k.span()), v, offset, path))
}

/// Whether `offset` is in `value` (reached by `step`, whose key has `key_span`) or below.
fn search(
    step: Step,
    key_span: Option<Range<usize>>,
    value: &Spanned<DeValue<'_>>,
    offset: usize,
    path: &mut Vec<Step>,
) -> bool {
    path.push(step);
    let below = match value.get_ref() {
        DeValue::Table(t) => search_table(t, offset, path),
        DeValue::Array(a) => a.iter().enumerate().any(|(i, v)| search(Step::Index(i), None, v, offset, path)),
        _ => false,
    };
    if below || value.span().contains(&offset) || key_span.is_some_and(|s| s.contains(&offset)) {
        return true;
    }
    path.pop();
    false
}

/// The child of a table (with its key's span) or of an array at `step`.
fn child<'a, 'i>(
    parent: &'a DeValue<'i>,
    step: &Step,
) -> Option<(Option<Range<usize>>, &'a Spanned<DeValue<'i>>)> {
    match (parent, step) {
        (DeValue::Table(t), Step::Key(name)) => {
            t.iter().find(|(k, _)| k.get_ref() == name.as_str()).map(|(k, v)| (Some(k.span()), v))
        }
        (DeValue::Array(a), Step::Index(i)) => a.get(*i).map(|v| (None, v)),
        _ => None,
    }
}

/// Calls `check` on every value of `tables` that is a table, with its path.
fn each_table(
    tables: &DeTable<'_>,
    path: &mut Vec<Step>,
    found: &mut Vec<UnknownKey>,
    check: impl Fn(&DeTable<'_>, &mut Vec<Step>, &mut Vec<UnknownKey>),
) {
    for (name, value) in tables.iter() {
        if let DeValue::Table(t) = value.get_ref() {
            path.push(Step::Key(name.get_ref().to_string()));
            check(t, path, found);
            path.pop();
        }
    }
}

/// A `[notetypes.<name>]` table and each of its templates.
fn check_notetype(t: &DeTable<'_>, path: &mut Vec<Step>, found: &mut Vec<UnknownKey>) {
    check_keys(t, path, NOTETYPE_KEYS, "a [notetypes.<name>] table", found);
    let templates = t.iter().find(|(k, _)| k.get_ref() == "templates");
    if let Some(DeValue::Array(a)) = templates.map(|(_, v)| v.get_ref()) {
        path.push(Step::Key("templates".into()));
        for (i, template) in a.iter().enumerate() {
            if let DeValue::Table(t) = template.get_ref() {
                path.push(Step::Index(i));
                check_keys(t, path, TEMPLATE_KEYS, "a template", found);
                path.pop();
            }
        }
        path.pop();
    }
}

/// Records every key of `table` that is not in `known`.
fn check_keys(
    table: &DeTable<'_>,
    path: &mut Vec<Step>,
    known: &[&str],
    what: &str,
    found: &mut Vec<UnknownKey>,
) {
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        if known.contains(&name) {
            continue;
        }
        let hint = match (what, name, value.get_ref()) {
            ("[defaults]", "name" | "description", _) => {
                format!("`{name}` is set per deck: put it in the deck's [decks.<file stem>] table")
            }
            // `[decks.my.deck]` is the table `deck` inside the deck `my`.
            (DECK_WHAT, _, DeValue::Table(_)) => {
                "a file stem with a dot in it is quoted: `[decks.\"my.deck\"]`".to_string()
            }
            _ => match did_you_mean(name, known.iter().copied()) {
                Some(near) => format!("did you mean `{near}`? The keys of {what} are {}", list(known)),
                None => format!("the keys of {what} are {}", list(known)),
            },
        };
        path.push(Step::Key(name.to_string()));
        found.push(UnknownKey {
            span: key.span(),
            path: path.clone(),
            message: format!("unknown key `{name}` in {what}"),
            hint,
        });
        path.pop();
    }
}
