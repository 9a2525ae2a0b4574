//! `build --plan`: what Anki's importer will do with each package against a collection that
//! imported the previous build, said before anything is written. The plan is the build itself,
//! stopped after the identify phase ([`super::build_guarded`]): the same decks are up to date,
//! the same notes are new, updated or unchanged, removed or moved, as a build would write them.
//!
//! Anki's rules (rslib `import_export/package/apkg/import/notes.rs` and `cards.rs`, with the
//! import dialog's defaults: "Update notes" and "Update note types" if newer, "Merge note types"
//! off; docs/plan.md has the mapping):
//!
//! - a note whose guid the collection does not have is **new**;
//! - one it has under the same note type is **updated** when the package's `mod` is newer than
//!   the collection's, else a **duplicate** (the plan's "unchanged"): the build gives a note a
//!   newer `mod` exactly when its content changed, so updated is the build's updated;
//! - one it has under another note type id is **conflicting** and skipped with its cards: a deck
//!   switched to another note type or a note moved from a deck of another type (W012), or a note type whose fields or templates changed
//!   (W011), which Anki adds as a copy with a new id unless "Merge note types" is ticked (then
//!   it merges the note types; merging fields rewrites the notes it has, marking them modified,
//!   so each is a duplicate and an edit made in the same build does not arrive);
//! - a card is added only if its note was imported and the note has no card of that template:
//!   existing cards stay in their deck (moved cards), and a card a note no longer makes stays,
//!   blank (a removed cloze deletion);
//! - nothing is deleted: notes removed from the source stay.

use super::schema::TypeChange;
use super::write::{Pending, summary};
use super::{Built, DeckError, Outcome, Run, output_paths, output_stem, stale};
use crate::identify::{Change, IdentifiedDeck};
use crate::lock::{Lock, NoteEntry};
use crate::model::NoteKind;
use std::collections::HashMap;
use std::path::PathBuf;

/// What importing the packages of a build does in Anki, deck by deck.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The decks the build would write, by their place in [`super::BuildReport::decks`] (the
    /// others are up to date, have errors or failed, as their outcome says).
    pub decks: Vec<DeckPlan>,
    /// The notes of each deck that is up to date, by its place in the report's decks: its
    /// package is the one Anki has, every note a duplicate.
    pub up_to_date: HashMap<usize, usize>,
    /// Decks whose source file is gone and that the lock would drop: their notes stay in Anki.
    pub gone: Vec<stale::GoneDeck>,
    /// Whether the build would change the lock file.
    pub lock_changes: bool,
}

/// What importing one deck's package does.
#[derive(Debug, Clone)]
pub struct DeckPlan {
    /// Its place in the report's decks.
    pub index: usize,
    /// What the build would report of it (its outputs are the files it would write).
    pub built: Built,
    /// Anki's import log with the dialog's defaults.
    pub anki: Counts,
    /// Anki's import log with "Merge note types" ticked, when that differs and Anki can merge.
    pub with_merge: Option<Counts>,
    /// The note type change behind conflicting notes, if any.
    pub notetype: Option<TypeChange>,
    /// The notes built before a switch between cloze and normal note types: they stay in Anki
    /// under the old note type, and nothing updates them (listed in `built.removed` too).
    pub left_behind: usize,
    /// Cards Anki keeps, blank, because their note no longer makes them (W010).
    pub blank_cards: usize,
}

/// The counts of Anki's import log (`ImportResponse.Log`) for one package: `unchanged` is its
/// `duplicate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub conflicting: usize,
}

/// Anki's counts for a deck of the build's `new`, `updated` and `unchanged` notes whose note
/// type changed as `change` says (default options), and with "Merge note types" when that
/// merges.
fn counts(built: &Built, change: Option<&TypeChange>) -> (Counts, Option<Counts>) {
    let own = Counts { new: built.new, updated: built.updated, unchanged: built.unchanged, conflicting: 0 };
    let skipped = Counts { conflicting: built.updated + built.unchanged, updated: 0, unchanged: 0, ..own };
    match change {
        None => (own, None),
        // The notes got new identities: all new, nothing for Anki to skip.
        Some(TypeChange::Switched { kind_changed: true, .. }) => (own, None),
        // The old notes keep their type: skipped, with or without merging (merging the two note
        // types is not what to do: docs/plan.md).
        Some(TypeChange::Switched { kind_changed: false, .. }) => (skipped, None),
        // Anki cannot merge between cloze and normal: the import fails with the option.
        Some(TypeChange::Schema { kind_changed: true, .. }) => (skipped, None),
        // Merging the fields rewrites every note Anki has of the note type, marking it modified
        // (rslib `update_notes_for_changed_fields`): newer than the package's, so each is a
        // duplicate and this build's edits of them do not arrive.
        Some(TypeChange::Schema { kind_changed: false, fields_changed: true, .. }) => {
            (skipped, Some(Counts { unchanged: built.updated + built.unchanged, updated: 0, ..own }))
        }
        Some(TypeChange::Schema { kind_changed: false, fields_changed: false, .. }) => (skipped, Some(own)),
    }
}

