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
        let sha = hex(&Sha256::digest(bytes));
        let path = self.path_of(&sha);
        if path.exists() {
            return Ok(sha);
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".{sha}.{}.tmp", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        Ok(sha)
    }

    /// Reads the bytes stored under `sha256`.
    ///
    /// # Errors
    /// The file is missing or unreadable.
    pub fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path_of(sha256))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
