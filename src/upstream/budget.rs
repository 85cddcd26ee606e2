//! One memory budget for every upstream answer in flight, process-wide: an answer's bytes are
//! reserved before they are read and released once it is decoded. Whatever the upstream sends,
//! and however many answers arrive at once (pages, collectors, admin calls), the answers held
//! never pass [`BUDGET_BYTES`] together, nor `MAX_ANSWER_BYTES` alone.
//!
//! An answer that declares its length waits for its whole reservation at once (first come,
//! first served, so two answers can never each hold half and wait for the other); one that
//! does not (chunked) reserves chunk by chunk and fails at once when the budget is spent, rather
//! than wait while holding part of it. Either way the request's own timeout bounds the wait.

use tokio::sync::{Semaphore, SemaphorePermit};

/// The largest single answer read (an account list of 100,000 accounts is about 25 MiB).
pub(crate) const MAX_ANSWER_BYTES: usize = 32 << 20;
/// All answers in flight together.
pub const BUDGET_BYTES: usize = 48 << 20;

static BUDGET: Semaphore = Semaphore::const_new(BUDGET_BYTES);

/// Why an answer could not be given room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OverBudget {
    #[error("the answer is larger than {} MiB", MAX_ANSWER_BYTES >> 20)]
    TooLarge,
    #[error("the answers in flight would pass the exporter's {} MiB budget", BUDGET_BYTES >> 20)]
    Spent,
}

/// Room reserved for one answer; released when dropped.
#[derive(Debug, Default)]
pub(crate) struct Reservation {
    permit: Option<SemaphorePermit<'static>>,
    bytes: usize,
}

impl Reservation {
    /// Waits for `bytes` at once: an answer whose length is declared.
    pub async fn declared(bytes: usize) -> Result<Reservation, OverBudget> {
        if bytes > MAX_ANSWER_BYTES {
            return Err(OverBudget::TooLarge);
        }
        let permit = BUDGET
            .acquire_many(bytes as u32)
            .await
            .map_err(|_| OverBudget::Spent)?;
        Ok(Reservation {
            permit: Some(permit),
            bytes,
        })
    }

    /// Adds `bytes` more without waiting: the next chunk of an answer of unknown length.
    pub fn grow(&mut self, bytes: usize) -> Result<(), OverBudget> {
        if self.bytes + bytes > MAX_ANSWER_BYTES {
            return Err(OverBudget::TooLarge);
        }
        let more = BUDGET
            .try_acquire_many(bytes as u32)
            .map_err(|_| OverBudget::Spent)?;
        match &mut self.permit {
            Some(permit) => permit.merge(more),
            None => self.permit = Some(more),
        }
        self.bytes += bytes;
        Ok(())
    }

    /// The bytes this reservation holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The bytes of the budget not reserved now (for tests and diagnostics).
pub fn available() -> usize {
    BUDGET.available_permits()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The budget is process-wide: these tests reserve little and give it back, and only assert
    // on their own reservations.

    #[tokio::test]
    async fn a_reservation_is_given_back_when_dropped() {
        let reservation = Reservation::declared(1024).await.unwrap();
        assert_eq!(reservation.bytes(), 1024);
        drop(reservation);
        // Other tests may hold some at the same time; never more than the budget.
        assert!(available() <= BUDGET_BYTES);
    }

    #[tokio::test]
    async fn an_answer_past_the_single_answer_limit_is_refused_before_reading() {
        assert_eq!(
            Reservation::declared(MAX_ANSWER_BYTES + 1)
                .await
                .unwrap_err(),
            OverBudget::TooLarge
        );
        let mut growing = Reservation::default();
        growing.grow(1024).unwrap();
        assert_eq!(
            growing.grow(MAX_ANSWER_BYTES).unwrap_err(),
            OverBudget::TooLarge
        );
    }

    #[tokio::test]
    async fn a_chunked_answer_fails_at_once_when_the_budget_is_spent() {
        // Hold two thirds of the budget twice over is impossible: the second chunked answer
        // cannot grow past what is left.
        let mut first = Reservation::default();
        let mut second = Reservation::default();
        let mut refused = false;
        for _ in 0..(BUDGET_BYTES / (1 << 20)) {
            if first.grow(1 << 20).is_err() {
                refused = true;
                break;
            }
            if second.grow(1 << 20).is_err() {
                refused = true;
                break;
            }
        }
        assert!(
            refused,
            "two answers never hold more than the budget together"
        );
        assert!(first.bytes() + second.bytes() <= BUDGET_BYTES);
    }
}
