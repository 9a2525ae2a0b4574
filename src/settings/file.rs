//! The schema of `ankideck.toml` as serde reads it, before validation. Every table denies
//! unknown keys; the lists of known keys below are what the error hints offer, and a test keeps
//! them equal to the structs.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct File {
    #[serde(default)]
    pub defaults: DeckKeys,
    #[serde(default)]
    pub decks: BTreeMap<String, DeckKeys>,
    #[serde(default)]
    pub notetypes: BTreeMap<String, NotetypeKeys>,
}

/// `[defaults]` and `[decks.<stem>]`; `name` and `description` are refused in `[defaults]` by
/// the validation (a name for every deck would merge them all into one).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", expecting = "a table")]
pub(super) struct DeckKeys {
    pub notetype: Option<String>,
    pub tags: Option<Vec<String>>,
    pub subdecks: Option<bool>,
    pub html: Option<bool>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Only in `[defaults]` (the tree check refuses it in a deck's table).
    pub assets: Option<Vec<String>>,
}

/// `[notetypes.<name>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", expecting = "a table")]
pub(super) struct NotetypeKeys {
    #[serde(default)]
    pub kind: Kind,
    pub fields: Vec<String>,
    pub css: Option<String>,
    pub templates: Vec<TemplateKeys>,
}

/// A note type's kind, as Anki has them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// One card per template whose front is not empty.
    #[default]
    Standard,
    /// One card per cloze number; exactly one template.
    Cloze,
}

/// One entry of a note type's `templates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", expecting = "a table")]
pub(super) struct TemplateKeys {
    pub name: String,
    pub front: String,
    pub back: String,
}

/// The keys of the top level.
pub(super) const FILE_KEYS: &[&str] = &["defaults", "decks", "notetypes"];
/// The keys of `[defaults]`.
pub(super) const DEFAULTS_KEYS: &[&str] = &["notetype", "tags", "subdecks", "html", "assets"];
/// The keys of `[decks.<stem>]`.
pub(super) const DECK_KEYS: &[&str] = &["notetype", "tags", "subdecks", "html", "name", "description"];
/// The keys of `[notetypes.<name>]`.
pub(super) const NOTETYPE_KEYS: &[&str] = &["kind", "fields", "css", "templates"];
/// The keys of one template.
pub(super) const TEMPLATE_KEYS: &[&str] = &["name", "front", "back"];
