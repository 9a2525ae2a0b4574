//! Each deck's note type, and what Anki will do with the ones that changed since the lock.
//!
//! Decks of one project may use different note types: [`DeckTypes`] makes each one once and
//! says which deck uses which. Against the lock ([`review`]) two changes are never silent:
//!
//! - **A schema change** (W011): a note type kept its id but its fields or templates were added,
//!   removed or reordered, or it changed between cloze and normal. Anki compares the kind and
//!   the field and template ids (`equal_schema`, `rslib/src/import_export/package/apkg/import/
//!   notes.rs`): without "Merge note types" ticked it adds the package's note type as a copy
//!   and skips the notes it already has; a cloze/normal change cannot merge at all.
//! - **A switch** (W012): a deck's notes were built with another note type. Anki keeps a note's
//!   type on import: a note whose guid it has under another note type id is skipped as
//!   "conflicting" (`maybe_update_existing_note`), and so are its cards. Guids are kept where
//!   the new type can hold the notes' content (both normal, or both cloze), so the user can
//!   change the note type of the old notes in Anki (Browse > Notes > Change Note Type, which
//!   keeps the cards it maps and their review history) and import again. Between cloze and
//!   normal the cards do not map: the deck's notes get new identities and the old ones stay in
//!   Anki under their old type.
//!
//! Template text and CSS edits keep the schema: Anki updates the note type in place (its `mod`
//! moves forward) and no note changes.

use crate::diagnostic::{Code, Diagnostic};
use crate::ids::NotetypeId;
use crate::lock::{Lock, NotetypeEntry, RawSections, section_notetype};
use crate::notetype::{Notetype, NotetypeKind};
use crate::settings::{NotetypeChoice, Settings};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The note type of every deck of a build: each one made once.
pub(super) struct DeckTypes {
    types: Vec<Notetype>,
    /// The entry (`mod`, hash, schema) this build gives each of `types`.
    entries: Vec<NotetypeEntry>,
    /// The index in `types` of each deck's note type, by deck key.
    by_key: HashMap<String, usize>,
    /// The index in `types` of the built-in `cloze`, when a deck's note type is not cloze: the
    /// note type of its cloze cards ([`crate::model::NoteKind::Cloze`]).
    cloze: Option<usize>,
    /// Decks switched between cloze and normal since the lock: their notes get new identities.
    fresh: HashSet<String>,
    /// What each deck's note type change since the lock does in Anki, by deck key (for the
    /// import plan).
    changes: HashMap<String, TypeChange>,
}

/// A deck's note type changed since the lock, as Anki's import sees it (the facts behind W011
/// and W012; [`super::plan`] counts the notes Anki skips for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeChange {
    /// W011: the note type kept its id but not its schema: without "Merge note types" Anki adds
    /// the package's note type as a copy and skips the notes it has as "conflicting"; between
    /// cloze and normal (`kind_changed`) it cannot merge at all.
    /// `fields_changed`: its fields were added, removed or reordered (not only its templates):
    /// merging them rewrites every note Anki has of it, which marks them modified.
    Schema { notetype: String, kind_changed: bool, fields_changed: bool },
    /// W012: the deck's notes were built with another note type: Anki skips the notes it has as
    /// "conflicting"; between cloze and normal (`kind_changed`) the notes get new identities
    /// instead, and the old ones stay in Anki under `from`.
    Switched { from: String, to: String, kind_changed: bool },
}

impl DeckTypes {
    /// Makes the note type of each deck of `stems` (one per distinct choice of the settings),
    /// with `load` (which reads a custom type's files), and the built-in `cloze` for the cloze
    /// cards of decks of another note type.
    pub fn load<E>(
        project: &Settings,
        stems: &[String],
        load: impl Fn(&NotetypeChoice) -> Result<Notetype, E>,
    ) -> Result<DeckTypes, E> {
        let mut choices: Vec<NotetypeChoice> = Vec::new();
        let mut types = Vec::new();
        let mut by_key = HashMap::new();
        let mut index_of = |choice: NotetypeChoice, types: &mut Vec<Notetype>| -> Result<usize, E> {
            Ok(match choices.iter().position(|c| *c == choice) {
                Some(index) => index,
                None => {
                    types.push(load(&choice)?);
                    choices.push(choice);
                    types.len() - 1
                }
            })
        };
        for stem in stems {
            let index = index_of(project.for_deck(stem).notetype, &mut types)?;
            by_key.insert(stem.clone(), index);
        }
        if types.is_empty() {
            index_of(project.for_deck("").notetype, &mut types)?;
        }
        let cloze = match types.iter().all(|t| t.kind == NotetypeKind::Cloze) {
            true => None,
            false => Some(index_of(NotetypeChoice::Builtin(crate::settings::Builtin::Cloze), &mut types)?),
        };
        Ok(DeckTypes {
            types,
            entries: Vec::new(),
            by_key,
            cloze,
            fresh: HashSet::new(),
            changes: HashMap::new(),
        })
    }

