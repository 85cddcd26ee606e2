//! Fuzz target: any bytes as an upstream answer. The envelope is read, then its `data` (or, when
//! there is no envelope, the whole text) goes through every decoder the client uses, for every
//! model type: `data_list`, `data_object` and `data_page`. None may panic, and three
//! consistency properties hold: the envelope's `data` is a slice of the answer that is itself
//! JSON; a bare array and `{"list": array}` decode to the same items and the same drift (or are
//! both refused); a page
//! that is a bare array holds what the list decoder reads from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy911_exporter::upstream::decode::{self, Decode, Drift};
use proxy911_exporter::upstream::model::{
    Account, DailyFlow, DynamicCountry, DynamicPlace, Order, Package, PackageSummary, StaticIp,
    StaticIpRegion, UserInfo,
};
use proxy911_exporter::upstream::page;
use serde_json::value::RawValue;

/// Unknown field names kept per answer (src/upstream/decode/drift.rs): a hostile answer must
/// not grow the set.
const MAX_UNKNOWN_FIELDS: usize = 32;

fuzz_target!(|bytes: &[u8]| {
    let Ok(raw) = std::str::from_utf8(bytes) else {
        return;
    };
    let data = match decode::envelope(raw) {
        Some(envelope) => {
            if let Some(data) = envelope.data {
                let (start, end) = (raw.as_ptr() as usize, raw.as_ptr() as usize + raw.len());
                let at = data.as_ptr() as usize;
                assert!(
                    at >= start && at + data.len() <= end,
                    "data is not a slice of the answer"
                );
                assert!(
                    serde_json::from_str::<&RawValue>(data).is_ok(),
                    "data is not JSON: {data:?}"
                );
            }
            envelope.data
        }
        None => Some(raw),
    };
    every_decoder::<Account>(data);
    every_decoder::<PackageSummary>(data);
    every_decoder::<Package>(data);
    every_decoder::<StaticIpRegion>(data);
    every_decoder::<StaticIp>(data);
    every_decoder::<DailyFlow>(data);
    every_decoder::<Order>(data);
    every_decoder::<UserInfo>(data);
    every_decoder::<DynamicCountry>(data);
    every_decoder::<DynamicPlace>(data);
});

fn every_decoder<T: Decode + PartialEq + std::fmt::Debug>(data: Option<&str>) {
    let mut list_drift = Drift::default();
    let list = decode::data_list::<T>(data, &mut list_drift);
    assert!(list_drift.unknown_fields.len() <= MAX_UNKNOWN_FIELDS);

    let mut object_drift = Drift::default();
    let _ = decode::data_object::<T>(data, &mut object_drift);
    assert!(object_drift.unknown_fields.len() <= MAX_UNKNOWN_FIELDS);

    let mut page_drift = Drift::default();
    let page = page::data_page::<T>(data, &mut page_drift);
    assert!(page_drift.unknown_fields.len() <= MAX_UNKNOWN_FIELDS);
    if let Ok(page) = &page {
        let _ = page.total_pages();
    }

    let Some(array) = data.map(str::trim).filter(|d| d.starts_with('[')) else {
        return;
    };
    // The two spellings of a list are one list.
    let wrapped = format!("{{\"list\":{array}}}");
    let mut wrapped_drift = Drift::default();
    let from_wrapped = decode::data_list::<T>(Some(&wrapped), &mut wrapped_drift);
    // (Their refusals may word it differently: the wrapped text is an object that is not JSON.)
    match (&list, &from_wrapped) {
        (Ok(_), _) | (_, Ok(_)) => {
            assert_eq!(
                list, from_wrapped,
                "a bare array and {{\"list\": array}} differ"
            );
            assert_eq!(list_drift, wrapped_drift);
        }
        (Err(_), Err(_)) => {}
    }
    // A page that is a bare array is that list, without pagination.
    match (list, page) {
        (Ok(items), Ok(page)) => {
            assert_eq!(items, page.list);
            assert_eq!(list_drift, page_drift);
            assert!(page.total_pages().is_none());
        }
        (Err(_), Err(_)) => {}
        (list, page) => panic!("list and page disagree: {list:?} / {page:?}"),
    }
}
