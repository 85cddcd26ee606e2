//! Configuration: the command line (`args`), its value parsers ([`parse`]), secrets
//! (`secret`), and the validated [`Config`] the rest of the program runs on, grouped by
//! concern (web, api, cache, admin, log), so that what cannot work cannot be expressed: an admin
//! listener is part of [`AdminConfig`], which has a token, and an upstream without an app_key is
//! only [`Upstream::Demo`].

mod args;
mod collectors;
pub mod parse;
mod secret;
mod targets_file;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use chrono::FixedOffset;
use secrecy::SecretString;

pub use args::{
    AlertActionMode, ApiArgs, CheckArgs, Cli, Command, ExporterArgs, LogFormat, OutputFormat,
    SimulateArgs,
};
pub use collectors::{CollectorArgs, CollectorTtlArgs};
pub use parse::parse_timezone;
pub use secret::MAX_SECRET_FILE_BYTES;
pub use targets_file::{TargetName, TargetSettings, TargetsFile, TargetsFileError};

use crate::cache::CachePolicy;
use crate::collector::Selection;

/// Environment variable holding the app_key itself.
pub(crate) const APP_KEY_ENV: &str = "PROXY911_APP_KEY";
/// Environment variable holding the admin bearer token itself.
pub(crate) const ADMIN_TOKEN_ENV: &str = "PROXY911_ADMIN_TOKEN";

/// Everything the exporter runs on, validated, secrets loaded.
#[derive(Debug, Clone)]
pub struct Config {
    pub web: WebConfig,
    pub api: ApiConfig,
    pub cache: CachePolicy,
    /// The collectors that run, and their own TTLs.
    pub collectors: Selection,
    /// The admin API, when a token is configured (or generated for the demo).
    pub admin: Option<AdminConfig>,
    /// `--config.file`: several accounts, each probed on its own.
    pub targets: Option<TargetsConfig>,
    pub log: LogConfig,
}

/// `--config.file`, read and checked at start-up.
#[derive(Debug, Clone)]
pub struct TargetsConfig {
    pub path: PathBuf,
    pub file: TargetsFile,
}

/// The metrics listener.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub listen_address: SocketAddr,
    pub telemetry_path: String,
    /// Subtracted from Prometheus' scrape timeout to get the time a scrape may wait.
    pub scrape_timeout_offset: Duration,
    /// `--web.config.file`: TLS, basic auth and headers of both listeners (see `crate::web`).
    pub web_config_file: Option<PathBuf>,
    /// `--web.enable-lifecycle`: `POST /-/reload` reloads; 403 otherwise.
    pub enable_lifecycle: bool,
}

/// The upstream and how gently to ask it.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub upstream: Upstream,
    pub timeout: Duration,
    pub rate_limit: f64,
    pub rate_burst: u32,
    /// Time zone of the API's `Y-m-d H:i:s` timestamps.
    pub timezone: FixedOffset,
}

/// Where the data comes from.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// The 911Proxy API (or whatever answers at its address), with the app_key.
    Api {
        url: reqwest::Url,
        app_key: SecretString,
    },
    /// The in-process simulator of `--demo`, which supplies its own address and key.
    Demo,
    /// No account of its own: only the targets of `--config.file`, at the URL of the flags
    /// unless a target names its own.
    TargetsOnly { url: reqwest::Url },
}

/// The account-management API.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub token: SecretString,
    /// A separate listener for `/admin`; on the metrics listener when `None`.
    pub listen_address: Option<SocketAddr>,
    /// The token was generated for the demo and is printed once at start-up.
    pub generated: bool,
    /// What `POST /admin/alertmanager` does with a firing traffic-anomaly alert.
    pub alert_actions: AlertActionMode,
}

