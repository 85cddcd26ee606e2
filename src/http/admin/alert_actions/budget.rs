//! [`Budget`]: at most [`MAX_PER_HOUR`] alert actions in any hour, whatever arrives. A sliding
//! window of the times of the last actions: hand-written because it is ten timestamps, and on
//! tokio's clock so the tests can pause and advance it. A std `Mutex` is fine: nothing awaits
//! while it is held.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The most actions (disables, or in `log` mode would-be disables) in any hour.
pub const MAX_PER_HOUR: usize = 10;
const WINDOW: Duration = Duration::from_secs(3600);

/// Cheap to clone: the window is shared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Budget {
    taken: Arc<Mutex<VecDeque<Instant>>>,
}

impl Budget {
    /// Takes one action from the budget, or says `false` when the last hour holds
    /// [`MAX_PER_HOUR`] already.
    pub fn take(&self) -> bool {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-update; the queue is still
        // a list of instants, so keep going rather than refuse every action from now on.
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        while taken
            .front()
            .is_some_and(|at| now.duration_since(*at) >= WINDOW)
        {
            taken.pop_front();
        }
        if taken.len() >= MAX_PER_HOUR {
            return false;
        }
        taken.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ten_actions_pass_in_an_hour_and_the_eleventh_waits_for_the_first_to_age_out() {
        let budget = Budget::default();
        for _ in 0..MAX_PER_HOUR {
            assert!(budget.take());
            tokio::time::advance(Duration::from_secs(60)).await;
        }

        assert!(!budget.take(), "an 11th within the hour");
        // The first was taken 10 minutes ago: 50 more minutes and it leaves the window.
        tokio::time::advance(Duration::from_secs(49 * 60)).await;
        assert!(!budget.take());
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(budget.take());
        assert!(!budget.take(), "only the first one aged out");
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_one_budget() {
        let budget = Budget::default();
        let other = budget.clone();
        for _ in 0..MAX_PER_HOUR {
            assert!(other.take());
        }

        assert!(!budget.take());
    }
}
