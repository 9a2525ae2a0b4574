//! The schema-11 SQLite collection inside a legacy `.apkg` (`rslib/src/storage/schema11.sql`):
//! all five tables, the standard indexes, one row in `col`, the notes and cards of one deck.
//! The file is laid out page by page ([`super::sqlite_file`]): rows in id order, index entries in
//! key order, streamed to the package's zip entry as they are made. The tests compare it with
//! the same collection written through SQLite itself.

use super::EmitError;
use super::sqlite_file::{
    DbFile, SchemaEntry, TableWriter, Value as Val, encode_record, record_len, write_index,
};
use super::subdecks::Subdecks;
use super::{DeckNotes, NoteIds};
use crate::html;
use crate::ids::{self, NotetypeId};
use crate::lock::NotetypeEntry;
use crate::model::NoteView;
use crate::notetype::Notetype;
use crate::timing::Phase;
use rusqlite::Connection;
#[cfg(test)]
use rusqlite::params;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Everything one deck's collection is made of.
pub struct CollectionInput<'a> {
    pub deck: &'a dyn DeckNotes,
    pub notetype: &'a Notetype,
    pub notetype_entry: &'a NotetypeEntry,
    /// The deck's description (`ankideck.toml`), "" for none.
    pub description: &'a str,
    /// With `subdecks = true`, each card's subdeck; `None`: every card in the deck.
    pub subdecks: Option<&'a Subdecks>,
}

/// Writes the collection file at `path` (an empty file, or none), for the tests to open with
/// SQLite; a package streams [`write_to`] into its zip entry instead.
#[cfg(test)]
fn write(path: &Path, input: &CollectionInput<'_>) -> Result<(), EmitError> {
    use super::sqlite_file::PAGE_SIZE;
    use std::io::{Seek, SeekFrom, Write};
    let io = |source| EmitError::Io { action: "cannot write", path: path.to_path_buf(), source };
    let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(path).map_err(io)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.seek(SeekFrom::Start(PAGE_SIZE as u64)).map_err(io)?;
    let (first, mut out) = write_to(out, input).map_err(|e| e.at(path))?;
    out.seek(SeekFrom::Start(0)).map_err(io)?;
    out.write_all(&first).map_err(io)?;
    out.flush().map_err(io)
}

/// Why the collection could not be written, before the caller names the file.
#[derive(Debug)]
pub enum WriteError {
    Io(std::io::Error),
    Sqlite(rusqlite::Error),
}

