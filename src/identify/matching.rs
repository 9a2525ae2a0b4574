//! Matching the notes of a new build to the lock entries of the last one, in order:
//! identical front and back; then same front or same back (one side edited); then the most
//! similar remaining card above [`similar::THRESHOLD`] (both sides lightly edited). Ties go in
//! source order, so identical duplicate cards keep their guids in order.

use super::similar::{self, Sketch};
use crate::lock::NoteEntry;
use std::collections::{HashMap, VecDeque};

/// What matching needs to know of a new note.
#[derive(Debug, Clone)]
pub struct Probe {
    pub front: u64,
    pub back: u64,
    pub sketch: Sketch,
}

/// Past this many old cards sharing one sketch value, the value says nothing and is skipped.
const MAX_POSTING: usize = 64;

/// For each probe, the index of the old entry it matched, if any.
pub fn match_notes(old: &[NoteEntry], probes: &[Probe]) -> Vec<Option<usize>> {
    let mut matched: Vec<Option<usize>> = vec![None; probes.len()];
    let mut taken = vec![false; old.len()];

    let mut exact: HashMap<(u64, u64), VecDeque<usize>> = HashMap::new();
    for (i, e) in old.iter().enumerate() {
        exact.entry((e.front, e.back)).or_default().push_back(i);
    }
    for (p, probe) in probes.iter().enumerate() {
        if let Some(i) = exact.get_mut(&(probe.front, probe.back)).and_then(VecDeque::pop_front) {
            matched[p] = Some(i);
            taken[i] = true;
        }
    }

    let mut fronts: HashMap<u64, VecDeque<usize>> = HashMap::new();
    let mut backs: HashMap<u64, VecDeque<usize>> = HashMap::new();
    for (i, e) in old.iter().enumerate().filter(|(i, _)| !taken[*i]) {
        fronts.entry(e.front).or_default().push_back(i);
        backs.entry(e.back).or_default().push_back(i);
    }
    for (p, probe) in probes.iter().enumerate() {
        if matched[p].is_some() {
            continue;
        }
        let found = take_first(fronts.get_mut(&probe.front), &taken)
            .or_else(|| take_first(backs.get_mut(&probe.back), &taken));
        if let Some(i) = found {
            matched[p] = Some(i);
            taken[i] = true;
        }
    }

    match_similar(old, probes, &mut matched, &mut taken);
    matched
}

/// Pops the first old index in the queue that is still free.
fn take_first(queue: Option<&mut VecDeque<usize>>, taken: &[bool]) -> Option<usize> {
    let queue = queue?;
    while let Some(i) = queue.pop_front() {
        if !taken[i] {
            return Some(i);
        }
    }
    None
}

/// Greedy best-first pairing of the remaining cards by sketch similarity.
fn match_similar(old: &[NoteEntry], probes: &[Probe], matched: &mut [Option<usize>], taken: &mut [bool]) {
    let mut postings: HashMap<u16, Vec<usize>> = HashMap::new();
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
