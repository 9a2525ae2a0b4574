//! The deck as a CSV file for Anki's text import (`rslib/src/import_export/text/csv/metadata.rs`):
//! header lines naming the separator, HTML, note type, deck, the guid and tags columns and the
//! update rule, then one row per note. Fields containing `#` are quoted, because Anki reads a
//! line starting with `#` as a comment.

use super::DeckNotes;
use super::{EmitError, temp_file_in};
use crate::notetype::Notetype;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes the CSV to a temporary file beside `dest`, for the caller to move into place.
pub fn write_temp(
    dest: &Path,
    deck: &dyn DeckNotes,
    notetype: &Notetype,
) -> Result<tempfile::NamedTempFile, EmitError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let temp = temp_file_in(dir)?;
    let io = EmitError::io("cannot write", dest);
    write_to(BufWriter::new(temp.as_file()), deck, notetype).map_err(io)?;
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
