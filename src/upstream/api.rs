//! One async method per 911Proxy endpoint the exporter uses: ten reads for the collectors
//! (following every page of the paginated ones, each with its own page parameters) and seven
//! account-management writes.

use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

use super::decode::{self, Decode, Drift, ListBuilder};
use super::model::{
    Account, DailyFlow, DynamicCountry, Order, Package, PackageSummary, StaticIp, StaticIpRegion,
    UserInfo,
};
use super::page::{self, Page};
use super::{Client, Endpoint, ProductType, UpstreamError};

/// Items asked for per page of a paginated list.
pub(crate) const PAGE_SIZE: i64 = 100;
/// Pages followed at most (100,000 items at [`PAGE_SIZE`]); more is treated as a broken answer.
pub(crate) const MAX_PAGES: u32 = 1_000;
/// Pages of one list fetched at once once the page count is known.
pub(crate) const PAGE_CONCURRENCY: usize = 8;

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

/// A list, and what could not be read of it as documented (items skipped, fields defaulted).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub drift: Drift,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            items: Vec::new(),
            drift: Drift::default(),
        }
    }
}

/// An answer that is one object, and its drift.
#[derive(Debug, Clone, PartialEq)]
pub struct Single<T> {
    pub value: T,
    pub drift: Drift,
}

impl Client {
    /// `GET /api-gate-way/whitelist-account/list` (not paginated upstream).
    pub async fn list_accounts(&self) -> Result<Listed<Account>, UpstreamError> {
        self.get_list(Endpoint::AccountList, &[]).await
    }

    /// `GET /api-gate-way/user-product/summary?product_type=…` (upstream supports 9 and 12).
    pub async fn package_summary(
        &self,
        product_type: ProductType,
    ) -> Result<Single<PackageSummary>, UpstreamError> {
        let endpoint = Endpoint::PackageSummary;
        let query = [("product_type", product_type.code().to_string())];
        let (value, drift) = self
            .get(endpoint, &query, decode::data_object::<PackageSummary>)
            .await?;
        self.record_drift(endpoint, &query, &drift);
        Ok(Single { value, drift })
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
        self.get_list(Endpoint::StaticIpRegions, &[("isp", ip_type.isp().into())])
            .await
    }

    /// `GET /api-gate-way/ip/get-static-ip`, every page. The answer is undocumented upstream;
    /// see [`StaticIp`] for the spellings read.
    pub async fn list_static_ips(&self) -> Result<Listed<StaticIp>, UpstreamError> {
        self.get_all_pages(Endpoint::StaticIpList).await
    }

    /// `GET /api-gate-way/user-usage-flow/total`: daily traffic, by default of the last 7 days.
    /// Real days only, each once, within `decode::days::MAX_DAYS` of the newest.
    pub async fn daily_traffic(&self) -> Result<Listed<DailyFlow>, UpstreamError> {
        let endpoint = Endpoint::TrafficDaily;
        let (items, mut drift) = self
            .get(endpoint, &[], decode::data_list::<DailyFlow>)
            .await?;
        let mut items = one_rule(items, &mut drift)?;
        decode::days::settle(&mut items, &mut drift);
        self.record_drift(endpoint, &[], &drift);
        Ok(Listed { items, drift })
    }

    /// `GET /api-gate-way/order/list`, every page (`page_no`/`page_size`, a `pagination` object).
    pub async fn list_orders(&self) -> Result<Listed<Order>, UpstreamError> {
        self.get_all_pages(Endpoint::OrderList).await
    }

    /// `GET /api-gate-way/user/info` ("not yet open" in the reference: it may answer an error).
    pub async fn user_info(&self) -> Result<Single<UserInfo>, UpstreamError> {
        let endpoint = Endpoint::UserInfo;
        let (value, drift) = self
            .get(endpoint, &[], decode::data_object::<UserInfo>)
            .await?;
        self.record_drift(endpoint, &[], &drift);
        Ok(Single { value, drift })
    }

    /// `GET /api-gate-way/ip/dynamic-states`: the states of each country of the dynamic pool.
    pub async fn dynamic_states(&self) -> Result<Listed<DynamicCountry>, UpstreamError> {
        self.get_list(Endpoint::DynamicStates, &[]).await
    }

