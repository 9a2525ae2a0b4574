//! From the text of `ankideck.toml` to validated [`Settings`]: syntax, unknown keys (from the
//! spanned tree, so the first one in the file is named), types (serde), then the values
//! themselves (note type names, tags, deck names, paths), each error at its key.

use super::error::{Position, Problem, SettingsError, did_you_mean, list};
use super::file::{DeckKeys, File, Kind, NotetypeKeys};
use super::tree::{Step, Tree, dotted};
use super::{
    BUILTIN_NOTETYPES, Builtin, CustomNotetype, DeckTable, Layer, NotetypeChoice, ProjectPath, Settings,
    TemplateFiles,
};
use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::sync::Arc;

/// The error for a settings file that is not UTF-8.
pub(super) fn not_utf8(path: &Path, e: &std::string::FromUtf8Error) -> SettingsError {
    let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
    let at = Position::of(&String::from_utf8_lossy(valid), valid.len());
    SettingsError::Invalid {
        problem: Problem::Syntax,
        file: path.to_path_buf(),
        at,
        key: None,
        message: "the file is not valid UTF-8".into(),
        hint: Some("save it as UTF-8 in your editor".into()),
    }
}

/// The file being validated, for errors at a key.
struct Checker<'t, 'i> {
    tree: &'t Tree<'i>,
    file: &'t Path,
}

impl Checker<'_, '_> {
    /// An error at the key `path` (at its value when `at_value`).
    fn error(
        &self,
        problem: Problem,
        path: &[Step],
        at_value: bool,
        message: String,
        hint: String,
    ) -> SettingsError {
        let offset = self.tree.span_of(path, at_value).map_or(0, |s| s.start);
        SettingsError::Invalid {
            problem,
            file: self.file.to_path_buf(),
            at: self.tree.position(offset),
            key: Some(dotted(path)),
            message,
            hint: Some(hint),
        }
    }
}

fn key(k: &str) -> Step {
    Step::Key(k.to_string())
}

pub(super) fn parse(text: &str, file: &Path) -> Result<Settings, SettingsError> {
    let tree = Tree::parse(text).map_err(|(span, message)| SettingsError::Invalid {
        problem: Problem::Syntax,
        file: file.to_path_buf(),
        at: Position::of(text, span.as_ref().map_or(0, |s| s.start)),
        key: None,
        message: match span.clone().and_then(|s| text.get(s)) {
            // toml names no key in this one; the span is the second occurrence.
            Some(key) if message == "duplicate key" => format!("not valid TOML: duplicate key `{key}`"),
            _ => format!("not valid TOML: {message}"),
        },
        hint: Some("see the commented example that `ankideck init` writes, or https://toml.io".into()),
    })?;
    let check = Checker { tree: &tree, file };
    if let Some(unknown) = tree.first_unknown_key() {
        let at = tree.position(unknown.span.start);
        let key = Some(dotted(&unknown.path));
        let (message, hint) = (unknown.message, Some(unknown.hint));
        return Err(SettingsError::Invalid {
            problem: Problem::UnknownKey,
            file: file.into(),
            at,
            key,
            message,
            hint,
        });
    }
    let raw: File = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let path = tree.path_at(offset);
        SettingsError::Invalid {
            problem: Problem::BadValue,
            file: file.to_path_buf(),
            at: tree.position(offset),
            key: (!path.is_empty()).then(|| dotted(&path)),
            message: in_toml_words(e.message()),
            hint: Some(value_hint(&path)),
        }
    })?;
    let base = file.parent().unwrap_or(Path::new(""));
    // Tables are checked by name, not in file order: of their errors, the first in the file is
    // reported, as it would be had they been checked in order.
    let mut errors = Vec::new();
    // A deck naming a note type whose table has an error is not a second error.
    let declared: Vec<String> = raw.notetypes.keys().cloned().collect();
    let mut notetypes = BTreeMap::new();
    for (name, keys) in raw.notetypes {
        match custom_notetype(&check, base, &name, keys) {
            Ok(custom) => drop(notetypes.insert(name, Arc::new(custom))),
            Err(e) => errors.push(e),
        }
    }
    let mut raw_defaults = raw.defaults;
    let assets = assets(&check, base, raw_defaults.assets.take().unwrap_or_default()).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    let defaults = layer(&check, (&notetypes, &declared), vec![key("defaults")], raw_defaults)
        .unwrap_or_else(|e| {
            errors.push(e);
            Layer::default()
        });
    let positions: BTreeMap<String, usize> =
        tree.deck_keys().into_iter().map(|(k, s)| (k, s.start)).collect();
    let mut decks = BTreeMap::new();
    for (stem, keys) in raw.decks {
        match layer(&check, (&notetypes, &declared), vec![key("decks"), key(&stem)], keys) {
            Ok(layer) => {
                let at = tree.position(positions.get(&stem).copied().unwrap_or(0));
                decks.insert(stem, DeckTable { layer, at });
            }
            Err(e) => errors.push(e),
        }
    }
    if let Some(first) = errors.into_iter().min_by_key(SettingsError::position) {
        return Err(first);
    }
    Ok(Settings { file: Some(file.to_path_buf()), defaults, decks, notetypes, assets })
}

