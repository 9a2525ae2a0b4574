//! Which changed paths `ankideck watch` rebuilds for: everything under the project folder but
//! the folders ankideck, git and other tools write into (`out/`, `target/`, `.git/`, …) and the
//! temporary, swap and backup files editors make while saving. A path this lets through only
//! costs a build that finds every deck up to date; one it drops is an edit not shown, so the
//! patterns are the well-known ones and nothing broader.

use std::path::{Component, Path};

/// Folders never watched, at any depth: version control, build outputs, dependencies.
const IGNORED_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj", "target", "node_modules", "__pycache__"];

/// Whether a folder name (a direct child of the project folder, or deeper) is never watched.
pub fn is_ignored_dir(name: &str) -> bool {
    IGNORED_DIRS.contains(&name)
}

/// Whether a file name is one an editor (or ankideck) writes while saving, not a file of the
/// project: vim's swap files (`.x.txt.swp`, `.swo`, …), its backups (`x.txt~`) and its write
/// test (`4913`), Emacs' lock and autosave files (`.#x.txt`, `#x.txt#`), JetBrains' safe-write
/// files (`x.txt___jb_tmp___`), gedit's (`.goutputstream-…`), Kate's (`.kate-swp`), Chrome's
/// (`.crswap`), macOS' `.DS_Store`, and `*.tmp` (ankideck's own `.ankideck-*.tmp` among them).
pub fn is_editor_file(name: &str) -> bool {
    let vim_swap = name.starts_with('.')
        && name.len() > 4
        && name.is_char_boundary(name.len() - 4)
        && is_vim_swap_suffix(&name[name.len() - 4..]);
    vim_swap
        || name.ends_with('~')
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.starts_with(".goutputstream-")
        || name.ends_with(".kate-swp")
        || name.ends_with(".crswap")
        || name == ".DS_Store"
        || name.ends_with(".tmp")
}

/// `.swp`, `.swo`, … : vim names its swap files `.sw` and a letter (`.swx` when it tries
/// whether it can make one).
fn is_vim_swap_suffix(suffix: &str) -> bool {
    let b = suffix.as_bytes();
    b.len() == 4 && &b[..3] == b".sw" && b[3].is_ascii_lowercase()
}

/// Whether a change of `path` (under `root`) matters: not in `out`, not in an ignored folder,
/// not an editor's file.
pub fn matters(path: &Path, root: &Path, out: &Path) -> bool {
    if path.starts_with(out) {
        return false;
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut components = rel.components().peekable();
    while let Some(component) = components.next() {
        let Component::Normal(name) = component else { continue };
        let Some(name) = name.to_str() else { continue };
        let last = components.peek().is_none();
        if (!last && is_ignored_dir(name)) || (last && (is_editor_file(name) || is_ignored_dir(name))) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editors_temporary_and_backup_files_do_not_matter() {
        for name in [
            ".deck.txt.swp",
            ".deck.txt.swo",
            ".deck.txt.swx",
            "deck.txt~",
            "4913",
            ".#deck.txt",
            "#deck.txt#",
            "deck.txt___jb_tmp___",
            "deck.txt___jb_old___",
            ".goutputstream-AB12CD",
            "deck.txt.kate-swp",
            "deck.txt.crswap",
            ".DS_Store",
            ".ankideck-x1y2.tmp",
        ] {
            assert!(is_editor_file(name), "{name} is an editor's file");
        }
    }

    #[test]
    fn deck_settings_and_media_files_matter() {
        for name in [
            "deck.txt",
            "deck.md",
            "2024.csv",
            "ankideck.toml",
            "ankideck.lock",
            ".swp.txt",
            "#tag.txt",
            "a.swz",
        ] {
            assert!(!is_editor_file(name), "{name} is a project file");
        }
    }

    #[test]
    fn out_and_ignored_folders_do_not_matter_anywhere_below_the_root() {
        let root = Path::new("/p");
        let out = Path::new("/p/out");
        assert!(matters(Path::new("/p/source-cards/a.txt"), root, out));
        assert!(matters(Path::new("/p/ankideck.toml"), root, out));
        assert!(matters(Path::new("/p/media/img/a.png"), root, out));
        assert!(!matters(Path::new("/p/out/a.apkg"), root, out));
        assert!(!matters(Path::new("/p/out"), root, out));
        assert!(!matters(Path::new("/p/.git/index"), root, out));
        assert!(!matters(Path::new("/p/.git"), root, out));
        assert!(!matters(Path::new("/p/media/node_modules/x.js"), root, out));
        assert!(!matters(Path::new("/p/target/debug/x"), root, out));
        assert!(!matters(Path::new("/p/source-cards/.a.txt.swp"), root, out));
    }
}
