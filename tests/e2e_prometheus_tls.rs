//! End to end with the real Prometheus (Debian's `prometheus`, installed by
//! scripts/install-tools.sh): the exporter serves https with basic auth from a web config, and
//! Prometheus scrapes it with the scrape config the README gives (`scheme: https`,
//! `tls_config.ca_file`, `basic_auth`). The target is up; the same target scraped with a wrong
//! password, or over plain http, is down.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::tls::{bcrypt_hash, tls_yaml, Pki};
use serde_json::Value;
use tokio::process::Command;

/// `up` of each job, once Prometheus has scraped every one of them.
async fn up_by_job(http: &reqwest::Client, prometheus: &str) -> Option<Vec<(String, String)>> {
    let answer: Value = http
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", "up")])
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let mut ups: Vec<(String, String)> = answer["data"]["result"]
        .as_array()?
        .iter()
        .map(|r| {
            let job = r["metric"]["job"].as_str().unwrap_or_default().to_string();
            (job, r["value"][1].as_str().unwrap_or_default().to_string())
        })
        .collect();
    ups.sort();
    (ups.len() == 3).then_some(ups)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_exporter_over_https_with_basic_auth_and_the_target_is_up() {
    let pki = Pki::new("e2e");
    pki.install_server(&pki.server("exporter"));
    let password = "scrape-password";
    let web_config = pki.web_config(&format!(
        "{}basic_auth_users:\n  prometheus: '{}'\n",
        tls_yaml(&[]),
        bcrypt_hash(password)
    ));
    let (_sim, url) = common::simulator(None).await;
    let (exporter, _) = common::exporter_at(&url, |c| {
        c.web.web_config_file = Some(web_config);
    })
    .await;
    let prometheus_port = common::free_port();
    let tsdb = pki.dir.join("tsdb");
    let job = |name: &str, scheme: &str, password: &str| {
        format!(
            "  - job_name: {name}\n    scheme: {scheme}\n    tls_config:\n      ca_file: {ca}\n    \
             basic_auth:\n      username: prometheus\n      password: {password}\n    \
             static_configs: [{{targets: ['{exporter}']}}]\n",
            ca = pki.ca_file().display()
        )
    };
    let config = format!(
        "global: {{scrape_interval: 1s, scrape_timeout: 1s}}\nscrape_configs:\n{}{}{}",
        job("proxy911-https", "https", password),
        job("wrong-password", "https", "not-the-password"),
        job("plain-http", "http", password),
    );
    let config_file = pki.write("prometheus.yml", &config);
    let log = std::fs::File::create(pki.dir.join("prometheus.log")).unwrap();
    let _prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config_file.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("prometheus is required (scripts/install-tools.sh installs it): {e}")
        });

    let http = common::http();
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");
    let started = Instant::now();
    let ups = loop {
        if let Some(ups) = up_by_job(&http, &prometheus).await {
            if ups
                .iter()
                .any(|(job, up)| job == "proxy911-https" && up == "1")
            {
                break ups;
            }
        }
        let log = std::fs::read_to_string(pki.dir.join("prometheus.log")).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the https target never came up; Prometheus log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(
        ups,
        [
            ("plain-http".to_string(), "0".to_string()),
            ("proxy911-https".to_string(), "1".to_string()),
            ("wrong-password".to_string(), "0".to_string()),
        ]
    );
}
