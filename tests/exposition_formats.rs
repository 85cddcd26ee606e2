//! Both exposition formats checked by real, strict consumers: Debian's `promtool check metrics`
//! for the classic text format, and Python's `prometheus_client.openmetrics.parser` for
//! OpenMetrics. The seed's remarks hold quotes, a backslash, a newline and CJK text.
//! Both tools are installed by scripts/install-tools.sh; a missing tool fails the test.

mod common;

use common::exporter;

const OPENMETRICS: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

async fn scrape(accept: Option<&str>) -> String {
    let exporter = exporter(|_| {}).await;
    let mut request = exporter.http.get(exporter.url("/metrics"));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let body = request.send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains(r#"remark="生产环境 \"main\" pool \\ EU""#),
        "the tricky remark is there"
    );
    assert!(body.contains(r#"remark="on hold\nsee ticket 42""#));
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classic_text_answer_passes_promtool_check_metrics() {
    let body = scrape(None).await;

    let (ok, out, err) = common::run_with_stdin("promtool", &["check", "metrics"], &body);

    assert!(ok, "promtool check metrics:\n{out}{err}");
}

const PARSE_OPENMETRICS: &str = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
families = list(text_string_to_metric_families(sys.stdin.read()))
remarks = [s.labels["remark"] for f in families if f.name == "proxy911_account_info" for s in f.samples]
assert '生产环境 "main" pool \\ EU' in remarks, remarks
assert 'on hold\nsee ticket 42' in remarks, remarks
counter = [f for f in families if f.name == "proxy911_account_traffic_used_bytes"][0]
assert counter.type == "counter" and counter.unit == "bytes", (counter.type, counter.unit)
print(len(families), "families")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openmetrics_answer_parses_with_the_strict_python_parser() {
    let body = scrape(Some(OPENMETRICS)).await;
    assert!(body.ends_with("# EOF\n"));

    let (ok, out, err) =
        common::run_with_stdin(common::python(), &["-c", PARSE_OPENMETRICS], &body);

    assert!(ok, "openmetrics parser:\n{out}{err}");
}
