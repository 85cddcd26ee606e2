//! Exposition: metric families built from upstream data, rendered once per refresh into both
//! formats the exporter serves (classic text 0.0.4 and OpenMetrics 1.0), each also pre-compressed.
//!
//! Encoding goes through prometheus-client (a [`Collector`] of const metrics), which escapes label
//! values. Compression keeps each collector's output as a sync-flushed raw DEFLATE piece, so a
//! scrape joins the stored pieces and compresses only the small self-metrics tail into one
//! well-formed single-member gzip stream: a cached scrape does no per-series work.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

mod deflate;

pub use deflate::{gzip_join, inflate, DeflatePiece, DeflateWriter, Inflater, Part};

/// Prefix of every exporter metric.
pub(crate) const PREFIX: &str = "proxy911";
/// Appended to every upstream-data HELP text: the values are cached.
const CACHED_NOTE: &str = " (cached upstream data, see proxy911_collector_cache_age_seconds)";

/// The two exposition formats the exporter serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic Prometheus text, version 0.0.4.
    Text,
    /// OpenMetrics 1.0.0.
    OpenMetrics,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A label value, shared: one account's labels appear in five families, so they are allocated
/// once per account rather than once per series.
pub(crate) type LabelValue = Arc<str>;
/// A label set, shared the same way: a sample holds a pointer to it (16 bytes), not a copy (at
/// 100,000 accounts, five families of copies were ~60 MB while a refresh rendered).
pub type Labels = Arc<[(&'static str, LabelValue)]>;

/// One metric family of upstream data; samples keep insertion order, and a label set that comes
/// again is dropped when the family is rendered.
#[derive(Debug, Clone)]
pub struct DataFamily {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    metric_type: MetricType,
    samples: Vec<(Labels, f64)>,
}

impl DataFamily {
    /// A gauge named `proxy911_{name}` (plus `_{unit}` when a unit is given).
    pub(crate) fn gauge(name: &'static str, help: &'static str, unit: Option<Unit>) -> Self {
        Self::new(name, help, unit, MetricType::Gauge)
    }

    /// A counter named `proxy911_{name}[_{unit}]_total`.
    pub fn counter(name: &'static str, help: &'static str, unit: Option<Unit>) -> Self {
        Self::new(name, help, unit, MetricType::Counter)
    }

    fn new(
        name: &'static str,
        help: &'static str,
        unit: Option<Unit>,
        metric_type: MetricType,
    ) -> Self {
        DataFamily {
            name,
            help,
            unit,
            metric_type,
            samples: Vec::new(),
        }
    }

    /// Adds a sample.
    /// Makes room for `additional` samples at once (a vector grown by doubling holds up to
    /// twice what it needs).
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.samples.reserve_exact(additional);
    }

    pub fn push(&mut self, labels: impl Into<Labels>, value: f64) {
        self.samples.push((labels.into(), value));
    }

    /// Drops every sample whose label set came earlier: a series never appears twice, whatever
    /// the upstream sends. Returns how many were dropped. (Done once, here, rather than by
    /// keeping a set of cloned labels beside the samples: that doubled the memory.)
    pub fn dedup(&mut self) -> usize {
        let keep: Vec<bool> = {
            let mut seen = HashSet::with_capacity(self.samples.len());
            self.samples
                .iter()
                .map(|(labels, _)| seen.insert(labels))
                .collect()
        };
        let before = self.samples.len();
        let mut keep = keep.into_iter();
        self.samples.retain(|_| keep.next().unwrap_or(true));
        before - self.samples.len()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

#[derive(Debug)]
struct FamilySet(Vec<DataFamily>);

impl Collector for FamilySet {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for family in self.0.iter().filter(|f| !f.is_empty()) {
            let help = format!("{}{CACHED_NOTE}", family.help);
            let mut metric = encoder.encode_descriptor(
                family.name,
                &help,
                family.unit.as_ref(),
                family.metric_type,
            )?;
            for (labels, value) in &family.samples {
                let labels: &[_] = labels;
                let sample = metric.encode_family(&labels)?;
                match family.metric_type {
                    MetricType::Counter => ConstCounter::new(*value).encode(sample)?,
                    _ => ConstGauge::new(*value).encode(sample)?,
                }
            }
        }
        Ok(())
    }
}

/// A collector's families, rendered in both formats, kept compressed only: the plain text of
/// 100,000 accounts is ~64 MB a format, its DEFLATE a tenth of that. Prometheus takes gzip; the
/// rare client that does not gets the pieces inflated as they are sent ([`inflate`]).
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub text_deflate: DeflatePiece,
    pub openmetrics_deflate: DeflatePiece,
    /// Number of samples, for logs and benchmarks.
    pub samples: usize,
    /// The plain text of a small rendering, inflated on its first plain request and kept
    /// ([`Rendered::small_plain`]).
    text_plain: OnceLock<Bytes>,
    openmetrics_plain: OnceLock<Bytes>,
}

/// Largest plain rendering kept inflated: below it, a plain scrape sends stored bytes instead of
/// inflating each time (1,000 accounts are ~0.7 MB); above it, memory matters more.
const SMALL_PLAIN: u64 = 1024 * 1024;

impl Rendered {
    pub fn new(mut families: Vec<DataFamily>) -> Self {
        let dropped: usize = families.iter_mut().map(DataFamily::dedup).sum();
        if dropped > 0 {
            tracing::debug!(dropped, "duplicate series dropped");
        }
        let samples = families.iter().map(DataFamily::len).sum();
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register_collector(Box::new(FamilySet(families)));
        // Each format is encoded straight into its compressor: the plain text is never held.
        let mut text = DeflateWriter::new(samples * 12);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
            .expect("writing to a compressor in memory cannot fail");
        let mut openmetrics = DeflateWriter::new(samples * 12);
        prometheus_client::encoding::text::encode_registry(&mut openmetrics, &registry)
            .expect("writing to a compressor in memory cannot fail");
        Rendered {
            text_deflate: text.finish(),
            openmetrics_deflate: openmetrics.finish(),
            samples,
            text_plain: OnceLock::new(),
            openmetrics_plain: OnceLock::new(),
        }
    }

    /// The plain text of `format`, kept after the first call, if the rendering is small
    /// (at most 1 MiB plain); `None` for a large one, which is inflated as it is sent.
    pub(crate) fn small_plain(&self, format: Format) -> Option<Bytes> {
        let piece = self.piece(format);
        if piece.plain_len() > SMALL_PLAIN {
            return None;
        }
        let cell = match format {
            Format::Text => &self.text_plain,
            Format::OpenMetrics => &self.openmetrics_plain,
        };
        Some(
            cell.get_or_init(|| Bytes::from(inflate(&[piece.deflate()])))
                .clone(),
        )
    }

    /// The compressed rendering of `format`.
    pub fn piece(&self, format: Format) -> &DeflatePiece {
        match format {
            Format::Text => &self.text_deflate,
            Format::OpenMetrics => &self.openmetrics_deflate,
        }
    }

    /// The plain text of `format` (tests, benchmarks; a scrape streams it instead).
    pub fn plain(&self, format: Format) -> String {
        String::from_utf8_lossy(&inflate(&[self.piece(format).deflate()])).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::io::Read;

    fn gunzip(chunks: &[Bytes]) -> String {
        let data = chunks.concat();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&data[..])
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn joined_pieces_form_one_valid_gzip_member() {
        let a = DeflatePiece::compress(b"first piece\n");
        let b = DeflatePiece::compress(&b"second piece, repeated\n".repeat(100));
        let empty = DeflatePiece::compress(b"");
        let gz = gzip_join([&a, &empty, &b], &DeflatePiece::compress_last(b"tail\n"));
        let expected = format!(
            "first piece\n{}tail\n",
            "second piece, repeated\n".repeat(100)
        );
        assert_eq!(gunzip(&gz), expected);
    }

    #[test]
    fn a_small_rendering_keeps_its_plain_text_and_a_large_one_does_not() {
        let mut small = DataFamily::gauge("x", "help", None);
        small.push(vec![("a", "1".into())], 1.0);
        let rendered = Rendered::new(vec![small]);
        let kept = rendered.small_plain(Format::Text).unwrap();
        assert_eq!(kept, rendered.plain(Format::Text).as_bytes());
        let again = rendered.small_plain(Format::Text).unwrap();
        assert_eq!(kept.as_ptr(), again.as_ptr(), "inflated once, then shared");

        let mut large = DataFamily::gauge("y", "help", None);
        for i in 0..40_000 {
            large.push(vec![("account", format!("user{i:08}").into())], i as f64);
        }
        let rendered = Rendered::new(vec![large]);
        assert!(rendered.piece(Format::Text).plain_len() > SMALL_PLAIN);
        assert!(rendered.small_plain(Format::Text).is_none());
    }

    #[test]
    fn a_series_never_appears_twice() {
        let mut family = DataFamily::gauge("x", "help", None);
        family.push(vec![("a", "1".into())], 1.0);
        family.push(vec![("a", "1".into())], 2.0);
        family.push(vec![("a", "2".into())], 2.0);
        let rendered = Rendered::new(vec![family]);
        let text = rendered.plain(Format::Text);
        let text = text.as_str();
        assert_eq!(rendered.samples, 2);
        assert!(
            text.contains("proxy911_x{a=\"1\"} 1.0\n")
                && !text.contains("} 2.0\nproxy911_x{a=\"1\"}"),
            "{text}"
        );
        assert_eq!(text.matches("proxy911_x{a=\"1\"}").count(), 1, "{text}");
    }

    #[test]
    fn both_formats_name_units_and_counters_as_prometheus_expects() {
        let mut used = DataFamily::counter("used", "Used traffic", Some(Unit::Bytes));
        used.push(vec![("account", "a\"b\\c\nd".into())], 2048.0);
        let mut limit = DataFamily::gauge("limit", "Limit", Some(Unit::Bytes));
        limit.push(vec![], f64::INFINITY);
        let rendered = Rendered::new(vec![used, limit]);
        let text = rendered.plain(Format::Text);
        let text = text.as_str();
        assert!(
            text.contains("# TYPE proxy911_used_bytes_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"proxy911_used_bytes_total{account="a\"b\\c\nd"} 2048"#),
            "{text}"
        );
        assert!(
            text.contains("proxy911_limit_bytes inf\n")
                || text.contains("proxy911_limit_bytes +Inf\n"),
            "{text}"
        );
        let om = rendered.plain(Format::OpenMetrics);
        let om = om.as_str();
        assert!(
            om.contains("# TYPE proxy911_used_bytes counter\n# UNIT proxy911_used_bytes bytes\n"),
            "{om}"
        );
        assert!(!om.contains("# EOF"));
        assert_eq!(rendered.samples, 2);
        assert_eq!(
            gunzip(&gzip_join(
                [&rendered.text_deflate],
                &DeflatePiece::compress_last(b"")
            )),
            text
        );
    }
}
