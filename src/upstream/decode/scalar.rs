//! Readers of one field's raw JSON text into a value, each saying whether the value could be
//! read, was missing, or could not be read. No reader ever invents a value: what it cannot read
//! is [`Read::Unreadable`], never 0.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

/// Longest text kept from the upstream, in characters: label values are bounded.
pub(crate) const MAX_TEXT_CHARS: usize = 256;
/// Largest magnitude read, 2^53: beyond it a float no longer holds every integer, and no count,
/// id or amount of this API comes near it. A larger value is defaulted, never rounded.
const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    Value(T),
    /// Present but meaning "nothing" (an empty timestamp).
    Missing,
    Unreadable,
}

/// A timestamp as the API gives it: absolute, or local time in the API's time zone (resolved at
/// render time with `--api.timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiTime {
    Unix(i64),
    Local(NaiveDateTime),
}

impl ApiTime {
    /// Unix seconds, local times read in `timezone`; `None` for a local time that does not
    /// exist there.
    pub fn unix(&self, timezone: &FixedOffset) -> Option<f64> {
        match self {
            ApiTime::Unix(seconds) => Some(*seconds as f64),
            ApiTime::Local(naive) => timezone
                .from_local_datetime(naive)
                .single()
                .map(|at| at.timestamp() as f64),
        }
    }

    /// Parses `Y-m-d H:i:s`, `Y-m-dTH:i:s`, RFC 3339 or a bare date.
    pub fn parse(value: &str) -> Option<ApiTime> {
        let value = value.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(value) {
            return Some(ApiTime::Unix(at.timestamp()));
        }
        NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
            .ok()
            .or_else(|| {
                NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .map(ApiTime::Local)
    }
}

/// As the API writes it (`Y-m-d H:i:s`) for a local time, RFC 3339 in UTC for an absolute one.
impl std::fmt::Display for ApiTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiTime::Local(naive) => write!(f, "{}", naive.format("%Y-%m-%d %H:%M:%S")),
            ApiTime::Unix(seconds) => match DateTime::from_timestamp(*seconds, 0) {
                Some(at) => write!(
                    f,
                    "{}",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                None => write!(f, "{seconds}"),
            },
        }
    }
}

enum Json<'a> {
    String(String),
    Number(&'a str),
    Bool(bool),
    Other,
}

fn classify(raw: &str) -> Json<'_> {
    let raw = raw.trim();
    match raw.as_bytes().first() {
        // A lone surrogate escape becomes U+FFFD, like invalid UTF-8 in the answer.
        Some(b'"') => super::text::unescape(raw)
            .map(Json::String)
            .unwrap_or(Json::Other),
        Some(b'-' | b'0'..=b'9') => Json::Number(raw),
        Some(b't') => Json::Bool(true),
        Some(b'f') => Json::Bool(false),
        _ => Json::Other,
    }
}

pub fn text(raw: &str) -> Read<String> {
    let text = match classify(raw) {
        Json::String(s) => s,
        Json::Number(n) => n.to_owned(),
        Json::Bool(_) | Json::Other => return Read::Unreadable,
    };
    Read::Value(match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    })
}

fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>()
        .ok()
        .or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && f.fract() == 0.0)
                .map(|f| f as i64)
        })
        .filter(|i| i.unsigned_abs() <= MAX_EXACT_FLOAT_INT as u64)
}

/// A whole number within ±2^53, as a number or a numeric string. `true` is not a number.
pub fn int(raw: &str) -> Read<i64> {
    let value = match classify(raw) {
        Json::Number(n) => parse_int(n),
        Json::String(s) => parse_int(&s),
        Json::Bool(_) | Json::Other => None,
    };
    value.map_or(Read::Unreadable, Read::Value)
}

/// A count of things: a whole number from 0 to 2^53 (`3` or `3.0`, never `1.5`).
pub fn count(raw: &str) -> Read<f64> {
    match int(raw) {
        Read::Value(n) if n >= 0 => Read::Value(n as f64),
        _ => Read::Unreadable,
    }
}

