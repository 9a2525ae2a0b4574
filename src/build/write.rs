//! The write phase of a build: each identified deck's package (and CSV) is written to temporary
//! files while the lock is, then everything is put in place in the order that keeps the lock on
//! disk knowing every identity any output holds.

use super::check::notetypes_fingerprint;
use super::{
    BuildError, BuildOptions, Built, ChangedNote, DeckError, DeckResult, Identified, JournalAfter,
    LockStatus, NewIds, Outcome, Run, durable, free_in_background, journal, lines, lockfile, moved,
    output_paths, output_stem, recover, stale, state,
};
use crate::discover::SourceFile;
use crate::emit::{self, EmitError, collection::CollectionInput};
use crate::identify::{self, IdentifiedDeck};
use crate::lock::{Lock, NoteEntry, NotetypeEntry, SpilledSection};
use crate::notetype::Notetype;
use crate::source::stem_of;
use crate::timing::Phase;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A deck identified and waiting to be written.
pub(super) struct Pending<'a> {
    pub(super) index: usize,
    pub(super) deck: IdentifiedDeck<'a>,
    pub(super) recovered_from: Option<String>,
    /// The deck key whose lock entries this deck took over (its file was renamed).
    pub(super) taken_over: Option<String>,
    /// The digest of the source file, for its state fingerprint.
    pub(super) source: u128,
    /// The cards whose note was in another Anki deck before.
    pub(super) moved: Vec<moved::Moved>,
    /// The entries it took from other decks and gave them.
    pub(super) exchange: recover::Exchange,
    /// Its removed cards' entries stay in the lock (another deck was not built: a card may have
    /// moved there), so the deck is not recorded up to date: the next build puts them up for
    /// matching again.
    pub(super) kept_removed: bool,
    /// Its notes that got new ids.
    pub(super) new_ids: Option<NewIds>,
    /// The cards its notes no longer make (W010), which Anki keeps, blank.
    pub(super) blank_cards: usize,
    /// Its notes that were built with another note type (moved from a deck of another type,
    /// W012), by index: Anki skips them as conflicting.
    pub(super) across_types: Vec<usize>,
}

/// Writes a deck's package (and CSV) to temporary files and flushes them; returns them with
/// their destinations, to be put in place once the lock is.
pub(super) fn emit_deck(
    opts: &BuildOptions,
    (notetype, notetype_entry): (&Notetype, &NotetypeEntry),
    cloze: Option<(&Notetype, &NotetypeEntry)>,
    deck_settings: &crate::settings::DeckSettings,
    pending: &Pending,
    media: &[crate::media::MediaFile],
) -> Result<(Built, TempOutputs), DeckError> {
    let deck = &pending.deck;
    let outputs = output_paths(opts, &deck.key);
    let subdecks = match deck_settings.subdecks {
        true => {
            let types = crate::notetype::NoteTypes { own: notetype, cloze: cloze.map(|(nt, _)| nt) };
            Some(emit::subdecks::Subdecks::of(deck, types).map_err(DeckError::Subdecks)?)
        }
        false => None,
    };
    let description = deck_settings.description.as_deref().unwrap_or("");
    let cloze = cloze.filter(|_| deck.cloze > 0);
    let input =
        CollectionInput { deck, notetype, notetype_entry, cloze, description, subdecks: subdecks.as_ref() };
    // Both files are finished before either replaces the old one, so the package and the CSV
    // in out/ always come from the same build.
    let package = emit::apkg::write_temp(&outputs[0], &input, media, opts.compression)?;
    let csv = match outputs.get(1) {
        Some(path) => Some(emit::csv::write_temp(path, deck, notetype, cloze.map(|(nt, _)| nt))?),
        None => None,
    };
    // The CSV's media are copied beside it (a folder left by a build with `--csv` is removed).
    let media_folder = super::media::csv_folder(&opts.out, &output_stem(&deck.key));
    let csv_media = if opts.csv { media } else { &[] };
    super::media::copy_for_csv(&opts.out, &media_folder, csv_media).map_err(|e| {
        DeckError::Media(format!("cannot copy the media of the CSV to {}: {e}", media_folder.display()))
    })?;
    let mut files = vec![(package, outputs[0].clone())];
    if let (Some(csv), Some(path)) = (csv, outputs.get(1)) {
        files.push((csv, path.clone()));
    }
    // Flushed here, in parallel, so that putting them in place later is only a rename.
    for (temp, dest) in &files {
        emit::seal(temp, dest)?;
    }
    let csv_media = (!csv_media.is_empty()).then_some(media_folder);
    let built = summary(opts, notetype, pending, subdecks.as_ref(), outputs, csv_media)?;
    Ok((built, files))
}

