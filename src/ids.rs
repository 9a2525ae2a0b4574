//! Id newtypes (as Anki's `define_newtype!`) and the guid algorithm.
//!
//! A new note's guid is `base91(first 8 bytes of SHA-256(key))`, big-endian, with Anki's base91
//! alphabet (`rslib/src/notes/mod.rs: base91_u64`). The key is
//! `ankideck:1\x1f<deck key>\x1f<front html>\x1f<back html>` plus `\x1f<n>` for the n-th (n ≥ 2)
//! card with the same key. The guid is stored in the lock file and never changes after.

use sha2::{Digest, Sha256};

macro_rules! id_newtype {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);
    )*};
}

id_newtype!(
    /// A note id: a millisecond timestamp, unique in the collection.
    NoteId,
    /// A card id: a millisecond timestamp, unique in the collection.
    CardId,
    /// A deck id; Anki matches decks by name, so only uniqueness matters.
    DeckId,
    /// A note type id, fixed forever.
    NotetypeId
);

/// Every card id of a note, by template ordinal (`ord`). A note may have no card at some
/// ordinals (a cloze note with `c1` and `c3`, an optional reverse card not asked for): that slot
/// holds [`NO_CARD`]. The first slot is held inline: every note has a card, and a note type with
/// one template then costs no allocation per note (16 bytes in all: lock entries are held by the
/// 100,000).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardIds {
    first: CardId,
    /// The slots after the first; `None` for none. Boxed: a thin pointer (8 bytes, not a `Vec`'s
    /// 24) for the one-card notes, the extra allocation only for notes of several cards.
    #[allow(clippy::box_collection)]
    more: Option<Box<Vec<CardId>>>,
}

/// The slot of an ordinal without a card (ids are millisecond timestamps, never 0).
const NO_CARD: CardId = CardId(0);

impl CardIds {
    /// The id of a note's only card.
    pub fn one(id: CardId) -> CardIds {
        CardIds { first: id, more: None }
    }

    /// The ids of `count` (at least one) cards numbered on from `first`, as the id allocator
    /// hands them out.
    pub fn consecutive(first: i64, count: usize) -> CardIds {
        CardIds::from_ids((0..count.max(1)).map(|i| CardId(first + i as i64))).expect("at least one")
    }

    /// The ids in ordinal order (ordinals 0, 1, …); `None` for none.
    pub fn from_ids(ids: impl IntoIterator<Item = CardId>) -> Option<CardIds> {
        let mut ids = ids.into_iter();
        let first = ids.next()?;
        let more: Vec<CardId> = ids.collect();
        Some(CardIds { first, more: (!more.is_empty()).then(|| Box::new(more)) })
    }

    /// The ids at these ordinals (ascending, each once), none at the others; `None` for none,
    /// or for an id that is not positive.
    pub fn at_ords(cards: impl IntoIterator<Item = (u16, CardId)>) -> Option<CardIds> {
        let mut slots = Vec::new();
        for (ord, id) in cards {
            let ord = usize::from(ord);
            if id.0 <= 0 || ord < slots.len() {
                return None;
            }
            slots.resize(ord, NO_CARD);
            slots.push(id);
        }
        let mut slots = slots.into_iter();
        let first = slots.next()?;
        let more: Vec<CardId> = slots.collect();
        Some(CardIds { first, more: (!more.is_empty()).then(|| Box::new(more)) })
    }