impl WriteError {
    /// The error, naming the file that was being written.
    pub fn at(self, path: &Path) -> EmitError {
        match self {
            WriteError::Io(source) => {
                EmitError::Io { action: "cannot write", path: path.to_path_buf(), source }
            }
            WriteError::Sqlite(source) => EmitError::Sqlite { path: path.to_path_buf(), source },
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Writes the collection's pages from page 2 on to `out`, in order; returns page 1, which the
/// caller puts first, and the output.
pub fn write_to<W: std::io::Write>(out: W, input: &CollectionInput<'_>) -> Result<(Vec<u8>, W), WriteError> {
    let mut db = DbFile::new(out);
    let mut record = Vec::new();

    let col = ColRow::of(input);
    let mut table = TableWriter::default();
    encode_record(
        &[
            Val::Null,
            Val::Int(col.crt),
            Val::Int(col.mod_ms),
            Val::Int(col.mod_ms),
            Val::Int(11),
            Val::Int(0),
            Val::Int(0),
            Val::Int(0),
            Val::Text(&col.conf),
            Val::Text(&col.models),
            Val::Text(&col.decks),
            Val::Text(&col.dconf),
            Val::Text(&col.tags),
        ],
        &mut record,
    );
    table.add(&mut db, 1, &record)?;
    let col_root = table.finish(&mut db)?;

    let deck = input.deck;
    let mid = input.notetype.id.0;
    let did = deck.entry().id.0;
    let sorted_by = |key: &dyn Fn(usize) -> i64| -> Vec<u32> {
        let mut keyed: Vec<(i64, u32)> = (0..deck.len()).map(|i| (key(i), i as u32)).collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    let by_note_id = sorted_by(&|i| deck.ids(i).note_id.0);
    let cards = Cards::of(deck, &by_note_id);

    // Notes, in id order. No rayon here: this runs on the package writer's own thread while a
    // pool thread waits for its pages (see `zipfile::ZipWriter::add_with_late_prefix`).
    let phase = Phase::start("collection notes", String::new);
    let mut table = TableWriter::default();
    let mut checksums: Vec<(u32, i64)> = Vec::with_capacity(deck.len());
    let mut numeric = NumericAffinity::default();
    let mut affinity_failed = None;
    deck.each_note(Some(&by_note_id), &mut |i, guid, note| {
        let ids = deck.ids(i);
        let row = NoteRow::of(note);
        let sfld = numeric.of(&row.sfld).map_err(|e| {
            affinity_failed = Some(e);
            std::io::Error::other("numeric affinity check failed")
        })?;
        encode_record(
            &[
                Val::Null,
                Val::Text(guid),
                Val::Int(mid),
                Val::Int(ids.mtime),
                Val::Int(-1),
                Val::Text(&row.tags),
                Val::Text(note.flds()),
                sfld,
                Val::Int(i64::from(row.csum)),
                Val::Int(0),
                Val::Text(""),
            ],
            &mut record,
        );
        table.add(&mut db, ids.note_id.0, &record)?;
        checksums.push((row.csum, ids.note_id.0));
        Ok(())
    })
    .map_err(|e| match affinity_failed.take() {
        Some(e) => WriteError::Sqlite(e),
        None => WriteError::Io(e),
    })?;
    let notes_root = table.finish(&mut db)?;
    drop(phase);

    let _phase = Phase::start("collection cards and indexes", String::new);
    let mut table = TableWriter::default();
    for &(card_id, i, ord) in &cards.by_id {
        let ids = deck.ids(i as usize);
        let mut values = [Val::Int(0); 18];
        values[0] = Val::Null;
        values[1] = Val::Int(ids.note_id.0);
        values[2] = Val::Int(input.subdecks.map_or(did, |s| s.dids[i as usize]));
        values[3] = Val::Int(i64::from(ord));
        values[4] = Val::Int(ids.mtime);
        values[5] = Val::Int(-1);
        // A new card's due is its note's position: a note's cards share it.
        values[8] = Val::Int(i64::from(i) + 1);
        values[17] = Val::Text("{}");
        encode_record(&values, &mut record);
        table.add(&mut db, card_id, &record)?;
    }
    let cards_root = table.finish(&mut db)?;
    let revlog_root = TableWriter::default().finish(&mut db)?;
    let graves_root = TableWriter::default().finish(&mut db)?;

    // Index entries: the indexed columns, then the rowid, in the order SQLite compares them.
    // Every index but the checksums' follows an order already at hand ([`Cards`]): note ids,
    // card ids, or (for `due`, the position) the source.
    let index = |db: &mut DbFile<W>, count: usize, key: &dyn Fn(usize) -> [i64; 4], width: usize| {
        write_index(
            db,
            count,
            |i, out| encode_record(&key(i).map(Val::Int)[..width], out),
            |i| record_len(&key(i).map(Val::Int)[..width]),
        )
    };
    let n = deck.len();
    let note = |i: usize| deck.ids(by_note_id[i] as usize);
    let notes_usn = index(&mut db, n, &|i| [-1, note(i).note_id.0, 0, 0], 2)?;
    let c = cards.by_id.len();
    let cards_usn = index(&mut db, c, &|i| [-1, cards.by_id[i].0, 0, 0], 2)?;
    let revlog_usn = index(&mut db, 0, &|_| [0; 4], 2)?;
    let cards_nid = index(&mut db, c, &|i| [cards.by_note_id[i].0, cards.by_note_id[i].1, 0, 0], 2)?;
    let cards_sched = match input.subdecks {
        None => index(&mut db, c, &|i| [did, 0, cards.by_due[i].0, cards.by_due[i].1], 4)?,
        // By subdeck, then position (a card's due is its note's position: note index + 1).
        Some(subdecks) => {
            let mut order: Vec<(i64, i64, i64)> = cards
                .by_due
                .iter()
                .map(|&(due, cid)| (subdecks.dids[(due - 1) as usize], due, cid))
                .collect();
            order.sort_unstable();
            index(&mut db, c, &|i| [order[i].0, 0, order[i].1, order[i].2], 4)?
        }
    };
    let revlog_cid = index(&mut db, 0, &|_| [0; 4], 2)?;
    checksums.sort_unstable();
    let notes_csum = index(&mut db, n, &|i| [i64::from(checksums[i].0), checksums[i].1, 0, 0], 2)?;

    let roots = [
        col_root,
        notes_root,
        cards_root,
        revlog_root,
        graves_root,
        notes_usn,
        cards_usn,
        revlog_usn,
        cards_nid,
        cards_sched,
        revlog_cid,
        notes_csum,
    ];
    let schema: Vec<SchemaEntry<'_>> = SCHEMA_ENTRIES
        .iter()
        .zip(roots)
        .map(|(&(kind, name, table, sql), root)| SchemaEntry { kind, name, table, root, sql })
        .collect();
    Ok(db.finish(&schema)?)
}

/// Every card of a deck's notes, in the orders the cards table and its indexes need. A note has
/// a card per id of its identity, its ordinal (`ord`) the id's place: the template's ordinal.
struct Cards {
    /// (card id, note index, ord), by card id.
    by_id: Vec<(i64, u32, u32)>,
    /// (note id, card id), by note id then card id.
    by_note_id: Vec<(i64, i64)>,
    /// (due, card id), by due (the note's position) then card id.
    by_due: Vec<(i64, i64)>,
}

impl Cards {
    /// The cards of `deck`, whose note indices in note id order are `note_order`. Only the card
    /// id order needs a sort: the others follow note orders at hand, a note's few cards sorted
    /// among themselves.
    fn of(deck: &dyn DeckNotes, note_order: &[u32]) -> Cards {
        // The ids are asked for again rather than held: a deck's ids are many.
        let mut by_id = Vec::with_capacity(deck.len());
        for i in 0..deck.len() {
            let ids = deck.ids(i);
            by_id.extend(ids.card_ids.iter_ords().map(|(ord, c)| (c.0, i as u32, u32::from(ord))));
        }
        by_id.sort_unstable();
        let mut by_note_id = Vec::with_capacity(by_id.len());
        for &i in note_order {
            let note = deck.ids(i as usize);
            each_sorted(&note, |c| by_note_id.push((note.note_id.0, c)));
        }
        let mut by_due = Vec::with_capacity(by_id.len());
        for i in 0..deck.len() {
            each_sorted(&deck.ids(i), |c| by_due.push((i as i64 + 1, c)));
        }
        Cards { by_id, by_note_id, by_due }
    }
}

/// Hands a note's card ids to `f` in ascending order (a note of one card allocates nothing).
fn each_sorted(note: &NoteIds, mut f: impl FnMut(i64)) {
    if note.card_ids.len() == 1 {
        return f(note.card_ids.first().0);
    }
    let mut cards: Vec<i64> = note.card_ids.iter().map(|c| c.0).collect();
    cards.sort_unstable();
    cards.into_iter().for_each(f);
}

/// The schema as SQLite records it: (type, name, table, SQL), tables then indexes, the same
/// definitions as `rslib/src/storage/schema11.sql`.
const SCHEMA_ENTRIES: [(&str, &str, &str, &str); 12] = [
    (
        "table",
        "col",
        "col",
        "CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL)",
    ),
    (
        "table",
        "notes",
        "notes",
        "CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL)",
    ),
    (
        "table",
        "cards",
        "cards",
        "CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL)",
    ),
    (
        "table",
        "revlog",
        "revlog",
        "CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL, ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL, type integer NOT NULL)",
    ),
    (
        "table",
        "graves",
        "graves",
        "CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL)",
    ),
    ("index", "ix_notes_usn", "notes", "CREATE INDEX ix_notes_usn ON notes (usn)"),
    ("index", "ix_cards_usn", "cards", "CREATE INDEX ix_cards_usn ON cards (usn)"),
    ("index", "ix_revlog_usn", "revlog", "CREATE INDEX ix_revlog_usn ON revlog (usn)"),
    ("index", "ix_cards_nid", "cards", "CREATE INDEX ix_cards_nid ON cards (nid)"),
    ("index", "ix_cards_sched", "cards", "CREATE INDEX ix_cards_sched ON cards (did, queue, due)"),
    ("index", "ix_revlog_cid", "revlog", "CREATE INDEX ix_revlog_cid ON revlog (cid)"),
    ("index", "ix_notes_csum", "notes", "CREATE INDEX ix_notes_csum ON notes (csum)"),
];

/// The value SQLite stores for text in a column of INTEGER affinity, such as `sfld`: text that
/// reads as a number is stored as one (`applyNumericAffinity`). Text that cannot be a number is
/// kept as it is without asking; the rest is stored into an in-memory SQLite table and read
/// back, so the rule is SQLite's own.
#[derive(Default)]
struct NumericAffinity {
    db: Option<Connection>,
}

impl NumericAffinity {
    fn of<'a>(&mut self, text: &'a str) -> rusqlite::Result<Val<'a>> {
        let could_be_number = text.bytes().any(|b| b.is_ascii_digit())
            && text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE \t\n\r\x0b\x0c".contains(&b));
        if !could_be_number {
            return Ok(Val::Text(text));
        }
        if self.db.is_none() {
            let db = Connection::open_in_memory()?;
            db.execute_batch("CREATE TABLE a (x integer)")?;
            self.db = Some(db);
        }
        let db = self.db.as_ref().expect("opened above");
        db.prepare_cached("INSERT INTO a VALUES (?1)")?.execute([text])?;
        let value =
            db.prepare_cached("SELECT x FROM a")?.query_row([], |r| r.get::<_, rusqlite::types::Value>(0))?;
        db.prepare_cached("DELETE FROM a")?.execute([])?;
        Ok(match value {
            rusqlite::types::Value::Integer(i) => Val::Int(i),
            rusqlite::types::Value::Real(f) => Val::Real(f),
            _ => Val::Text(text),
        })
    }
}

/// The one row of the `col` table.
struct ColRow {
    crt: i64,
    mod_ms: i64,
    conf: String,
    models: String,
    decks: String,
    dconf: String,
    tags: String,
}

impl ColRow {
    fn of(input: &CollectionInput<'_>) -> ColRow {
        let mtime = newest_mtime(input);
        // Anki uses the start of a day for crt; one day before the newest change keeps due maths sane.
        let crt = (mtime - 86_400).div_euclid(86_400) * 86_400;
        let mut models = Map::new();
        models
            .insert(input.notetype.id.0.to_string(), input.notetype.to_schema11(input.notetype_entry.mtime));
        let next_pos = input.deck.len() + 1;
        ColRow {
            crt,
            mod_ms: mtime * 1000,
            conf: conf_json(input.notetype.id, next_pos).to_string(),
            models: Value::Object(models).to_string(),
            decks: decks_json(input.deck, input.description, input.subdecks).to_string(),
            dconf: dconf_json(mtime).to_string(),
            tags: tags_json(input.deck).to_string(),
        }
    }
}

/// Writes the collection with SQLite itself: rows inserted, indexes built after. The tests
/// compare [`write`] against it.
#[cfg(test)]
fn write_with_sqlite(path: &Path, input: &CollectionInput<'_>) -> Result<(), EmitError> {
    let sqlite = |source| EmitError::Sqlite { path: path.to_path_buf(), source };
    let mut db = Connection::open(path).map_err(sqlite)?;
    db.execute_batch(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -16384;",
    )
    .map_err(sqlite)?;
    let (tables, indexes): (Vec<_>, Vec<_>) = SCHEMA_ENTRIES.iter().partition(|e| e.0 == "table");
    for (_, _, _, sql) in tables {
        db.execute_batch(sql).map_err(sqlite)?;
    }
    let tx = db.transaction().map_err(sqlite)?;
    insert_col(&tx, input).map_err(sqlite)?;
    insert_notes_and_cards(&tx, input).map_err(sqlite)?;
    for (_, _, _, sql) in indexes {
        tx.execute_batch(sql).map_err(sqlite)?;
    }
    tx.commit().map_err(sqlite)?;
    db.execute_batch("PRAGMA journal_mode = DELETE;").map_err(sqlite)?;
    db.close().map_err(|(_, source)| sqlite(source))
}

/// The collection's change time: the newest `mod` of anything in it, in seconds.
fn newest_mtime(input: &CollectionInput<'_>) -> i64 {
    let deck = input.deck;
    let notes = (0..deck.len()).map(|i| deck.ids(i).mtime).max().unwrap_or(0);
    notes.max(input.notetype_entry.mtime).max(deck.entry().mtime)
}

#[cfg(test)]
fn insert_col(tx: &rusqlite::Transaction<'_>, input: &CollectionInput<'_>) -> rusqlite::Result<()> {
    let col = ColRow::of(input);
    tx.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, ?7)",
        params![col.crt, col.mod_ms, col.conf, col.models, col.decks, col.dconf, col.tags],
    )?;
    Ok(())
}

