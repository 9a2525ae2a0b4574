//! Reading a legacy `.apkg` back: for the canonical text dump (`ankideck dump`, used by the
//! tests instead of bytes) and for recovering note identities when the lock file was lost.

use super::EmitError;
use rusqlite::Connection;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

/// A note row as stored in the package.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    pub id: i64,
    pub guid: String,
    pub mid: i64,
    pub mtime: i64,
    pub tags: String,
    pub fields: Vec<String>,
    pub sfld: String,
    pub csum: i64,
}

/// A card row as stored in the package.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRow {
    pub id: i64,
    pub nid: i64,
    pub did: i64,
    pub ord: i64,
    pub mtime: i64,
    pub kind: i64,
    pub queue: i64,
    pub due: i64,
}

/// What a legacy package holds.
#[derive(Debug, Clone)]
pub struct Package {
    pub members: Vec<String>,
    pub media: String,
    pub ver: i64,
    pub models: Value,
    pub decks: Value,
    pub notes: Vec<NoteRow>,
    pub cards: Vec<CardRow>,
}

/// Why `ankideck dump` cannot read a package.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The file is not a package: the user named the wrong file (exit 1).
    #[error("{}: not an Anki package ({reason})", path.display())]
    NotAPackage { path: std::path::PathBuf, reason: String },
    /// Nothing at the path the user named (exit 1).
    #[error("{}: no such file", path.display())]
    Missing { path: std::path::PathBuf },
    /// A package Anki exported in a newer format (exit 1). Its `collection.anki2`, if any, is a
    /// placeholder asking to update Anki: dumping it would show a note that is not in the deck.
    #[error(
        "{}: an Anki package in a newer format ({member}), which dump does not read\n  = hint: dump reads \
         packages with a collection.anki2, as ankideck writes them (and Anki exports them with \
         \"Support older Anki versions\" ticked)",
        path.display()
    )]
    NewerFormat { path: std::path::PathBuf, member: String },
    /// Reading or extracting failed (exit 2).
    #[error(transparent)]
    Failed(EmitError),
}

/// Reads a package as [`read`], telling a file that is not a package (a folder, not a zip, a
/// zip without a collection, a collection that is not a database) from a failure to read one.
pub fn read_package(path: &Path) -> Result<Package, PackageError> {
    let not = |reason: &str| PackageError::NotAPackage { path: path.to_path_buf(), reason: reason.into() };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(not("a folder, not a file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PackageError::Missing { path: path.to_path_buf() });
        }
        _ => {}
    }
    if let Some(member) = newer_collection(path) {
        return Err(PackageError::NewerFormat { path: path.to_path_buf(), member });
    }
    read(path).map_err(|err| match err {
        EmitError::Zip { source: zip::result::ZipError::FileNotFound, .. } => {
            not("a zip file without collection.anki2")
        }
        EmitError::Zip { source: zip::result::ZipError::InvalidArchive(_), .. } => not("not a zip file"),
        EmitError::Zip { source: zip::result::ZipError::UnsupportedArchive(why), .. } => {
            not(&format!("a zip file ankideck cannot read: {why}"))
        }
        EmitError::Sqlite { source: rusqlite::Error::SqliteFailure(e, _), .. }
            if matches!(e.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) =>
        {
            not("its collection.anki2 is not an SQLite database")
        }
        EmitError::Sqlite { source: rusqlite::Error::SqliteFailure(_, Some(message)), .. }
            if message.starts_with("no such table") || message.starts_with("no such column") =>
        {
            not("its collection.anki2 is not an Anki collection")
        }
        other => PackageError::Failed(other),
    })
}

/// The collection of a newer package format in the zip at `path` (`collection.anki21b`, or
/// `collection.anki21` of Anki 2.1 before 2.1.50), if it is a zip that has one.
fn newer_collection(path: &Path) -> Option<String> {
    let archive = zip::ZipArchive::new(std::fs::File::open(path).ok()?).ok()?;
    let newer = ["collection.anki21b", "collection.anki21"];
    newer.into_iter().find(|name| archive.index_for_name(name).is_some()).map(str::to_string)
}