    /// The slots by ordinal, [`NO_CARD`] where there is no card.
    fn slots(&self) -> impl Iterator<Item = CardId> + '_ {
        std::iter::once(self.first).chain(self.more.iter().flat_map(|more| more.iter().copied()))
    }

    /// The id of the card of ordinal 0, or of the note's first card.
    pub fn first(&self) -> CardId {
        self.iter().next().expect("a note has a card")
    }

    /// How many cards (at least one).
    pub fn len(&self) -> usize {
        match &self.more {
            None => 1,
            Some(_) => self.iter().count(),
        }
    }

    /// Never empty (as [`CardIds::len`] says); for clippy's sake.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The ids by ordinal.
    pub fn iter(&self) -> impl Iterator<Item = CardId> + '_ {
        self.slots().filter(|c| *c != NO_CARD)
    }

    /// Each card's ordinal and id, by ordinal.
    pub fn iter_ords(&self) -> impl Iterator<Item = (u16, CardId)> + '_ {
        self.slots().enumerate().filter(|(_, c)| *c != NO_CARD).map(|(ord, c)| (ord as u16, c))
    }

    /// The ordinals that have a card, ascending.
    pub fn ords(&self) -> Vec<u16> {
        self.iter_ords().map(|(ord, _)| ord).collect()
    }

    /// The largest id.
    pub fn max(&self) -> i64 {
        self.iter().map(|c| c.0).max().unwrap_or(self.first.0)
    }

    /// The text form: the ids by ordinal, in decimal, separated by commas (`1001,1002`); an
    /// ordinal without a card is an empty place (`1001,,1003`: ordinals 0 and 2), never the
    /// last one.
    pub fn parse(text: &str) -> Option<CardIds> {
        // Read once per note line of the lock: a single id allocates nothing.
        let slot = |id: &str| match id {
            "" => Some(NO_CARD),
            id => Some(CardId(id.parse().ok().filter(|&id: &i64| id != 0)?)),
        };
        let mut ids = text.split(',');
        let first = slot(ids.next()?)?;
        let mut more = Vec::new();
        for id in ids {
            more.push(slot(id)?);
        }
        if more.last().unwrap_or(&first) == &NO_CARD {
            return None;
        }
        Some(CardIds { first, more: (!more.is_empty()).then(|| Box::new(more)) })
    }

    /// Appends the text form ([`CardIds::parse`]) to `out`.
    pub fn write_to(&self, out: &mut String, push_int: impl Fn(&mut String, i64)) {
        for (i, slot) in self.slots().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if slot != NO_CARD {
                push_int(out, slot.0);
            }
        }
    }
}

/// Anki's base91 alphabet for guids.
const BASE91: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~";

/// Encodes a number in Anki's base91, most significant digit first.
pub fn base91(mut n: u64) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE91[(n % 91) as usize]);
        n /= 91;
    }
    digits.reverse();
    String::from_utf8(digits).expect("base91 alphabet is ASCII")
}