#[cfg(test)]
fn insert_notes_and_cards(
    tx: &rusqlite::Transaction<'_>,
    input: &CollectionInput<'_>,
) -> rusqlite::Result<()> {
    let mut note_stmt = tx.prepare("INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')")?;
    let mut card_stmt = tx.prepare(
        "INSERT INTO cards VALUES (?1, ?2, ?3, ?4, ?5, -1, 0, 0, ?6, 0, 0, 0, 0, 0, 0, 0, 0, '{}')",
    )?;
    let mid = input.notetype.id.0;
    let deck = input.deck;
    let did = deck.entry().id.0;
    let mut failed = None;
    let mut insert = |i: usize, guid: &str, note: &NoteView<'_>| -> rusqlite::Result<()> {
        let ids = deck.ids(i);
        let row = NoteRow::of(note);
        note_stmt.execute(params![
            ids.note_id.0,
            guid,
            mid,
            ids.mtime,
            row.tags,
            note.flds(),
            row.sfld,
            row.csum
        ])?;
        let did = input.subdecks.map_or(did, |s| s.dids[i]);
        for (ord, card) in ids.card_ids.iter_ords() {
            card_stmt.execute(params![card.0, ids.note_id.0, did, ord as i64, ids.mtime, i as i64 + 1])?;
        }
        Ok(())
    };
    let read = deck.each_note(None, &mut |i, guid, note| {
        insert(i, guid, note).map_err(|e| {
            failed = Some(e);
            std::io::Error::other("insert failed")
        })
    });
    match (failed, read) {
        (Some(e), _) => Err(e),
        (None, read) => read.map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e))),
    }
}

