//! Every flag value is validated and nothing panics: property tests over each
//! value parser of `config::parse` (arbitrary strings never panic, valid values round-trip,
//! values out of range are refused) and over the whole command line, and the real binary with
//! the largest values it accepts.

mod common;

use std::time::Duration;

use clap::{CommandFactory, Parser};
use proptest::prelude::*;
use proxy911_exporter::config::parse::{
    parse_api_url, parse_duration, parse_log_level, parse_positive_duration, parse_rate,
    parse_telemetry_path, parse_timezone, MAX_DURATION, MAX_RATE, MIN_RATE,
};
use proxy911_exporter::config::Cli;

/// Every flag of the command line and of its subcommands, read from clap's own definition so
/// that a flag added later is covered too: the words before the flag, and the flag.
fn invocations() -> Vec<(Vec<String>, String)> {
    let cli = Cli::command();
    let longs = |command: &clap::Command| -> Vec<String> {
        command
            .get_arguments()
            .filter_map(|arg| arg.get_long())
            .filter(|long| !matches!(*long, "help" | "version"))
            .map(|long| format!("--{long}"))
            .collect()
    };
    let mut all: Vec<(Vec<String>, String)> =
        longs(&cli).into_iter().map(|flag| (vec![], flag)).collect();
    for sub in cli.get_subcommands() {
        let words = vec![sub.get_name().to_string()];
        all.extend(longs(sub).into_iter().map(|flag| (words.clone(), flag)));
    }
    assert!(all.len() > 20, "{all:?}");
    all
}

/// Text that looks like a flag value more often than arbitrary text does: digits, units, signs,
/// separators, and a few characters of more than one byte.
fn near_miss() -> impl Strategy<Value = String> {
    "[-+0-9.:eE/a-zé中 _=,\\[\\]{}\"]{0,16}"
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), near_miss()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn no_value_parser_panics_on_any_text(text in any_text()) {
        let _ = parse_duration(&text);
        let _ = parse_positive_duration(&text);
        let _ = parse_rate(&text);
        let _ = parse_telemetry_path(&text);
        let _ = parse_api_url(&text);
        let _ = parse_timezone(&text);
        let _ = parse_log_level(&text);
    }

    #[test]
    fn no_flag_value_makes_the_command_line_panic(
        (words, flag) in prop::sample::select(invocations()),
        value in any_text(),
    ) {
        let program = || std::iter::once("proxy911-exporter".to_string()).chain(words.clone());
        let _ = Cli::try_parse_from(program().chain([format!("{flag}={value}")]));
        let _ = Cli::try_parse_from(program().chain([flag.clone(), value]));
    }

    #[test]
    fn durations_round_trip_up_to_the_longest(nanos in 0..=MAX_DURATION.as_nanos() as u64) {
        let duration = Duration::from_nanos(nanos);
        let text = humantime::format_duration(duration).to_string();

        prop_assert_eq!(parse_duration(&text), Ok(duration));
        prop_assert_eq!(parse_positive_duration(&text).is_ok(), nanos > 0);
    }

    #[test]
    fn durations_past_the_longest_are_refused(extra in 1..=u64::MAX / 2) {
        let duration = MAX_DURATION.saturating_add(Duration::from_nanos(extra));
        let text = humantime::format_duration(duration).to_string();

        prop_assert!(parse_duration(&text).is_err(), "{text}");
    }

    #[test]
    fn rates_in_range_round_trip(rate in MIN_RATE..=MAX_RATE) {
        prop_assert_eq!(parse_rate(&rate.to_string()), Ok(rate));
        prop_assert_eq!(parse_rate(&format!("{rate:e}")), Ok(rate));
    }

    #[test]
    fn rates_out_of_range_are_refused(rate in any::<f64>()) {
        prop_assume!(!(MIN_RATE..=MAX_RATE).contains(&rate));

        let refused = parse_rate(&rate.to_string());

        prop_assert!(refused.is_err(), "{rate}");
        prop_assert!(refused.unwrap_err().contains("requests per second"));
    }

    #[test]
    fn utc_offsets_round_trip(east in any::<bool>(), hours in 0..=14i32, minutes in 0..60i32) {
        let sign = if east { '+' } else { '-' };
        let seconds = if east { 1 } else { -1 } * (hours * 3600 + minutes * 60);

        for text in [format!("{sign}{hours:02}:{minutes:02}"), format!("{sign}{hours:02}{minutes:02}")] {
            let offset = parse_timezone(&text).map(|o| o.local_minus_utc());
            prop_assert_eq!(offset, Ok(seconds), "{}", text);
        }
        let offset = parse_timezone(&format!("{sign}{hours:02}:{minutes:02}")).unwrap();
        prop_assert_eq!(parse_timezone(&offset.to_string()), Ok(offset));
    }

    #[test]
    fn telemetry_paths_of_url_characters_are_taken_as_given(path in "/[A-Za-z0-9_.~][A-Za-z0-9/_.~-]{0,30}") {
        prop_assume!(!path.starts_with("/admin"));

        prop_assert_eq!(parse_telemetry_path(&path), Ok(path.clone()));
    }

    #[test]
    fn api_urls_round_trip_with_their_host_port_and_path_prefix(
        https in any::<bool>(),
        host in "[a-z][a-z0-9]{0,9}(\\.[a-z][a-z0-9]{0,9}){0,2}",
        port in prop::option::of(1..=u16::MAX),
        prefix in "(/[a-z0-9_-]{1,8}){0,3}/?",
    ) {
        let scheme = if https { "https" } else { "http" };
        let port_part = port.map(|p| format!(":{p}")).unwrap_or_default();
        let text = format!("{scheme}://{host}{port_part}{prefix}");

        let url = parse_api_url(&text).unwrap();

        prop_assert_eq!(url.host_str(), Some(host.as_str()));
        prop_assert_eq!(url.port_or_known_default(), Some(port.unwrap_or(if https { 443 } else { 80 })));
        prop_assert_eq!(url.path().trim_end_matches('/'), prefix.trim_end_matches('/'));
        prop_assert_eq!(parse_api_url(url.as_str()), Ok(url.clone()));
    }

    #[test]
    fn log_levels_and_directives_are_taken_as_given(
        level in prop::sample::select(&["error", "warn", "info", "debug", "trace", "off", "WARN"][..]),
        targets in prop::collection::vec(("[a-z_]{1,8}(::[a-z_]{1,8}){0,2}", prop::sample::select(&["error", "info", "trace"][..])), 0..3),
    ) {
        let mut directive = level.to_string();
        for (target, level) in targets {
            directive += &format!(",{target}={level}");
        }

        prop_assert_eq!(parse_log_level(&directive), Ok(directive.clone()));
    }
}

