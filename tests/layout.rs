//! The map in `lib.rs` tells the truth: it names every module of the crate, and each module uses
//! only those listed above it (read from the `crate::` paths in its files).

use std::fs;
use std::path::Path;

/// The modules of the map, in its order.
fn map() -> Vec<String> {
    let lib = fs::read_to_string("src/lib.rs").expect("lib.rs");
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! - [`"))
        .filter_map(|rest| rest.split_once("`]"))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Every `.rs` file under `path` (or `path.rs`).
fn files(module: &str) -> Vec<String> {
    let dir = Path::new("src").join(module);
    if !dir.is_dir() {
        return vec![fs::read_to_string(format!("src/{module}.rs")).expect("the module's file")];
    }
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(fs::read_to_string(path).expect("a readable file"));
            }
        }
    }
    out
}

#[test]
fn the_map_in_lib_rs_lists_every_module_the_crate_declares() {
    let lib = fs::read_to_string("src/lib.rs").expect("lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';'))
        .collect();
    let mut mapped = map();
    mapped.sort();
    let mut declared: Vec<String> = declared.iter().map(|s| s.to_string()).collect();
    declared.sort();

    assert_eq!(mapped, declared);
}

#[test]
fn every_module_uses_only_modules_listed_above_it_in_the_map() {
    let map = map();
    for (place, module) in map.iter().enumerate() {
        let below = &map[place + 1..];
        for text in files(module) {
            for other in below {
                assert!(
                    !text.contains(&format!("crate::{other}::"))
                        && !text.contains(&format!("crate::{other};"))
                        && !text.contains(&format!("crate::{other}}}")),
                    "{module} uses {other}, which the map lists below it"
                );
            }
        }
    }
}
