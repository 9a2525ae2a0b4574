use super::*;

fn parse(text: &str) -> Result<Settings, SettingsError> {
    Settings::parse(text, Path::new("project/ankideck.toml"))
}

fn settings(text: &str) -> Settings {
    parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The message of the error `text` gives, as the user sees it.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("no error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn problem(text: &str) -> Problem {
    match parse(text) {
        Err(SettingsError::Invalid { problem, .. }) => problem,
        other => panic!("{other:?}"),
    }
}

const VOCAB: &str = r#"
[notetypes.vocab]
fields = ["Word", "Meaning"]
css = "styles/vocab.css"
templates = [{ name = "Recognise", front = "templates/front.html", back = "./templates/back.html" }]
"#;

#[test]
fn no_file_gives_todays_settings() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::load(&dir.path().join(FILE_NAME)).unwrap();
    assert_eq!(settings.file(), None);
    assert_eq!(settings.for_deck("history"), DeckSettings::default());
    assert!(settings.warnings(&[]).is_empty());
}

#[test]
fn a_deck_table_overlays_the_defaults_and_merges_tags() {
    let s = settings(
        r#"
[defaults]
notetype = "reversed"
tags = ["school", "history"]
subdecks = true

[decks.stalin]
name = "History::Stalin"
description = "Printed set"
tags = ["ussr", "History"]
subdecks = false
"#,
    );
    let stalin = s.for_deck("stalin");
    assert_eq!(stalin.notetype, NotetypeChoice::Builtin(Builtin::Reversed));
    assert_eq!(stalin.tags, ["history", "school", "ussr"]);
    assert!(!stalin.subdecks);
    assert_eq!(stalin.name.as_deref(), Some("History::Stalin"));
    assert_eq!(stalin.description.as_deref(), Some("Printed set"));
    let other = s.for_deck("chemistry");
    assert_eq!(other.tags, ["history", "school"]);
    assert!(other.subdecks);
    assert_eq!(other.name, None);
}

#[test]
fn a_custom_notetype_resolves_its_paths_inside_the_project() {
    let s = settings(&format!("{VOCAB}\n[decks.words]\nnotetype = \"vocab\"\n"));
    let NotetypeChoice::Custom(vocab) = s.for_deck("words").notetype else { panic!("not custom") };
    assert_eq!(vocab.fields, ["Word", "Meaning"]);
    assert_eq!(vocab.kind, Kind::Standard);
    let css = vocab.css.as_ref().unwrap();
    assert_eq!(
        (css.relative.as_str(), css.path.as_path()),
        ("styles/vocab.css", Path::new("project/styles/vocab.css"))
    );
    assert_eq!(vocab.templates[0].back.relative, "templates/back.html");
    assert_eq!(s.for_deck("other").notetype, NotetypeChoice::Builtin(Builtin::Basic));
}

#[test]
fn digest_changes_exactly_when_a_decks_effective_settings_change() {
    let base = format!(
        "[defaults]\ntags = [\"x\"]\nsubdecks = false\n\
         [decks.a]\nname = \"A\"\ndescription = \"d\"\nhtml = false\n\
         [decks.b]\nnotetype = \"vocab\"\ntags = [\"y\"]\n\
         [decks.c]\nsubdecks = false\n{VOCAB}"
    );
    let digests = |text: &str| ["a", "b", "c"].map(|d| settings(text).for_deck(d).digest());
    let old = digests(&base);
    // Each edit (text replaced in the file) and the decks whose digest it must change.
    let edits: &[(&str, &str, [bool; 3])] = &[
        ("tags = [\"x\"]", "tags = [\"z\"]", [true, true, true]),
        ("tags = [\"x\"]", "tags = [\"x\", \"X\"]", [false, false, false]),
        ("tags = [\"y\"]", "tags = [\"z\"]", [false, true, false]),
        ("tags = [\"y\"]", "tags = [\"x\"]", [false, true, false]),
        ("tags = [\"y\"]", "tags = [\"y\", \"x\"]", [false, false, false]),
        ("[defaults]\n", "[defaults]\nhtml = true\n", [false, true, true]),
        ("subdecks = false\n[decks.a]", "subdecks = true\n[decks.a]", [true, true, false]),
        ("[decks.c]\nsubdecks = false", "[decks.c]\nsubdecks = true", [false, false, true]),
        ("name = \"A\"", "name = \"B\"", [true, false, false]),
        ("description = \"d\"", "description = \"e\"", [true, false, false]),
        ("description = \"d\"", "", [true, false, false]),
        ("html = false\n", "html = false\nnotetype = \"basic\"\n", [false, false, false]),
        ("html = false\n", "html = false\nnotetype = \"cloze\"\n", [true, false, false]),
        ("\"Meaning\"", "\"Meanings\"", [false, true, false]),
        ("\"Word\", \"Meaning\"", "\"Meaning\", \"Word\"", [false, true, false]),
        ("styles/vocab.css", "styles/other.css", [false, true, false]),
        ("templates/front.html", "templates/other.html", [false, true, false]),
        ("name = \"Recognise\"", "name = \"Recognize\"", [false, true, false]),
        ("fields", "kind = \"cloze\"\nfields", [false, true, false]),
        // The same settings written differently.
        ("./templates/back.html", "templates/../templates/back.html", [false, false, false]),
    ];
    for (from, to, changed) in edits {
        assert!(base.contains(from), "{from:?}");
        let new = digests(&base.replacen(from, to, 1));
        assert_eq!([0, 1, 2].map(|i| old[i] != new[i]), *changed, "{from:?} -> {to:?}");
    }
    // The digest is of the settings, not of addresses or order in memory: stable across runs.
    assert_eq!(digests(&base), old);
    assert_eq!(settings("").for_deck("a").digest(), DeckSettings::default().digest());
}