/// The first 8 bytes of a digest, as a big-endian number.
fn first_u64(digest: &[u8]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The guid for a stable key: base91 of the first 8 bytes of its SHA-256 (the definition the
/// tests check [`note_guid_value`] against).
#[cfg(test)]
pub fn guid_for(key: &str) -> String {
    base91(first_u64(&Sha256::digest(key.as_bytes())))
}

/// The guid of a new note: [`guid_for`] of its [`guid_key`], as text.
#[cfg(test)]
pub fn note_guid(deck_key: &str, front: &str, back: &str, occurrence: usize) -> String {
    base91(note_guid_value(deck_key, front, back, occurrence))
}

/// The guid of a new note held in 8 bytes (its text is [`base91`] of it): the first 8 bytes of
/// the SHA-256 of its guid key, hashed piece by piece rather than built as one string first.
pub fn note_guid_value(deck_key: &str, front: &str, back: &str, occurrence: usize) -> u64 {
    guid_value_with("ankideck:1\x1f", deck_key, front, back, occurrence)
}

/// [`note_guid_value`] of a note of the built-in `cloze` in a deck of another note type: another
/// guid than a plain note of the same text gets, because Anki skips a note whose guid it has
/// under another note type ("conflicting"): a card that gained a deletion must not take the
/// guid its plain self had.
pub fn cloze_note_guid_value(deck_key: &str, front: &str, back: &str, occurrence: usize) -> u64 {
    guid_value_with("ankideck:1:cloze\x1f", deck_key, front, back, occurrence)
}

fn guid_value_with(prefix: &str, deck_key: &str, front: &str, back: &str, occurrence: usize) -> u64 {
    let mut hasher = Sha256::new();
    for part in [prefix, deck_key, "\x1f", front, "\x1f", back] {
        hasher.update(part.as_bytes());
    }
    if occurrence > 1 {
        hasher.update(format!("\x1f{occurrence}").as_bytes());
    }
    first_u64(&hasher.finalize())
}

/// [`base91`] written into `buf`, without allocating: the guid text of a guid value.
pub fn base91_in(mut n: u64, buf: &mut [u8; 11]) -> &str {
    let mut start = buf.len();
    while n > 0 {
        start -= 1;
        buf[start] = BASE91[(n % 91) as usize];
        n /= 91;
    }
    std::str::from_utf8(&buf[start..]).expect("base91 alphabet is ASCII")
}

/// The key of a new note's guid (see the module docs).
#[cfg(test)]
pub fn guid_key(deck_key: &str, front: &str, back: &str, occurrence: usize) -> String {
    let mut key = format!("ankideck:1\x1f{deck_key}\x1f{front}\x1f{back}");
    if occurrence > 1 {
        key.push_str(&format!("\x1f{occurrence}"));
    }
    key
}

/// A deck id derived from its name (case-insensitive, as Anki matches deck names); never 1.
pub fn deck_id_for(name: &str) -> DeckId {
    let first = first_u64(&Sha256::digest(name.to_lowercase().as_bytes()));
    // A millisecond-looking id between 2001 and 2033, as Anki's own deck ids are.
    DeckId(1_000_000_000_000 + (first % 1_000_000_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base91_matches_anki() {
        assert_eq!(base91(0), "");
        assert_eq!(base91(90), "~");
        assert_eq!(base91(91), "ba");
        let mut buf = [0u8; 11];
        for n in [0, 1, 90, 91, 8_281, u64::MAX / 3, u64::MAX] {
            assert_eq!(base91_in(n, &mut buf), base91(n));
        }
    }

    #[test]
    fn guid_matches_genanki_for_the_same_key() {
        // genanki: guid_for("a") = base91 of the first 8 bytes of sha256("a").
        assert_eq!(guid_for("a"), base91(0xca97_8112_ca1b_bdca));
    }

    #[test]
    fn note_guid_hashes_the_guid_key() {
        for (front, back, n) in [("f", "b", 1), ("", "", 1), ("Zürich <br>", "x\x1fy", 2), ("f", "b", 17)] {
            assert_eq!(note_guid("deck", front, back, n), guid_for(&guid_key("deck", front, back, n)));
        }
    }

    #[test]
    fn guid_key_distinguishes_repeats() {
        assert_ne!(guid_key("d", "f", "b", 1), guid_key("d", "f", "b", 2));
        assert_eq!(guid_key("d", "f", "b", 0), guid_key("d", "f", "b", 1));
    }

    #[test]
    fn card_ids_of_sparse_ordinals_keep_each_id_at_its_ordinal() {
        let sparse = CardIds::at_ords([(0, CardId(1001)), (2, CardId(1003))]).unwrap();
        assert_eq!(sparse.iter_ords().collect::<Vec<_>>(), [(0, CardId(1001)), (2, CardId(1003))]);
        assert_eq!((sparse.len(), sparse.ords(), sparse.max()), (2, vec![0, 2], 1003));
        let mut text = String::new();
        sparse.write_to(&mut text, |out, id| out.push_str(&id.to_string()));
        assert_eq!(text, "1001,,1003");
        assert_eq!(CardIds::parse(&text), Some(sparse));
        let late = CardIds::parse(",,5").unwrap();
        assert_eq!((late.first(), late.len(), late.ords()), (CardId(5), 1, vec![2]));
        assert_eq!(CardIds::at_ords([(1, CardId(5)), (1, CardId(6))]), None, "an ordinal twice");
        assert_eq!(CardIds::at_ords([(0, CardId(1)), (1, CardId(2))]), CardIds::parse("1,2"));
    }

    #[test]
    fn card_ids_read_their_text_form_by_ordinal() {
        let two = CardIds::parse("1001,1002").unwrap();
        assert_eq!(two.iter().collect::<Vec<_>>(), [CardId(1001), CardId(1002)]);
        assert_eq!((two.len(), two.max()), (2, 1002));
        assert_eq!(CardIds::consecutive(1001, 2), two);
        assert_eq!(CardIds::parse("7"), Some(CardIds::one(CardId(7))));
        assert_eq!(CardIds::consecutive(7, 1), CardIds::one(CardId(7)), "one card: nothing after it");
        assert_eq!(std::mem::size_of::<CardIds>(), 16);
        for bad in ["", ",", "1,", "1,,", ",", "0", "1,0", "x", "1;2"] {
            assert_eq!(CardIds::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn deck_ids_ignore_case_and_are_never_one() {
        assert_eq!(deck_id_for("Spanish"), deck_id_for("spanish"));
        assert!(deck_id_for("x").0 > 1);
    }
}
