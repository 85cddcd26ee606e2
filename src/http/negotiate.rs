//! Content negotiation for `/metrics`, as client_golang does it: the `Accept` media range with
//! the highest q-value that we serve wins (OpenMetrics or classic text), and gzip is used when
//! `Accept-Encoding` allows it.

use crate::exposition::Format;

/// Picks the exposition format from an `Accept` header (classic text if nothing better fits).
pub fn format(accept: Option<&str>) -> Format {
    let mut best: Option<(f32, Format)> = None;
    for range in accept.unwrap_or("").split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut version = None;
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.trim().parse().unwrap_or(0.0),
                    "version" => version = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        let candidate = match media.as_str() {
            "application/openmetrics-text"
                if matches!(version.as_deref(), None | Some("1.0.0") | Some("0.0.1")) =>
            {
                Format::OpenMetrics
            }
            "text/plain" | "*/*" | "text/*" => Format::Text,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, f)| f).unwrap_or(Format::Text)
}

/// Whether an `Accept-Encoding` header allows gzip.
pub(crate) fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.unwrap_or("").split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let q_zero = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_accept_header_gets_openmetrics() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(format(Some(prometheus)), Format::OpenMetrics);
    }

    #[test]
    fn text_wins_when_preferred_or_nothing_is_asked() {
        assert_eq!(format(None), Format::Text);
        assert_eq!(format(Some("*/*")), Format::Text);
        assert_eq!(
            format(Some(
                "text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5"
            )),
            Format::Text
        );
        assert_eq!(format(Some("application/json")), Format::Text);
        assert_eq!(
            format(Some("application/openmetrics-text;version=2.0.0")),
            Format::Text
        );
    }

    #[test]
    fn gzip_is_used_only_when_allowed() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, gzip;q=0.8")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(None));
    }
}
