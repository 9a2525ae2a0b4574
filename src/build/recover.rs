//! Recovering note identities from a previous package when the lock file has no entries for a
//! deck (the lock was lost or deleted): the guids, ids and `mod` times are read back from
//! `out/<deck>.apkg`, so the rebuild still updates the user's notes instead of duplicating them.
//! Also where a deck's old identities come from in general: the lock, a renamed file's lock
//! entries, or the previous package.

use super::{BuildOptions, output_stem};
use crate::emit::{EmitError, dump};
use crate::identify;
use crate::ids::{CardId, CardIds, DeckId, NoteId};
use crate::lock::{DeckEntry, Lock, NoteEntry, NotetypeEntry};
use crate::model::{Note, NoteKind};
use crate::notetype::Notetype;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// What a previous package tells about a deck.
pub struct Recovered {
    pub notes: Vec<NoteEntry>,
    /// The guids of the package's notes not taken (of a note type of the other kind): Anki has
    /// them, so no new note may take one (guids are made from the content).
    pub others: Vec<String>,
    pub deck: Option<DeckEntry>,
    /// The entries of the deck's note type and of its cloze cards' (the built-in `cloze`) that
    /// the package holds.
    pub notetypes: Vec<NotetypeEntry>,
}

/// Reads the identities of `notetype`'s notes from the package at `path`.
pub fn from_package(path: &Path, deck_name: &str, notetype: &Notetype) -> Result<Recovered, EmitError> {
    let package = dump::read(path)?;
    // Each note's cards by ordinal, and the due of its first: the note's place in the deck.
    let mut cards_of: HashMap<i64, Vec<(i64, i64, i64)>> = HashMap::new();
    for c in &package.cards {
        cards_of.entry(c.nid).or_default().push((c.ord, c.id, c.due));
    }
    let card_of: HashMap<i64, (CardIds, i64)> = cards_of
        .into_iter()
        .filter_map(|(nid, mut cards)| {
            cards.sort_unstable();
            // Card ids are kept by ordinal: a note with an ordinal twice or out of range is not
            // recovered (when unsure, a new identity).
            let due = cards[0].2;
            let ords = cards.into_iter().map(|c| Some((u16::try_from(c.0).ok()?, CardId(c.1))));
            Some((nid, (CardIds::at_ords(ords.collect::<Option<Vec<_>>>()?)?, due)))
        })
        .collect();
    let sides = notetype.sides();
    // The notes of the deck's note type, or of the one the package was built with when the deck
    // switched since: between two normal (or two cloze) note types a switch keeps the notes'
    // guids (`schema.rs`), so a lock lost at the same time must not lose them. Of the same
    // number of fields only: a note of another shape is not known to be the same (when unsure,
    // a new identity).
    let cloze = notetype.kind == crate::notetype::NotetypeKind::Cloze;
    let same_kind = |mid: i64| {
        mid == notetype.id.0
            || package.models.get(mid.to_string()).is_some_and(|m| (m["type"].as_i64() == Some(1)) == cloze)
    };
    // In a deck of another note type, the notes of the built-in `cloze` are its cloze cards
    // ([`NoteKind::Cloze`]), with their hashes of that kind.
    let cloze_notes = (!cloze).then(|| Notetype::builtin("cloze", None).expect("a built-in name"));
    let kind_of = |n: &dump::NoteRow| match &cloze_notes {
        Some(c) if n.mid == c.id.0 && n.fields.len() == c.fields.len() => Some(NoteKind::Cloze),
        _ => (same_kind(n.mid) && n.fields.len() == notetype.fields.len()).then_some(NoteKind::Own),
    };
    let mut notes: Vec<(i64, NoteEntry)> = package
        .notes
        .iter()
        .filter_map(|n| Some((n, kind_of(n)?)))
        .filter_map(|(n, kind)| {
            let (card_ids, due) = card_of.get(&n.id)?;
            let tags: Vec<&str> = n.tags.split_whitespace().collect();
            let note = Note::new(&n.fields, &tags, 0).with_kind(kind);
            let sides = match kind {
                NoteKind::Own => sides,
                NoteKind::Cloze => crate::model::SideFields::FIRST_TWO,
            };
            let key = identify::NoteKey::of(&note, sides);
            let sketch = identify::sides_of(&note, sides);
            let ids = (NoteId(n.id), card_ids.clone(), n.mtime);
            let entry = key.entry((n.guid.clone(), kind), ids, sketch, identify::preview_of(&note, sides));
            Some((*due, entry))
        })
        .collect();
    let taken: HashSet<&str> = notes.iter().map(|(_, e)| e.guid.as_str()).collect();
    let others =
        package.notes.iter().filter(|n| !taken.contains(n.guid.as_str())).map(|n| n.guid.clone()).collect();
    notes.sort_by_key(|(due, e)| (*due, e.note_id));
    let deck = package.decks.as_object().and_then(|decks| {
        decks.values().find(|d| d["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(deck_name))).map(
            |d| DeckEntry {
                id: DeckId(d["id"].as_i64().unwrap_or(0)),
                mtime: d["mod"].as_i64().unwrap_or(0),
                name: deck_name.to_string(),
                notetype: Some(notetype.id),
                cloze_cards: None,
            },
        )
    });
    let entry_of = |notetype: &Notetype| {
        let model = package.models.get(notetype.id.0.to_string())?;
        let current = notetype.to_schema11(0);
        let same = ["css", "tmpls", "flds"].iter().all(|k| model[*k] == current[*k]);
        Some(NotetypeEntry {
            id: notetype.id,
            mtime: model["mod"].as_i64().unwrap_or(0),
            // An unknown old definition: the hash 0 never matches, so the mod moves forward.
            hash: if same { notetype.definition_hash() } else { 0 },
            name: notetype.name.to_string(),
            schema: crate::notetype::Schema::of_schema11(model),
        })
    };
    // The cloze cards' note type is compared as made without the project's `ankideck.css`:
    // with one, its `mod` moves forward once (Anki updates it in place).
    let notetypes = std::iter::once(notetype).chain(cloze_notes.as_ref()).filter_map(entry_of).collect();
    Ok(Recovered { notes: notes.into_iter().map(|(_, e)| e).collect(), others, deck, notetypes })
}

/// The newest of `entries` (by `mod`).
pub(super) fn newest_of<'a>(entries: impl Iterator<Item = &'a NotetypeEntry>) -> Option<&'a NotetypeEntry> {
    entries.max_by_key(|e| e.mtime)
}

