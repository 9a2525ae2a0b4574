//! The CSV and TSV reader (`.csv`, `.tsv`): one note per row, straight into the neutral
//! [`Note`] of the deck's note type (a table names fields, not a front and a back).
//!
//! Three layouts, told apart by the file's first lines:
//! - a header row naming the columns: the note type's fields by name (any case), `section`,
//!   `tags` (space-separated), `guid`;
//! - `#` header lines as Anki's text import reads them (`rslib/src/import_export/text/csv/
//!   metadata.rs`): `#separator:`, `#html:`, `#notetype:`, `#deck:`, `#columns:` (the labels,
//!   as `ankideck build --csv` writes them), `#guid column:`, `#tags column:`,
//!   `#notetype column:`, `#deck column:` (1-based), `#tags:` (tags for every note; also a first
//!   line `tags:`); `#if matches:` and `#match scope:` are warned about where a package does not
//!   do what they ask (W021);
//! - the same `#` lines without `#columns:`: Anki's "Notes in Plain Text" export, which writes
//!   no labels (`export.rs`): the columns that no `#… column:` line claims are the note type's
//!   fields in order.
//!
//! The file is read record by record from any reader (memory or disk give the same notes), and
//! the digest of every byte is computed on the way.

#[path = "csv_header.rs"]
mod header;

use super::{Parsed, SourceDeck, section_tag};
use crate::diagnostic::{Code, Diagnostic};
use crate::html;
use crate::model::{Note, NoteKind};
use header::{
    Column, columns_of_claims, columns_of_labels, import_option_warnings, is_label, labels_of, read_meta,
};
use std::io::Read;
use std::path::Path;

/// What a table needs to know of the deck it is read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The deck's note type as the settings name it (`basic`, `cloze`, a custom type's name).
    pub setting: String,
    /// The note type's name in Anki.
    pub anki_name: String,
    /// Its fields, in order.
    pub fields: Vec<String>,
    /// Cells are HTML (`html = true`), else plain text, escaped.
    pub html: bool,
    /// The deck's extra tags from the settings.
    pub tags: Vec<String>,
    /// Every note type a `#notetype:` may name, as (name in Anki, name in the settings): the
    /// built-in ones under ankideck's and stock Anki's names.
    pub known: Vec<(String, String)>,
    /// The fields of the built-in `cloze` when the deck's note type is not cloze: a row whose
    /// notetype column names it (`Cloze`, as Anki exports it, or `cloze`) is a cloze card of
    /// the deck ([`NoteKind::Cloze`]), its field columns that note type's fields in order.
    pub cloze: Option<Vec<String>>,
}

impl Layout {
    /// Whether `name` (a `#notetype:` value or a notetype column's cell) names the deck's note
    /// type.
    fn names_ours(&self, name: &str) -> bool {
        let name = name.trim();
        name == self.anki_name
            || name.eq_ignore_ascii_case(&self.setting)
            || self.known.iter().any(|(anki, setting)| anki == name && *setting == self.setting)
    }

    /// Whether `name` (a notetype column's cell) names the built-in `cloze` of a deck whose
    /// own note type is not cloze.
    fn names_cloze_cards(&self, name: &str) -> bool {
        let name = name.trim();
        self.cloze.is_some()
            && (name.eq_ignore_ascii_case("cloze")
                || self.known.iter().any(|(anki, setting)| anki == name && setting == "cloze"))
    }

    /// The error for a note type that is not the deck's, saying what to set.
    fn wrong_notetype(&self, file: &Path, line: u32, name: &str) -> Diagnostic {
        let name = name.trim();
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            // Anki's text import takes a number for the id of a note type of its collection.
            return Diagnostic::new(
                Code::E023,
                file,
                line,
                format!("`{name}` is the id of a note type in an Anki collection, which this build cannot look up"),
            )
            .with_hint(format!(
                "write the note type's name instead (`#notetype:Basic`), or remove the line: this deck's note type is `{}` (ankideck.toml)",
                self.setting
            ));
        }
        let stem = super::stem_of(file);
        let set = match self.known.iter().find(|(anki, _)| anki == name) {
            Some((_, setting)) => format!(
                "set `notetype = \"{setting}\"` in `[decks.{stem}]` of ankideck.toml to build it as such"
            ),
            None => format!(
                "define a note type `{name}` with its fields (`[notetypes.{name}]`) and set `notetype = \"{name}\"` in `[decks.{stem}]` of ankideck.toml"
            ),
        };
        Diagnostic::new(
            Code::E023,
            file,
            line,
            format!("the notes are of note type `{name}`, and this deck's note type is `{}`", self.setting),
        )
        .with_hint(format!("{set}; a file holds the notes of one note type (split it by note type)"))
    }
}