#[test]
fn a_deck_table_without_its_file_is_a_warning_at_its_line() {
    let s = settings("[decks.histroy]\nname = \"H\"\n\n[decks.chemistry]\n");
    let warnings: Vec<String> =
        s.warnings(&["history", "chemistry"]).iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("unused_deck_table", warnings.join("\n"));
}

#[test]
fn an_unknown_key_is_named_with_its_line_and_the_known_keys() {
    insta::assert_snapshot!("unknown_key_defaults", error("[defaults]\ntags = []\nnotetyp = \"basic\"\n"));
    insta::assert_snapshot!(
        "unknown_key_template",
        error(&format!(
            "{VOCAB}\n[notetypes.other]\nfields = [\"A\"]\ntemplates = [{{ name = \"a\", front = \"f\", back = \"b\", colour = 1 }}]\n"
        ))
    );
    assert_eq!(problem("[decks.x]\nname = \"A\"\n[sources]\n"), Problem::UnknownKey);
    insta::assert_snapshot!("name_in_defaults", error("[defaults]\nname = \"All\"\n"));
}

#[test]
fn a_value_of_the_wrong_type_is_named_with_its_key() {
    insta::assert_snapshot!("bad_type_bool", error("[decks.history]\nsubdecks = \"yes\"\n"));
    insta::assert_snapshot!("bad_type_tag", error("[defaults]\ntags = [\"a\", 2]\n"));
    insta::assert_snapshot!("missing_fields", error("[notetypes.vocab]\nfields = [\"Word\"]\n"));
    insta::assert_snapshot!("not_a_table", error("[decks]\nhistory = \"History\"\n"));
}

#[test]
fn bad_values_are_errors_at_their_key() {
    insta::assert_snapshot!("tag_with_space", error("[defaults]\ntags = [\"world war\"]\n"));
    insta::assert_snapshot!("empty_deck_name_part", error("[decks.a]\nname = \"History::\"\n"));
    assert_eq!(problem("[decks.a]\nname = \" default \"\n"), Problem::BadValue);
    // Anki drops ASCII control characters from deck names (checked with Anki's backend).
    assert_eq!(problem("[decks.a]\nname = \"History\\tModern\"\n"), Problem::BadValue);
    assert_eq!(problem("[decks.a]\nname = \"History\\u007f\"\n"), Problem::BadValue);
    assert_eq!(
        settings("[decks.a]\nname = \"History :: Stalin \"\n").for_deck("a").name.as_deref(),
        Some("History::Stalin")
    );
    insta::assert_snapshot!("dotted_stem", error("[decks.my.deck]\nname = \"My deck\"\n"));
    insta::assert_snapshot!("duplicate_field", error(&VOCAB.replace("\"Meaning\"", "\"word\"")));
    insta::assert_snapshot!("field_name_anki_renames", error(&VOCAB.replace("\"Meaning\"", "\"#Meaning\"")));
    assert_eq!(problem(&VOCAB.replace("\"Meaning\"", "\"Mean:ing\"")), Problem::BadValue);
    assert_eq!(problem(&VOCAB.replace("\"Meaning\"", "\" Meaning\"")), Problem::BadValue);
    assert_eq!(problem(&VOCAB.replace("\"Recognise\"", "\"Re\\\"cognise\"")), Problem::BadValue);
    assert_eq!(problem("[defaults]\ntags = [\"a::\"]\n"), Problem::BadValue);
    assert!(parse("[defaults]\ntags = [\"a::b\", \"#x\"]\n").is_ok());
    assert!(parse(&VOCAB.replace("\"Meaning\"", "\"Mea#n/ing^\"")).is_ok());
    insta::assert_snapshot!(
        "builtin_name_taken",
        error("[notetypes.Basic]\nfields = [\"A\"]\ntemplates = []\n")
    );
    let two = VOCAB
        .replace("fields", "kind = \"cloze\"\nfields")
        .replace("}]", "}, { name = \"b\", front = \"f\", back = \"b\" }]");
    insta::assert_snapshot!("cloze_two_templates", error(&two));
}

