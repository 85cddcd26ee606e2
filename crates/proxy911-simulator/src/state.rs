//! The simulator's world: sub-accounts whose usage grows while enabled, packages being used up,
//! purchased static IPs, IPs on sale, the user and the billing of the account (see
//! [`crate::billing`]), the coverage of the dynamic pool, and the account-management operations
//! that change them. Times are written as the upstream does (`Y-m-d H:i:s`, UTC+8), except
//! where the reference writes RFC 3339 (orders, the user).

use std::time::Instant;

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, Utc};

use crate::billing::Billing;

/// The simulated upstream writes its timestamps in China Standard Time, like the real one.
pub fn upstream_zone() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// `Y-m-d H:i:s` in the upstream zone.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&upstream_zone())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub const KB_PER_GB: f64 = 1024.0 * 1024.0;

#[derive(Debug, Clone)]
pub struct SimAccount {
    pub id: i64,
    pub username: String,
    pub password: String,
    pub created_at: String,
    pub remark: String,
    pub product_type: i64,
    /// Usage settled at `usage_since`, in KB.
    pub usage_kb: f64,
    pub usage_since: Instant,
    /// KB per second while enabled.
    pub usage_rate: f64,
    pub limit_gb: u64,
    pub status: i64,
}

impl SimAccount {
    /// Usage now: grows while enabled, never past a set limit (upstream stops the account).
    pub fn usage_now(&self, now: Instant) -> f64 {
        let grown = if self.status == 1 {
            self.usage_rate * now.duration_since(self.usage_since).as_secs_f64()
        } else {
            0.0
        };
        let usage = self.usage_kb + grown;
        if self.limit_gb > 0 {
            usage.min(self.limit_gb as f64 * KB_PER_GB)
        } else {
            usage
        }
    }

    /// Folds the growth so far into `usage_kb`, before a change of status.
    pub fn settle(&mut self, now: Instant) {
        self.usage_kb = self.usage_now(now);
        self.usage_since = now;
    }
}

#[derive(Debug, Clone)]
pub struct SimPackage {
    pub id: i64,
    pub product_type: i64,
    pub trade_no: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub expired_at: DateTime<Utc>,
    pub total_kb: f64,
    pub used_kb: f64,
    /// KB per second drawn from the package while it is effective.
    pub usage_rate: f64,
}

#[derive(Debug, Clone)]
pub struct SimStaticIp {
    pub id: i64,
    pub ip: String,
    pub port: u16,
    pub country_code: String,
    pub product_type: i64,
    pub status: i64,
    pub trade_no: String,
    pub expired_at: DateTime<Utc>,
}

/// Purchased-IP status codes.
pub const IP_VALID: i64 = 1;
pub const IP_INVALID: i64 = 2;
pub const IP_EXPIRING: i64 = 3;

impl SimStaticIp {
    /// The status at `wall`: a valid IP within 3 days of its expiry is expiring, and one past
    /// it is invalid; otherwise the status it was given.
    pub fn status_at(&self, wall: DateTime<Utc>) -> i64 {
        if self.expired_at <= wall {
            IP_INVALID
        } else if self.status == IP_VALID && self.expired_at <= wall + ChronoDuration::days(3) {
            IP_EXPIRING
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimRegion {
    pub code: String,
    pub number: i64,
}

/// The owner of the account, as `user/info` shows it. The e-mail address and the phone number
/// are personal data: the exporter must never show them anywhere (the tests look for them).
#[derive(Debug, Clone)]
pub struct SimUser {
    pub id: i64,
    pub email: String,
    pub phone: String,
    pub status: i64,
    pub is_real_name: bool,
    pub created_at: DateTime<Utc>,
}

/// A country of the dynamic pool, with its states and each state's cities.
#[derive(Debug, Clone)]
pub struct SimCountry {
    pub code: String,
    pub name_en: String,
    pub name_zh_cn: String,
    pub continent_code: String,
    pub states: Vec<(String, Vec<String>)>,
}

/// Why a management operation was refused, as the upstream says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: i64,
    pub message: &'static str,
}

pub const NO_SUCH_ACCOUNT: Refusal = Refusal {
    code: 10003,
    message: "账号不存在",
};
pub const ACCOUNT_EXISTS: Refusal = Refusal {
    code: 10002,
    message: "账号已存在",
};
pub const BAD_PARAMETER: Refusal = Refusal {
    code: 400,
    message: "参数错误",
};

#[derive(Debug)]
pub struct World {
    pub started: Instant,
    pub started_at: DateTime<Utc>,
    pub accounts: Vec<SimAccount>,
    pub next_account_id: i64,
    pub packages: Vec<SimPackage>,
    pub static_ips: Vec<SimStaticIp>,
    pub residential_regions: Vec<SimRegion>,
    pub datacenter_regions: Vec<SimRegion>,
    /// Traffic of the six days before today, KB, oldest first.
    pub past_days_kb: Vec<f64>,
    /// Today's traffic up to `traffic_counted_to`, KB (see [`World::count_traffic`]).
    pub today_base_kb: f64,
    /// The moment up to which the accounts' traffic has been counted into the days.
    pub traffic_counted_to: Instant,
    pub user: SimUser,
    pub billing: Billing,
    /// The countries, states and cities the dynamic proxy pool offers.
    pub coverage: Vec<SimCountry>,
}

/// Package figures at a moment, as the summary endpoint reports them (KB).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub total: f64,
    pub total_count: u64,
    pub effective: f64,
    pub effective_count: u64,
    pub effective_total: f64,
    pub effective_used: f64,
    pub temporary: f64,
    pub temporary_count: u64,
    pub expired: f64,
    pub expired_count: u64,
    pub used: f64,
}

fn valid_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_alphanumeric())
}

