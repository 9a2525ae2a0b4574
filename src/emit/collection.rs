//! The schema-11 SQLite collection inside a legacy `.apkg` (`rslib/src/storage/schema11.sql`):
//! all five tables, the standard indexes, one row in `col`, the notes and cards of one deck.
//! Rows go in through prepared statements in one transaction; indexes are built after the bulk
//! insert; the file is written once, so it needs no journal until it is closed.

use super::EmitError;
use crate::html;
use crate::identify::{IdentifiedDeck, IdentifiedNote};
use crate::ids::{self, NotetypeId};
use crate::lock::NotetypeEntry;
use crate::notetype::Notetype;
use crate::timing::Phase;
use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL,
  conf text NOT NULL, models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL,
  flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL, due integer NOT NULL,
  ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL, lapses integer NOT NULL,
  left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL, type integer NOT NULL);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
";

const INDEXES: &str = "
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
";

/// Everything one deck's collection is made of.
pub struct CollectionInput<'a> {
    pub deck: &'a IdentifiedDeck,
    pub notetype: &'a Notetype,
    pub notetype_entry: &'a NotetypeEntry,
}

/// Writes the collection file at `path` (which must not exist yet).
pub fn write(path: &Path, input: &CollectionInput<'_>) -> Result<(), EmitError> {
    let sqlite = |source| EmitError::Sqlite { path: path.to_path_buf(), source };
    let mut db = Connection::open(path).map_err(sqlite)?;
    db.execute_batch(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -16384;",
    )
    .map_err(sqlite)?;
    db.execute_batch(SCHEMA).map_err(sqlite)?;
    let tx = db.transaction().map_err(sqlite)?;
    insert_col(&tx, input).map_err(sqlite)?;
    let phase = Phase::start("sqlite insert", String::new);
    insert_notes_and_cards(&tx, input).map_err(sqlite)?;
    drop(phase);
    let phase = Phase::start("sqlite index", String::new);
    tx.execute_batch(INDEXES).map_err(sqlite)?;
    drop(phase);
    let _phase = Phase::start("sqlite commit", String::new);
    tx.commit().map_err(sqlite)?;
    db.execute_batch("PRAGMA journal_mode = DELETE;").map_err(sqlite)?;
    db.close().map_err(|(_, source)| sqlite(source))
}

/// The collection's change time: the newest `mod` of anything in it, in seconds.
fn newest_mtime(input: &CollectionInput<'_>) -> i64 {
    let notes = input.deck.notes.iter().map(|n| n.mtime).max().unwrap_or(0);
    notes.max(input.notetype_entry.mtime).max(input.deck.deck.mtime)
}

fn insert_col(tx: &rusqlite::Transaction<'_>, input: &CollectionInput<'_>) -> rusqlite::Result<()> {
    let mtime = newest_mtime(input);
    // Anki uses the start of a day for crt; one day before the newest change keeps due maths sane.
    let crt = (mtime - 86_400).div_euclid(86_400) * 86_400;
    let mut models = Map::new();
    models.insert(input.notetype.id.0.to_string(), input.notetype.to_schema11(input.notetype_entry.mtime));
    let next_pos = input.deck.notes.len() + 1;
    tx.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, ?7)",
        params![
            crt,
            mtime * 1000,
            conf_json(input.notetype.id, next_pos).to_string(),
            Value::Object(models).to_string(),
            decks_json(input.deck).to_string(),
            dconf_json(mtime).to_string(),
            tags_json(input.deck).to_string(),
        ],
    )?;
    Ok(())
}

