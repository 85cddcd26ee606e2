//! [`ProductType`]: the API's product-type codes and their label slugs, one table for
//! every metric and every endpoint. A code the table does not know is kept as its number.

use std::borrow::Cow;

/// A 911Proxy product type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProductType {
    BalanceTopUp,
    DynamicResidentialTraffic,
    DynamicResidentialIp,
    LongTermIdcTraffic,
    StaticResidentialIpTraffic,
    StaticDatacenterIp,
    LongTermIspTraffic,
    StaticTraffic,
    DynamicIpQuantity,
    WebScraper,
    StaticIpRenewal,
    StaticIpChangeQuota,
    StaticTrafficV2,
    StaticTrafficAddon,
    StaticResidentialIp,
    ReissueOrder,
    Serp,
    Video,
    /// A code the table does not know: its label is the number.
    Other(i64),
}

/// The whole table of the API reference's order list: code, type, slug.
const TABLE: [(i64, ProductType, &str); 18] = [
    (3, ProductType::BalanceTopUp, "balance_top_up"),
    (
        9,
        ProductType::DynamicResidentialTraffic,
        "dynamic_residential_traffic",
    ),
    (
        11,
        ProductType::DynamicResidentialIp,
        "dynamic_residential_ip",
    ),
    (12, ProductType::LongTermIdcTraffic, "long_term_idc_traffic"),
    (
        13,
        ProductType::StaticResidentialIpTraffic,
        "static_residential_ip_traffic",
    ),
    (14, ProductType::StaticDatacenterIp, "static_datacenter_ip"),
    (15, ProductType::LongTermIspTraffic, "long_term_isp_traffic"),
    (16, ProductType::StaticTraffic, "static_traffic"),
    (17, ProductType::DynamicIpQuantity, "dynamic_ip_quantity"),
    (18, ProductType::WebScraper, "web_scraper"),
    (19, ProductType::StaticIpRenewal, "static_ip_renewal"),
    (
        20,
        ProductType::StaticIpChangeQuota,
        "static_ip_change_quota",
    ),
    (21, ProductType::StaticTrafficV2, "static_traffic_v2"),
    (24, ProductType::StaticTrafficAddon, "static_traffic_addon"),
    (
        25,
        ProductType::StaticResidentialIp,
        "static_residential_ip",
    ),
    (26, ProductType::ReissueOrder, "reissue_order"),
    (27, ProductType::Serp, "serp"),
    (28, ProductType::Video, "video"),
];

impl ProductType {
    pub fn from_code(code: i64) -> ProductType {
        TABLE
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or(ProductType::Other(code), |(_, t, _)| *t)
    }

    pub fn code(self) -> i64 {
        match self {
            ProductType::Other(code) => code,
            known => TABLE
                .iter()
                .find(|(_, t, _)| *t == known)
                .map_or(0, |(c, _, _)| *c),
        }
    }

    /// The `product_type` label value: the slug, or the number of an unknown code.
    pub(crate) fn slug(self) -> Cow<'static, str> {
        match self {
            ProductType::Other(code) => Cow::Owned(code.to_string()),
            known => Cow::Borrowed(
                TABLE
                    .iter()
                    .find(|(_, t, _)| *t == known)
                    .map_or("", |(_, _, s)| *s),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_table_round_trips_and_has_its_own_slug() {
        let mut slugs = std::collections::HashSet::new();
        for (code, kind, slug) in TABLE {
            assert_eq!(ProductType::from_code(code), kind);
            assert_eq!(kind.code(), code);
            assert_eq!(kind.slug(), slug);
            assert!(slugs.insert(slug), "{slug} twice");
        }
    }

    #[test]
    fn the_spec_slugs_are_these() {
        assert_eq!(
            ProductType::from_code(13).slug(),
            "static_residential_ip_traffic"
        );
        assert_eq!(ProductType::from_code(21).slug(), "static_traffic_v2");
        assert_eq!(ProductType::from_code(25).slug(), "static_residential_ip");
    }

    #[test]
    fn unknown_codes_pass_through_as_numbers() {
        assert_eq!(ProductType::from_code(99), ProductType::Other(99));
        assert_eq!(ProductType::from_code(99).slug(), "99");
        assert_eq!(ProductType::from_code(-1).code(), -1);
    }
}
