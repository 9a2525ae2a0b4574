//! Watch benchmark (issue 13): how long after a one-line edit of a 10,000-card deck the preview
//! is told to reload. A project is generated in a temp dir, `ankideck watch` is started in it,
//! and each run rewrites the deck with one card's back changed, timing from just before the
//! write to the moment `out/preview/_live.js` holds a new stamp (polled every 2 ms): the
//! debounce, the incremental build and the write of `_live.js`. Prints the median, the fastest
//! and the slowest of the runs, and the median of the build times the watch itself printed.
//!
//! `cargo bench --bench watch` (15 runs); `cargo bench --bench watch -- --runs 31 --cards 10000`.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A deterministic generator (xorshift64*), so every machine builds the same input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "the",
    "party",
    "congress",
    "committee",
    "policy",
    "industry",
    "famine",
    "workers",
    "plan",
    "purge",
    "trial",
    "secretary",
    "opposition",
    "leadership",
    "peasants",
    "grain",
    "quota",
    "Moscow",
    "economy",
    "décret",
    "Zürich",
    "naïve",
    "Straße",
    "café",
    "history",
    "revolution",
    "army",
    "state",
    "of",
    "and",
    "in",
    "to",
    "was",
    "were",
    "by",
    "with",
    "after",
    "before",
    "during",
    "their",
    "power",
    "1932",
];

/// A sentence of about `len` characters; `end` closes it.
fn sentence(rng: &mut Rng, len: usize, end: &str) -> String {
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
    format!("{s}{end}")
}

/// The deck as `benches/build.rs` makes it: fronts of ~150 characters that stop mid-sentence,
/// backs of ~250, a section heading before each card.
fn deck_lines(cards: usize) -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 | 1);
    let mut lines = vec!["Watched Flashcards".to_string()];
    for i in 0..cards {
        lines.push(format!("SECTION {} OF THE DECK", i / 25 + 1));
        lines.push(format!("Card {i}: {}", sentence(&mut rng, 140, "")));
        lines.push(format!("Back {i}: {}", sentence(&mut rng, 250, ".")));
    }
    lines
}

fn main() {
    let mut runs = 15;
    let mut cards = 10_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--cards" => cards = args.next().and_then(|v| v.parse().ok()).expect("--cards N"),
            _ => {} // cargo's own (--bench)
        }
    }
    let dir = tempfile::Builder::new().prefix("ankideck-watch-bench").tempdir().expect("a temp dir");
    let deck = dir.path().join("source-cards/watched.txt");
    std::fs::create_dir_all(deck.parent().unwrap()).unwrap();
    let mut lines = deck_lines(cards);
    std::fs::write(&deck, lines.join("\n") + "\n").unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .arg("watch")
        .current_dir(dir.path())
        .env_remove("SOURCE_DATE_EPOCH")
        .env("ANKIDECK_PROGRESS", "never")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().unwrap();
    let (send, said) = channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    wait_for(&said, " first build:");
    let live = dir.path().join("out/preview/_live.js");
    let edited = 3 * (cards / 2) + 3; // the back of the middle card
    let mut latencies = Vec::new();
    let mut builds = Vec::new();
    for run in 0..runs {
        let before = read_until_there(&live);
        lines[edited] = format!("Back {}: edited in run {run} of the watch benchmark.", cards / 2);
        let text = lines.join("\n") + "\n";
        let started = Instant::now();
        std::fs::write(&deck, text).unwrap();
        while std::fs::read_to_string(&live).is_ok_and(|now| now == before) {
            std::thread::sleep(Duration::from_millis(2));
        }
        latencies.push(started.elapsed().as_secs_f64());
        let line = wait_for(&said, " source-cards/watched.txt:");
        assert!(line.contains("1 rebuilt"), "run {run}: {line}");
        builds.push(build_time(&line));
        // Let the watch settle before the next run.
        std::thread::sleep(Duration::from_millis(300));
    }
    // SAFETY: a signal to the child this benchmark spawned.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let _ = child.wait();

    latencies.sort_by(f64::total_cmp);
    builds.sort_by(f64::total_cmp);
    println!(
        "watch-edit-one-{}k: {runs} runs, write to _live.js: median {:.3} s (fastest {:.3} s, slowest {:.3} s); \
         the build's own time: median {:.3} s",
        cards / 1000,
        latencies[runs / 2],
        latencies[0],
        latencies[runs - 1],
        builds[runs / 2]
    );
}

/// Waits (a minute at most) for a line of the watch that contains `text`.
fn wait_for(said: &Receiver<String>, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line =
            said.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the watch said it");
        if line.contains(text) {
            return line;
        }
        assert!(!line.contains("error"), "{line}");
    }
}

fn read_until_there(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(Instant::now() < deadline, "{} was not written", path.display());
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The `(0.12 s)` at the end of a build's line.
fn build_time(line: &str) -> f64 {
    let open = line.rfind('(').expect("a time");
    line[open + 1..].trim_end_matches(" s)").parse().expect("seconds")
}
