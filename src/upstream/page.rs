//! One page of a paginated list, in either of the upstream's two pagination shapes
//! (`page`/`total_page` at the top, or a `pagination` object), and how many pages there are.

use super::decode::{self, Decode, Drift, Fields, ShapeError};

/// One page of a paginated list, in either of the upstream's two pagination shapes
/// (`page`/`total_page` at the top, or a `pagination` object).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub list: Vec<T>,
    pub page_size: Option<i64>,
    pub total_count: Option<i64>,
    pub total_page: Option<i64>,
    pub pagination: Option<Pagination>,
}

/// The fields of a page around its list (the list itself is read by [`data_page`]).
pub(crate) const PAGE_FIELDS: &[&str] = &[
    "page_size",
    "size",
    "total_count",
    "total_page",
    "pagination",
];
/// Fields of a page that are known but not read.
pub(crate) const PAGE_IGNORED: &[&str] = &["list", "page", "page_no", "total"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pagination {
    pub total: Option<i64>,
    pub page_size: Option<i64>,
    pub total_pages: Option<i64>,
}

impl Decode for Pagination {
    const FIELDS: &'static [&'static str] =
        &["total", "page_size", "size", "total_pages", "total_page"];
    const IGNORED: &'static [&'static str] = &["page_no", "page"];

    fn decode(f: &mut Fields<'_, '_>) -> Self {
        Pagination {
            total: f.int(&["total"]),
            page_size: f.int(&["page_size", "size"]),
            total_pages: f.int(&["total_pages", "total_page"]),
        }
    }
}

impl<T> Page<T> {
    /// Total number of pages, from whichever pagination shape the answer used.
    pub fn total_pages(&self) -> Option<i64> {
        let pagination = self.pagination.as_ref();
        self.total_page
            .or_else(|| pagination.and_then(|p| p.total_pages))
            .or_else(|| {
                let total = self
                    .total_count
                    .or_else(|| pagination.and_then(|p| p.total))?;
                let size = self
                    .page_size
                    .or_else(|| pagination.and_then(|p| p.page_size))?;
                (size > 0).then(|| total.saturating_add(size - 1) / size)
            })
    }
}

/// Reads the `data` of one page of a paginated list: the list, and whichever pagination fields
/// the answer has. A bare array is a page without pagination.
pub fn data_page<T: Decode>(data: Option<&str>, drift: &mut Drift) -> Result<Page<T>, ShapeError> {
    let raw = match data.map(str::trim) {
        None | Some("null") => return Err(decode::no_data("a page of a list")),
        Some(raw) => raw,
    };
    if raw.starts_with('[') {
        return Ok(Page {
            list: decode::list(raw, drift)?,
            page_size: None,
            total_count: None,
            total_page: None,
            pagination: None,
        });
    }
    let mut f =
        decode::object_fields(raw, [PAGE_FIELDS, PAGE_IGNORED], drift).ok_or_else(|| {
            ShapeError(format!(
                "expected an object or a list, got {}",
                decode::kind_of(raw)
            ))
        })?;
    // A page without a `list` (renamed, say, or `{}`, or a `null` list) is not "no items".
    let Some(list_raw) = f.raw("list") else {
        return Err(decode::no_list(f.keys()));
    };
    let page_size = f.int(&["page_size", "size"]);
    let total_count = f.int(&["total_count"]);
    let total_page = f.int(&["total_page"]);
    let pagination = f.object::<Pagination>("pagination");
    f.note_unknown();
    let list = decode::list(list_raw, f.drift())?;
    Ok(Page {
        list,
        page_size,
        total_count,
        total_page,
        pagination,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::model::StaticIp;

    #[test]
    fn pages_read_either_pagination_shape_and_count_their_drift() {
        let mut drift = Drift::default();
        let page = data_page::<StaticIp>(
            Some(r#"{"list":[{"ip":"a"},7],"pagination":{"total":250,"page_size":100},"x":{}}"#),
            &mut drift,
        )
        .unwrap();
        assert_eq!(page.list.len(), 1);
        assert_eq!(page.total_pages(), Some(3));
        assert_eq!(drift.skipped, 1);
        assert!(drift.unknown_fields.contains("x"));
        let page =
            data_page::<StaticIp>(Some(r#"{"list":[],"total_page":"4"}"#), &mut drift).unwrap();
        assert_eq!(page.total_pages(), Some(4));
    }

    #[test]
    fn a_page_whose_list_was_renamed_is_an_error_not_an_empty_page() {
        let mut drift = Drift::default();
        let err = data_page::<StaticIp>(Some(r#"{"items":[{"ip":"a"}],"total":1}"#), &mut drift)
            .unwrap_err();
        assert!(err.0.contains("items"), "{err}");
        for empty in [
            None,
            Some("null"),
            Some("{}"),
            Some(r#"{"list":null,"total":0}"#),
        ] {
            assert!(
                data_page::<StaticIp>(empty, &mut drift).is_err(),
                "{empty:?}"
            );
        }
        assert!(
            data_page::<StaticIp>(Some(r#"{"list":[],"total":0}"#), &mut drift)
                .unwrap()
                .list
                .is_empty()
        );
    }
}
