use super::*;

const PNG_A: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-a";
const PNG_B: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-b";
const MP3: &[u8] = b"ID3\x04\0\0\0\0\0\0sound";

/// A project folder with `source-cards/` and the files given (path relative to the project).
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("source-cards")).expect("source-cards");
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, bytes).expect("write");
    }
    dir
}

fn hex12(bytes: &[u8]) -> String {
    Sha1::digest(bytes)[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Rewrites one note of `fields` in a deck file of `root`'s `source-cards/`.
fn rewrite(root: &Path, resolver: &mut Resolver, fields: &[&str]) -> Result<Option<Note>, Vec<MediaError>> {
    let note = Note::new(fields, &["t"], 7);
    let cards = root.join("source-cards");
    resolver.note(&note, &cards, &cards.join("deck.txt"))
}

fn problem(root: &Path, field: &str) -> MediaError {
    let mut resolver = Resolver::new(root).expect("resolver");
    let mut errors = rewrite(root, &mut resolver, &[field, "back"]).expect_err("refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

#[test]
fn references_are_resolved_from_the_deck_files_folder_and_renamed_by_content() {
    let dir = project(&[("source-cards/img/1.png", PNG_A), ("source-cards/snd/a.mp3", MP3)]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    let note = rewrite(dir.path(), &mut resolver, &[r#"<img src="img/1.png">"#, "[sound:snd/a.mp3]"])
        .expect("packed")
        .expect("rewritten");
    let (png, mp3) = (format!("1-{}.png", hex12(PNG_A)), format!("a-{}.mp3", hex12(MP3)));
    assert_eq!(
        note.fields().collect::<Vec<_>>(),
        [format!(r#"<img src="{png}">"#), format!("[sound:{mp3}]")]
    );
    assert_eq!((note.tags_text(), note.line), ("t", 7));
    let files = resolver.into_files();
    assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), [png.as_str(), mp3.as_str()]);
    assert_eq!(files[0].source, "source-cards/img/1.png");
    assert_eq!((files[0].len, files[0].sha1), (PNG_A.len() as u64, <[u8; 20]>::from(Sha1::digest(PNG_A))));
}

#[test]
fn a_note_without_references_is_left_as_it_is() {
    let dir = project(&[]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    assert!(
        rewrite(dir.path(), &mut resolver, &["a<br>b &lt;img src=x.png&gt;", "http"]).expect("ok").is_none()
    );
    let remote = r#"<img src="https://example.org/x.png">"#;
    assert!(rewrite(dir.path(), &mut resolver, &[remote, ""]).expect("ok").is_none());
    assert!(resolver.into_files().is_empty());
}

#[test]
fn two_files_of_one_name_in_two_folders_both_survive_and_one_file_is_packed_once() {
    let dir = project(&[("source-cards/img/1.png", PNG_A), ("source-cards/other/1.png", PNG_B)]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    rewrite(dir.path(), &mut resolver, &[r#"<img src="img/1.png"><img src="other/1.png">"#, ""]).expect("ok");
    rewrite(dir.path(), &mut resolver, &[r#"<img src="./img/1.png">"#, ""]).expect("ok");
    let names: Vec<String> = resolver.into_files().into_iter().map(|f| f.name).collect();
    let mut expected = vec![format!("1-{}.png", hex12(PNG_A)), format!("1-{}.png", hex12(PNG_B))];
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn an_edited_file_gets_a_new_name() {
    let dir = project(&[("source-cards/1.png", PNG_A)]);
    let name = |dir: &Path| {
        let mut resolver = Resolver::new(dir).expect("resolver");
        rewrite(dir, &mut resolver, &[r#"<img src="1.png">"#, ""])
            .expect("ok")
            .expect("rewritten")
            .field(0)
            .to_string()
    };
    let before = name(dir.path());
    std::fs::write(dir.path().join("source-cards/1.png"), PNG_B).expect("edit");
    assert_ne!(before, name(dir.path()));
}

#[test]
fn names_with_ampersands_and_spaces_are_escaped_in_the_html() {
    let dir = project(&[("source-cards/a b&c.png", PNG_A), ("source-cards/d&e f.mp3", MP3)]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    // In HTML the `&` of a name is written `&amp;`; an unquoted value gets quotes for the space.
    let fields = [r#"<img src="a b&amp;c.png">"#, "[sound:d&amp;e f.mp3]"];
    let note = rewrite(dir.path(), &mut resolver, &fields).expect("ok").expect("rewritten");
    let (png, mp3) = (hex12(PNG_A), hex12(MP3));
    assert_eq!(note.field(0), format!(r#"<img src="a b&amp;c-{png}.png">"#));
    assert_eq!(note.field(1), format!("[sound:d&amp;e f-{mp3}.mp3]"));
    // Anki reads the references back as the packed names.
    let names: Vec<String> = references(note.flds()).iter().map(|r| r.name(note.flds())).collect();
    assert_eq!(names, [format!("a b&c-{png}.png"), format!("d&e f-{mp3}.mp3")]);
}

#[test]
fn a_path_leaving_the_project_is_refused() {
    let outside = project(&[("secret.png", PNG_A)]);
    let dir = project(&[]);
    let escape = format!("../../{}/secret.png", outside.path().file_name().expect("name").to_string_lossy());
    let error = problem(dir.path(), &format!(r#"<img src="{escape}">"#));
    assert!(matches!(error.problem, Problem::Outside { .. }), "{error}");
    assert!(error.to_string().contains(&escape), "{error}");
}

#[test]
fn a_file_longer_than_the_sniffed_head_is_named_and_measured_by_all_its_bytes() {
    let mut long = PNG_A.to_vec();
    long.resize(3 * SNIFFED + 17, b'x');
    let mut edited = long.clone();
    *edited.last_mut().unwrap() = b'y';
    let dir = project(&[("source-cards/long.png", &long), ("source-cards/edited.png", &edited)]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    rewrite(dir.path(), &mut resolver, &[r#"<img src="long.png"><img src="edited.png">"#, ""]).expect("ok");
    let files = resolver.into_files();
    assert_eq!(
        files.iter().map(|f| (f.name.clone(), f.len, f.sha1)).collect::<Vec<_>>(),
        [
            (format!("edited-{}.png", hex12(&edited)), edited.len() as u64, Sha1::digest(&edited).into()),
            (format!("long-{}.png", hex12(&long)), long.len() as u64, Sha1::digest(&long).into()),
        ]
    );
}

#[test]
fn a_missing_file_outside_the_project_is_refused_as_outside_not_looked_for() {
    let dir = project(&[]);
    let error = problem(dir.path(), r#"<img src="../../etc/passwd">"#);
    assert!(matches!(error.problem, Problem::Outside { .. }), "{error}");
    // A missing file named through a folder that is there, inside, is still missing.
    let error = problem(dir.path(), r#"<img src="../source-cards/gone.png">"#);
    assert!(matches!(error.problem, Problem::Missing { .. }), "{error}");
}

#[test]
fn an_absolute_path_is_refused_even_inside_the_project() {
    let dir = project(&[("source-cards/1.png", PNG_A)]);
    let absolute = dir.path().join("source-cards/1.png");
    let error = problem(dir.path(), &format!("[sound:{}]", absolute.display()));
    assert!(matches!(error.problem, Problem::Absolute { .. }), "{error}");
    let error = problem(dir.path(), r#"<img src="/etc/passwd">"#);
    assert!(matches!(error.problem, Problem::Absolute { .. }), "{error}");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_to_a_file_outside_is_refused_and_one_inside_is_followed() {
    let outside = project(&[("secret.png", PNG_A)]);
    let dir = project(&[("media/in.png", PNG_B)]);
    std::os::unix::fs::symlink(outside.path().join("secret.png"), dir.path().join("source-cards/out.png"))
        .expect("link");
    std::os::unix::fs::symlink(dir.path().join("media/in.png"), dir.path().join("source-cards/in.png"))
        .expect("link");
    let error = problem(dir.path(), r#"<img src="out.png">"#);
    assert!(matches!(error.problem, Problem::Outside { .. }), "{error}");
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    rewrite(dir.path(), &mut resolver, &[r#"<img src="in.png">"#, ""]).expect("inside").expect("rewritten");
    assert_eq!(resolver.into_files()[0].source, "media/in.png");
}

#[test]
fn a_missing_file_is_an_error_naming_deck_line_and_reference() {
    let dir = project(&[]);
    let error = problem(dir.path(), "[sound:nope.mp3]");
    assert!(matches!(error.problem, Problem::Missing { .. }), "{error}");
    assert!(error.problem.is_input_error());
    let text = error.to_string();
    assert!(text.contains("deck.txt:7:") && text.contains("`nope.mp3`"), "{text}");
}

#[test]
fn a_file_that_is_not_media_is_refused_whatever_its_name() {
    let dir = project(&[("source-cards/notes.png", b"just text"), ("source-cards/sub/x.png", PNG_A)]);
    let error = problem(dir.path(), r#"<img src="notes.png">"#);
    assert!(matches!(error.problem, Problem::NotMedia { .. }), "{error}");
    let error = problem(dir.path(), r#"<img src="sub">"#);
    assert!(matches!(error.problem, Problem::NotMedia { .. }), "{error}");
}

#[test]
fn an_image_in_a_sound_tag_is_refused() {
    let dir = project(&[("source-cards/1.png", PNG_A), ("source-cards/a.mp3", MP3)]);
    let error = problem(dir.path(), "[sound:1.png]");
    assert!(matches!(error.problem, Problem::WrongKind { found: Kind::Image, .. }), "{error}");
    let error = problem(dir.path(), "<img src=a.mp3>");
    assert!(matches!(error.problem, Problem::WrongKind { found: Kind::Audio, .. }), "{error}");
}

#[test]
fn every_bad_reference_of_a_note_is_reported() {
    let dir = project(&[]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    let errors =
        rewrite(dir.path(), &mut resolver, &["[sound:a.mp3]", r#"<img src="/b.png">"#]).expect_err("refused");
    assert_eq!(errors.len(), 2);
}

#[test]
fn one_file_named_by_two_paths_is_packed_once_and_both_paths_are_kept() {
    let dir = project(&[("source-cards/a/1.png", PNG_A), ("source-cards/b/1.png", PNG_A)]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    rewrite(dir.path(), &mut resolver, &[r#"<img src="a/1.png"><img src="b/1.png">"#, ""]).expect("ok");
    let packed = resolver.into_packed();
    assert_eq!(packed.files.len(), 1);
    // As the references name them, relative to the deck file's folder.
    let sha1: [u8; 20] = Sha1::digest(PNG_A).into();
    assert_eq!(packed.named, [("a/1.png".into(), sha1), ("b/1.png".into(), sha1)]);
}

#[test]
fn a_rewritten_note_keeps_its_pinned_guid_tags_and_line() {
    let dir = project(&[("source-cards/1.png", PNG_A)]);
    let mut resolver = Resolver::new(dir.path()).expect("resolver");
    let note = Note::new(&[r#"<img src="1.png">"#, "b"], &["t"], 9).with_pinned("Ab1".into());
    let cards = dir.path().join("source-cards");
    let packed = resolver.note(&note, &cards, &cards.join("deck.txt")).expect("ok").expect("rewritten");
    assert_eq!((packed.pinned(), packed.tags_text(), packed.line), (Some("Ab1"), "t", 9));
}
