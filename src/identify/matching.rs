//! Matching the notes of a new build to the lock entries of the last one. A card is the same card
//! only when the evidence says so; the stages, in order, each over the whole build:
//!
//! 1. identical front and back;
//! 2. the same front (the answer corrected): among several free entries with that front, the one
//!    whose back is most similar;
//! 3. the same back, and a front similar on its own (≥ [`similar::THRESHOLD`]), or a back of at
//!    least [`LONG_BACK_WORDS`] distinct words that no other card has (a `Back Extra` that
//!    several cards share, such as their source, tells them apart no better than a short one): a
//!    short unchanged answer ("dog", "1924") is no evidence that a replaced question is the same
//!    card, and a back without words (the empty `Back Extra` of a cloze card of one line) none at
//!    all: the front alone must then be as similar as each side must be in stage 4;
//! 4. both sides changed: each side similar on its own (≥ [`BOTH_CHANGED_THRESHOLD`]), best
//!    pairs first.
//!
//! In another deck, stage 2 also needs a similar back. Anything else is a new card. Within
//! stages 1 to 3 a candidate from the note's own deck wins over one from another deck, then the
//! more similar one, then the first in source order (in stage 4 the more similar pair wins first) (so identical
//! duplicate cards keep their guids in order). The pool of old entries holds every deck being
//! rebuilt and the decks whose file is gone, so a card moved to another deck file keeps its
//! identity. Identical cards are first matched within each deck on its own
//! ([`match_exact`]): for an unchanged deck that is all the work there is.
//!
//! A note whose fields hold a quote is also looked up by its fields as earlier versions escaped
//! them ([`super::escaping`]), in stages 1 to 3 after its own hashes found nothing in a scope,
//! and in stage 4 by the better of its two sketches: the lock entries of those versions hold
//! hashes of that text.

use super::NoteKey;
use super::escaping::OldForm;
use super::similar::{self, Sides, Sketch};
use crate::lock::NoteEntry;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// A back with at least this many distinct words, unchanged, identifies its card even when the
/// front was rewritten (stage 3). Measured on the corpus in `tests.rs`
/// (`corpus_of_real_edits_has_no_false_match`): vocabulary answers have 1 to 3 words.
pub const LONG_BACK_WORDS: usize = 8;

/// The similarity a rewritten front needs when its back is unchanged (stage 3): lower than
/// [`similar::THRESHOLD`], which must hold for both sides when both changed, because the
/// unchanged answer is evidence too. "Which policy did Stalin set against Trotsky's permanent
/// revolution?" reworded to "... oppose to Trotsky's idea of permanent revolution?" over the same
/// answer scores 0.57. Measured on the corpus (`corpus.rs`): no false match at this value.
pub const SAME_BACK_FRONT_THRESHOLD: f64 = 0.5;

/// The similarity each side needs when both changed (stage 4). Template cards share most of their
/// words: "The Battle of Hastings took place in 1066." and "... of Culloden ... in 1746." have 6 of
/// 10 words in common (0.6), "The capital of France is Paris, which lies on the river Seine." and
/// its Germany card 8 of 14; a typo on each side of such a card keeps 0.78 or more. Measured on
/// the corpus (`corpus.rs`): 0.6 gave template replacements another card's identity.
pub const BOTH_CHANGED_THRESHOLD: f64 = 0.7;

// A back's sketch keeps at most `K_BACK` values: a longer limit could never be met.
const _: () = assert!(LONG_BACK_WORDS <= similar::K_BACK);

/// A new note that no old entry of its own deck matched exactly, with its sketches.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Its index among the deck's new notes.
    pub index: usize,
    pub front: u64,
    pub back: u64,
    pub sketch: Sides,
    /// Its fields as earlier versions escaped them, if they hold a quote.
    pub old: Option<Box<OldForm>>,
}

impl Probe {
    /// The sketches of its fields as earlier versions escaped them (its own if it has no quote).
    fn old_sketch(&self) -> &Sides {
        self.old.as_ref().map_or(&self.sketch, |o| &o.sketch)
    }
}

/// An old entry of the build's pool: entry `index` of pool `pool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OldRef {
    pub pool: usize,
    pub index: usize,
}

/// One group of old entries (a deck's lock entries) and which of them are taken.
#[derive(Debug)]
pub struct Pool<'a> {
    pub entries: &'a [NoteEntry],
    pub taken: Vec<bool>,
}

/// One deck's notes still to match, and the pool that is its own (its lock entries), if any.
#[derive(Debug)]
pub struct Leftovers {
    pub own: Option<usize>,
    pub probes: Vec<Probe>,
}

