//! The read phase of a build: each deck to build is read once and parsed into one
//! [`ReadDeck`], its notes in memory or, for a file larger than
//! [`BuildOptions::stream_above`], on disk.

use super::check::{Checked, read_source};
use super::{BuildOptions, DeckError, DeckResult, Outcome, Run, media, settings, stream_block};
use crate::diagnostic::Diagnostic;
use crate::discover::SourceFile;
use crate::identify::{self, NoteKey, ReadDeck};
use crate::model::SideFields;
use crate::source::{self, stem_of};
use crate::spill::SpillWriter;
use crate::timing::Phase;
use rayon::prelude::*;
use std::path::Path;

/// A deck after the parallel read phase.
pub(super) enum Prepared {
    UpToDate {
        name: String,
        cards: usize,
    },
    /// A deck to build, read once: its notes in memory or, for one too large for that, on disk.
    Ready {
        deck: ReadDeck,
        source: u128,
    },
    Invalid,
    Failed(DeckError),
}

impl Prepared {
    /// How many cards the deck has to identify (none when it is not built).
    pub(super) fn cards(&self) -> usize {
        match self {
            Prepared::Ready { deck, .. } => deck.len(),
            _ => 0,
        }
    }
}

impl DeckResult {
    /// The result of a deck that is not written in this build.
    pub(super) fn unbuilt(file: &SourceFile, prepared: Prepared) -> DeckResult {
        let outcome = match prepared {
            Prepared::UpToDate { name, cards } => Outcome::UpToDate { name, cards },
            Prepared::Failed(e) => Outcome::Failed(e.to_string()),
            Prepared::Invalid | Prepared::Ready { .. } => Outcome::Invalid,
        };
        DeckResult { file: file.path.clone(), outcome }
    }
}

/// Parses one source file (reading it, unless the check did) into a deck to build. The digest
/// recorded for the next incremental check is of the bytes parsed here. A file larger than
/// [`BuildOptions::stream_above`] is read in blocks and its notes are kept on disk; either way
/// the deck is one [`ReadDeck`], identified and written the same way.
pub(super) fn prepare(
    file: &SourceFile,
    read: Option<(Vec<u8>, u128)>,
    opts: &BuildOptions,
    deck_settings: &crate::settings::DeckSettings,
    sides: SideFields,
    packs: &media::Packs,
) -> (Prepared, Vec<Diagnostic>) {
    let large = match (&read, std::fs::metadata(&file.path)) {
        (Some(_), _) => false,
        (None, Ok(meta)) => meta.len() > opts.stream_above,
        (None, Err(e)) => {
            return (Prepared::Failed(DeckError::io("read", &file.path)(e)), Vec::new());
        }
    };
    let read = match large {
        true => read_to_disk(file, opts, deck_settings, sides, packs),
        false => read
            .map_or_else(|| read_source(file), Ok)
            .and_then(|read| read_in_memory(file, read, deck_settings, sides, (&opts.lock, packs))),
    };
    match read {
        Ok((Some(mut deck), source, diagnostics)) => {
            deck.name = settings::deck_name(deck.name, deck_settings);
            (Prepared::Ready { deck, source }, diagnostics)
        }
        Ok((None, _, diagnostics)) => (Prepared::Invalid, diagnostics),
        Err(e) => (Prepared::Failed(e), Vec::new()),
    }
}

/// What reading a source file gave: the deck (none if it has errors), the digest of its bytes,
/// and the diagnostics; or why it could not be read.
pub(super) type ReadResult = Result<(Option<ReadDeck>, u128, Vec<Diagnostic>), DeckError>;

