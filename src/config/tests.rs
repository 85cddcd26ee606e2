//! The validated configuration: defaults, secrets, and every flag's error naming the flag.

use std::path::{Path, PathBuf};

use clap::Parser;

use super::parse::*;
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

fn app_key(config: &Config) -> &SecretString {
    match &config.api.upstream {
        Upstream::Api { app_key, .. } => app_key,
        Upstream::Demo => panic!("no app_key in demo mode"),
        Upstream::TargetsOnly { .. } => panic!("no app_key of its own with only targets"),
    }
}

#[test]
fn defaults_match_the_spec() {
    let a = args(&["--demo"]).unwrap();
    assert_eq!(a.listen_address.to_string(), "0.0.0.0:9911");
    assert_eq!(a.telemetry_path, "/metrics");
    assert_eq!(a.api.url.as_str(), "https://api.911proxy.com/");
    assert_eq!(a.api.timeout, Duration::from_secs(10));
    assert_eq!(a.api.rate_limit, 2.0);
    assert_eq!(a.api.rate_burst, 10);
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
    assert_eq!(app_key(&cfg).expose_secret(), "s3cretKey");
}

#[test]
fn the_app_key_comes_from_the_environment() {
    let env = |name: &str| (name == APP_KEY_ENV).then(|| "fromEnv".to_string());
    let cfg = Config::from_args(args(&[]).unwrap(), env).unwrap();
    assert_eq!(app_key(&cfg).expose_secret(), "fromEnv");
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

    assert_eq!(app_key(&fits).expose_secret().len(), 4096);
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

#[test]
fn alert_actions_only_log_unless_disable_is_asked_for() {
    let token = |name: &str| (name == ADMIN_TOKEN_ENV).then(|| "AdminT0ken".to_string());
    let admin = |extra: &[&str]| {
        let config = Config::from_args(args(&["--demo"]).unwrap(), token).unwrap();
        let chosen = Config::from_args(args(extra).unwrap(), |name: &str| match name {
            APP_KEY_ENV => Some("Key0123".to_string()),
            other => token(other),
        })
        .unwrap();
        (
            config.admin.unwrap().alert_actions,
            chosen.admin.unwrap().alert_actions,
        )
    };

    let (demo, default) = admin(&[]);
    let (_, disable) = admin(&["--admin.alert-actions", "disable"]);

    assert_eq!(demo, AlertActionMode::Log);
    assert_eq!(default, AlertActionMode::Log);
    assert_eq!(disable, AlertActionMode::Disable);
    assert!(args(&["--admin.alert-actions", "delete"]).is_err());
}
