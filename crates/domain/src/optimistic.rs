//! Optimistic concurrency, one rule for every versioned record (tasks, registry
//! records): a write names the version it read and fails if another came first.
//! A caller who named a version (`If-Match`) is told so with `StaleVersion`; a
//! caller who named none has its change re-read and re-applied on fresh state,
//! a bounded number of times, then a `Conflict` (it named no version to be stale).

use crate::{Error, Result};

/// How often an unconditional change is re-applied after losing a race.
const UNCONDITIONAL_ATTEMPTS: usize = 32;

/// # Errors
/// `StaleVersion` when the caller named a version other than the current one.
pub(crate) fn check(expected: Option<i64>, actual: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != actual => Err(Error::StaleVersion { expected, actual }),
        _ => Ok(()),
    }
}

/// Runs `attempt` (read, [`check`], decide, write) once when the caller named a
/// version, and again after each lost race when it did not.
///
/// # Errors
/// Whatever the last attempt reports.
pub(crate) async fn retry<T, F, Fut>(expected: Option<i64>, mut attempt: F) -> Result<T>
where
    // A closure returning a future rather than an async closure: the future's type
    // is then concrete, so callers' futures stay provably `Send`.
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let attempts = if expected.is_some() {
        1
    } else {
        UNCONDITIONAL_ATTEMPTS
    };
    let mut tried = 0;
    loop {
        tried += 1;
        match attempt().await {
            Err(Error::StaleVersion { .. }) if tried < attempts => {}
            Err(Error::StaleVersion { .. }) if expected.is_none() => {
                return Err(Error::Conflict(format!(
                    "the record changed {attempts} times while this change was applied; try again"
                )));
            }
            outcome => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{UNCONDITIONAL_ATTEMPTS, check, retry};
    use crate::Error;

    #[tokio::test]
    async fn an_unconditional_change_is_retried_and_a_conditional_one_is_not() {
        let stale = || {
            Err::<(), _>(Error::StaleVersion {
                expected: 1,
                actual: 2,
            })
        };
        let mut tries = 0;
        let outcome = retry(None, || {
            tries += 1;
            let outcome = if tries < 3 { stale() } else { Ok(()) };
            async move { outcome }
        })
        .await;
        assert!(outcome.is_ok());
        assert_eq!(tries, 3);

        let mut tries = 0;
        let outcome = retry(Some(1), || {
            tries += 1;
            async { stale() }
        })
        .await;
        assert!(matches!(outcome, Err(Error::StaleVersion { .. })));
        assert_eq!(tries, 1);

        let mut tries = 0;
        let outcome = retry(None, || {
            tries += 1;
            async { stale() }
        })
        .await;
        assert_eq!(tries, UNCONDITIONAL_ATTEMPTS);
        assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    }

    #[test]
    fn only_a_named_version_that_is_not_current_is_stale() {
        assert!(check(None, 3).is_ok());
        assert!(check(Some(3), 3).is_ok());
        assert!(matches!(
            check(Some(2), 3),
            Err(Error::StaleVersion {
                expected: 2,
                actual: 3
            })
        ));
    }
}
