//! The simulator's starting world: a realistic account set that exercises every metric and
//! alert (every product type, several countries, packages near expiry, an account near its
//! limit, a remark with CJK, quotes and a backslash, one username under two product types, an
//! order pending payment for hours and one just placed, a balance, the coverage of the dynamic
//! pool), optionally grown to N accounts with packages, static IPs and orders in proportion.
//! Deterministic but for the clock.
//!
//! The primary app_key's world is [`world`]; every other key's ([`world_of_key`]) has the same
//! shape, bent by a `flavor::Flavor` drawn from the key: its usernames carry a suffix, and its
//! counts, usage, balance and owner are its own.

use std::time::Instant;

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use crate::billing::Billing;
use crate::state::{
    format_time, SimAccount, SimPackage, SimRegion, SimStaticIp, SimUser, World, KB_PER_GB,
};

mod account;
mod flavor;

use account::{coverage, seed_orders};
use flavor::Flavor;

/// A small deterministic generator (xorshift64*), so every run seeds the same world.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct AccountSeed {
    username: &'static str,
    product_type: i64,
    remark: &'static str,
    limit_gb: u64,
    /// Usage now, as a fraction of the limit (or in GB when unlimited).
    usage: f64,
    /// KB per second while enabled.
    rate: f64,
    enabled: bool,
}

const ACCOUNTS: &[AccountSeed] = &[
    AccountSeed {
        username: "alice",
        product_type: 9,
        remark: "生产环境 \"main\" pool \\ EU",
        limit_gb: 200,
        usage: 0.42,
        rate: 180.0,
        enabled: true,
    },
    AccountSeed {
        username: "nearlimit",
        product_type: 9,
        remark: "scraper fleet A",
        limit_gb: 10,
        usage: 0.93,
        rate: 60.0,
        enabled: true,
    },
    AccountSeed {
        username: "shared",
        product_type: 9,
        remark: "same name, traffic plan",
        limit_gb: 0,
        usage: 35.0,
        rate: 90.0,
        enabled: true,
    },
    AccountSeed {
        username: "shared",
        product_type: 25,
        remark: "same name, static plan",
        limit_gb: 50,
        usage: 0.18,
        rate: 12.0,
        enabled: true,
    },
    AccountSeed {
        username: "rotating01",
        product_type: 11,
        remark: "动态IP 测试",
        limit_gb: 0,
        usage: 12.5,
        rate: 45.0,
        enabled: true,
    },
    AccountSeed {
        username: "dcbot",
        product_type: 14,
        remark: "datacenter crawler",
        limit_gb: 500,
        usage: 0.61,
        rate: 240.0,
        enabled: true,
    },
    AccountSeed {
        username: "resi01",
        product_type: 25,
        remark: "",
        limit_gb: 100,
        usage: 0.05,
        rate: 8.0,
        enabled: true,
    },
    AccountSeed {
        username: "paused",
        product_type: 9,
        remark: "on hold\nsee ticket 42",
        limit_gb: 20,
        usage: 0.30,
        rate: 30.0,
        enabled: false,
    },
    AccountSeed {
        username: "capped",
        product_type: 9,
        remark: "hit its limit",
        limit_gb: 5,
        usage: 1.0,
        rate: 25.0,
        enabled: true,
    },
    AccountSeed {
        username: "marketing",
        product_type: 9,
        remark: "ads verification",
        limit_gb: 80,
        usage: 0.22,
        rate: 35.0,
        enabled: true,
    },
];

/// The primary app_key's world: the accounts above (or `accounts` of them, grown past them with
/// generated ones).
pub fn world(accounts: Option<u32>) -> World {
    seeded(
        &Flavor::classic(ACCOUNTS.len()),
        accounts,
        Instant::now(),
        Utc::now(),
    )
}

/// The world of an app_key other than the primary: the same shape, its own figures, the same
/// every time for the same key.
pub fn world_of_key(key: &str, accounts: Option<u32>) -> World {
    world_of_key_at(key, accounts, Instant::now(), Utc::now())
}

/// [`world_of_key`] started at a simulated moment (`now`, which reads as `now_utc`): a world
/// added after the simulator's clock was moved forward.
pub fn world_of_key_at(
    key: &str,
    accounts: Option<u32>,
    now: Instant,
    now_utc: DateTime<Utc>,
) -> World {
    seeded(&Flavor::of_key(key), accounts, now, now_utc)
}

