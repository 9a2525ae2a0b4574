//! Matching the notes of a new build to the lock entries of the last one, in order:
//! identical front and back; then same front or same back (one side edited); then the most
//! similar remaining card above [`similar::THRESHOLD`] (both sides lightly edited). Ties go in
//! source order, so identical duplicate cards keep their guids in order.

use super::similar::{self, Sketch};
use crate::lock::NoteEntry;
use rustc_hash::FxHashMap as HashMap;

/// What matching needs to know of a new note.
#[derive(Debug, Clone)]
pub struct Probe {
    pub front: u64,
    pub back: u64,
    pub sketch: Sketch,
}

/// Past this many old cards sharing one sketch value, the value says nothing and is skipped.
const MAX_POSTING: usize = 64;

/// For each probe, the index of the old entry it matched, if any. `sketches(indices)` gives the
/// sketches of those probes; it is asked only for probes that identical content did not match,
/// and only when some old entry is still free.
pub fn match_notes(
    old: &[NoteEntry],
    probes: &mut [Probe],
    sketches: impl FnOnce(&[usize]) -> Vec<Sketch>,
) -> Vec<Option<usize>> {
    let mut matched: Vec<Option<usize>> = vec![None; probes.len()];
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
    for (p, probe) in probes.iter().enumerate() {
        if let Some(head) = exact.get_mut(&(probe.front, probe.back)).filter(|head| **head != NONE) {
            let i = *head;
            *head = next_same[i];
            matched[p] = Some(i);
            taken[i] = true;
        }
    }
    if taken.iter().all(|t| *t) {
        return matched;
    }
    let unmatched: Vec<usize> = (0..probes.len()).filter(|&p| matched[p].is_none()).collect();
    for (p, sketch) in unmatched.iter().zip(sketches(&unmatched)) {
        probes[*p].sketch = sketch;
    }

    // One side unchanged. Where several free old cards share that side, the one most like the
    // card on the other side wins, so an edit next to a deleted twin keeps the right identity.
    let mut fronts: HashMap<u64, Vec<usize>> = HashMap::default();
    let mut backs: HashMap<u64, Vec<usize>> = HashMap::default();
    for (i, e) in old.iter().enumerate().filter(|(i, _)| !taken[*i]) {
        fronts.entry(e.front).or_default().push(i);
        backs.entry(e.back).or_default().push(i);
    }
    for (p, probe) in probes.iter().enumerate() {
        if matched[p].is_some() {
            continue;
        }
        let found = best_free(fronts.get(&probe.front), old, probe, &taken)
            .or_else(|| best_free(backs.get(&probe.back), old, probe, &taken));
        if let Some(i) = found {
            matched[p] = Some(i);
            taken[i] = true;
        }
    }

    match_similar(old, probes, &mut matched, &mut taken);
    matched
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
    for (p, probe) in probes.iter().enumerate().filter(|(p, _)| matched[*p].is_none()) {
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