impl AdminConfig {
    /// The admin API on the metrics listener, with `token`.
    pub fn new(token: SecretString) -> Self {
        AdminConfig {
            token,
            listen_address: None,
            generated: false,
            alert_actions: AlertActionMode::Log,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

/// A start-up configuration error: one line, naming the flag; the process exits with code 2.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("no app_key given: set --api.app-key-file (env PROXY911_APP_KEY_FILE) to a file holding it, or set PROXY911_APP_KEY (or run with --demo)")]
    MissingAppKey,
    #[error("{flag}: cannot read {path}: {reason}")]
    SecretFileUnreadable {
        flag: &'static str,
        path: String,
        reason: String,
    },
    #[error("{flag}: {path} is larger than 4 KiB, too large to be a secret file")]
    SecretFileTooLarge { flag: &'static str, path: String },
    #[error("{flag}: the secret is empty")]
    EmptySecret { flag: &'static str },
    #[error("{flag}: the secret must be a single line without spaces or control characters")]
    MalformedSecret { flag: &'static str },
    #[error("--admin.listen-address is set but no admin token is configured: set --admin.token-file (env PROXY911_ADMIN_TOKEN_FILE) or PROXY911_ADMIN_TOKEN")]
    AdminListenerWithoutToken,
    #[error("--admin.listen-address must differ from --web.listen-address")]
    AdminListenerCollides,
    #[error(transparent)]
    TargetsFile(#[from] TargetsFileError),
}

impl Config {
    /// Validates the parsed flags and loads the secrets, reading the environment through `env`
    /// (injected so tests need not mutate the process environment).
    pub fn from_args(
        args: ExporterArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        // The file first: with it, no app_key of the process's own is needed.
        let targets = match &args.config_file {
            Some(path) => Some(TargetsConfig {
                path: path.clone(),
                file: TargetsFile::read(path)?,
            }),
            None => None,
        };
        let api = ApiConfig::from_args(args.api, &env, args.demo, targets.is_some())?;
        let token = match (&args.admin_token_file, env(ADMIN_TOKEN_ENV)) {
            (Some(path), _) => Some(secret::read_secret_file("--admin.token-file", path)?),
            (None, Some(value)) => Some(secret::validate_secret(ADMIN_TOKEN_ENV, value)?),
            (None, None) => None,
        };
        if let Some(admin) = args.admin_listen_address {
            if admin == args.listen_address && admin.port() != 0 {
                return Err(ConfigError::AdminListenerCollides);
            }
        }
        let admin = match (token, args.demo) {
            (Some(token), _) => Some(AdminConfig {
                token,
                listen_address: args.admin_listen_address,
                generated: false,
                alert_actions: args.admin_alert_actions,
            }),
            // The demo enables the admin API with a token of its own, printed once.
            (None, true) => Some(AdminConfig {
                token: SecretString::from(random_token()),
                listen_address: args.admin_listen_address,
                generated: true,
                alert_actions: args.admin_alert_actions,
            }),
            (None, false) if args.admin_listen_address.is_some() => {
                return Err(ConfigError::AdminListenerWithoutToken)
            }
            (None, false) => None,
        };
        Ok(Config {
            web: WebConfig {
                listen_address: args.listen_address,
                telemetry_path: args.telemetry_path,
                scrape_timeout_offset: args.scrape_timeout_offset,
                web_config_file: args.web_config_file,
                enable_lifecycle: args.web_enable_lifecycle,
            },
            api,
            cache: CachePolicy {
                ttl: args.cache_ttl,
                max_stale: args.cache_max_stale,
            },
            collectors: args.collector_ttl.apply(args.collectors.apply(
                // The demo turns every collector on, so that every panel has data.
                if args.demo {
                    Selection::all()
                } else {
                    Selection::default()
                },
            )),
            admin,
            targets,
            log: LogConfig {
                format: args.log_format,
                level: args.log_level,
            },
        })
    }
}

impl ApiConfig {
    /// The upstream part of the flags, the app_key loaded (not needed with `demo`, nor with
    /// `targets_only_allowed`, when a config file names the accounts).
    pub fn from_args(
        args: ApiArgs,
        env: impl Fn(&str) -> Option<String>,
        demo: bool,
        targets_only_allowed: bool,
    ) -> Result<Self, ConfigError> {
        let upstream = if demo {
            Upstream::Demo
        } else {
            let app_key = match (&args.app_key_file, env(APP_KEY_ENV)) {
                (Some(path), _) => secret::read_secret_file("--api.app-key-file", path)?,
                (None, Some(value)) => secret::validate_secret(APP_KEY_ENV, value)?,
                (None, None) if targets_only_allowed => {
                    return Ok(ApiConfig {
                        upstream: Upstream::TargetsOnly { url: args.url },
                        timeout: args.timeout,
                        rate_limit: args.rate_limit,
                        rate_burst: args.rate_burst,
                        timezone: args.timezone,
                    })
                }
                (None, None) => return Err(ConfigError::MissingAppKey),
            };
            Upstream::Api {
                url: args.url,
                app_key,
            }
        };
        Ok(ApiConfig {
            upstream,
            timeout: args.timeout,
            rate_limit: args.rate_limit,
            rate_burst: args.rate_burst,
            timezone: args.timezone,
        })
    }
}

/// The host of an `--api.url` the app_key would travel to in clear: plain `http://` to a host
/// that is not loopback (127.0.0.0/8, `::1`, `localhost`). `None` for https and for loopback.
pub(crate) fn cleartext_remote_host(url: &reqwest::Url) -> Option<String> {
    if url.scheme() != "http" {
        return None;
    }
    // `Url` has already normalised the host: IPv4 in dotted form, IPv6 in brackets, names in
    // lower case.
    let host = url.host_str()?;
    let loopback = match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.strip_suffix('.').unwrap_or(host) == "localhost",
    };
    (!loopback).then(|| host.to_owned())
}

/// 128 random bits as hex, from std's randomly seeded hasher keys (no extra dependency).
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    (0..2)
        .map(|i| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(i);
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default(),
            );
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

#[cfg(test)]
mod tests;

/// The one line printed for a command-line error: clap's first line, without the value of
/// `--api.url` (a URL can carry credentials, `https://user:password@host/`, which must not reach
/// a terminal or a log collector even when the URL is refused for carrying them).
pub fn flag_error_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let line = rendered.lines().next().unwrap_or("invalid arguments");
    let marker = "invalid value '";
    match (line.find(marker), line.find("' for '--api.url")) {
        (Some(start), Some(end)) if start + marker.len() <= end => format!(
            "{}invalid value (not shown){}",
            &line[..start],
            &line[end + 1..]
        ),
        _ => line.to_string(),
    }
}