/// Past this many old cards sharing one sketch value, the value says nothing and is skipped.
const MAX_POSTING: usize = 64;

/// Stage 1 within one deck: for each new note, the old entry of the deck's own with the same
/// front and back, if any (the first free one in source order); and which entries are taken.
pub fn match_exact(old: &[NoteEntry], keys: &[NoteKey]) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut matched: Vec<Option<usize>> = vec![None; keys.len()];
    let mut taken = vec![false; old.len()];
    // Each key leads to its first old entry, and each entry to the next one of the same key (no
    // list per key: almost every key has one entry).
    const NONE: usize = usize::MAX;
    let mut exact: HashMap<(u64, u64), usize> = HashMap::default();
    exact.reserve(old.len());
    let mut next_same = vec![NONE; old.len()];
    for (i, e) in old.iter().enumerate().rev() {
        next_same[i] = exact.insert((e.front, e.back), i).unwrap_or(NONE);
    }
    for (p, key) in keys.iter().enumerate() {
        if let Some(head) = exact.get_mut(&(key.front, key.back)).filter(|head| **head != NONE) {
            let i = *head;
            *head = next_same[i];
            matched[p] = Some(i);
            taken[i] = true;
        }
    }
    (matched, taken)
}

/// Whether a stage looks at the note's own deck only, or at every deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Own,
    Any,
}

