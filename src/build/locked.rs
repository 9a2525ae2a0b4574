//! What a build refused by `--locked` would have changed in the lock, deck by deck, so that a
//! CI log says why: the sections of the old lock and of the new one are compared by digest,
//! and a changed deck's notes counted by how they changed.

use super::Pending;
use crate::identify::Change;
use crate::lock::NotetypeEntry;
use std::collections::{BTreeMap, HashMap};

/// The lock as it was, as much of it as the comparison needs (taken before its text is let go).
#[derive(Debug, Default)]
pub(super) struct OldLock {
    /// Whether there was a lock file at all.
    pub exists: bool,
    /// A lock of an older version, which a build rewrites in the current one.
    pub older_version: bool,
    /// The digest of each deck's section, by deck key.
    pub sections: HashMap<String, u128>,
    pub notetypes: BTreeMap<i64, NotetypeEntry>,
}

/// How the lock would change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockChanges {
    /// There is no lock file yet: it would be created.
    pub created: bool,
    /// The lock is of an older version and would be rewritten in the current one.
    pub upgraded: bool,
    /// The note types' lines change: a note type added or removed, or its stylesheet,
    /// templates or fields changed (not the schema lines an upgrade adds).
    pub notetype: bool,
    /// The decks whose lines change, by key.
    pub decks: Vec<DeckChange>,
}

/// One deck's lines in the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckChange {
    pub key: String,
    pub kind: DeckChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeckChangeKind {
    /// A deck the lock does not have yet (a new deck file, or a renamed one).
    Added { new: usize, updated: usize },
    /// A deck whose file is gone: its lines are dropped.
    Dropped,
    /// A deck whose lines change: its notes by how they changed (all zero when only the lines'
    /// form changes: a note moved within the file, ids renewed, an older format).
    Changed { new: usize, updated: usize, removed: usize },
}

/// Compares the old lock with the sections of the new one (`new_sections`, by key, as
/// [`crate::lock::Lock::write_to`] gives them), counting the notes of the decks to write.
pub(super) fn changes(
    old: &OldLock,
    new_sections: &HashMap<String, u128>,
    new_notetypes: &BTreeMap<i64, NotetypeEntry>,
    to_emit: &[Pending],
) -> LockChanges {
    let counts = |key: &str| {
        to_emit.iter().find(|p| p.deck.key == key).map_or((0, 0, 0), |p| {
            (p.deck.count(Change::New), p.deck.count(Change::Updated), p.deck.removed.len())
        })
    };
    let mut keys: Vec<&String> = old.sections.keys().chain(new_sections.keys()).collect();
    keys.sort();
    keys.dedup();
    let decks = keys
        .into_iter()
        .filter_map(|key| {
            let kind = match (old.sections.get(key), new_sections.get(key)) {
                (Some(a), Some(b)) if a == b => return None,
                (Some(_), Some(_)) => {
                    let (new, updated, removed) = counts(key);
                    DeckChangeKind::Changed { new, updated, removed }
                }
                (Some(_), None) => DeckChangeKind::Dropped,
                (None, _) => {
                    let (new, updated, _) = counts(key);
                    DeckChangeKind::Added { new, updated }
                }
            };
            Some(DeckChange { key: key.clone(), kind })
        })
        .collect();
    LockChanges {
        created: !old.exists,
        upgraded: old.exists && old.older_version,
        notetype: old.exists && !same_notetypes(&old.notetypes, new_notetypes),
        decks,
    }
}

/// Whether the new lock's note types are the old one's, counting a note type of a lock before
/// version 4 (no schema lines) as the same when all else is: the upgrade adds those lines, and
/// it is reported as such.
fn same_notetypes(old: &BTreeMap<i64, NotetypeEntry>, new: &BTreeMap<i64, NotetypeEntry>) -> bool {
    old.len() == new.len()
        && old.iter().zip(new).all(|((old_id, old), (new_id, new))| {
            old_id == new_id
                && (old == new
                    || (old.schema.is_none() && *old == NotetypeEntry { schema: None, ..new.clone() }))
        })
}
