//! `ankideck preview`: every card of every deck (or of the decks named) as static HTML in
//! `out/preview/`, to look at before Anki does. The decks are identified as `build` would
//! identify them ([`crate::build::peek`]: the lock is read, never written), so each card shows the
//! guid and card id it has, or will have, in Anki; each card is rendered through one function,
//! [`render`], Anki's renderer.
//!
//! What it writes (`page` makes the HTML, `files` puts it in place): `index.html` (the decks,
//! their card counts, links), a page per deck `deck-<stem>.html` (each card's question and
//! answer with the note type's stylesheet, night and phone views), the decks' media under the
//! names the package gives them (so a field's `src` works as it is), and `_ankideck/` (the page
//! script and style, MathJax). Every file is written to a temporary file and renamed into place:
//! an open page is never half written. `_live.js`, which `watch` writes, is left alone.

mod files;
mod page;
use crate::render as renderer;

pub use page::{ANSWER_MARKS, QUESTION_MARKS, rewrite_side};
pub use renderer::RenderedCard;

use crate::build::peek::{PeekError, PeekedDeck, peek};
use crate::build::{BuildOptions, BuildReport, Outcome};
use crate::model::NoteView;
use crate::notetype::Notetype;
use std::path::{Path, PathBuf};

/// The folder in `out/` the preview is written to.
pub const PREVIEW_DIR: &str = "preview";

/// Renders card `ord` of `note`: every card of the preview goes through here, so the renderer
/// is swapped in one place.
pub fn render(notetype: &Notetype, note: &NoteView<'_>, ord: u16, deck: &str) -> RenderedCard {
    renderer::render_card(notetype, note, ord, deck)
}

/// What `preview` is asked to do.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    /// The build it shows (source, out, lock, build time).
    pub build: BuildOptions,
    /// The decks to show, by file stem or Anki name; every deck when empty.
    pub decks: Vec<String>,
}

/// One deck previewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewedDeck {
    pub key: String,
    pub name: String,
    pub cards: usize,
    /// Cards of notes the lock does not have yet.
    pub new_cards: usize,
    /// Its page, in the preview folder.
    pub page: String,
}

/// What `preview` did.
#[derive(Debug)]
pub struct PreviewReport {
    /// What the build found: each deck's outcome (those with errors are not previewed) and the
    /// diagnostics.
    pub build: BuildReport,
    pub decks: Vec<PreviewedDeck>,
    /// The index page.
    pub index: PathBuf,
}

/// Why `preview` could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Build(Box<crate::build::BuildError>),
    #[error(
        "no deck `{name}` in {}\n  = hint: name a deck by its file name without extension or by its \
         Anki name; the decks are: {}",
        folder.display(), known.join(", ")
    )]
    UnknownDeck {
        name: String,
        folder: PathBuf,
        known: Vec<String>,
        /// What the build found: a deck with errors, whose Anki name is unknown (so a name may
        /// have been meant for it), is listed with them and its errors are printed.
        diagnostics: Vec<crate::diagnostic::Diagnostic>,
    },
    #[error("cannot {action} {}: {source}", path.display())]
    Write { action: &'static str, path: PathBuf, source: std::io::Error },
}

