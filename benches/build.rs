//! Build benchmark (issue 4): generates decks deterministically, builds them with the library in
//! a child process per run, and prints the median wall time, the peak memory (the child's own
//! high-water mark, `VmHWM`) and the package size of each scenario.
//!
//! `cargo bench --bench build` runs every scenario; `cargo bench --bench build -- 100k` only those
//! whose name contains `100k`; `--runs N` sets the runs per scenario (default 5).

use ankideck::build::{self, BuildOptions, Outcome};
use ankideck::emit::Compression;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

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
    "collectivisation",
    "peasants",
    "grain",
    "quota",
    "Moscow",
    "Leningrad",
    "economy",
    "décret",
    "Zürich",
    "naïve",
    "Straße",
    "café",
    "Ærø",
    "søren",
    "history",
    "revolution",
    "army",
    "state",
    "terror",
    "camps",
    "engineers",
    "specialists",
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
    "‘rightist’",
    "1932",
    "1934",
    "1936",
    "Kirov",
    "Bukharin",
    "Zinoviev",
    "Kamenev",
    "Yagoda",
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
    let mut chars = s.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}{end}", chars.as_str())
}

/// A deck of `cards` cards in the flashcard text format: fronts of ~150 characters that stop
/// mid-sentence, backs of ~250, a section heading (and so a tag) every 25 cards.
fn deck_text(seed: u64, title: &str, cards: usize) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut out = format!("{title} Flashcards\n");
    for i in 0..cards {
        out.push_str(&format!("SECTION {} OF THE DECK\n", i / 25 + 1));
        out.push_str(&format!("Card {i}: {}\n", sentence(&mut rng, 140, "")));
        out.push_str(&sentence(&mut rng, 250, "."));
        out.push('\n');
    }
    out
}

/// One benchmark scenario.
struct Scenario {
    name: &'static str,
    decks: usize,
    cards: usize,
    kind: Kind,
    runs: usize,
    /// Decks whose source is larger than this many bytes are built from disk.
    stream_above: u64,
}

/// The default: what `ankideck build` does.
const DEFAULT: u64 = build::STREAM_ABOVE;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// No lock, no previous output.
    Full,
    /// After a full build, one card's back edited.
    EditOne,
    /// After a full build, every card's back lightly edited and every front reworded a little.
    EditAll,
    /// After a full build, nothing changed.
    NoOp,
}

const SCENARIOS: &[Scenario] = &[
    Scenario { name: "full-1k", decks: 1, cards: 1_000, kind: Kind::Full, runs: 5, stream_above: DEFAULT },
    Scenario { name: "full-10k", decks: 1, cards: 10_000, kind: Kind::Full, runs: 5, stream_above: DEFAULT },
    Scenario {
        name: "full-100k",
        decks: 1,
        cards: 100_000,
        kind: Kind::Full,
        runs: 5,
        stream_above: DEFAULT,
    },
    Scenario {
        name: "edit-one-100k",
        decks: 1,
        cards: 100_000,
        kind: Kind::EditOne,
        runs: 5,
        stream_above: DEFAULT,
    },
    Scenario {
        name: "noop-100k",
        decks: 1,
        cards: 100_000,
        kind: Kind::NoOp,
        runs: 5,
        stream_above: DEFAULT,
    },
    Scenario {
        name: "edit-all-100k",
        decks: 1,
        cards: 100_000,
        kind: Kind::EditAll,
        runs: 3,
        stream_above: DEFAULT,
    },
    Scenario {
        name: "full-50x2k",
        decks: 50,
        cards: 2_000,
        kind: Kind::Full,
        runs: 5,
        stream_above: DEFAULT,
    },
    Scenario {
        name: "edit-one-50x2k",
        decks: 50,
        cards: 2_000,
        kind: Kind::EditOne,
        runs: 5,
        stream_above: DEFAULT,
    },
    // The same 100,000 cards built from disk, as a deck above `--stream-above` is.
    Scenario { name: "full-100k-disk", decks: 1, cards: 100_000, kind: Kind::Full, runs: 5, stream_above: 0 },
    Scenario {
        name: "edit-one-100k-disk",
        decks: 1,
        cards: 100_000,
        kind: Kind::EditOne,
        runs: 5,
        stream_above: 0,
    },
    Scenario {
        name: "full-1m",
        decks: 1,
        cards: 1_000_000,
        kind: Kind::Full,
        runs: 3,
        stream_above: DEFAULT,
    },
    Scenario {
        name: "edit-one-1m",
        decks: 1,
        cards: 1_000_000,
        kind: Kind::EditOne,
        runs: 3,
        stream_above: DEFAULT,
    },
    // A million cards held in memory (`--stream-above` set past the deck's size), for comparison.
    Scenario {
        name: "full-1m-memory",
        decks: 1,
        cards: 1_000_000,
        kind: Kind::Full,
        runs: 3,
        stream_above: u64::MAX,
    },
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let runs: Option<usize> =
        args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok());
    let compression = args
        .iter()
        .position(|a| a == "--compression")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "fast".into());
    let filters: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with("--") && a.parse::<usize>().is_err() && **a != compression)
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    println!(
        "{:<16} {:>10} {:>10} {:>12} {:>12}  runs",
        "scenario", "cards", "median s", "peak MiB", "package MB"
    );
    for s in SCENARIOS {
        if !filters.is_empty() && !filters.iter().any(|f| s.name.contains(f.as_str())) {
            continue;
        }
        run_scenario(s, &root, runs.unwrap_or(s.runs), &compression);
    }
}