/// Fills in the sketches per side of lock entries read from a version-1 lock (which had one
/// sketch of both sides) from the text of the deck's previous package, `out/<key>.apkg`, where an
/// entry's content is its note's there: so the first build after an upgrade matches edited cards
/// as every later one does. Without a readable package they stay without (such entries are then
/// matched by an unchanged side only). Only the entries of decks the lock has version-1 lines for
/// are looked at.
pub(super) fn with_sketches<'a>(
    opts: &BuildOptions,
    old_lock: &Lock,
    notes: std::borrow::Cow<'a, [NoteEntry]>,
    deck: DeckName<'_>,
    notetype: &Notetype,
) -> std::borrow::Cow<'a, [NoteEntry]> {
    let unsketched = |e: &NoteEntry| e.front_sketch.values().is_empty() && e.back_sketch.values().is_empty();
    if !old_lock.version_1.contains(deck.key) || !notes.iter().any(unsketched) {
        return notes;
    }
    let package = opts.out.join(format!("{}.apkg", output_stem(deck.key)));
    let Ok(recovered) = from_package(&package, deck.name, notetype) else { return notes };
    let by_guid: HashMap<&str, &NoteEntry> = recovered.notes.iter().map(|e| (e.guid.as_str(), e)).collect();
    let mut notes = notes.into_owned();
    for entry in notes.iter_mut().filter(|e| unsketched(e)) {
        if let Some(text) = by_guid.get(entry.guid.as_str()).filter(|r| r.content == entry.content) {
            entry.front_sketch = text.front_sketch.clone();
            entry.back_sketch = text.back_sketch.clone();
        }
    }
    notes.into()
}

