//! How far a build is, for a progress display: the build calls a [`Progress`] at its few phase
//! points (a phase begins, a deck file is read, a deck is written), never per note, so that
//! reporting costs nothing measurable. What is shown, and where, is the command line's business
//! (`cli/progress.rs`); the library's own callers pass [`NoProgress`].

/// A stage of a build, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and parsing the deck files; counted in deck files.
    Reading,
    /// Matching the cards to the lock file's identities; counted in cards (the total only).
    Identifying,
    /// Writing the packages, CSVs and the lock; counted in cards, a deck's when it is written.
    Writing,
}

/// Receives a build's progress. Called from the build's worker threads.
pub trait Progress: Sync {
    /// `stage` begins, with `total` units of work (0 when not known).
    fn begin(&self, stage: Stage, total: u64);
    /// `done` more units of the current stage are finished.
    fn advance(&self, done: u64);
}

/// Shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: Stage, _: u64) {}
    fn advance(&self, _: u64) {}
}
