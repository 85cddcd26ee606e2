//! Exposition: metric families built from upstream data, rendered once per refresh into both
//! formats SPEC §3 serves (classic text 0.0.4 and OpenMetrics 1.0), each also pre-compressed.
//!
//! Encoding goes through prometheus-client (a [`Collector`] of const metrics), which escapes label
//! values. Compression keeps each collector's output as a sync-flushed raw DEFLATE piece, so a
//! scrape joins the stored pieces and compresses only the small self-metrics tail into one
//! well-formed single-member gzip stream: a cached scrape does no per-series work.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

/// Prefix of every exporter metric.
pub const PREFIX: &str = "proxy911";
/// Appended to every upstream-data HELP text: the values are cached.
const CACHED_NOTE: &str = " (cached upstream data, see proxy911_collector_cache_age_seconds)";

/// The two exposition formats of SPEC §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic Prometheus text, version 0.0.4.
    Text,
    /// OpenMetrics 1.0.0.
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A label value, shared: one account's labels appear in five families, so they are allocated
/// once per account rather than once per series.
pub type LabelValue = Arc<str>;
pub type Labels = Vec<(&'static str, LabelValue)>;

/// One metric family of upstream data; samples keep insertion order, and a label set that comes
/// again is dropped when the family is rendered.
#[derive(Debug, Clone)]
pub struct Family {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    metric_type: MetricType,
    samples: Vec<(Labels, f64)>,
}

impl Family {
    /// A gauge named `proxy911_{name}` (plus `_{unit}` when a unit is given).
    pub fn gauge(name: &'static str, help: &'static str, unit: Option<Unit>) -> Self {
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
        Family {
            name,
            help,
            unit,
            metric_type,
            samples: Vec::new(),
        }
    }

    /// Adds a sample.
    pub fn push(&mut self, labels: Labels, value: f64) {
        self.samples.push((labels, value));
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
struct FamilySet(Vec<Family>);

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
                let sample = metric.encode_family(labels)?;
                match family.metric_type {
                    MetricType::Counter => ConstCounter::new(*value).encode(sample)?,
                    _ => ConstGauge::new(*value).encode(sample)?,
                }
            }
        }
        Ok(())
    }
}

/// A piece of a gzip stream: raw DEFLATE ending in a sync flush (byte-aligned, not final), with
/// the CRC and length of its uncompressed bytes, so pieces can be joined without recompressing.
#[derive(Debug, Clone, Default)]
pub struct DeflatePiece {
    deflate: Bytes,
    crc: crc32fast::Hasher,
    len: u64,
}

impl DeflatePiece {
    pub fn compress(data: &[u8]) -> Self {
        let mut encoder = DeflateEncoder::new(
            Vec::with_capacity(data.len() / 4 + 64),
            Compression::default(),
        );
        // Writing to a Vec cannot fail; `flush` is a sync flush in flate2.
        encoder.write_all(data).expect("write to Vec");
        encoder.flush().expect("flush to Vec");
        let deflate = Bytes::from(std::mem::take(encoder.get_mut()));
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        DeflatePiece {
            deflate,
            crc,
            len: data.len() as u64,
        }
    }
}

impl DeflatePiece {
    /// The last piece of a stream: raw DEFLATE ending in a final block, compressed fast (it is
    /// small and made at most once a second).
    pub fn compress_last(data: &[u8]) -> Self {
        let mut encoder =
            DeflateEncoder::new(Vec::with_capacity(data.len() / 3 + 64), Compression::fast());
        // Writing to a Vec cannot fail.
        encoder.write_all(data).expect("write to Vec");
        let deflate = Bytes::from(encoder.finish().expect("finish to Vec"));
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        DeflatePiece {
            deflate,
            crc,
            len: data.len() as u64,
        }
    }
}

/// Joins pre-compressed pieces and a last piece (from [`DeflatePiece::compress_last`]) into one
/// gzip member, as chunks: every piece's bytes are shared, not copied, and nothing is
/// compressed here.
pub fn gzip_join<'a>(
    pieces: impl IntoIterator<Item = &'a DeflatePiece>,
    last: &'a DeflatePiece,
) -> Vec<Bytes> {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = vec![Bytes::from_static(&HEADER)];
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for piece in pieces.into_iter().chain(std::iter::once(last)) {
        chunks.push(piece.deflate.clone());
        crc.combine(&piece.crc);
        len += piece.len;
    }
    let mut trailer = Vec::with_capacity(8);
    trailer.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE is the length modulo 2^32, as RFC 1952 defines it.
    trailer.extend_from_slice(&(len as u32).to_le_bytes());
    chunks.push(Bytes::from(trailer));
    chunks
}

/// A collector's families, rendered in both formats, plain and as gzip pieces.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub text: Bytes,
    pub text_gzip: DeflatePiece,
    pub openmetrics: Bytes,
    pub openmetrics_gzip: DeflatePiece,
    /// Number of samples, for logs and benchmarks.
    pub samples: usize,
}

impl Rendered {
    pub fn new(mut families: Vec<Family>) -> Self {
        let dropped: usize = families.iter_mut().map(Family::dedup).sum();
        if dropped > 0 {
            tracing::debug!(dropped, "duplicate series dropped");
        }
        let samples = families.iter().map(Family::len).sum();
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register_collector(Box::new(FamilySet(families)));
        // Sized for a typical line up front, so the buffers do not grow by doubling.
        let mut text = String::with_capacity(samples * 140 + 4096);
        let mut openmetrics = String::with_capacity(samples * 140 + 4096);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
            .expect("writing to a String cannot fail");
        prometheus_client::encoding::text::encode_registry(&mut openmetrics, &registry)
            .expect("writing to a String cannot fail");
        // Kept for a whole TTL, twice while a refresh runs: give back the unused reserve.
        text.shrink_to_fit();
        openmetrics.shrink_to_fit();
        Rendered {
            text_gzip: DeflatePiece::compress(text.as_bytes()),
            openmetrics_gzip: DeflatePiece::compress(openmetrics.as_bytes()),
            text: Bytes::from(text),
            openmetrics: Bytes::from(openmetrics),
            samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn a_series_never_appears_twice() {
        let mut family = Family::gauge("x", "help", None);
        family.push(vec![("a", "1".into())], 1.0);
        family.push(vec![("a", "1".into())], 2.0);
        family.push(vec![("a", "2".into())], 2.0);
        let rendered = Rendered::new(vec![family]);
        let text = std::str::from_utf8(&rendered.text).unwrap();
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
        let mut used = Family::counter("used", "Used traffic", Some(Unit::Bytes));
        used.push(vec![("account", "a\"b\\c\nd".into())], 2048.0);
        let mut limit = Family::gauge("limit", "Limit", Some(Unit::Bytes));
        limit.push(vec![], f64::INFINITY);
        let rendered = Rendered::new(vec![used, limit]);
        let text = std::str::from_utf8(&rendered.text).unwrap();
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
        let om = std::str::from_utf8(&rendered.openmetrics).unwrap();
        assert!(
            om.contains("# TYPE proxy911_used_bytes counter\n# UNIT proxy911_used_bytes bytes\n"),
            "{om}"
        );
        assert!(!om.contains("# EOF"));
        assert_eq!(rendered.samples, 2);
        assert_eq!(
            gunzip(&gzip_join(
                [&rendered.text_gzip],
                &DeflatePiece::compress_last(b"")
            )),
            text
        );
    }
}