    fn index(&self, key: &str) -> usize {
        self.by_key.get(key).copied().unwrap_or(0)
    }

    /// The note type of deck `key` (a deck without a file: the first deck's).
    pub fn notetype(&self, key: &str) -> &Notetype {
        &self.types[self.index(key)]
    }

    /// The note types of deck `key`'s notes, by [`crate::model::NoteKind`]: its own, and the
    /// built-in `cloze` for its cloze cards when its own is not cloze.
    pub fn of_deck(&self, key: &str) -> crate::notetype::NoteTypes<'_> {
        let own = self.notetype(key);
        let cloze = match own.kind {
            NotetypeKind::Cloze => None,
            NotetypeKind::Normal => self.cloze.map(|i| &self.types[i]),
        };
        crate::notetype::NoteTypes { own, cloze }
    }

    /// Whether `notetype` is the built-in `cloze` of cloze cards ([`DeckTypes::of_deck`]) and
    /// no deck's own.
    pub fn only_for_cloze_cards(&self, notetype: &Notetype) -> bool {
        self.cloze.is_some_and(|i| self.types[i].id == notetype.id && !self.by_key.values().any(|&k| k == i))
    }

    /// The entry of deck `key`'s note type.
    pub fn entry(&self, key: &str) -> &NotetypeEntry {
        &self.entries[self.index(key)]
    }

    /// The entry of the built-in `cloze` of the cloze cards of decks of another note type, if
    /// one is made.
    pub fn cloze_entry(&self) -> Option<&NotetypeEntry> {
        self.cloze.map(|i| &self.entries[i])
    }

    /// The note types.
    pub fn all(&self) -> &[Notetype] {
        &self.types
    }

    /// Whether deck `key` was switched between cloze and normal: its old notes are not matched.
    pub fn fresh(&self, key: &str) -> bool {
        self.fresh.contains(key)
    }

    /// How deck `key`'s note type changed since the lock, if it did.
    pub fn change(&self, key: &str) -> Option<&TypeChange> {
        self.changes.get(key)
    }

    /// Gives each note type its entry as the lock's head has it (its `mod` moved forward if its
    /// definition changed), and compares each deck's note type with the one the lock says its
    /// notes were built with: what to warn about (W011, W012).
    pub fn review(
        &mut self,
        raw: &RawSections<'_>,
        head: &Lock,
        files: &[crate::discover::SourceFile],
        settings_file: &Path,
        now_secs: i64,
    ) -> Vec<Diagnostic> {
        self.entries = (self.types.iter())
            .map(|nt| crate::identify::identify_notetype(nt, head.notetypes.get(&nt.id.0), now_secs))
            .collect();
        let files: Vec<(&Path, String)> =
            files.iter().map(|f| (f.path.as_path(), crate::source::stem_of(&f.path))).collect();
        let found = review(raw, head, self, &files, settings_file);
        self.fresh = found.new_identities;
        self.changes = found.changes;
        found.warnings
    }
}

/// For `check`: makes each deck's note type with `load` (as `build` does, one per distinct
/// choice) and says what `build` would warn about them against the lock `lock` (W011, W012), and
/// against the decks' last packages in `out` (W012, [`super::checkout`]). A lock that cannot be
/// read or parsed gives no warning: `build` reports it.
pub fn check_notetypes<E>(
    lock: &Path,
    out: &Path,
    project: &Settings,
    files: &[crate::discover::SourceFile],
    load: impl Fn(&NotetypeChoice) -> Result<Notetype, E>,
) -> Result<Vec<Diagnostic>, E> {
    let stems: Vec<String> = files.iter().map(|f| crate::source::stem_of(&f.path)).collect();
    let mut types = DeckTypes::load(project, &stems, load)?;
    // With no lock, as `build`: out/ may still say how the decks were built.
    let text = match std::fs::read_to_string(lock) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(_) => return Ok(Vec::new()),
    };
    let raw = RawSections::of(&text);
    let Ok(head) = Lock::parse(lock, raw.head) else { return Ok(Vec::new()) };
    let mut warnings = types.review(&raw, &head, files, &super::settings::settings_path(lock), 0);
    warnings.extend(super::checkout::switched_since_last_build(out, &raw, &head, &types, files));
    Ok(warnings)
}