fn run_scenario(s: &Scenario, root: &Path, runs: usize, compression: &str) {
    let dir = root.join(s.name);
    let _ = std::fs::remove_dir_all(&dir);
    let source = dir.join("source-cards");
    std::fs::create_dir_all(&source).expect("create bench dir");
    for d in 0..s.decks {
        let text = deck_text(d as u64 + 1, &format!("BENCH DECK {d}"), s.cards);
        std::fs::write(source.join(format!("deck-{d:02}.txt")), text).expect("write deck");
    }
    let stream_above = s.stream_above.to_string();
    let child_run =
        |dir: &Path, compression: &str, quiet: bool| child_run(dir, compression, &stream_above, quiet);
    if s.kind != Kind::Full {
        child_run(&dir, compression, false);
        let _ = std::fs::copy(dir.join("ankideck.lock"), dir.join("lock.base"));
    }
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for run in 0..runs {
        match s.kind {
            Kind::Full => {
                let _ = std::fs::remove_dir_all(dir.join("out"));
                let _ = std::fs::remove_file(dir.join("ankideck.lock"));
            }
            Kind::EditOne => edit(&source.join("deck-00.txt"), run, false),
            Kind::EditAll => edit(&source.join("deck-00.txt"), run, true),
            Kind::NoOp => {}
        }
        let (secs, peak) = child_run(&dir, compression, true);
        times.push(secs);
        peaks.push(peak);
    }
    times.sort_by(f64::total_cmp);
    peaks.sort_by(f64::total_cmp);
    let size: u64 = std::fs::read_dir(dir.join("out"))
        .map(|entries| {
            entries.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0);
    println!(
        "{:<16} {:>10} {:>10.3} {:>12.1} {:>12.1}  {runs}",
        s.name,
        s.decks * s.cards,
        times[times.len() / 2],
        peaks[peaks.len() - 1],
        size as f64 / 1e6
    );
}

/// Edits the deck file for run `run`: one card's back, or every card a little.
fn edit(path: &Path, run: usize, all: bool) {
    let text = std::fs::read_to_string(path).expect("read deck");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let backs: Vec<usize> = (3..lines.len()).step_by(3).collect();
    let targets: Vec<usize> = if all { backs } else { vec![backs[(run * 7919) % backs.len()]] };
    for i in targets {
        lines[i] = format!("{} Edit {run}.", lines[i].trim_end_matches('.'));
        if all {
            lines[i - 1] = format!("{} now", lines[i - 1]);
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").expect("write deck");
}

/// Runs one build in a child process; returns (seconds, peak MiB).
fn child_run(dir: &Path, compression: &str, stream_above: &str, quiet: bool) -> (f64, f64) {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .args(["--child", &dir.display().to_string(), compression, stream_above])
        .output()
        .expect("run child");
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        panic!("bench child failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut parts = text.split_whitespace();
    let secs: f64 = parts.next().and_then(|s| s.parse().ok()).expect("time");
    let peak: f64 = parts.next().and_then(|s| s.parse().ok()).expect("peak");
    if !quiet {
        eprintln!("  prepared {} in {secs:.2} s", dir.display());
    }
    (secs, peak)
}

/// The child: one build in-process, then its time and its own memory high-water mark.
fn child(args: &[String]) {
    let dir = PathBuf::from(&args[0]);
    let compression = match args.get(1).map(String::as_str) {
        Some("small") => Compression::Small,
        Some("none") => Compression::None,
        _ => Compression::Fast,
    };
    let opts = BuildOptions {
        source: dir.join("source-cards"),
        out: dir.join("out"),
        lock: dir.join("ankideck.lock"),
        csv: false,
        locked: false,
        force: false,
        compression,
        now_secs: 1_764_000_000 + std::fs::read_dir(&dir).map(|d| d.count() as i64).unwrap_or(0),
        stream_above: args.get(2).and_then(|a| a.parse().ok()).unwrap_or(build::STREAM_ABOVE),
        detail: false,
    };
    let started = Instant::now();
    let report = build::build(&opts).expect("build");
    let secs = started.elapsed().as_secs_f64();
    assert!(report.decks.iter().all(|d| matches!(d.outcome, Outcome::Built(_) | Outcome::UpToDate { .. })));
    // The process's own peak resident memory.
    println!("{secs} {}", ankideck::timing::memory_mib().1);
}
