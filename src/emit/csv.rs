//! The deck as a CSV file for Anki's text import (`rslib/src/import_export/text/csv/metadata.rs`):
//! header lines naming the separator, HTML, note type, deck, the guid and tags columns and the
//! update rule, then one row per note. Fields containing `#` are quoted, because Anki reads a
//! line starting with `#` as a comment.

use super::DeckNotes;
use super::{EmitError, temp_file_in};
use crate::notetype::Notetype;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes the CSV to a temporary file beside `dest`, for the caller to move into place. A deck
/// with cloze cards of the built-in `cloze` (`cloze`: that note type) names each row's note type
/// in a column, as Anki's own export of notes of several note types does.
pub fn write_temp(
    dest: &Path,
    deck: &dyn DeckNotes,
    notetype: &Notetype,
    cloze: Option<&Notetype>,
) -> Result<tempfile::NamedTempFile, EmitError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let temp = temp_file_in(dir)?;
    let io = EmitError::io("cannot write", dest);
    match cloze {
        None => write_to(BufWriter::new(temp.as_file()), deck, notetype),
        Some(cloze) => write_mixed(BufWriter::new(temp.as_file()), deck, [notetype, cloze]),
    }
    .map_err(io)?;
    Ok(temp)
}

fn write_to(mut out: impl Write, deck: &dyn DeckNotes, notetype: &Notetype) -> std::io::Result<()> {
    let field_names: Vec<&str> = notetype.fields.iter().map(|f| f.name.as_str()).collect();
    let tags_column = field_names.len() + 2;
    write!(
        out,
        "#separator:comma\n#html:true\n#notetype:{}\n#deck:{}\n#columns:guid,{},tags\n\
         #guid column:1\n#tags column:{tags_column}\n#if matches:update current\n#match scope:notetype\n",
        notetype.name,
        deck.name(),
        field_names.join(","),
    )?;
    let mut rows = ::csv::WriterBuilder::new().comment(Some(b'#')).from_writer(out);
    deck.each_note(None, &mut |_, guid, note| {
        rows.write_field(guid)?;
        for field in note.fields() {
            rows.write_field(field)?;
        }
        rows.write_record(std::iter::once(note.tags_text()))?;
        Ok(())
    })?;
    rows.flush()
}

/// The CSV of a deck whose notes are of two note types (`types`, by [`crate::model::NoteKind`] index): the
/// guid, the note type's name, the fields (as many columns as the note type of most fields has,
/// the others' rows padded) and the tags, with no `#columns` line (the fields of the two differ),
/// as `rslib/src/import_export/text/csv/export.rs` writes notes of several note types.
fn write_mixed(mut out: impl Write, deck: &dyn DeckNotes, types: [&Notetype; 2]) -> std::io::Result<()> {
    let width = types.iter().map(|t| t.fields.len()).max().unwrap_or(0);
    write!(
        out,
        "#separator:comma\n#html:true\n#deck:{}\n#guid column:1\n#notetype column:2\n#tags column:{}\n\
         #if matches:update current\n#match scope:notetype\n",
        deck.name(),
        width + 3,
    )?;
    let mut rows = ::csv::WriterBuilder::new().comment(Some(b'#')).flexible(true).from_writer(out);
    deck.each_note(None, &mut |_, guid, note| {
        rows.write_field(guid)?;
        rows.write_field(&types[usize::from(note.kind().index())].name)?;
        let mut count = 0;
        for field in note.fields() {
            rows.write_field(field)?;
            count += 1;
        }
        for _ in count..width {
            rows.write_field("")?;
        }
        rows.write_record(std::iter::once(note.tags_text()))?;
        Ok(())
    })?;
    rows.flush()
}
