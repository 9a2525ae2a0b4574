//! ankideck builds Anki decks from plain text files.
//!
//! The library is a pipeline, one module per stage, each handing the next a plain data type:
//!
//! ```text
//! discover  source-cards/ → source files, sorted              (discover)
//! parse     one module per source format → cards + diagnostics (source)
//! resolve   cards → decks of notes with HTML fields            (model)
//! identify  stable guids, ids and mod times from the lock file (identify, lock)
//! emit      .apkg (SQLite collection + zip), CSV                (emit)
//! ```
//!
//! `build` runs the pipeline over a source folder; `cli` is the command line on top. A deck too
//! large to hold in memory goes through the same stages with its notes on disk (`spill`): read
//! in blocks, identified from hashes, written from the spill file. `render` renders a card as
//! Anki shows it (for `check --show` and the preview; the build never renders).

pub mod build;
pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod emit;
pub mod html;
pub mod identify;
pub mod ids;
pub mod lock;
pub mod media;
pub mod model;
pub mod notetype;
pub mod preview;
pub mod render;
pub mod settings;
pub mod sketch;
pub mod source;
pub mod spill;
pub mod timing;
pub mod watch;
