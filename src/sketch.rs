//! Word sketches: a bottom-k MinHash of the lowercased words of a text, kept in the lock for each
//! side of a note so that lightly edited cards can be matched without keeping their text. Two
//! sketches estimate the Jaccard similarity of the two word sets. A bottom-layer type: the lock
//! stores and parses sketches; `identify::similar` decides what counts as similar.

use std::fmt;
use std::str::FromStr;

/// How many of the smallest word hashes a sketch keeps: a front's sketch.
pub const K: usize = 16;

/// How many a back's sketch keeps. Fewer than a front's: the lock holds both, and its size is
/// what a rebuild with nothing changed costs. A front needs the finer estimate (stage 3 of the
/// matching rule compares fronts alone); a back is compared alone only to rank cards with one
/// front, and in stage 4 next to its front. Up to 8 words a back's similarity is exact.
pub const K_BACK: usize = 8;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Each byte as it enters a word hash: ASCII letters lowercased, digits and bytes outside ASCII
/// as they are; 0 for bytes that separate words.
static WORD_BYTES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_alphanumeric() || byte >= 0x80 {
            table[b] = byte.to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

/// Folds a 64-bit word hash to the 16 bits a sketch keeps, mixing the high bits in.
fn fold(hash: u64) -> u16 {
    let mixed = (hash ^ (hash >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (mixed >> 48) as u16
}

/// The `K` smallest distinct 16-bit word hashes of a text, ascending.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Sketch {
    // Inline, not a Vec: a lock of 100,000 notes holds 100,000 sketches.
    values: [u16; K],
    len: u8,
}

impl Sketch {
    /// The sketch of a plain text. Words are runs of letters and digits (any byte outside ASCII
    /// counts as a letter); ASCII letters are compared without case. Each word is hashed with
    /// FNV-1a, folded to 16 bits.
    pub fn of(text: &str) -> Sketch {
        Sketch::of_parts(&[text])
    }

    /// The sketch of several texts together, as if joined by spaces.
    pub fn of_parts(parts: &[&str]) -> Sketch {
        Sketch::of_k(parts, K)
    }

    /// The sketch of several texts together keeping the `k` (at most [`K`]) smallest values.
    pub fn of_k(parts: &[&str], k: usize) -> Sketch {
        Sketch::of_seeded(parts, k, 0)
    }

    /// [`Sketch::of_k`] with each word's hash started from `seed` (0: the plain sketch): the
    /// same words give other values, so two sketches of different seeds are not alike.
    pub fn of_seeded(parts: &[&str], k: usize, seed: u64) -> Sketch {
        let k = k.min(K);
        let start = FNV_OFFSET ^ seed;
        let mut sketch = Sketch::default();
        for part in parts {
            let mut hash: u64 = start;
            let mut in_word = false;
            for &b in part.as_bytes() {
                let folded = WORD_BYTES[usize::from(b)];
                if folded != 0 {
                    hash = (hash ^ u64::from(folded)).wrapping_mul(FNV_PRIME);
                    in_word = true;
                } else if in_word {
                    sketch.offer(fold(hash), k);
                    hash = start;
                    in_word = false;
                }
            }
            if in_word {
                sketch.offer(fold(hash), k);
            }
        }
        sketch
    }

    /// Keeps `value` if it is one of the `k` smallest distinct values offered so far. Most
    /// values of a long text are larger than the `k`-th smallest and cost one comparison.
    fn offer(&mut self, value: u16, k: usize) {
        let len = usize::from(self.len);
        if len == k && value >= self.values[k - 1] {
            return;
        }
        let at = self.values[..len].partition_point(|&v| v < value);
        if at < len && self.values[at] == value {
            return;
        }
        let end = len.min(k - 1);
        self.values.copy_within(at..end, at + 1);
        self.values[at] = value;
        self.len = (end + 1) as u8;
    }

    /// A sketch of at most `K` ascending values.
    fn from_sorted(sorted: &[u16]) -> Sketch {
        let mut sketch = Sketch::default();
        let len = sorted.len().min(K);
        sketch.values[..len].copy_from_slice(&sorted[..len]);
        sketch.len = len as u8;
        sketch
    }

    /// The sketch values.
    pub fn values(&self) -> &[u16] {
        &self.values[..usize::from(self.len)]
    }

    /// Estimated Jaccard similarity of the two word sets: of the `K` smallest values of the
    /// union, the share present in both.
    pub fn similarity(&self, other: &Sketch) -> f64 {
        self.similarity_k(other, K)
    }

    /// As [`Sketch::similarity`] for sketches of at most `k` values ([`Sketch::of_k`]): of the
    /// `k` smallest values of the union, the share present in both.
    pub fn similarity_k(&self, other: &Sketch, k: usize) -> f64 {
        let (a, b) = (self.values(), other.values());
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut seen, mut shared) = (0usize, 0usize, 0u32, 0u32);
        while (seen as usize) < k && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => i += 1,
                (Some(_), None) => i += 1,
                _ => j += 1,
            }
            seen += 1;
        }
        f64::from(shared) / f64::from(seen)
    }
}