fn insert_notes_and_cards(
    tx: &rusqlite::Transaction<'_>,
    input: &CollectionInput<'_>,
) -> rusqlite::Result<()> {
    let mut note_stmt = tx.prepare("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')")?;
    let mut card_stmt = tx.prepare(
        "INSERT INTO cards VALUES (?1, ?2, ?3, 0, ?4, -1, 0, 0, ?5, 0, 0, 0, 0, 0, 0, 0, 0, '{}')",
    )?;
    let mid = input.notetype.id.0;
    let did = input.deck.deck.id.0;
    let notes = &input.deck.notes;
    // A pipeline: one thread turns notes into rows while this one inserts them; the bounded
    // channel keeps only a few batches in memory.
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<NoteRow>>(2);
        scope.spawn(move || {
            for batch in notes.chunks(ROW_BATCH) {
                if sender.send(batch.iter().map(NoteRow::of).collect()).is_err() {
                    break;
                }
            }
        });
        let mut index = 0;
        for batch in receiver {
            for row in batch {
                let n = &notes[index];
                index += 1;
                note_stmt.execute(params![
                    n.note_id.0,
                    n.guid,
                    mid,
                    n.mtime,
                    row.tags,
                    n.note.flds(),
                    row.sfld,
                    row.csum
                ])?;
                card_stmt.execute(params![n.card_id.0, n.note_id.0, did, n.mtime, n.position])?;
            }
        }
        Ok(())
    })
}

/// Notes per batch handed from the row builder to the inserter.
const ROW_BATCH: usize = 256;

/// The computed columns of a note row.
struct NoteRow {
    tags: String,
    sfld: String,
    csum: u32,
}

impl NoteRow {
    fn of(n: &IdentifiedNote) -> NoteRow {
        let tags = n.note.tags_text();
        let tags = if tags.is_empty() { String::new() } else { format!(" {tags} ") };
        let sfld = html::strip_html_preserving_media_filenames(n.note.front());
        let csum = html::field_checksum(&sfld);
        NoteRow { tags, sfld, csum }
    }
}

/// Collection config: genanki's keys plus `schedVer: 2` (a missing `schedVer` means the v1
/// scheduler, `rslib/src/config/mod.rs`).
fn conf_json(notetype: NotetypeId, next_pos: usize) -> Value {
    json!({
        "activeDecks": [1], "addToCur": true, "collapseTime": 1200, "curDeck": 1,
        "curModel": notetype.0.to_string(), "dueCounts": true, "estTimes": true, "newBury": true,
        "newSpread": 0, "nextPos": next_pos, "schedVer": 2, "sortBackwards": false,
        "sortType": "noteFld", "timeLim": 0,
    })
}

/// The deck, its parents (a file opened directly reports missing parents) and Anki's Default.
fn decks_json(deck: &IdentifiedDeck) -> Value {
    let mut decks = Map::new();
    decks.insert("1".into(), deck_json(1, "Default", 0));
    let parts: Vec<&str> = deck.name.split("::").collect();
    for depth in 1..parts.len() {
        let parent = parts[..depth].join("::");
        let id = ids::deck_id_for(&parent).0;
        decks.insert(id.to_string(), deck_json(id, &parent, deck.deck.mtime));
    }
    decks.insert(deck.deck.id.0.to_string(), deck_json(deck.deck.id.0, &deck.name, deck.deck.mtime));
    Value::Object(decks)
}

fn deck_json(id: i64, name: &str, mtime: i64) -> Value {
    json!({
        "id": id, "mod": mtime, "name": name, "usn": -1, "lrnToday": [0, 0], "revToday": [0, 0],
        "newToday": [0, 0], "timeToday": [0, 0], "collapsed": false, "browserCollapsed": false,
        "desc": "", "dyn": 0, "conf": 1, "extendNew": 0, "extendRev": 0,
    })
}

/// The default deck options, in full for legacy clients (`rslib/src/deckconfig/schema11.rs`).
fn dconf_json(mtime: i64) -> Value {
    json!({"1": {
        "id": 1, "mod": mtime, "name": "Default", "usn": -1, "maxTaken": 60, "autoplay": true,
        "timer": 0, "replayq": true, "dyn": false,
        "new": {"bury": false, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0],
                "order": 1, "perDay": 20},
        "rev": {"bury": false, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200,
                "hardFactor": 1.2},
        "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
    }})
}

/// The tag registry: every tag the notes use.
fn tags_json(deck: &IdentifiedDeck) -> Value {
    let mut seen: Vec<&str> = deck.notes.iter().flat_map(|n| n.note.tags()).collect();
    seen.sort_unstable();
    seen.dedup();
    Value::Object(seen.into_iter().map(|tag| (tag.to_string(), json!(-1))).collect())
}