/// Stages 1 to 4 over the whole build, for the notes [`match_exact`] left: for each deck, for
/// each of its probes, the old entry it matched. Entries it takes are marked in `pools`.
pub fn match_leftovers(pools: &mut [Pool<'_>], decks: &[Leftovers]) -> Vec<Vec<Option<OldRef>>> {
    let mut found: Vec<Vec<Option<OldRef>>> = decks.iter().map(|d| vec![None; d.probes.len()]).collect();
    let free: Vec<OldRef> = pools
        .iter()
        .enumerate()
        .flat_map(|(pool, p)| {
            p.taken.iter().enumerate().filter(|(_, t)| !**t).map(move |(index, _)| OldRef { pool, index })
        })
        .collect();
    if free.is_empty() || decks.iter().all(|d| d.probes.is_empty()) {
        return found;
    }
    // With one pool (one deck, nothing else), a deck's own entries are all there is: one pass per
    // stage, and [`match_exact`] has done stage 1.
    let scopes: &[Scope] = if pools.len() > 1 { &[Scope::Own, Scope::Any] } else { &[Scope::Any] };
    let entry = |pools: &[Pool<'_>], r: OldRef| -> (u64, u64) {
        let e = &pools[r.pool].entries[r.index];
        (e.front, e.back)
    };
    // Whether any probe has an old form to look up: without quotes, no pass for them.
    let quoted = decks.iter().any(|d| d.probes.iter().any(|p| p.old.is_some()));
    // The old form's key of a probe, where it differs from its own (`None` otherwise).
    let old_key = |p: &Probe, key: fn(&Probe) -> u64, old: fn(&OldForm) -> u64| {
        p.old.as_deref().map(old).filter(|&k| k != key(p))
    };
    if pools.len() > 1 || quoted {
        // 1. Identical (within a deck, [`match_exact`] has done it already).
        let exact = Chains::new(&free, |r| entry(pools, r));
        for &scope in scopes {
            if pools.len() > 1 {
                let candidates = |p: &Probe| exact.get(&free, (p.front, p.back));
                by_side(pools, decks, &mut found, scope, candidates, |_, _, _| Some(1.0));
            }
            if quoted {
                let candidates = |p: &Probe| {
                    p.old.as_deref().map(|o| exact.get(&free, (o.front, o.back))).into_iter().flatten()
                };
                by_side(pools, decks, &mut found, scope, candidates, |_, _, _| Some(1.0));
            }
        }
    }
    // 2. The same front: the most similar back wins. In another deck the back must be similar
    //    too: parallel decks share their prompts ("What is the word for horse" in a French and a
    //    Spanish deck), so a question alone says nothing across decks.
    let fronts = Chains::new(&free, |r| entry(pools, r).0);
    for &scope in scopes {
        let candidates = |p: &Probe| fronts.get(&free, p.front);
        by_side(pools, decks, &mut found, scope, candidates, |p, e, foreign| {
            let score = Sides::backs(&p.sketch.back, &e.back_sketch);
            (!foreign || score >= similar::THRESHOLD).then_some(score)
        });
        if quoted {
            let candidates = |p: &Probe| {
                old_key(p, |p| p.front, |o| o.front).map(|k| fronts.get(&free, k)).into_iter().flatten()
            };
            by_side(pools, decks, &mut found, scope, candidates, |p, e, foreign| {
                let score = Sides::backs(&p.old_sketch().back, &e.back_sketch);
                (!foreign || score >= similar::THRESHOLD).then_some(score)
            });
        }
    }
    drop(fronts);
    // 3. The same back, and a similar front or a long back.
    let backs = Chains::new(&free, |r| entry(pools, r).1);
    let shared = shared_long_backs(pools, decks);
    let same_back = |front: &Sides, p: &Probe, e: &NoteEntry| {
        let score = Sides::fronts(&front.front, &e.front_sketch);
        let needed = match front.back.values().is_empty() {
            true => BOTH_CHANGED_THRESHOLD,
            false => SAME_BACK_FRONT_THRESHOLD,
        };
        let long = p.sketch.back.values().len() >= LONG_BACK_WORDS && !shared.contains(&e.back);
        (score >= needed || long).then_some(score)
    };
    for &scope in scopes {
        let candidates = |p: &Probe| backs.get(&free, p.back);
        by_side(pools, decks, &mut found, scope, candidates, |p, e, _| same_back(&p.sketch, p, e));
        if quoted {
            let candidates = |p: &Probe| {
                old_key(p, |p| p.back, |o| o.back).map(|k| backs.get(&free, k)).into_iter().flatten()
            };
            by_side(pools, decks, &mut found, scope, candidates, |p, e, _| same_back(p.old_sketch(), p, e));
        }
    }
    drop(backs);
    both_similar(pools, decks, &mut found, &free);
    found
}

/// The backs of [`LONG_BACK_WORDS`] words or more that more than one card has, old or new: the
/// long backs that do not identify a card (stage 3). Only the probes' long backs are counted, so
/// the pass over every old entry is a lookup in a small map, and only when a probe has one.
fn shared_long_backs(pools: &[Pool<'_>], decks: &[Leftovers]) -> HashSet<u64> {
    let mut count: HashMap<u64, u32> = HashMap::default();
    for p in decks.iter().flat_map(|d| &d.probes).filter(|p| p.sketch.back.values().len() >= LONG_BACK_WORDS)
    {
        *count.entry(p.back).or_default() += 1;
        // The back as earlier versions escaped it is looked up too.
        if let Some(old) = p.old.as_deref().filter(|o| o.back != p.back) {
            *count.entry(old.back).or_default() += 1;
        }
    }
    if count.is_empty() {
        return HashSet::default();
    }
    for e in pools.iter().flat_map(|p| p.entries) {
        if let Some(c) = count.get_mut(&e.back) {
            *c += 1;
        }
    }
    // A back of one card counts twice: its new note and its old entry.
    count.into_iter().filter(|&(_, c)| c > 2).map(|(back, _)| back).collect()
}

/// The free entries grouped by a key, without a list per key (almost every key has one entry):
/// each key leads to its first entry in source order, each entry to the next one of its key.
struct Chains<K> {
    head: HashMap<K, u32>,
    next: Vec<u32>,
}

const END: u32 = u32::MAX;

impl<K: std::hash::Hash + Eq + Copy> Chains<K> {
    fn new(free: &[OldRef], key: impl Fn(OldRef) -> K) -> Chains<K> {
        let mut head: HashMap<K, u32> = HashMap::default();
        head.reserve(free.len());
        let mut next = vec![END; free.len()];
        for (i, &r) in free.iter().enumerate().rev() {
            next[i] = head.insert(key(r), i as u32).unwrap_or(END);
        }
        Chains { head, next }
    }

    /// The entries of `key`, in source order.
    fn get<'a>(&'a self, free: &'a [OldRef], key: K) -> impl Iterator<Item = OldRef> + 'a {
        let mut at = self.head.get(&key).copied().unwrap_or(END);
        std::iter::from_fn(move || {
            let i = usize::try_from(at).ok().filter(|_| at != END)?;
            at = self.next[i];
            Some(free[i])
        })
    }
}

/// One stage of matching by an unchanged side: each probe not yet matched, in deck and source
/// order, takes the free candidate (from `candidates`, in source order) that `score` accepts
/// with the highest score, the first on a tie.
fn by_side<I: Iterator<Item = OldRef>>(
    pools: &mut [Pool<'_>],
    decks: &[Leftovers],
    found: &mut [Vec<Option<OldRef>>],
    scope: Scope,
    candidates: impl Fn(&Probe) -> I,
    score: impl Fn(&Probe, &NoteEntry, bool) -> Option<f64>,
) {
    for (d, deck) in decks.iter().enumerate() {
        for (j, probe) in deck.probes.iter().enumerate() {
            if found[d][j].is_some() {
                continue;
            }
            let mut best: Option<(f64, OldRef)> = None;
            for r in candidates(probe) {
                if pools[r.pool].taken[r.index] || (scope == Scope::Own && deck.own != Some(r.pool)) {
                    continue;
                }
                let foreign = deck.own != Some(r.pool);
                let Some(s) = score(probe, &pools[r.pool].entries[r.index], foreign) else { continue };
                // A later candidate wins only with a higher score.
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, r));
                }
            }
            if let Some((_, r)) = best {
                pools[r.pool].taken[r.index] = true;
                found[d][j] = Some(r);
            }
        }
    }
}

