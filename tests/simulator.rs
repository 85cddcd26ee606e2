//! The real client against the real simulator over loopback: the seeded world, a full state
//! round trip of account management, every fault mode, and the simulator's own CLI.

mod common;

use std::time::{Duration, Instant};

use common::{client, simulator, APP_KEY};
use proxy911_exporter::simulator::Fault;
use proxy911_exporter::upstream::api::{IpType, NewAccount};
use proxy911_exporter::upstream::{Client, ClientOptions, Endpoint, Outcome, UpstreamError};
use secrecy::SecretString;

#[tokio::test]
async fn the_seed_has_every_product_type_a_near_limit_account_and_a_shared_username() {
    let (_sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    let accounts = client.list_accounts().await.unwrap().items;

    for product_type in [9, 11, 14, 25] {
        assert!(
            accounts.iter().any(|a| a.product_type == product_type),
            "{product_type}"
        );
    }
    assert!(accounts
        .iter()
        .any(|a| a.limit_flow > 0.0 && a.usage_flow / (a.limit_flow * 1024.0 * 1024.0) > 0.9));
    let shared: Vec<_> = accounts.iter().filter(|a| a.username == "shared").collect();
    assert_eq!(shared.len(), 2);
    assert_ne!(shared[0].product_type, shared[1].product_type);
    assert!(accounts
        .iter()
        .any(|a| a.remark.contains('"') && a.remark.contains('\\') && a.remark.contains("生产")));
}

#[tokio::test]
async fn the_seed_has_packages_near_expiry_and_static_ips_in_several_countries() {
    let (_sim, url) = simulator(None).await;
    let (client, _) = client(&url);

    let summary = client.package_summary(9).await.unwrap();
    let packages = client.list_packages().await.unwrap().items;
    let ips = client.list_static_ips().await.unwrap().items;
    let regions = client
        .static_ip_regions(IpType::Datacenter)
        .await
        .unwrap()
        .items;
    let days = client.daily_traffic().await.unwrap().items;

    assert!(
        summary.temporary_count >= 1.0,
        "a package expires within 7 days"
    );
    assert!(packages.iter().any(|p| p.product_type == 12));
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
            .find(|a| a.username == "roundtrip1")
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
        (added.product_type, added.status, added.remark.as_str()),
        (11, 1, "新账号")
    );

    client
        .disable_accounts(&["roundtrip1".into()])
        .await
        .unwrap();
    assert_eq!(
        find(&client.list_accounts().await.unwrap().items)
            .unwrap()
            .status,
        0
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
        (changed.status, changed.limit_flow, changed.remark.as_str()),
        (1, 42.0, "renamed")
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
    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::HttpError), 6);
    assert_eq!(
        metrics.count(Endpoint::AccountEnable, Outcome::HttpError),
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"))
        .args([
            "simulate",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--app-key",
            APP_KEY,
            "--accounts",
            "250",
        ])
        .args(["--fault", "/api-gate-way/user-usage-flow/total=code156"])
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
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
