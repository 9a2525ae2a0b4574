//! The check phase of a build: which decks are up to date (their source, lock section, note type
//! and settings have the fingerprint their last build recorded) and which must be built; a file
//! to build keeps the bytes read here, for the parser.

use super::{BuildOptions, DeckError, Prepared, Run, outputs_exist, settings, state};
use crate::diagnostic::Diagnostic;
use crate::discover::{self, SourceFile};
use crate::lock::NotetypeEntry;
use crate::source::stem_of;
use rayon::prelude::*;
use std::path::Path;

/// The notetype line and definition hash that decks' fingerprints include.
pub(super) fn notetype_fingerprint(entry: &NotetypeEntry) -> String {
    format!("{}\t{}\t{:016x}", entry.id.0, entry.mtime, entry.hash)
}

/// The note type part of a deck's fingerprint: its own note type's entry and, when it has cloze
/// cards of the built-in cloze (`cloze`), that one's too. That stylesheet has the project's
/// `ankideck.css`, which a custom note type's has not: without it, an edit of `ankideck.css` left
/// such a deck "up to date" with the old stylesheet in its package.
pub(super) fn notetypes_fingerprint(own: &NotetypeEntry, cloze: Option<&NotetypeEntry>) -> String {
    match cloze {
        Some(cloze) => format!("{}\t+{}", notetype_fingerprint(own), notetype_fingerprint(cloze)),
        None => notetype_fingerprint(own),
    }
}

/// What the incremental check found for one source file.
pub(super) enum Checked {
    UpToDate {
        name: String,
        cards: usize,
    },
    /// The deck must be built; the file's bytes and digest if the check read them.
    Build(Option<(Vec<u8>, u128)>),
    /// Not built because of this error (found before parsing).
    Invalid(Diagnostic),
    Failed(DeckError),
}

impl From<Checked> for Prepared {
    fn from(checked: Checked) -> Prepared {
        match checked {
            Checked::UpToDate { name, cards } => Prepared::UpToDate { name, cards },
            Checked::Build(_) | Checked::Invalid(_) => Prepared::Invalid,
            Checked::Failed(e) => Prepared::Failed(e),
        }
    }
}

/// Whether a deck's outputs are up to date: its source, the lock section, the note type and the
/// settings all have the fingerprint its last build recorded. A file to build keeps the bytes
/// read here, for the parser.
pub(super) fn check(
    file: &SourceFile,
    source: Option<SourceRead>,
    notetype: &str,
    sections: &std::collections::HashMap<&str, u128>,
    settings: &str,
    out: &Path,
) -> Checked {
    let stem = stem_of(&file.path);
    let (bytes, digest) = match source {
        None => return Checked::Build(None),
        Some(Err(e)) => return Checked::Failed(e),
        Some(Ok(read)) => read,
    };
    let fingerprint = state::fingerprint(&state::FingerprintInput {
        source: super::media::fold_recorded(digest, out, &file.path),
        settings,
        notetype,
        lock_section: sections.get(stem.as_str()).copied().unwrap_or_else(|| state::section_digest("")),
    });
    match state::up_to_date(out, &stem, &fingerprint) {
        Some((cards, name)) => Checked::UpToDate { name, cards },
        None => Checked::Build(bytes.map(|bytes| (bytes, digest))),
    }
}

/// A source file's digest and its bytes (unless it is built from disk), or why it could not be
/// read.
pub(super) type SourceRead = Result<(Option<Vec<u8>>, u128), DeckError>;

/// Reads a source file for the incremental check; `None` when there is nothing to check (the
/// build is forced, or the outputs are missing). A file to build from disk is only hashed.
pub(super) fn read_for_check(file: &SourceFile, opts: &BuildOptions) -> Option<SourceRead> {
    if opts.force || !outputs_exist(opts, &stem_of(&file.path)) {
        return None;
    }
    let cannot = DeckError::io("read", &file.path);
    Some(match std::fs::metadata(&file.path) {
        Ok(meta) if meta.len() > opts.stream_above => {
            std::fs::File::open(&file.path).and_then(digest_of).map(|digest| (None, digest)).map_err(cannot)
        }
        _ => read_source(file).map(|(bytes, digest)| (Some(bytes), digest)),
    })
}

/// A source file's bytes and their digest ([`state::source_digest`]), or why it could not be read.
pub(super) fn read_source(file: &SourceFile) -> Result<(Vec<u8>, u128), DeckError> {
    let bytes = std::fs::read(&file.path).map_err(DeckError::io("read", &file.path))?;
    let digest = state::source_digest(&bytes);
    Ok((bytes, digest))
}

/// [`state::source_digest`] of everything `reader` gives, read a block at a time.
pub(super) fn digest_of(mut reader: impl std::io::Read) -> std::io::Result<u128> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.digest128()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

impl Run<'_> {
    /// The settings of deck `stem` that change its outputs, as fingerprinted: the build's
    /// and the deck's own from `ankideck.toml`.
    pub(super) fn deck_fingerprint(&self, stem: &str) -> String {
        self.settings.clone() + &settings::fingerprint_part(&self.project.for_deck(stem))
    }

    /// Finds, in parallel, which files must be built: the others are up to date.
    pub(super) fn check_all(
        &self,
        files: &[SourceFile],
        sources: Vec<Option<SourceRead>>,
        sections: &std::collections::HashMap<&str, u128>,
        raw: &crate::lock::RawSections<'_>,
    ) -> Vec<Checked> {
        let clashing = discover::case_clashes(files);
        files
            .par_iter()
            .zip(sources)
            .map(|(file, source)| match clashing.iter().find(|d| d.file == file.path) {
                Some(diagnostic) => Checked::Invalid(diagnostic.clone()),
                None => {
                    let stem = stem_of(&file.path);
                    let settings = self.deck_fingerprint(&stem);
                    // The lock's deck line names the cloze type after `+` when the deck's last
                    // build had cloze cards (a source that gains or loses them changes anyway).
                    let cloze_cards = (raw.decks.get(&stem))
                        .and_then(|s| crate::lock::parse_deck_line(s.text.lines().next()?))
                        .is_some_and(|deck| deck.cloze_cards.is_some());
                    let cloze = (self.types.of_deck(&stem).cloze)
                        .and(self.types.cloze_entry())
                        .filter(|_| cloze_cards);
                    let notetype = notetypes_fingerprint(self.types.entry(&stem), cloze);
                    check(file, source, &notetype, sections, &settings, &self.opts.out)
                }
            })
            .collect()
    }
}
