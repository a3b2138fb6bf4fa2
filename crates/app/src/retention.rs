//! The background retention pass: every interval, each project that keeps
//! its events for a while is pruned, batch by batch (`operations::Retention`).

use std::time::Duration;

use agentry_domain::operations::Retention;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Starts the pass every `every`, the first one `every` after start; none
/// for zero.
pub(crate) fn spawn(retention: Retention, every: Duration) -> Option<JoinHandle<()>> {
    if every.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            pass(&retention).await;
        }
    }))
}

async fn pass(retention: &Retention) {
    let results = match retention.prune_all().await {
        Ok(results) => results,
        Err(error) => {
            tracing::warn!(%error, "retention: listing the projects failed");
            return;
        }
    };
    for (project, result) in results {
        match result {
            Ok(report) if report.events > 0 || report.kept > 0 => tracing::info!(
                project = %project.0,
                cutoff = %report.cutoff,
                events = report.events,
                threads = report.threads,
                kept = report.kept,
                batches = report.batches,
                "retention: pruned"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(project = %project.0, %error, "retention: pruning failed"),
        }
    }
}