/// Parses a source file's bytes; its notes are kept in memory. Their media references are
/// rewritten, the files to pack go to `packs` (the project's lock file names the project folder).
pub(super) fn read_in_memory(
    file: &SourceFile,
    (bytes, digest): (Vec<u8>, u128),
    deck_settings: &crate::settings::DeckSettings,
    sides: SideFields,
    (lock, packs): (&Path, &media::Packs),
) -> ReadResult {
    let phase = Phase::start("parse", || stem_of(&file.path));
    let mapping = settings::NoteMapping::of(deck_settings);
    // Whether any note may reference media, found while its text is fresh in the cache: a
    // deck without is not read again for them.
    let may_have_media = std::sync::atomic::AtomicBool::new(false);
    let parsed = match file.format {
        source::Format::Csv => read_table(file, &bytes, deck_settings, &may_have_media),
        _ => source::parse_with(file.format, &file.path, &bytes, mapping.rules(), |card| {
            let note = mapping.note_of(card);
            media::note_may_reference(&note, &may_have_media);
            note
        }),
    };
    drop(phase);
    drop(bytes);
    let has_errors = parsed.has_errors();
    let mut diagnostics = parsed.diagnostics;
    // W013 is about the card's own text: said even when the deck has errors (as `check` does).
    diagnostics.extend(mapping.take_warnings(&file.path));
    let Some(deck) = parsed.deck.filter(|_| !has_errors) else {
        return Ok((None, digest, diagnostics));
    };
    let mut deck = source::deck_of(deck);
    let lint = settings::CardLint::of(deck_settings);
    let cloze_cards = deck.notes.iter().filter(|n| n.kind() == crate::model::NoteKind::Cloze).count();
    if !lint.nothing_for(cloze_cards) {
        diagnostics.extend(deck.notes.iter().flat_map(|n| lint.warnings(&file.path, n)));
    }
    let phase = Phase::start("media", || stem_of(&file.path));
    let packed = match may_have_media.into_inner() {
        true => media::pack_notes(&mut deck.notes, &file.path, lock),
        false => Ok(Default::default()),
    };
    drop(phase);
    let packed = match packed {
        Ok(packed) => packed,
        Err(media::Refused::Input(found)) => {
            diagnostics.extend(found);
            return Ok((None, digest, diagnostics));
        }
        Err(media::Refused::Failed(message)) => return Err(DeckError::Media(message)),
    };
    let source = media::fold(digest, &packed);
    packs.put(&deck.key, packed);
    Ok((Some(ReadDeck::in_memory(deck, sides)), source, diagnostics))
}

/// Reads a table's notes from its bytes (as [`read_to_disk`] does from its file, record by
/// record: the same notes and diagnostics).
fn read_table(
    file: &SourceFile,
    bytes: &[u8],
    deck_settings: &crate::settings::DeckSettings,
    may_have_media: &std::sync::atomic::AtomicBool,
) -> source::Parsed<crate::model::Note> {
    let layout = settings::table_layout(deck_settings);
    let mut notes = Vec::new();
    let read = source::csv::read(&file.path, bytes, &layout, |note| {
        media::note_may_reference(&note, may_have_media);
        notes.push(note);
        Ok(())
    });
    // Reading from memory does not fail.
    let (parsed, _) = read.expect("reading from memory");
    let deck = parsed.deck.map(|deck| source::SourceDeck {
        file: deck.file,
        stem: deck.stem,
        name: deck.name,
        cards: notes,
    });
    source::Parsed { deck, diagnostics: parsed.diagnostics }
}