/// Moves the deck's cloze cards of the built-in cloze (a deck of another note type) back from the
/// conflicting notes [`counts`] makes of a changed note type: their note type is the built-in
/// cloze before and after, so Anki matches them as usual, with or without merging. (A note whose
/// old entry is a cloze card and that is matched to it is a cloze card too: the kinds' hashes
/// differ. A pinned card that changed kind is left conflicting only when it became a plain one,
/// which this does not see: W016 says that Anki skips it.)
fn cloze_cards_not_skipped(deck: &IdentifiedDeck<'_>, anki: &mut Counts, merged: Option<&mut Counts>) {
    let (mut updated, mut unchanged) = (0, 0);
    for i in 0..deck.len() {
        match deck.identity(i) {
            (Some(old), .., Change::Updated) if old.kind == NoteKind::Cloze => updated += 1,
            (Some(old), .., Change::Unchanged) if old.kind == NoteKind::Cloze => unchanged += 1,
            _ => {}
        }
    }
    if anki.conflicting >= updated + unchanged {
        anki.conflicting -= updated + unchanged;
        anki.updated += updated;
        anki.unchanged += unchanged;
    }
    // Merging fields makes every note of the deck's note type a duplicate (no note updated), not
    // these; merging templates only keeps the build's counts, which count them already.
    if let Some(merged) = merged
        && merged.updated == 0
        && merged.unchanged >= updated
    {
        merged.unchanged -= updated;
        merged.updated += updated;
    }
}

impl Run<'_> {
    /// The plan of each deck the build would write (`to_emit`), writing nothing. A deck whose
    /// notes cannot be read back gets the outcome `Failed`, as its build would.
    pub(super) fn plan_decks(
        &self,
        to_emit: &[Pending],
        old_lock: &Lock,
        old_sections: &HashMap<String, u128>,
        results: &mut [super::DeckResult],
    ) -> Vec<DeckPlan> {
        let opts = self.opts;
        let mut plans = Vec::with_capacity(to_emit.len());
        for pending in to_emit {
            let key = pending.deck.key.as_str();
            let notetype = self.types.notetype(key);
            let subdecks = match self.project.for_deck(key).subdecks {
                true => {
                    let types = self.types.of_deck(key);
                    crate::emit::subdecks::Subdecks::of(&pending.deck, types)
                        .map(Some)
                        .map_err(DeckError::Subdecks)
                }
                false => Ok(None),
            };
            let media = super::media::with_assets(self.media.of(key).files, &self.assets, &notetype.css);
            let csv_media = (opts.csv && !media.is_empty())
                .then(|| super::media::csv_folder(&opts.out, &output_stem(key)));
            let outputs = output_paths(opts, key);
            let built =
                subdecks.and_then(|s| summary(opts, notetype, pending, s.as_ref(), outputs, csv_media));
            let mut built = match built {
                Ok(built) => built,
                Err(e) => {
                    results[pending.index].outcome = Outcome::Failed(e.to_string());
                    continue;
                }
            };
            let old_key = pending.taken_over.as_deref().unwrap_or(key);
            let file = &results[pending.index].file;
            let change = self.types.change(key).cloned();
            // Switched between cloze and normal: the old notes are not matched, so the build
            // drops them from the lock without calling them removed; for Anki they are.
            let left_behind: &[NoteEntry] = match (&change, self.types.fresh(key)) {
                (Some(TypeChange::Switched { kind_changed: true, .. }), true) => {
                    old_lock.notes.get(old_key).map_or(&[][..], Vec::as_slice)
                }
                _ => &[],
            };
            built.removed.extend(left_behind.iter().cloned());
            built.removed_lines = super::lines::of_removed(
                &opts.out,
                old_key,
                old_sections.get(old_key).copied(),
                file,
                &built.removed,
            );
            let (mut anki, mut with_merge) = counts(&built, change.as_ref());
            if change.is_some() && pending.deck.cloze > 0 {
                cloze_cards_not_skipped(&pending.deck, &mut anki, with_merge.as_mut());
            }
            // Notes moved here from a deck of another note type: Anki has them under that one.
            // (A change of the deck's own note type makes every note conflicting already.)
            if change.is_none() {
                for &i in &pending.across_types {
                    match pending.deck.identity(i).4 {
                        Change::Updated => anki.updated -= 1,
                        Change::Unchanged => anki.unchanged -= 1,
                        Change::New => continue,
                    }
                    anki.conflicting += 1;
                }
            }
            plans.push(DeckPlan {
                index: pending.index,
                built,
                anki,
                with_merge,
                notetype: change,
                left_behind: left_behind.len(),
                blank_cards: pending.blank_cards,
            });
        }
        plans
    }
}

