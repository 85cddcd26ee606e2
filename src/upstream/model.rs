//! Serde types of the upstream answers (the `data` part of the envelope). Every field is
//! optional upstream, so every struct defaults; numbers go through [`super::lenient`].
//! Account passwords are deliberately absent: serde drops them while decoding.

use serde::Deserialize;

use super::lenient::{self, LenientList};

/// `data` of `GET /api-gate-way/whitelist-account/list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AccountList {
    pub list: LenientList<Account>,
}

/// One proxy sub-account. `usage_flow` is in KB, `limit_flow` in GB (0 = unlimited).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Account {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub username: String,
    #[serde(deserialize_with = "lenient::string")]
    pub created_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub remark: String,
    #[serde(deserialize_with = "lenient::i64")]
    pub product_type: i64,
    #[serde(deserialize_with = "lenient::f64")]
    pub usage_flow: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub limit_flow: f64,
    #[serde(deserialize_with = "lenient::i64")]
    pub status: i64,
}

/// `data` of `GET /api-gate-way/user-product/summary`. Amounts in KB.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PackageSummary {
    #[serde(deserialize_with = "lenient::f64")]
    pub total: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub total_count: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub effective: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub effective_count: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub effective_total: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub effective_used: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub temporary: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub temporary_count: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub expired: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub expired_count: f64,
    #[serde(deserialize_with = "lenient::f64")]
    pub used: f64,
}

/// One page of a paginated list, in either of the upstream's two pagination shapes
/// (`page`/`total_page` at the top, or a `pagination` object).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, bound = "T: serde::de::DeserializeOwned")]
pub struct Page<T> {
    pub list: LenientList<T>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub page: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub page_size: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total_count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total_page: Option<i64>,
    pub pagination: Option<Pagination>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            list: LenientList::default(),
            page: None,
            page_size: None,
            total_count: None,
            total_page: None,
            pagination: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Pagination {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub page_size: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total_pages: Option<i64>,
}

/// One purchased package (`GET /api-gate-way/user-product/list`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Package {
    #[serde(deserialize_with = "lenient::i64")]
    pub id: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub created_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub expired_at: String,
    #[serde(deserialize_with = "lenient::i64")]
    pub product_type: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub trade_no: String,
}

/// `data` of `GET /api-gate-way/static-ip-region`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegionList {
    pub list: LenientList<StaticIpRegion>,
}

/// Static IPs on sale in one country or region.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StaticIpRegion {
    #[serde(deserialize_with = "lenient::string")]
    pub code: String,
    #[serde(deserialize_with = "lenient::f64")]
    pub number: f64,
}

/// One purchased static IP (`GET /api-gate-way/ip/get-static-ip`). The answer is undocumented:
/// every field is optional and several spellings are accepted; what is missing is `None`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StaticIp {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub ip: Option<String>,
    #[serde(
        alias = "country",
        alias = "cc",
        alias = "region",
        alias = "country_code_iso",
        deserialize_with = "lenient::opt_string"
    )]
    pub country_code: Option<String>,
    #[serde(alias = "type", deserialize_with = "lenient::opt_i64")]
    pub product_type: Option<i64>,
    #[serde(
        alias = "state",
        alias = "ip_status",
        deserialize_with = "lenient::opt_i64"
    )]
    pub status: Option<i64>,
    #[serde(
        alias = "expire_at",
        alias = "expired_time",
        deserialize_with = "lenient::opt_string"
    )]
    pub expired_at: Option<String>,
}

/// `data` of `GET /api-gate-way/user-usage-flow/total`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DailyFlowList {
    pub list: LenientList<DailyFlow>,
}

/// Traffic of one day, in KB.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct DailyFlow {
    #[serde(alias = "date", deserialize_with = "lenient::string")]
    pub day: String,
    #[serde(deserialize_with = "lenient::f64")]
    pub flow: f64,
}

impl<T> Page<T> {
    /// Total number of pages, from whichever pagination shape the answer used.
    pub fn total_pages(&self) -> Option<i64> {
        let pagination = self.pagination.as_ref();
        self.total_page
            .or_else(|| pagination.and_then(|p| p.total_pages))
            .or_else(|| {
                let total = self
                    .total_count
                    .or_else(|| pagination.and_then(|p| p.total))?;
                let size = self
                    .page_size
                    .or_else(|| pagination.and_then(|p| p.page_size))?;
                (size > 0).then(|| (total + size - 1) / size)
            })
    }
}