/// Stage 4: pairs whose fronts and backs are each similar on their own, best first (the higher
/// similarity, then own deck before other decks, then source order: a card moved to another
/// file with a small edit keeps its own identity rather than a similar card deleted there).
fn both_similar(
    pools: &mut [Pool<'_>],
    decks: &[Leftovers],
    found: &mut [Vec<Option<OldRef>>],
    free: &[OldRef],
) {
    // Candidates share a sketch value of either side. Postings hold places in `free` (4 bytes).
    let mut postings: HashMap<u16, Vec<u32>> = HashMap::default();
    for (i, &r) in free.iter().enumerate().filter(|(_, r)| !pools[r.pool].taken[r.index]) {
        let e = &pools[r.pool].entries[r.index];
        // A word on both sides lists the entry twice under its value: candidates are deduplicated.
        for &v in e.front_sketch.values().iter().chain(e.back_sketch.values()) {
            postings.entry(v).or_default().push(i as u32);
        }
    }
    if postings.is_empty() {
        return;
    }
    // The values of the words that quotes escaped the old way became: an entry whose sketches
    // hold neither is no more like a probe's old form than like the probe (the old form's words
    // are the probe's and these), so it is compared with the probe only.
    let quote_words = [Sketch::of("quot").values()[0], Sketch::of("x27").values()[0]];
    let from_quotes = |e: &NoteEntry| {
        e.front_sketch.values().iter().chain(e.back_sketch.values()).any(|v| quote_words.contains(v))
    };
    // (-score, foreign, deck, probe, entry): ascending is best first.
    let mut pairs: Vec<(f64, bool, usize, usize, OldRef)> = Vec::new();
    let mut candidates: Vec<u32> = Vec::new();
    for (d, deck) in decks.iter().enumerate() {
        for (j, probe) in deck.probes.iter().enumerate().filter(|(j, _)| found[d][*j].is_none()) {
            candidates.clear();
            // A probe with quotes is compared by its own sketches and by those of its old form.
            // (An old form whose sketches are the probe's adds nothing: long sides, quotes' words
            // not among the smallest values.)
            let old = probe.old.as_deref().map(|o| &o.sketch).filter(|&o| *o != probe.sketch);
            let own =
                |v: &u16| probe.sketch.front.values().contains(v) || probe.sketch.back.values().contains(v);
            // The old form's values are mostly the probe's own: only the others find more.
            let old_values = old.into_iter().flat_map(|o| o.front.values().iter().chain(o.back.values()));
            for v in probe
                .sketch
                .front
                .values()
                .iter()
                .chain(probe.sketch.back.values())
                .chain(old_values.filter(|v| !own(v)))
            {
                match postings.get(v) {
                    Some(list) if list.len() <= MAX_POSTING => candidates.extend(list),
                    _ => {}
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            for &i in &candidates {
                let r = free[i as usize];
                let e = &pools[r.pool].entries[r.index];
                let mut best = both_sides(&probe.sketch, e);
                if let Some(old) = old
                    && from_quotes(e)
                    && let Some(o) = both_sides(old, e)
                {
                    best = Some(best.map_or(o, |b| b.max(o)));
                }
                if let Some(score) = best {
                    pairs.push((-score, deck.own != Some(r.pool), d, j, r));
                }
            }
        }
    }
    pairs.sort_by(|a, b| {
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)).then(a.4.cmp(&b.4))
    });
    for (_, _, d, j, r) in pairs {
        if found[d][j].is_none() && !pools[r.pool].taken[r.index] {
            pools[r.pool].taken[r.index] = true;
            found[d][j] = Some(r);
        }
    }
}

/// The sum of a probe's front and back similarity to an entry's, if each is similar (stage 4).
fn both_sides(probe: &Sides, e: &NoteEntry) -> Option<f64> {
    let front = Sides::fronts(&probe.front, &e.front_sketch);
    if front < BOTH_CHANGED_THRESHOLD {
        return None;
    }
    let back = Sides::backs(&probe.back, &e.back_sketch);
    (back >= BOTH_CHANGED_THRESHOLD).then_some(front + back)
}
