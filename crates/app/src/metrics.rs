//! `/metrics` in the Prometheus text format: the recorder the crates' counters
//! and histograms go to (requests, events appended, model tokens and latency),
//! and the gauges read when it is scraped (subscribers, tasks by status,
//! leases held and expired).

use std::sync::OnceLock;

use agentry_domain::tracker::TaskStatus;
use agentry_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Histogram buckets, in seconds: from a cached read to a slow model's turn.
const BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// The process's recorder, installed at first use.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder installed first (an embedding service's) keeps the
        // counters; this one then reports only the gauges.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "agentry_http_requests_total",
        "Requests answered, by route, method and status"
    );
    metrics::describe_histogram!(
        "agentry_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer a request, by route and method"
    );
    metrics::describe_counter!("agentry_events_appended_total", "Events written to the log");
    metrics::describe_counter!(
        "agentry_model_tokens_total",
        "Model tokens by model and kind (input, output)"
    );
    metrics::describe_histogram!(
        "agentry_model_latency_seconds",
        metrics::Unit::Seconds,
        "Model call latency by model"
    );
    metrics::describe_gauge!(
        "agentry_live_subscribers",
        "Live feed subscribers of this process"
    );
    metrics::describe_gauge!("agentry_tasks", "Tasks by status");
    metrics::describe_gauge!("agentry_leases_held", "Running tasks whose lease holds");
    metrics::describe_gauge!(
        "agentry_leases_expired",
        "Running tasks whose lease expired (their worker is gone; another takes them over)"
    );
    metrics::describe_counter!(
        "agentry_worker_restarts_total",
        "Engine workers restarted by a supervisor"
    );
}

/// Installs the recorder (so counts start now, not at the first scrape).
pub(crate) fn install() {
    let _ = recorder();
}

/// The exposition, with the gauges read now.
pub(crate) async fn render(store: &Store, subscribers: usize) -> String {
    let handle = recorder();
    #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^52")]
    let count = |n: u64| n as f64;
    metrics::gauge!("agentry_live_subscribers").set(count(subscribers as u64));
    match store.gauges(chrono::Utc::now()).await {
        Ok(gauges) => {
            for status in TaskStatus::ALL {
                let n = gauges.tasks.get(status.as_str()).copied().unwrap_or(0);
                metrics::gauge!("agentry_tasks", "status" => status.as_str()).set(count(n));
            }
            metrics::gauge!("agentry_leases_held").set(count(gauges.leases_held));
            metrics::gauge!("agentry_leases_expired").set(count(gauges.leases_expired));
        }
        Err(e) => tracing::warn!(error = %e, "reading the gauges for /metrics failed"),
    }
    metrics::counter!("agentry_worker_restarts_total").increment(0);
    handle.render()
}
