//! The real client against the real simulator over loopback: the seeded world, a full state
//! round trip of account management, every fault mode, and the simulator's own CLI.

mod common;

use proxy911_exporter::upstream::ProductType;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{client, http, simulator, APP_KEY};
use proxy911_exporter::upstream::api::{IpType, NewAccount};
use proxy911_exporter::upstream::{self, Client, ClientOptions, Outcome, UpstreamError};
use proxy911_simulator::{drift, Endpoint, Fault};
use secrecy::SecretString;
use serde_json::{json, Map, Value};

/// Starts `proxy911-exporter simulate` on a free port with [`APP_KEY`] and `args`; returns the
/// process and its base URL.
fn spawn_simulate(args: &[&str]) -> (tokio::process::Child, String) {
    let port = common::free_port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"))
        .args([
            "simulate",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--app-key",
            APP_KEY,
        ])
        .args(args)
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn the_seed_has_every_product_type_a_near_limit_account_and_a_shared_username() {
    let (_sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    let accounts = client.list_accounts().await.unwrap().items;

    for product_type in [9, 11, 14, 25] {
        assert!(
            accounts
                .iter()
                .any(|a| a.product_type == Some(ProductType::from_code(product_type))),
            "{product_type}"
        );
    }
    assert!(accounts.iter().any(|a| {
        let (used, limit) = (a.usage_flow.unwrap(), a.limit_flow.unwrap());
        limit > 0.0 && used / (limit * 1024.0 * 1024.0) > 0.9
    }));
    let shared: Vec<_> = accounts
        .iter()
        .filter(|a| a.username.as_deref() == Some("shared"))
        .collect();
    assert_eq!(shared.len(), 2);
    assert_ne!(shared[0].product_type, shared[1].product_type);
    assert!(accounts.iter().any(|a| {
        let remark = a.remark.as_deref().unwrap_or_default();
        remark.contains('"') && remark.contains('\\') && remark.contains("生产")
    }));
}

#[tokio::test]
async fn the_seed_has_packages_near_expiry_and_static_ips_in_several_countries() {
    let (_sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    let summary = client
        .package_summary(ProductType::from_code(9))
        .await
        .unwrap()
        .value;
    let packages = client.list_packages().await.unwrap().items;
    let ips = client.list_static_ips().await.unwrap().items;
    let regions = client
        .static_ip_regions(IpType::Datacenter)
        .await
        .unwrap()
        .items;
    let days = client.daily_traffic().await.unwrap().items;

    assert!(
        summary.temporary_count >= Some(1.0),
        "a package expires within 7 days"
    );
    assert!(packages
        .iter()
        .any(|p| p.product_type == Some(ProductType::LongTermIdcTraffic)));
    let mut countries: Vec<_> = ips
        .iter()
        .filter_map(|ip| ip.country_code.clone())
        .collect();
    countries.sort();
    countries.dedup();
    assert!(countries.len() >= 4, "{countries:?}");
    assert!(ips.len() > 100, "more than two pages of 50");
    assert!(!regions.is_empty());
    assert_eq!(days.len(), 7);
}

#[tokio::test]
async fn accounts_round_trip_through_add_disable_and_delete() {
    let (sim, url) = simulator(None).await;
    let (client, _) = client(&url);
    let find = |accounts: &[proxy911_exporter::upstream::model::Account]| {
        accounts
            .iter()
            .find(|a| a.username.as_deref() == Some("roundtrip1"))
            .cloned()
    };

    client
        .add_accounts(
            &[NewAccount {
                username: "roundtrip1".into(),
                password: SecretString::from("Secret123"),
            }],
            11,
            "新账号",
        )
        .await
        .unwrap();
    let added = find(&client.list_accounts().await.unwrap().items).expect("listed after add");
    assert_eq!(
        (added.product_type, added.enabled, added.remark.as_deref()),
        (
            Some(ProductType::DynamicResidentialIp),
            Some(true),
            Some("新账号")
        )
    );

    client
        .disable_accounts(&["roundtrip1".into()])
        .await
        .unwrap();
    assert_eq!(
        find(&client.list_accounts().await.unwrap().items)
            .unwrap()
            .enabled,
        Some(false)
    );

    client
        .enable_accounts(&["roundtrip1".into()])
        .await
        .unwrap();
    client.change_limit("roundtrip1", 42).await.unwrap();
    client.change_remark("roundtrip1", "renamed").await.unwrap();
    client
        .change_password("roundtrip1", &SecretString::from("Other456"))
        .await
        .unwrap();
    let changed = find(&client.list_accounts().await.unwrap().items).unwrap();
    assert_eq!(
        (
            changed.enabled,
            changed.limit_flow,
            changed.remark.as_deref()
        ),
        (Some(true), Some(42.0), Some("renamed"))
    );
    assert!(sim.passwords().contains(&"Other456".to_string()));

    client
        .delete_accounts(&["roundtrip1".into()])
        .await
        .unwrap();
    assert!(find(&client.list_accounts().await.unwrap().items).is_none());
}

#[tokio::test]
async fn management_refusals_carry_upstream_codes() {
    let (_sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    let missing = client
        .enable_accounts(&["nobody".into()])
        .await
        .unwrap_err();
    let duplicate = client
        .add_accounts(
            &[NewAccount {
                username: "alice".into(),
                password: SecretString::from("x1"),
            }],
            9,
            "",
        )
        .await
        .unwrap_err();

    assert!(
        matches!(missing, UpstreamError::Api { code: 10003, .. }),
        "{missing:?}"
    );
    assert!(
        matches!(duplicate, UpstreamError::Api { code: 10002, .. }),
        "{duplicate:?}"
    );
}

#[tokio::test]
async fn a_wrong_app_key_gets_code_3() {
    let (_sim, url) = simulator(None).await;
    let options = ClientOptions::new(url.parse().unwrap(), SecretString::from("wrongKey"));
    let client = Client::new(options, Default::default()).unwrap();

    let error = client.list_accounts().await.unwrap_err();

    assert!(
        matches!(error, UpstreamError::InvalidAppKey { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn each_failure_mode_reaches_the_client_as_its_typed_error() {
    let (sim, url) = simulator(None).await;
    let (client, metrics) = client(&url);
    type Check = fn(&UpstreamError) -> bool;
    let cases: [(&str, Check); 5] = [
        ("http500", |e| *e == UpstreamError::Http { status: 500 }),
        ("http429", |e| *e == UpstreamError::Http { status: 429 }),
        ("malformed", |e| matches!(e, UpstreamError::Decode(_))),
        ("code3", |e| {
            matches!(e, UpstreamError::InvalidAppKey { .. })
        }),
        ("code156", |e| {
            matches!(e, UpstreamError::NotRealNameAuthenticated { .. })
        }),
    ];
    for (spec, expected) in cases {
        sim.set_fault(Endpoint::AccountList.path(), Fault::parse(spec).unwrap());
        let error = client.list_accounts().await.unwrap_err();
        assert!(expected(&error), "{spec}: {error:?}");
        // POSTs see the same faults, without retries.
        sim.set_fault(Endpoint::AccountEnable.path(), Fault::parse(spec).unwrap());
        let error = client.enable_accounts(&["alice".into()]).await.unwrap_err();
        assert!(expected(&error), "{spec} on POST: {error:?}");
    }
    sim.clear_faults();
    assert!(client.list_accounts().await.is_ok());
    // 500 and 429 are retried for GET: three attempts each.
    assert_eq!(
        metrics.count(upstream::Endpoint::AccountList, Outcome::HttpError),
        6
    );
    assert_eq!(
        metrics.count(upstream::Endpoint::AccountEnable, Outcome::HttpError),
        2
    );
}

#[tokio::test]
async fn injected_latency_delays_only_its_endpoint() {
    let (sim, url) = simulator(None).await;
    let (client, _) = client(&url);
    sim.set_fault("*", Fault::parse("latency:300ms").unwrap());
    sim.set_fault(Endpoint::TrafficDaily.path(), Fault::default());

    let started = Instant::now();
    client.list_accounts().await.unwrap();
    let slow = started.elapsed();

    assert!(slow >= Duration::from_millis(300), "{slow:?}");
}

#[tokio::test]
async fn the_simulator_counts_requests_per_endpoint_and_page() {
    let (sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    client.list_static_ips().await.unwrap();
    client.list_accounts().await.unwrap();

    let counts = sim.request_counts();
    let ip_path = Endpoint::StaticIpList.path().to_string();
    assert_eq!(counts.get(&(ip_path.clone(), "page=1".into())), Some(&1));
    assert_eq!(counts.get(&(ip_path.clone(), "page=3".into())), Some(&1));
    assert_eq!(counts.get(&(ip_path, "page=4".into())), None);
    assert_eq!(sim.request_count(Endpoint::AccountList), 1);
}

#[tokio::test]
async fn the_simulate_subcommand_serves_n_accounts_and_faults_from_its_flags() {
    let (mut child, url) = spawn_simulate(&[
        "--accounts",
        "250",
        "--fault",
        "/api-gate-way/user-usage-flow/total=code156",
    ]);
    let (client, _) = client(&url);
    let mut accounts = None;
    for _ in 0..100 {
        match client.list_accounts().await {
            Ok(listed) => {
                accounts = Some(listed.items);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }

    assert_eq!(accounts.expect("the simulator answers").len(), 250);
    assert!(matches!(
        client.daily_traffic().await,
        Err(UpstreamError::NotRealNameAuthenticated { .. })
    ));
    child.kill().await.unwrap();
}

/// A client of the simulator at `url` that sends `key` (pacing as [`client`]'s).
fn client_of(url: &str, key: &str) -> Client {
    let options = ClientOptions {
        timeout: Duration::from_secs(2),
        rate_limit: 1000.0,
        rate_burst: 1000,
        backoff: Duration::from_millis(10),
        ..ClientOptions::new(url.parse().unwrap(), SecretString::from(key))
    };
    Client::new(options, Default::default()).unwrap()
}

#[tokio::test]
async fn two_keys_given_to_the_simulate_subcommand_see_two_worlds_each_with_its_own_counts() {
    let keys_file = std::env::temp_dir().join(format!("sim-keys-{}", std::process::id()));
    std::fs::write(&keys_file, "\nteamCkey\n\n").unwrap();
    let (mut child, url) = spawn_simulate(&[
        "--app-key",
        "teamBkey",
        "--app-keys-file",
        keys_file.to_str().unwrap(),
        "--accounts",
        "5",
    ]);
    let (a, b, c) = (
        client_of(&url, APP_KEY),
        client_of(&url, "teamBkey"),
        client_of(&url, "teamCkey"),
    );
    for _ in 0..100 {
        if a.list_accounts().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.add_accounts(
        &[NewAccount {
            username: "onlyInB".into(),
            password: SecretString::from("Secret123"),
        }],
        11,
        "",
    )
    .await
    .unwrap();

    // (accounts, usernames): a seed may give two accounts one username.
    let names = |accounts: Vec<proxy911_exporter::upstream::model::Account>| {
        let count = accounts.len();
        let names = accounts.into_iter().filter_map(|a| a.username);
        (count, names.collect::<BTreeSet<_>>())
    };
    let (count_a, in_a) = names(a.list_accounts().await.unwrap().items);
    let (count_b, in_b) = names(b.list_accounts().await.unwrap().items);
    let (count_c, in_c) = names(c.list_accounts().await.unwrap().items);
    let counts = |key: &str| {
        let url = format!("{url}/_simulator/requests?app_key={key}");
        async move {
            http()
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let list = Endpoint::AccountList.path();
    let (counts_b, counts_c) = (counts("teamBkey").await, counts("teamCkey").await);
    let stranger = client_of(&url, "notGiven").list_accounts().await;
    child.kill().await.unwrap();
    std::fs::remove_file(&keys_file).ok();

    assert_eq!((count_a, count_b, count_c), (5, 6, 5));
    assert!(in_b.contains("onlyInB") && !in_a.contains("onlyInB") && !in_c.contains("onlyInB"));
    assert_eq!(counts_b[list]["total"], json!(1));
    assert_eq!(counts_c[list]["total"], json!(1));
    assert!(
        matches!(stranger, Err(UpstreamError::InvalidAppKey { .. })),
        "{stranger:?}"
    );
}

#[test]
fn the_simulate_subcommand_refuses_an_unreadable_app_keys_file_with_exit_code_2_naming_the_flag() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"))
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--app-keys-file",
            "/nonexistent/keys.txt",
        ])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--app-keys-file"));
}

#[tokio::test]
async fn the_simulate_subcommand_rejects_a_bad_fault_with_exit_code_2() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"))
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--fault",
            "everything=explode",
        ])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--fault"));
}

/// The simulator keeps its own list of endpoints (it shares nothing with the client): the two
/// lists must name the same paths, with the management writes as POSTs on both sides.
#[test]
fn the_simulator_serves_every_endpoint_the_client_calls_and_no_other() {
    let called: BTreeSet<(&str, bool)> = upstream::Endpoint::ALL
        .iter()
        .map(|e| (e.path(), e.is_mutation()))
        .collect();
    let served: BTreeSet<(&str, bool)> = Endpoint::ALL
        .iter()
        .map(|e| (e.path(), e.method() == axum::http::Method::POST))
        .collect();

    assert_eq!(served, called);
}

// ---- schema drift: the raw JSON answers, read without the client's decoder ----

/// Every read endpoint, with the answer shape the `schema-drift` fault bends on it.
const DRIFTING: [(Endpoint, drift::Answer); 10] = [
    (Endpoint::AccountList, drift::Answer::Accounts),
    (Endpoint::PackageSummary, drift::Answer::PackageSummary),
    (Endpoint::PackageList, drift::Answer::Packages),
    (Endpoint::StaticIpRegions, drift::Answer::StaticIpRegions),
    (Endpoint::StaticIpList, drift::Answer::StaticIps),
    (Endpoint::TrafficDaily, drift::Answer::Traffic),
    (Endpoint::OrderList, drift::Answer::Orders),
    (Endpoint::UserInfo, drift::Answer::UserInfo),
    (Endpoint::DynamicStates, drift::Answer::DynamicStates),
    (Endpoint::DynamicCities, drift::Answer::DynamicCities),
];

/// Fields whose value grows with time between two requests: compared by type only.
const GROWING: [&str; 9] = [
    "balance",
    "usage_flow",
    "flow",
    "used",
    "effective",
    "effective_used",
    "temporary",
    "expired",
    "total",
];

/// `GET` of a read endpoint of the simulator with [`APP_KEY`]; returns the answer's `data`.
async fn raw_data(url: &str, endpoint: Endpoint, query: &[(&str, String)]) -> Value {
    let response = http()
        .get(format!("{url}{}", endpoint.path()))
        .query(&[("app_key", APP_KEY)])
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{endpoint:?}");
    let body: Value = response.json().await.unwrap();
    assert!(
        matches!(body["code"].as_i64(), Some(0 | 200)),
        "{endpoint:?}: {body}"
    );
    body["data"].clone()
}

/// Every answer of a read endpoint: each page of the paginated lists (pages small enough that
/// there are several), one per `isp` for regions, one per `product_type` for the summary.
async fn raw_pages(url: &str, endpoint: Endpoint) -> Vec<Value> {
    let asked = |name: &str, value: &str| vec![(name.to_string(), value.to_string())];
    let queries: Vec<Vec<(String, String)>> = match endpoint {
        Endpoint::PackageList | Endpoint::StaticIpList | Endpoint::OrderList => {
            let (page, size_param, size) = match endpoint {
                Endpoint::PackageList => ("page", "size", 3),
                Endpoint::StaticIpList => ("page", "size", 25),
                _ => ("page_no", "page_size", 5),
            };
            let mut pages = Vec::new();
            for number in 1.. {
                let data = raw_data(
                    url,
                    endpoint,
                    &[(page, number.to_string()), (size_param, size.to_string())],
                )
                .await;
                let total_pages = data["total_page"]
                    .as_u64()
                    .or_else(|| data["pagination"]["total_pages"].as_u64())
                    .expect("a page count");
                pages.push(data);
                if number >= total_pages {
                    break;
                }
            }
            assert!(pages.len() > 1, "{endpoint:?} has several pages");
            return pages;
        }
        Endpoint::StaticIpRegions => vec![asked("isp", "1"), asked("isp", "0")],
        Endpoint::PackageSummary => vec![asked("product_type", "9"), asked("product_type", "12")],
        _ => vec![Vec::new()],
    };
    let mut answers = Vec::new();
    for query in queries {
        let query: Vec<(&str, String)> =
            query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        answers.push(raw_data(url, endpoint, &query).await);
    }
    answers
}

/// The object items of one answer: the list's, or the summary object itself.
fn object_items(answer: drift::Answer, data: &Value) -> Vec<&Map<String, Value>> {
    if answer.is_list() {
        data["list"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(Value::as_object)
            .collect()
    } else {
        vec![data.as_object().expect("an object")]
    }
}

/// Asserts that `drifted` is the `clean` answer bent as `simulator::drift` documents.
fn assert_drifted(answer: drift::Answer, clean: &Value, drifted: &Value) {
    let extras = drift::extra_fields();
    if answer.is_list() {
        let (clean_list, drifted_list) = (
            clean["list"].as_array().unwrap(),
            drifted["list"].as_array().unwrap(),
        );
        assert_eq!(
            drifted_list.len(),
            clean_list.len() + drift::JUNK_ITEMS,
            "{answer:?}"
        );
        assert_eq!(
            drifted_list[clean_list.len()..],
            drift::junk_items(),
            "{answer:?}: the page ends with 4 items that are not objects"
        );
        assert!(drifted_list[clean_list.len()..]
            .iter()
            .all(|junk| !junk.is_object()));
        let rest = |data: &Value| {
            let mut data = data.as_object().unwrap().clone();
            data.remove("list");
            data
        };
        assert_eq!(
            rest(drifted),
            rest(clean),
            "{answer:?}: pagination counts only real items"
        );
    }
    let (clean_items, drifted_items) = (object_items(answer, clean), object_items(answer, drifted));
    assert_eq!(drifted_items.len(), clean_items.len(), "{answer:?}");
    for (clean_item, drifted_item) in clean_items.into_iter().zip(drifted_items) {
        for (name, value) in &extras {
            assert_eq!(drifted_item.get(name), Some(value), "{answer:?}: {name}");
        }
        let mut expected_keys: Vec<&String> = clean_item.keys().chain(extras.keys()).collect();
        if answer == drift::Answer::StaticIps {
            assert_eq!(drifted_item["country"], clean_item["country_code"]);
            assert_eq!(drifted_item["country_code"], clean_item["country_code"]);
            expected_keys.push(drifted_item.keys().find(|k| *k == "country").unwrap());
        }
        expected_keys.sort();
        let mut keys: Vec<&String> = drifted_item.keys().collect();
        keys.sort();
        assert_eq!(keys, expected_keys, "{answer:?}");
        for (name, value) in clean_item {
            let drifted_value = &drifted_item[name];
            if Some(name.as_str()) == answer.broken_field() {
                assert!(value.is_string(), "{answer:?}: clean {name} is {value}");
                let expected = match answer {
                    drift::Answer::Packages => json!([value]),
                    _ => json!({ "date": value }),
                };
                assert_eq!(drifted_value, &expected, "{answer:?}: {name}");
            } else if GROWING.contains(&name.as_str()) && value.is_number() {
                assert!(drifted_value.is_number(), "{answer:?}: {name}");
            } else {
                assert_eq!(drifted_value, value, "{answer:?}: {name}");
            }
        }
    }
}

/// Asserts that an answer shows no drift: no extra field, no item that is not an object, the
/// broken field (if any) a string.
fn assert_clean(answer: drift::Answer, data: &Value) {
    if answer.is_list() {
        assert!(
            data["list"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_object),
            "{answer:?}: {data}"
        );
    }
    for item in object_items(answer, data) {
        assert!(
            item.keys().all(|k| !k.starts_with("x_") && k != "country"),
            "{answer:?}: {item:?}"
        );
        if let Some(name) = answer.broken_field() {
            assert!(item[name].is_string(), "{answer:?}: {item:?}");
        }
    }
}

#[tokio::test]
async fn with_schema_drift_every_read_answer_gains_extra_fields_a_wrong_typed_field_and_four_non_objects_a_page(
) {
    let (sim, url) = simulator(None).await;
    let mut clean = Vec::new();
    for (endpoint, _) in DRIFTING {
        clean.push(raw_pages(&url, endpoint).await);
    }

    sim.set_fault("*", Fault::parse("schema-drift").unwrap());

    for ((endpoint, answer), clean_pages) in DRIFTING.into_iter().zip(clean) {
        let drifted_pages = raw_pages(&url, endpoint).await;
        assert_eq!(drifted_pages.len(), clean_pages.len(), "{endpoint:?}");
        for (clean_page, drifted_page) in clean_pages.iter().zip(&drifted_pages) {
            assert_drifted(answer, clean_page, drifted_page);
        }
    }
}

#[tokio::test]
async fn under_schema_drift_pagination_totals_count_only_the_real_items_and_every_real_item_is_there(
) {
    let (sim, url) = simulator(None).await;
    sim.set_fault("*", Fault::parse("drift").unwrap());

    for (endpoint, answer, total_of) in [
        (
            Endpoint::PackageList,
            drift::Answer::Packages,
            (|data: &Value| data["total_count"].as_u64()) as fn(&Value) -> Option<u64>,
        ),
        (Endpoint::StaticIpList, drift::Answer::StaticIps, |data| {
            data["pagination"]["total"].as_u64()
        }),
    ] {
        let pages = raw_pages(&url, endpoint).await;
        let real: usize = pages.iter().map(|p| object_items(answer, p).len()).sum();
        let listed: usize = pages
            .iter()
            .map(|p| p["list"].as_array().unwrap().len())
            .sum();
        let (packages, ips) = sim.with_world(|w| (w.packages.len(), w.static_ips.len()));
        let in_world = if endpoint == Endpoint::PackageList {
            packages
        } else {
            ips
        };

        assert_eq!(real, in_world, "{endpoint:?}");
        assert_eq!(
            listed,
            real + drift::JUNK_ITEMS * pages.len(),
            "{endpoint:?}"
        );
        for page in &pages {
            assert_eq!(total_of(page), Some(in_world as u64), "{endpoint:?}");
        }
    }
}

#[tokio::test]
async fn the_wrong_typed_field_is_created_at_for_accounts_trade_no_for_packages_and_expired_at_for_static_ips(
) {
    let (sim, url) = simulator(None).await;
    sim.set_fault("*", Fault::parse("schema-drift").unwrap());

    let accounts = raw_data(&url, Endpoint::AccountList, &[]).await;
    let packages = raw_data(&url, Endpoint::PackageList, &[]).await;
    let ips = raw_data(&url, Endpoint::StaticIpList, &[]).await;

    assert_eq!(drift::Answer::Accounts.broken_field(), Some("created_at"));
    assert_eq!(drift::Answer::Packages.broken_field(), Some("trade_no"));
    assert_eq!(drift::Answer::StaticIps.broken_field(), Some("expired_at"));
    assert_eq!(drift::Answer::Orders.broken_field(), Some("created_at"));
    for answer in [
        drift::Answer::PackageSummary,
        drift::Answer::StaticIpRegions,
        drift::Answer::Traffic,
        drift::Answer::UserInfo,
        drift::Answer::DynamicStates,
        drift::Answer::DynamicCities,
    ] {
        assert_eq!(answer.broken_field(), None, "{answer:?} gains extras only");
    }
    for item in object_items(drift::Answer::Accounts, &accounts) {
        assert!(item["created_at"]["date"].is_string(), "{item:?}");
        assert!(item["username"].is_string() && item["status"].is_number());
    }
    for item in object_items(drift::Answer::Packages, &packages) {
        assert!(item["trade_no"][0].is_string(), "{item:?}");
        assert!(item["expired_at"].is_string() && item["id"].is_number());
    }
    for item in object_items(drift::Answer::StaticIps, &ips) {
        assert!(item["expired_at"]["date"].is_string(), "{item:?}");
        assert!(item["country"].is_string());
        assert_eq!(item["country"], item["country_code"]);
    }
}

#[tokio::test]
async fn without_schema_drift_every_read_answer_is_clean() {
    let (sim, url) = simulator(None).await;
    // A latency alone does not bend anything.
    sim.set_fault("*", Fault::parse("latency:1ms").unwrap());

    for (endpoint, answer) in DRIFTING {
        for data in raw_pages(&url, endpoint).await {
            assert_clean(answer, &data);
        }
    }
}

#[tokio::test]
async fn schema_drift_set_at_run_time_bends_only_its_endpoint_and_goes_away_when_faults_are_cleared(
) {
    let (_sim, url) = simulator(None).await;
    let web = http();
    let faults = format!("{url}/_simulator/faults");

    let set = web
        .post(&faults)
        .json(&json!({"endpoint": Endpoint::AccountList.path(), "fault": "latency:10ms+schema-drift"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    let accounts = raw_data(&url, Endpoint::AccountList, &[]).await;
    let ips = raw_data(&url, Endpoint::StaticIpList, &[]).await;
    assert_eq!(
        accounts["list"].as_array().unwrap()[..].last(),
        drift::junk_items().last()
    );
    assert!(object_items(drift::Answer::Accounts, &accounts)
        .iter()
        .all(|item| item["x_obj"] == json!({"a": 1}) && item["created_at"].is_object()));
    assert_clean(drift::Answer::StaticIps, &ips);

    let cleared = web.delete(&faults).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert_clean(
        drift::Answer::Accounts,
        &raw_data(&url, Endpoint::AccountList, &[]).await,
    );
}

#[tokio::test]
async fn a_failure_joined_with_schema_drift_still_replaces_the_answer() {
    let (sim, url) = simulator(None).await;
    let (client, _) = client(&url);
    sim.set_fault(
        Endpoint::TrafficDaily.path(),
        Fault::parse("schema-drift+code156").unwrap(),
    );

    let error = client.daily_traffic().await.unwrap_err();

    assert!(
        matches!(error, UpstreamError::NotRealNameAuthenticated { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_simulate_subcommand_takes_schema_drift_for_every_endpoint_from_its_fault_flag() {
    let (mut child, url) = spawn_simulate(&["--fault", "*=schema-drift"]);
    let web = http();
    let mut answered = false;
    for _ in 0..100 {
        if web.get(&url).send().await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answered, "the simulator answers");

    for (endpoint, answer) in DRIFTING {
        let data = raw_pages(&url, endpoint).await.remove(0);
        let items = object_items(answer, &data);
        assert!(!items.is_empty(), "{endpoint:?}");
        assert!(items.iter().all(|item| item["x_null"].is_null()
            && item.contains_key("x_null")
            && item["x_bool"] == json!(true)));
        if answer.is_list() {
            assert!(data["list"]
                .as_array()
                .unwrap()
                .ends_with(&drift::junk_items()));
        }
    }
    child.kill().await.unwrap();
}

// ---- orders, the user and the dynamic pool ----

#[tokio::test]
async fn the_seed_has_orders_pending_for_over_an_hour_a_balance_and_coverage_in_several_countries()
{
    let (_sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    let orders = client.list_orders().await.unwrap().items;
    let user = client.user_info().await.unwrap().value;
    let states = client.dynamic_states().await.unwrap().items;
    let cities = client.dynamic_cities().await.unwrap().items;

    let utc = chrono::FixedOffset::east_opt(0).unwrap();
    let now = chrono::Utc::now().timestamp() as f64;
    let pending: Vec<f64> = orders
        .iter()
        .filter(|o| o.status == Some(0))
        .filter_map(|o| o.created_at.and_then(|t| t.unix(&utc)))
        .collect();
    assert!(pending.len() >= 2, "{orders:?}");
    assert!(
        pending.iter().any(|at| now - at > 3600.0),
        "one pending for over an hour"
    );
    for status in [1, 2, 3] {
        assert!(orders.iter().any(|o| o.status == Some(status)), "{status}");
    }
    assert!(orders
        .iter()
        .all(|o| o.product_type.is_some() && o.pay_fee.is_some()));
    assert!(user.balance.is_some_and(|b| b > 10.0), "{user:?}");
    assert_eq!(user.real_name_verified, Some(true));
    assert!(states.len() >= 4 && cities.len() == states.len());
    assert!(states
        .iter()
        .all(|c| c.places.as_ref().is_some_and(|p| !p.is_empty())));
}

#[tokio::test]
async fn the_order_list_pages_by_page_no_and_ignores_page_as_an_unknown_parameter() {
    let (sim, url) = simulator(None).await;
    let first = |data: &Value| data["list"][0]["id"].clone();

    let by_page_no = raw_data(
        &url,
        Endpoint::OrderList,
        &[("page_no", "2".into()), ("page_size", "5".into())],
    )
    .await;
    let by_page = raw_data(
        &url,
        Endpoint::OrderList,
        &[("page", "2".into()), ("page_size", "5".into())],
    )
    .await;
    let page_one = raw_data(&url, Endpoint::OrderList, &[("page_size", "5".into())]).await;

    assert_eq!(by_page_no["pagination"]["page_no"], 2);
    assert_ne!(first(&by_page_no), first(&page_one));
    assert_eq!(first(&by_page), first(&page_one));
    let path = Endpoint::OrderList.path().to_string();
    assert_eq!(
        sim.request_counts().get(&(path, "page_no=1".into())),
        Some(&2)
    );
}

#[tokio::test]
async fn user_info_answers_code_0_with_the_personal_data_the_exporter_must_not_show() {
    let (sim, url) = simulator(None).await;

    let data = raw_data(&url, Endpoint::UserInfo, &[]).await;

    let personal = sim.personal_data();
    assert_eq!(personal.len(), 2);
    assert_eq!(data["email"], personal[0].as_str());
    assert_eq!(data["phone"], personal[1].as_str());
    assert!(data["balance"].is_number() && data["is_real_name"].is_boolean());
}