/// What the lock says about the decks' note types before a build.
#[derive(Debug, Default)]
pub(super) struct Review {
    /// W011 and W012.
    pub warnings: Vec<Diagnostic>,
    /// Decks switched between cloze and normal: their notes get new identities.
    pub new_identities: HashSet<String>,
    /// Each deck's note type change, by deck key.
    pub changes: HashMap<String, TypeChange>,
}

/// The note type the notes of a deck of the lock were built with: its deck line's, or for a
/// lock before version 4 (one note type for every deck) the head's only one, else the one the
/// settings now choose if the head has it (the rule of those versions), else the newest.
pub(super) fn old_notetype(named: Option<NotetypeId>, head: &Lock, now: NotetypeId) -> Option<NotetypeId> {
    if named.is_some() {
        return named;
    }
    if head.notetypes.contains_key(&now.0) {
        return Some(now);
    }
    head.notetypes.values().max_by_key(|e| e.mtime).map(|e| e.id)
}

/// The kind of the note type `id` of the lock: its schema's, or a built-in one's.
fn old_kind(id: NotetypeId, head: &Lock) -> Option<NotetypeKind> {
    let schema = head.notetypes.get(&id.0).and_then(|e| e.schema.as_ref());
    match schema {
        Some(schema) => Some(if schema.cloze { NotetypeKind::Cloze } else { NotetypeKind::Normal }),
        None => Notetype::all_builtin(None).into_iter().find(|nt| nt.id == id).map(|nt| nt.kind),
    }
}

/// Compares each deck's note type with the one the lock says its notes were built with. The
/// decks are `files` (path and key); `settings_file` is where W011 points.
pub(super) fn review(
    raw: &RawSections<'_>,
    head: &Lock,
    types: &DeckTypes,
    files: &[(&Path, String)],
    settings_file: &Path,
) -> Review {
    let mut review = Review::default();
    let mut reported: HashSet<i64> = HashSet::new();
    for (path, key) in files {
        let Some(section) = raw.decks.get(key) else { continue };
        let new = types.notetype(key);
        let named = section_notetype(section.text);
        let Some(old) = old_notetype(named, head, new.id) else { continue };
        if old == new.id {
            let schema = head.notetypes.get(&old.0).and_then(|e| e.schema.as_ref());
            if let Some(change) = schema.and_then(|s| s.change_to(new)) {
                let (notetype, kind_changed) = (change.notetype.clone(), change.kind_changed);
                let fields = &change.fields;
                let fields_changed =
                    !fields.added.is_empty() || !fields.removed.is_empty() || fields.reordered;
                review
                    .changes
                    .insert(key.clone(), TypeChange::Schema { notetype, kind_changed, fields_changed });
                if reported.insert(old.0) {
                    review.warnings.push(schema_warning(settings_file, &change));
                }
            }
            continue;
        }
        let deck_name = (section.text.lines().next())
            .and_then(crate::lock::parse_deck_line)
            .map_or_else(|| key.clone(), |deck| deck.name);
        let entry = head.notetypes.get(&old.0);
        let old_type = OldType {
            name: entry.map_or("(unknown)", |e| e.name.as_str()),
            schema: entry.and_then(|e| e.schema.as_ref()),
            kind: old_kind(old, head),
        };
        let (warning, kind_changed) = switch_warning(path, key, &deck_name, &old_type, new, None);
        if kind_changed {
            review.new_identities.insert(key.clone());
        }
        let (from, to) = (old_type.name.to_string(), new.name.clone());
        review.changes.insert(key.clone(), TypeChange::Switched { from, to, kind_changed });
        review.warnings.push(warning);
    }
    review
}

/// The note type a deck's notes were last built with, as the lock or the package knows it.
pub(super) struct OldType<'a> {
    pub name: &'a str,
    /// Its fields and templates, if known.
    pub schema: Option<&'a crate::notetype::Schema>,
    pub kind: Option<NotetypeKind>,
}

