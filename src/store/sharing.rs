//! One data directory shared by several Unix users: agents who each log in over SSH with
//! their own account, and `comptoir serve` running as a service user, all in one group.
//!
//! The rule is the data directory's own mode. Created by an administrator as
//! `install -d -m 2770 -g shop /srv/comptoir` (group-writable, setgid so every file made
//! in it belongs to the group), comptoir makes what it creates there usable by the group
//! whatever each user's umask: the store file 0660 (SQLite gives its `-wal` and `-shm`
//! files the store file's mode), the serve lock 0660, `attachments/` and its fan-out
//! folders 2770, attachment files 0660. In a directory the group cannot write (the
//! default, a single user), the store stays 0600 as before.

use std::path::Path;

/// Whether `dir` is shared with a group: it is group-writable.
#[must_use]
pub fn is_shared(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o070 == 0o070)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

/// The mode of a file comptoir creates in `dir`: the group's too when it is shared.
#[must_use]
pub fn file_mode(dir: &Path) -> u32 {
    if is_shared(dir) { 0o660 } else { 0o600 }
}

/// Gives a file comptoir just created in a shared `dir` to the group (0660); does
/// nothing in a private one. A failure (a file another user owns) is logged: the file
/// works for its owner, and the README says how to fix the modes by hand.
pub fn share_file(path: &Path, dir: &Path) {
    if is_shared(dir) {
        set_mode(path, 0o660);
    }
}

/// Gives a folder comptoir just created under a shared `root` to the group (2770, so
/// what is made in it belongs to the group too).
pub fn share_dir(path: &Path, root: &Path) {
    if is_shared(root) {
        set_mode(path, 0o2770);
    }
}

/// Sets a file's mode, logging a failure.
pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o7777);
        if current.is_ok_and(|m| m == mode) {
            return;
        }
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot set the file's mode");
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use super::*;
    use crate::store::Store;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_group_writable_data_dir_gets_group_files_and_a_private_one_stays_private() {
        let top = tempfile::tempdir().unwrap();
        let shared = top.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o2770)).unwrap();
        let store_file = shared.join("store.sqlite");
        let mut store = Store::open(&store_file).unwrap();
        store.ensure_agent("Camille").unwrap();
        let sha = store.blobs().put(b"a photo").unwrap();
        let blob = store.blobs().path_of(&sha);
        let wal = shared.join("store.sqlite-wal");
        let shm = shared.join("store.sqlite-shm");
        for file in [&store_file, &wal, &shm, &blob] {
            assert_eq!(mode(file), 0o660, "{}", file.display());
        }
        let fan = blob.parent().unwrap();
        for dir in [&shared.join("attachments"), &fan.to_path_buf()] {
            assert_eq!(mode(dir) & 0o2070, 0o2070, "{}", dir.display());
        }
        // setgid: everything belongs to the data dir's group.
        let group = std::fs::metadata(&shared).unwrap().gid();
        assert_eq!(std::fs::metadata(&blob).unwrap().gid(), group);
        drop(store);

        let private = top.path().join("private");
        let store_file = private.join("store.sqlite");
        let mut store = Store::open(&store_file).unwrap();
        store.ensure_agent("Camille").unwrap();
        assert_eq!(mode(&store_file), 0o600);
        assert_eq!(mode(&private.join("store.sqlite-wal")), 0o600);
    }
}
