//! The head of a table: the `#` lines Anki's text import reads, and what each column holds
//! (from a header row, `#columns:`, or an export's `#… column:` lines).

use super::Layout;
use crate::diagnostic::{Code, Diagnostic};
use std::io::BufRead;
use std::path::Path;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Field(usize),
    Section,
    Tags,
    Guid,
    /// The note type of the row (must be the deck's).
    Notetype,
    /// The deck Anki would put the row in: this file is one deck, so it is not read.
    Deck,
    /// A label that names nothing (an error, reported).
    Unknown,
}

/// The `#` lines at the top of a file.
#[derive(Debug, Default)]
pub(super) struct Meta {
    pub(super) separator: Option<u8>,
    pub(super) html: Option<bool>,
    pub(super) notetype: Option<(String, u32)>,
    pub(super) deck: Option<String>,
    pub(super) columns: Option<(String, u32)>,
    /// 1-based columns named by `#guid column:` etc.
    pub(super) at: Vec<(Column, usize, u32)>,
    /// How many lines they take.
    pub(super) lines: u32,
}

/// Anki's separator names (`Delimiter::name`) or the character itself.
pub(super) fn separator_named(value: &str) -> Option<u8> {
    let value = value.trim_end_matches(['\r', '\n']);
    let named = [
        ("comma", b','),
        ("semicolon", b';'),
        ("tab", b'\t'),
        ("space", b' '),
        ("pipe", b'|'),
        ("colon", b':'),
    ];
    (named.iter())
        .find(|(name, byte)| value.trim().eq_ignore_ascii_case(name) || value.as_bytes() == [*byte])
        .map(|(_, byte)| *byte)
}

/// Reads the `#key:value` lines at the start of `reader`,
/// leaving the reader at the first other line.
pub(super) fn read_meta(
    reader: &mut impl BufRead,
    file: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> std::io::Result<Meta> {
    let mut meta = Meta::default();
    loop {
        let buf = reader.fill_buf()?;
        if !buf.starts_with(b"#") {
            return Ok(meta);
        }
        let mut line = Vec::new();
        reader.read_until(b'\n', &mut line)?;
        meta.lines += 1;
        let at = meta.lines;
        let Ok(line) = String::from_utf8(line) else {
            diagnostics.push(
                Diagnostic::new(Code::E001, file, at, "the line is not valid UTF-8")
                    .with_hint("save the file as UTF-8"),
            );
            continue;
        };
        let line = line.trim_end_matches(['\r', '\n']);
        let Some((key, value)) = line[1..].split_once(':') else { continue };
        let column = |column| match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok((column, n, at)),
            _ => {
                Err(Diagnostic::new(Code::E020, file, at, format!("`{line}`: the column is a number from 1")))
            }
        };
        let found = match key.trim().to_ascii_lowercase().as_str() {
            "separator" => match separator_named(value) {
                Some(byte) => {
                    meta.separator = Some(byte);
                    Ok(None)
                }
                None => Err(Diagnostic::new(Code::E020, file, at, format!("`{line}`: an unknown separator"))
                    .with_hint("write comma, semicolon, tab, space, pipe or colon")),
            },
            "html" => match value.trim().to_ascii_lowercase().parse() {
                Ok(html) => {
                    meta.html = Some(html);
                    Ok(None)
                }
                Err(_) => {
                    Err(Diagnostic::new(Code::E020, file, at, format!("`{line}`: write true or false")))
                }
            },
            "notetype" => {
                meta.notetype = Some((value.to_string(), at));
                Ok(None)
            }
            "deck" => {
                let name: Vec<&str> = value.split("::").map(str::trim).filter(|c| !c.is_empty()).collect();
                match name.join("::") {
                    name if name.eq_ignore_ascii_case("default") => Err(Diagnostic::new(
                        Code::E009,
                        file,
                        at,
                        "a deck cannot be named `Default`",
                    )
                    .with_hint("Anki would put these cards into the user's own Default deck; rename it in `#deck:`, or remove the line to name the deck after the file")),
                    name => {
                        meta.deck = Some(name).filter(|d| !d.is_empty());
                        Ok(None)
                    }
                }
            }
            "columns" => {
                meta.columns = Some((value.to_string(), at));
                Ok(None)
            }
            "guid column" => column(Column::Guid).map(Some),
            "tags column" => column(Column::Tags).map(Some),
            "notetype column" => column(Column::Notetype).map(Some),
            "deck column" => column(Column::Deck).map(Some),
            // `#if matches:`, `#match scope:`, `#tags:` and comments: what Anki's import does
            // with a file, not what the notes are.
            _ => Ok(None),
        };
        match found {
            Ok(Some(claim)) => meta.at.push(claim),
            Ok(None) => {}
            Err(d) => diagnostics.push(d),
        }
    }
}

