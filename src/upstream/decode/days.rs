//! The days of a daily-traffic answer, held to what a day list can honestly be: at most
//! `MAX_DAYS` days back from its newest day (the upstream's window is 7 days; 62 allows for
//! two months asked explicitly), each day once. A day outside the window is defaulted (the item
//! is kept without its day, so no series), a day given twice is skipped after its first time;
//! both are counted as drift. Without this, a hostile answer could make 200,000 daily series.

use chrono::NaiveDate;

use super::Drift;
use crate::upstream::model::DailyFlow;

/// How far back from the newest day a day may be.
pub(crate) const MAX_DAYS: i64 = 62;

/// Applies the window and drops repeated days, counting both in `drift`.
pub fn settle(days: &mut Vec<DailyFlow>, drift: &mut Drift) {
    let parse = |d: &DailyFlow| {
        d.day
            .as_deref()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let Some(newest) = days.iter().filter_map(parse).max() else {
        return;
    };
    let oldest = newest - chrono::Duration::days(MAX_DAYS);
    let mut seen = std::collections::HashSet::new();
    days.retain_mut(|item| match parse(item) {
        Some(day) if day < oldest => {
            item.day = None;
            drift.defaulted("day");
            true
        }
        Some(day) if !seen.insert(day) => {
            drift.skipped += 1;
            false
        }
        _ => true,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> DailyFlow {
        DailyFlow {
            day: Some(d.into()),
            flow: Some(1.0),
        }
    }

    #[test]
    fn days_within_the_window_are_kept_as_they_are() {
        let mut days = vec![day("2026-12-01"), day("2026-11-30"), day("2026-10-01")];
        let mut drift = Drift::default();

        settle(&mut days, &mut drift);

        assert_eq!(days.len(), 3);
        assert!(days.iter().all(|d| d.day.is_some()));
        assert_eq!(drift, Drift::default());
    }

    #[test]
    fn a_day_older_than_the_window_loses_its_day_and_is_counted() {
        let mut days = vec![day("2026-12-01"), day("2026-09-29"), day("1970-01-01")];
        let mut drift = Drift::default();

        settle(&mut days, &mut drift);

        assert_eq!(days.len(), 3);
        assert_eq!(days.iter().filter(|d| d.day.is_none()).count(), 2);
        assert_eq!(drift.defaulted.get("day"), Some(&2));
    }

    #[test]
    fn a_day_given_twice_is_skipped_after_its_first_time() {
        let mut days = vec![day("2026-12-01"), day("2026-11-30"), day("2026-12-01")];
        let mut drift = Drift::default();

        settle(&mut days, &mut drift);

        assert_eq!(days.len(), 2);
        assert_eq!(drift.skipped, 1);
    }

    #[test]
    fn two_hundred_thousand_days_make_at_most_sixty_three() {
        let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let mut days: Vec<DailyFlow> = (0..200_000)
            .map(|i| day(&(start + chrono::Duration::days(i % 9_000)).to_string()))
            .collect();
        let mut drift = Drift::default();

        settle(&mut days, &mut drift);

        let with_day = days.iter().filter(|d| d.day.is_some()).count();
        assert_eq!(with_day, (MAX_DAYS + 1) as usize);
    }
}
