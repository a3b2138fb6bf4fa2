//! `/metrics` and `/readyz` on SQLite and PostgreSQL: requests are counted by
//! route (ids as `{id}`), method and status with latency histograms, events
//! appended and tasks by status are reported; `/readyz` wants the database and
//! every migration applied.

use agentry_migration::{Migrator, MigratorTrait as _};
use poem::http::StatusCode;

use crate::helpers::{TestApp, api_test};

api_test!(
    metrics_count_requests_events_and_tasks,
    readyz_wants_every_migration_applied,
);

async fn metrics_count_requests_events_and_tasks(app: TestApp) {
    let (project, _) = app.project(&app.admin, "MT").await;
    app.task(&app.admin, &project, "one").await;
    let _ = app.get("/wp-admin/setup.php", &app.admin).await;
    let response = app.client.get("/metrics").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/plain; version=0.0.4; charset=utf-8");
    let text = response.0.into_body().into_string().await.unwrap();
    // Counters and gauges are the process's: other tests' servers in the same
    // process add to them, so values are checked as at least ours.
    let value = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {series:?} in\n{text}"))
    };
    assert!(
        value(
            r#"agentry_http_requests_total{method="POST",route="/api/v1/projects/{id}/tasks",status="201"}"#
        ) >= 1.0
    );
    assert!(
        value(r#"agentry_http_requests_total{method="GET",route="unmatched",status="404"}"#) >= 1.0
    );
    for series in [
        r#"agentry_tasks{status="backlog"}"#,
        r#"agentry_tasks{status="done"}"#,
        "agentry_leases_held",
        "agentry_leases_expired",
        "agentry_live_subscribers",
        "agentry_worker_restarts_total",
    ] {
        assert!(value(series) >= 0.0);
    }
    assert!(text.contains("# TYPE agentry_http_request_duration_seconds histogram"));
    assert!(text.contains(r#"agentry_http_request_duration_seconds_bucket{method="POST",route="/api/v1/projects/{id}/tasks",le="0.005"}"#), "{text}");
    let appended = text
        .lines()
        .find_map(|l| l.strip_prefix("agentry_events_appended_total "))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .unwrap();
    assert!(
        appended >= 3,
        "the project, its member and the task: {appended}"
    );
}

async fn readyz(app: &TestApp) -> StatusCode {
    app.client.get("/readyz").send().await.0.status()
}

async fn readyz_wants_every_migration_applied(app: TestApp) {
    assert_eq!(readyz(&app).await, StatusCode::OK);
    let conn = app.app.store.connection();
    Migrator::down(conn, Some(1)).await.unwrap();
    assert_eq!(readyz(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    Migrator::up(conn, None).await.unwrap();
    assert_eq!(readyz(&app).await, StatusCode::OK);
}
