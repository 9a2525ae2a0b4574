//! The user's own note types: fields, a stylesheet and templates read from files, validated
//! before anything is written. Anki would silently rewrite a name it dislikes (and ankideck's
//! ids and field order would then no longer match what Anki holds), or refuse the note type on
//! import, or create cards nobody can see; each of those is an error here, naming the template
//! file and the line within it.
//!
//! Ids are derived from names, so they are stable across builds and machines:
//! - note type: `2^52 + (xxh3_64("ankideck notetype\x1f" + name) mod 2^52)` (below 2^53, so
//!   JavaScript reads it exactly; built-in ids are millisecond timestamps, far below 2^52);
//! - field: `xxh3_64("ankideck field\x1f" + note type name + "\x1f" + field name)` as i64;
//! - template: `xxh3_64("ankideck template\x1f" + note type name + "\x1f" + template name)` as i64.
//!
//! Renaming a note type therefore makes a new note type in Anki, and renaming a field or a
//! template is, for Anki, a removal and an addition; reordering keeps every id.

use super::cardgen::SPECIAL_FIELDS;
use super::template::{Offset, ParseError, ParsedTemplate};
use super::{BUILTIN_NAMES, Field, Notetype, NotetypeKind, Template};
use crate::ids::NotetypeId;
use std::path::{Path, PathBuf};
use unicode_normalization::is_nfc;
use xxhash_rust::xxh3::xxh3_64;

/// The text of a file and where it came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    pub path: PathBuf,
    pub text: String,
}

/// One card template of a custom note type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTemplate {
    pub name: String,
    pub front: SourceText,
    pub back: SourceText,
}

/// A custom note type as the settings describe it (files already read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomNotetype {
    pub name: String,
    pub kind: NotetypeKind,
    pub fields: Vec<String>,
    pub css: String,
    pub templates: Vec<CustomTemplate>,
}

/// Why a custom note type is refused. Template errors name the file and the line in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotetypeError {
    #[error("note type `{notetype}`: the {what} name {name:?} {reason}; choose another name")]
    BadName { notetype: String, what: &'static str, name: String, reason: String },
    #[error("note type `{notetype}`: two {what}s are named {name:?} (Anki ignores case); rename one")]
    Duplicate { notetype: String, what: &'static str, name: String },
    #[error("note type `{notetype}` has no {what}; give it at least one")]
    Missing { notetype: String, what: &'static str },
    #[error("note type `{notetype}` is a cloze type with {count} templates; a cloze type has exactly one")]
    ClozeTemplates { notetype: String, count: usize },
    #[error("{}:{line}: {message}", path.display())]
    Syntax { path: PathBuf, line: usize, message: String },
    #[error(
        "{}:{line}: `{field}` is not a field of note type `{notetype}` (its fields: {known}); fix the name or add the field",
        path.display()
    )]
    UnknownField { path: PathBuf, line: usize, notetype: String, field: String, known: String },
    #[error("{}:1: the front names no field, so every card would be blank; use a field such as `{{{{{example}}}}}`", path.display())]
    NoField { path: PathBuf, example: String },
    #[error(
        "{}:1: the front can never show a field (every field it uses sits in a section that cannot be open), so it makes no card; fix its `{{{{#…}}}}`/`{{{{^…}}}}` sections",
        path.display()
    )]
    NeverRenders { path: PathBuf },
    #[error("{}:1: the front is the same as {}'s, so both cards would be the same; make them differ", path.display(), other.display())]
    SameFront { path: PathBuf, other: PathBuf },
    #[error("{}:1: a cloze note type needs `{{{{cloze:FIELD}}}}` on the {side}; add it", path.display())]
    NoCloze { path: PathBuf, side: &'static str },
}

impl Notetype {
    /// A custom note type, validated (see the module docs for the rules and the ids).
    pub fn custom(def: &CustomNotetype) -> Result<Notetype, NotetypeError> {
        let nt = def.name.as_str();
        let bad = |what, name: &str, reason: &str| NotetypeError::BadName {
            notetype: nt.to_string(),
            what,
            name: name.to_string(),
            reason: reason.to_string(),
        };
        if let Some(reason) = name_problem(nt, &['"']) {
            return Err(bad("note type", nt, reason));
        }
        if BUILTIN_NAMES.iter().any(|b| b.eq_ignore_ascii_case(nt))
            || nt.to_lowercase().starts_with("ankideck ")
        {
            return Err(bad("note type", nt, "is taken by a built-in note type"));
        }
        for (what, names) in [
            ("field", def.fields.iter().map(String::as_str).collect::<Vec<_>>()),
            ("template", def.templates.iter().map(|t| t.name.as_str()).collect()),
        ] {
            if names.is_empty() {
                return Err(NotetypeError::Missing { notetype: nt.to_string(), what });
            }
            for (i, name) in names.iter().enumerate() {
                let problem =
                    if what == "field" { field_name_problem(name) } else { name_problem(name, &['"']) };
                if let Some(reason) = problem {
                    return Err(bad(what, name, reason));
                }
                if names[..i].iter().any(|other| other.to_lowercase() == name.to_lowercase()) {
                    return Err(NotetypeError::Duplicate {
                        notetype: nt.to_string(),
                        what,
                        name: name.to_string(),
                    });
                }
            }
        }
        if def.kind == NotetypeKind::Cloze && def.templates.len() != 1 {
            return Err(NotetypeError::ClozeTemplates {
                notetype: nt.to_string(),
                count: def.templates.len(),
            });
        }

        let mut templates = Vec::with_capacity(def.templates.len());
        for (i, t) in def.templates.iter().enumerate() {
            let question = parse(&t.front)?;
            let answer = parse(&t.back)?;
            check_fields(def, &t.front, &question)?;
            check_fields(def, &t.back, &answer)?;
            if question.referenced_names().is_empty() {
                return Err(NotetypeError::NoField {
                    path: t.front.path.clone(),
                    example: def.fields[0].clone(),
                });
            }
            match def.kind {
                NotetypeKind::Normal => {
                    let can_fill = |key: &str| {
                        key != "FrontSide" && (is_field(def, key) || SPECIAL_FIELDS.contains(&key))
                    };
                    if !question.can_render(&can_fill) {
                        return Err(NotetypeError::NeverRenders { path: t.front.path.clone() });
                    }
                }
                NotetypeKind::Cloze => {
                    for (side, source, parsed) in [("front", &t.front, &question), ("back", &t.back, &answer)]
                    {
                        if parsed.cloze_fields().is_empty() {
                            return Err(NotetypeError::NoCloze { path: source.path.clone(), side });
                        }
                    }
                }
            }
            // Anki refuses two templates with the same front unless it shows `{{Card}}`.
            if let Some(other) = def.templates[..i].iter().find(|o| o.front.text == t.front.text)
                && !shows_card_name(&t.front.text)
            {
                return Err(NotetypeError::SameFront {
                    path: t.front.path.clone(),
                    other: other.front.path.clone(),
                });
            }
            let id = derived_id("template", nt, &t.name);
            let template =
                Template::new(&t.name, id, &t.front.text, &t.back.text).expect("the question parsed above");
            templates.push(template);
        }

        let fields =
            def.fields.iter().map(|f| Field { name: f.clone(), id: derived_id("field", nt, f) }).collect();
        Ok(Notetype {
            id: custom_notetype_id(nt),
            name: nt.to_string(),
            kind: def.kind,
            fields,
            templates,
            css: def.css.clone(),
        })
    }
}

