//! Secrets (the app_key and the admin token): never flag values, since those show in `ps`. They
//! come from a file named by a flag (read at most 4 KiB) or from an environment variable, and
//! live in [`SecretString`]s that never print. Errors name the flag, never the value.

use std::path::Path;

use secrecy::SecretString;

use super::ConfigError;

/// The largest secret file read: a key or a token is a few dozen bytes, so a larger
/// file is a mistake (or `/dev/zero`), refused without reading it whole.
pub const MAX_SECRET_FILE_BYTES: u64 = 4096;
/// Reads a secret file, at most [`MAX_SECRET_FILE_BYTES`] of it: one byte more is enough to know
/// it is too large, whatever its size (a sparse 1 GiB file, `/dev/zero`). Errors name the flag and
/// the path, never the content.
pub(super) fn read_secret_file(
    flag: &'static str,
    path: &Path,
) -> Result<SecretString, ConfigError> {
    let unreadable = |reason: String| ConfigError::SecretFileUnreadable {
        flag,
        path: path.display().to_string(),
        reason,
    };
    let raw = crate::web::bounded::read_at_most(path, MAX_SECRET_FILE_BYTES)
        .map_err(|e| unreadable(crate::web::bounded::reason(&e)))?
        .ok_or_else(|| ConfigError::SecretFileTooLarge {
            flag,
            path: path.display().to_string(),
        })?;
    let raw = String::from_utf8(raw).map_err(|_| unreadable("not valid UTF-8".into()))?;
    validate_secret(flag, raw)
}

/// Trims one trailing newline (files written by `echo` or editors) and rejects what cannot be a
/// key. The error never contains the value.
pub(super) fn validate_secret(
    flag: &'static str,
    raw: String,
) -> Result<SecretString, ConfigError> {
    let value = raw
        .strip_suffix('\n')
        .map(|v| v.strip_suffix('\r').unwrap_or(v))
        .unwrap_or(&raw);
    if value.is_empty() {
        return Err(ConfigError::EmptySecret { flag });
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::MalformedSecret { flag });
    }
    Ok(SecretString::from(value.to_owned()))
}