/// A documented 0/1 status (1 on): the numbers only, not `true` or `2`.
pub(crate) fn switch(raw: &str) -> Read<bool> {
    match int(raw) {
        Read::Value(0) => Read::Value(false),
        Read::Value(1) => Read::Value(true),
        _ => Read::Unreadable,
    }
}

pub fn amount(raw: &str) -> Read<f64> {
    let value = match classify(raw) {
        Json::Number(n) => n.parse::<f64>().ok(),
        Json::String(s) => s.trim().parse::<f64>().ok(),
        Json::Bool(_) | Json::Other => None,
    };
    // Overflow (1e400 parses as infinity), NaN, negative amounts and amounts past 2^53 cannot
    // be read.
    match value {
        Some(v) if v.is_finite() && (0.0..=MAX_EXACT_FLOAT_INT).contains(&v) => {
            Read::Value(v + 0.0) // -0 becomes 0
        }
        _ => Read::Unreadable,
    }
}

/// A calendar day, `YYYY-MM-DD` (a time after it, as in `2026-12-01 00:00:00`, is dropped),
/// returned in that form. `2026-13-45` or `x000000001` is not a day.
pub fn day(raw: &str) -> Read<String> {
    let Json::String(text) = classify(raw) else {
        return Read::Unreadable;
    };
    let text = text.trim();
    if text.is_empty() {
        return Read::Missing;
    }
    let date = text
        .get(..10)
        .filter(|_| text.len() == 10 || matches!(text.as_bytes().get(10), Some(b' ' | b'T')));
    match date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) {
        Some(day) => Read::Value(day.format("%Y-%m-%d").to_string()),
        None => Read::Unreadable,
    }
}

/// A documented boolean: `true`/`false`, or the numbers 0 and 1.
pub fn flag(raw: &str) -> Read<bool> {
    match classify(raw) {
        Json::Bool(b) => Read::Value(b),
        _ => switch(raw),
    }
}

