//! Puts the preview's files in place: every page and media file is written to a temporary file
//! in the preview folder and renamed over the old one, so a page open in a browser (reloaded by
//! `watch`) is never read half written. The page script and style and MathJax are part of the
//! binary (nothing is fetched from the network) and are written to `_ankideck/` when they differ.

use super::PreviewError;
use crate::media::MediaFile;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What every deck page loads before the cards for maths: MathJax 3, typesetting `\(…\)` and
/// `\[…\]` in the cards' sides only, as Anki's reviewer configures it (without its `noerrors`
/// package: a formula that does not parse shows as an error, to be seen before Anki does).
pub(super) const MATHJAX_SETUP: &str = r#"<script>
window.MathJax = {
  tex: { inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]], processEscapes: false, processEnvironments: false, processRefs: false },
  svg: { fontCache: "global" },
  options: { ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process" }
};
</script>
<script src="_ankideck/mathjax/tex-svg-full.js" defer></script>
"#;

/// The files of `_ankideck/`: MathJax 3.2.2 (`es5/tex-svg-full.js` of the npm package `mathjax`,
/// Apache-2.0, with its licence), the page script and the page style.
const ASSETS: &[(&str, &[u8])] = &[
    ("_ankideck/mathjax/tex-svg-full.js", include_bytes!("../../assets/mathjax/tex-svg-full.js")),
    ("_ankideck/mathjax/LICENSE", include_bytes!("../../assets/mathjax/LICENSE")),
    ("_ankideck/preview.js", include_bytes!("../../assets/preview/preview.js")),
    ("_ankideck/preview.css", include_bytes!("../../assets/preview/preview.css")),
];

/// The file `watch` writes in the preview folder, which the pages poll: never removed here.
pub const LIVE_FILE: &str = "_live.js";

/// The prefix of the temporary files (removed when a preview ends, or by the next one).
const TEMP_PREFIX: &str = ".ankideck-tmp";

/// Writes the files of one preview, remembering their names.
pub(super) struct Writer {
    folder: PathBuf,
    written: HashSet<String>,
    /// The earlier versions of the deck pages this preview rewrote: the media they showed and
    /// no page shows now are removed ([`Writer::finish`]).
    replaced: Vec<Vec<u8>>,
}

impl Writer {
    /// Makes the preview folder and puts the page assets in it.
    pub(super) fn new(folder: &Path) -> Result<Writer, PreviewError> {
        std::fs::create_dir_all(folder.join("_ankideck/mathjax")).map_err(|source| PreviewError::Write {
            action: "create the folder",
            path: folder.join("_ankideck/mathjax"),
            source,
        })?;
        let mut writer =
            Writer { folder: folder.to_path_buf(), written: HashSet::new(), replaced: Vec::new() };
        for (name, bytes) in ASSETS {
            let path = folder.join(name);
            if std::fs::read(&path).is_ok_and(|old| old == *bytes) {
                continue;
            }
            writer.replace(name, bytes).map_err(|source| PreviewError::Write {
                action: "write",
                path,
                source,
            })?;
        }
        writer.written.insert("_ankideck".into());
        Ok(writer)
    }

    /// Writes page `name` (replacing the old one whole).
    pub(super) fn page(&mut self, name: &str, html: &[u8]) -> std::io::Result<()> {
        self.written.insert(name.to_string());
        match std::fs::read(self.folder.join(name)) {
            Ok(old) if old == html => return Ok(()),
            Ok(old) if name.starts_with("deck-") => self.replaced.push(old),
            _ => {}
        }
        self.replace(name, html)
    }

    /// Keeps file `name` of an earlier preview: [`Writer::finish`] does not remove it.
    pub(super) fn keep(&mut self, name: &str) {
        self.written.insert(name.to_string());
    }

