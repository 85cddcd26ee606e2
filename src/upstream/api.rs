//! One async method per 911Proxy endpoint the exporter uses: six reads for the collectors
//! (following every page of the paginated ones) and seven account-management writes.

use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::model::{
    Account, AccountList, DailyFlow, DailyFlowList, Package, PackageSummary, Page, RegionList,
    StaticIp, StaticIpRegion,
};
use super::{Client, Endpoint, UpstreamError};

/// Items asked for per page of a paginated list.
pub const PAGE_SIZE: i64 = 100;
/// Pages followed at most (100,000 items at [`PAGE_SIZE`]); more is treated as a broken answer.
pub const MAX_PAGES: u32 = 1_000;
/// Pages of one list fetched at once once the page count is known.
pub const PAGE_CONCURRENCY: usize = 8;

/// The kind of static IPs on sale, as `static-ip-region?isp=` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpType {
    Residential,
    Datacenter,
}

impl IpType {
    pub const ALL: [IpType; 2] = [IpType::Residential, IpType::Datacenter];

    fn isp(self) -> &'static str {
        match self {
            IpType::Residential => "1",
            IpType::Datacenter => "0",
        }
    }

    /// The `ip_type` label value.
    pub fn label(self) -> &'static str {
        match self {
            IpType::Residential => "residential",
            IpType::Datacenter => "datacenter",
        }
    }
}

/// A proxy sub-account to create. The password is a secret: it only ever goes into the body of
/// the upstream request.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub password: SecretString,
}

/// A list plus the number of items that could not be decoded and were left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub skipped: usize,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            items: Vec::new(),
            skipped: 0,
        }
    }
}

impl Client {
    /// `GET /api-gate-way/whitelist-account/list` (not paginated upstream).
    pub async fn list_accounts(&self) -> Result<Listed<Account>, UpstreamError> {
        let data: AccountList = self.get(Endpoint::AccountList, &[]).await?;
        Ok(Listed {
            items: data.list.items,
            skipped: data.list.skipped,
        })
    }

    /// `GET /api-gate-way/user-product/summary?product_type=…` (upstream supports 9 and 12).
    pub async fn package_summary(
        &self,
        product_type: i64,
    ) -> Result<PackageSummary, UpstreamError> {
        self.get(
            Endpoint::PackageSummary,
            &[("product_type", product_type.to_string())],
        )
        .await
    }

    /// `GET /api-gate-way/user-product/list`, every page.
    pub async fn list_packages(&self) -> Result<Listed<Package>, UpstreamError> {
        self.get_all_pages(Endpoint::PackageList).await
    }

    /// `GET /api-gate-way/static-ip-region?isp=…`.
    pub async fn static_ip_regions(
        &self,
        ip_type: IpType,
    ) -> Result<Listed<StaticIpRegion>, UpstreamError> {
        let data: RegionList = self
            .get(Endpoint::StaticIpRegions, &[("isp", ip_type.isp().into())])
            .await?;
        Ok(Listed {
            items: data.list.items,
            skipped: data.list.skipped,
        })
    }

    /// `GET /api-gate-way/ip/get-static-ip`, every page. The answer is undocumented upstream;
    /// odd items are skipped and counted, missing fields are `None`.
    pub async fn list_static_ips(&self) -> Result<Listed<StaticIp>, UpstreamError> {
        self.get_all_pages(Endpoint::StaticIpList).await
    }

    /// `GET /api-gate-way/user-usage-flow/total`: daily traffic, by default of the last 7 days.
    pub async fn daily_traffic(&self) -> Result<Listed<DailyFlow>, UpstreamError> {
        let data: DailyFlowList = self.get(Endpoint::TrafficDaily, &[]).await?;
        Ok(Listed {
            items: data.list.items,
            skipped: data.list.skipped,
        })
    }

    /// `POST /api-gate-way/whitelist-account/add`: `accounts` as `user:pass,user:pass`.
    pub async fn add_accounts(
        &self,
        accounts: &[NewAccount],
        product_type: i64,
        remark: &str,
    ) -> Result<(), UpstreamError> {
        let accounts = accounts
            .iter()
            .map(|a| format!("{}:{}", a.username, a.password.expose_secret()))
            .collect::<Vec<_>>()
            .join(",");
        self.post(
            Endpoint::AccountAdd,
            body(json!({"accounts": accounts, "remark": remark, "product_type": product_type})),
        )
        .await
    }