/// The notes of a deck's previous package that no section of the lock holds, for a deck whose
/// lock section is not the one its last build wrote (an older lock checked out): Anki has them
/// from that package, so a card of theirs, even edited, must update its note rather than come
/// back as a new one (a duplicate in Anki). Each guid taken is added to `guids`; one already
/// there is left out (the lock knows that note). Without a readable package there are none.
pub(super) fn forgotten_by_lock(
    opts: &BuildOptions,
    deck: DeckName<'_>,
    notetype: &Notetype,
    guids: &mut identify::GuidSet,
) -> Vec<NoteEntry> {
    let package = opts.out.join(format!("{}.apkg", output_stem(deck.key)));
    let Ok(recovered) = from_package(&package, deck.name, notetype) else { return Vec::new() };
    recovered.notes.into_iter().filter(|e| guids.insert(&e.guid)).collect()
}

/// The key (file stem) and the Anki name of a deck.
#[derive(Debug, Clone, Copy)]
pub(super) struct DeckName<'a> {
    pub(super) key: &'a str,
    pub(super) name: &'a str,
}

/// The identities a deck is matched against: borrowed from the lock, or recovered.
#[derive(Default)]
pub(super) struct OldIdentities<'a> {
    pub(super) notes: std::borrow::Cow<'a, [NoteEntry]>,
    pub(super) deck: Option<DeckEntry>,
    pub(super) notetypes: Vec<NotetypeEntry>,
    /// Where they came from, when not from the lock's entries for this deck.
    pub(super) from: Option<String>,
    /// The key of a deck whose file is gone and whose entries these are.
    pub(super) taken_over: Option<String>,
    /// How many of them got new ids, because an earlier deck of the lock has notes with the same
    /// ids ([`crate::lock::IdClash`]).
    pub(super) new_ids: Option<super::NewIds>,
    /// Guids no new note may take: those of the notes of a package read back that were not
    /// taken ([`Recovered::others`]).
    pub(super) reserved: Vec<String>,
}

/// Why a deck is not built for want of its old identities.
#[derive(Debug, Clone)]
pub(super) enum NotBuilt {
    /// Its previous package cannot be read (the tool or the system failed).
    Failed(String),
    /// Its lock section is damaged and there is no package to read its identities from (the
    /// user's input is wrong).
    DamagedLock(String),
}

/// The lock entries a deck is matched against: the lock's; or, when the lock has none for it,
/// those of a deck with the same name whose file is gone (the file was renamed); or those
/// recovered from its previous package. A package that exists but cannot be read is an error:
/// building over it would lose the identities it holds. A damaged lock section is never used:
/// the identities come from the package, or the deck is not built.
pub(super) fn old_identities<'a>(
    opts: &BuildOptions,
    old_lock: &'a Lock,
    deck: DeckName<'_>,
    notetype: &Notetype,
    forgotten: &[String],
    claimed: &mut HashSet<String>,
) -> Result<OldIdentities<'a>, NotBuilt> {
    if let Some(damage) = old_lock.damaged.get(deck.key) {
        return from_damaged(opts, deck, notetype, damage);
    }
    if let Some(notes) = old_lock.notes.get(deck.key).filter(|n| !n.is_empty()) {
        let from = old_lock.merged.get(deck.key).cloned();
        let deck = old_lock.decks.get(deck.key).cloned();
        return Ok(OldIdentities { notes: notes.as_slice().into(), deck, from, ..OldIdentities::default() });
    }
    let renamed = forgotten.iter().find(|key| {
        !claimed.contains(*key)
            && !old_lock.damaged.contains_key(*key)
            && old_lock.decks.get(*key).is_some_and(|d| d.name.eq_ignore_ascii_case(deck.name))
    });
    if let Some(key) = renamed {
        claimed.insert(key.clone());
        return Ok(OldIdentities {
            notes: old_lock.notes.get(key).map_or(&[][..], Vec::as_slice).into(),
            deck: old_lock.decks.get(key).cloned(),
            notetypes: Vec::new(),
            from: Some(format!("the lock entries of `{key}` (same deck name; its file is gone)")),
            taken_over: Some(key.clone()),
            new_ids: None,
            reserved: Vec::new(),
        });
    }
    if let Some(old) = renamed_and_damaged(opts, old_lock, deck, notetype, forgotten, claimed) {
        return Ok(old);
    }
    let package = opts.out.join(format!("{}.apkg", output_stem(deck.key)));
    if !package.is_file() {
        return Ok(OldIdentities::default());
    }
    match from_package(&package, deck.name, notetype) {
        Ok(r) => Ok(recovered(r, package.display().to_string())),
        Err(e) => Err(NotBuilt::Failed(format!(
            "the lock has no entries for this deck and its previous package cannot be read to recover \
             them ({e}); restore ankideck.lock, or move {} away to build the deck with new identities",
            package.display()
        ))),
    }
}

