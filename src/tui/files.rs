//! Files the agent asks for (attachments, a dead letter's raw bytes): written under a
//! name that cannot leave the chosen directory, and never over a file that is there.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::tui::text;

/// The longest file name written, in bytes: under the 255 most file systems allow, with
/// room for a `-999` suffix.
const MAX_NAME_BYTES: usize = 200;

/// How many numbered names are tried before giving up (`name-1.ext` … `name-999.ext`).
const MAX_SUFFIX: u32 = 999;

/// A file name made from an untrusted one: no escape sequences or control or bidi
/// characters, no path separators, no leading dots (no hidden files, no `..`), at most
/// [`MAX_NAME_BYTES`] bytes with the extension kept. `fallback` when nothing is left.
#[must_use]
pub fn safe_name(untrusted: &str, fallback: &str) -> String {
    let clean = text::clean_line(untrusted);
    let replaced: String = clean
        .as_str()
        .chars()
        .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
        .collect();
    let trimmed = replaced
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return fallback.to_owned();
    }
    if trimmed.len() <= MAX_NAME_BYTES {
        return trimmed.to_owned();
    }
    let (stem, ext) = split_ext(trimmed);
    let ext = if ext.len() <= 16 { ext } else { "" };
    let mut cut = MAX_NAME_BYTES - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

/// `("invoice", ".pdf")`; a name whose only dot leads has no extension.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// Writes `bytes` to a new file and returns its path. `target` is a directory (the
/// file is named `name` there) or a file path; `None` means `default_dir`. When the
/// name is taken, `-1`, `-2`… go before the extension: an existing file is never
/// replaced, even one created a moment ago by someone else (the file is created with
/// `O_EXCL`). The file is private to the agent (mode 0600): it is customer data.
///
/// # Errors
/// The directory is missing or unwritable, the disk is full, or every numbered name is
/// taken.
pub fn save_new(
    target: Option<&Path>,
    default_dir: &Path,
    name: &str,
    bytes: &[u8],
) -> io::Result<PathBuf> {
    let (dir, name) = match target {
        None => (default_dir.to_path_buf(), name.to_owned()),
        Some(p) if p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/') => {
            (p.to_path_buf(), name.to_owned())
        }
        Some(p) => {
            let file = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
            let parent = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            (parent, file)
        }
    };
    let (stem, ext) = split_ext(&name);
    for n in 0..=MAX_SUFFIX {
        let candidate = if n == 0 {
            name.clone()
        } else {
            format!("{stem}-{n}{ext}")
        };
        let path = dir.join(&candidate);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                if let Err(e) = written {
                    // A half-written file would pass for the real one later.
                    drop(file);
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{name} and {MAX_SUFFIX} numbered copies exist already"),
    ))
}

/// A path as the agent typed it, with a leading `~/` meaning their home directory, as in
/// a shell (the command line has no shell to expand it).
#[must_use]
pub fn typed_path(typed: &str) -> PathBuf {
    match (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ if typed == "~" => std::env::var_os("HOME").map_or_else(|| typed.into(), PathBuf::from),
        _ => PathBuf::from(typed),
    }
}

/// A size in the unit that reads best: `512 B`, `12 KB`, `3.4 MB`.
#[must_use]
pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_024 => format!("{bytes} B"),
        1_024..1_048_576 => format!("{} KB", bytes / 1_024),
        #[allow(
            clippy::cast_precision_loss,
            reason = "one decimal of megabytes needs no more precision"
        )]
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_hide_or_drive_the_terminal() {
        assert_eq!(safe_name("invoice.pdf", "x"), "invoice.pdf");
        assert_eq!(safe_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(safe_name("..", "attachment-1"), "attachment-1");
        assert_eq!(safe_name(".bashrc", "x"), "bashrc");
        assert_eq!(safe_name("a\\b", "x"), "a_b");
        assert_eq!(safe_name("\u{1b}]0;pwned\u{7}doc.txt", "x"), "doc.txt");
        assert_eq!(safe_name("gpj\u{202e}.exe", "x"), "gpj.exe");
        assert_eq!(safe_name("   ", "attachment-2"), "attachment-2");
        let long = format!("{}.pdf", "é".repeat(300));
        let cut = safe_name(&long, "x");
        assert!(
            cut.len() <= MAX_NAME_BYTES && cut.ends_with(".pdf"),
            "{cut}"
        );
    }

    #[test]
    fn saving_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let first = save_new(None, dir.path(), "a.txt", b"one").unwrap();
        let second = save_new(Some(dir.path()), dir.path(), "a.txt", b"two").unwrap();
        let third = save_new(Some(&first), dir.path(), "ignored", b"three").unwrap();
        assert_eq!(first, dir.path().join("a.txt"));
        assert_eq!(second, dir.path().join("a-1.txt"));
        assert_eq!(third, dir.path().join("a-2.txt"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read(&third).unwrap(), b"three");
        let missing = dir.path().join("nope/");
        assert!(save_new(Some(&missing), dir.path(), "a.txt", b"x").is_err());
    }

    #[test]
    fn a_leading_tilde_is_home() {
        let home = PathBuf::from(std::env::var_os("HOME").unwrap());
        assert_eq!(typed_path("~/Downloads"), home.join("Downloads"));
        assert_eq!(typed_path("~"), home);
        assert_eq!(typed_path("a/~/b"), PathBuf::from("a/~/b"));
        assert_eq!(typed_path("~bob/x"), PathBuf::from("~bob/x"));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(12 * 1024 + 5), "12 KB");
        assert_eq!(human_size(3 * 1_048_576 + 400_000), "3.4 MB");
    }
}