/// The computed columns of a note row.
struct NoteRow<'a> {
    tags: String,
    sfld: std::borrow::Cow<'a, str>,
    csum: u32,
}

impl NoteRow<'_> {
    fn of<'a>(note: &'a NoteView<'_>) -> NoteRow<'a> {
        let tags = note.tags_text();
        let tags = if tags.is_empty() { String::new() } else { format!(" {tags} ") };
        // The sort field is the first (every note type's `sortf` is 0), as is the checksum's.
        let sfld = html::strip_html_preserving_media_filenames(note.field(0));
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
fn decks_json(deck: &dyn DeckNotes, description: &str, subdecks: Option<&Subdecks>) -> Value {
    let mut decks = Map::new();
    decks.insert("1".into(), deck_json(1, "Default", 0, ""));
    let (name, entry) = (deck.name(), deck.entry());
    let parts: Vec<&str> = name.split("::").collect();
    for depth in 1..parts.len() {
        let parent = parts[..depth].join("::");
        let id = ids::deck_id_for(&parent).0;
        decks.insert(id.to_string(), deck_json(id, &parent, entry.mtime, ""));
    }
    decks.insert(entry.id.0.to_string(), deck_json(entry.id.0, name, entry.mtime, description));
    for (id, subdeck) in subdecks.iter().flat_map(|s| &s.decks) {
        decks.entry(id.to_string()).or_insert_with(|| deck_json(*id, subdeck, entry.mtime, ""));
    }
    Value::Object(decks)
}

fn deck_json(id: i64, name: &str, mtime: i64, description: &str) -> Value {
    json!({
        "id": id, "mod": mtime, "name": name, "usn": -1, "lrnToday": [0, 0], "revToday": [0, 0],
        "newToday": [0, 0], "timeToday": [0, 0], "collapsed": false, "browserCollapsed": false,
        "desc": description, "dyn": 0, "conf": 1, "extendNew": 0, "extendRev": 0,
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
fn tags_json(deck: &dyn DeckNotes) -> Value {
    Value::Object(deck.tags().into_iter().map(|tag| (tag.to_string(), json!(-1))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::{self, GuidSet, IdAllocator, IdentifiedDeck};
    use crate::ids::{CardId, CardIds};
    use crate::model::{Deck, Note};
    use rusqlite::types::Value as SqlValue;

    const NOW: i64 = 1_764_000_000;

    /// The input of a deck without description or subdecks.
    fn plain_input<'a>(
        deck: &'a IdentifiedDeck<'_>,
        notetype: &'a Notetype,
        entry: &'a crate::lock::NotetypeEntry,
    ) -> CollectionInput<'a> {
        CollectionInput { deck, notetype, notetype_entry: entry, description: "", subdecks: None }
    }

    fn identified(notes: Vec<Note>, old: &[crate::lock::NoteEntry]) -> IdentifiedDeck<'static> {
        let deck = Deck { key: "k".into(), name: "Parent::Deck".into(), file: "k.txt".into(), notes };
        let mut ids = IdAllocator::new(NOW, old.iter().map(|e| e.card_ids.max()).max().unwrap_or(0));
        let mut guids: GuidSet = old.iter().map(|e| e.guid.as_str()).collect();
        identify::identified_together(vec![(deck, old)], &[], NOW, &mut ids, &mut guids)
            .unwrap()
            .pop()
            .expect("one deck")
    }

    /// Gives new note `index` of `deck` these card ids.
    fn set_card_ids(deck: &mut IdentifiedDeck<'_>, index: usize, ids: CardIds) {
        match &mut deck.assigned[index] {
            identify::Assigned::New { card_ids, .. } => *card_ids = ids,
            other => panic!("not a new note: {other:?}"),
        }
    }

    fn note(front: &str, back: &str, section: &str) -> Note {
        Note::new(&[front, back, section], &[section], 1)
    }

    /// Every row of every table and what the schema says, as SQLite reads them back.
    fn contents(path: &Path) -> Vec<(String, Vec<Vec<SqlValue>>)> {
        let db = Connection::open(path).unwrap();
        let mut out = Vec::new();
        let mut schema =
            db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").unwrap();
        let rows: Vec<Vec<SqlValue>> = schema
            .query_map([], |r| {
                let sql: String = r.get(3)?;
                let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                Ok(vec![r.get(0)?, r.get(1)?, r.get(2)?, SqlValue::Text(sql)])
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push(("sqlite_master".to_string(), rows));
        for table in ["col", "notes", "cards", "revlog", "graves"] {
            let mut stmt = db.prepare(&format!("SELECT * FROM {table} ORDER BY rowid")).unwrap();
            let width = stmt.column_count();
            let rows: Vec<Vec<SqlValue>> = stmt
                .query_map([], |r| (0..width).map(|i| r.get::<_, SqlValue>(i)).collect())
                .unwrap()
                .map(Result::unwrap)
                .collect();
            out.push((table.to_string(), rows));
        }
        for pragma in ["page_size", "journal_mode", "encoding", "integrity_check"] {
            let value: SqlValue = db.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0)).unwrap();
            out.push((pragma.to_string(), vec![vec![value]]));
        }
        out
    }

    /// Every index answers a query that reads all of it, for deck sizes that fill index leaves
    /// exactly (SQLite's integrity_check alone does not notice an empty leaf).
    #[test]
    fn every_index_answers_queries_for_many_deck_sizes() {
        let notetype = Notetype::flashcard(None);
        let entry = identify::identify_notetype(&notetype, None, NOW);
        let dir = tempfile::tempdir().unwrap();
        for size in [1usize, 2, 227, 228, 229, 314, 315, 316, 629, 630, 631] {
            let notes = (0..size).map(|i| note(&format!("Q{i}"), &format!("A{i}"), "S")).collect();
            let deck = identified(notes, &[]);
            let input = plain_input(&deck, &notetype, &entry);
            let path = dir.path().join(format!("{size}.anki2"));
            write(&path, &input).unwrap();
            let db = Connection::open(&path).unwrap();
            for (_, index, table, sql) in SCHEMA_ENTRIES.iter().filter(|e| e.0 == "index") {
                let column = sql.split('(').nth(1).and_then(|c| c.split([',', ')']).next()).unwrap().trim();
                let query = format!(
                    "SELECT count(*) FROM {table} INDEXED BY {index} WHERE {column} > -9223372036854775808"
                );
                let count: i64 = db
                    .query_row(&query, [], |r| r.get(0))
                    .unwrap_or_else(|e| panic!("{size} notes, {index}: {e}"));
                let expected = if *table == "revlog" { 0 } else { size as i64 };
                assert_eq!(count, expected, "{size} notes, {index}");
            }
        }
    }

    /// A note without a card at some ordinals (a cloze note with c1 and c3): each card row's
    /// `ord` is its template ordinal, not its place among the note's cards.
    #[test]
    fn a_card_row_has_its_template_ordinal_when_ordinals_are_sparse() {
        let mut deck = identified(vec![note("Q", "A", "S"), note("Q2", "A2", "S")], &[]);
        set_card_ids(&mut deck, 0, CardIds::at_ords([(0, CardId(9_001)), (2, CardId(9_002))]).unwrap());
        set_card_ids(&mut deck, 1, CardIds::at_ords([(1, CardId(9_003))]).unwrap());
        let notetype = Notetype::flashcard(None);
        let entry = identify::identify_notetype(&notetype, None, NOW);
        let input = plain_input(&deck, &notetype, &entry);
        let dir = tempfile::tempdir().unwrap();
        let (ours, theirs) = (dir.path().join("ours.anki2"), dir.path().join("sqlite.anki2"));
        write(&ours, &input).unwrap();
        write_with_sqlite(&theirs, &input).unwrap();
        for path in [&ours, &theirs] {
            let db = Connection::open(path).unwrap();
            let cards: Vec<(i64, i64)> = db
                .prepare("SELECT id, ord FROM cards ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(cards, [(9_001, 0), (9_002, 2), (9_003, 1)], "{}", path.display());
        }
    }

    /// A note type with two templates: each note has two cards (ord 0 and 1), in every index,
    /// as SQLite itself writes them; a note's second card may have the smaller id.
    #[test]
    fn notes_with_two_cards_get_a_card_row_per_card_id() {
        let notes = (0..300).map(|i| note(&format!("Q{i}"), &format!("A{i}"), "S")).collect();
        let mut deck = identified(notes, &[]);
        for k in 0..deck.len() {
            let base = 9_000_000 - 2 * k as i64;
            let (first, second) = if k % 7 == 3 { (base + 1, base) } else { (base, base + 1) };
            set_card_ids(&mut deck, k, CardIds::from_ids([CardId(first), CardId(second)]).unwrap());
        }
        let notetype = Notetype::flashcard(None);
        let entry = identify::identify_notetype(&notetype, None, NOW);
        let input = plain_input(&deck, &notetype, &entry);
        let dir = tempfile::tempdir().unwrap();
        let (ours, theirs) = (dir.path().join("ours.anki2"), dir.path().join("sqlite.anki2"));
        write(&ours, &input).unwrap();
        write_with_sqlite(&theirs, &input).unwrap();
        let db = Connection::open(&ours).unwrap();
        let per_ord: Vec<(i64, i64)> = db
            .prepare("SELECT ord, count(*) FROM cards GROUP BY ord ORDER BY ord")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(per_ord, [(0, 300), (1, 300)]);
        let swapped: (i64, i64) = db
            .query_row("SELECT id, due FROM cards WHERE ord = 1 AND nid = ?1", [deck.identity(3).1.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(swapped, (9_000_000 - 6, 4), "the second card's id, the note's position as due");
        for (_, index, table, sql) in SCHEMA_ENTRIES.iter().filter(|e| e.0 == "index" && e.2 == "cards") {
            let column = sql.split('(').nth(1).and_then(|c| c.split([',', ')']).next()).unwrap().trim();
            let query = format!(
                "SELECT count(*) FROM {table} INDEXED BY {index} WHERE {column} > -9223372036854775808"
            );
            let count: i64 = db.query_row(&query, [], |r| r.get(0)).unwrap();
            assert_eq!(count, 600, "{index}");
        }
        assert_eq!(contents(&ours), contents(&theirs));
    }

    #[test]
    fn subdecks_collection_reads_back_as_sqlites_own_and_its_indexes_answer() {
        // Sections interleaved, so the cards' deck order is not their source order.
        let sections = ["S", "T", "S", "U", "T"];
        let notetype = Notetype::flashcard(None);
        let entry = identify::identify_notetype(&notetype, None, NOW);
        let dir = tempfile::tempdir().unwrap();
        for size in [5usize, 631] {
            let notes = (0..size).map(|i| note(&format!("Q{i}"), "A", sections[i % 5])).collect();
            let deck = identified(notes, &[]);
            let subdecks = Subdecks::of(&deck, crate::emit::subdecks::section_field(&notetype)).unwrap();
            assert_eq!(subdecks.decks.len(), 3);
            let input = CollectionInput {
                deck: &deck,
                notetype: &notetype,
                notetype_entry: &entry,
                description: "About",
                subdecks: Some(&subdecks),
            };
            let (ours, theirs) = (dir.path().join("ours.anki2"), dir.path().join("sqlite.anki2"));
            let _ = std::fs::remove_file(&ours);
            let _ = std::fs::remove_file(&theirs);
            write(&ours, &input).unwrap();
            write_with_sqlite(&theirs, &input).unwrap();
            let db = Connection::open(&ours).unwrap();
            let sched: i64 = db
                .query_row(
                    "SELECT count(*) FROM cards INDEXED BY ix_cards_sched WHERE did > 0 AND queue = 0",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(sched, size as i64);
            let in_t: i64 = db
                .query_row(
                    "SELECT count(*) FROM cards INDEXED BY ix_cards_sched WHERE did = ?1",
                    [ids::deck_id_for("Parent::Deck::T").0],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(in_t, (size as i64 + 3) / 5 + size as i64 / 5);
            assert_eq!(contents(&ours), contents(&theirs));
            let decks: String = db.query_row("SELECT decks FROM col", [], |r| r.get(0)).unwrap();
            for name in ["Parent::Deck::S", "Parent::Deck::T", "Parent::Deck::U", "\"desc\":\"About\""] {
                assert!(decks.contains(name), "{name} in {decks}");
            }
        }
    }

    #[test]
    fn written_collection_reads_back_as_sqlites_own() {
        let long = "A long answer that needs overflow pages. ".repeat(300);
        let first =
            identified(vec![note("Q1", "A1", "S"), note("Q2", "A2", "S"), note("Q3", "A3", "T")], &[]);
        // A rebuild: ids no longer follow source order, which the writer must sort.
        let notes = vec![
            note("Q3", "A3", "T"),
            note("1937", "a year", "S"),
            note(" 42 ", "spaces", "S"),
            note("1e3", "exponent", "S"),
            note("3.5", "real", "S"),
            note("-0", "signed zero", "S"),
            note("0x10", "hex stays text", "S"),
            note("12abc", "not a number", "S"),
            note("", "empty front", "S"),
            note("<b>bold</b> &amp; <img src=\"a.png\">", "html", "S"),
            note("Zürich ٣", &long, "Section with spaces"),
            note("Q1", "A1", "S"),
        ];
        let deck = identified(notes, &first.lock_entries().unwrap());
        let notetype = Notetype::flashcard(None);
        let entry = identify::identify_notetype(&notetype, None, NOW);
        let input = plain_input(&deck, &notetype, &entry);
        let dir = tempfile::tempdir().unwrap();
        let (ours, theirs) = (dir.path().join("ours.anki2"), dir.path().join("sqlite.anki2"));
        write(&ours, &input).unwrap();
        write_with_sqlite(&theirs, &input).unwrap();
        let (ours, theirs) = (contents(&ours), contents(&theirs));
        assert_eq!(ours, theirs);
        // The cases above exercise affinity: "1937" is stored as an integer, "0x10" as text.
        let notes = &ours.iter().find(|(t, _)| t == "notes").unwrap().1;
        let sfld: Vec<&SqlValue> = notes.iter().map(|row| &row[7]).collect();
        assert!(sfld.contains(&&SqlValue::Integer(1937)));
        assert!(sfld.contains(&&SqlValue::Real(1000.0)) || sfld.contains(&&SqlValue::Integer(1000)));
        assert!(sfld.contains(&&SqlValue::Text("0x10".into())));
    }
}
