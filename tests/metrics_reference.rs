//! `docs/metrics.md` is the metric reference users read: it lists every family the exporter can
//! emit (every collector on, the admin API on and asked once), and none that it no longer
//! emits.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use proxy911_exporter::collector::Selection;
use proxy911_exporter::config::{AdminConfig, TargetsConfig, TargetsFile};
use secrecy::SecretString;

/// The families the reference's tables name: the first cell of each row, in backquotes.
fn documented() -> BTreeSet<String> {
    let text = std::fs::read_to_string("docs/metrics.md").expect("docs/metrics.md");
    text.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The families of a scrape, by their `# TYPE` lines, once every collector has refreshed.
async fn emitted() -> BTreeSet<String> {
    let (_sim, url) = common::simulator(None).await;
    // A config file of one target (the same key), so that `/metrics` has the families of
    // several accounts too.
    let dir =
        std::env::temp_dir().join(format!("proxy911-metrics-reference-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("key"), common::APP_KEY).unwrap();
    let config_file = dir.join("config.yml");
    std::fs::write(&config_file, "targets:\n  one:\n    app_key_file: key\n").unwrap();
    let (addr, _) = common::exporter_at(&url, |c| {
        c.collectors = Selection::all();
        c.admin = Some(AdminConfig::new(SecretString::from(common::ADMIN_TOKEN)));
        c.targets = Some(TargetsConfig {
            file: TargetsFile::read(&config_file).unwrap(),
            path: config_file.clone(),
        });
    })
    .await;
    // One admin operation, so the admin request counter has a series to show.
    let listed = common::http()
        .get(format!("http://{addr}/admin/accounts"))
        .bearer_auth(common::ADMIN_TOKEN)
        .send()
        .await
        .expect("the admin API answers");
    assert_eq!(listed.status(), 200);
    for _ in 0..200 {
        let text = common::scrape_text(addr).await;
        let refreshed = common::matching(
            &text,
            "proxy911_collector_last_success_timestamp_seconds",
            &[],
        )
        .len();
        if refreshed >= Selection::all().ids().count() {
            return text
                .lines()
                .filter_map(|line| line.strip_prefix("# TYPE "))
                .filter_map(|rest| rest.split_whitespace().next())
                .map(str::to_string)
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the collectors did not all refresh within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metric_reference_lists_every_family_the_exporter_emits_and_no_other() {
    let documented = documented();
    let emitted = emitted().await;

    let missing: Vec<_> = emitted.difference(&documented).collect();
    let gone: Vec<_> = documented.difference(&emitted).collect();
    assert!(missing.is_empty(), "not in docs/metrics.md: {missing:?}");
    assert!(
        gone.is_empty(),
        "in docs/metrics.md but not emitted: {gone:?}"
    );
}
