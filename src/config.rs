//! The command line and environment (SPEC §2): clap definitions, value parsers, and the
//! validated [`Config`] the rest of the program runs on.
//!
//! Secrets (the app_key and the admin token) are never flag values, since those show in `ps`:
//! they come from a file named by a flag, or from an environment variable, and live in
//! [`SecretString`]s that never print.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::FixedOffset;
use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

/// Environment variable holding the app_key itself.
pub const APP_KEY_ENV: &str = "PROXY911_APP_KEY";
/// Environment variable holding the admin bearer token itself.
pub const ADMIN_TOKEN_ENV: &str = "PROXY911_ADMIN_TOKEN";
/// The largest secret file read (SPEC §11): a key or a token is a few dozen bytes, so a larger
/// file is a mistake (or `/dev/zero`), refused without reading it whole.
pub const MAX_SECRET_FILE_BYTES: u64 = 4096;

#[derive(Debug, Parser)]
#[command(
    name = "proxy911-exporter",
    version,
    about = "Prometheus exporter and account-management API for the 911Proxy OpenAPI"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub exporter: ExporterArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the simulated 911Proxy API on its own, for demos, tests and benchmarks.
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to serve the simulated API on.
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The only app_key the simulator accepts (answers code 3 to any other).
    #[arg(long = "app-key", value_name = "KEY", default_value = "demo")]
    pub app_key: String,
    /// Number of proxy sub-accounts to seed (packages and static IPs grow in proportion).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub accounts: Option<u32>,
    /// Fault to inject from the start, `ENDPOINT=FAULT` (repeatable), e.g.
    /// `/api-gate-way/whitelist-account/list=http500` or `*=latency:200ms`.
    #[arg(long = "fault", value_name = "ENDPOINT=FAULT")]
    pub faults: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Address of the metrics listener.
    #[arg(
        long = "web.listen-address",
        env = "PROXY911_LISTEN_ADDRESS",
        value_name = "ADDR",
        default_value = "0.0.0.0:9911"
    )]
    pub listen_address: SocketAddr,

    /// Path under which metrics are exposed.
    #[arg(long = "web.telemetry-path", env = "PROXY911_TELEMETRY_PATH", value_name = "PATH",
          default_value = "/metrics", value_parser = parse_telemetry_path)]
    pub telemetry_path: String,

    /// Subtracted from Prometheus' scrape timeout to get the time a scrape may wait for refreshes.
    #[arg(long = "web.scrape-timeout-offset", env = "PROXY911_SCRAPE_TIMEOUT_OFFSET",
          value_name = "DURATION", default_value = "500ms", value_parser = parse_duration)]
    pub scrape_timeout_offset: Duration,

    /// Base URL of the 911Proxy API.
    #[arg(long = "api.url", env = "PROXY911_API_URL", value_name = "URL",
          default_value = "https://api.911proxy.com", value_parser = parse_api_url)]
    pub api_url: reqwest::Url,

    /// File holding the app_key (a trailing newline is trimmed). Or set PROXY911_APP_KEY.
    #[arg(
        long = "api.app-key-file",
        env = "PROXY911_APP_KEY_FILE",
        value_name = "FILE"
    )]
    pub app_key_file: Option<PathBuf>,

    /// Timeout of one upstream request.
    #[arg(long = "api.timeout", env = "PROXY911_API_TIMEOUT", value_name = "DURATION",
          default_value = "10s", value_parser = parse_positive_duration)]
    pub api_timeout: Duration,

    /// Upstream requests per second, all endpoints together (token bucket).
    #[arg(long = "api.rate-limit", env = "PROXY911_API_RATE_LIMIT", value_name = "PER_SECOND",
          default_value = "2", value_parser = parse_rate, allow_hyphen_values = true)]
    pub api_rate_limit: f64,

    /// Size of the token bucket: requests that may go at once after a quiet spell.
    #[arg(long = "api.rate-burst", env = "PROXY911_API_RATE_BURST", value_name = "N",
          default_value = "10", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub api_rate_burst: u32,

    /// Time zone of the API's `Y-m-d H:i:s` timestamps, as `+08:00`, `-05:00` or `UTC`.
    #[arg(long = "api.timezone", env = "PROXY911_API_TIMEZONE", value_name = "OFFSET",
          default_value = "+08:00", value_parser = parse_timezone)]
    pub api_timezone: FixedOffset,

    /// How long fetched data is served before a scrape refreshes it (0s: refresh on every scrape).
    #[arg(long = "cache.ttl", env = "PROXY911_CACHE_TTL", value_name = "DURATION",
          default_value = "60s", value_parser = parse_duration)]
    pub cache_ttl: Duration,

    /// After failures, how long last-good data is still served; then its series are dropped.
    #[arg(long = "cache.max-stale", env = "PROXY911_CACHE_MAX_STALE", value_name = "DURATION",
          default_value = "15m", value_parser = parse_duration)]
    pub cache_max_stale: Duration,

    /// If set, the admin API is served only on this address (not on the metrics listener).
    #[arg(
        long = "admin.listen-address",
        env = "PROXY911_ADMIN_LISTEN_ADDRESS",
        value_name = "ADDR"
    )]
    pub admin_listen_address: Option<SocketAddr>,

    /// File holding the admin bearer token. Or set PROXY911_ADMIN_TOKEN.
    #[arg(
        long = "admin.token-file",
        env = "PROXY911_ADMIN_TOKEN_FILE",
        value_name = "FILE"
    )]
    pub admin_token_file: Option<PathBuf>,

    /// Run against the built-in simulated API: no app_key needed.
    #[arg(long = "demo", env = "PROXY911_DEMO")]
    pub demo: bool,

    /// Log format.
    #[arg(
        long = "log.format",
        env = "PROXY911_LOG_FORMAT",
        value_name = "FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Log level or tracing filter directive (error, warn, info, debug, trace).
    #[arg(long = "log.level", env = "PROXY911_LOG_LEVEL", value_name = "LEVEL",
          default_value = "info", value_parser = parse_log_level)]
    pub log_level: String,
}

