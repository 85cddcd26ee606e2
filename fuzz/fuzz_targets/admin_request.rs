//! Fuzz target: any bytes as the body of an admin request, through the decoder the handlers use
//! (`decode::body`) into each request type: `AddRequest` (POST /admin/accounts),
//! `UpdateRequest` and its `check` (PATCH /admin/accounts/{username}) and `BatchRequest`
//! (POST /admin/accounts/actions/{action}). None panics; whatever is accepted keeps the
//! promises of the types: 1 to 100 accounts, no username twice, an update that changes
//! something.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use proxy911_exporter::http::admin::decode;
use proxy911_exporter::http::admin::requests::{
    AddRequest, BatchRequest, UpdateRequest, MAX_BATCH,
};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(add) = decode::body::<AddRequest>(bytes) {
        let names = add.accounts.usernames();
        assert!(
            (1..=MAX_BATCH).contains(&names.len()),
            "{} accounts",
            names.len()
        );
        let unique: HashSet<String> = names.iter().map(|n| n.to_string()).collect();
        assert_eq!(unique.len(), names.len(), "a username twice: {names:?}");
    }
    if let Ok(update) = decode::body::<UpdateRequest>(bytes) {
        let changes = [
            update.password.is_some(),
            update.remark.is_some(),
            update.limit_gb.is_some(),
            update.enabled.is_some(),
        ];
        let checked = update.check();
        assert_eq!(checked.is_ok(), changes.contains(&true));
    }
    if let Ok(batch) = decode::body::<BatchRequest>(bytes) {
        let names = batch.accounts.usernames();
        assert!(
            (1..=MAX_BATCH).contains(&names.len()),
            "{} accounts",
            names.len()
        );
        let unique: HashSet<String> = names.iter().map(|n| n.to_string()).collect();
        assert_eq!(unique.len(), names.len(), "a username twice: {names:?}");
    }
    // An `Invalid` always names a field or says what is wrong with the JSON.
    if let Err(invalid) = decode::body::<AddRequest>(bytes) {
        assert!(!invalid.message.is_empty());
    }
});