/// W012 for deck `key` (file `path`, Anki name `deck_name`) whose notes were built as `old` and
/// are now `new`, and whether that is between cloze and normal. `package`: the package in out/
/// that says so (the lock says otherwise), or `None` when the lock says so.
pub(super) fn switch_warning(
    path: &Path,
    key: &str,
    deck_name: &str,
    old: &OldType<'_>,
    new: &Notetype,
    package: Option<&Path>,
) -> (Diagnostic, bool) {
    let kind_changed = old.kind.is_some_and(|kind| kind != new.kind);
    let old_fields: Option<Vec<&str>> =
        old.schema.map(|schema| schema.fields.iter().map(|(_, name)| name.as_str()).collect());
    let new_fields: Vec<&str> = new.fields.iter().map(|f| f.name.as_str()).collect();
    let mut fields = field_mapping(old_fields.as_deref(), &new_fields);
    // The first card keeps its history: its template to the new type's first.
    let old_card =
        (old.schema.and_then(|schema| schema.templates.first())).map_or("Card 1", |(_, name)| name.as_str());
    let new_card = new.templates.first().map_or("Card 1", |t| t.name.as_str());
    fields.push_str(&format!(" and {old_card} to {new_card}"));
    // The old type's other cards: Change Note Type maps them by position where the new type
    // has as many cards, and deletes the rest with their review history.
    let old_cards: Vec<&str> = (old.schema)
        .map(|schema| schema.templates.iter().map(|(_, name)| name.as_str()).collect())
        .unwrap_or_default();
    for (ord, old_card) in old_cards.iter().enumerate().skip(1) {
        match new.templates.get(ord) {
            Some(t) => fields.push_str(&format!(", {old_card} to {}", t.name)),
            None => fields.push_str(&format!(
                ", {old_card} to nothing (`{}` has no such card: Anki deletes those cards, and \
                 their review history)",
                new.name
            )),
        }
    }
    let switch = Switch { deck_name, old_name: old.name, new: &new.name, kind_changed, fields };
    let warning = match package {
        None => switch.warning(path, key),
        Some(package) => switch.package_warning(path, key, package),
    };
    (warning, kind_changed)
}

/// The note type the entries of a lock's deck `key` were built with (see [`old_notetype`]), if
/// the lock has the deck.
pub(super) fn old_notetype_of(lock: &Lock, key: &str, now: NotetypeId) -> Option<NotetypeId> {
    let deck = lock.decks.get(key)?;
    old_notetype(deck.notetype, lock, now)
}

/// Whether a lock entry was built as a note of its deck's note type. A cloze card of a deck of
/// another note type (`NoteKind::Cloze`) is a note of the built-in cloze in every such deck, and
/// only a note of that kind matches it (their hashes are seeded by kind): moved between decks of
/// different note types it keeps its note type, and Anki matches it as usual.
pub(super) fn of_deck_type(entry: &crate::lock::NoteEntry) -> bool {
    entry.kind == crate::model::NoteKind::Own
}

/// W012 for the notes a deck took from other decks' entries that were built with another note
/// type than the deck's (`notetype`): Anki skips them as conflicting until their type is changed.
/// `pool_types` is the note type of each pool's entries (`None`: unknown, or the deck's own pool,
/// which [`review`] covers), `pools` the entries.
pub(super) fn moved_across_types(
    matched: &crate::identify::DeckMatch,
    pools: &[&[crate::lock::NoteEntry]],
    pool_types: &[Option<(NotetypeId, &str)>],
    notetype: &Notetype,
    cloze_of: impl Fn(NotetypeId) -> Option<bool>,
    path: &Path,
) -> Option<Diagnostic> {
    if pool_types.iter().flatten().all(|(id, _)| *id == notetype.id) {
        return None;
    }
    let mut from: Vec<&str> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let cloze = notetype.kind == NotetypeKind::Cloze;
    let mut across_kinds = false;
    for r in matched.matched.iter().flatten().filter(|r| of_deck_type(&pools[r.pool][r.index])) {
        if let Some((id, name)) = pool_types[r.pool]
            && id != notetype.id
        {
            across_kinds |= cloze_of(id).is_some_and(|c| c != cloze);
            if !from.contains(&name) {
                from.push(name);
            }
            notes.push(pools[r.pool][r.index].note_id.0.to_string());
        }
    }
    if notes.is_empty() {
        return None;
    }
    let message = format!(
        "{} note(s) moved here from a deck built as `{}`, and this deck is `{}`: Anki keeps a note's \
         type on import and skips them as \"conflicting\"",
        notes.len(),
        from.join("`, `"),
        notetype.name
    );
    // Between cloze and normal Anki proposes the fields by position and maps no card template
    // (`default_field_map`, `default_template_map` in rslib/src/notetype/notetypechange.rs).
    let mapping = match across_kinds {
        false => "fields by name, Card 1 to Card 1",
        true => {
            "between cloze and normal Anki maps the fields by position, the first to the first: check them; each card keeps its number"
        }
    };
    let hint = format!(
        "to keep their review history, after importing search nid:{} in Browse, select all, Notes > \
         Change Note Type, choose `{}` ({mapping}), and import again",
        notes.join(","),
        notetype.name
    );
    Some(Diagnostic::new(Code::W012, path, 1, message).with_hint(hint))
}