    /// Copies the media files a deck's package holds, under their names in the package (a
    /// name is derived from the content: a file already there with its size is the same file).
    pub(super) fn media(&mut self, files: &[MediaFile]) -> std::io::Result<()> {
        for file in files {
            self.written.insert(file.name.clone());
            let path = self.folder.join(&file.name);
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == file.len) {
                continue;
            }
            let bytes = std::fs::read(&file.path).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot read the media file {}: {e}", file.path.display()),
                )
            })?;
            self.replace(&file.name, &bytes)?;
        }
        Ok(())
    }

    /// Removes the temporary files left, and with `all` (every deck was previewed) every file
    /// of the folder this preview did not write that a preview writes: pages of decks gone,
    /// media no card uses now. A file of another name is not the preview's (`--out .` makes the
    /// folder `./preview`, which may be the user's): it is left alone. Without `media`, the
    /// media files are all kept (a page kept from an earlier preview may show them).
    pub(super) fn finish(self, all: bool, media: bool) -> Result<(), PreviewError> {
        let entries = std::fs::read_dir(&self.folder).map_err(|source| PreviewError::Write {
            action: "read the folder",
            path: self.folder.clone(),
            source,
        })?;
        let entries: Vec<std::fs::DirEntry> = entries.flatten().collect();
        let dropped = self.dropped_media(&entries);
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let page = name.starts_with("deck-") && name.ends_with(".html");
            let stale = (all
                && !self.written.contains(&name)
                && name != LIVE_FILE
                && written_by_preview(&name)
                && (media || page))
                || dropped.contains(&name);
            if (name.starts_with(TEMP_PREFIX) || stale) && entry.file_type().is_ok_and(|t| t.is_file()) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|source| PreviewError::Write {
                    action: "remove",
                    path,
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// The media files a page rewritten by this preview showed before and no page shows now (an
    /// image replaced while `watch` previews only the decks it rebuilt: the old one was left in
    /// the folder for good). A file is known by the end of its name's stem, `-` and 12 hex digits
    /// of its SHA-1, which percent-encoding leaves as it is; when unsure (a page that cannot be
    /// read), it is kept.
    fn dropped_media(&self, entries: &[std::fs::DirEntry]) -> HashSet<String> {
        if self.replaced.is_empty() {
            return HashSet::new();
        }
        let shown_before: HashSet<&[u8]> = self.replaced.iter().flat_map(|old| hashes_in(old)).collect();
        let mut dropped: HashSet<String> = (entries.iter())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.ends_with(".html") && !self.written.contains(name) && name != LIVE_FILE)
            .filter(|name| written_by_preview(name))
            .filter(|name| media_hash(name).is_some_and(|h| shown_before.contains(h.as_bytes())))
            .collect();
        // The pages this preview did not write (other decks', a deck with errors' kept page)
        // may still show them.
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if dropped.is_empty() {
                break;
            }
            if !name.ends_with(".html") || self.written.contains(&name) {
                continue;
            }
            let Ok(page) = std::fs::read(entry.path()) else { return HashSet::new() };
            let shown: HashSet<&[u8]> = hashes_in(&page).collect();
            dropped.retain(|media| media_hash(media).is_some_and(|h| !shown.contains(h.as_bytes())));
        }
        dropped
    }

    /// Writes `bytes` to a temporary file beside `name` and renames it over `name`.
    fn replace(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.folder.join(name);
        let dir = path.parent().unwrap_or(&self.folder);
        let mut temp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(dir)?;
        // Not synced: the renaming keeps a reader from a half-written page; after a crash the
        // next preview writes it again.
        temp.write_all(bytes)?;
        // Temporary files are private (0600); the pages are ordinary files, as the packages.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Whether a file of the preview folder has a name a preview gives: a deck page `deck-….html`,
/// the index, or a media file or asset under its package name (`cat-3b37538efb87.png`: its
/// name, `-` and 12 hex digits of its SHA-1, then its extension).
fn written_by_preview(name: &str) -> bool {
    if name == "index.html" || (name.starts_with("deck-") && name.ends_with(".html")) {
        return true;
    }
    let stem = match name.rfind('.') {
        Some(dot) if name[..dot].len() > 13 => &name[..dot],
        _ => name,
    };
    let hex = stem.len().checked_sub(12).and_then(|at| stem.get(at..));
    let dash = stem.len().checked_sub(13).and_then(|at| stem.get(at..at + 1));
    dash == Some("-") && hex.is_some_and(|h| h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The end of a media file's package name's stem, `-` and 12 hex digits: `-3b37538efb87` of
/// `a #1-3b37538efb87.png`.
fn media_hash(name: &str) -> Option<&str> {
    let stem_end = match name.rfind('.') {
        Some(dot) if name[..dot].len() > 13 => dot,
        _ => name.len(),
    };
    name.get(stem_end.checked_sub(13)?..stem_end)
}

/// Every `-` followed by exactly 12 lowercase hex digits in `page`: the media it may show.
fn hashes_in(page: &[u8]) -> impl Iterator<Item = &[u8]> {
    let hex = |b: &u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
    (0..page.len()).filter_map(move |at| {
        let found = page[at] == b'-'
            && page.get(at + 1..at + 13).is_some_and(|h| h.iter().all(hex))
            && !page.get(at + 13).is_some_and(hex);
        found.then(|| &page[at..at + 13])
    })
}

#[cfg(test)]
mod tests {
    use super::written_by_preview;

    #[test]
    fn only_names_a_preview_gives_are_its_files() {
        for name in [
            "deck-a b.html",
            "index.html",
            "cat-3b37538efb87.png",
            "_Inter-3b37538efb87.woff2",
            "x-0123456789ab",
        ] {
            assert!(written_by_preview(name), "{name}");
        }
        for name in
            ["notes.txt", "deck.html", "cat-3b37538efb8.png", "cat-3B37538EFB87.png", "photo.png", "é"]
        {
            assert!(!written_by_preview(name), "{name}");
        }
    }
}
