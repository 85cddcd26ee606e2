//! The upstream's answers as types (the `data` part of the envelope), and for each the fields it
//! reads, in their spellings and order of precedence. Every field is optional: `None` is a field
//! that was missing or could not be read ([`super::decode`] tells the two apart in its drift).
//! Account passwords, and the user's e-mail address and phone number, are deliberately absent:
//! they are never read.

use super::decode::{ApiTime, Decode, Fields, Identity};
use super::ProductType;

/// One proxy sub-account (`GET /api-gate-way/whitelist-account/list`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    pub id: Option<i64>,
    pub username: Option<String>,
    pub created_at: Option<ApiTime>,
    pub remark: Option<String>,
    pub product_type: Option<ProductType>,
    /// `usage_flow`, in KB.
    pub usage_flow: Option<f64>,
    /// `limit_flow`, in GB; 0 is unlimited.
    pub limit_flow: Option<f64>,
    /// `status`: 1 enabled, 0 disabled.
    pub enabled: Option<bool>,
}

impl Decode for Account {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "username",
        "created_at",
        "remark",
        "product_type",
        "usage_flow",
        "limit_flow",
        "status",
    ];
    const IGNORED: &'static [&'static str] = &["password"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        Account {
            id: f.int(&["id"]),
            username: f.text(&["username"]),
            created_at: f.time(&["created_at"]),
            remark: f.text(&["remark"]),
            product_type: f.int(&["product_type"]).map(ProductType::from_code),
            usage_flow: f.amount(&["usage_flow"]),
            limit_flow: f.amount(&["limit_flow"]),
            enabled: f.switch(&["status"]),
        }
    }

    fn identity(&self) -> Identity {
        match (self.id, &self.username) {
            (None, None) => Identity::Unidentified,
            (id, username) => Identity::Key(
                id,
                self.product_type.map(ProductType::code),
                username.clone(),
            ),
        }
    }
}

/// Bytes in the API's KB (traffic).
pub const KB: f64 = 1024.0;
/// Bytes in the API's GB (limits).
pub const GB: f64 = 1024.0 * 1024.0 * 1024.0;

impl Account {
    /// Traffic used, in bytes.
    pub(crate) fn used_bytes(&self) -> Option<f64> {
        self.usage_flow.map(|kb| kb * KB)
    }

    /// The traffic limit in bytes; `+Inf` when the limit is 0 (unlimited).
    pub(crate) fn limit_bytes(&self) -> Option<f64> {
        self.limit_flow
            .map(|gb| if gb == 0.0 { f64::INFINITY } else { gb * GB })
    }
}

/// `data` of `GET /api-gate-way/user-product/summary`. Amounts in KB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageSummary {
    pub total: Option<f64>,
    pub total_count: Option<f64>,
    pub effective: Option<f64>,
    pub effective_count: Option<f64>,
    pub temporary: Option<f64>,
    pub temporary_count: Option<f64>,
    pub expired: Option<f64>,
    pub expired_count: Option<f64>,
    pub used: Option<f64>,
}

impl Decode for PackageSummary {
    const FIELDS: &'static [&'static str] = &[
        "total",
        "total_count",
        "effective",
        "effective_count",
        "temporary",
        "temporary_count",
        "expired",
        "expired_count",
        "used",
    ];
    const IGNORED: &'static [&'static str] = &["effective_total", "effective_used"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        PackageSummary {
            total: f.amount(&["total"]),
            total_count: f.count(&["total_count"]),
            effective: f.amount(&["effective"]),
            effective_count: f.count(&["effective_count"]),
            temporary: f.amount(&["temporary"]),
            temporary_count: f.count(&["temporary_count"]),
            expired: f.amount(&["expired"]),
            expired_count: f.count(&["expired_count"]),
            used: f.amount(&["used"]),
        }
    }
}

/// One purchased package (`GET /api-gate-way/user-product/list`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Package {
    pub id: Option<i64>,
    pub created_at: Option<ApiTime>,
    pub expired_at: Option<ApiTime>,
    pub product_type: Option<ProductType>,
    pub trade_no: Option<String>,
}