/// Everything the exporter runs on, validated, secrets loaded.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen_address: SocketAddr,
    pub telemetry_path: String,
    pub scrape_timeout_offset: Duration,
    pub api_url: reqwest::Url,
    /// `None` only in demo mode, where the in-process simulator supplies its own key.
    pub app_key: Option<SecretString>,
    pub api_timeout: Duration,
    pub api_rate_limit: f64,
    pub api_rate_burst: u32,
    pub api_timezone: FixedOffset,
    pub cache_ttl: Duration,
    pub cache_max_stale: Duration,
    pub admin_listen_address: Option<SocketAddr>,
    pub admin_token: Option<SecretString>,
    pub demo: bool,
    pub log_format: LogFormat,
    pub log_level: String,
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
}

impl Config {
    /// Validates the parsed flags and loads the secrets, reading the environment through `env`
    /// (injected so tests need not mutate the process environment).
    pub fn from_args(
        args: ExporterArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let app_key = match (&args.app_key_file, env(APP_KEY_ENV)) {
            (Some(path), _) => Some(read_secret_file("--api.app-key-file", path)?),
            (None, Some(value)) => Some(validate_secret(APP_KEY_ENV, value)?),
            (None, None) if args.demo => None,
            (None, None) => return Err(ConfigError::MissingAppKey),
        };
        let admin_token = match (&args.admin_token_file, env(ADMIN_TOKEN_ENV)) {
            (Some(path), _) => Some(read_secret_file("--admin.token-file", path)?),
            (None, Some(value)) => Some(validate_secret(ADMIN_TOKEN_ENV, value)?),
            (None, None) => None,
        };
        if let Some(admin) = args.admin_listen_address {
            if admin_token.is_none() && !args.demo {
                return Err(ConfigError::AdminListenerWithoutToken);
            }
            if admin == args.listen_address && admin.port() != 0 {
                return Err(ConfigError::AdminListenerCollides);
            }
        }
        Ok(Config {
            listen_address: args.listen_address,
            telemetry_path: args.telemetry_path,
            scrape_timeout_offset: args.scrape_timeout_offset,
            api_url: args.api_url,
            app_key,
            api_timeout: args.api_timeout,
            api_rate_limit: args.api_rate_limit,
            api_rate_burst: args.api_rate_burst,
            api_timezone: args.api_timezone,
            cache_ttl: args.cache_ttl,
            cache_max_stale: args.cache_max_stale,
            admin_listen_address: args.admin_listen_address,
            admin_token,
            demo: args.demo,
            log_format: args.log_format,
            log_level: args.log_level,
        })
    }
}

