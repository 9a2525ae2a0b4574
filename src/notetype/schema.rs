//! What Anki compares when a package brings a note type it already has (same id): the kind and
//! the ids of the fields and templates, in order (`equal_schema` in
//! `rslib/src/import_export/package/apkg/import/notes.rs`). If they differ and the user did not
//! tick "Merge note types", Anki imports the package's note type as a new copy and leaves the
//! existing notes as they were; with the box ticked it merges fields by id and updates the notes.
//! A cloze type and a normal type never merge (the import fails; without merging, a note type
//! whose ids stayed the same would change kind under existing cards). Names, templates' text and CSS
//! are not part of the schema: they update in place.
//!
//! `Schema` is what a build keeps of the last note type it wrote (the lock stores it) so the next
//! build can say, before writing, what Anki will do with the change.

use super::{Notetype, NotetypeKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The ids (and names, for messages) of a note type's fields and templates, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub cloze: bool,
    pub fields: Vec<(i64, String)>,
    pub templates: Vec<(i64, String)>,
}

/// A change of schema between two builds, in the terms Anki's import dialog uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    pub notetype: String,
    pub kind_changed: bool,
    pub fields: ListChange,
    pub templates: ListChange,
}

/// How an ordered list of ids changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// The same ids in another order.
    pub reordered: bool,
}

impl ListChange {
    fn between(old: &[(i64, String)], new: &[(i64, String)]) -> ListChange {
        let added =
            new.iter().filter(|(id, _)| !old.iter().any(|(o, _)| o == id)).map(|(_, n)| n.clone()).collect();
        let removed =
            old.iter().filter(|(id, _)| !new.iter().any(|(n, _)| n == id)).map(|(_, n)| n.clone()).collect();
        let kept_old: Vec<i64> =
            old.iter().map(|(id, _)| *id).filter(|id| new.iter().any(|(n, _)| n == id)).collect();
        let kept_new: Vec<i64> =
            new.iter().map(|(id, _)| *id).filter(|id| old.iter().any(|(o, _)| o == id)).collect();
        ListChange { added, removed, reordered: kept_old != kept_new }
    }

    /// True if nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && !self.reordered
    }

    fn describe(&self, what: &str, out: &mut Vec<String>) {
        if !self.added.is_empty() {
            out.push(format!("{what} added: {}", self.added.join(", ")));
        }
        if !self.removed.is_empty() {
            out.push(format!("{what} removed: {}", self.removed.join(", ")));
        }
        if self.reordered {
            out.push(format!("{what} reordered"));
        }
    }
}

impl Schema {
    /// The schema of `notetype`.
    pub fn of(notetype: &Notetype) -> Schema {
        Schema {
            cloze: notetype.kind == NotetypeKind::Cloze,
            fields: notetype.fields.iter().map(|f| (f.id, f.name.clone())).collect(),
            templates: notetype.templates.iter().map(|t| (t.id, t.name.clone())).collect(),
        }
    }

    /// The schema of a note type as a package holds it (schema-11 JSON: `type`, `flds` and
    /// `tmpls` with their `id` and `name`); `None` if a field or template has no id.
    pub fn of_schema11(model: &serde_json::Value) -> Option<Schema> {
        let list = |key: &str| -> Option<Vec<(i64, String)>> {
            (model[key].as_array()?.iter())
                .map(|item| Some((item["id"].as_i64()?, item["name"].as_str()?.to_string())))
                .collect()
        };
        Some(Schema { cloze: model["type"].as_i64()? == 1, fields: list("flds")?, templates: list("tmpls")? })
    }

    /// The change from `self` (last build) to `new`, or `None` if Anki updates it in place.
    pub fn change_to(&self, new: &Notetype) -> Option<SchemaChange> {
        let new_schema = Schema::of(new);
        if *self == new_schema || self.ids() == new_schema.ids() {
            return None;
        }
        Some(SchemaChange {
            notetype: new.name.clone(),
            kind_changed: self.cloze != new_schema.cloze,
            fields: ListChange::between(&self.fields, &new_schema.fields),
            templates: ListChange::between(&self.templates, &new_schema.templates),
        })
    }