/// Reads a legacy package (`collection.anki2` + JSON `media`).
pub fn read(path: &Path) -> Result<Package, EmitError> {
    let zip_err = |source| EmitError::Zip { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(EmitError::io("cannot open", path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut members: Vec<String> = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        members.push(archive.by_index(i).map_err(zip_err)?.name().map_err(zip_err)?.to_string());
    }
    let mut media = String::new();
    if let Ok(mut entry) = archive.by_name("media") {
        entry.read_to_string(&mut media).map_err(EmitError::io("cannot read the media map of", path))?;
    }
    let temp =
        tempfile::NamedTempFile::new().map_err(EmitError::io("cannot create a temporary file for", path))?;
    {
        let mut entry = archive.by_name("collection.anki2").map_err(zip_err)?;
        let mut out = temp.as_file();
        std::io::copy(&mut entry, &mut out)
            .map_err(EmitError::io("cannot extract the collection of", path))?;
    }
    let sqlite = |source| EmitError::Sqlite { path: path.to_path_buf(), source };
    let db = Connection::open(temp.path()).map_err(sqlite)?;
    let (ver, models, decks): (i64, String, String) = db
        .query_row("SELECT ver, models, decks FROM col", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(sqlite)?;
    let json = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
    let notes = read_notes(&db).map_err(sqlite)?;
    let cards = read_cards(&db).map_err(sqlite)?;
    Ok(Package { members, media, ver, models: json(&models), decks: json(&decks), notes, cards })
}

fn read_notes(db: &Connection) -> rusqlite::Result<Vec<NoteRow>> {
    let mut stmt =
        db.prepare("SELECT id, guid, mid, mod, tags, flds, CAST(sfld AS TEXT), csum FROM notes ORDER BY id")?;
    stmt.query_map([], |r| {
        let flds: String = r.get(5)?;
        Ok(NoteRow {
            id: r.get(0)?,
            guid: r.get(1)?,
            mid: r.get(2)?,
            mtime: r.get(3)?,
            tags: r.get(4)?,
            fields: flds.split('\x1f').map(str::to_string).collect(),
            sfld: r.get(6)?,
            csum: r.get(7)?,
        })
    })?
    .collect()
}

fn read_cards(db: &Connection) -> rusqlite::Result<Vec<CardRow>> {
    let mut stmt = db.prepare("SELECT id, nid, did, ord, mod, type, queue, due FROM cards ORDER BY id")?;
    stmt.query_map([], |r| {
        Ok(CardRow {
            id: r.get(0)?,
            nid: r.get(1)?,
            did: r.get(2)?,
            ord: r.get(3)?,
            mtime: r.get(4)?,
            kind: r.get(5)?,
            queue: r.get(6)?,
            due: r.get(7)?,
        })
    })?
    .collect()
}

/// The canonical text dump of a package: members, note types, decks, notes and cards, sorted.
pub fn dump(package: &Package) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "members: {}", package.members.join(", "));
    let _ = writeln!(out, "media: {}", package.media);
    let _ = writeln!(out, "ver: {}", package.ver);
    if let Some(models) = package.models.as_object() {
        for model in models.values() {
            dump_notetype(model, &mut out);
        }
    }
    if let Some(decks) = package.decks.as_object() {
        for deck in decks.values() {
            let _ = writeln!(out, "deck {} {}", deck["id"], deck["name"]);
            // Shown only when set, so dumps of decks without one read as before.
            if let Some(desc) = deck["desc"].as_str().filter(|d| !d.is_empty()) {
                let _ = writeln!(out, "  desc: {desc:?}");
            }
        }
    }
    for n in &package.notes {
        let _ = writeln!(
            out,
            "note {} guid={} mid={} mod={} tags={:?} sfld={:?} csum={}",
            n.id, n.guid, n.mid, n.mtime, n.tags, n.sfld, n.csum
        );
        for field in &n.fields {
            let _ = writeln!(out, "  {field}");
        }
    }
    for c in &package.cards {
        let _ = writeln!(
            out,
            "card {} nid={} did={} ord={} mod={} type={} queue={} due={}",
            c.id, c.nid, c.did, c.ord, c.mtime, c.kind, c.queue, c.due
        );
    }
    out
}

fn dump_notetype(model: &Value, out: &mut String) {
    let _ = writeln!(
        out,
        "notetype {} {} type={} mod={} sortf={}",
        model["id"], model["name"], model["type"], model["mod"], model["sortf"]
    );
    for f in model["flds"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  field {} {} id={}", f["ord"], f["name"], f["id"]);
    }
    for t in model["tmpls"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  template {} {} id={}", t["ord"], t["name"], t["id"]);
        let _ = writeln!(out, "    qfmt: {}", t["qfmt"]);
        let _ = writeln!(out, "    afmt: {}", t["afmt"]);
    }
    let css = model["css"].as_str().unwrap_or_default();
    let _ = writeln!(
        out,
        "  css: {} lines, {:016x}",
        css.lines().count(),
        xxhash_rust::xxh3::xxh3_64(css.as_bytes())
    );
}