impl Decode for Package {
    const FIELDS: &'static [&'static str] =
        &["id", "created_at", "expired_at", "product_type", "trade_no"];
    const IGNORED: &'static [&'static str] = &[];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        Package {
            id: f.int(&["id"]),
            created_at: f.time(&["created_at"]),
            expired_at: f.time(&["expired_at"]),
            product_type: f.int(&["product_type"]).map(ProductType::from_code),
            trade_no: f.text(&["trade_no"]),
        }
    }

    fn identity(&self) -> Identity {
        match (self.id, &self.trade_no) {
            (None, None) => Identity::Unidentified,
            (id, trade_no) => Identity::Key(id, None, trade_no.clone()),
        }
    }
}

/// Static IPs on sale in one country or region (`GET /api-gate-way/static-ip-region`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticIpRegion {
    pub code: Option<String>,
    pub number: Option<f64>,
}

impl Decode for StaticIpRegion {
    const FIELDS: &'static [&'static str] = &["code", "number"];
    const IGNORED: &'static [&'static str] = &[];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        StaticIpRegion {
            code: f.text(&["code"]),
            number: f.count(&["number"]),
        }
    }

    fn identity(&self) -> Identity {
        match &self.code {
            None => Identity::Unidentified,
            code => Identity::Key(None, None, code.clone()),
        }
    }
}

/// One purchased static IP (`GET /api-gate-way/ip/get-static-ip`). The answer is undocumented:
/// several spellings are read, in this order of precedence (the first readable one wins):
/// country `country_code`, `country`, `cc`, `region`, `country_code_iso`; product type
/// `product_type`, `type`; status `status`, `state`, `ip_status`; expiry `expired_at`,
/// `expire_at`, `expired_time`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticIp {
    pub ip: Option<String>,
    pub country_code: Option<String>,
    pub product_type: Option<ProductType>,
    pub status: Option<i64>,
    pub expired_at: Option<ApiTime>,
}

const COUNTRY: &[&str] = &[
    "country_code",
    "country",
    "cc",
    "region",
    "country_code_iso",
];
const IP_PRODUCT_TYPE: &[&str] = &["product_type", "type"];
const IP_STATUS: &[&str] = &["status", "state", "ip_status"];
const IP_EXPIRY: &[&str] = &["expired_at", "expire_at", "expired_time"];

impl Decode for StaticIp {
    const FIELDS: &'static [&'static str] = &[
        "ip",
        "country_code",
        "country",
        "cc",
        "region",
        "country_code_iso",
        "product_type",
        "type",
        "status",
        "state",
        "ip_status",
        "expired_at",
        "expire_at",
        "expired_time",
    ];
    const IGNORED: &'static [&'static str] = &["id"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        StaticIp {
            ip: f.text(&["ip"]),
            country_code: f.text(COUNTRY),
            product_type: f.int(IP_PRODUCT_TYPE).map(ProductType::from_code),
            status: f.int(IP_STATUS),
            expired_at: f.time(IP_EXPIRY),
        }
    }

    fn identity(&self) -> Identity {
        match &self.ip {
            None => Identity::Unidentified,
            ip => Identity::Key(None, self.product_type.map(ProductType::code), ip.clone()),
        }
    }
}

/// Traffic of one day (`GET /api-gate-way/user-usage-flow/total`), in KB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyFlow {
    /// `day` or `date`, in that order of precedence: a real calendar day, `YYYY-MM-DD`.
    pub day: Option<String>,
    pub flow: Option<f64>,
}

impl Decode for DailyFlow {
    const FIELDS: &'static [&'static str] = &["day", "date", "flow"];
    const IGNORED: &'static [&'static str] = &[];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        DailyFlow {
            day: f.day(&["day", "date"]),
            flow: f.amount(&["flow"]),
        }
    }

    /// A day without a readable date is kept (its date is counted as defaulted, and it has no
    /// series); a day given twice is one.
    fn identity(&self) -> Identity {
        match &self.day {
            None => Identity::Unkeyed,
            day => Identity::Key(None, None, day.clone()),
        }
    }
}

