use super::*;

struct Folder(PathBuf);

impl Folder {
    fn new(test: &str) -> Folder {
        let dir =
            std::env::temp_dir().join(format!("proxy911-targets-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, key) in [("a", "key-a"), ("b", "key-b"), ("b2", "key-b2")] {
            std::fs::write(dir.join(name), key).unwrap();
        }
        Folder(dir)
    }

    fn write(&self, config: &str) -> PathBuf {
        let path = self.0.join("config.yml");
        std::fs::write(&path, config).unwrap();
        path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn defaults() -> TargetDefaults {
    TargetDefaults {
        api_url: "http://127.0.0.1:1/".parse().unwrap(),
        timeout: Duration::from_secs(1),
        rate_limit: 2.0,
        rate_burst: 10,
        timezone: chrono::FixedOffset::east_opt(0).unwrap(),
        selection: Selection::default(),
    }
}

fn cache() -> CachePolicy {
    CachePolicy {
        ttl: Duration::from_secs(60),
        max_stale: Duration::from_secs(900),
    }
}

fn load(path: &Path) -> (Targets, Registry) {
    let mut registry = Registry::default();
    let file = TargetsFile::read(path).unwrap();
    let targets = Targets::new(path, file, defaults(), cache(), None, &mut registry).unwrap();
    (targets, registry)
}

fn encoded(registry: &Registry) -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode_registry(&mut out, registry).unwrap();
    out
}

#[test]
fn a_reload_keeps_unchanged_targets_rebuilds_changed_ones_and_drops_removed_ones() {
    let folder = Folder::new("reload");
    let path = folder.write("targets:\n  a:\n    app_key_file: a\n  b:\n    app_key_file: b\n");
    let (targets, _) = load(&path);
    let a = targets.get("a").unwrap();
    let b = targets.get("b").unwrap();

    folder.write("targets:\n  a:\n    app_key_file: a\n  b:\n    app_key_file: b2\n  c:\n    app_key_file: a\n");
    let report = targets.reload().unwrap();

    assert_eq!(report.kept, 1);
    assert_eq!(report.added, vec![TargetName::parse("c").unwrap()]);
    assert_eq!(report.changed, vec![TargetName::parse("b").unwrap()]);
    assert!(report.removed.is_empty());
    assert!(
        Arc::ptr_eq(&a, &targets.get("a").unwrap()),
        "a kept as it was"
    );
    assert!(
        !Arc::ptr_eq(&b, &targets.get("b").unwrap()),
        "b built with its new key"
    );

    folder.write("targets:\n  c:\n    app_key_file: a\n");
    let report = targets.reload().unwrap();
    assert_eq!(report.removed.len(), 2);
    assert!(targets.get("a").is_none());
    drop(targets);
    assert_eq!(
        Arc::strong_count(&a),
        1,
        "a removed target is held by nobody but its last user"
    );
}

#[test]
fn a_broken_file_keeps_the_running_targets_and_says_so_in_the_metrics() {
    let folder = Folder::new("broken");
    let path = folder.write("targets:\n  a:\n    app_key_file: a\n");
    let (targets, registry) = load(&path);
    assert!(encoded(&registry).contains("config_last_reload_successful 1"));
    assert!(encoded(&registry).contains("targets 1"));

    folder.write("targets:\n  a:\n    app_key_file: a\n    bogus: 1\n");
    let error = targets.reload().unwrap_err();
    assert!(error.is_configuration());
    assert!(error.to_string().contains("bogus"), "{error}");
    assert!(targets.get("a").is_some());
    assert!(encoded(&registry).contains("config_last_reload_successful 0"));

    folder.write("targets:\n  a:\n    app_key_file: a\n  b:\n    app_key_file: b\n");
    targets.reload().unwrap();
    let text = encoded(&registry);
    assert!(text.contains("config_last_reload_successful 1"), "{text}");
    assert!(text.contains("targets 2"), "{text}");
}

#[test]
fn a_targets_collectors_come_from_the_file_or_else_from_the_flags() {
    let folder = Folder::new("collectors");
    let path = folder.write("targets:\n  a:\n    app_key_file: a\n    collectors: [user]\n");
    let file = TargetsFile::read(&path).unwrap();
    let settings = file.targets.values().next().unwrap();
    let chosen = defaults().selection(settings);
    assert_eq!(chosen.ids().collect::<Vec<_>>(), vec![CollectorId::User]);
    let mut flags_only = settings.clone();
    flags_only.collectors = None;
    assert_eq!(defaults().selection(&flags_only), Selection::default());
}

#[test]
fn the_key_hook_sees_every_built_target_and_no_kept_one() {
    let folder = Folder::new("hook");
    let path = folder.write("targets:\n  a:\n    app_key_file: a\n");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let hook: KeyHook = Box::new(move |key| {
        use secrecy::ExposeSecret;
        record.lock().unwrap().push(key.expose_secret().to_string());
    });
    let file = TargetsFile::read(&path).unwrap();
    let targets = Targets::new(
        &path,
        file,
        defaults(),
        cache(),
        Some(hook),
        &mut Registry::default(),
    )
    .unwrap();
    folder.write("targets:\n  a:\n    app_key_file: a\n  b:\n    app_key_file: b\n");
    targets.reload().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["key-a".to_string(), "key-b".to_string()]
    );
}
