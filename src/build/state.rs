//! Incremental builds: a deck whose source, settings, lock entries and tool version are the same
//! as at its last build is not rebuilt. Each built deck leaves a small state file in
//! `out/.ankideck-state/` with the fingerprint of those inputs and its card count. A state file
//! is removed before its deck's outputs are replaced and written after they are in place, so it
//! never vouches for outputs it was not recorded with.

use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

/// The folder in `out/` that holds the state files.
pub const STATE_DIR: &str = ".ankideck-state";

/// The inputs that decide a deck's outputs.
pub struct FingerprintInput<'a> {
    /// The digest of the source file's bytes ([`source_digest`]).
    pub source: u128,
    /// The settings that change the outputs (compression, CSV), as text.
    pub settings: &'a str,
    /// The note type's lock line and definition hash.
    pub notetype: &'a str,
    /// The digest of the deck's section of the lock file ([`Lock::deck_digest`] or
    /// [`section_digest`] of the raw text; the two agree on canonical text).
    ///
    /// [`Lock::deck_digest`]: crate::lock::Lock::deck_digest
    pub lock_section: u128,
}

/// A 128-bit fingerprint of everything a deck's outputs depend on.
pub fn fingerprint(input: &FingerprintInput<'_>) -> String {
    let mut h = Xxh3::new();
    for part in [
        env!("CARGO_PKG_VERSION").as_bytes(),
        crate::html::ESCAPE_RULE.as_bytes(),
        input.settings.as_bytes(),
        input.notetype.as_bytes(),
        &input.lock_section.to_le_bytes(),
        &input.source.to_le_bytes(),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    format!("{:032x}", h.digest128())
}

/// The digest of a source file's bytes.
pub fn source_digest(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// The digest of a raw lock section.
pub fn section_digest(section: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(section.as_bytes())
}

/// The state file of a deck.
pub fn state_path(out: &Path, stem: &str) -> PathBuf {
    out.join(STATE_DIR).join(format!("{stem}.state"))
}

/// The card count and deck name recorded with `fingerprint`, if the state file holds exactly
/// that fingerprint.
pub fn up_to_date(out: &Path, stem: &str, fingerprint: &str) -> Option<(usize, String)> {
    let text = std::fs::read_to_string(state_path(out, stem)).ok()?;
    let (stored, cards, _, name) = fields(&text)?;
    (stored == fingerprint).then(|| Some((cards.parse().ok()?, name.to_string()))).flatten()
}

/// The digest of the lock section the deck's last build wrote ([`section_digest`] of its text),
/// if its state file records one.
pub fn recorded_section(out: &Path, stem: &str) -> Option<u128> {
    let text = std::fs::read_to_string(state_path(out, stem)).ok()?;
    u128::from_str_radix(fields(&text)?.2, 16).ok()
}

/// The id of the note type the deck's last build wrote its notes with, if its state file records
/// one (a state file of an earlier version does not).
pub fn recorded_notetype(out: &Path, stem: &str) -> Option<i64> {
    let text = std::fs::read_to_string(state_path(out, stem)).ok()?;
    let line = text.lines().skip(1).find_map(|line| line.strip_prefix("notetype "))?;
    line.parse().ok()
}

/// A state file's fields (its first line): fingerprint, card count, lock section digest, deck
/// name.
fn fields(text: &str) -> Option<(&str, &str, &str, &str)> {
    let mut parts = text.split('\n').next()?.splitn(4, ' ');
    Some((parts.next()?, parts.next()?, parts.next()?, parts.next()?))
}

/// Records a finished build of a deck, with the digest of the lock section it wrote and the id
/// of the note type of its notes (on a line of its own: a later build compares it with the one
/// it writes without reading the package, [`super::checkout`]). The state
/// file is written to a temporary file in `out` and renamed, so it is either the old one or the
/// whole new one; call it only once the deck's outputs are in place and flushed.
pub fn record(
    out: &Path,
    stem: &str,
    fingerprint: &str,
    cards: usize,
    section: u128,
    name: &str,
    notetype: i64,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let path = state_path(out, stem);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut temp = crate::emit::temp_file_in(out).map_err(std::io::Error::other)?;
    temp.write_all(format!("{fingerprint} {cards} {section:032x} {name}\nnotetype {notetype}\n").as_bytes())?;
    super::durable::step();
    temp.persist(path).map(|_| ()).map_err(|e| e.error)
}

/// Forgets a deck's state, so the next build rebuilds it.
pub fn forget(out: &Path, stem: &str) {
    let _ = super::durable::remove_file(&state_path(out, stem));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_file_records_its_note_type_and_one_of_an_earlier_version_reads_as_before() {
        let out = tempfile::tempdir().unwrap();
        record(out.path(), "geo", "f00d", 4, 0xab, "Geo Deck", 1_700_000_000_001).unwrap();
        assert_eq!(recorded_notetype(out.path(), "geo"), Some(1_700_000_000_001));
        assert_eq!(up_to_date(out.path(), "geo", "f00d"), Some((4, "Geo Deck".to_string())));
        assert_eq!(recorded_section(out.path(), "geo"), Some(0xab));
        // A state file of an earlier version: no note type, the rest as it was.
        let earlier = format!("f00d 4 {:032x} Geo Deck\n", 0xab);
        std::fs::write(state_path(out.path(), "geo"), earlier).unwrap();
        assert_eq!(recorded_notetype(out.path(), "geo"), None);
        assert_eq!(up_to_date(out.path(), "geo", "f00d"), Some((4, "Geo Deck".to_string())));
    }
}
