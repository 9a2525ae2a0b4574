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
    /// Tags Anki's import adds to every note (`#tags:`, or a first line `tags:`).
    pub(super) tags: Vec<String>,
    /// `#if matches:` and `#match scope:` lines: their key, value and line.
    pub(super) import_options: Vec<(String, String, u32)>,
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

/// Anki's value of a `#` line that names a separator, says `true`/`false` or gives a column: what
/// a spreadsheet that saved the line as a row of cells added after it (`#html:true,,,`) cut off
/// (`parse_meta_value` in `metadata.rs`: from the second character on, up to the first that is
/// not an ASCII letter or digit).
fn trimmed(value: &str) -> &str {
    let Some((second, _)) = value.char_indices().nth(1) else { return value };
    match value[second..].find(|c: char| !c.is_ascii_alphanumeric()) {
        Some(end) => &value[..second + end],
        None => value,
    }
}

/// Reads the `#key:value` lines at the start of `reader` (and Anki's older first line `tags:`),
/// leaving the reader at the first other line. The reader's first buffer must hold the first
/// five bytes of the file, when it has them.
pub(super) fn read_meta(
    reader: &mut impl BufRead,
    file: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> std::io::Result<Meta> {
    let mut meta = Meta::default();
    loop {
        let buf = reader.fill_buf()?;
        // Anki reads a first line `tags:a b` as `#tags:a b`.
        let old_tags = meta.lines == 0 && buf.starts_with(b"tags:");
        if !buf.starts_with(b"#") && !old_tags {
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
        let after = if old_tags { line } else { &line[1..] };
        let Some((key, value)) = after.split_once(':') else { continue };
        let column = |column| match trimmed(value).trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok((column, n, at)),
            _ => {
                Err(Diagnostic::new(Code::E020, file, at, format!("`{line}`: the column is a number from 1")))
            }
        };
        let found = match key.trim().to_ascii_lowercase().as_str() {
            "separator" => match separator_named(trimmed(value)) {
                Some(byte) => {
                    meta.separator = Some(byte);
                    Ok(None)
                }
                None => Err(Diagnostic::new(Code::E020, file, at, format!("`{line}`: an unknown separator"))
                    .with_hint("write comma, semicolon, tab, space, pipe or colon")),
            },
            "html" => match trimmed(value).trim().to_ascii_lowercase().parse() {
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
            // Freeform: not trimmed (Anki keeps `b,,,` of `#tags:a b,,,` as a tag).
            "tags" => {
                meta.tags = value.split_whitespace().map(str::to_string).collect();
                Ok(None)
            }
            "deck" => deck_name(value, file, at).map(|name| {
                if name.as_deref().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())) {
                    diagnostics.push(deck_id(file, at, line));
                }
                meta.deck = name;
                None
            }),
            // What Anki's text import does with a note the collection has (W021, once the
            // columns are known).
            key @ ("if matches" | "match scope") => {
                meta.import_options.push((key.to_string(), value.trim().to_string(), at));
                Ok(None)
            }
            "columns" => {
                meta.columns = Some((value.to_string(), at));
                Ok(None)
            }
            "guid column" => column(Column::Guid).map(Some),
            "tags column" => column(Column::Tags).map(Some),
            "notetype column" => column(Column::Notetype).map(Some),
            "deck column" => column(Column::Deck).map(Some),
            // Keys Anki does not know, and comments.
            _ => Ok(None),
        };
        match found {
            Ok(Some(claim)) => meta.at.push(claim),
            Ok(None) => {}
            Err(d) => diagnostics.push(d),
        }
    }
}

/// The deck a `#deck:` line names, as Anki's text import makes it from the line (none for an
/// empty line): each `::` part trimmed of spaces and colons (`NativeDeckName::from_human_name`).
/// What Anki would name otherwise than written is an error, and a number, which Anki takes for
/// the id of a deck of its collection when it has one, is said (W021).
fn deck_name(value: &str, file: &Path, at: u32) -> Result<Option<String>, Diagnostic> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> =
        value.split("::").map(|p| p.trim_matches(|c: char| c.is_whitespace() || c == ':')).collect();
    let name = parts.join("::");
    let wrong =
        |message: String, hint: &str| Err(Diagnostic::new(Code::E020, file, at, message).with_hint(hint));
    if parts.iter().any(|p| p.is_empty()) {
        return wrong(
            format!(
                "the deck name `{}` has an empty part between `::`: Anki would name it `blank`",
                value.trim()
            ),
            "write `::` only between two names to make a subdeck: `#deck:History::Rome`",
        );
    }
    if name.chars().any(char::is_control) {
        return wrong(
            format!("the deck name `{}` has a control character (a tab…), which Anki removes", value.trim()),
            "write the deck name with spaces instead of tabs",
        );
    }
    if name.eq_ignore_ascii_case("default") {
        return Err(Diagnostic::new(Code::E009, file, at, "a deck cannot be named `Default`").with_hint(
            "Anki would put these cards into the user's own Default deck; rename it in `#deck:`, or remove the line to name the deck after the file",
        ));
    }
    Ok(Some(name))
}

/// W021 for the options of Anki's text import a package does not follow. A package's notes
/// are matched by guid only, and one the collection has is updated when the package's copy is
/// newer (or as the import dialog says): `#if matches:update current` (what `build --csv`
/// writes) is what a package does for a table with guids; any other value is not, nor is
/// matching by first field, which is what these lines ask of a table without guids.
pub(super) fn import_option_warnings(meta: &Meta, has_guids: bool, file: &Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (key, value, at) in &meta.import_options {
        if key == "if matches" && value != "update current" {
            found.push(
                Diagnostic::new(
                    Code::W021,
                    file,
                    *at,
                    format!("`#if matches:{value}` is an option of Anki's text import that a package does not follow: Anki updates the notes it has from a newer package"),
                )
                .with_hint(
                    "remove the line, and choose in Anki's import dialog (\"Update notes: never\" keeps the collection's notes as they are)",
                ),
            );
        }
    }
    if let Some((key, value, at)) = meta.import_options.first().filter(|_| !has_guids) {
        found.push(
            Diagnostic::new(
                Code::W021,
                file,
                *at,
                format!("`#{key}:{value}`: Anki's text import matches a table's notes by first field, and a package by guid only: a note the collection has is added again, as this table has no guid column"),
            )
            .with_hint(
                "export the notes from Anki with \"Include unique identifier\" ticked (a guid column), or remove the line if the notes are new to the collection",
            ),
        );
    }
    found
}

/// W021: a `#deck:` that is a number.
fn deck_id(file: &Path, at: u32, line: &str) -> Diagnostic {
    Diagnostic::new(
        Code::W021,
        file,
        at,
        format!("`{line}` is a number, which Anki's text import takes for the id of a deck of its collection: this deck is named with the number"),
    )
    .with_hint("write the deck's name (`#deck:Spanish::Verbs`): Anki finds a package's deck by its name")
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