#[test]
fn extreme_numbers_are_refused_as_rates_and_durations() {
    for rate in [
        "1e-20", "1e308", "NaN", "nan", "inf", "-inf", "-0", "0", "5e-324", "0.0009", "10000.1",
    ] {
        assert!(parse_rate(rate).is_err(), "{rate}");
    }
    for rate in ["0.001", "1", "2", "10000", " 2.5 "] {
        assert!(parse_rate(rate).is_ok(), "{rate}");
    }
    for duration in ["18446744073709551615s", "11y", "584942417355y"] {
        assert!(parse_duration(duration).is_err(), "{duration}");
    }
    assert_eq!(parse_duration("10y"), Ok(MAX_DURATION));
}

#[test]
fn a_timezone_with_a_wide_character_is_refused_not_a_panic() {
    for text in [
        "+1é1", "-é12", "+0é", "+中", "++05:00", "+-5", "+08:0", "+123",
    ] {
        assert!(parse_timezone(text).is_err(), "{text}");
    }
}

#[test]
fn log_directives_with_spaces_around_them_are_trimmed_not_a_panic() {
    assert_eq!(parse_log_level(" é=info"), Ok("é=info".into()));
    assert_eq!(
        parse_log_level("warn, 中::x=debug "),
        Ok("warn,中::x=debug".into())
    );
    assert!(parse_log_level(" é=loud").is_err());
}

/// The largest durations the command line accepts are served without a panic: deadlines and
/// the scrape wait are computed from them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_accepted_durations_serve_scrapes() {
    let (_sim, url) = common::simulator(None).await;
    let port = common::free_port();
    let child = common::spawn_exporter(
        port,
        &url,
        &[
            "--web.scrape-timeout-offset",
            "10y",
            "--cache.ttl",
            "10y",
            "--cache.max-stale",
            "10y",
            "--api.timeout",
            "10y",
        ],
        &[],
    );
    let http = common::http();
    let mut statuses = Vec::new();
    for timeout in [None, Some("10"), Some("1e300")] {
        // Until the exporter listens: 20 s at most, then the test fails saying so.
        let mut answer = None;
        for _ in 0..400 {
            let mut request = http.get(format!("http://127.0.0.1:{port}/metrics"));
            if let Some(timeout) = timeout {
                request = request.header("X-Prometheus-Scrape-Timeout-Seconds", timeout);
            }
            match request.send().await {
                Ok(got) => {
                    answer = Some(got);
                    break;
                }
                Err(e) if e.is_connect() => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("scrape with timeout {timeout:?}: {e}"),
            }
        }
        let answer = answer.expect("the exporter never listened within 20 s");
        statuses.push(answer.status().as_u16());
    }
    let logs = common::stop_and_read_logs(child).await;

    assert_eq!(statuses, [200, 200, 200], "{logs}");
    assert!(!logs.contains("panicked"), "{logs}");
}