/// Reads a secret file, at most [`MAX_SECRET_FILE_BYTES`] of it: one byte more is enough to know
/// it is too large, whatever its size (a sparse 1 GiB file, `/dev/zero`). Errors name the flag and
/// the path, never the content.
fn read_secret_file(flag: &'static str, path: &Path) -> Result<SecretString, ConfigError> {
    let unreadable = |reason: String| ConfigError::SecretFileUnreadable {
        flag,
        path: path.display().to_string(),
        reason,
    };
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_SECRET_FILE_BYTES + 1).read_to_end(&mut raw))
        .map_err(|e| unreadable(e.kind().to_string()))?;
    if raw.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(ConfigError::SecretFileTooLarge {
            flag,
            path: path.display().to_string(),
        });
    }
    let raw = String::from_utf8(raw).map_err(|_| unreadable("not valid UTF-8".into()))?;
    validate_secret(flag, raw)
}

/// The host of an `--api.url` the app_key would travel to in clear: plain `http://` to a host
/// that is not loopback (127.0.0.0/8, `::1`, `localhost`). `None` for https and for loopback.
pub fn cleartext_remote_host(url: &reqwest::Url) -> Option<String> {
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

/// Trims one trailing newline (files written by `echo` or editors) and rejects what cannot be a
/// key. The error never contains the value.
fn validate_secret(flag: &'static str, raw: String) -> Result<SecretString, ConfigError> {
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

fn parse_duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value.trim())
        .map_err(|e| format!("{e} (expected a duration such as 500ms, 10s, 5m or 1h)"))
}

fn parse_positive_duration(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        d if d.is_zero() => Err("must be greater than zero".into()),
        d => Ok(d),
    }
}

fn parse_rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= 10_000.0 => Ok(rate),
        _ => {
            Err("expected a number of requests per second, greater than 0 and at most 10000".into())
        }
    }
}

fn parse_telemetry_path(value: &str) -> Result<String, String> {
    let ok = value.starts_with('/')
        && value.len() > 1
        && !value.starts_with("/admin")
        && !value.starts_with("/-/")
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c));
    if ok {
        Ok(value.to_owned())
    } else {
        Err("expected a URL path such as /metrics (not /, /admin or /-/...)".into())
    }
}

fn parse_api_url(value: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(value).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http:// or https:// URL".into());
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must carry no query string or credentials".into());
    }
    Ok(url)
}

