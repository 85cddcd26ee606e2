//! Telling cheaply whether the web configuration changed since it was loaded: the file itself,
//! and the files it names that are read only when it is loaded (the client CA; the server's
//! certificate pair is checked at every handshake by `certs`). exporter-toolkit reads all of
//! them again for every connection; here one `stat` per file tells whether anything may have
//! changed, and only then are the contents read and compared.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ring::digest::{Context, SHA256};

/// Size and modification time of one file (`None` while it cannot be read).
type Stamp = Option<(u64, Option<SystemTime>)>;

/// How recent a modification time must be for an unchanged stamp to prove nothing: file times
/// are coarse (a few milliseconds), so two writes of the same length within one tick look alike
/// (git's "racily clean" entries). Within this window the contents are compared instead.
const RACY: Duration = Duration::from_secs(2);

/// What the files looked like when last read.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The web config file first, then the files it names that are read at load.
    files: Vec<PathBuf>,
    stamps: Vec<Stamp>,
    /// Digest of the contents in force: a touched file that did not change is not reloaded.
    loaded: Option<[u8; 32]>,
    /// Digest of contents that failed (logged once; not retried until they change).
    failed: Option<[u8; 32]>,
    /// The stamps at which the file could not be read at all (a FIFO, say): logged once, until
    /// they change.
    unreadable: Option<Vec<Stamp>>,
}

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

impl Seen {
    fn stamps_now(&self) -> Vec<Stamp> {
        self.files.iter().map(|f| stamp(f)).collect()
    }

    /// Whether any file may differ from what was recorded (one `stat` each).
    pub(crate) fn may_have_changed(&self) -> bool {
        let now = self.stamps_now();
        if now != self.stamps {
            return true;
        }
        now.iter().flatten().any(|(_, modified)| {
            modified.is_some_and(|m| m.elapsed().map_or(true, |age| age < RACY))
        })
    }

    /// Records the files' stamps as they are now (before reading them: a write after this is
    /// seen at the next check).
    pub(crate) fn restamp(&mut self) {
        self.stamps = self.stamps_now();
    }

    /// The digest of `config` (the web config's text) and of the other files as they are now.
    pub(crate) fn digest(&self, config: &str) -> Option<[u8; 32]> {
        let mut context = Context::new(&SHA256);
        context.update(&(config.len() as u64).to_be_bytes());
        context.update(config.as_bytes());
        for file in self.files.iter().skip(1) {
            match super::bounded::read(file) {
                Ok(bytes) => {
                    context.update(&(bytes.len() as u64).to_be_bytes());
                    context.update(&bytes);
                }
                Err(_) => context.update(&u64::MAX.to_be_bytes()),
            }
        }
        context.finish().as_ref().try_into().ok()
    }

    /// Whether `digest` is what is in force, or what already failed.
    pub fn known(&self, digest: Option<[u8; 32]>) -> bool {
        digest == self.loaded || digest == self.failed
    }

    /// `config` (with `text`) is now in force, naming `watched`.
    pub fn loaded(&mut self, config: &Path, text: &str, watched: Vec<PathBuf>) {
        self.files = std::iter::once(config.to_path_buf())
            .chain(watched)
            .collect();
        self.restamp();
        self.loaded = self.digest(text);
        self.failed = None;
        self.unreadable = None;
    }

    pub fn failed(&mut self, digest: Option<[u8; 32]>) {
        self.failed = digest;
    }

    /// The file, as stamped now, could not be read: whether that is news (to log once) rather
    /// than the same failure again (a file changed within the last seconds is looked at on every
    /// request, since its stamp alone proves nothing).
    pub(crate) fn unreadable(&mut self) -> bool {
        let news = self.unreadable.as_ref() != Some(&self.stamps);
        self.unreadable = Some(self.stamps.clone());
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_a_watched_file_is_seen_and_changes_the_digest() {
        let dir = std::env::temp_dir().join(format!("proxy911-changes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (config, ca) = (dir.join("web.yml"), dir.join("ca.pem"));
        std::fs::write(&config, "x").unwrap();
        std::fs::write(&ca, "one").unwrap();
        let mut seen = Seen::default();
        seen.loaded(&config, "x", vec![ca.clone()]);
        let before = seen.digest("x");
        assert!(seen.known(before));

        std::fs::write(&ca, "two, longer").unwrap();
        assert!(seen.may_have_changed());
        assert!(!seen.known(seen.digest("x")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
