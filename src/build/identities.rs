//! The identify phase of a build: every deck to build gets its old identities (from the lock, a
//! renamed file's entries or its previous package), then the decks are matched together against
//! the old entries of all of them and of the decks whose file is gone, so a card moved to another
//! deck file keeps its note; guids and ids of new notes are given in file order.

use super::{DeckError, DeckResult, Identified, Outcome, Pending, Prepared, Run, moved, recover};
use crate::diagnostic::{Code, Diagnostic};
use crate::discover::SourceFile;
use crate::identify::{self, Context, DeckText, IdAllocator, ReadDeck};
use crate::ids::NoteId;
use crate::lock::{Lock, NoteEntry};
use crate::source::stem_of;
use std::collections::HashSet;

impl Run<'_> {
    /// Gives every deck to build its identities. First every deck's old identities are found,
    /// so that ids allocated for one deck stay clear of those recovered for another; then decks
    /// are identified in file order, so ids and guids do not depend on scheduling.
    pub(super) fn identify_all<'l>(
        &self,
        files: &[SourceFile],
        prepared: Vec<(Prepared, Vec<Diagnostic>)>,
        old_lock: &'l Lock,
        forgotten: &mut Vec<String>,
        lock_edited: &HashSet<String>,
    ) -> Identified<'l> {
        let opts = self.opts;
        let mut claimed: HashSet<String> = HashSet::new();
        let mut olds: Vec<Option<Result<recover::OldIdentities, recover::NotBuilt>>> = prepared
            .iter()
            .map(|(p, _)| {
                let name = match p {
                    Prepared::Ready { deck, .. } => recover::DeckName { key: &deck.key, name: &deck.name },
                    _ => return None,
                };
                let notetype = self.types.notetype(name.key);
                Some(recover::old_identities(opts, old_lock, name, notetype, forgotten, &mut claimed))
            })
            .collect();
        forgotten.retain(|key| !claimed.contains(key));
        let (kept_guids, max_id) = old_lock.kept_guids_and_max_id();
        let mut ids = IdAllocator::new(opts.now_secs, max_id);
        // Every guid in the lock, parsed or kept, so a new note never takes one that is in use.
        let mut guids: identify::GuidSet =
            old_lock.notes.values().flatten().map(|n| n.guid.as_str()).collect();
        guids.extend(kept_guids);
        // A deck whose lock section is not the one its last build wrote (an older lock checked
        // out) is also matched against the notes that build gave Anki and the lock lacks. Their
        // ids are kept when above every id of the lock (given after it); else they are renewed
        // once every recovered id is known (Anki finds a note by its guid).
        let mut to_renew: Vec<(usize, NoteEntry)> = Vec::new();
        for (d, ((p, _), old)) in prepared.iter().zip(olds.iter_mut()).enumerate() {
            let name = match p {
                Prepared::Ready { deck, .. } => recover::DeckName { key: &deck.key, name: &deck.name },
                _ => continue,
            };
            let Some(Ok(old)) = old else { continue };
            if old.from.is_some() || old.taken_over.is_some() || !lock_edited.contains(name.key) {
                continue;
            }
            let notetype = self.types.notetype(name.key);
            for entry in recover::forgotten_by_lock(opts, name, notetype, &mut guids) {
                if entry.note_id.0 > max_id && entry.card_ids.iter().all(|c| c.0 > max_id) {
                    old.notes.to_mut().push(entry);
                } else {
                    to_renew.push((d, entry));
                }
            }
        }
        // Identities recovered from a package are not in the lock: theirs count too. (Those
        // borrowed from the lock are counted above.)
        for old in olds.iter().flatten().flatten().filter(|o| matches!(o.notes, std::borrow::Cow::Owned(_))) {
            ids.ensure_above(old.notes.iter().map(|n| n.note_id.0.max(n.card_ids.max())).max().unwrap_or(0));
            guids.extend(old.notes.iter().map(|n| n.guid.as_str()));
        }
        for old in olds.iter().flatten().flatten() {
            guids.extend(old.reserved.iter().map(String::as_str));
        }
        for (d, mut entry) in to_renew {
            entry.note_id = NoteId(ids.take());
            entry.card_ids = ids.take_cards(entry.card_ids.len());
            if let Some(Some(Ok(old))) = olds.get_mut(d) {
                old.notes.to_mut().push(entry);
            }
        }
        // Notes whose ids an earlier deck's notes also have get new ones, before any new note
        // does, in file order: the same lock gives the same ids.
        for ((p, _), old) in prepared.iter().zip(olds.iter_mut()) {
            let key = match p {
                Prepared::Ready { deck, .. } => &deck.key,
                _ => continue,
            };
            let Some(Ok(old)) = old else { continue };
            let key = old.taken_over.clone().unwrap_or_else(|| key.clone());
            old.new_ids = recover::renew_clashing_ids(old_lock, &key, &mut old.notes, &mut ids);
        }
        let recovered = || olds.iter().flatten().flatten().flat_map(|o| o.notetypes.iter());
        // The built-in cloze of cloze cards only when a deck has some (else the lock and the
        // packages are what they were).
        let cloze_cards =
            prepared.iter().any(|(p, _)| matches!(p, Prepared::Ready { deck, .. } if deck.cloze > 0));
        let notetype_entries: std::collections::HashMap<i64, crate::lock::NotetypeEntry> = (self.types.all())
            .iter()
            .filter(|nt| cloze_cards || !self.types.only_for_cloze_cards(nt))
            .map(|nt| {
                // No such note type in the lock: take the newest one recovered from a package.
                let old = (old_lock.notetypes.get(&nt.id.0))
                    .or_else(|| recover::newest_of(recovered().filter(|e| e.id == nt.id)));
                (nt.id.0, identify::identify_notetype(nt, old, opts.now_secs))
            })
            .collect();

        let mut lock = Lock::default();
        let mut results: Vec<DeckResult> = Vec::with_capacity(files.len());
        // The decks to identify, with the place of their result, their source digest and their
        // old identities; the others keep their lock entries.
        let mut decks: Vec<(usize, ReadDeck, u128, recover::OldIdentities<'l>)> = Vec::new();
        for ((file, (prepared, _)), old) in files.iter().zip(prepared).zip(olds) {
            let (deck, source, old) = match (prepared, old) {
                (Prepared::Ready { deck, source }, Some(Ok(old))) => (deck, source, old),
                (prepared, old) => {
                    recover::keep_old_entries(old_lock, &stem_of(&file.path), &mut lock);
                    results.push(match old {
                        Some(Err(recover::NotBuilt::Failed(message))) => {
                            DeckResult { file: file.path.clone(), outcome: Outcome::Failed(message) }
                        }
                        Some(Err(recover::NotBuilt::DamagedLock(message))) => {
                            DeckResult { file: file.path.clone(), outcome: Outcome::DamagedLock(message) }
                        }
                        _ => DeckResult::unbuilt(file, prepared),
                    });
                    continue;
                }
            };
            // Until written, the deck is one `--locked` refuses (the outcome is replaced when
            // it is built).
            let (name, cards) = (deck.name.clone(), deck.len());
            decks.push((results.len(), deck, source, old));
            results
                .push(DeckResult { file: file.path.clone(), outcome: Outcome::NotWritten { name, cards } });
        }
        // Every deck's notes are matched against the old entries of every deck being built and
        // of the decks whose file is gone: a card moved to another file keeps its identity.
        // Entries of a version-1 lock get their sketches per side from the previous packages.
        for (_, deck, _, old) in &mut decks {
            let (key, name) = (deck.key.as_str(), deck.name.as_str());
            let notetype = self.types.notetype(key);
            // Switched between cloze and normal: no note keeps its identity (the cards do not map).
            if self.types.fresh(key) {
                old.notes = Default::default();
            }
            let key = old.taken_over.as_deref().unwrap_or(key);
            let name = old.deck.as_ref().map_or(name, |d| d.name.as_str());
            let notes = std::mem::take(&mut old.notes);
            old.notes =
                recover::with_sketches(opts, old_lock, notes, recover::DeckName { key, name }, notetype);
        }
        let others: Vec<std::borrow::Cow<[NoteEntry]>> = forgotten
            .iter()
            .map(|key| {
                let mut notes = old_lock.notes.get(key).map_or(&[][..], Vec::as_slice).into();
                recover::renew_clashing_ids(old_lock, key, &mut notes, &mut ids);
                let name = old_lock.decks.get(key).map_or(key.as_str(), |d| d.name.as_str());
                let notetype = self.types.notetype(key);
                recover::with_sketches(opts, old_lock, notes, recover::DeckName { key, name }, notetype)
            })
            .collect();
        let others: Vec<&[NoteEntry]> = others.iter().map(|notes| &**notes).collect();
        let texts: Vec<DeckText> = decks.iter().map(|(_, deck, _, _)| DeckText::new(deck)).collect();
        let to_match: Vec<identify::ToMatch> = decks
            .iter()
            .zip(&texts)
            .map(|((_, deck, _, old), text)| identify::ToMatch {
                keys: &deck.keys,
                text,
                own: &old.notes,
                pinned: &deck.pinned,
            })
            .collect();
        // Pinned guids: none twice among the decks built, none that a note outside them has. A
        // deck with such a note is not built (as one whose text cannot be read back, below).
        let pins: Vec<(&std::path::Path, &[identify::pinned::Pin])> =
            decks.iter().map(|(_, deck, _, _)| (deck.file.as_path(), deck.pinned.as_slice())).collect();
        let mut pin_errors = identify::pinned::clashes(&pins);
        let matched = identify::match_decks(&to_match, &others);
        pin_errors.extend(identify::pinned::reserve_new(&matched, &pins, &mut guids));
        let pin_files: HashSet<std::path::PathBuf> =
            pin_errors.iter().flat_map(|e| e.files()).map(|f| f.to_path_buf()).collect();
        drop(pins);
        drop(to_match);
        let pools: Vec<&[NoteEntry]> =
            decks.iter().map(|(_, _, _, old)| &*old.notes).chain(others.iter().copied()).collect();
        let pool_names: Vec<Option<&str>> = decks
            .iter()
            .map(|(_, _, _, old)| old.deck.as_ref().map(|d| d.name.as_str()))
            .chain(forgotten.iter().map(|key| old_lock.decks.get(key).map(|d| d.name.as_str())))
            .collect();
        // What each deck took from another's pool, and gave: put back if it is not written.
        let mut exchanges: Vec<recover::Exchange> = decks.iter().map(|_| Default::default()).collect();
        for (d, deck_match) in matched.decks.iter().enumerate() {
            for r in deck_match.matched.iter().flatten().filter(|r| r.pool != d) {
                let entry = &pools[r.pool][r.index];
                exchanges[d].adopted.push(entry.clone());
                if let Some(giver) = exchanges.get_mut(r.pool) {
                    giver.given_away.insert(entry.guid.clone());
                }
            }
        }
        // Guids and ids of new notes are given in file order, so they do not depend on scheduling.
        // A new note gets a card id per card Anki makes for it. A note type of one template
        // makes card 1 of every note (Anki adds it even when it renders empty): no need to
        // look at the fields.
        // The note type each pool's entries were built with (not the deck's own: a switch is
        // reviewed before the build), for the notes that move across note types.
        let pool_types: Vec<Option<(crate::ids::NotetypeId, &str)>> = (decks.iter())
            .map(|(_, _, _, _)| None)
            .chain(forgotten.iter().map(|key| {
                let id = super::schema::old_notetype_of(old_lock, key, self.types.notetype(key).id)?;
                Some((id, old_lock.notetypes.get(&id.0).map_or("(unknown)", |e| e.name.as_str())))
            }))
            .collect();
        let own_types: Vec<Option<(crate::ids::NotetypeId, &str)>> = (decks.iter())
            .map(|(_, deck, _, old)| {
                let key = &deck.key;
                let key = old.taken_over.as_deref().unwrap_or(key);
                let id = super::schema::old_notetype_of(old_lock, key, self.types.notetype(key).id)?;
                Some((id, old_lock.notetypes.get(&id.0).map_or("(unknown)", |e| e.name.as_str())))
            })
            .collect();
        let mut warnings: Vec<Diagnostic> = pin_errors.iter().map(|e| e.diagnostic()).collect();
        let mut assignments = Vec::with_capacity(decks.len());
        // Per deck, its notes that matched an entry built with another note type (W012 below):
        // Anki skips them as conflicting (the import plan counts them).
        let mut across_types: Vec<Vec<usize>> = Vec::with_capacity(decks.len());
        for (d, (deck_match, text)) in matched.decks.into_iter().zip(&texts).enumerate() {
            let (key, name) = (&decks[d].1.key, &decks[d].1.name);
            let notetype = self.types.notetype(key);
            // A deck with cloze cards of the built-in cloze: their cards are per note.
            let types = match decks[d].1.cloze {
                0 => crate::notetype::NoteTypes::only(notetype),
                _ => self.types.of_deck(key),
            };
            let cards = match (notetype.kind, notetype.templates.len(), types.cloze) {
                (crate::notetype::NotetypeKind::Normal, 1, None) => identify::CardShape::Every(1),
                _ => identify::CardShape::PerNote(types),
            };
            let moved = moved::from_other_decks(&deck_match, &pools, &pool_names, name);
            let mut types = pool_types.clone();
            // Its own entries too when they are a renamed file's (the review before the build
            // compared only decks the lock has under their key).
            let renamed = decks[d].3.taken_over.is_some();
            for (other, own) in own_types.iter().enumerate().filter(|(other, _)| *other != d || renamed) {
                types[other] = *own;
            }
            let path = &results[decks[d].0].file;
            let cloze_of = |id: crate::ids::NotetypeId| {
                old_lock.notetypes.get(&id.0).and_then(|e| e.schema.as_ref()).map(|s| s.cloze)
            };
            across_types.push(
                (deck_match.matched.iter().enumerate())
                    .filter(|(_, r)| {
                        r.as_ref().is_some_and(|r| super::schema::of_deck_type(&pools[r.pool][r.index]))
                            && r.as_ref().and_then(|r| types[r.pool]).is_some_and(|(id, _)| id != notetype.id)
                    })
                    .map(|(i, _)| i)
                    .collect(),
            );
            warnings.extend(super::schema::moved_across_types(
                &deck_match,
                &pools,
                &types,
                notetype,
                cloze_of,
                path,
            ));
            assignments.push(
                identify::assign(deck_match, d, &pools, text, (&mut ids, cards), &mut guids)
                    .map(|a| (a, moved)),
            );
        }
        let failures: Vec<Option<std::io::Error>> = texts.into_iter().map(DeckText::failure).collect();
        let mut to_emit: Vec<Pending> = Vec::new();
        let zipped = decks.into_iter().zip(assignments).zip(failures).zip(exchanges).enumerate();
        for (d, ((((index, deck, source, old), assignment), failure), exchange)) in zipped {
            let cx = Context {
                old_notes: &old.notes,
                taken: &matched.taken[d],
                old_deck: old.deck.as_ref(),
                now_secs: opts.now_secs,
            };
            if pin_files.contains(&deck.file) {
                let stem = stem_of(&results[index].file);
                recover::keep_entries_of_unbuilt(
                    old_lock,
                    &stem,
                    old.taken_over.as_deref(),
                    &exchange,
                    &mut lock,
                );
                results[index].outcome = Outcome::Invalid;
                continue;
            }
            let (assignment, moved) = match (assignment, failure) {
                (Ok(assignment), None) => assignment,
                (Err(e), _) | (Ok(_), Some(e)) => {
                    let stem = stem_of(&results[index].file);
                    let taken_over = old.taken_over.as_deref();
                    recover::keep_entries_of_unbuilt(old_lock, &stem, taken_over, &exchange, &mut lock);
                    let error = DeckError::ReadBack { path: results[index].file.clone(), source: e };
                    results[index].outcome = Outcome::Failed(error.to_string());
                    continue;
                }
            };
            let blank_cards = assignment.gone_cards.iter().map(|(_, gone)| gone.len()).sum();
            for (i, gone) in &assignment.gone_cards {
                let line = deck.notes.note_with(*i, |note| note.line);
                let cards: Vec<String> = gone.iter().map(|ord| format!("card {}", ord + 1)).collect();
                let message = format!(
                    "this note no longer makes its {}: Anki keeps {} blank after the import",
                    cards.join(", "),
                    if gone.len() == 1 { "it" } else { "them" }
                );
                let hint = "in Anki, Tools > Empty Cards removes blank cards (with their review history)";
                let at = line.unwrap_or(1);
                warnings.push(Diagnostic::new(Code::W010, &results[index].file, at, message).with_hint(hint));
            }
            let mut deck = identify::identify(deck, assignment, cx);
            deck.deck.notetype = Some(self.types.notetype(&deck.key).id);
            deck.deck.cloze_cards =
                self.types.of_deck(&deck.key).cloze.filter(|_| deck.cloze > 0).map(|nt| nt.id);
            deck.old_notes = old.notes;
            let types = self.types.of_deck(&deck.key);
            // A note that cannot be read back here fails the deck when it is written.
            let file = &results[index].file;
            warnings
                .extend(super::kinds::changed_kind(&deck, file, types.cloze.is_some()).unwrap_or_default());
            for (i, warning) in super::kinds::pinned_changed_kind(&deck, file, types).unwrap_or_default() {
                // Anki has it under its old note type: skipped as conflicting, as a moved note is.
                if !across_types[d].contains(&i) {
                    across_types[d].push(i);
                }
                warnings.push(warning);
            }
            if lock_edited.contains(&deck.key) {
                super::reverted::newer_than_package(opts, self.types.notetype(&deck.key), &mut deck);
            }
            // Its lock section is made from its notes by `finish_entries`.
            lock.decks.insert(deck.key.clone(), deck.deck.clone());
            to_emit.push(Pending {
                index,
                deck,
                recovered_from: old.from,
                taken_over: old.taken_over,
                source,
                moved,
                exchange,
                kept_removed: false,
                new_ids: old.new_ids,
                blank_cards,
                across_types: std::mem::take(&mut across_types[d]),
            });
        }
        // A file that could not be read or has errors may be a renamed deck whose new name has
        // no entries yet: until every file builds, the entries of decks whose file is gone stay
        // in the lock (but for those another deck took: one guid is never in the lock twice), or
        // the renamed deck's notes would all come back new.
        // The entries of each deck whose file is gone that no deck took: its removed notes.
        let first = matched.taken.len() - forgotten.len();
        let gone_left = forgotten
            .iter()
            .zip(&matched.taken[first..])
            .map(|(key, taken)| {
                let notes = old_lock.notes.get(key).map_or(&[][..], Vec::as_slice);
                let left = notes.iter().zip(taken).filter(|(_, t)| !**t).map(|(e, _)| e.clone()).collect();
                (key.clone(), left)
            })
            .collect();
        if results
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Invalid | Outcome::Failed(_) | Outcome::DamagedLock(_)))
        {
            // A card removed from a deck built now may have moved to a deck that is not built:
            // its entry stays in the lock until that deck builds, or it would come back new.
            // (`finish_entries` puts them after the deck's own.)
            for pending in &mut to_emit {
                pending.kept_removed = !pending.deck.removed.is_empty();
            }
            for (key, taken) in forgotten.drain(..).zip(&matched.taken[first..]) {
                recover::keep_untaken_entries(old_lock, &key, taken, &mut lock);
            }
        }
        // The note types of the decks written, and those of the decks kept as they were.
        lock.notetypes = old_lock.notetypes.clone();
        lock.notetypes.extend(notetype_entries.iter().map(|(id, entry)| (*id, entry.clone())));
        lock.prune_notetypes();
        Identified { lock, results, to_emit, notetype_entries, gone_left, warnings }
    }
}