/// Parses `UTC`, `Z`, `+08:00`, `-0500` or `+8`.
pub fn parse_timezone(value: &str) -> Result<FixedOffset, String> {
    let err = || "expected a UTC offset such as +08:00, -05:00 or UTC".to_string();
    let value = value.trim();
    if value.eq_ignore_ascii_case("utc") || value == "Z" {
        return Ok(FixedOffset::east_opt(0).expect("zero offset is valid"));
    }
    let (sign, rest) = match value.as_bytes().first() {
        Some(b'+') => (1, &value[1..]),
        Some(b'-') => (-1, &value[1..]),
        _ => return Err(err()),
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let hours: i32 = hours.parse().map_err(|_| err())?;
    let minutes: i32 = minutes.parse().map_err(|_| err())?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(err());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(err)
}

fn parse_log_level(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("{e} (expected error, warn, info, debug or trace)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn args(extra: &[&str]) -> Result<ExporterArgs, clap::Error> {
        let mut argv = vec!["proxy911-exporter"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).map(|cli| cli.exporter)
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_match_the_spec() {
        let a = args(&["--demo"]).unwrap();
        assert_eq!(a.listen_address.to_string(), "0.0.0.0:9911");
        assert_eq!(a.telemetry_path, "/metrics");
        assert_eq!(a.api_url.as_str(), "https://api.911proxy.com/");
        assert_eq!(a.api_timeout, Duration::from_secs(10));
        assert_eq!(a.api_rate_limit, 2.0);
        assert_eq!(a.api_rate_burst, 10);
        assert_eq!(a.cache_ttl, Duration::from_secs(60));
        assert_eq!(a.cache_max_stale, Duration::from_secs(15 * 60));
        assert_eq!(a.log_format, LogFormat::Text);
        assert_eq!(a.log_level, "info");
    }

    #[test]
    fn durations_accept_the_spec_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("ten seconds").is_err());
        assert!(parse_positive_duration("0s").is_err());
    }

    #[test]
    fn a_missing_app_key_without_demo_names_both_ways_to_give_it() {
        let err = Config::from_args(args(&[]).unwrap(), no_env).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("--api.app-key-file"));
        assert!(message.contains("PROXY911_APP_KEY"));
        assert!(!message.contains('\n'));
    }

    #[test]
    fn the_app_key_file_has_its_trailing_newline_trimmed() {
        let dir = std::env::temp_dir().join(format!("p911-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "s3cretKey\r\n").unwrap();
        let cfg = Config::from_args(
            args(&["--api.app-key-file", file.to_str().unwrap()]).unwrap(),
            no_env,
        )
        .unwrap();
        assert_eq!(cfg.app_key.unwrap().expose_secret(), "s3cretKey");
    }

    #[test]
    fn the_app_key_comes_from_the_environment() {
        let env = |name: &str| (name == APP_KEY_ENV).then(|| "fromEnv".to_string());
        let cfg = Config::from_args(args(&[]).unwrap(), env).unwrap();
        assert_eq!(cfg.app_key.unwrap().expose_secret(), "fromEnv");
    }

    #[test]
    fn a_secret_error_never_contains_the_secret() {
        let env = |name: &str| (name == APP_KEY_ENV).then(|| "bad key value".to_string());
        let err = Config::from_args(args(&[]).unwrap(), env).unwrap_err();
        assert!(!err.to_string().contains("bad key value"));
        assert!(err.to_string().contains(APP_KEY_ENV));
    }

    #[test]
    fn the_config_debug_output_hides_secrets() {
        let env = |name: &str| match name {
            APP_KEY_ENV => Some("topSecretKey".to_string()),
            ADMIN_TOKEN_ENV => Some("topSecretToken".to_string()),
            _ => None,
        };
        let cfg = Config::from_args(args(&[]).unwrap(), env).unwrap();
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("topSecretKey"));
        assert!(!debug.contains("topSecretToken"));
    }

    #[test]
    fn timezones_parse_in_the_usual_spellings() {
        assert_eq!(parse_timezone("UTC").unwrap().local_minus_utc(), 0);
        assert_eq!(
            parse_timezone("+08:00").unwrap().local_minus_utc(),
            8 * 3600
        );
        assert_eq!(
            parse_timezone("-0530").unwrap().local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        assert_eq!(parse_timezone("+8").unwrap().local_minus_utc(), 8 * 3600);
        assert!(parse_timezone("Asia/Shanghai").is_err());
        assert!(parse_timezone("+25:00").is_err());
    }

    /// A fresh directory for one test's files.
    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("p911-cfg-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn with_key_file(path: &Path) -> Result<Config, ConfigError> {
        Config::from_args(
            args(&["--api.app-key-file", path.to_str().unwrap()]).unwrap(),
            no_env,
        )
    }

    #[test]
    fn a_sparse_1_gib_key_file_is_refused_without_being_read_whole() {
        let file = temp_dir("sparse").join("key");
        std::fs::File::create(&file)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let started = std::time::Instant::now();

        let err = with_key_file(&file).unwrap_err();

        std::fs::remove_file(&file).unwrap();
        assert!(
            matches!(
                err,
                ConfigError::SecretFileTooLarge {
                    flag: "--api.app-key-file",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("larger than 4 KiB"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_as_the_key_file_is_refused_promptly() {
        let started = std::time::Instant::now();

        let err = with_key_file(Path::new("/dev/zero")).unwrap_err();

        assert_eq!(
            err.to_string(),
            "--api.app-key-file: /dev/zero is larger than 4 KiB, too large to be a secret file"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_too_large_admin_token_file_names_its_flag_and_never_its_content() {
        let file = temp_dir("token").join("token");
        std::fs::write(&file, "TokenContent".repeat(400)).unwrap();

        let err = Config::from_args(
            args(&["--admin.token-file", file.to_str().unwrap()]).unwrap(),
            |name| (name == APP_KEY_ENV).then(|| "k".to_string()),
        )
        .unwrap_err();

        let message = err.to_string();
        assert!(message.starts_with("--admin.token-file: "), "{message}");
        assert!(message.contains("larger than 4 KiB"), "{message}");
        assert!(!message.contains("TokenContent"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn a_key_file_of_exactly_4_kib_is_read_and_one_byte_more_is_refused() {
        let dir = temp_dir("boundary");
        let (fits, too_large) = (dir.join("fits"), dir.join("too-large"));
        std::fs::write(&fits, "k".repeat(4096)).unwrap();
        std::fs::write(&too_large, format!("{}\n", "k".repeat(4096))).unwrap();

        let fits = with_key_file(&fits).unwrap();
        let too_large = with_key_file(&too_large).unwrap_err();

        assert_eq!(fits.app_key.unwrap().expose_secret().len(), 4096);
        assert!(matches!(too_large, ConfigError::SecretFileTooLarge { .. }));
    }

    #[test]
    fn a_key_file_that_is_not_utf8_is_unreadable_without_its_content() {
        let file = temp_dir("utf8").join("key");
        std::fs::write(&file, b"abc\xff\xfedef").unwrap();

        let err = with_key_file(&file).unwrap_err();

        assert!(
            matches!(err, ConfigError::SecretFileUnreadable { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("abc"), "{err}");
    }

    #[test]
    fn plain_http_to_a_host_that_is_not_loopback_is_cleartext() {
        for (url, host) in [
            ("http://example.invalid", Some("example.invalid")),
            ("http://api.911proxy.com/prefix/", Some("api.911proxy.com")),
            ("http://10.0.0.1:8080", Some("10.0.0.1")),
            ("http://[2001:db8::1]", Some("[2001:db8::1]")),
            (
                "http://localhost.example.com",
                Some("localhost.example.com"),
            ),
            ("http://127.0.0.1:9000", None),
            ("http://127.8.9.10", None),
            ("http://[::1]:9000", None),
            ("http://[::ffff:127.0.0.1]", None),
            ("http://localhost:9000", None),
            ("http://LOCALHOST.", None),
            ("https://example.invalid", None),
        ] {
            let url: reqwest::Url = url.parse().unwrap();
            assert_eq!(cleartext_remote_host(&url).as_deref(), host, "{url}");
        }
    }

    #[test]
    fn invalid_values_name_their_flag() {
        for (flag, value) in [
            ("--web.listen-address", "nowhere"),
            ("--web.telemetry-path", "metrics"),
            ("--api.url", "ftp://x"),
            ("--api.timeout", "0s"),
            ("--api.rate-limit", "-1"),
            ("--api.rate-burst", "0"),
            ("--api.timezone", "Mars"),
            ("--cache.ttl", "forever"),
            ("--cache.max-stale", "1 fortnight"),
            ("--admin.listen-address", "x:y"),
            ("--log.format", "xml"),
            ("--log.level", "loud=="),
        ] {
            let err = args(&[flag, value]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{flag}");
            assert!(err.to_string().contains(flag), "{flag}: {err}");
        }
    }
}