fn seeded(flavor: &Flavor, accounts: Option<u32>, now: Instant, now_utc: DateTime<Utc>) -> World {
    let mut rng = Rng(flavor.rng_seed);
    let mut world = World {
        started: now,
        started_at: now_utc,
        accounts: Vec::new(),
        next_account_id: flavor.first_account_id,
        packages: Vec::new(),
        static_ips: Vec::new(),
        residential_regions: regions(&[
            ("US", 1520),
            ("GB", 340),
            ("DE", 280),
            ("JP", 190),
            ("SG", 75),
            ("BR", 120),
            ("FR", 0),
        ]),
        datacenter_regions: regions(&[
            ("US", 800),
            ("DE", 150),
            ("NL", 210),
            ("SG", 60),
            ("HK", 90),
        ]),
        past_days_kb: (0..6)
            .map(|i| (18.0 + 3.0 * f64::from(i % 3)) * KB_PER_GB * flavor.rate_scale)
            .collect(),
        today_base_kb: 6.0 * KB_PER_GB,
        traffic_counted_to: now,
        user: SimUser {
            id: flavor.user_id,
            email: flavor.email.clone(),
            phone: flavor.phone.clone(),
            status: 1,
            is_real_name: true,
            created_at: now_utc - ChronoDuration::days(400),
        },
        billing: Billing {
            orders: Vec::new(),
            balance: flavor.balance,
            next_order_id: 31_000,
            hours_billed: 0,
        },
        coverage: coverage(),
    };
    let wanted = accounts
        .map(|n| n as usize)
        .unwrap_or(flavor.default_accounts);
    for (i, seed) in ACCOUNTS.iter().take(wanted).enumerate() {
        let usage = seed.usage * flavor.usage_scale;
        let usage_gb = if seed.limit_gb > 0 {
            usage.min(1.0) * seed.limit_gb as f64
        } else {
            usage
        };
        push_account(
            &mut world,
            format!("{}{}", seed.username, flavor.suffix),
            seed.product_type,
            seed.remark.to_string(),
            seed.limit_gb,
            usage_gb * KB_PER_GB,
            seed.rate * flavor.rate_scale,
            seed.enabled,
            (i as i64 + 1) * 9,
        );
    }
    const TYPES: [i64; 4] = [9, 11, 14, 25];
    for i in ACCOUNTS.len()..wanted {
        let limit_gb = [0, 50, 100, 500][rng.below(4) as usize];
        let usage_gb = rng.below(40_000) as f64 / 1000.0;
        push_account(
            &mut world,
            format!("user{i:05}{}", flavor.suffix),
            TYPES[i % 4],
            format!("fleet {}", i % 17),
            limit_gb,
            usage_gb * KB_PER_GB,
            rng.below(50) as f64 * flavor.rate_scale,
            rng.below(20) != 0,
            30 + (i as i64 % 300),
        );
    }
    seed_packages(&mut world, &mut rng, wanted);
    seed_static_ips(&mut world, &mut rng, wanted, flavor.ip_octet);
    seed_orders(&mut world, &mut rng, wanted);
    world
}

#[allow(clippy::too_many_arguments)]
fn push_account(
    world: &mut World,
    username: String,
    product_type: i64,
    remark: String,
    limit_gb: u64,
    usage_kb: f64,
    rate: f64,
    enabled: bool,
    age_days: i64,
) {
    world.next_account_id += 1;
    let password = format!(
        "Pw{}x{}",
        world.next_account_id * 7919 % 100_000,
        username.len()
    );
    world.accounts.push(SimAccount {
        id: world.next_account_id,
        username,
        password,
        created_at: format_time(world.started_at - ChronoDuration::days(age_days)),
        remark,
        product_type,
        usage_kb: usage_kb.round(),
        usage_since: world.started,
        usage_rate: rate,
        limit_gb,
        status: i64::from(enabled),
    });
}

fn seed_packages(world: &mut World, rng: &mut Rng, accounts: usize) {
    // (product type, total GB, used fraction, days until expiry, title)
    let fixed: [(i64, f64, f64, i64, &str); 8] = [
        (9, 100.0, 0.35, 90, "标准套餐 100GB"),
        (9, 20.0, 0.50, 3, "入门级"),
        (9, 10.0, 0.70, -5, "入门级"),
        (12, 500.0, 0.20, 200, "长效IDC 500GB"),
        (12, 50.0, 0.95, 1, "长效IDC 50GB"),
        (14, 0.0, 0.0, 25, "数据中心静态IP"),
        (25, 0.0, 0.0, 6, "住宅静态IP"),
        (11, 0.0, 0.0, 14, "动态住宅IP"),
    ];
    let extra = accounts / 10;
    for i in 0..fixed.len() + extra {
        let (product_type, total_gb, used, days, title) = match fixed.get(i) {
            Some(f) => *f,
            None => (
                [9, 12][i % 2],
                10.0 * (1 + rng.below(20)) as f64,
                rng.below(100) as f64 / 100.0,
                rng.below(400) as i64 - 30,
                "批量套餐",
            ),
        };
        let id = 5000 + i as i64;
        let created_at = world.started_at - ChronoDuration::days(30);
        let expired_at =
            world.started_at + ChronoDuration::days(days) + ChronoDuration::hours(i as i64 % 12);
        world.packages.push(SimPackage {
            id,
            product_type,
            trade_no: format!("2026{:02}{:08}{:06}", 1 + i % 12, 13_120_000 + i * 37, id),
            title: title.to_string(),
            created_at,
            expired_at,
            total_kb: total_gb * KB_PER_GB,
            used_kb: (total_gb * used * KB_PER_GB).round(),
            usage_rate: if total_gb > 0.0 { 40.0 } else { 0.0 },
        });
    }
}

fn seed_static_ips(world: &mut World, rng: &mut Rng, accounts: usize, first_octet: u16) {
    const COUNTRIES: [&str; 6] = ["US", "GB", "DE", "JP", "SG", "BR"];
    let count = (accounts / 5).max(120);
    for i in 0..count {
        let status = match rng.below(20) {
            0..=14 => 1,
            15..=16 => 3,
            17 => 4,
            _ => 2,
        };
        let country = COUNTRIES[(i * 7 + rng.below(3) as usize) % COUNTRIES.len()];
        world.static_ips.push(SimStaticIp {
            id: 70_000 + i as i64,
            ip: format!(
                "{first_octet}.{}.{}.{}",
                10 + i / 65_536 % 200,
                i / 256 % 256,
                i % 256
            ),
            port: 6000 + (i % 1000) as u16,
            country_code: country.to_string(),
            product_type: if i % 3 == 0 { 14 } else { 25 },
            status,
            trade_no: format!("2026110{}{:010}", i % 9, 4_200_000 + i),
            expired_at: world.started_at
                + ChronoDuration::days(if status == 3 { 2 } else { 30 + (i % 60) as i64 }),
        });
    }
}

fn regions(list: &[(&str, i64)]) -> Vec<SimRegion> {
    list.iter()
        .map(|(code, number)| SimRegion {
            code: code.to_string(),
            number: *number,
        })
        .collect()
}