    /// What Anki compares: a renamed field with the same id is the same field.
    fn ids(&self) -> (bool, Vec<i64>, Vec<i64>) {
        let ids = |list: &[(i64, String)]| list.iter().map(|(id, _)| *id).collect();
        (self.cloze, ids(&self.fields), ids(&self.templates))
    }
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        self.fields.describe("fields", &mut parts);
        self.templates.describe("templates", &mut parts);
        if self.kind_changed {
            return write!(
                f,
                "note type `{}` changed between cloze and normal; Anki cannot import it over the old one \
                 (with \"Merge note types\" ticked the import fails; without it the cards already in \
                 Anki no longer match the note type); give the new note type another name",
                self.notetype
            );
        }
        write!(
            f,
            "note type `{}` changed its fields or cards ({}): when importing, tick \"Merge note types\" \
             in Anki's import options, or Anki adds a second copy of the note type and does not update \
             the notes you already have",
            self.notetype,
            parts.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CustomNotetype, CustomTemplate, SourceText};
    use super::*;

    fn vocab(fields: &[&str], cloze: bool) -> Notetype {
        let front = if cloze { "{{cloze:Word}}" } else { "{{Word}}" };
        Notetype::custom(&CustomNotetype {
            name: "vocab".into(),
            kind: if cloze { NotetypeKind::Cloze } else { NotetypeKind::Normal },
            fields: fields.iter().map(|f| f.to_string()).collect(),
            css: String::new(),
            templates: vec![CustomTemplate {
                name: "Card".into(),
                front: SourceText::new("f.html", front),
                back: SourceText::new("b.html", front),
            }],
        })
        .unwrap()
    }

    #[test]
    fn template_and_css_edits_are_no_schema_change() {
        let old = Schema::of(&vocab(&["Word", "Meaning"], false));
        let mut new = vocab(&["Word", "Meaning"], false);
        new.css = ".card { color: red }".into();
        new.templates[0] =
            super::super::Template::new("Card", new.templates[0].id, "<b>{{Word}}</b>", "x").unwrap();
        assert_eq!(old.change_to(&new), None);
    }

    #[test]
    fn added_removed_and_reordered_fields_are_reported() {
        let old = Schema::of(&vocab(&["Word", "Meaning", "Example"], false));
        let change = old.change_to(&vocab(&["Meaning", "Word", "Note"], false)).unwrap();
        assert_eq!(
            change.fields,
            ListChange { added: vec!["Note".into()], removed: vec!["Example".into()], reordered: true }
        );
        assert!(change.templates.is_empty());
        let msg = change.to_string();
        assert!(msg.contains("fields added: Note; fields removed: Example; fields reordered"), "{msg}");
        assert!(msg.contains("tick \"Merge note types\""), "{msg}");
        let reordered = old.change_to(&vocab(&["Example", "Word", "Meaning"], false)).unwrap();
        assert_eq!(reordered.fields, ListChange { reordered: true, ..ListChange::default() });
    }

    #[test]
    fn a_switch_between_cloze_and_normal_cannot_merge() {
        let old = Schema::of(&vocab(&["Word"], false));
        let change = old.change_to(&vocab(&["Word"], true)).unwrap();
        assert!(change.kind_changed);
        assert!(change.to_string().contains("give the new note type another name"));
    }

    #[test]
    fn a_packages_note_type_gives_the_same_schema() {
        for nt in Notetype::all_builtin(None) {
            assert_eq!(Schema::of_schema11(&nt.to_schema11(1)), Some(Schema::of(&nt)), "{}", nt.name);
        }
    }

    #[test]
    fn the_schema_survives_a_round_trip_through_json() {
        let schema = Schema::of(&Notetype::builtin("optional-reversed", None).unwrap());
        let text = serde_json::to_string(&schema).unwrap();
        assert_eq!(serde_json::from_str::<Schema>(&text).unwrap(), schema);
    }
}
