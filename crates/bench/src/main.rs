//! `agentry-bench`: measures the API over real HTTP beside raw writes to the same
//! database and schema, on SQLite always and on PostgreSQL when reachable, prints
//! the figures and records them in `docs/benchmarks.md`.

mod api;
mod appends;
mod conn;
mod engine;
mod feed;
mod floor;
mod idle;
mod live;
mod prune;
mod registry;
mod report;
mod squads;
mod subscriber;
mod target;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::report::{Machine, Report};
use agentry_store::testing::TestDatabase;

use crate::target::Target;

/// Agentry's benchmark harness.
#[derive(Debug, Parser)]
#[command(name = "agentry-bench", version)]
struct Args {
    /// PostgreSQL server to create a throwaway database on; skipped when unreachable.
    #[arg(
        long,
        env = "AGENTRY_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pg_url: String,
    /// SQLite only.
    #[arg(long)]
    no_pg: bool,
    /// How long each append rate is measured.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent clients of the second append measurement.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Events in the large feed (the small one has 10 000).
    #[arg(long, default_value_t = 1_000_000)]
    feed_events: usize,
    /// Feed requests sampled per query and size.
    #[arg(long, default_value_t = 1_000)]
    samples: usize,
    /// Only the engine's workloads (W1–W3).
    #[arg(long)]
    engine_only: bool,
    /// Only the live feeds: latency, and memory per idle subscriber.
    #[arg(long, conflicts_with = "engine_only")]
    live_only: bool,
    /// Only appends beside retention's pruning.
    #[arg(long, conflicts_with_all = ["engine_only", "live_only"])]
    prune_only: bool,
    /// Only workflows: definition reads among 10,000 and 100-node saves.
    #[arg(long, conflicts_with_all = ["engine_only", "live_only", "prune_only"])]
    squads_only: bool,
    /// Old events in the backlog the pruning measurement prunes from.
    #[arg(long, default_value_t = 600_000)]
    prune_backlog: u64,
    /// Markdown file whose results section is replaced with this run's figures.
    #[arg(long)]
    record: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database (and server) of the backend for each measurement.
async fn target(backend: Backend, args: &Args) -> anyhow::Result<Target> {
    match backend {
        Backend::Sqlite => Target::sqlite().await,
        Backend::Postgres => Target::postgres(&args.pg_url).await,
    }
}

async fn run(backend: Backend, args: &Args) -> anyhow::Result<Run> {
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!("== {name}");
    if args.prune_only {
        return Ok(Run {
            name,
            appends: None,
            pruning: Some(pruning(backend, args).await?),
            feeds: Vec::new(),
            registry: None,
            squads: None,
            engine: Vec::new(),
            live: Vec::new(),
        });
    }
    if args.squads_only {
        return Ok(Run {
            name,
            appends: None,
            pruning: None,
            feeds: Vec::new(),
            registry: None,
            squads: Some(workflows(backend, args).await?),
            engine: Vec::new(),
            live: Vec::new(),
        });
    }
    let engine = if args.live_only {
        Vec::new()
    } else {
        engines(backend, args).await?
    };
    let live = if args.engine_only {
        Vec::new()
    } else {
        live_feeds(backend, args).await?
    };
    if args.engine_only || args.live_only {
        return Ok(Run {
            name,
            appends: None,
            pruning: None,
            feeds: Vec::new(),
            registry: None,
            squads: None,
            engine,
            live,
        });
    }
    let appending = target(backend, args).await?;
    let window = Duration::from_secs(args.seconds);
    let appends = appends::measure(&appending, window, args.clients).await?;
    println!("{appends}");
    appending.stop().await?;
    let pruning = pruning(backend, args).await?;

    let (small, large) = (target(backend, args).await?, target(backend, args).await?);
    let feeds = feed::measure(
        (&small, SMALL_FEED),
        (&large, args.feed_events),
        args.samples,
    )
    .await?;
    for figure in &feeds {
        println!("{figure}");
    }
    small.stop().await?;
    large.stop().await?;

    let configured = target(backend, args).await?;
    let registry = registry::measure(&configured, window, args.clients).await?;
    println!("{registry}");
    configured.stop().await?;
    let squads = workflows(backend, args).await?;
    Ok(Run {
        name,
        appends: Some(appends),
        pruning: Some(pruning),
        feeds,
        registry: Some(registry),
        squads: Some(squads),
        engine,
        live,
    })
}

/// Workflow reads and saves, on a fresh database.
async fn workflows(backend: Backend, args: &Args) -> anyhow::Result<squads::SquadFigures> {
    let target = target(backend, args).await?;
    // The server is stopped whatever happened: a runtime cannot be dropped here.
    let figure = squads::measure(&target, args.samples).await;
    target.stop().await?;
    let figure = figure?;
    println!("{figure}");
    Ok(figure)
}

/// Appends beside retention's pruning, on a fresh database.
async fn pruning(backend: Backend, args: &Args) -> anyhow::Result<prune::Pruning> {
    let target = target(backend, args).await?;
    let window = Duration::from_secs(args.seconds);
    // The server is stopped whatever happened: a runtime cannot be dropped here.
    let figure = prune::measure(&target, window, args.clients, args.prune_backlog).await;
    target.stop().await?;
    let figure = figure?;
    println!("{figure}");
    Ok(figure)
}

/// Write → receive latency over both transports: subscribers on the
/// writers' server, and on PostgreSQL on a second server as well.
async fn live_feeds(backend: Backend, args: &Args) -> anyhow::Result<Vec<live::LiveFigure>> {
    use subscriber::Transport::{Sse, WebSocket};
    let window = Duration::from_secs(args.seconds);
    let server = target(backend, args).await?;
    let mut figures = Vec::new();
    // The servers are stopped whatever happened: a runtime cannot be dropped here.
    let mut outcome = async {
        for (key, transport) in [("LIVEWS", WebSocket), ("LIVESSE", Sse)] {
            // Each measurement meets a database at rest, not the vacuum and
            // checkpoint the one before left due.
            feed::settle(&server).await?;
            figures.push(live::measure(&server, &server, transport, key, window).await?);
        }
        anyhow::Ok(())
    }
    .await;
    if outcome.is_ok() && matches!(backend, Backend::Postgres) {
        let replica = server.replica(true).await?;
        outcome = async {
            for (key, transport) in [("CROSSWS", WebSocket), ("CROSSSSE", Sse)] {
                feed::settle(&server).await?;
                figures.push(live::measure(&server, &replica, transport, key, window).await?);
            }
            anyhow::Ok(())
        }
        .await;
        replica.stop().await?;
    }
    server.stop().await?;
    outcome?;
    for figure in &figures {
        println!("{figure}");
    }
    Ok(figures)
}

/// The engine's workloads: inside the API on SQLite; in 1 and 2 planner
/// processes on PostgreSQL.
async fn engines(backend: Backend, args: &Args) -> anyhow::Result<Vec<engine::EngineFigure>> {
    match backend {
        Backend::Sqlite => engine::measure("SQLite", async || Ok(TestDatabase::sqlite()), 0).await,
        Backend::Postgres => {
            let fresh = async || {
                TestDatabase::postgres_on(&args.pg_url)
                    .await
                    .map_err(anyhow::Error::from)
            };
            let mut figures = engine::measure("PostgreSQL", fresh, 1).await?;
            figures.extend(engine::measure("PostgreSQL", fresh, 2).await?);
            Ok(figures)
        }
    }
}

/// The figures of one database.
#[derive(Debug)]
pub struct Run {
    pub name: &'static str,
    pub appends: Option<appends::Appends>,
    pub pruning: Option<prune::Pruning>,
    pub feeds: Vec<feed::FeedFigure>,
    pub registry: Option<registry::RegistryFigures>,
    pub squads: Option<squads::SquadFigures>,
    pub engine: Vec<engine::EngineFigure>,
    pub live: Vec<live::LiveFigure>,
}

/// The small log of the feed comparison.
const SMALL_FEED: usize = 10_000;

// The server runs in this process: the same allocator as `agentry-api`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The clients run here, on one thread, as `wrk -t1` would; each server has a
// runtime of its own (see `Target`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut report = Report::new(Machine::read());
    let mut backends = vec![Backend::Sqlite];
    if !args.no_pg {
        match Target::postgres(&args.pg_url).await {
            Ok(probe) => {
                probe.stop().await?;
                backends.push(Backend::Postgres);
            }
            Err(e) => println!("PostgreSQL skipped: {e:#}"),
        }
    }
    for backend in backends {
        report.add(run(backend, &args).await?);
    }
    if !args.engine_only && !args.prune_only && !args.squads_only {
        let binary = engine::sibling("agentry-api")?;
        for transport in [subscriber::Transport::WebSocket, subscriber::Transport::Sse] {
            let figure = idle::measure(&binary, transport).await?;
            println!("{figure}");
            report.idle.push(figure);
        }
    }
    let markdown = report.markdown();
    println!("\n{markdown}");
    if let Some(path) = args.record {
        report::record(&path, &markdown)?;
        println!("recorded in {}", path.display());
    }
    Ok(())
}
