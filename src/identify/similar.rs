//! Word sketches for matching lightly edited cards without keeping their text: a bottom-k MinHash
//! of the lowercased words of one side of a card (front or back). Two sketches estimate the
//! Jaccard similarity of the two word sets; candidates are found through shared sketch values, so
//! matching many changed cards is not quadratic. Each side is sketched on its own: two cards of
//! one template ("What is the German word for dog" / "Hund." and "… for cat" / "Katze.") share
//! most words taken together, but not their backs.

pub use crate::sketch::{K, K_BACK, Sketch};

/// Estimated word-set similarity at or above which one side of an edited card counts as the same
/// text lightly edited (each side is compared on its own; see [`super::matching`]).
pub const THRESHOLD: f64 = 0.6;

/// The sketches of a note's two sides.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Sides {
    pub front: Sketch,
    pub back: Sketch,
}

impl Sides {
    /// The sketches of a front and a back.
    pub fn of(front: &str, back: &str) -> Sides {
        Sides { front: Sketch::of(front), back: Sketch::of_k(&[back], K_BACK) }
    }

    /// The sketches of a front and a back whose words are hashed with `seed`: they share no
    /// value with [`Sides::of`]'s but by chance (see [`crate::identify::sides_of`]).
    pub fn seeded(front: &str, back: &str, seed: u64) -> Sides {
        Sides { front: Sketch::of_seeded(&[front], K, seed), back: Sketch::of_seeded(&[back], K_BACK, seed) }
    }

    /// The estimated similarity of two fronts' sketches.
    pub fn fronts(a: &Sketch, b: &Sketch) -> f64 {
        a.similarity_k(b, K)
    }

    /// The estimated similarity of two backs' sketches.
    pub fn backs(a: &Sketch, b: &Sketch) -> f64 {
        a.similarity_k(b, K_BACK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "The Shakhty show trial of 1928 was a clear indication of Stalin's \
        determination to find a scapegoat for the chaos caused by his own economic policies";

    #[test]
    fn a_light_edit_stays_above_the_threshold() {
        let edited = CARD.replace("clear", "plain").replace("1928", "1929");
        assert!(Sketch::of(CARD).similarity(&Sketch::of(&edited)) >= THRESHOLD);
    }

    #[test]
    fn unrelated_texts_fall_below_the_threshold() {
        let other = "Kirov was murdered in December 1934 and the circumstances were suspicious";
        assert!(Sketch::of(CARD).similarity(&Sketch::of(other)) < THRESHOLD);
    }

    #[test]
    fn a_back_keeps_fewer_values_and_is_compared_on_them() {
        let sides = Sides::of(CARD, CARD);
        assert_eq!(sides.front.values().len(), K);
        assert_eq!(sides.back.values().len(), K_BACK);
        assert_eq!(&sides.front.values()[..K_BACK], sides.back.values(), "the smallest values");
        assert_eq!(Sides::backs(&sides.back, &sides.back), 1.0);
        // Up to `K_BACK` words the similarity of backs is the exact Jaccard similarity.
        let (a, b) = (Sides::of("", "der Hund die Hunde"), Sides::of("", "der Hund"));
        assert_eq!(Sides::backs(&a.back, &b.back), 0.5);
    }
}
