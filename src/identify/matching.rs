//! Matching the notes of a new build to the lock entries of the last one, in order:
//! identical front and back; then same front or same back (one side edited); then the most
//! similar remaining card above [`similar::THRESHOLD`] (both sides lightly edited). Ties go in
//! source order, so identical duplicate cards keep their guids in order.

use super::NoteKey;
use super::similar::{self, Sketch};
use crate::lock::NoteEntry;
use rustc_hash::FxHashMap as HashMap;

/// A new note that no old entry matched exactly, with its sketch.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Its index among the new notes.
    pub index: usize,
    pub front: u64,
    pub back: u64,
    pub sketch: Sketch,
}

/// Past this many old cards sharing one sketch value, the value says nothing and is skipped.
const MAX_POSTING: usize = 64;

/// For each new note, the index of the old entry it matched, if any; and the notes that no old
/// entry matched exactly, with their sketches. `sketches(indices)` gives the sketches of those
/// notes; it is asked only for notes that identical content did not match, and only when some
/// old entry is still free (otherwise no probe is returned).
pub fn match_notes(
    old: &[NoteEntry],
    keys: &[NoteKey],
    sketches: impl FnOnce(&[usize]) -> Vec<Sketch>,
) -> (Vec<Option<usize>>, Vec<Probe>) {
    let mut matched: Vec<Option<usize>> = vec![None; keys.len()];
    let mut taken = vec![false; old.len()];

    // Identical cards: each key leads to its first old entry, and each entry to the next one of
    // the same key (no list per key: almost every key has one entry).
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
    if taken.iter().all(|t| *t) {
        return (matched, Vec::new());
    }
    let unmatched: Vec<usize> = (0..keys.len()).filter(|&p| matched[p].is_none()).collect();
    let probes: Vec<Probe> = unmatched
        .iter()
        .zip(sketches(&unmatched))
        .map(|(&index, sketch)| Probe { index, front: keys[index].front, back: keys[index].back, sketch })
        .collect();

    // One side unchanged. Where several free old cards share that side, the one most like the
    // card on the other side wins, so an edit next to a deleted twin keeps the right identity.
    let mut fronts: HashMap<u64, Vec<usize>> = HashMap::default();
    let mut backs: HashMap<u64, Vec<usize>> = HashMap::default();
    for (i, e) in old.iter().enumerate().filter(|(i, _)| !taken[*i]) {
        fronts.entry(e.front).or_default().push(i);
        backs.entry(e.back).or_default().push(i);
    }
    for probe in &probes {
        let found = best_free(fronts.get(&probe.front), old, probe, &taken)
            .or_else(|| best_free(backs.get(&probe.back), old, probe, &taken));
        if let Some(i) = found {
            matched[probe.index] = Some(i);
            taken[i] = true;
        }
    }

    match_similar(old, &probes, &mut matched, &mut taken);
    (matched, probes)
}

/// Of the free old entries in `candidates`, the one whose sketch is most like the probe's
/// (the first in source order on a tie).
fn best_free(
    candidates: Option<&Vec<usize>>,
    old: &[NoteEntry],
    probe: &Probe,
    taken: &[bool],
) -> Option<usize> {
    let mut free = candidates?.iter().copied().filter(|&i| !taken[i]);
    let first = free.next()?;
    let mut best = (probe.sketch.similarity(&old[first].sketch), first);
    for i in free {
        let score = probe.sketch.similarity(&old[i].sketch);
        if score > best.0 {
            best = (score, i);
        }
    }
    Some(best.1)
}

/// Greedy best-first pairing of the remaining cards by sketch similarity.
fn match_similar(old: &[NoteEntry], probes: &[Probe], matched: &mut [Option<usize>], taken: &mut [bool]) {
    let mut postings: HashMap<u16, Vec<usize>> = HashMap::default();
    for (i, e) in old.iter().enumerate().filter(|(i, _)| !taken[*i]) {
        for &v in e.sketch.values() {
            postings.entry(v).or_default().push(i);
        }
    }
    if postings.is_empty() {
        return;
    }
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    let mut candidates: Vec<usize> = Vec::new();
    for probe in probes.iter().filter(|probe| matched[probe.index].is_none()) {
        let p = probe.index;
        candidates.clear();
        for v in probe.sketch.values() {
            match postings.get(v) {
                Some(list) if list.len() <= MAX_POSTING => candidates.extend(list),
                _ => {}
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for &i in &candidates {
            let score = probe.sketch.similarity(&old[i].sketch);
            if score >= similar::THRESHOLD {
                pairs.push((score, p, i));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, p, i) in pairs {
        if matched[p].is_none() && !taken[i] {
            matched[p] = Some(i);
            taken[i] = true;
        }
    }
}
