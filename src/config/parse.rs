//! Value parsers of the command line: each turns one flag's text into its value or a message
//! that clap prints after the flag's name (exit code 2). None of them panics, whatever the input
//! (`tests/flag_values.rs` checks that over arbitrary strings), and each bounds its value so that
//! nothing downstream can overflow on it either.

use std::time::Duration;

use chrono::FixedOffset;

/// humantime's year (365.25 days), so that `10y` is exactly the longest duration.
const YEAR: Duration = Duration::from_secs(31_557_600);
/// The longest duration any flag takes: far beyond any sensible TTL or timeout, and far enough
/// from `Duration::MAX` that deadlines and doubled offsets computed from it cannot overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * YEAR.as_secs());
/// The slowest `--api.rate-limit`: one request every 1000 s. Below it the interval between
/// requests grows without bound (1e-20 per second is 3 trillion years).
pub const MIN_RATE: f64 = 0.001;
/// The fastest `--api.rate-limit`.
pub const MAX_RATE: f64 = 10_000.0;

pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value.trim())
        .map_err(|e| format!("{e} (expected a duration such as 500ms, 10s, 5m or 1h)"))?;
    if duration > MAX_DURATION {
        return Err("must be at most 10y".into());
    }
    Ok(duration)
}

pub fn parse_positive_duration(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        d if d.is_zero() => Err("must be greater than zero".into()),
        d => Ok(d),
    }
}

pub fn parse_rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        // `contains` is false for NaN; ±inf and -0 fall outside the range.
        Ok(rate) if (MIN_RATE..=MAX_RATE).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "expected a number of requests per second from {MIN_RATE} to {MAX_RATE}"
        )),
    }
}

pub fn parse_telemetry_path(value: &str) -> Result<String, String> {
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

pub fn parse_api_url(value: &str) -> Result<reqwest::Url, String> {
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
    // Digits only from here: no second sign, and `split_at` below is on a character boundary.
    if !rest.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return Err(err());
    }
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return Err(err()),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    if !(1..=2).contains(&hours.len()) {
        return Err(err());
    }
    let hours: i32 = hours.parse().map_err(|_| err())?;
    let minutes: i32 = minutes.parse().map_err(|_| err())?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(err());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(err)
}

/// A level or `tracing` filter directives, each trimmed: tracing-subscriber 0.3 finds its
/// offsets in the trimmed directive but slices the untrimmed one, and panics when leading
/// whitespace puts them inside a character (`" é=info"`).
pub fn parse_log_level(value: &str) -> Result<String, String> {
    let directives: Vec<&str> = value.split(',').map(str::trim).collect();
    let value = directives.join(",");
    tracing_subscriber::EnvFilter::try_new(&value)
        .map(|_| value)
        .map_err(|e| format!("{e} (expected error, warn, info, debug or trace)"))
}