/// The identities of a deck whose lock section is damaged: read back from its package, as for a
/// lost lock; without one, the deck is not built (new identities would duplicate its notes).
fn from_damaged<'a>(
    opts: &BuildOptions,
    deck: DeckName<'_>,
    notetype: &Notetype,
    damage: &crate::lock::Damage,
) -> Result<OldIdentities<'a>, NotBuilt> {
    let lock = opts.lock.display();
    let at = format!("{lock}:{}: {}", damage.line, damage.problem);
    let package = opts.out.join(format!("{}.apkg", output_stem(deck.key)));
    if !package.is_file() && damage.problem.starts_with("a repeated line") {
        // A line twice (a merge that took both sides' copy): the copy goes, nothing else.
        return Err(NotBuilt::DamagedLock(format!(
            "{at}; delete line {} of {lock} (the copy) and build again, or restore the lock from \
             version control (`git checkout -- {lock}`)",
            damage.line
        )));
    }
    if !package.is_file() {
        return Err(NotBuilt::DamagedLock(format!(
            "{at}; and there is no {} to read the identities back from. Restore the lock from \
             version control (`git checkout -- {lock}`), or delete the lines of deck `{}` from it \
             (its deck line through its `end` line) to give its cards new identities (new notes \
             in Anki)",
            package.display(),
            deck.key
        )));
    }
    match from_package(&package, deck.name, notetype) {
        Ok(r) => Ok(recovered(r, format!("{}, because {at}", package.display()))),
        Err(e) => Err(NotBuilt::Failed(format!(
            "{at}; and the deck's previous package cannot be read to recover its identities ({e}): \
             restore the lock from version control (`git checkout -- {lock}`)"
        ))),
    }
}

/// A deck whose file is gone and whose lock section is damaged may be this deck, renamed: when
/// its package holds a deck of this name, the identities are read from there.
fn renamed_and_damaged<'a>(
    opts: &BuildOptions,
    old_lock: &Lock,
    deck: DeckName<'_>,
    notetype: &Notetype,
    forgotten: &[String],
    claimed: &mut HashSet<String>,
) -> Option<OldIdentities<'a>> {
    for key in forgotten.iter().filter(|k| !claimed.contains(*k)) {
        let Some(damage) = old_lock.damaged.get(key) else { continue };
        let package = opts.out.join(format!("{}.apkg", output_stem(key)));
        let Ok(r) = from_package(&package, deck.name, notetype) else { continue };
        if r.deck.is_none() {
            continue;
        }
        claimed.insert(key.clone());
        let from = format!(
            "{} (same deck name; its file is gone), because {}:{}: {}",
            package.display(),
            opts.lock.display(),
            damage.line,
            damage.problem
        );
        return Some(OldIdentities { taken_over: Some(key.clone()), ..recovered(r, from) });
    }
    None
}

