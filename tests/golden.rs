//! Golden tests, one per directory under `tests/golden/`: the directory name starts with the
//! collector's name; `upstream.json` maps each upstream request (path and query) to its answer;
//! `expected.prom` is the collector's classic-text exposition. Each answer is served by wiremock
//! exactly once and fetched by the real client, so decoding and generation are both pinned.
//! `UPDATE_GOLDEN=1 cargo nextest run --test golden` rewrites the expected files.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use proxy911_exporter::collector::{self, RenderContext, Selection};
use proxy911_exporter::exposition::{Format, Rendered};
use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn render_case(dir: &Path) -> String {
    let name = dir.file_name().unwrap().to_str().unwrap();
    let collector_name = name.split('-').next().unwrap();
    let upstream: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("upstream.json")).unwrap()).unwrap();
    let server = MockServer::start().await;
    for (request, answer) in upstream {
        let (request_path, query) = request.split_once('?').unwrap_or((&request, ""));
        let mut mock = Mock::given(method("GET"))
            .and(path(request_path))
            .and(query_param("app_key", common::APP_KEY));
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap();
            mock = mock.and(query_param(key, value));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .named(request)
            .mount(&server)
            .await;
    }
    let (client, _) = common::client(&server.uri());
    let ctx = RenderContext {
        timezone: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
    };
    let spec = collector::all(&client, ctx, &Selection::all())
        .into_iter()
        .find(|c| c.id.as_str() == collector_name)
        .unwrap_or_else(|| panic!("{name}: no collector {collector_name}"));
    let families = (spec.fetch)()
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let rendered = Rendered::new(families);
    rendered.plain(Format::Text)
}

#[tokio::test]
async fn every_collector_renders_its_fixtures_exactly_as_recorded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 11);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for dir in cases {
        let actual = render_case(&dir).await;
        let expected_path = dir.join("expected.prom");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn neither_the_users_email_nor_phone_reaches_the_exposition() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/user-reference");
    let text = render_case(&dir).await;
    assert!(text.contains("proxy911_balance 0.1"), "{text}");
    for personal in ["[email protected]", "email", "phone"] {
        assert!(!text.contains(personal), "{personal} in:\n{text}");
    }
}

#[tokio::test]
async fn no_fixture_password_reaches_the_exposition() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/accounts-tricky");
    let text = render_case(&dir).await;
    for password in ["AlicePass1", "SharedPass1", "SharedPass2"] {
        assert!(!text.contains(password));
    }
}