/// `[defaults] assets`: the files the stylesheets use (fonts), each a path in the project; no
/// two with one file name, since a stylesheet's `url(...)` is matched by file name.
fn assets(check: &Checker<'_, '_>, base: &Path, raw: Vec<String>) -> Result<Vec<ProjectPath>, SettingsError> {
    let mut assets: Vec<ProjectPath> = Vec::with_capacity(raw.len());
    for (i, asset) in raw.iter().enumerate() {
        let at = vec![key("defaults"), key("assets"), Step::Index(i)];
        let path = project_path(check, base, &at, asset)?;
        let name = |p: &ProjectPath| p.relative.rsplit('/').next().unwrap_or_default().to_string();
        if let Some(other) = assets.iter().find(|a| name(a) == name(&path)) {
            let message =
                format!("the assets {:?} and {:?} have one file name", other.relative, path.relative);
            let hint =
                "a stylesheet's `url(...)` names an asset by its file name: rename one of them".to_string();
            return Err(check.error(Problem::BadValue, &at, true, message, hint));
        }
        assets.push(path);
    }
    Ok(assets)
}

/// One `[defaults]` or `[decks.<stem>]` table, at `path`.
fn layer(
    check: &Checker<'_, '_>,
    (notetypes, declared): (&BTreeMap<String, Arc<CustomNotetype>>, &[String]),
    path: Vec<Step>,
    keys: DeckKeys,
) -> Result<Layer, SettingsError> {
    let at = |k: &str| [path.as_slice(), &[key(k)]].concat();
    let notetype = match keys.notetype {
        None => None,
        Some(name) if declared.contains(&name) && !notetypes.contains_key(&name) => None,
        Some(name) => Some(match (Builtin::from_name(&name), notetypes.get(&name)) {
            (Some(b), _) => NotetypeChoice::Builtin(b),
            (None, Some(custom)) => NotetypeChoice::Custom(custom.clone()),
            (None, None) => {
                let known: Vec<&str> =
                    BUILTIN_NOTETYPES.iter().copied().chain(notetypes.keys().map(String::as_str)).collect();
                let hint = match did_you_mean(&name, known.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`? The note types are {}", list(&known)),
                    None => format!(
                        "the note types are {}; define your own in a [notetypes.{name}] table",
                        list(&known)
                    ),
                };
                let message = format!("unknown note type `{name}`");
                return Err(check.error(Problem::UnknownNotetype, &at("notetype"), true, message, hint));
            }
        }),
    };
    let tags = keys.tags.unwrap_or_default();
    for (i, tag) in tags.iter().enumerate() {
        // Anki drops spaces and control characters from a tag and names an empty part between
        // `::` "blank" (`rslib/src/tags/register.rs`): refuse what it would change.
        if tag.chars().any(|c| c.is_whitespace() || c.is_control()) || tag.split("::").any(str::is_empty) {
            let message = format!("the tag {tag:?} is empty, has a space or an empty part between `::`");
            let hint = "Anki separates tags with spaces: write `world_war` for two words".to_string();
            return Err(check.error(
                Problem::BadValue,
                &[at("tags"), vec![Step::Index(i)]].concat(),
                true,
                message,
                hint,
            ));
        }
    }
    let name = match keys.name {
        Some(name) => Some(deck_name(check, &at("name"), &name)?),
        None => None,
    };
    let (subdecks, html, description) = (keys.subdecks, keys.html, keys.description);
    // Kept so that a note type the build cannot make yet is reported at its key.
    let notetype_at = notetype.as_ref().and_then(|_| {
        let span = check.tree.span_of(&at("notetype"), true)?;
        Some(check.tree.position(span.start))
    });
    Ok(Layer { notetype, notetype_at, tags, subdecks, html, name, description })
}

/// A deck name from the settings, each `::` part trimmed as the title's are.
fn deck_name(check: &Checker<'_, '_>, path: &[Step], name: &str) -> Result<String, SettingsError> {
    let parts: Vec<&str> = name.split("::").map(str::trim).collect();
    let (message, hint) = if parts.iter().any(|p| p.is_empty()) {
        let message = format!("the deck name {name:?} is empty or has an empty part");
        (message, "write a name, and `::` only between two names to make a subdeck: `History::Stalin`")
    } else if name.chars().any(|c| c.is_ascii_control()) {
        // Anki drops them from a deck name, so the deck would not have the name written here.
        let message = format!("the deck name {name:?} has a control character (a tab, a line break…)");
        (
            message,
            "Anki removes them from deck names: write the name on one line, with spaces instead of tabs",
        )
    } else if name.trim().eq_ignore_ascii_case("default") {
        let message = "a deck cannot be named `Default`".to_string();
        (message, "Anki would put these cards into the user's own Default deck; choose another name")
    } else {
        return Ok(parts.join("::"));
    };
    Err(check.error(Problem::BadValue, path, true, message, hint.to_string()))
}

/// One `[notetypes.<name>]` table.
fn custom_notetype(
    check: &Checker<'_, '_>,
    base: &Path,
    name: &str,
    keys: NotetypeKeys,
) -> Result<CustomNotetype, SettingsError> {
    let here = vec![key("notetypes"), key(name)];
    let at = |k: &str| [here.as_slice(), &[key(k)]].concat();
    if BUILTIN_NOTETYPES.iter().any(|b| b.eq_ignore_ascii_case(name)) {
        let message = format!("a custom note type cannot be called `{name}`: that is a built-in note type");
        let hint = format!("give yours another name; the built-in names are {}", list(BUILTIN_NOTETYPES));
        return Err(check.error(Problem::BadValue, &here, false, message, hint));
    }
    unique_names(check, &at("fields"), keys.fields.iter().map(String::as_str), "field")?;
    unique_names(check, &at("templates"), keys.templates.iter().map(|t| t.name.as_str()), "template")?;
    if keys.kind == Kind::Cloze && keys.templates.len() != 1 {
        let message =
            format!("a cloze note type has exactly one template; `{name}` has {}", keys.templates.len());
        let hint = "Anki makes one card per cloze number from that one template".to_string();
        return Err(check.error(Problem::BadValue, &at("templates"), true, message, hint));
    }
    let css = match &keys.css {
        Some(css) => Some(project_path(check, base, &at("css"), css)?),
        None => None,
    };
    let mut templates = Vec::new();
    for (i, t) in keys.templates.into_iter().enumerate() {
        let side = |k: &str| [at("templates"), vec![Step::Index(i), key(k)]].concat();
        let front = project_path(check, base, &side("front"), &t.front)?;
        let back = project_path(check, base, &side("back"), &t.back)?;
        templates.push(TemplateFiles { name: t.name, front, back });
    }
    Ok(CustomNotetype { name: name.to_string(), kind: keys.kind, fields: keys.fields, css, templates })
}

/// A list of field or template names: at least one, each a name Anki keeps as it is (Anki
/// renames a field with `:{}"` or a leading `#/^`, and a template with `"`:
/// `rslib/src/notetype/fields.rs`, `templates.rs`), none twice ignoring case (Anki's
/// `ensure_names_unique` compares with `UniCase` and appends `+` to the second).
fn unique_names<'a>(
    check: &Checker<'_, '_>,
    path: &[Step],
    names: impl Iterator<Item = &'a str>,
    what: &str,
) -> Result<(), SettingsError> {
    let mut seen: Vec<String> = Vec::new();
    for (i, name) in names.enumerate() {
        let folded = name.to_lowercase();
        let bad: &[char] = if what == "field" { &[':', '{', '}', '"'] } else { &['"'] };
        let problem = if name.trim().is_empty() {
            Some((format!("a {what} name is empty"), format!("give every {what} a name")))
        } else if name.contains(bad)
            || name.trim() != name
            || (what == "field" && name.starts_with(['#', '/', '^']))
        {
            let message = format!("Anki would rename the {what} `{name}`");
            let rule = match what {
                "field" => "no `:`, `{`, `}` or `\"`, no space at either end, and no `#`, `/` or `^` first",
                _ => "no `\"`, and no space at either end",
            };
            Some((message, format!("a {what} name has {rule}")))
        } else if seen.contains(&folded) {
            let message = format!("the {what} name `{name}` is there twice");
            Some((
                message,
                format!("give every {what} its own name (names differing only in case are the same)"),
            ))
        } else {
            None
        };
        if let Some((message, hint)) = problem {
            let at = [path, &[Step::Index(i)]].concat();
            return Err(check.error(Problem::BadValue, &at, true, message, hint));
        }
        seen.push(folded);
    }
    if seen.is_empty() {
        let message = format!("the note type has no {what}");
        return Err(check.error(Problem::BadValue, path, true, message, format!("list at least one {what}")));
    }
    Ok(())
}

/// A path from the settings, relative to `base` (the settings file's folder), which it must
/// not leave. Checked on the text alone: a symbolic link inside the project is followed.
fn project_path(
    check: &Checker<'_, '_>,
    base: &Path,
    path: &[Step],
    raw: &str,
) -> Result<ProjectPath, SettingsError> {
    let mut parts: Vec<&str> = Vec::new();
    let mut why = None;
    if raw.contains('\\') {
        why = Some("it has a `\\`: write `/` between folders, on every system");
    }
    for component in Path::new(raw).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().expect("the path came from a str")),
            Component::CurDir => {}
            Component::ParentDir if parts.pop().is_some() => {}
            Component::ParentDir => why = why.or(Some("it leaves the project folder")),
            Component::RootDir | Component::Prefix(_) => why = why.or(Some("it is absolute")),
        }
    }
    if parts.is_empty() {
        why = why.or(Some("it names no file"));
    }
    match why {
        None => {
            let relative = parts.join("/");
            let offset = check.tree.span_of(path, true).map_or(0, |s| s.start);
            let (at, key) = (check.tree.position(offset), dotted(path));
            Ok(ProjectPath { path: base.join(&relative), relative, at, key })
        }
        Some(why) => Err(check.error(
            Problem::BadPath,
            path,
            true,
            format!("the path {raw:?} cannot be used: {why}"),
            "give a path relative to the folder of ankideck.toml, inside it (`templates/front.html`)".into(),
        )),
    }
}