impl World {
    /// The wall-clock time the simulator believes it is.
    pub fn now_utc(&self, now: Instant) -> DateTime<Utc> {
        self.started_at
            + ChronoDuration::from_std(now.duration_since(self.started)).unwrap_or_default()
    }

    pub fn summary(&self, product_type: i64, now: Instant) -> Summary {
        let wall = self.now_utc(now);
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let mut s = Summary::default();
        for p in self
            .packages
            .iter()
            .filter(|p| p.product_type == product_type)
        {
            let expired = p.expired_at <= wall;
            let used = if expired {
                p.used_kb
            } else {
                (p.used_kb + p.usage_rate * elapsed).min(p.total_kb)
            };
            let remaining = p.total_kb - used;
            s.total += p.total_kb;
            s.total_count += 1;
            s.used += used;
            if expired {
                s.expired += remaining;
                s.expired_count += 1;
            } else {
                s.effective += remaining;
                s.effective_count += 1;
                s.effective_total += p.total_kb;
                s.effective_used += used;
                if p.expired_at <= wall + ChronoDuration::days(7) {
                    s.temporary += remaining;
                    s.temporary_count += 1;
                }
            }
        }
        s
    }

    /// Counts the traffic the accounts used since the last count into today's, closing each
    /// day that ended in between at its midnight (in the upstream zone): its traffic joins the
    /// past days, the oldest leaves. Done before anything changes an account's pace, status,
    /// limit or existence (and before the days are read), so each stretch is counted at the
    /// pace it had. A moment before the last count changes nothing.
    pub fn count_traffic(&mut self, now: Instant) {
        while now > self.traffic_counted_to {
            let from = self.traffic_counted_to;
            let wall = self.now_utc(from);
            let zone = upstream_zone();
            let midnight = wall
                .with_timezone(&zone)
                .date_naive()
                .succ_opt()
                .and_then(|day| day.and_hms_opt(0, 0, 0))
                .and_then(|at| at.and_local_timezone(zone).single())
                .map(|at| at.with_timezone(&Utc));
            let day_ends = midnight
                .and_then(|at| (at - wall).to_std().ok())
                .map(|left| from + left);
            let until = day_ends.map_or(now, |end| end.min(now));
            let used: f64 = self
                .accounts
                .iter()
                .map(|a| a.usage_now(until) - a.usage_now(from))
                .sum();
            self.today_base_kb += used;
            self.traffic_counted_to = until;
            if day_ends == Some(until) {
                self.past_days_kb.push(self.today_base_kb.round());
                self.past_days_kb.remove(0);
                self.today_base_kb = 0.0;
            }
        }
    }

    /// Daily traffic of the last 7 days, oldest first, as (`Y-m-d`, KB): the past days, and
    /// today's so far.
    pub fn daily_traffic(&mut self, now: Instant) -> Vec<(String, f64)> {
        self.count_traffic(now);
        let today = self
            .now_utc(self.traffic_counted_to)
            .with_timezone(&upstream_zone())
            .date_naive();
        let today_kb = self.today_base_kb;
        let mut days: Vec<(String, f64)> = self
            .past_days_kb
            .iter()
            .enumerate()
            .map(|(i, kb)| {
                let back = (self.past_days_kb.len() - i) as i64;
                ((today - ChronoDuration::days(back)).to_string(), *kb)
            })
            .collect();
        days.push((today.to_string(), today_kb.round()));
        days
    }