/// W011: a note type's schema changed since the lock.
fn schema_warning(settings_file: &Path, change: &crate::notetype::SchemaChange) -> Diagnostic {
    let hint = if change.kind_changed {
        "give the changed note type another name (a new note type, with new ids); the notes \
         built before stay in Anki under the old one"
            .to_string()
    } else {
        "with \"Merge note types\" ticked Anki updates the note type and the notes you have \
         (fields matched by id) and keeps their review history"
            .to_string()
    };
    Diagnostic::new(
        Code::W011,
        settings_file,
        table_line(settings_file, &change.notetype),
        change.to_string(),
    )
    .with_hint(hint)
}

/// The line of the table `[notetypes.<name>]` in the settings file (1 if it is not found: a
/// built-in note type, or a name in quotes).
fn table_line(settings_file: &Path, name: &str) -> u32 {
    let table = format!("[notetypes.{name}]");
    let text = std::fs::read_to_string(settings_file).unwrap_or_default();
    let found = text.lines().position(|line| line.trim_start().starts_with(&table));
    found.map_or(1, |index| index as u32 + 1)
}

/// A deck built with one note type and now with another.
struct Switch<'a> {
    deck_name: &'a str,
    old_name: &'a str,
    new: &'a str,
    kind_changed: bool,
    /// How to map the fields in Change Note Type.
    fields: String,
}

/// How Change Note Type maps the fields of a note built with a note type of `old` fields (`None`:
/// not known) to `new`'s: a card's front and back go to the first two fields other than
/// `Section`, the heading to `Section` (`build::settings::NoteMapping`).
fn field_mapping(old: Option<&[&str]>, new: &[&str]) -> String {
    let same = "each field to the field of the same name".to_string();
    let Some(old) = old else { return same };
    let sides = |fields: &[&str]| -> Vec<String> {
        fields.iter().filter(|f| **f != "Section").take(2).map(|f| f.to_string()).collect()
    };
    let (from, to) = (sides(old), sides(new));
    if from == to || from.len() < 2 || to.len() < 2 {
        return same;
    }
    let mut pairs: Vec<String> = from.iter().zip(&to).map(|(a, b)| format!("{a} to {b}")).collect();
    if old.contains(&"Section") && new.contains(&"Section") {
        pairs.push("Section to Section".to_string());
    }
    pairs.join(", ")
}