/// The separator of a file name's extension: tab for `.tsv`, else comma.
pub fn separator_of(file: &Path) -> u8 {
    match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("tsv") => b'\t',
        _ => b',',
    }
}

/// A reader that digests every byte read through it.
struct Digesting<R> {
    inner: R,
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads a table from `reader`, handing each note to `sink` in file order. Gives the
/// diagnostics, the deck (its cards only counted; none when the file has no note) and the
/// digest of all the bytes of the file.
pub fn read(
    file: &Path,
    reader: impl Read,
    layout: &Layout,
    mut sink: impl FnMut(Note) -> std::io::Result<()>,
) -> std::io::Result<(Parsed<()>, u128)> {
    let mut digesting = Digesting { inner: reader, hasher: xxhash_rust::xxh3::Xxh3::new() };
    // A byte order mark is dropped (the reader may give fewer bytes a read than it holds). The
    // first bytes are the reader's first buffer: the `#` lines look for `tags:` in it.
    let mut start = Vec::with_capacity(8);
    (&mut digesting).take(8).read_to_end(&mut start)?;
    if start.starts_with(b"\xEF\xBB\xBF") {
        start.drain(..3);
    }
    let mut reader = std::io::BufReader::with_capacity(1 << 16, std::io::Cursor::new(start).chain(digesting));
    let mut diagnostics = Vec::new();
    let meta = read_meta(&mut reader, file, &mut diagnostics)?;
    // Tags Anki's import adds to every note: as the deck's own from the settings.
    let with_tags;
    let layout = match meta.tags.is_empty() {
        true => layout,
        false => {
            with_tags = Layout { tags: [&meta.tags[..], &layout.tags].concat(), ..layout.clone() };
            &with_tags
        }
    };
    // The file's own word wins: Anki's export and `build --csv` say `#html:true`.
    let html = meta.html.unwrap_or(layout.html);
    let mut notes = 0;
    let mut rows = ::csv::ReaderBuilder::new()
        .delimiter(meta.separator.unwrap_or_else(|| separator_of(file)))
        .has_headers(false)
        .flexible(true)
        .from_reader(&mut reader);
    let line_of = |record: &::csv::ByteRecord| meta.lines + record.position().map_or(0, |p| p.line() as u32);
    let wrong_notetype = match &meta.notetype {
        Some((name, line)) if !layout.names_ours(name) => Some(layout.wrong_notetype(file, *line, name)),
        _ => None,
    };
    let mut columns: Option<Vec<Column>> = None;
    if let Some((labels, line)) = &meta.columns {
        let labels = labels_of(labels, meta.separator.unwrap_or_else(|| separator_of(file)));
        let mut found = columns_of_labels(&labels, layout, file, *line, &mut diagnostics);
        for (column, at, _) in &meta.at {
            if let Some(slot) = found.get_mut(at - 1) {
                *slot = *column;
            }
        }
        columns = Some(found);
    }
    let labelled = meta.lines == 0;
    // Whether the header has errors: then no row is read (set once, not looked for per row).
    let mut header_bad = diagnostics.iter().any(|d| d.code == Code::E020);
    let mut record = ::csv::ByteRecord::new();
    let mut decks = DeckColumn::default();
    let mut texts: Vec<String> = Vec::new();
    loop {
        match rows.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| meta.lines + p.line() as u32);
                diagnostics.push(
                    Diagnostic::new(Code::E021, file, line, format!("the file cannot be read as CSV past this line: {e}"))
                        .with_hint("a cell with a quote starts and ends with it, and a quote inside it is written twice (\"\")"),
                );
                break;
            }
        }
        let line = line_of(&record);
        texts.clear();
        let mut utf8 = true;
        for cell in record.iter() {
            match std::str::from_utf8(cell) {
                Ok(text) => texts.push(text.to_string()),
                Err(_) => utf8 = false,
            }
        }
        if !utf8 {
            diagnostics.push(
                Diagnostic::new(Code::E001, file, line, "the row is not valid UTF-8")
                    .with_hint("save the file as UTF-8"),
            );
            continue;
        }
        let Some(columns) = &columns else {
            // A header row after `#` lines (written by hand) is labels too, not a note.
            let labelled = labelled || texts.iter().all(|t| is_label(t, layout));
            columns = Some(match labelled {
                true => columns_of_labels(&texts, layout, file, line, &mut diagnostics),
                false => columns_of_claims(texts.len(), &meta),
            });
            header_bad = diagnostics.iter().any(|d| d.code == Code::E020);
            if !labelled {
                // Anki's export has no label row: this row is a note.
                if wrong_notetype.is_none() {
                    decks.see(file, line, &texts, columns.as_deref().unwrap_or(&[]), &mut diagnostics);
                    notes += row(
                        file,
                        line,
                        &texts,
                        columns.as_deref().unwrap_or(&[]),
                        layout,
                        html,
                        &mut diagnostics,
                        &mut sink,
                    )?;
                }
            }
            continue;
        };
        if wrong_notetype.is_some() || header_bad {
            continue;
        }
        decks.see(file, line, &texts, columns, &mut diagnostics);
        notes += row(file, line, &texts, columns, layout, html, &mut diagnostics, &mut sink)?;
    }
    drop(rows);
    // What the CSV reader left unread (nothing, unless it stopped at an error) is digested too.
    let (_, mut rest) = reader.into_inner().into_inner();
    std::io::copy(&mut rest, &mut std::io::sink())?;
    let digest = rest.hasher.digest128();
    diagnostics.extend(wrong_notetype);
    let has_guids = columns.as_ref().is_some_and(|c| c.contains(&Column::Guid))
        || meta.at.iter().any(|(column, _, _)| *column == Column::Guid);
    diagnostics.extend(import_option_warnings(&meta, has_guids, file));
    if columns.is_none() && !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.push(Diagnostic::new(Code::E002, file, 0, "the file has no rows").with_hint(format!(
            "write a header row naming the columns ({}, …), then a row per note",
            layout.fields.join(", ")
        )));
    } else if notes == 0 && !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.push(
            Diagnostic::new(Code::E003, file, 0, "the file has a header row and no notes")
                .with_hint("add a row per note"),
        );
    }
    diagnostics.sort_by_key(|d| d.line);
    let stem = super::stem_of(file);
    let deck = SourceDeck {
        file: file.to_path_buf(),
        name: meta.deck.unwrap_or_else(|| stem.clone()),
        stem,
        cards: vec![(); notes],
    };
    Ok((Parsed { deck: Some(deck), diagnostics }, digest))
}