#[test]
fn an_unknown_notetype_is_an_error_with_the_known_ones() {
    insta::assert_snapshot!(
        "unknown_notetype_near",
        error(&format!("{VOCAB}\n[decks.words]\nnotetype = \"vocabs\"\n"))
    );
    insta::assert_snapshot!("unknown_notetype_far", error("[defaults]\nnotetype = \"flashcard\"\n"));
}

#[test]
fn a_path_leaving_the_project_or_absolute_is_an_error() {
    insta::assert_snapshot!(
        "path_leaves_project",
        error(&VOCAB.replace("styles/vocab.css", "../shared/vocab.css"))
    );
    assert_eq!(problem(&VOCAB.replace("styles/vocab.css", "/etc/vocab.css")), Problem::BadPath);
    assert_eq!(problem(&VOCAB.replace("templates/front.html", "templates/../../f.html")), Problem::BadPath);
    assert_eq!(problem(&VOCAB.replace("styles/vocab.css", "styles\\\\vocab.css")), Problem::BadPath);
    assert_eq!(problem(&VOCAB.replace("styles/vocab.css", "./")), Problem::BadPath);
    // Inside the project after all: `a/../b` is `b`.
    assert!(parse(&VOCAB.replace("styles/vocab.css", "styles/../vocab.css")).is_ok());
}

#[test]
fn of_several_bad_values_the_first_in_the_file_is_reported() {
    // Note types are checked before decks, and tables by name: the order of the file wins.
    let text = format!(
        "[decks.b]\nnotetype = \"nope\"\n[decks.a]\ntags = [\"a b\"]\n{}",
        VOCAB.replace("styles/", "../")
    );
    assert!(matches!(parse(&text), Err(SettingsError::Invalid { at: Position { line: 2, .. }, .. })));
    // A deck using a note type whose table is wrong: the table's error, not "unknown note type".
    let text = format!("[decks.b]\nnotetype = \"vocab\"\n{}", VOCAB.replace("styles/", "../"));
    assert_eq!(problem(&text), Problem::BadPath);
}

#[test]
fn a_syntax_error_names_its_line() {
    insta::assert_snapshot!("syntax_error", error("[defaults]\ntags = [\"a\"\n"));
}

#[test]
fn a_file_that_is_not_utf8_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, b"[defaults]\ntags = [\"\xff\"]\n").unwrap();
    let err = Settings::load(&path).unwrap_err();
    assert!(err.is_input_error());
    assert!(matches!(err, SettingsError::Invalid { at: Position { line: 2, column: 10 }, .. }), "{err:?}");
}

#[test]
fn the_known_key_lists_are_the_schema() {
    // Every listed key is accepted by serde (an unlisted one would be caught as unknown first).
    let every = r#"
[defaults]
notetype = "basic"
tags = []
subdecks = false
html = false
assets = ["fonts/a.woff2"]
[decks.a]
notetype = "basic"
tags = []
subdecks = false
html = false
name = "A"
description = "d"
[notetypes.n]
kind = "cloze"
fields = ["Text"]
css = "c.css"
templates = [{ name = "Cloze", front = "f", back = "b" }]
"#;
    settings(every);
    for keys in
        [file::FILE_KEYS, file::DEFAULTS_KEYS, file::DECK_KEYS, file::NOTETYPE_KEYS, file::TEMPLATE_KEYS]
    {
        for k in keys {
            assert!(
                every.contains(&format!("{k} =")) || every.contains(&format!("[{k}.")) || *k == "defaults",
                "{k}"
            );
        }
    }
}