/// What the report says of a deck that is written, or that `--plan` says would be: its counts,
/// removed notes and the cards whose note was in another Anki deck. Writes nothing.
pub(super) fn summary(
    opts: &BuildOptions,
    notetype: &Notetype,
    pending: &Pending,
    subdecks: Option<&emit::subdecks::Subdecks>,
    outputs: Vec<PathBuf>,
    csv_media: Option<PathBuf>,
) -> Result<Built, DeckError> {
    let deck = &pending.deck;
    // One card a note unless the note type makes several (counted only then: it asks for
    // every note's ids).
    let cards = match notetype.templates.len() == 1
        && notetype.kind != crate::notetype::NotetypeKind::Cloze
        && deck.cloze == 0
    {
        true => deck.len(),
        false => (0..deck.len()).map(|i| deck.identity(i).2.len()).sum(),
    };
    let built = Built {
        name: deck.name.clone(),
        notes: deck.len(),
        cards,
        new: deck.count(identify::Change::New),
        updated: deck.count(identify::Change::Updated),
        unchanged: deck.count(identify::Change::Unchanged),
        removed: deck.removed.clone(),
        removed_lines: lines::RemovedLines::NoRecord,
        removed_kept: pending.kept_removed,
        moved: {
            let old_key = pending.taken_over.as_deref().unwrap_or(deck.key.as_str());
            let package = opts.out.join(format!("{}.apkg", output_stem(old_key)));
            let had_subdecks = lines::had_subdecks(&opts.out, old_key);
            moved::in_anki(deck, subdecks, &pending.moved, &package, had_subdecks)
        },
        outputs,
        recovered_from: pending.recovered_from.clone(),
        new_ids: pending.new_ids.clone(),
        changed: match opts.detail {
            true => deck
                .changed()
                .map_err(|source| DeckError::ReadBack { path: deck.file.clone(), source })?
                .into_iter()
                .map(|(_, change, line, preview)| ChangedNote { change, line, preview })
                .collect(),
            false => Vec::new(),
        },
        source_lines: lines::records_of(deck)
            .map_err(|source| DeckError::ReadBack { path: deck.file.clone(), source })?,
        csv_media,
    };
    Ok(built)
}

/// Makes the lock entries of the decks to write: a deck in memory gets its section in `lock`; one
/// on disk, whose entries would take as much memory as its notes, has its section written to a
/// temporary file in `dir`. The removed cards of a deck that keeps them follow its own.
pub(super) fn finish_entries(lock: &mut Lock, to_emit: &[Pending], dir: &Path) -> Result<(), BuildError> {
    let cannot = |source| {
        BuildError::Emit(EmitError::Io {
            action: "cannot write the lock entries of a large deck to a temporary file in",
            path: dir.to_path_buf(),
            source,
        })
    };
    for pending in to_emit {
        let deck = &pending.deck;
        let removed: &[NoteEntry] = if pending.kept_removed { &deck.removed } else { &[] };
        if deck.notes.in_memory() {
            let mut entries = deck.lock_entries().map_err(cannot)?;
            entries.extend(removed.iter().cloned());
            lock.notes.insert(deck.key.clone(), entries);
        } else {
            let section = SpilledSection::write(dir, &deck.key, &deck.deck, |f| {
                deck.for_each_lock_entry(f)?;
                if removed.is_empty() { Ok(()) } else { f(removed) }
            })
            .map_err(cannot)?;
            lock.spilled.insert(deck.key.clone(), section);
        }
    }
    Ok(())
}

/// The temporary files of a deck's outputs, with their destinations.
pub(super) type TempOutputs = Vec<(tempfile::NamedTempFile, PathBuf)>;

/// Puts the written decks' outputs in place, once the lock that knows their identities is: a
/// deck's state file is removed first (it vouched for the old outputs), and so is a CSV an
/// earlier build left when this one writes none. A deck whose outputs could not be moved is
/// marked failed; the others are returned with what was built.
pub(super) fn place_outputs<'p, 'a>(
    opts: &BuildOptions,
    written: Vec<(&'p Pending<'a>, (Built, TempOutputs))>,
    results: &mut [DeckResult],
) -> Result<Vec<(&'p Pending<'a>, Built)>, BuildError> {
    let out = &opts.out;
    let mut placed = Vec::with_capacity(written.len());
    for (pending, (built, files)) in written {
        let stem = &pending.deck.key;
        state::forget(out, stem);
        let _ = lines::remove(out, stem);
        let stale = match opts.csv {
            true => Ok(None),
            false => stale::remove_stale_csv(out, stem)
                .map_err(|e| DeckError::io("remove", &stale::csv_path(out, stem))(e)),
        };
        let moved = stale.and_then(|_| {
            files.into_iter().try_for_each(|(temp, dest)| {
                durable::step();
                emit::put_in_place(temp, &dest).map_err(DeckError::from)
            })
        });
        match moved {
            Ok(()) => placed.push((pending, built)),
            Err(e) => results[pending.index].outcome = Outcome::Failed(e.to_string()),
        }
    }
    durable::sync_dir(out).map_err(|source| {
        BuildError::Emit(EmitError::Io { action: "cannot flush the folder", path: out.clone(), source })
    })?;
    Ok(placed)
}