/// The deck column of an export: a file is one deck, so when its rows name several decks in
/// Anki, W020 says once that they become one.
#[derive(Default)]
struct DeckColumn {
    first: Option<String>,
    warned: bool,
}

impl DeckColumn {
    fn see(
        &mut self,
        file: &Path,
        line: u32,
        cells: &[String],
        columns: &[Column],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let Some(at) = columns.iter().position(|c| *c == Column::Deck) else { return };
        let Some(deck) = cells.get(at).map(|d| d.trim()) else { return };
        match &self.first {
            None => self.first = Some(deck.to_string()),
            Some(first) if first != deck && !self.warned => {
                self.warned = true;
                diagnostics.push(
                    Diagnostic::new(
                        Code::W020,
                        file,
                        line,
                        format!("this row is of the deck `{deck}` in Anki, an earlier one of `{first}`: every row of this file goes to its one deck"),
                    )
                    .with_hint("export each deck to its own file to keep them apart"),
                );
            }
            Some(_) => {}
        }
    }
}

/// One row as a note, handed to `sink`; 1 if it was one, 0 if it had errors (reported).
#[allow(clippy::too_many_arguments)]
fn row(
    file: &Path,
    line: u32,
    cells: &[String],
    columns: &[Column],
    layout: &Layout,
    html: bool,
    diagnostics: &mut Vec<Diagnostic>,
    sink: &mut impl FnMut(Note) -> std::io::Result<()>,
) -> std::io::Result<usize> {
    if cells.len() != columns.len() {
        diagnostics.push(
            Diagnostic::new(
                Code::E021,
                file,
                line,
                format!("the row has {} cells, and the header names {} columns", cells.len(), columns.len()),
            )
            .with_hint(
                "a cell holding the separator, a quote or a line break is written in quotes: \"a, b\"",
            ),
        );
        return Ok(0);
    }
    // A row of the deck's cloze cards is read into the built-in cloze's fields.
    let kind = match columns.iter().position(|c| *c == Column::Notetype) {
        Some(at) if layout.names_cloze_cards(&cells[at]) => NoteKind::Cloze,
        _ => NoteKind::Own,
    };
    let (field_names, notetype_name) = match (kind, &layout.cloze) {
        (NoteKind::Cloze, Some(cloze)) => (cloze, "cloze"),
        _ => (&layout.fields, layout.setting.as_str()),
    };
    let mut fields = vec![String::new(); field_names.len()];
    let (mut section, mut tags, mut guid) = ("", "", "");
    for (cell, column) in cells.iter().zip(columns) {
        match column {
            Column::Field(at) if *at < fields.len() => fields[*at] = field_text(cell, html),
            Column::Field(_) if cell.trim().is_empty() => {}
            // Anki pads every row to the fields of the note type that has most.
            Column::Field(at) => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E021,
                        file,
                        line,
                        format!(
                            "the row has a field {}, and the note type `{}` has {}",
                            at + 1,
                            notetype_name,
                            field_names.len()
                        ),
                    )
                    .with_hint("set the deck's note type to the one the notes were exported with"),
                );
                return Ok(0);
            }
            Column::Section => section = cell,
            Column::Tags => tags = cell,
            Column::Guid => guid = cell.trim(),
            Column::Notetype if kind == NoteKind::Own && !layout.names_ours(cell) => {
                diagnostics.push(layout.wrong_notetype(file, line, cell));
                return Ok(0);
            }
            Column::Notetype | Column::Deck | Column::Unknown => {}
        }
    }
    // In an HTML table (`build --csv`'s) the section is HTML already: its tag is of its text.
    let section_text = match html {
        true => std::borrow::Cow::Owned(html::decode_entities(section)),
        false => std::borrow::Cow::Borrowed(section),
    };
    if let Some(at) = field_names.iter().position(|f| f == "Section")
        && !section.is_empty()
    {
        fields[at].clear();
        match html {
            true => fields[at].push_str(section),
            false => html::escape(section, &mut fields[at]),
        }
    }
    // As in a text deck: invisible control characters (U+001F, Anki's field separator, among
    // them) are removed; a tab and a line break are text.
    let removed = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if fields.iter().any(|f| f.contains(removed)) {
        for field in &mut fields {
            field.retain(|c| !removed(c));
        }
        diagnostics.push(
            Diagnostic::new(Code::W002, file, line, "control characters were removed from the text").with_hint(
                "they are invisible and one of them would break Anki's import; check what the file was saved from",
            ),
        );
    }
    if fields[0].trim().is_empty() {
        diagnostics.push(
            Diagnostic::new(Code::E022, file, line, format!("the note has no `{}`", field_names[0]))
                .with_hint(format!("fill in its `{}` cell, or remove the row", field_names[0])),
        );
        return Ok(0);
    }
    let section_tag = section_tag(&section_text);
    let all = (tags.split_whitespace().map(str::to_string))
        .chain(std::iter::once(section_tag).filter(|t| !t.is_empty()))
        .chain(layout.tags.iter().cloned())
        .collect();
    let tags = crate::settings::merge_tags(all);
    let note = Note::new(&fields, &tags, line).with_kind(kind);
    sink(match guid.is_empty() {
        true => note,
        false => note.with_pinned(guid.to_string()),
    })?;
    Ok(1)
}

/// A cell as a field's HTML: as written in an HTML deck, else escaped, its lines joined with
/// `<br>`.
fn field_text(cell: &str, html: bool) -> String {
    if html {
        return cell.to_string();
    }
    let mut out = String::with_capacity(cell.len() + 8);
    html::push_lines_as_field(cell.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)), &mut out);
    out
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
