//! A lock changed outside ankideck (a `git checkout`, `revert` or merge) can hold a note's older
//! text and `mod` while Anki already has the newer text from the package last built into `out/`:
//! rebuilt with the lock's `mod`, the note would look older than Anki's copy and the import would
//! skip it, silently keeping the text the user went back from. A deck whose lock section is not
//! the one its last build wrote (its state file records that section's digest) is compared with
//! that package: a note whose text differs from the package's gets a `mod` after the package's,
//! and one whose text is the package's keeps the package's `mod` (unchanged for Anki).
//! Only then is the package read, so an ordinary rebuild costs nothing more.

use super::{BuildOptions, Checked, output_stem, recover, state};
use crate::discover::SourceFile;
use crate::identify::{Change, IdentifiedDeck};
use crate::notetype::Notetype;
use crate::source::stem_of;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// How the lock's sections compare with those the decks' last builds wrote.
pub(super) struct AsWritten {
    /// The decks whose section is not the one their last build recorded.
    pub(super) edited: HashSet<String>,
    /// Whether every section is known to be as a build wrote it (then no two decks can share an
    /// id or guid: each build wrote unique ones, and each section's `end` line vouches for its
    /// text), so the lock's check of ids across decks can be skipped.
    pub(super) all: bool,
}

/// Compares each section of the lock (`sections`: its digest by deck key) with the one its deck's
/// last build recorded (a deck that is up to date was compared by its fingerprint already).
pub(super) fn as_written(
    out: &Path,
    files: &[SourceFile],
    checked: &[Checked],
    sections: &HashMap<&str, u128>,
) -> AsWritten {
    let fresh: HashSet<String> = files
        .iter()
        .zip(checked)
        .filter(|(_, c)| matches!(c, Checked::UpToDate { .. }))
        .map(|(file, _)| stem_of(&file.path))
        .collect();
    let mut result = AsWritten { edited: HashSet::new(), all: true };
    for (&key, &digest) in sections.iter().filter(|(key, _)| !fresh.contains(**key)) {
        match state::recorded_section(out, key) {
            Some(recorded) if recorded == digest => {}
            Some(_) => {
                result.edited.insert(key.to_string());
                result.all = false;
            }
            None => result.all = false,
        }
    }
    result
}

/// Gives every note of `deck` whose text differs from the previous package's a `mod` after the
/// package's (in its lock entry too). A package that cannot be read changes nothing: the lock's
/// times are all there is.
pub(super) fn newer_than_package(opts: &BuildOptions, notetype: &Notetype, deck: &mut IdentifiedDeck<'_>) {
    let path = opts.out.join(format!("{}.apkg", output_stem(&deck.key)));
    let Ok(previous) = recover::from_package(&path, &deck.name, notetype) else { return };
    let built: HashMap<&str, (u64, i64)> =
        previous.notes.iter().map(|e| (e.guid.as_str(), (e.content, e.mtime))).collect();
    let mut revised = Vec::new();
    for index in 0..deck.len() {
        let mut buf = [0u8; 11];
        let Some(&(content, mtime)) = built.get(deck.guid(index, &mut buf)) else { continue };
        let (_, _, _, ours, _) = deck.identity(index);
        if content == deck.keys[index].content {
            // What Anki last got: unchanged for it, so exactly its `mod` (an older one would let
            // the next edit fall behind Anki's; a newer one, e.g. a note added after the lock
            // that came back, which got fresh ids now, would make Anki report it updated).
            revised.push((index, mtime, Change::Unchanged));
        } else if mtime >= ours {
            revised.push((index, opts.now_secs.max(mtime + 1), Change::Updated));
        }
    }
    for (index, mtime, change) in revised {
        deck.revise(index, mtime, change);
    }
}
