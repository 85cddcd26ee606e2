//! `--config.file`: the targets of a multi-target exporter, one 911Proxy account (app_key) each,
//! read strictly. An unknown key, a value of the wrong kind, a bad name or an unreadable secret
//! file is refused with one line naming the file, the line and the dotted key; nothing of a
//! secret's content ever reaches a message. Relative paths resolve against the file's folder.
//!
//! ```yaml
//! targets:
//!   team-a:
//!     app_key_file: keys/team-a
//!     api_url: https://api.911proxy.com   # optional, default --api.url
//!     rate_limit: 2                       # optional, default --api.rate-limit
//!     rate_burst: 10                      # optional, default --api.rate-burst
//!     timeout: 10s                        # optional, default --api.timeout
//!     cache_ttl: 60s                      # optional, default --cache.ttl
//!     collectors: [accounts, packages]    # optional, default: the flags
//!     admin_token_file: tokens/team-a     # optional: a token that manages this target only
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{parse, secret, ConfigError};
use crate::collector::CollectorId;
use crate::web::bounded;

/// The longest config file read: far above any real one, and a bound on what `/dev/zero` costs.
pub(crate) const MAX_CONFIG_FILE_BYTES: u64 = 1 << 20;

/// A target's name: `[a-z0-9][a-z0-9_.-]{0,62}`, safe in a URL path, a query and a log line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetName(String);

impl TargetName {
    pub fn parse(name: &str) -> Result<TargetName, String> {
        let bytes = name.as_bytes();
        let first_ok = bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(b));
        if first_ok && rest_ok && bytes.len() <= 63 {
            Ok(TargetName(name.to_owned()))
        } else {
            Err(
                "a target name is 1 to 63 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or digit"
                    .into(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TargetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TargetName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        TargetName::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// One target as the file gives it, secrets loaded. What is `None` follows the flags.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    pub app_key: SecretString,
    pub api_url: Option<reqwest::Url>,
    pub rate_limit: Option<f64>,
    pub rate_burst: Option<u32>,
    pub timeout: Option<Duration>,
    pub cache_ttl: Option<Duration>,
    pub collectors: Option<Vec<CollectorId>>,
    pub admin_token: Option<SecretString>,
}

impl PartialEq for TargetSettings {
    /// Equal when a running target can be kept as it is: same key, token and settings.
    fn eq(&self, other: &Self) -> bool {
        let same_secret =
            |a: &SecretString, b: &SecretString| a.expose_secret() == b.expose_secret();
        same_secret(&self.app_key, &other.app_key)
            && match (&self.admin_token, &other.admin_token) {
                (Some(a), Some(b)) => same_secret(a, b),
                (None, None) => true,
                _ => false,
            }
            && self.api_url == other.api_url
            && self.rate_limit == other.rate_limit
            && self.rate_burst == other.rate_burst
            && self.timeout == other.timeout
            && self.cache_ttl == other.cache_ttl
            && self.collectors == other.collectors
    }
}

/// The checked file.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetsFile {
    pub targets: BTreeMap<TargetName, TargetSettings>,
}

/// Why the file was refused: one line naming the file, the line (when known) and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetsFileError {
    #[error("--config.file: cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("--config.file {path}: {}{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), key_prefix(key))]
    Invalid {
        path: String,
        line: Option<usize>,
        /// The dotted key, e.g. `targets.team-a.rate_limit` (empty for broken YAML).
        key: String,
        message: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() || key == "." {
        String::new()
    } else {
        format!("{key}: ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    targets: BTreeMap<TargetName, RawTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    app_key_file: PathBuf,
    #[serde(default, deserialize_with = "api_url")]
    api_url: Option<reqwest::Url>,
    #[serde(default, deserialize_with = "rate")]
    rate_limit: Option<f64>,
    #[serde(default, deserialize_with = "burst")]
    rate_burst: Option<u32>,
    #[serde(default, deserialize_with = "positive_duration")]
    timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    cache_ttl: Option<Duration>,
    #[serde(default, deserialize_with = "collectors")]
    collectors: Option<Vec<CollectorId>>,
    admin_token_file: Option<PathBuf>,
}

/// A scalar written as a YAML number or string, read as text for the flags' own parsers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(n) => n.to_string(),
            Scalar::Text(s) => s,
        }
    }
}

fn with<'de, D, T>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = Scalar::deserialize(deserializer)?.text();
    parse(&text).map(Some).map_err(serde::de::Error::custom)
}

fn api_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<reqwest::Url>, D::Error> {
    // The value is never repeated: a URL can carry credentials.
    with(d, |text| {
        parse::parse_api_url(text).map_err(|e| format!("invalid URL (not shown): {e}"))
    })
}

fn rate<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    with(d, parse::parse_rate)
}

fn burst<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    with(d, |text| match text.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of requests from 1 to 4294967295".into()),
    })
}

fn positive_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    with(d, parse::parse_positive_duration)
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    with(d, parse::parse_duration)
}