impl Switch<'_> {
    fn warning(&self, path: &Path, key: &str) -> Diagnostic {
        let Switch { old_name, new, .. } = self;
        let search = self.search();
        if self.kind_changed {
            let message = format!(
                "the deck's notes were built as `{old_name}` and are now `{new}`: between cloze and \
                 normal note types Anki cannot map the cards, so every note of the deck gets a new \
                 identity; Anki imports them as new notes and the old ones keep their review \
                 history under `{old_name}`"
            );
            let hint = format!(
                "to remove the old notes from Anki after the import, search {search} in Browse and \
                 delete them; or set `notetype` back"
            );
            return Diagnostic::new(Code::W012, path, 1, message).with_hint(hint);
        }
        let message = format!(
            "the deck's notes were built as `{old_name}` and are now `{new}`: they keep their \
             identities, but Anki keeps a note's type on import and skips a note it has under \
             another note type as \"conflicting\""
        );
        Diagnostic::new(Code::W012, path, 1, message).with_hint(self.steps(key))
    }

    /// W012 when the deck's last package (`package`) holds notes of another note type than the
    /// one the lock and this build say (the lock changed outside ankideck: a `git checkout`).
    fn package_warning(&self, path: &Path, key: &str, package: &Path) -> Diagnostic {
        let Switch { old_name, new, .. } = self;
        let last = format!(
            "{}, the deck's last build (what Anki may have), holds `{old_name}` notes, and this \
             build makes them `{new}` as the lock says (it changed outside ankideck, e.g. by a git \
             checkout)",
            package.display()
        );
        if self.kind_changed {
            let search = self.search();
            let message = format!(
                "{last}: between cloze and normal note types Anki cannot map the cards; the notes \
                 of that package Anki has stay under `{old_name}` and this build's are imported \
                 under `{new}`"
            );
            let hint = format!(
                "to remove that package's notes from Anki after the import, search {search} in \
                 Browse and delete them; or go back to the branch that builds `{old_name}`"
            );
            return Diagnostic::new(Code::W012, path, 1, message).with_hint(hint);
        }
        let message = format!(
            "{last}: the notes keep their identities, but Anki keeps a note's type on import and \
             skips a note it has under another note type as \"conflicting\""
        );
        Diagnostic::new(Code::W012, path, 1, message).with_hint(self.steps(key))
    }

    /// The search for the deck's notes of the old note type.
    fn search(&self) -> String {
        format!("\"deck:{}\" \"note:{}\"", anki_search_text(self.deck_name), anki_search_text(self.old_name))
    }

    /// How to keep the review history of a switch between normal note types.
    fn steps(&self, key: &str) -> String {
        let Switch { new, fields, .. } = self;
        let search = self.search();
        let package = format!("{}.apkg", super::output_stem(key));
        format!(
            "to keep the review history: (1) import {package} (Anki adds `{new}`; the notes you \
             have are skipped); (2) in Browse, search {search}, select all, Notes > Change Note \
             Type, choose `{new}`, map {fields}; (3) import {package} again: Anki finds every note (as a duplicate) and adds \
             the cards it did not have. Leave \"Merge note types\" unticked: with it Anki merges the two note \
             types into one with every field twice and moves the history to a third card. Change \
             Note Type marks the notes modified, so an edit of their text made in this same build \
             does not reach Anki: switch first, edit afterwards"
        )
    }
}

/// Text for an Anki search term in double quotes: `"`, `*`, `_` and `\` escaped.
fn anki_search_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '*' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Lock {
        Lock::parse(Path::new("ankideck.lock"), text).unwrap()
    }

    #[test]
    fn a_deck_of_a_version_3_lock_was_built_with_the_heads_only_note_type() {
        let basic = Notetype::builtin("basic", None).unwrap();
        let reversed = Notetype::builtin("reversed", None).unwrap();
        let one = head(&format!("version\t3\nnotetype\t{}\t5\t00000000000000ab\tB\n", basic.id.0));
        assert_eq!(old_notetype(None, &one, reversed.id), Some(basic.id));
        assert_eq!(old_notetype(Some(reversed.id), &one, basic.id), Some(reversed.id));
        let two = head(&format!(
            "version\t3\nnotetype\t{}\t5\t00000000000000ab\tB\nnotetype\t{}\t9\t00000000000000ab\tR\n",
            basic.id.0, reversed.id.0
        ));
        assert_eq!(old_notetype(None, &two, basic.id), Some(basic.id));
        let cloze = Notetype::builtin("cloze", None).unwrap();
        assert_eq!(old_notetype(None, &two, cloze.id), Some(reversed.id), "the newest");
        assert_eq!(old_kind(cloze.id, &two), Some(NotetypeKind::Cloze));
    }

    #[test]
    fn change_note_type_maps_the_front_and_back_fields_to_the_new_types() {
        let basic = ["Front", "Back", "Section"];
        assert_eq!(field_mapping(Some(&basic), &basic), "each field to the field of the same name");
        assert_eq!(field_mapping(None, &["Word", "Meaning"]), "each field to the field of the same name");
        assert_eq!(
            field_mapping(Some(&basic), &["Word", "Section", "Meaning", "Example"]),
            "Front to Word, Back to Meaning, Section to Section"
        );
        assert_eq!(field_mapping(Some(&["Word", "Meaning"]), &basic), "Word to Front, Meaning to Back");
    }

    #[test]
    fn search_text_escapes_what_anki_reads_as_wildcards() {
        assert_eq!(anki_search_text("a_b*c\"d\\"), "a\\_b\\*c\\\"d\\\\");
    }
}