/// Writes the preview of `opts` into `OUT/preview`.
pub fn preview(opts: &PreviewOptions) -> Result<PreviewReport, PreviewError> {
    let folder = opts.build.out.join(PREVIEW_DIR);
    // The pages are made first and written once every deck named is known to exist: a wrong
    // name writes nothing.
    let mut pages: Vec<(page::DeckPage, Vec<crate::media::MediaFile>)> = Vec::new();
    let mut decks = Vec::new();
    let mut wanted = opts.decks.clone();
    let mut visit = |peeked: PeekedDeck<'_>| -> std::io::Result<()> {
        let named = |n: &String| *n == peeked.deck.key || *n == peeked.deck.name;
        if !opts.decks.is_empty() && !opts.decks.iter().any(named) {
            return Ok(());
        }
        wanted.retain(|n| !named(n));
        let deck = page::deck_page(&peeked)?;
        decks.push(PreviewedDeck {
            key: peeked.deck.key.clone(),
            name: peeked.deck.name.clone(),
            cards: deck.cards,
            new_cards: deck.new_cards,
            page: deck.file_name.clone(),
        });
        pages.push((deck, peeked.media));
        Ok(())
    };
    let build = match peek(&opts.build, &mut visit) {
        Ok(report) => report,
        Err(PeekError::Build(e)) => return Err(PreviewError::Build(e)),
        Err(PeekError::Visit(source)) => {
            return Err(PreviewError::Write { action: "read the notes for", path: folder, source });
        }
    };
    // A deck named that was not previewed: a deck with errors is known by its file, any other
    // name is a mistake.
    let stems: Vec<String> = build.decks.iter().map(|d| crate::source::stem_of(&d.file)).collect();
    if let Some(name) = wanted.into_iter().find(|n| !stems.contains(n)) {
        let mut known: Vec<String> = build.decks.iter().map(|d| deck_label(&d.file, &d.outcome)).collect();
        known.sort();
        let diagnostics = match build.decks.iter().any(|d| matches!(d.outcome, Outcome::Invalid)) {
            true => build.diagnostics,
            false => Vec::new(),
        };
        return Err(PreviewError::UnknownDeck {
            name,
            folder: opts.build.source.clone(),
            known,
            diagnostics,
        });
    }
    let unbuilt: Vec<(String, &Outcome)> = (build.decks.iter())
        .filter(|d| !decks.iter().any(|p| p.key == crate::source::stem_of(&d.file)))
        .filter(|d| opts.decks.is_empty() || opts.decks.contains(&crate::source::stem_of(&d.file)))
        .map(|d| (crate::source::stem_of(&d.file), &d.outcome))
        .collect();
    // With decks named, the other decks' pages of an earlier preview stay: the index links them.
    let earlier: Vec<(String, String)> = (build.decks.iter())
        .filter(|_| !opts.decks.is_empty())
        .filter_map(|d| match &d.outcome {
            Outcome::NotWritten { name, .. } => Some((name, crate::source::stem_of(&d.file))),
            _ => None,
        })
        .filter(|(_, key)| !decks.iter().any(|p| p.key == *key))
        .map(|(name, key)| (name.clone(), page::page_name(&key)))
        .filter(|(_, page)| folder.join(page).is_file())
        .collect();
    // A deck with errors keeps the page an earlier preview made of it (as `build` keeps its last
    // good package), so a page open in a browser, reloaded by `watch`, is still there; the
    // index links it.
    let kept: Vec<String> = (unbuilt.iter())
        .map(|(key, _)| page::page_name(key))
        .filter(|page| folder.join(page).is_file())
        .collect();
    let index = page::index_page(&decks, &earlier, &unbuilt, &kept);
    let mut writer = files::Writer::new(&folder)?;
    for page in &kept {
        writer.keep(page);
    }
    for (deck, media) in &pages {
        let path = folder.join(&deck.file_name);
        let written = writer.page(&deck.file_name, deck.html.as_bytes()).and_then(|()| writer.media(media));
        written.map_err(|source| PreviewError::Write { action: "write", path, source })?;
    }
    let index_path = folder.join("index.html");
    writer.page("index.html", index.as_bytes()).map_err(|source| PreviewError::Write {
        action: "write",
        path: index_path.clone(),
        source,
    })?;
    // The media of a kept page are not known: with one, no media file is removed this time.
    writer.finish(opts.decks.is_empty(), kept.is_empty())?;
    Ok(PreviewReport { build, decks, index: index_path })
}

/// A deck as the unknown-deck message lists it: its file stem, and its Anki name if known.
fn deck_label(file: &Path, outcome: &Outcome) -> String {
    let stem = crate::source::stem_of(file);
    match outcome {
        Outcome::NotWritten { name, .. } if *name != stem => format!("{stem} ({name})"),
        // Its title was not read: it can only be named by its file.
        Outcome::Invalid => format!("{stem} (has errors)"),
        _ => stem,
    }
}