pub fn time(raw: &str) -> Read<ApiTime> {
    match classify(raw) {
        Json::String(s) if s.trim().is_empty() || s.starts_with("0000-00-00") => Read::Missing,
        Json::String(s) => ApiTime::parse(&s).map_or(Read::Unreadable, Read::Value),
        Json::Number(n) => n
            .parse::<i64>()
            .ok()
            .filter(|&s| s >= 0)
            .map_or(Read::Unreadable, |s| Read::Value(ApiTime::Unix(s))),
        Json::Bool(_) | Json::Other => Read::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_refuse_what_would_be_made_up() {
        assert_eq!(amount("12.5"), Read::Value(12.5));
        assert_eq!(amount("\"2048\""), Read::Value(2048.0));
        assert_eq!(amount("-1"), Read::Unreadable);
        assert_eq!(amount("1e400"), Read::Unreadable);
        assert_eq!(amount("[1]"), Read::Unreadable);
        assert_eq!(amount("{\"kb\":1}"), Read::Unreadable);
        assert_eq!(amount("true"), Read::Unreadable);
        assert_eq!(amount("\"NaN\""), Read::Unreadable);
        assert_eq!(amount("\"inf\""), Read::Unreadable);
        assert_eq!(amount("18446744073709551616"), Read::Unreadable, "2^64 KB");
        assert_eq!(
            amount("9007199254740992"),
            Read::Value(9_007_199_254_740_992.0)
        );
    }

    #[test]
    fn a_day_is_a_real_calendar_date() {
        assert_eq!(day("\"2026-12-01\""), Read::Value("2026-12-01".into()));
        assert_eq!(
            day("\"2026-12-01 08:00:00\""),
            Read::Value("2026-12-01".into())
        );
        assert_eq!(
            day("\"2026-12-01T08:00:00Z\""),
            Read::Value("2026-12-01".into())
        );
        assert_eq!(day("\"2026-13-45\""), Read::Unreadable);
        assert_eq!(day("\"2026-02-30\""), Read::Unreadable);
        assert_eq!(day("\"x000000001\""), Read::Unreadable);
        assert_eq!(day("\"2026-12-01junk\""), Read::Unreadable);
        assert_eq!(day("20261201"), Read::Unreadable);
        assert_eq!(day("\"\""), Read::Missing);
    }

    #[test]
    fn counts_are_whole_and_not_negative() {
        assert_eq!(count("3"), Read::Value(3.0));
        assert_eq!(count("\"3\""), Read::Value(3.0));
        assert_eq!(count("3.0"), Read::Value(3.0));
        assert_eq!(count("1.5"), Read::Unreadable);
        assert_eq!(count("-1"), Read::Unreadable);
        assert_eq!(count("true"), Read::Unreadable);
        assert_eq!(count("1e300"), Read::Unreadable);
    }

    #[test]
    fn integers_arrive_in_any_reasonable_spelling() {
        assert_eq!(int("42"), Read::Value(42));
        assert_eq!(int("42.0"), Read::Value(42));
        assert_eq!(int("\" 7 \""), Read::Value(7));
        assert_eq!(int("true"), Read::Unreadable);
        assert_eq!(int("9007199254740992"), Read::Value(1 << 53));
        assert_eq!(int("9007199254740993"), Read::Unreadable);
        assert_eq!(int("-9007199254740993"), Read::Unreadable);
        assert_eq!(int("4.5"), Read::Unreadable);
        assert_eq!(int("1e300"), Read::Unreadable);
        assert_eq!(int("{}"), Read::Unreadable);
    }

    #[test]
    fn a_flag_is_zero_or_one_and_nothing_else() {
        assert_eq!(flag("1"), Read::Value(true));
        assert_eq!(flag("\"0\""), Read::Value(false));
        assert_eq!(flag("false"), Read::Value(false));
        assert_eq!(flag("true"), Read::Value(true));
        assert_eq!(flag("2"), Read::Unreadable);
        assert_eq!(switch("1"), Read::Value(true));
        assert_eq!(switch("\"0\""), Read::Value(false));
        assert_eq!(
            switch("true"),
            Read::Unreadable,
            "a status is a documented number"
        );
        assert_eq!(switch("2"), Read::Unreadable);
        assert_eq!(flag("{\"on\":true}"), Read::Unreadable);
    }

    #[test]
    fn text_is_cut_and_takes_numbers_but_not_structures() {
        assert_eq!(text("\"a\\nb\""), Read::Value("a\nb".into()));
        assert_eq!(text("12"), Read::Value("12".into()));
        assert_eq!(text("[\"a\"]"), Read::Unreadable);
        assert_eq!(text("\"a\\ud800\""), Read::Value("a\u{fffd}".into()));
        let long = format!("\"{}\"", "é".repeat(1000));
        match text(&long) {
            Read::Value(s) => assert_eq!(s.chars().count(), MAX_TEXT_CHARS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timestamps_are_read_in_the_configured_zone() {
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        let utc = FixedOffset::east_opt(0).unwrap();
        let at = |raw: &str| match time(raw) {
            Read::Value(t) => t,
            other => panic!("{raw}: {other:?}"),
        };
        assert_eq!(at("\"2022-05-13 12:14:15\"").unix(&utc), Some(1652444055.0));
        assert_eq!(
            at("\"2022-05-13 12:14:15\"").unix(&beijing),
            Some(1652444055.0 - 8.0 * 3600.0)
        );
        assert_eq!(
            at("\"2019-08-24T14:15:22Z\"").unix(&beijing),
            Some(1566656122.0)
        );
        assert_eq!(at("\"2022-05-13\"").unix(&utc), Some(1652400000.0));
        assert_eq!(at("1652444055").unix(&beijing), Some(1652444055.0));
        assert_eq!(time("\"soon\""), Read::Unreadable);
        assert_eq!(time("\"\""), Read::Missing);
        assert_eq!(time("\"0000-00-00 00:00:00\""), Read::Missing);
        assert_eq!(time("{\"date\":\"2022-05-13\"}"), Read::Unreadable);
    }
}
