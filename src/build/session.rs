//! A build session: the project's build guard held across many builds, for `ankideck watch`.
//! Between its builds no other build can slip in and write the lock or `out/` behind it; a build
//! started meanwhile is refused, naming the watch ([`super::BuildError::Watched`]), rather than
//! waiting for the whole session.

use super::progress::Progress;
use super::{BuildError, BuildOptions, BuildReport, acquire_guard, build_held, guard, resolve_lock};
use crate::timing::Phase;
use std::path::Path;

/// The guard of one project, held until [`Session::end`] (or drop).
pub struct Session {
    opts: BuildOptions,
    guard: Option<guard::BuildGuard>,
}

impl Session {
    /// Takes the guard of the project of `opts`. If a build holds it, calls `waiting` with the
    /// guard's path once and waits for it; if another watch holds it, fails with
    /// [`BuildError::Watched`].
    pub fn start(opts: &BuildOptions, waiting: &dyn Fn(&Path)) -> Result<Session, BuildError> {
        let opts = resolve_lock(opts)?.into_owned();
        let guard = acquire_guard(&opts, guard::Holder::Watch, waiting)?;
        Ok(Session { opts, guard: Some(guard) })
    }

    /// The options the session builds with.
    pub fn options(&self) -> &BuildOptions {
        &self.opts
    }

    /// Builds every deck as [`super::build_with`] does, at build time `now_secs`, under the
    /// session's guard. If `out/` was deleted meanwhile (and the guard file with it), the guard
    /// is taken anew first: a lock on a removed file guards nothing.
    pub fn build(
        &mut self,
        now_secs: i64,
        waiting: &dyn Fn(&Path),
        progress: &dyn Progress,
        deliver: &mut dyn FnMut(&BuildReport),
    ) -> Result<BuildReport, BuildError> {
        let _total = Phase::start("build", String::new);
        self.opts.now_secs = now_secs;
        if !self.guard.as_ref().is_some_and(guard::BuildGuard::is_current) {
            if let Some(old) = self.guard.take() {
                old.release();
            }
            self.guard = Some(acquire_guard(&self.opts, guard::Holder::Watch, waiting)?);
        }
        build_held(&self.opts, waiting, progress, deliver, false)
    }

    /// Lets the guard go.
    pub fn end(mut self) {
        if let Some(guard) = self.guard.take() {
            guard.release();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            guard.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::Compression;

    fn options(dir: &Path) -> BuildOptions {
        BuildOptions {
            source: dir.join("source-cards"),
            out: dir.join("out"),
            lock: dir.join("ankideck.lock"),
            csv: false,
            locked: false,
            force: false,
            compression: Compression::Fast,
            now_secs: 1_764_000_000,
            stream_above: super::super::STREAM_ABOVE,
            detail: false,
        }
    }

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("source-cards")).unwrap();
        std::fs::write(
            dir.path().join("source-cards/a.txt"),
            "A Deck\nPLAYS\nWho wrote Hamlet?\nShakespeare.\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_build_during_a_session_is_refused_naming_the_watch() {
        let dir = project();
        let opts = options(dir.path());
        let session = Session::start(&opts, &|_| panic!("nobody holds it")).unwrap();
        let refused =
            super::super::build_with(&opts, &|_| {}, &super::super::progress::NoProgress, &mut |_| {});
        match refused {
            Err(BuildError::Watched { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("not refused: {:?}", other.map(|_| ())),
        }
        assert!(Session::start(&opts, &|_| {}).is_err(), "a second session is refused too");
        session.end();
        assert!(!opts.out.join(guard::WATCH_FILE).exists(), "the record is removed at the end");
        super::super::build(&opts).expect("a build after the session runs");
    }

    #[test]
    fn a_session_builds_again_and_again_holding_the_guard() {
        let dir = project();
        let opts = options(dir.path());
        let mut session = Session::start(&opts, &|_| panic!("nobody holds it")).unwrap();
        let progress = super::super::progress::NoProgress;
        let first = session.build(1_764_000_000, &|_| panic!("no wait"), &progress, &mut |_| {}).unwrap();
        assert!(matches!(first.decks[0].outcome, super::super::Outcome::Built(_)));
        let second = session.build(1_764_000_100, &|_| panic!("no wait"), &progress, &mut |_| {}).unwrap();
        assert!(matches!(second.decks[0].outcome, super::super::Outcome::UpToDate { .. }));
        // out/ deleted under the session: the guard is taken anew, and still refuses a build.
        std::fs::remove_dir_all(&opts.out).unwrap();
        session.build(1_764_000_200, &|_| panic!("no wait"), &progress, &mut |_| {}).unwrap();
        assert!(opts.out.join(guard::WATCH_FILE).is_file());
        let refused = super::super::build(&opts);
        assert!(matches!(refused, Err(BuildError::Watched { .. })), "a build got in after out/ was deleted");
    }
}