    /// `POST /api-gate-way/whitelist-account/delete` (takes upstream about 5 minutes).
    pub async fn delete_accounts(&self, usernames: &[String]) -> Result<(), UpstreamError> {
        self.post_usernames(Endpoint::AccountDelete, usernames)
            .await
    }

    /// `POST /api-gate-way/whitelist-account/enable`.
    pub async fn enable_accounts(&self, usernames: &[String]) -> Result<(), UpstreamError> {
        self.post_usernames(Endpoint::AccountEnable, usernames)
            .await
    }

    /// `POST /api-gate-way/whitelist-account/disable` (takes upstream about 5 minutes).
    pub async fn disable_accounts(&self, usernames: &[String]) -> Result<(), UpstreamError> {
        self.post_usernames(Endpoint::AccountDisable, usernames)
            .await
    }

    /// `POST /api-gate-way/whitelist-account/change-password` (the old one works ~5 more minutes).
    pub async fn change_password(
        &self,
        username: &str,
        password: &SecretString,
    ) -> Result<(), UpstreamError> {
        self.post(
            Endpoint::AccountChangePassword,
            body(json!({"account": username, "password": password.expose_secret()})),
        )
        .await
    }

    /// `POST /api-gate-way/whitelist-account/change-remark`.
    pub async fn change_remark(&self, username: &str, remark: &str) -> Result<(), UpstreamError> {
        self.post(
            Endpoint::AccountChangeRemark,
            body(json!({"account": username, "remark": remark})),
        )
        .await
    }

    /// `POST /api-gate-way/whitelist-account/change-limit`: GB, 0 for unlimited.
    pub async fn change_limit(&self, username: &str, limit_gb: u32) -> Result<(), UpstreamError> {
        self.post(
            Endpoint::AccountChangeLimit,
            body(json!({"account": username, "limit": limit_gb})),
        )
        .await
    }

    async fn post_usernames(
        &self,
        endpoint: Endpoint,
        usernames: &[String],
    ) -> Result<(), UpstreamError> {
        self.post(endpoint, body(json!({"accounts": usernames.join(",")})))
            .await
    }

    /// Fetches page 1; when the answer says how many pages there are (either pagination shape),
    /// fetches the rest concurrently ([`PAGE_CONCURRENCY`] at a time, each through the token
    /// bucket), so a cold refresh takes a few round trips rather than one per page. Without a
    /// page count, it follows pages one by one until a short page.
    async fn get_all_pages<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
    ) -> Result<Listed<T>, UpstreamError> {
        let first: Page<T> = self.get_page(endpoint, 1).await?;
        let mut listed = Listed::default();
        match first.total_pages() {
            Some(total) if total > i64::from(MAX_PAGES) => {
                Err(UpstreamError::TooManyPages(MAX_PAGES))
            }
            Some(total) => {
                listed.absorb(first);
                let mut rest = futures::stream::iter(2..=total)
                    .map(|page| self.get_page::<T>(endpoint, page))
                    .buffered(PAGE_CONCURRENCY);
                while let Some(page) = rest.next().await {
                    listed.absorb(page?);
                }
                Ok(listed)
            }
            None => {
                let mut page = first;
                for number in 2..=i64::from(MAX_PAGES) + 1 {
                    let received = page.list.items.len() + page.list.skipped;
                    listed.absorb(page);
                    if (received as i64) < PAGE_SIZE {
                        return Ok(listed);
                    }
                    if number > i64::from(MAX_PAGES) {
                        break;
                    }
                    page = self.get_page(endpoint, number).await?;
                }
                Err(UpstreamError::TooManyPages(MAX_PAGES))
            }
        }
    }

    async fn get_page<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        page: i64,
    ) -> Result<Page<T>, UpstreamError> {
        self.get(
            endpoint,
            &[("page", page.to_string()), ("size", PAGE_SIZE.to_string())],
        )
        .await
    }
}

impl<T> Listed<T> {
    fn absorb(&mut self, page: Page<T>) {
        self.skipped += page.list.skipped;
        self.items.extend(page.list.items);
    }
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
