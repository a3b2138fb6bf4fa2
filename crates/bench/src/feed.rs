//! Feed-page latency through HTTP at growing log sizes: the log is loaded in bulk
//! straight into the store, then each query is timed from request to last byte.

use std::fmt;
use std::time::{Duration, Instant};

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::{EventId, ProjectId, TaskId};
use agentry_domain::log::EventRepo as _;
use agentry_domain::log::{ChatEvent, ChatMessage, TaskComment};
use agentry_domain::page::Cursor;
use agentry_domain::tracker::{TaskStatus, TaskStatusChanged, TrackerEvent};
use sea_orm::{ConnectionTrait as _, DbBackend};
use uuid::Uuid;

use crate::conn::{Call, Conn};
use crate::target::Target;

const TASKS: usize = 100;
const LOAD_BATCH: usize = 5_000;
const WARM_UP: usize = 50;

/// Latency of one feed query at one log size.
#[derive(Clone, Debug)]
pub struct FeedFigure {
    pub events: usize,
    pub query: &'static str,
    pub p50: Duration,
    pub p99: Duration,
}

impl fmt::Display for FeedFigure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "feed at {:>9} events, {:<28} p50 {:>7.3} ms  p99 {:>7.3} ms",
            self.events,
            self.query,
            millis(self.p50),
            millis(self.p99)
        )
    }
}

pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// A project whose log was loaded to a given size, ready to be read.
struct LoadedFeed {
    conn: Conn,
    events: usize,
    queries: Vec<(&'static str, Call)>,
}

/// Loads a log of `small` events into one target and of `large` into another, then
/// samples each query on both, alternating request by request: whatever else the
/// machine is doing meanwhile weighs on both sizes alike.
pub async fn measure(
    small: (&Target, usize),
    large: (&Target, usize),
    samples: usize,
) -> anyhow::Result<Vec<FeedFigure>> {
    let mut small = load_feed(small.0, small.1).await?;
    let mut large = load_feed(large.0, large.1).await?;
    let mut figures = Vec::new();
    let queries: Vec<_> = small
        .queries
        .clone()
        .into_iter()
        .zip(large.queries.clone())
        .collect();
    for ((query, small_call), (_, large_call)) in queries {
        let times = sample(
            [(&mut small, &small_call), (&mut large, &large_call)],
            samples,
        )
        .await?;
        for (feed, times) in [(&small, &times[0]), (&large, &times[1])] {
            figures.push(FeedFigure {
                events: feed.events,
                query,
                p50: percentile(times, 50),
                p99: percentile(times, 99),
            });
        }
    }
    figures.sort_by_key(|f| f.events);
    Ok(figures)
}

async fn load_feed(target: &Target, size: usize) -> anyhow::Result<LoadedFeed> {
    let token = target.api.user("reader").await?;
    let project = target.api.project(&token, "FE").await?;
    let mut tasks = Vec::with_capacity(TASKS);
    for n in 0..TASKS {
        tasks.push(
            target
                .api
                .task(&token, project, &format!("task {n}"))
                .await?,
        );
    }
    // The project and each task already logged one event.
    let middle = load(target, ProjectId(project), &tasks, TASKS + 1, size).await?;
    settle(target).await?;
    let queries = vec![
        ("project feed", format!("project_id={project}")),
        (
            "project chat (1 type)",
            format!("project_id={project}&types=chat_message"),
        ),
        (
            "project, 2 types",
            format!("project_id={project}&types=task_comment,task_status"),
        ),
        ("task feed", format!("task_id={}", tasks[TASKS / 2])),
        (
            "project feed, deep cursor",
            format!("project_id={project}&cursor={}", Cursor(middle).encode()),
        ),
    ]
    .into_iter()
    .map(|(name, params)| (name, Call::get(format!("/api/v1/events?{params}&limit=50"))))
    .collect();
    Ok(LoadedFeed {
        conn: target.api.connect(&token).await?,
        events: size,
        queries,
    })
}

/// Appends events until the project holds `size`, in large transactions; returns
/// an event from the middle of the log, for a deep cursor.
async fn load(
    target: &Target,
    project: ProjectId,
    tasks: &[Uuid],
    from: usize,
    size: usize,
) -> anyhow::Result<EventId> {
    let started = Instant::now();
    let mut middle = None;
    let mut n = from;
    while n < size {
        let batch_end = (n + LOAD_BATCH).min(size);
        let mut batch = Vec::with_capacity(batch_end - n);
        for i in n..batch_end {
            let event = synthetic(project, tasks, i)?;
            if i == size / 2 {
                middle = Some(event.id);
            }
            batch.push(event);
        }
        target.direct.append(&batch).await?;
        n = batch_end;
    }
    println!(
        "loaded {} events in {:.1} s",
        size.saturating_sub(from),
        started.elapsed().as_secs_f64()
    );
    middle.ok_or_else(|| anyhow::anyhow!("no event loaded for a {size}-event log"))
}

/// A bulk load leaves work the database does in the background for a while after:
/// PostgreSQL's autovacuum would vacuum and analyze the table, and the checkpoint
/// the load's WAL triggered spreads its writes over the next quarter minute or so;
/// SQLite's WAL holds the last pages written. Done now, none of it lands in the
/// middle of the samples, which then read the log as it stands in steady state.
pub(crate) async fn settle(target: &Target) -> anyhow::Result<()> {
    let conn = target.direct.connection();
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared("VACUUM (ANALYZE) events").await?;
        // Needs a superuser or pg_checkpoint; without, the samples may meet it.
        if let Err(e) = conn.execute_unprepared("CHECKPOINT").await {
            println!("no CHECKPOINT after the load ({e}); the first samples may meet it");
        }
    } else {
        conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}

/// Half chat, three tenths comments, two tenths status changes, spread over tasks.
fn synthetic(project: ProjectId, tasks: &[Uuid], i: usize) -> anyhow::Result<Event> {
    let task = Some(TaskId(tasks[i % tasks.len()]));
    let (project, now) = (Some(project), utc_now());
    let event = match i % 10 {
        0..5 => Event::build(
            project,
            None,
            None,
            None,
            ChatEvent::ChatMessage(ChatMessage {
                content: format!("message {i} about the plan for this week"),
                mentions: Vec::new(),
                thinking: None,
                voice_url: None,
                via: None,
            }),
            now,
        ),
        5..8 => Event::build(
            project,
            None,
            task,
            None,
            ChatEvent::TaskComment(TaskComment {
                content: format!("comment {i}: looked at the failing test, see the log"),
                mentions: Vec::new(),
                thinking: None,
                tool_log: None,
            }),
            now,
        ),
        _ => Event::build(
            project,
            None,
            task,
            None,
            TrackerEvent::TaskStatus(TaskStatusChanged {
                from: TaskStatus::InProgress,
                to: TaskStatus::Review,
            }),
            now,
        ),
    };
    Ok(event?)
}

/// `samples` timed GETs of each feed's call, alternating which goes first, after
/// a warm-up; each list of times sorted.
async fn sample(
    mut feeds: [(&mut LoadedFeed, &Call); 2],
    samples: usize,
) -> anyhow::Result<[Vec<Duration>; 2]> {
    for _ in 0..WARM_UP {
        for (feed, call) in &mut feeds {
            feed.conn.send(call).await?;
        }
    }
    let mut times = [Vec::with_capacity(samples), Vec::with_capacity(samples)];
    for n in 0..samples {
        let order = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let (feed, call) = &mut feeds[which];
            let start = Instant::now();
            feed.conn.send(call).await?;
            times[which].push(start.elapsed());
        }
    }
    for list in &mut times {
        list.sort_unstable();
    }
    Ok(times)
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}
