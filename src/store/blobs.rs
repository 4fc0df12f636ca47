//! Attachment bytes on disk, named by their SHA-256, so the same file received twice
//! is stored once and SQLite rows stay small.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The `attachments/` folder of a store.
#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    /// A blob store rooted at `dir` (created on first write).
    #[must_use]
    pub fn new(dir: PathBuf) -> Self {
        BlobStore { dir }
    }

    /// Where the bytes with this hash live: `ab/abcdef…`, two hex digits of fan-out so no
    /// folder grows to millions of entries.
    #[must_use]
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let fan = sha256.get(..2).unwrap_or("00");
        self.dir.join(fan).join(sha256)
    }

    /// Stores `bytes` and returns their hex SHA-256. The file is written to a temporary
    /// name, synced and renamed, so a crash never leaves a truncated file under a hash.
    ///
    /// # Errors
    /// Any I/O error (a full disk included).
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let mut shas = self.put_all(&[bytes])?;
        Ok(shas.pop().unwrap_or_default())
    }

    /// Stores every file of `files` and returns their hex SHA-256s, in order: each is
    /// written to a temporary name, then all are synced together, renamed, and the
    /// folders holding the new names synced. One sync per file, one after the other, cost
    /// a journal commit each (a 20,000-message first sync spent longer on them than on
    /// its SQL); synced together the file system folds them into a few commits.
    ///
    /// # Errors
    /// Any I/O error (a full disk included); the files already renamed stay (they are
    /// whole), temporary ones are removed.
    pub fn put_all(&self, files: &[&[u8]]) -> std::io::Result<Vec<String>> {
        let shas: Vec<String> = files.iter().map(|b| hex(&Sha256::digest(b))).collect();
        let mut pending: Vec<(PathBuf, PathBuf, std::fs::File)> = Vec::new();
        let result = (|| {
            for (bytes, sha) in files.iter().zip(&shas) {
                let path = self.path_of(sha);
                if path.exists() || pending.iter().any(|(_, p, _)| *p == path) {
                    continue;
                }
                let parent = path.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(parent)?;
                // Agents who are other Unix users read these files too (see `sharing`).
                let root = self.dir.parent().unwrap_or(Path::new("."));
                super::sharing::share_dir(&self.dir, root);
                super::sharing::share_dir(parent, root);
                let tmp = parent.join(format!(".{sha}.{}.tmp", std::process::id()));
                let mut file = std::fs::File::create(&tmp)?;
                super::sharing::share_file(&tmp, root);
                // Registered before writing, so a failed write still removes it.
                pending.push((tmp, path, file.try_clone()?));
                file.write_all(bytes)?;
            }
            sync_together(pending.iter().map(|(_, _, f)| f))?;
            let mut parents: Vec<&Path> = Vec::new();
            for (tmp, path, _) in &pending {
                std::fs::rename(tmp, path)?;
                if let Some(parent) = path.parent()
                    && !parents.contains(&parent)
                {
                    parents.push(parent);
                }
            }
            // The new names themselves must survive a power cut, not only the bytes.
            for parent in parents {
                std::fs::File::open(parent)?.sync_all()?;
            }
            Ok(())
        })();
        if result.is_err() {
            for (tmp, _, _) in &pending {
                let _ = std::fs::remove_file(tmp);
            }
        }
        result.map(|()| shas)
    }

    /// Reads the bytes stored under `sha256`.
    ///
    /// # Errors
    /// The file is missing or unreadable.
    pub fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path_of(sha256))
    }
}

/// Syncs files from a few threads at once: the file system then commits its journal
/// once for several of them instead of once each.
fn sync_together<'a>(files: impl Iterator<Item = &'a std::fs::File>) -> std::io::Result<()> {
    const THREADS: usize = 8;
    let files: Vec<&std::fs::File> = files.collect();
    if files.len() <= 1 {
        return files.iter().try_for_each(|f| f.sync_all());
    }
    let chunk = files.len().div_ceil(THREADS);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|group| scope.spawn(move || group.iter().try_for_each(|f| f.sync_all())))
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a file sync thread panicked")))
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn put_all_stores_each_content_once_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path().join("attachments"));
        let many: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 100 + usize::from(i)]).collect();
        let mut files: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        files.push(&many[3]);
        let shas = blobs.put_all(&files).unwrap();
        assert_eq!(shas.len(), 41);
        assert_eq!(shas[3], shas[40]);
        for (bytes, sha) in files.iter().zip(&shas) {
            assert_eq!(blobs.get(sha).unwrap(), *bytes);
        }
        let stored = files_under(&dir.path().join("attachments"));
        assert_eq!(stored.len(), 40, "{stored:?}");
        assert!(
            stored
                .iter()
                .all(|p| !p.to_string_lossy().ends_with(".tmp"))
        );
        // Stored again: nothing new, same names.
        assert_eq!(blobs.put_all(&files).unwrap(), shas);
        assert_eq!(blobs.put(&many[0]).unwrap(), shas[0]);
        assert_eq!(files_under(&dir.path().join("attachments")).len(), 40);
    }

    #[test]
    fn a_failed_put_leaves_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the fan-out folder must go: creating it fails.
        let root = dir.path().join("attachments");
        std::fs::create_dir_all(&root).unwrap();
        let sha = hex(&Sha256::digest(b"x"));
        std::fs::write(root.join(&sha[..2]), b"in the way").unwrap();
        let blobs = BlobStore::new(root.clone());
        assert!(blobs.put_all(&[b"y", b"x"]).is_err());
        let left: Vec<_> = files_under(&root)
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