/// The column of each label of a header row (or `#columns:`), or the errors saying which
/// labels are not known.
pub(super) fn columns_of_labels(
    labels: &[String],
    layout: &Layout,
    file: &Path,
    line: u32,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Column> {
    let mut columns = Vec::with_capacity(labels.len());
    for label in labels {
        let name = label.trim();
        let field = layout.fields.iter().position(|f| f.eq_ignore_ascii_case(name));
        let column = match name.to_ascii_lowercase().as_str() {
            "section" => Some(Column::Section),
            "tags" if field.is_none() => Some(Column::Tags),
            "guid" if field.is_none() => Some(Column::Guid),
            "notetype" if field.is_none() => Some(Column::Notetype),
            "deck" if field.is_none() => Some(Column::Deck),
            _ => field.map(Column::Field),
        };
        match column {
            Some(column) if columns.contains(&column) => diagnostics.push(
                Diagnostic::new(Code::E020, file, line, format!("the column `{name}` is named twice"))
                    .with_hint("each column names a different field"),
            ),
            Some(column) => columns.push(column),
            None => {
                let fields: Vec<&str> = (layout.fields.iter().map(String::as_str))
                    .filter(|f| !f.eq_ignore_ascii_case("Section"))
                    .collect();
                diagnostics.push(
                    Diagnostic::new(
                        Code::E020,
                        file,
                        line,
                        format!("`{name}` is not a column of a `{}` deck", layout.setting),
                    )
                    .with_hint(match labels.len() == 1 && name.contains([',', '\t', ';']) {
                        // One label holding separators: the file is separated by another one.
                        true => "the header row is one cell: a `.csv` file's cells are separated by commas, a \
                                 `.tsv` file's by tabs (or write the separator on a first line `#separator:tab`)"
                            .to_string(),
                        false => format!(
                            "name each column after a field of the note type ({}), or section, tags, guid",
                            fields.join(", ")
                        ),
                    }),
                );
                columns.push(Column::Unknown);
            }
        }
    }
    if !columns.iter().any(|c| matches!(c, Column::Field(0))) && !columns.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                Code::E020,
                file,
                line,
                format!("no column is the note type's first field `{}`", layout.fields[0]),
            )
            .with_hint(format!("name a column `{}`: every note needs it", layout.fields[0])),
        );
    }
    columns
}

/// Whether a cell of a first row names a column (a field of the note type, or `section`, `tags`,
/// `guid`, `notetype`, `deck`), as a header row's cells do.
pub(super) fn is_label(cell: &str, layout: &Layout) -> bool {
    let cell = cell.trim();
    ["section", "tags", "guid", "notetype", "deck"].iter().any(|l| cell.eq_ignore_ascii_case(l))
        || layout.fields.iter().any(|f| f.eq_ignore_ascii_case(cell))
}

/// The columns of an Anki export (no labels): those a `#… column:` line claims, the others
/// the note type's fields in order.
pub(super) fn columns_of_claims(count: usize, meta: &Meta) -> Vec<Column> {
    let mut next_field = 0;
    (1..=count)
        .map(|n| match meta.at.iter().rev().find(|(_, at, _)| *at == n) {
            Some((column, _, _)) => *column,
            None => {
                next_field += 1;
                Column::Field(next_field - 1)
            }
        })
        .collect()
}

/// The labels of a `#columns:` line.
pub(super) fn labels_of(line: &str, separator: u8) -> Vec<String> {
    let mut reader =
        ::csv::ReaderBuilder::new().delimiter(separator).has_headers(false).from_reader(line.as_bytes());
    let mut record = ::csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}