/// Tags sorted ignoring case, each once (the first spelling met wins).
pub fn merge_tags(tags: Vec<String>) -> Vec<String> {
    let mut merged: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        if !merged.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            merged.push(tag);
        }
    }
    merged.sort_by_cached_key(|t| (t.to_lowercase(), t.clone()));
    merged
}

/// serde's message in the words of TOML: tables and lists, not maps and sequences.
fn in_toml_words(message: &str) -> String {
    (message.trim_end())
        .replace("missing field", "missing key")
        .replace("a map", "a table")
        .replace("sequence", "list")
        .replace("unknown variant", "unknown value")
}

/// What the key at `path` takes, for an error about its value's type.
fn value_hint(path: &[Step]) -> String {
    let last_key = path.iter().rev().find_map(|s| match s {
        Step::Key(k) => Some(k.as_str()),
        Step::Index(_) => None,
    });
    let takes = match last_key {
        Some("notetype") => "`notetype` takes a note type's name in quotes: `notetype = \"reversed\"`",
        Some("tags") => "`tags` takes a list of words in quotes: `tags = [\"history\", \"ww2\"]`",
        Some("subdecks") => "`subdecks` takes `true` or `false`",
        Some("html") => "`html` takes `true` or `false`",
        Some("name") if path.len() > 3 => "a template's `name` takes text in quotes",
        Some("name") => "`name` takes a deck name in quotes: `name = \"History::Stalin\"`",
        Some("description") => "`description` takes text in quotes",
        Some("kind") => "`kind` takes \"standard\" or \"cloze\"",
        Some("fields") => "`fields` takes a list of field names: `fields = [\"Word\", \"Meaning\"]`",
        Some("assets") => "`assets` takes a list of paths in quotes: `assets = [\"fonts/Inter.woff2\"]`",
        Some("css" | "front" | "back") => "a path in quotes, relative to the folder of ankideck.toml",
        _ if matches!(path, [Step::Key(_)]) => {
            "`[defaults]`, `[decks.<file stem>]` and `[notetypes.<name>]` are tables: the header on its own line, its keys under it"
        }
        _ if matches!(path, [Step::Key(t), Step::Key(_)] if t == "decks") => {
            "a deck's settings are a table: `[decks.<file stem>]` on its own line, its keys under it"
        }
        _ if matches!(path, [Step::Key(t), Step::Key(_)] if t == "notetypes") => {
            "a note type needs `fields` and `templates`; `kind` and `css` are optional"
        }
        Some("templates") => {
            "`templates` takes a list of `{ name = \"Card 1\", front = \"front.html\", back = \"back.html\" }`"
        }
        _ => "the README's section \"Settings (`ankideck.toml`)\" shows every key with what it takes",
    };
    takes.to_string()
}
