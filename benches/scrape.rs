//! What a scrape costs inside the exporter, at 100, 1,000 and 10,000 accounts (packages and
//! purchased static IPs in proportion, as the simulator seeds them):
//!
//! - `render/N`: one refresh's CPU work: every collector's snapshot → families → both exposition
//!   formats and their gzip pieces (done once per TTL, not per scrape);
//! - `cached_scrape/{text,gzip}/N`: a scrape inside the TTL: the stored renderings joined with
//!   the freshly encoded self metrics. It should not grow with N beyond copying bytes.
//!
//! Run: `cargo bench --bench scrape`. Results and their reading: BENCHMARKS.md.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use proxy911_exporter::cache::CachePolicy;
use proxy911_exporter::collector::{
    accounts, packages, static_ips, traffic, CollectorId, CollectorSpec, RenderContext,
};
use proxy911_exporter::exposition::{DataFamily, Format, Inflater, Part, Rendered};
use proxy911_exporter::metrics::{self, SelfMetrics};
use proxy911_exporter::scrape::{Answer, HealthMetrics, Scraper};
use proxy911_exporter::upstream::api::IpType;
use proxy911_exporter::upstream::decode::ApiTime;
use proxy911_exporter::upstream::model::{
    Account, DailyFlow, Package, PackageSummary, StaticIp, StaticIpRegion,
};
use proxy911_exporter::upstream::ProductType;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

struct Snapshots {
    accounts: accounts::Snapshot,
    packages: packages::Snapshot,
    static_ips: static_ips::Snapshot,
    traffic: traffic::Snapshot,
}

fn snapshots(n: usize) -> Snapshots {
    let countries = ["US", "GB", "DE", "JP", "SG", "BR"];
    let accounts = (0..n)
        .map(|i| Account {
            id: Some(1000 + i as i64),
            username: Some(format!("user{i:05}")),
            created_at: ApiTime::parse("2026-01-02 03:04:05"),
            remark: Some(format!("fleet {} \"eu\" 生产", i % 17)),
            product_type: Some(ProductType::from_code([9, 11, 14, 25][i % 4])),
            usage_flow: Some((i * 7919 % 10_000_000) as f64),
            limit_flow: Some([0.0, 50.0, 100.0, 500.0][i % 4]),
            enabled: Some(i % 20 != 0),
        })
        .collect();
    let packages = (0..n / 10 + 8)
        .map(|i| Package {
            id: Some(5000 + i as i64),
            created_at: ApiTime::parse("2026-01-01 00:00:00"),
            expired_at: ApiTime::parse("2027-01-01 00:00:00"),
            product_type: Some(ProductType::from_code([9, 12, 14, 25][i % 4])),
            trade_no: Some(format!("2026{:020}", i)),
        })
        .collect();
    let summary = PackageSummary {
        total: Some(1e9),
        total_count: Some(5.0),
        effective: Some(5e8),
        effective_count: Some(3.0),
        ..Default::default()
    };
    let ips = (0..(n / 5).max(120))
        .map(|i| StaticIp {
            ip: Some(format!("45.1.{}.{}", i / 256 % 256, i % 256)),
            country_code: Some(countries[i % countries.len()].into()),
            product_type: Some(ProductType::from_code([14, 25][i % 2])),
            status: Some((i % 4) as i64 + 1),
            expired_at: None,
        })
        .collect();
    let regions = countries
        .iter()
        .map(|c| StaticIpRegion {
            code: Some(c.to_string()),
            number: Some(100.0),
        })
        .collect::<Vec<_>>();
    Snapshots {
        accounts: accounts::Snapshot { accounts },
        packages: packages::Snapshot {
            summaries: vec![
                (ProductType::DynamicResidentialTraffic, summary.clone()),
                (ProductType::LongTermIdcTraffic, summary),
            ],
            packages,
        },
        static_ips: static_ips::Snapshot {
            regions: vec![
                (IpType::Residential, regions.clone()),
                (IpType::Datacenter, regions),
            ],
            ips,
        },
        traffic: traffic::Snapshot {
            days: (1..=7)
                .map(|d| DailyFlow {
                    day: Some(format!("2026-11-{d:02}")),
                    flow: Some(1e7),
                })
                .collect(),
        },
    }
}

fn ctx() -> RenderContext {
    RenderContext {
        timezone: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    }
}

/// Every collector's families, in collector order.
fn families(s: &Snapshots) -> Vec<(CollectorId, Vec<DataFamily>)> {
    let ctx = ctx();
    vec![
        (accounts::ID, accounts::families(&s.accounts, &ctx)),
        (packages::ID, packages::families(&s.packages, &ctx)),
        (static_ips::ID, static_ips::families(&s.static_ips, &ctx)),
        (traffic::ID, traffic::families(&s.traffic, &ctx)),
    ]
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    for n in SIZES {
        let s = snapshots(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| {
                families(s)
                    .into_iter()
                    .map(|(_, families)| Rendered::new(families).samples)
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

/// A scraper whose collectors serve the given families, already refreshed once.
fn warm_scraper(runtime: &tokio::runtime::Runtime, s: &Snapshots) -> Arc<Scraper> {
    let specs = families(s)
        .into_iter()
        .map(|(id, families)| {
            let families = Arc::new(families);
            CollectorSpec {
                id,
                fetch: Arc::new(move || {
                    let families = families.clone();
                    Box::pin(async move { Ok(families.as_ref().clone()) })
                }),
                ttl: None,
            }
        })
        .collect();
    let policy = CachePolicy {
        ttl: Duration::from_secs(3600),
        max_stale: Duration::from_secs(7200),
    };
    let mut registry = metrics::registry();
    let health = HealthMetrics::register(registry.sub_registry_with_prefix("proxy911"));
    let metrics = Arc::new(SelfMetrics::new(registry));
    let scraper = Arc::new(Scraper::new(specs, policy, health, metrics));
    runtime.block_on(scraper.scrape(deadline(), Format::Text));
    scraper
}

fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(10)
}

fn cached_scrape(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("cached_scrape");
    for n in SIZES {
        let scraper = warm_scraper(&runtime, &snapshots(n));
        for (label, gzip) in [("text", false), ("gzip", true)] {
            let body = |answer: Answer| -> usize {
                if gzip {
                    answer.gzip().iter().map(|c| c.len()).sum()
                } else {
                    // A client without gzip: small renderings are sent as kept, large ones
                    // inflated as they are sent.
                    let (parts, _) = answer.plain();
                    let mut sent = 0;
                    for part in parts {
                        match part {
                            Part::Plain(bytes) => sent += bytes.len(),
                            Part::Deflate(bytes) => {
                                let mut inflater = Inflater::new([bytes]);
                                while let Some(chunk) = inflater.next_chunk() {
                                    sent += chunk.len();
                                }
                            }
                        }
                    }
                    sent
                }
            };
            let bytes = body(runtime.block_on(scraper.scrape(deadline(), Format::Text)));
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter(|| body(runtime.block_on(scraper.scrape(deadline(), Format::Text))))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, render, cached_scrape);
criterion_main!(benches);