impl Sketch {
    /// Appends the text form (as [`Display`](fmt::Display)) to `out`, without the formatter.
    pub fn push_hex(&self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        if self.len == 0 {
            out.push('-');
        }
        for v in self.values() {
            for shift in (0..4).rev() {
                out.push(HEX[usize::from((v >> (shift * 4)) & 0xf)] as char);
            }
        }
    }
}

impl fmt::Display for Sketch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("-");
        }
        self.values().iter().try_for_each(|v| write!(f, "{v:04x}"))
    }
}

impl FromStr for Sketch {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "-" {
            return Ok(Sketch::default());
        }
        if !s.len().is_multiple_of(4) || s.len() / 4 > K || !s.is_ascii() {
            return Err(());
        }
        let mut values = [0u16; K];
        let count = s.len() / 4;
        for (i, value) in values[..count].iter_mut().enumerate() {
            *value = u16::from_str_radix(&s[i * 4..i * 4 + 4], 16).map_err(|_| ())?;
        }
        Ok(Sketch::from_sorted(&values[..count]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "The Shakhty show trial of 1928 was a clear indication of Stalin's \
        determination to find a scapegoat for the chaos caused by his own economic policies";

    #[test]
    fn identical_texts_are_fully_similar() {
        assert_eq!(Sketch::of(CARD).similarity(&Sketch::of(CARD)), 1.0);
    }

    /// The sketch as first defined: all word values, sorted, deduplicated, the `K` smallest.
    fn sketch_by_sorting(parts: &[&str]) -> Sketch {
        let mut values: Vec<u16> = Vec::new();
        for part in parts {
            for word in part.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()) {
                if !word.is_empty() {
                    let hash = word.bytes().fold(FNV_OFFSET, |h, b| {
                        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(FNV_PRIME)
                    });
                    values.push(fold(hash));
                }
            }
        }
        values.sort_unstable();
        values.dedup();
        values.truncate(K);
        Sketch::from_sorted(&values)
    }

    #[test]
    fn selection_gives_the_same_sketch_as_sorting() {
        let mut seed = 0x1234_5678_9abc_def1_u64;
        let words = ["a", "B", "a", "word", "Zürich", "1934", "x-y", "the", "The", "trial", "", "Ærø"];
        let mut full = 0;
        for _ in 0..500 {
            let mut parts = vec![String::new(), String::new()];
            for part in &mut parts {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                for i in 0..(seed % 90) {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Words from a small list and from a large space, so sketches fill up.
                    match seed % 3 {
                        0 => part.push_str(words[(seed >> 8) as usize % words.len()]),
                        _ => part.push_str(&format!("w{}", (seed >> 8) % 500)),
                    }
                    part.push(if i % 7 == 0 { ',' } else { ' ' });
                }
            }
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            let sketch = Sketch::of_parts(&refs);
            full += usize::from(sketch.values().len() == K);
            assert_eq!(sketch, sketch_by_sorting(&refs), "{refs:?}");
        }
        assert!(full > 100, "too few full sketches: {full}");
        assert_eq!(Sketch::of(CARD), sketch_by_sorting(&[CARD]));
    }

    #[test]
    fn empty_text_matches_nothing() {
        assert_eq!(Sketch::of("").similarity(&Sketch::of("")), 0.0);
    }

    #[test]
    fn sketch_round_trips_through_text() {
        let sketch = Sketch::of(CARD);
        let mut pushed = String::new();
        sketch.push_hex(&mut pushed);
        assert_eq!(pushed, sketch.to_string());
        assert_eq!(sketch.to_string().parse::<Sketch>(), Ok(sketch));
        assert_eq!("-".parse::<Sketch>(), Ok(Sketch::default()));
        assert!("xyz".parse::<Sketch>().is_err());
    }
}
