//! A build that writes nothing: every deck is read, parsed and identified as `build --force`
//! would (the lock, renamed files, previous packages, matching across decks), then each deck
//! that would be written is handed to the caller with its identities, note type and media, and
//! the build stops. The lock, the packages and the state in `out/` are read, never written: the
//! preview shows the guids a build gives, without giving them.
//!
//! It takes no build guard: it changes nothing a build reads, and the lock and packages it reads
//! are only ever replaced whole (renamed into place), so a build running meanwhile cannot show it
//! a half-written file.

use super::{BuildError, BuildOptions, BuildReport, DeckResult, Identified, JournalAfter, LockStatus, Run};
use crate::diagnostic::Diagnostic;
use crate::identify::IdentifiedDeck;
use crate::media::MediaFile;
use crate::notetype::Notetype;
use crate::settings::DeckSettings;
use std::path::Path;

/// One deck as the build would write it.
pub struct PeekedDeck<'a> {
    /// Its source file.
    pub file: &'a Path,
    /// Its notes with the identities the build gives them.
    pub deck: &'a IdentifiedDeck<'a>,
    /// Its note type.
    pub notetype: &'a Notetype,
    /// The note type of each of its notes: its own, and the built-in `cloze` for its cloze cards
    /// when its own is not cloze.
    pub notetypes: crate::notetype::NoteTypes<'a>,
    pub settings: DeckSettings,
    /// What its package holds besides the collection: the notes' media under their packed
    /// names and the stylesheet assets its note type uses.
    pub media: Vec<MediaFile>,
}

/// What [`peek`] calls with each deck; an error stops the run and is returned.
pub type Visit<'v> = dyn FnMut(PeekedDeck<'_>) -> std::io::Result<()> + 'v;

/// What the build calls once its decks are identified, when it is asked to stop there.
pub(super) type HandOver<'h> = dyn FnMut(&Run<'_>, &Identified<'_>) + 'h;

/// Why [`peek`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum PeekError {
    /// The build could not run at all (as `build` reports it).
    #[error(transparent)]
    Build(Box<BuildError>),
    /// The caller's visit failed.
    #[error(transparent)]
    Visit(std::io::Error),
}

/// Runs the build of `opts` up to identification, every deck read as with `--force`, and calls
/// `visit` with each deck that would be written, in file order. Returns the report of what the
/// build found (decks with errors are [`super::Outcome::Invalid`], the others
/// [`super::Outcome::NotWritten`]) and its diagnostics; nothing is written but temporary files
/// of decks read from disk, which are removed.
pub fn peek(opts: &BuildOptions, visit: &mut Visit<'_>) -> Result<BuildReport, PeekError> {
    let opts = BuildOptions { force: true, locked: false, csv: false, detail: false, ..opts.clone() };
    let mut failed = None;
    let mut hand_over = |run: &Run<'_>, identified: &Identified<'_>| {
        for pending in &identified.to_emit {
            let key = &pending.deck.key;
            let notetype = run.types.notetype(key);
            let notetypes = run.types.of_deck(key);
            let mut media = super::media::with_assets(run.media.of(key).files, &run.assets, &notetype.css);
            // The cloze cards' note type has its own stylesheet, whose assets are packed too.
            if let Some(cloze) = notetypes.cloze.filter(|_| pending.deck.cloze > 0) {
                media = super::media::with_assets(media, &run.assets, &cloze.css);
            }
            let file = identified.results[pending.index].file.as_path();
            let settings = run.project.for_deck(key);
            let peeked = PeekedDeck { file, deck: &pending.deck, notetype, notetypes, settings, media };
            if let Err(e) = visit(peeked) {
                failed = Some(e);
                return;
            }
        }
    };
    let report = super::build_guarded(&opts, &super::progress::NoProgress, Some(&mut hand_over), false)
        .map_err(|e| PeekError::Build(Box::new(e)))?;
    match failed {
        Some(e) => Err(PeekError::Visit(e)),
        None => Ok(report),
    }
}

/// The report of a build stopped after identification: nothing written, the lock unchanged.
pub(super) fn report(decks: Vec<DeckResult>, diagnostics: Vec<Diagnostic>) -> BuildReport {
    BuildReport {
        decks,
        diagnostics,
        lock: LockStatus::Unchanged,
        forgotten: Vec::new(),
        gone: Vec::new(),
        interrupted: Vec::new(),
        refused: None,
        journal_after: JournalAfter::Keep,
        plan: None,
    }
}