/// The id of the custom note type named `name` (module docs).
pub fn custom_notetype_id(name: &str) -> NotetypeId {
    const LOW: u64 = 1 << 52;
    let hash = xxh3_64(format!("ankideck notetype\x1f{name}").as_bytes());
    NotetypeId((LOW + hash % LOW) as i64)
}

fn derived_id(what: &str, notetype: &str, name: &str) -> i64 {
    xxh3_64(format!("ankideck {what}\x1f{notetype}\x1f{name}").as_bytes()) as i64
}

fn is_field(def: &CustomNotetype, key: &str) -> bool {
    def.fields.iter().any(|f| f == key)
}

fn shows_card_name(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find("}}")
            && rest[..end].trim() == "Card"
        {
            return true;
        }
    }
    false
}

/// What Anki would change in a note type or template name, if anything.
fn name_problem(name: &str, bad: &[char]) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.contains(bad) {
        Some("contains `\"`, which Anki removes")
    } else if !is_nfc(name) {
        Some("is not in Unicode NFC form, so Anki would rewrite it")
    } else {
        None
    }
}

/// What Anki would change in a field name (`NoteField::fix_name`), or why ankideck refuses it.
fn field_name_problem(name: &str) -> Option<&'static str> {
    if let Some(problem) = name_problem(name, &[':', '{', '}', '"']) {
        return Some(if problem.starts_with("contains") {
            "contains `:`, `{`, `}` or `\"`, which Anki removes from field names"
        } else {
            problem
        });
    }
    if name.trim() != name {
        Some("starts or ends with a space, which Anki removes")
    } else if name.starts_with(['#', '/', '^']) {
        Some("starts with `#`, `/` or `^`, which Anki removes from field names")
    } else if SPECIAL_FIELDS.contains(&name) {
        Some(
            "is one of the fields Anki fills itself (FrontSide, Card, CardFlag, Deck, Subdeck, Tags, Type, CardID)",
        )
    } else {
        None
    }
}

fn line_of(text: &str, at: Offset) -> usize {
    text[..at].matches('\n').count() + 1
}

fn parse(source: &SourceText) -> Result<ParsedTemplate, NotetypeError> {
    ParsedTemplate::parse(&source.text).map_err(|e| {
        let (at, message) = match e {
            ParseError::NotOpen { closed, open: Some(open), at } => {
                (at, format!("`{{{{/{closed}}}}}` closes nothing: the open section is `{open}`; close it with `{{{{/{open}}}}}` first"))
            }
            ParseError::NotOpen { closed, open: None, at } => (
                at,
                format!("`{{{{/{closed}}}}}` closes nothing; open it with `{{{{#{closed}}}}}` or `{{{{^{closed}}}}}`, or remove it"),
            ),
            ParseError::NotClosed { open, at } => {
                (at, format!("the section `{open}` opened here is never closed; add `{{{{/{open}}}}}`"))
            }
        };
        NotetypeError::Syntax { path: source.path.clone(), line: line_of(&source.text, at), message }
    })
}

/// Every name the template uses is a field of the note type or a special field (Anki's
/// `first_unknown_field_name`; the empty name is left to add-ons, as Anki does).
fn check_fields(
    def: &CustomNotetype,
    source: &SourceText,
    parsed: &ParsedTemplate,
) -> Result<(), NotetypeError> {
    for (name, at) in parsed.referenced_names() {
        if !name.is_empty() && !SPECIAL_FIELDS.contains(&name) && !is_field(def, name) {
            return Err(NotetypeError::UnknownField {
                path: source.path.clone(),
                line: line_of(&source.text, at),
                notetype: def.name.clone(),
                field: name.to_string(),
                known: def.fields.join(", "),
            });
        }
    }
    Ok(())
}

impl SourceText {
    /// The text `text` read from `path`.
    pub fn new(path: impl AsRef<Path>, text: &str) -> SourceText {
        SourceText { path: path.as_ref().to_path_buf(), text: text.to_string() }
    }
}