    /// `whitelist-account/add`: `accounts` as `user:pass,user:pass`.
    pub fn add_accounts(
        &mut self,
        accounts: &str,
        product_type: i64,
        remark: &str,
        now: Instant,
    ) -> Result<(), Refusal> {
        if ![9, 11, 14, 25].contains(&product_type) || remark.chars().count() > 64 {
            return Err(BAD_PARAMETER);
        }
        let mut parsed = Vec::new();
        for pair in accounts.split(',') {
            let (username, password) = pair.split_once(':').ok_or(BAD_PARAMETER)?;
            if !valid_name(username) || !valid_name(password) {
                return Err(BAD_PARAMETER);
            }
            let taken = self
                .accounts
                .iter()
                .any(|a| a.username == username && a.product_type == product_type)
                || parsed.iter().any(|(u, _): &(&str, &str)| *u == username);
            if taken {
                return Err(ACCOUNT_EXISTS);
            }
            parsed.push((username, password));
        }
        self.count_traffic(now);
        let created_at = format_time(self.now_utc(now));
        for (username, password) in parsed {
            self.next_account_id += 1;
            self.accounts.push(SimAccount {
                id: self.next_account_id,
                username: username.to_string(),
                password: password.to_string(),
                created_at: created_at.clone(),
                remark: remark.to_string(),
                product_type,
                usage_kb: 0.0,
                usage_since: now,
                usage_rate: 0.0,
                limit_gb: 0,
                status: 1,
            });
        }
        Ok(())
    }

    /// Applies `change` to every account of each listed username (all product types), or
    /// refuses without changing anything if one of them does not exist.
    pub fn change_accounts(
        &mut self,
        usernames: &str,
        mut change: impl FnMut(&mut SimAccount),
    ) -> Result<(), Refusal> {
        let names: Vec<&str> = usernames.split(',').map(str::trim).collect();
        if names.iter().any(|n| !valid_name(n)) {
            return Err(BAD_PARAMETER);
        }
        if names
            .iter()
            .any(|n| !self.accounts.iter().any(|a| a.username == *n))
        {
            return Err(NO_SUCH_ACCOUNT);
        }
        for account in self
            .accounts
            .iter_mut()
            .filter(|a| names.contains(&a.username.as_str()))
        {
            change(account);
        }
        Ok(())
    }

    pub fn delete_accounts(&mut self, usernames: &str, now: Instant) -> Result<(), Refusal> {
        self.change_accounts(usernames, |_| {})?;
        self.count_traffic(now);
        let names: Vec<&str> = usernames.split(',').map(str::trim).collect();
        self.accounts
            .retain(|a| !names.contains(&a.username.as_str()));
        Ok(())
    }

    /// Sets the pace at which the accounts of `username` (only those of `product_type`, when
    /// given) use traffic while enabled, in KB a second, the growth so far settled first: the
    /// simulator's leak. Answers how many accounts changed.
    pub fn set_usage_rate(
        &mut self,
        username: &str,
        product_type: Option<i64>,
        kb_per_second: f64,
        now: Instant,
    ) -> usize {
        self.count_traffic(now);
        let mut changed = 0;
        for account in self
            .accounts
            .iter_mut()
            .filter(|a| a.username == username && product_type.is_none_or(|p| p == a.product_type))
        {
            account.settle(now);
            account.usage_rate = kb_per_second;
            changed += 1;
        }
        changed
    }

    pub fn set_status(
        &mut self,
        usernames: &str,
        status: i64,
        now: Instant,
    ) -> Result<(), Refusal> {
        self.settle_accounts(usernames, now, |a| a.status = status)
    }

    /// [`World::change_accounts`] for a change of pace (status, limit): the traffic so far
    /// counted and settled first, at the pace it had.
    pub fn settle_accounts(
        &mut self,
        usernames: &str,
        now: Instant,
        mut change: impl FnMut(&mut SimAccount),
    ) -> Result<(), Refusal> {
        self.change_accounts(usernames, |_| {})?;
        self.count_traffic(now);
        self.change_accounts(usernames, |a| {
            a.settle(now);
            change(a);
        })
    }
}
