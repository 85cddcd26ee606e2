//! What the list endpoints share: the plain `{"list": […]}` answer, and the request and slicing
//! of the paginated ones (each writes its own pagination fields).

use serde::{Deserialize, Serialize};

use super::request::{Param, Request};

/// Largest page the simulated list endpoints return, whatever `size` asks for.
pub const MAX_PAGE_SIZE: usize = 50;
const DEFAULT_PAGE_SIZE: usize = 20;

/// `{"list": […]}`: the answer of the unpaginated lists.
#[derive(Debug, Serialize)]
pub struct List<T> {
    pub list: Vec<T>,
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        List {
            list: items.into_iter().collect(),
        }
    }
}

/// The `pagination` object of a page (order list, purchased IPs).
#[derive(Debug, Serialize)]
pub struct Pagination {
    total: usize,
    page_no: u32,
    page_size: usize,
    total_pages: usize,
}

impl Pagination {
    pub fn new(total: usize, page_no: u32, page_size: usize) -> Self {
        Pagination {
            total,
            page_no,
            page_size,
            total_pages: total.div_ceil(page_size.max(1)),
        }
    }
}

/// The request of a paginated list: `page` (1-based, default 1) and `size` (default 20, at
/// most [`MAX_PAGE_SIZE`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    app_key: Param,
    page: Param,
    size: Param,
}

impl PageQuery {
    pub fn page(&self) -> u32 {
        self.page
            .integer()
            .unwrap_or(1)
            .clamp(1, i64::from(u32::MAX)) as u32
    }

    /// The slice of `items` on the asked page, and the page size used.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> (&'a [T], usize) {
        let size = self
            .size
            .integer()
            .filter(|s| *s > 0)
            .map(|s| (s as usize).min(MAX_PAGE_SIZE))
            .unwrap_or(DEFAULT_PAGE_SIZE);
        let start = (self.page() as usize - 1)
            .saturating_mul(size)
            .min(items.len());
        let end = start.saturating_add(size).min(items.len());
        (&items[start..end], size)
    }
}

impl Request for PageQuery {
    fn app_key(&self) -> &Param {
        &self.app_key
    }

    fn variant(&self) -> String {
        format!("page={}", self.page())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::request::Params;

    fn query(page: &str, size: &str) -> PageQuery {
        let query = [("page", page), ("size", size)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::read(query, false, b"")
            .unwrap()
            .into_request()
            .unwrap()
    }

    #[test]
    fn a_page_is_cut_at_most_fifty_items_long_and_past_the_end_is_empty() {
        let items: Vec<u32> = (0..120).collect();

        assert_eq!(query("3", "50").slice(&items), (&items[100..120], 50));
        assert_eq!(query("1", "500").slice(&items), (&items[0..50], 50));
        assert_eq!(query("2", "").slice(&items), (&items[20..40], 20));
        assert_eq!(query("9", "50").slice(&items).0, &[] as &[u32]);
    }

    #[test]
    fn a_missing_zero_or_unreadable_page_is_page_one() {
        for page in ["", "0", "-3", "two"] {
            assert_eq!(query(page, "").page(), 1, "{page:?}");
        }
        assert_eq!(query("99999999999", "").page(), u32::MAX);
    }
}