/// Reads a large source file once, in blocks: each note goes to a spill file in `out` as it is
/// made, and only its hashes and first-choice guid stay in memory.
pub(super) fn read_to_disk(
    file: &SourceFile,
    opts: &BuildOptions,
    deck_settings: &crate::settings::DeckSettings,
    sides: SideFields,
    packs: &media::Packs,
) -> ReadResult {
    let _phase = Phase::start("scan", || stem_of(&file.path));
    let failed = |what: &'static str, path: &Path, e: std::io::Error| DeckError::io(what, path)(e);
    let mut reader = std::fs::File::open(&file.path).map_err(|e| failed("read", &file.path, e))?;
    let mut spill = std::fs::create_dir_all(&opts.out)
        .and_then(|()| SpillWriter::new(&opts.out))
        .map_err(|e| failed("create a temporary file in", &opts.out, e))?;
    let key = stem_of(&file.path);
    let mut keys: Vec<NoteKey> = Vec::new();
    let mut guids: Vec<u64> = Vec::new();
    let mut pinned = Vec::new();
    let mut cloze = 0;
    let mut tags: std::collections::BTreeSet<String> = Default::default();
    let mapping = settings::NoteMapping::of(deck_settings);
    let map_note = |note: crate::model::Note| {
        let guid = identify::guid_value(&key, &note, sides, 1);
        (NoteKey::of(&note, sides), guid, note)
    };
    let map = |card: source::CardText<'_>| map_note(mapping.note_of(card));
    let mut spill_failed = None;
    let lint = settings::CardLint::of(deck_settings);
    let mut warnings = Vec::new();
    let rules = mapping.rules();
    let mut media = media::Streaming::new(&opts.lock, &file.path);
    let mut take = |(mut note_key, mut guid, mut note): (NoteKey, u64, crate::model::Note)| {
        warnings.extend(lint.warnings(&file.path, &note));
        // A note whose media references were rewritten has new keys.
        if let Some(packed) = media.note(&note) {
            note_key = NoteKey::of(&packed, sides);
            guid = identify::guid_value(&key, &packed, sides, 1);
            note = packed;
        }
        let key = note_key;
        if let Some(guid) = note.pinned() {
            pinned.push(identify::pinned::Pin { index: keys.len(), line: note.line, guid: guid.to_string() });
        }
        keys.push(key);
        guids.push(guid);
        cloze += usize::from(note.kind() == crate::model::NoteKind::Cloze);
        for tag in note.tags() {
            if !tags.contains(tag) {
                tags.insert(tag.to_string());
            }
        }
        spill.push(&note).inspect_err(|_| spill_failed = Some(()))
    };
    let streamed = match file.format {
        source::Format::Csv => {
            let layout = settings::table_layout(deck_settings);
            source::csv::read(&file.path, &mut reader, &layout, |note| take(map_note(note)))
        }
        _ => {
            source::parse_stream(file.format, &file.path, &mut reader, stream_block(), rules, map, |piece| {
                piece.into_iter().try_for_each(&mut take)
            })
        }
    };
    let (parsed, digest) = match streamed {
        Ok(done) => done,
        Err(e) if spill_failed.is_some() => return Err(failed("write a temporary file in", &opts.out, e)),
        Err(e) => return Err(failed("read", &file.path, e)),
    };
    let has_errors = parsed.has_errors();
    let mut diagnostics = parsed.diagnostics;
    // W013 even when the deck has errors, as in memory.
    diagnostics.extend(mapping.take_warnings(&file.path));
    let Some(deck) = parsed.deck.filter(|_| !has_errors) else {
        return Ok((None, digest, diagnostics));
    };
    let notes = spill.finish().map_err(|e| failed("write a temporary file in", &opts.out, e))?;
    let deck = ReadDeck {
        key: deck.stem,
        name: deck.name,
        file: deck.file,
        keys,
        guids,
        tags: tags.into_iter().collect(),
        sides,
        pinned,
        cloze,
        notes: Box::new(notes),
    };
    diagnostics.extend(warnings);
    let packed = match media.finish() {
        Ok(packed) => packed,
        Err(media::Refused::Input(found)) => {
            diagnostics.extend(found);
            return Ok((None, digest, diagnostics));
        }
        Err(media::Refused::Failed(message)) => return Err(DeckError::Media(message)),
    };
    let source = media::fold(digest, &packed);
    packs.put(&deck.key, packed);
    Ok((Some(deck), source, diagnostics))
}

impl Run<'_> {
    /// Reads and parses, in parallel, every file that must be built.
    pub(super) fn prepare_all(
        &self,
        files: &[SourceFile],
        checked: Vec<Checked>,
    ) -> Vec<(Prepared, Vec<Diagnostic>)> {
        files
            .par_iter()
            .zip(checked)
            .map(|(file, checked)| {
                let stem = stem_of(&file.path);
                let settings = self.project.for_deck(&stem);
                let sides = self.types.notetype(&stem).sides();
                let prepared = match checked {
                    Checked::Build(read) => prepare(file, read, self.opts, &settings, sides, &self.media),
                    // Parsed all the same, so that build reports what check does: the clash
                    // does not hide the file's own problems.
                    Checked::Invalid(diagnostic) => {
                        let (_, parsed) = prepare(file, None, self.opts, &settings, sides, &self.media);
                        (Prepared::Invalid, std::iter::once(diagnostic).chain(parsed).collect())
                    }
                    other => (other.into(), Vec::new()),
                };
                self.progress.advance(1);
                prepared
            })
            .collect()
    }
}