impl Run<'_> {
    /// Writes the identified decks and the lock, in the order that keeps the lock on disk
    /// knowing every identity that any output in `out/` holds, whenever the build is stopped:
    /// 1. the packages and CSVs are written to temporary files and flushed while the lock is
    ///    streamed to one (a deck whose files could not be written keeps its old lock entries);
    /// 2. the outputs of decks whose source file is gone are removed (their entries are still
    ///    in the lock on disk, so a crash here only repeats the removal), then the lock is put
    ///    in place and the rename flushed;
    /// 3. each deck's state file is removed, its package and CSV renamed into place (a CSV not
    ///    asked for is removed) and `out/` flushed;
    /// 4. only then the state files that say the decks are up to date are recorded.
    pub(super) fn emit_all(
        &self,
        identified: &mut Identified<'_>,
        old_lock: &Lock,
        (old_digest, old_sections): (Option<u128>, &std::collections::HashMap<String, u128>),
        dropped: &[(&str, &[NoteEntry])],
        files: &[SourceFile],
        interrupted: &[journal::Unreported],
    ) -> Result<(LockStatus, Vec<stale::GoneDeck>, JournalAfter), BuildError> {
        let opts = self.opts;
        let Identified { lock, results, to_emit, notetype_entries, .. } = identified;
        let (emitted, staged_lock) = rayon::join(
            || {
                to_emit
                    .par_iter()
                    .map(|p| {
                        let deck_settings = self.project.for_deck(&p.deck.key);
                        let types = self.types.of_deck(&p.deck.key);
                        let notetype = types.own;
                        let entry = &notetype_entries[&notetype.id.0];
                        let cloze = types.cloze.and_then(|nt| Some((nt, notetype_entries.get(&nt.id.0)?)));
                        let media = self.media.of(&p.deck.key);
                        let mut files = super::media::with_assets(media.files, &self.assets, &notetype.css);
                        // The cloze cards' note type has the project's `ankideck.css`, which a
                        // custom note type's stylesheet has not: its fonts too.
                        if let Some((cloze, _)) = cloze.filter(|_| p.deck.cloze > 0) {
                            files = super::media::with_assets(files, &self.assets, &cloze.css);
                        }
                        let emitted = emit_deck(opts, (notetype, entry), cloze, &deck_settings, p, &files);
                        self.progress.advance(p.deck.len() as u64);
                        emitted
                    })
                    .collect::<Vec<_>>()
            },
            || {
                // `--locked` completed them before comparing the lock.
                if !opts.locked {
                    let _phase = Phase::start("lock entries", String::new);
                    finish_entries(lock, to_emit, &opts.out)?;
                }
                let _phase = Phase::start("lock write", String::new);
                Ok::<_, BuildError>(lockfile::stage_lock(&opts.lock, &opts.out, lock)?)
            },
        );
        // The notes are written out: free them on another thread while the packages are
        // flushed to disk (a deck of 100,000 notes takes tens of milliseconds to free).
        let notes: Vec<_> = to_emit.iter_mut().map(|p| p.deck.take_notes()).collect();
        free_in_background(notes);
        // Without a lock to go with them, the new packages must not replace the old ones: the
        // identities of their new notes would be lost. (Their temporary files are removed.)
        let staged_lock = staged_lock?;
        let mut written = Vec::with_capacity(to_emit.len());
        for (pending, result) in to_emit.iter().zip(emitted) {
            match result {
                Ok(done) => written.push((pending, done)),
                Err(error) => {
                    // The package was not written: the lock keeps what matches the old one.
                    let stem = &pending.deck.key;
                    lock.decks.remove(stem);
                    lock.notes.remove(stem);
                    lock.spilled.remove(stem);
                    let taken_over = pending.taken_over.as_deref();
                    recover::keep_entries_of_unbuilt(old_lock, stem, taken_over, &pending.exchange, lock);
                    results[pending.index].outcome = Outcome::Failed(error.to_string());
                }
            }
        }
        // A deck that failed to write put its old entries back: the staged lock is stale then.
        let mut staged = if written.len() < to_emit.len() {
            // Its entries are of the note type of its last build.
            lock.restore_notetypes(old_lock);
            lockfile::stage_lock(&opts.lock, &opts.out, lock)?
        } else {
            staged_lock
        };
        let live = stale::LiveNames::of(files.iter().map(|f| stem_of(&f.path)));
        let dropped: Vec<&(&str, &[NoteEntry])> = dropped
            .iter()
            .filter(|(key, _)| !lock.decks.contains_key(*key) && !lock.kept.contains_key(*key))
            .collect();
        let gone = dropped
            .iter()
            .map(|(key, entries)| stale::remove_gone_deck(&opts.out, key, entries, &live))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|(path, source)| BuildError::Remove { path, source })?;
        if gone.iter().any(|g| !g.removed_files.is_empty()) {
            // Removed for good before the lock forgets the deck (or a power cut could leave
            // outputs that no later build knows to remove).
            durable::sync_dir(&opts.out).map_err(|source| {
                BuildError::Emit(EmitError::Io {
                    action: "cannot flush the folder",
                    path: opts.out.clone(),
                    source,
                })
            })?;
        }
        // The notes this lock drops are reported only if the build gets to the end: they are
        // kept on disk until then.
        // (Removed cards kept in the lock are not dropped by it: nothing to report later.)
        for (pending, (built, _)) in written.iter_mut().filter(|(_, (built, _))| !built.removed.is_empty()) {
            let key = pending.taken_over.as_deref().unwrap_or(pending.deck.key.as_str());
            let file = &results[pending.index].file;
            let section = old_sections.get(key).copied();
            built.removed_lines = lines::of_removed(&opts.out, key, section, file, &built.removed);
        }
        let removed = written
            .iter()
            .filter(|(p, _)| !p.kept_removed)
            .map(|(p, (built, _))| (p.deck.key.as_str(), &built.removed[..], &built.removed_lines));
        let no_lines = lines::RemovedLines::NoRecord;
        let removed = removed.chain(dropped.iter().map(|(key, entries)| (*key, *entries, &no_lines)));
        let mut unreported = journal::unreported(interrupted, removed);
        let mut journal_after = JournalAfter::Keep;
        let journal_error = |source| BuildError::Remove { path: opts.out.join(state::STATE_DIR), source };
        if !unreported.is_empty() {
            journal::write(&opts.out, staged.digest(), &unreported).map_err(journal_error)?;
        }
        let lock_digest = staged.digest();
        let section_digests = std::mem::take(&mut staged.sections);
        let phase = Phase::start("lock commit", String::new);
        let status = lockfile::commit_lock(&opts.lock, staged, old_digest)?;
        drop(phase);
        let placed = place_outputs(opts, written, results)?;
        for (pending, mut built) in placed {
            let stem = &pending.deck.key;
            let cloze = (self.types.of_deck(stem).cloze.filter(|_| pending.deck.cloze > 0))
                .and_then(|nt| notetype_entries.get(&nt.id.0));
            let notetype_line =
                notetypes_fingerprint(&notetype_entries[&self.types.notetype(stem).id.0], cloze);
            let section = match section_digests.get(stem) {
                Some(digest) => *digest,
                None => lock
                    .deck_digest(stem)
                    .map_err(|source| BuildError::Read { path: opts.lock.clone(), source })?,
            };
            let fingerprint = state::fingerprint(&state::FingerprintInput {
                source: pending.source,
                settings: &self.deck_fingerprint(stem),
                notetype: &notetype_line,
                lock_section: section,
            });
            let mut source_lines = std::mem::take(&mut built.source_lines);
            if pending.kept_removed {
                let kept = built
                    .removed
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| built.removed_lines.line(i).map(|(_, line)| (e.note_id, line)));
                lines::push_kept(&mut source_lines, &kept.collect::<Vec<_>>());
            }
            let file = &results[pending.index].file;
            let subdecks = self.project.for_deck(stem).subdecks;
            if lines::write(&opts.out, stem, section, subdecks, file, &source_lines).is_err() {
                let _ = lines::remove(&opts.out, stem);
            }
            if pending.kept_removed
                || super::media::record(&opts.out, stem, &self.media.of(stem)).is_err()
                || state::record(
                    &opts.out,
                    stem,
                    &fingerprint,
                    built.cards,
                    section,
                    &built.name,
                    self.types.notetype(stem).id.0,
                )
                .is_err()
            {
                state::forget(&opts.out, stem);
            }
            results[pending.index].outcome = Outcome::Built(Box::new(built));
        }
        if !unreported.is_empty() {
            // A deck whose outputs could not be put in place is not reported as built: its
            // removed notes stay in the journal for the next build to report.
            let failed: HashSet<&str> = to_emit
                .iter()
                .filter(|p| matches!(results[p.index].outcome, Outcome::Failed(_)))
                .map(|p| p.deck.key.as_str())
                .collect();
            unreported.retain(|deck| failed.contains(deck.key.as_str()));
            // Changed once the report is out (see `build_with`).
            journal_after = match unreported.is_empty() {
                true => JournalAfter::Clear,
                false => JournalAfter::Rewrite(lock_digest, unreported),
            };
        }
        Ok((status, gone, journal_after))
    }
}