    /// `GET /api-gate-way/ip/dynamic-citys`: the cities of each country of the dynamic pool.
    pub async fn dynamic_cities(&self) -> Result<Listed<DynamicCountry>, UpstreamError> {
        self.get_list(Endpoint::DynamicCities, &[]).await
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

    /// A list that comes in one answer; its drift is recorded.
    async fn get_list<T: Decode>(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
    ) -> Result<Listed<T>, UpstreamError> {
        let (items, mut drift) = self.get(endpoint, query, decode::data_list::<T>).await?;
        let items = one_rule(items, &mut drift)?;
        self.record_drift(endpoint, query, &drift);
        Ok(Listed { items, drift })
    }

    /// Fetches page 1; when the answer says how many pages there are (either pagination shape),
    /// fetches the rest concurrently ([`PAGE_CONCURRENCY`] at a time, each through the token
    /// bucket), so a cold refresh takes a few round trips rather than one per page. Without a
    /// page count, it follows pages one by one until a short page. The drift of all pages is
    /// recorded once, as one list's.
    async fn get_all_pages<T: Decode>(
        &self,
        endpoint: Endpoint,
    ) -> Result<Listed<T>, UpstreamError> {
        let listed = self.fetch_pages(endpoint).await?;
        self.record_drift(endpoint, &[], &listed.drift);
        Ok(listed)
    }

    /// Every page of a list, read as one list: the rule for every list ([`ListBuilder`]: repeats
    /// skipped, the item cap) holds across its pages.
    async fn fetch_pages<T: Decode>(&self, endpoint: Endpoint) -> Result<Listed<T>, UpstreamError> {
        let first: Paged<T> = self.get_page(endpoint, 1).await?;
        let mut listed = Pages::default();
        match first.page.total_pages() {
            Some(total) if total > i64::from(MAX_PAGES) => {
                Err(UpstreamError::TooManyPages(MAX_PAGES))
            }
            Some(total) => {
                listed.absorb(first)?;
                let mut rest = futures::stream::iter(2..=total)
                    .map(|page| self.get_page::<T>(endpoint, page))
                    .buffered(PAGE_CONCURRENCY);
                while let Some(page) = rest.next().await {
                    listed.absorb(page?)?;
                }
                Ok(listed.finish())
            }
            None => {
                let mut page = first;
                for number in 2..=i64::from(MAX_PAGES) + 1 {
                    // Items skipped count as received: a page of 100 with junk in it is full.
                    let received = page.page.list.len() as u64 + page.drift.skipped;
                    listed.absorb(page)?;
                    if received < PAGE_SIZE as u64 {
                        return Ok(listed.finish());
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

    async fn get_page<T: Decode>(
        &self,
        endpoint: Endpoint,
        page: i64,
    ) -> Result<Paged<T>, UpstreamError> {
        // Every paginated endpoint names its parameters; the fallback is never reached.
        let (page_param, size_param) = endpoint.page_params().unwrap_or(("page", "size"));
        let (page, drift) = self
            .get(
                endpoint,
                &[
                    (page_param, page.to_string()),
                    (size_param, PAGE_SIZE.to_string()),
                ],
                page::data_page::<T>,
            )
            .await?;
        Ok(Paged { page, drift })
    }
}

/// One page and its drift.
struct Paged<T> {
    page: Page<T>,
    drift: Drift,
}

/// The rule for every list ([`ListBuilder`]) applied to one answer's items.
fn one_rule<T: Decode>(items: Vec<T>, drift: &mut Drift) -> Result<Vec<T>, UpstreamError> {
    let mut list = ListBuilder::default();
    list.extend(items, drift)
        .map_err(|e| UpstreamError::Decode(e.to_string()))?;
    Ok(list.finish())
}

/// The pages of one list read so far.
struct Pages<T> {
    items: ListBuilder<T>,
    drift: Drift,
}

impl<T: Decode> Default for Pages<T> {
    fn default() -> Self {
        Pages {
            items: ListBuilder::default(),
            drift: Drift::default(),
        }
    }
}

impl<T: Decode> Pages<T> {
    fn absorb(&mut self, paged: Paged<T>) -> Result<(), UpstreamError> {
        self.drift.merge(paged.drift);
        self.items
            .extend(paged.page.list, &mut self.drift)
            .map_err(|e| UpstreamError::Decode(e.to_string()))
    }

    fn finish(self) -> Listed<T> {
        Listed {
            items: self.items.finish(),
            drift: self.drift,
        }
    }
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