/// One order (`GET /api-gate-way/order/list`). The reference's example order carries no product
/// type, though the list filters by it: `product_type` is read when the API sends it, and an
/// order without one counts under `unknown`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Order {
    pub id: Option<i64>,
    pub product_type: Option<ProductType>,
    /// `status`: 0 pending payment, 1 paid, 2 unpaid and canceled on timeout, 3 refunded.
    pub status: Option<i64>,
    /// `pay_fee`: the amount to pay, in the account's currency.
    pub pay_fee: Option<f64>,
    /// RFC 3339 in the reference (`2019-08-24T14:15:22Z`).
    pub created_at: Option<ApiTime>,
}

impl Decode for Order {
    const FIELDS: &'static [&'static str] =
        &["id", "product_type", "status", "pay_fee", "created_at"];
    const IGNORED: &'static [&'static str] =
        &["trade_no", "product_id", "product_name", "total_fee"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        Order {
            id: f.int(&["id"]),
            product_type: f.int(&["product_type"]).map(ProductType::from_code),
            status: f.int(&["status"]),
            pay_fee: f.amount(&["pay_fee"]),
            created_at: f.time(&["created_at"]),
        }
    }

    fn identity(&self) -> Identity {
        match self.id {
            None => Identity::Unidentified,
            id => Identity::Key(id, None, None),
        }
    }
}

/// `data` of `GET /api-gate-way/user/info` ("not yet open" in the reference), reduced to what
/// the exporter shows. The e-mail address and the phone number are personal data: they are
/// known fields that are deliberately never read, so no value of theirs is ever held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInfo {
    /// `balance`, in the account's currency.
    pub balance: Option<f64>,
    /// `is_real_name`: whether the account passed real-name authentication.
    pub real_name_verified: Option<bool>,
}

impl Decode for UserInfo {
    const FIELDS: &'static [&'static str] = &["balance", "is_real_name"];
    const IGNORED: &'static [&'static str] = &["id", "email", "phone", "status", "created_at"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        UserInfo {
            balance: f.amount(&["balance"]),
            real_name_verified: f.flag(&["is_real_name"]),
        }
    }
}

/// One country of the dynamic pool's coverage (`GET /api-gate-way/ip/dynamic-states` and
/// `GET /api-gate-way/ip/dynamic-citys`), with its states or cities in `items`. `places` is
/// `None` when `items` is missing or is not a list (then defaulted); items of it that are not
/// objects are skipped, like those of any list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DynamicCountry {
    pub country_code: Option<String>,
    pub places: Option<Vec<DynamicPlace>>,
}

impl Decode for DynamicCountry {
    const FIELDS: &'static [&'static str] = &["country_code", "items"];
    const IGNORED: &'static [&'static str] = &["name_zh_cn", "name_en", "continent_code"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        let country_code = f.text(&["country_code"]);
        let places = f
            .raw("items")
            .and_then(|raw| match super::decode::list(raw, f.drift()) {
                Ok(places) => Some(places),
                Err(_) => {
                    f.drift().defaulted("items");
                    None
                }
            });
        DynamicCountry {
            country_code,
            places,
        }
    }

    fn identity(&self) -> Identity {
        match &self.country_code {
            None => Identity::Unidentified,
            code => Identity::Key(None, None, code.clone()),
        }
    }
}

/// A state (or a city, with its state) the dynamic pool offers in a country.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DynamicPlace {
    pub state: Option<String>,
    pub city: Option<String>,
}

impl Decode for DynamicPlace {
    const FIELDS: &'static [&'static str] = &["state", "city"];
    const IGNORED: &'static [&'static str] = &["continent_code", "country_code"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        DynamicPlace {
            state: f.text(&["state"]),
            city: f.text(&["city"]),
        }
    }

    fn identity(&self) -> Identity {
        match (&self.state, &self.city) {
            (None, None) => Identity::Unidentified,
            (state, city) => Identity::Key(
                None,
                None,
                Some(format!(
                    "{}\u{0}{}",
                    state.as_deref().unwrap_or_default(),
                    city.as_deref().unwrap_or_default()
                )),
            ),
        }
    }
}
