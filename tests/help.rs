//! The help texts of the installed binary, as insta snapshots: a change to any of them shows up
//! in review. They are rendered 100 columns wide, as on a terminal of that width or wider.

use std::process::Command;

/// The help printed by `ankideck <args>` (stdout; it exits 0).
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .expect("run ankideck");
    assert!(out.status.success(), "ankideck {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "help goes to stdout only");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

#[test]
fn short_help_is_one_line_per_command() {
    insta::assert_snapshot!("top_short", help(&["-h"]));
}

#[test]
fn long_help_says_what_a_deck_is_where_outputs_go_and_the_exit_codes() {
    insta::assert_snapshot!("top_long", help(&["--help"]));
}

#[test]
fn build_short_help_is_one_line_per_flag() {
    insta::assert_snapshot!("build_short", help(&["build", "-h"]));
}

#[test]
fn build_long_help_ends_with_examples() {
    insta::assert_snapshot!("build_long", help(&["build", "--help"]));
}

#[test]
fn check_help() {
    insta::assert_snapshot!("check_long", help(&["check", "--help"]));
}

#[test]
fn dump_help() {
    insta::assert_snapshot!("dump_long", help(&["dump", "--help"]));
}

#[test]
fn watch_help() {
    insta::assert_snapshot!("watch_long", help(&["watch", "--help"]));
}

/// The installed binary has no README beside it: its help must not send the user there.
#[test]
fn no_help_text_points_to_the_readme() {
    for args in [
        &["-h"][..],
        &["--help"],
        &["build", "--help"],
        &["check", "--help"],
        &["dump", "--help"],
        &["watch", "--help"],
    ] {
        let text = help(args);
        assert!(!text.contains("README"), "ankideck {args:?} mentions the README:\n{text}");
    }
}

/// Each value of `--compression` is described once, and `fast`'s description starts by saying it
/// is the default (it used to end with "than `small` (the default)", which read as `small`).
#[test]
fn compression_help_names_fast_as_the_default() {
    let text = help(&["build", "--help"]);
    let values: Vec<&str> = text.lines().map(str::trim_start).filter(|l| l.starts_with("- ")).collect();
    assert_eq!(values.len(), 3, "{values:?}");
    assert!(values[0].starts_with("- fast:  The default:"), "{values:?}");
    assert!(values[1..].iter().all(|l| !l.contains("default")), "{values:?}");
    assert!(text.contains("[default: fast]"));
}