/// The decks whose file is gone that the lock would drop (`dropped`: key and the entries no deck
/// took over), as [`stale::remove_gone_deck`] would report them: the outputs it would remove,
/// and the notes that stay in Anki.
pub(super) fn gone_decks(
    opts: &super::BuildOptions,
    dropped: &[(&str, &[NoteEntry])],
    lock: &Lock,
    live: &std::collections::HashSet<String>,
) -> Vec<stale::GoneDeck> {
    let live = stale::LiveNames::of(live.iter().cloned());
    dropped
        .iter()
        .filter(|(key, _)| !lock.decks.contains_key(*key) && !lock.kept.contains_key(*key))
        .map(|(key, entries)| {
            let removed_files: Vec<PathBuf> = match live.contains(key) || live.contains(&output_stem(key)) {
                true => Vec::new(),
                false => [format!("{}.apkg", output_stem(key)), format!("{}.csv", output_stem(key))]
                    .iter()
                    .map(|name| opts.out.join(name))
                    .filter(|path| path.is_file())
                    .collect(),
            };
            stale::GoneDeck {
                key: key.to_string(),
                removed_files,
                note_ids: entries.iter().map(|e| e.note_id).collect(),
            }
        })
        .collect()
}

/// The number of notes in a deck's lock section (its `note` lines): what an up-to-date deck's
/// package holds.
pub(super) fn notes_in_section(section: &str) -> usize {
    section.lines().filter(|line| line.starts_with("note\t")).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(new: usize, updated: usize, unchanged: usize) -> Built {
        Built {
            name: "D".into(),
            notes: new + updated + unchanged,
            cards: new + updated + unchanged,
            new,
            updated,
            unchanged,
            removed: Vec::new(),
            removed_lines: super::super::lines::RemovedLines::NoRecord,
            removed_kept: false,
            moved: Vec::new(),
            outputs: Vec::new(),
            recovered_from: None,
            new_ids: None,
            changed: Vec::new(),
            source_lines: String::new(),
            csv_media: None,
        }
    }

    #[test]
    fn a_note_type_whose_schema_changed_makes_anki_skip_the_notes_it_has_unless_merged() {
        let change =
            TypeChange::Schema { notetype: "vocab".into(), kind_changed: false, fields_changed: false };
        let (anki, merged) = counts(&built(2, 3, 5), Some(&change));
        assert_eq!(anki, Counts { new: 2, updated: 0, unchanged: 0, conflicting: 8 });
        assert_eq!(merged, Some(Counts { new: 2, updated: 3, unchanged: 5, conflicting: 0 }));
    }

    #[test]
    fn merging_changed_fields_leaves_no_note_updated() {
        let change =
            TypeChange::Schema { notetype: "vocab".into(), kind_changed: false, fields_changed: true };
        let (anki, merged) = counts(&built(2, 3, 5), Some(&change));
        assert_eq!(anki, Counts { new: 2, updated: 0, unchanged: 0, conflicting: 8 });
        assert_eq!(merged, Some(Counts { new: 2, updated: 0, unchanged: 8, conflicting: 0 }));
    }

    #[test]
    fn a_deck_switched_to_another_note_type_conflicts_and_merging_is_not_offered() {
        let switched = TypeChange::Switched { from: "a".into(), to: "b".into(), kind_changed: false };
        assert_eq!(
            counts(&built(1, 1, 1), Some(&switched)),
            (Counts { new: 1, conflicting: 2, ..Counts::default() }, None)
        );
        let across = TypeChange::Switched { from: "a".into(), to: "b".into(), kind_changed: true };
        assert_eq!(counts(&built(4, 0, 0), Some(&across)).0, Counts { new: 4, ..Counts::default() });
        let cloze = TypeChange::Schema { notetype: "c".into(), kind_changed: true, fields_changed: false };
        assert_eq!(
            counts(&built(0, 1, 1), Some(&cloze)),
            (Counts { conflicting: 2, ..Counts::default() }, None)
        );
    }

    #[test]
    fn without_a_note_type_change_anki_does_what_the_build_counts() {
        assert_eq!(
            counts(&built(1, 2, 3), None),
            (Counts { new: 1, updated: 2, unchanged: 3, conflicting: 0 }, None)
        );
    }

    #[test]
    fn an_up_to_date_decks_notes_are_its_note_lines() {
        let section = "deck\tk\t11\t5\tK\t1\nnote\tk\ta\nnote\tk\tb\nend\tk\t2\t0000000000000000\n";
        assert_eq!(notes_in_section(section), 2);
    }
}
