//! A deck's last package in `out/` against the lock: a lock changed outside ankideck (a `git
//! checkout` of a branch whose lock names another note type for a deck) makes the lock say one
//! note type while `out/<deck>.apkg`, possibly what Anki has, holds notes of another. Anki keeps
//! a note's type on import, so this is the same switch as one the lock shows (W012,
//! [`super::schema`]), said the same way before anything is written.
//!
//! The state file of each deck's last build records the id of the note type it wrote
//! ([`state::recorded_notetype`]): the package is read only when that id is not the one this
//! build writes, or when no state file records one and the lock section is not the one the last
//! build wrote. An ordinary rebuild reads no package.

use super::schema::{DeckTypes, OldType, old_notetype, switch_warning};
use super::{output_stem, state};
use crate::diagnostic::Diagnostic;
use crate::emit::dump;
use crate::lock::{Lock, RawSections, section_notetype};
use crate::source::stem_of;
use std::path::Path;

/// W012 for each deck whose last package in `out` holds notes of another note type than the
/// one this build writes for it, where the lock does not already say so (then [`DeckTypes::review`]
/// does).
pub(super) fn switched_since_last_build(
    out: &Path,
    raw: &RawSections<'_>,
    head: &Lock,
    types: &DeckTypes,
    files: &[crate::discover::SourceFile],
) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for file in files {
        let key = stem_of(&file.path);
        let new = types.notetype(&key);
        let section = raw.decks.get(&key);
        let by_lock = section.and_then(|s| old_notetype(section_notetype(s.text), head, new.id));
        if by_lock.is_some_and(|old| old != new.id) {
            continue;
        }
        let package = out.join(format!("{}.apkg", output_stem(&key)));
        match state::recorded_notetype(out, &key) {
            Some(id) if id == new.id.0 => continue,
            Some(_) => {}
            None => {
                // No state file records the note type (an earlier version wrote it, or there is
                // none): a lock section as the last build wrote it names its note type.
                let digest = state::section_digest(section.map_or("", |s| s.text));
                if state::recorded_section(out, &key) == Some(digest) || !package.is_file() {
                    continue;
                }
            }
        }
        // A package that cannot be read says nothing: the build reports what it has to.
        let Ok(previous) = dump::read(&package) else { continue };
        // The deck's cloze cards (its lock line says it has some) are of the built-in cloze
        // whatever its own note type: they say nothing of it.
        let cloze_cards = (section.and_then(|s| s.text.lines().next()))
            .and_then(crate::lock::parse_deck_line)
            .and_then(|deck| deck.cloze_cards)
            .map(|id| id.0);
        let own_notes: Vec<&dump::NoteRow> =
            previous.notes.iter().filter(|n| Some(n.mid) != cloze_cards).collect();
        let Some(mid) = most_common_mid(&own_notes) else { continue };
        if mid == new.id.0 {
            continue;
        }
        let model = &previous.models[mid.to_string()];
        let schema = crate::notetype::Schema::of_schema11(model);
        let old = OldType {
            name: model["name"].as_str().unwrap_or("(unknown)"),
            kind: schema.as_ref().map(|s| match s.cloze {
                true => crate::notetype::NotetypeKind::Cloze,
                false => crate::notetype::NotetypeKind::Normal,
            }),
            schema: schema.as_ref(),
        };
        // The deck's name as the lock has it, else as the package does.
        let deck_name = section
            .and_then(|s| s.text.lines().next())
            .and_then(crate::lock::parse_deck_line)
            .map(|deck| deck.name)
            .or_else(|| package_deck_name(&previous))
            .unwrap_or_else(|| key.clone());
        warnings.push(switch_warning(&file.path, &key, &deck_name, &old, new, Some(&package)).0);
    }
    warnings
}

/// The note type id most of `notes` have (the smallest of a tie, so the result is stable).
fn most_common_mid(notes: &[&dump::NoteRow]) -> Option<i64> {
    let mut counts: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
    for note in notes {
        *counts.entry(note.mid).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(mid, count)| (*count, std::cmp::Reverse(*mid))).map(|(mid, _)| mid)
}

/// The name of the package's deck: of the decks its cards are in, the one the others are
/// subdecks of (`None` if there is no such one).
fn package_deck_name(package: &dump::Package) -> Option<String> {
    let dids: std::collections::BTreeSet<i64> = package.cards.iter().map(|c| c.did).collect();
    let names: Vec<&str> =
        dids.iter().filter_map(|did| package.decks[did.to_string()]["name"].as_str()).collect();
    let top = names.iter().min_by_key(|name| name.len())?;
    let under = |name: &&str| *name == *top || name.strip_prefix(top).is_some_and(|r| r.starts_with("::"));
    names.iter().all(under).then(|| top.to_string())
}
