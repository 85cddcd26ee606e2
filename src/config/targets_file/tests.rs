use super::*;

/// A folder of its own with `config.yml` holding `config` and each `(name, content)` file.
struct Folder(PathBuf);

impl Folder {
    fn new(test: &str, files: &[(&str, &str)]) -> Folder {
        let dir = std::env::temp_dir().join(format!(
            "proxy911-targets-file-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, content) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Folder(dir)
    }

    fn read(&self, config: &str) -> Result<TargetsFile, TargetsFileError> {
        let path = self.0.join("config.yml");
        std::fs::write(&path, config).unwrap();
        TargetsFile::read(&path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn refusal(test: &str, config: &str) -> String {
    let folder = Folder::new(test, &[("keys/a", "key-of-a\n")]);
    let error = folder.read(config).expect_err("refused").to_string();
    assert!(!error.contains('\n'), "one line: {error}");
    assert!(error.contains("config.yml"), "names the file: {error}");
    error
}

#[test]
fn a_full_target_is_read_with_paths_relative_to_the_files_folder() {
    let folder = Folder::new(
        "full",
        &[
            ("keys/team-a", "key-of-a\n"),
            ("tokens/team-a", "token-of-a"),
        ],
    );
    let file = folder
        .read(
            "targets:\n  team-a:\n    app_key_file: keys/team-a\n    api_url: https://gw.example/911\n    rate_limit: 0.5\n    rate_burst: 3\n    timeout: 4s\n    cache_ttl: 0s\n    collectors: [packages, accounts, packages]\n    admin_token_file: tokens/team-a\n  b2:\n    app_key_file: keys/team-a\n",
        )
        .unwrap();
    let a = &file.targets[&TargetName::parse("team-a").unwrap()];
    assert_eq!(a.app_key.expose_secret(), "key-of-a");
    assert_eq!(
        a.admin_token.as_ref().unwrap().expose_secret(),
        "token-of-a"
    );
    assert_eq!(
        a.api_url.as_ref().unwrap().as_str(),
        "https://gw.example/911"
    );
    assert_eq!(a.rate_limit, Some(0.5));
    assert_eq!(a.rate_burst, Some(3));
    assert_eq!(a.timeout, Some(Duration::from_secs(4)));
    assert_eq!(a.cache_ttl, Some(Duration::ZERO));
    assert_eq!(
        a.collectors,
        Some(vec![CollectorId::Accounts, CollectorId::Packages])
    );
    let b = &file.targets[&TargetName::parse("b2").unwrap()];
    assert_eq!(b.rate_limit, None);
    assert_eq!(b.collectors, None);
    assert!(b.admin_token.is_none());
}

#[test]
fn an_empty_list_of_targets_is_a_valid_file() {
    let folder = Folder::new("empty", &[]);
    assert!(folder.read("targets: {}\n").unwrap().targets.is_empty());
}

#[test]
fn an_unknown_key_is_refused_naming_its_line_and_key() {
    let error = refusal(
        "unknown",
        "targets:\n  team-a:\n    app_key_file: keys/a\n    rate_limt: 2\n",
    );
    assert!(error.contains("line 4"), "{error}");
    assert!(error.contains("targets.team-a"), "{error}");
    assert!(error.contains("rate_limt"), "{error}");
}

#[test]
fn an_unknown_top_level_key_and_a_missing_targets_key_are_refused() {
    let error = refusal("top", "targets: {}\ntargts: {}\n");
    assert!(error.contains("line 2"), "{error}");
    assert!(error.contains("targts"), "{error}");
    let error = refusal("missing", "# nothing\n");
    assert!(error.contains("targets"), "{error}");
}

#[test]
fn bad_values_are_refused_naming_line_key_and_why() {
    for (config, line, key, why) in [
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    rate_limit: -1\n",
            4,
            "targets.a.rate_limit",
            "requests per second",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    rate_burst: 0\n",
            4,
            "targets.a.rate_burst",
            "whole number",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    timeout: 0s\n",
            4,
            "targets.a.timeout",
            "greater than zero",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    cache_ttl: soon\n",
            4,
            "targets.a.cache_ttl",
            "duration",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    collectors: [accounts, sales]\n",
            4,
            "targets.a.collectors",
            "unknown collector \"sales\"",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    api_url: ftp://x/\n",
            4,
            "targets.a.api_url",
            "http",
        ),
    ] {
        let error = refusal("values", config);
        assert!(error.contains(&format!("line {line}")), "{config}: {error}");
        assert!(error.contains(key), "{config}: {error}");
        assert!(error.contains(why), "{config}: {error}");
    }
}

#[test]
fn a_target_name_outside_the_allowed_set_is_refused() {
    for name in ["Team-A", "-a", "a b", "ä", &"a".repeat(64)] {
        let error = refusal(
            "names",
            &format!("targets:\n  {name:?}:\n    app_key_file: keys/a\n"),
        );
        assert!(error.contains("target name"), "{name}: {error}");
        assert!(error.contains("line 2"), "{name}: {error}");
    }
    assert!(TargetName::parse(&"a".repeat(63)).is_ok());
    assert!(TargetName::parse("0.a_b-c").is_ok());
}

#[test]
fn credentials_in_an_api_url_are_refused_without_being_shown() {
    let error = refusal(
        "creds",
        "targets:\n  a:\n    app_key_file: keys/a\n    api_url: https://user:pw@x.example/\n",
    );
    assert!(error.contains("targets.a.api_url"), "{error}");
    assert!(!error.contains("pw@"), "{error}");
}

#[test]
fn an_unreadable_or_bad_secret_file_is_refused_with_its_line_and_never_its_content() {
    let folder = Folder::new(
        "secrets",
        &[
            ("keys/a", "key-of-a"),
            ("keys/spaced", "two words-secret\n"),
            ("keys/empty", ""),
        ],
    );
    for (config, line, why) in [
        (
            "targets:\n  a:\n    app_key_file: keys/a\n  b:\n    app_key_file: keys/missing\n",
            5,
            "cannot read",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/spaced\n",
            3,
            "single line",
        ),
        (
            "targets:\n  a:\n    app_key_file: keys/a\n    admin_token_file: keys/empty\n",
            4,
            "empty",
        ),
        (
            "targets:\n  a:\n    app_key_file: /dev/zero\n",
            3,
            "larger than 4 KiB",
        ),
    ] {
        let error = folder.read(config).unwrap_err().to_string();
        assert!(error.contains(&format!("line {line}")), "{config}: {error}");
        assert!(error.contains(why), "{config}: {error}");
        assert!(!error.contains("words-secret"), "{error}");
    }
}

#[test]
fn a_config_file_without_end_is_refused_after_the_limit() {
    let error = TargetsFile::read(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("larger than"), "{error}");
}

#[test]
fn settings_compare_equal_only_when_key_token_and_values_match() {
    let folder = Folder::new("equal", &[("k1", "one"), ("k2", "two")]);
    let one = folder
        .read("targets:\n  a:\n    app_key_file: k1\n")
        .unwrap();
    let again = folder
        .read("targets:\n  a:\n    app_key_file: k1\n")
        .unwrap();
    let other_key = folder
        .read("targets:\n  a:\n    app_key_file: k2\n")
        .unwrap();
    let other_ttl = folder
        .read("targets:\n  a:\n    app_key_file: k1\n    cache_ttl: 5s\n")
        .unwrap();
    assert_eq!(one, again);
    assert_ne!(one, other_key);
    assert_ne!(one, other_ttl);
}

#[test]
fn lines_are_found_part_after_part() {
    let text = "targets:\n  a:\n    app_key_file: x\n  b:\n    app_key_file: y\n";
    assert_eq!(line_of(text, &["targets", "b", "app_key_file"]), Some(5));
    assert_eq!(line_of(text, &["targets", "c", "app_key_file"]), None);
}