fn collectors<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<CollectorId>>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    let mut ids = Vec::new();
    for name in names {
        let id = CollectorId::from_name(&name).ok_or_else(|| {
            let known: Vec<_> = CollectorId::ALL
                .iter()
                .map(|id| id.definition().flags.name)
                .collect();
            serde::de::Error::custom(format!(
                "unknown collector {:?}; known: {}",
                crate::upstream::sanitize::for_log(&name, 64),
                known.join(", ")
            ))
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort();
    Ok(Some(ids))
}

impl TargetsFile {
    /// Reads and checks the file at `path`, at most `MAX_CONFIG_FILE_BYTES` of it.
    pub fn read(path: &Path) -> Result<TargetsFile, TargetsFileError> {
        let shown = path.display().to_string();
        let unreadable = |reason: String| TargetsFileError::Read {
            path: shown.clone(),
            reason,
        };
        let bytes = bounded::read_at_most(path, MAX_CONFIG_FILE_BYTES)
            .map_err(|e| unreadable(bounded::reason(&e)))?
            .ok_or_else(|| {
                unreadable(format!(
                    "larger than {MAX_CONFIG_FILE_BYTES} bytes (1 MiB), not read"
                ))
            })?;
        let text = String::from_utf8(bytes).map_err(|_| unreadable("not valid UTF-8".into()))?;
        TargetsFile::from_text(path, &text)
    }

    /// Checks `text`, the contents of the file at `path`; secret files are read relative to
    /// its folder.
    pub fn from_text(path: &Path, text: &str) -> Result<TargetsFile, TargetsFileError> {
        let invalid =
            |line: Option<usize>, key: String, message: String| TargetsFileError::Invalid {
                path: path.display().to_string(),
                line,
                key: one_line(&key),
                message: one_line(&message),
            };
        let deserializer = serde_norway::Deserializer::from_str(text);
        let raw: RawFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            // serde_norway places an error of a value's own parser at the mapping around it;
            // the key's own line, when it can be found, is never before the mistake.
            let parts: Vec<&str> = key.split('.').filter(|p| !p.is_empty()).collect();
            let line = inner
                .location()
                .map(|l| l.line())
                .max(line_of(text, &parts));
            let message = strip_location(&inner.to_string());
            let message = without_parent_path(&message, &key).to_string();
            invalid(line, key, message)
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut targets = BTreeMap::new();
        for (name, target) in raw.targets {
            let read = |field: &'static str, file: &Path| {
                let key = format!("targets.{name}.{field}");
                secret::read_secret_file(field, &dir.join(file)).map_err(|e| {
                    let line = line_of(text, &["targets", name.as_str(), field]);
                    invalid(line, key, secret_reason(e))
                })
            };
            let app_key = read("app_key_file", &target.app_key_file)?;
            let admin_token = match &target.admin_token_file {
                Some(file) => Some(read("admin_token_file", file)?),
                None => None,
            };
            targets.insert(
                name,
                TargetSettings {
                    app_key,
                    api_url: target.api_url,
                    rate_limit: target.rate_limit,
                    rate_burst: target.rate_burst,
                    timeout: target.timeout,
                    cache_ttl: target.cache_ttl,
                    collectors: target.collectors,
                    admin_token,
                },
            );
        }
        Ok(TargetsFile { targets })
    }
}

/// The secret-file error without the flag name it carries (the key names the field instead).
fn secret_reason(error: ConfigError) -> String {
    match error {
        ConfigError::SecretFileUnreadable { path, reason, .. } => {
            format!("cannot read {path}: {reason}")
        }
        ConfigError::SecretFileTooLarge { path, .. } => {
            format!("{path} is larger than 4 KiB, too large to be a secret file")
        }
        ConfigError::EmptySecret { .. } => "the file is empty".into(),
        ConfigError::MalformedSecret { .. } => {
            "the secret must be a single line without spaces or control characters".into()
        }
        other => other.to_string(),
    }
}

/// The line (1-based) of the key `path` in `text`: each part looked for after the previous one.
/// serde reports lines for what it reads; a secret file that cannot be read is found after
/// parsing, so its line is looked up here (a YAML parser that kept positions would do, but
/// serde_norway keeps none for values it has handed over).
fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    let mut found = None;
    for part in path {
        let (number, _) = lines.by_ref().find(|(_, line)| {
            let line = line.trim_start();
            [
                format!("{part}:"),
                format!("\"{part}\":"),
                format!("'{part}':"),
            ]
            .iter()
            .any(|key| line.starts_with(key.as_str()))
        })?;
        found = Some(number + 1);
    }
    found
}

/// serde_norway ends its messages with ` at line L column C`: the line is reported on its own.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_string(),
        _ => message.to_string(),
    }
}

/// serde_norway starts its messages with the path of the enclosing mapping, which the dotted
/// key already names.
fn without_parent_path<'m>(message: &'m str, key: &str) -> &'m str {
    match message.split_once(": ") {
        Some((parent, rest)) if !parent.contains(' ') && key.starts_with(parent) => rest,
        _ => message,
    }
}

/// Messages end up on one log line or one line of stderr.
fn one_line(message: &str) -> String {
    let joined = message.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::upstream::sanitize::for_log(&joined, 500)
}

#[cfg(test)]
mod tests;
