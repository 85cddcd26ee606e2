//! Files the web configuration reads (the file itself, certificates, keys, client CAs), read up
//! to [`MAX_FILE_BYTES`]: a path that names something without end (`/dev/zero`, or a symlink
//! swapped to it before a reload) is refused after one byte past the limit instead of filling
//! memory; and one that names a FIFO or a socket is refused at once ([`open`]), where opening it
//! would wait for a writer without end, holding a reload and every request that waits on it.

use std::io::{self, Read};
use std::path::Path;

/// The largest file read: 1 MiB, far above any real configuration, certificate chain or CA bundle.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;

/// The whole file at `path` if it is at most [`MAX_FILE_BYTES`]; a larger one is an
/// `InvalidData` error saying so.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    read_at_most(path, MAX_FILE_BYTES)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE_BYTES} bytes (1 MiB), not read"),
        )
    })
}

/// The bytes of the file at `path` ([`open`]ed without waiting), or `None` when it holds more
/// than `limit`: one byte past it is read, never the rest, whatever the file's size (a sparse
/// 1 GiB file, `/dev/zero`). Used for every file the exporter reads: the web configuration and
/// what it names, the secrets, `--config.file`.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// What to say of a failed read: the kind alone for the system's errors (never a path or a
/// value it might echo); ours (a FIFO) say what they refuse.
pub(crate) fn reason(error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::InvalidInput {
        error.to_string()
    } else {
        error.kind().to_string()
    }
}

/// Opens `path` for reading without waiting: a FIFO (or a socket) is refused, since reading one
/// waits for a writer that may never come. Opened non-blocking, so that even a FIFO swapped in
/// between a look and the open cannot hold it; regular files and devices read as usual.
pub(crate) fn open(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = file.metadata()?.file_type();
        if kind.is_fifo() || kind.is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a FIFO or a socket, not a file: not read",
            ));
        }
    }
    Ok(file)
}

/// [`read`], as UTF-8 text.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `bytes` in a directory of its own (the test removes it).
    fn file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "proxy911-web-bounded-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
        let path = file("limit", &vec![b'a'; MAX_FILE_BYTES as usize]);
        assert_eq!(read(&path).unwrap().len(), MAX_FILE_BYTES as usize);
        std::fs::write(&path, vec![b'a'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let refused = read(&path).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::InvalidData);
        assert!(refused.to_string().contains("1 MiB"), "{refused}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn dev_zero_is_refused_without_reading_past_the_limit() {
        let refused = read(Path::new("/dev/zero")).unwrap_err();
        assert!(refused.to_string().contains("larger than"), "{refused}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_as_text() {
        let path = file("utf8", &[0xff, 0xfe]);
        assert!(read_to_string(&path).is_err());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