/// Identities recovered from a package, described by `from`.
fn recovered<'a>(r: Recovered, from: String) -> OldIdentities<'a> {
    OldIdentities {
        reserved: r.others,
        notes: r.notes.into(),
        deck: r.deck,
        notetypes: r.notetypes,
        from: Some(from),
        taken_over: None,
        new_ids: None,
    }
}

/// The entries a deck took from other decks of the build, and the guids of its own that other
/// decks took: what must change hands back if it is not written after all.
#[derive(Debug, Default)]
pub(super) struct Exchange {
    pub(super) adopted: Vec<NoteEntry>,
    pub(super) given_away: HashSet<String>,
}

/// Keeps a deck's old entries in the new lock when it is not built after all, and those of the
/// renamed file it took over (`taken_over`), for the next try; but for those another deck took,
/// and with those it took from other decks: every identity stays in the lock, once.
pub(super) fn keep_entries_of_unbuilt(
    old_lock: &Lock,
    stem: &str,
    taken_over: Option<&str>,
    exchange: &Exchange,
    new_lock: &mut Lock,
) {
    for key in std::iter::once(stem).chain(taken_over) {
        keep_old_entries(old_lock, key, new_lock);
        if let Some(notes) = new_lock.notes.get_mut(key) {
            notes.retain(|e| !exchange.given_away.contains(&e.guid));
        }
    }
    if !exchange.adopted.is_empty() {
        new_lock.notes.entry(stem.to_string()).or_default().extend(exchange.adopted.iter().cloned());
    }
}

pub(super) fn keep_old_entries(old_lock: &Lock, stem: &str, new_lock: &mut Lock) {
    if let Some(section) = old_lock.kept.get(stem) {
        new_lock.kept.insert(stem.to_string(), section.clone());
    }
    if let Some(deck) = old_lock.decks.get(stem) {
        new_lock.decks.insert(stem.to_string(), deck.clone());
    }
    if let Some(notes) = old_lock.notes.get(stem) {
        new_lock.notes.insert(stem.to_string(), notes.clone());
    }
}

/// Keeps the old entries of a deck whose file is gone, but for those a deck of this build took
/// (`taken`): one guid is never in the lock twice.
pub(super) fn keep_untaken_entries(old_lock: &Lock, stem: &str, taken: &[bool], new_lock: &mut Lock) {
    if let Some(section) = old_lock.kept.get(stem) {
        new_lock.kept.insert(stem.to_string(), section.clone());
    }
    if let Some(deck) = old_lock.decks.get(stem) {
        new_lock.decks.insert(stem.to_string(), deck.clone());
    }
    if let Some(notes) = old_lock.notes.get(stem) {
        let kept: Vec<NoteEntry> =
            notes.iter().zip(taken).filter(|(_, t)| !**t).map(|(e, _)| e.clone()).collect();
        if !kept.is_empty() {
            new_lock.notes.insert(stem.to_string(), kept);
        }
    }
}

/// Gives new ids to the entries of deck `key` (`notes`) whose ids an earlier deck of the lock
/// also has ([`crate::lock::IdClash`]), in their order, from `ids`: the note id, then the card
/// ids. Everything else, the guid first, stays. Says how many, and with which decks (by name).
pub(super) fn renew_clashing_ids(
    old_lock: &Lock,
    key: &str,
    notes: &mut std::borrow::Cow<'_, [NoteEntry]>,
    ids: &mut identify::IdAllocator,
) -> Option<super::NewIds> {
    let clash = old_lock.clashes.get(key)?;
    if !notes.iter().any(|e| clash.hits(e)) {
        return None;
    }
    let mut count = 0;
    for entry in notes.to_mut().iter_mut().filter(|e| clash.hits(e)) {
        entry.note_id = NoteId(ids.take());
        entry.card_ids = ids.take_cards_at(&entry.card_ids.ords());
        count += 1;
    }
    let with = clash.with.iter().map(|k| old_lock.deck_name(k).unwrap_or_else(|| k.clone())).collect();
    Some(super::NewIds { count, with })
}
