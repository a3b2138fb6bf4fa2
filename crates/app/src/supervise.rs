//! `agentry-planner supervise`: engine workers as child processes, restarted
//! when they exit. Everything the supervisor does is an event under its own
//! `process.started`; what it must remember across restarts — the revision to
//! roll back to, the next worker's number — it reads back from those events
//! (`ProcessLog`), never from a table of state.
//!
//! The workers' flags are checked at start with `run`'s own parser: flags it
//! rejects would fail every worker, restarted forever. A crash loop
//! (`--crash-threshold` exits within `--crash-window-seconds`) rolls back to
//! the last promoted revision when the workers run another one, and holds
//! every restart back, each for twice as long as the one before, until a
//! worker stays up a whole window. A revision is promoted once one of its
//! workers has stayed up `--promote-after-seconds`; its build is then kept in
//! `--builds-dir`.

mod args;
mod crashes;
mod revision;

use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use agentry_domain::id::EventId;
use agentry_domain::operations::{
    CrashLoopDetected, ProcessEvent, ProcessLog, RevisionPromoted, RollbackAttempted, WorkerExited,
    WorkerSpawned,
};
use agentry_domain::retry::Backoff;
use agentry_migration::{Migrator, MigratorTrait as _};
use anyhow::Context as _;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::mpsc;

pub use self::args::PlannerSupervise;
use self::crashes::{Crashes, Restart};
pub(crate) use self::revision::record_start;
use self::revision::{keep, kept, revision_of};

/// The environment variable that tells a worker its supervisor's event.
pub const PARENT_PROCESS_ID: &str = "PARENT_PROCESS_ID";

/// Runs workers until SIGINT/SIGTERM, then stops them.
///
/// # Errors
/// When `run` would reject the workers' flags or find no model provider in
/// them (checked before anything starts: every worker would fail the same
/// way, restarted forever), when the database cannot be reached or the
/// worker binary read at start.
pub async fn run_supervisor(args: PlannerSupervise) -> anyhow::Result<()> {
    let shutdown = crate::shutdown_signal();
    let worker = args.worker_run()?;
    crate::engine::model(&worker.engine)
        .context("the workers' model provider")?
        .context(
            "no model provider is configured for the workers: pass --model-url, \
             --model-providers or --model-script after `--`",
        )?;
    let store = crate::app::connect(&args.database).await?;
    if args.migrate {
        Migrator::up(store.connection(), None)
            .await
            .context("applying migrations")?;
    }
    let ports = crate::app::ports(&store, std::path::Path::new("agentry-blobs"), None);
    let log = ProcessLog::new(&ports.log);
    let me = record_start(&log, "supervisor", None).await?;
    let binary = match &args.worker_binary {
        Some(binary) => binary.clone(),
        None => std::env::current_exe().context("finding this binary")?,
    };
    let revision = revision_of(&binary).await?;
    let promoted = log.current_good_revision().await? == Some(revision.clone());
    tracing::info!(workers = args.workers, %revision, "supervising");
    let mut supervisor = Supervisor {
        crashes: Crashes::new(
            args.crash_threshold,
            Duration::from_secs(args.crash_window_seconds),
            Backoff::new(
                Duration::from_millis(args.backoff_initial_ms),
                Duration::from_millis(args.backoff_max_ms),
            ),
        ),
        args,
        log,
        me,
        binary,
        revision,
        promoted,
    };
    supervisor.run(shutdown).await;
    store.close().await.context("closing the database")?;
    tracing::info!("supervisor stopped");
    Ok(())
}

/// A running worker.
#[derive(Debug)]
struct Worker {
    pid: u32,
    seq: u32,
    started: Instant,
    revision: String,
}

/// A worker's end: its slot and how it exited.
type Exit = (usize, std::io::Result<ExitStatus>);

#[derive(Debug)]
struct Supervisor {
    args: PlannerSupervise,
    log: ProcessLog,
    /// Its own `process.started`: every event of its workers hangs under it.
    me: EventId,
    binary: PathBuf,
    revision: String,
    /// Whether `revision` is the last promoted one.
    promoted: bool,
    crashes: Crashes,
}

impl Supervisor {
    async fn run(&mut self, shutdown: impl Future<Output = ()>) {
        let mut slots: Vec<Option<Worker>> = (0..self.args.workers).map(|_| None).collect();
        let (exits, mut exited) = mpsc::unbounded_channel::<Exit>();
        let mut resume_at = Instant::now();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            if Instant::now() >= resume_at {
                for (slot, held) in slots.iter_mut().enumerate() {
                    if held.is_none() {
                        match self.spawn(slot, exits.clone()).await {
                            Ok(worker) => *held = Some(worker),
                            Err(e) => {
                                tracing::error!(error = %format!("{e:#}"), "starting a worker failed");
                                resume_at = self.crashed(Duration::ZERO).await;
                                break;
                            }
                        }
                    }
                }
            }
            let waiting = slots.iter().any(Option::is_none);
            let promote_at = slots
                .iter()
                .flatten()
                .filter(|w| !self.promoted && w.revision == self.revision)
                .map(|w| w.started + Duration::from_secs(self.args.promote_after_seconds))
                .min();
            let wake = [waiting.then_some(resume_at), promote_at]
                .into_iter()
                .flatten()
                .min();
            tokio::select! {
                Some((slot, status)) = exited.recv() => {
                    if let Some(worker) = slots[slot].take() {
                        resume_at = self.exited(worker, status, false).await;
                    }
                }
                () = sleep_until(wake) => {
                    if promote_at.is_some_and(|at| at <= Instant::now()) {
                        self.promote().await;
                    }
                }
                () = &mut shutdown => break,
            }
        }
        self.stop(slots, exited).await;
    }

    async fn spawn(
        &self,
        slot: usize,
        exits: mpsc::UnboundedSender<Exit>,
    ) -> anyhow::Result<Worker> {
        let seq = self.log.next_worker_seq(self.me).await?;
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .arg("run")
            .args(&self.args.worker_args)
            .env(PARENT_PROCESS_ID, self.me.0.to_string())
            .env("AGENTRY_DATABASE_URL", &self.args.database.url.0)
            .env("AGENTRY_MIGRATE", "false")
            .env(
                "AGENTRY_WORKER_NAME",
                format!("supervised-{}-w{seq}", std::process::id()),
            )
            .stdin(Stdio::null());
        let mut child = command
            .spawn()
            .with_context(|| format!("running {}", self.binary.display()))?;
        let pid = child.id().context("the worker exited at once")?;
        tokio::spawn(async move {
            let status = child.wait().await;
            let _ = exits.send((slot, status));
        });
        let spawned = WorkerSpawned {
            pid,
            seq,
            revision: self.revision.clone(),
        };
        self.record(ProcessEvent::WorkerSpawned(spawned)).await;
        tracing::info!(pid, seq, revision = %self.revision, "worker started");
        Ok(Worker {
            pid,
            seq,
            started: Instant::now(),
            revision: self.revision.clone(),
        })
    }

    /// Records a worker's end; when it was not asked to stop, counts it as a
    /// crash. When the next worker may start.
    async fn exited(
        &mut self,
        worker: Worker,
        status: std::io::Result<ExitStatus>,
        requested: bool,
    ) -> Instant {
        let uptime = worker.started.elapsed();
        let status = status.ok();
        let ended = WorkerExited {
            pid: worker.pid,
            seq: worker.seq,
            exit_code: status.and_then(|s| s.code()).map(i64::from),
            signal: status.and_then(|s| s.signal()).map(i64::from),
            uptime_seconds: i64::try_from(uptime.as_secs()).unwrap_or(i64::MAX),
            requested,
        };
        if requested {
            tracing::info!(pid = worker.pid, code = ?ended.exit_code, signal = ?ended.signal, "worker stopped");
        } else {
            tracing::warn!(pid = worker.pid, code = ?ended.exit_code, signal = ?ended.signal, "worker exited");
        }
        self.record(ProcessEvent::WorkerExited(ended)).await;
        if requested {
            return Instant::now();
        }
        self.crashed(uptime).await
    }

    /// After a crash: a crash loop rolls back, and holds every restart back.
    async fn crashed(&mut self, uptime: Duration) -> Instant {
        let now = Instant::now();
        let backoff = match self.crashes.exited(now, uptime) {
            Restart::Now => return now,
            Restart::HeldBack(backoff) => {
                tracing::warn!(?backoff, "crash loop goes on; restart held back");
                return now + backoff;
            }
            Restart::LoopDetected(backoff) => backoff,
        };
        let detected = CrashLoopDetected {
            threshold: self.crashes.threshold,
            window_seconds: i64::try_from(self.crashes.window.as_secs()).unwrap_or(i64::MAX),
            backoff_ms: i64::try_from(backoff.as_millis()).unwrap_or(i64::MAX),
        };
        tracing::error!(?backoff, "crash loop");
        self.record(ProcessEvent::CrashLoopDetected(detected)).await;
        self.roll_back().await;
        now + backoff
    }

    /// Goes back to the last promoted revision, when the workers run another.
    async fn roll_back(&mut self) {
        let good = match self.log.current_good_revision().await {
            Ok(Some(good)) if good != self.revision => good,
            Ok(_) => return, // nothing promoted, or the good one itself crashes
            Err(e) => {
                tracing::error!(error = %e, "reading the promoted revision failed");
                return;
            }
        };
        let build = self.args.builds_dir.as_deref().map(|dir| kept(dir, &good));
        let success = build.as_deref().is_some_and(std::path::Path::is_file);
        let attempted = RollbackAttempted {
            from_revision: self.revision.clone(),
            target_revision: good.clone(),
            success,
        };
        self.record(ProcessEvent::RollbackAttempted(attempted))
            .await;
        if let (true, Some(build)) = (success, build) {
            tracing::warn!(from = %self.revision, to = %good, "rolled back");
            self.binary = build;
            self.revision = good;
            self.promoted = true;
        }
    }

    async fn promote(&mut self) {
        if let Some(dir) = &self.args.builds_dir
            && let Err(e) = keep(dir, &self.revision, &self.binary).await
        {
            tracing::error!(error = %format!("{e:#}"), "keeping the build failed; not promoted");
            self.promoted = true; // not again each loop: the next start tries again
            return;
        }
        let promoted = RevisionPromoted {
            revision: self.revision.clone(),
        };
        // Not under the supervisor: the promotion outlives it.
        if let Err(e) = self
            .log
            .record(None, ProcessEvent::RevisionPromoted(promoted))
            .await
        {
            tracing::error!(error = %e, "recording the promotion failed");
        }
        tracing::info!(revision = %self.revision, "promoted");
        self.promoted = true;
    }

    /// SIGTERM to every worker; SIGKILL to those still running after the grace.
    async fn stop(
        &mut self,
        mut slots: Vec<Option<Worker>>,
        mut exited: mpsc::UnboundedReceiver<Exit>,
    ) {
        for worker in slots.iter().flatten() {
            signal(worker.pid, Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(self.args.stop_grace_seconds);
        let mut killed = false;
        while slots.iter().any(Option::is_some) {
            tokio::select! {
                Some((slot, status)) = exited.recv() => {
                    if let Some(worker) = slots[slot].take() {
                        self.exited(worker, status, true).await;
                    }
                }
                () = sleep_until(Some(deadline)), if !killed => {
                    for worker in slots.iter().flatten() {
                        signal(worker.pid, Signal::SIGKILL);
                    }
                    killed = true;
                }
            }
        }
    }

    /// Records an event under the supervisor; a failure to is logged, never
    /// fatal: the workers matter more than their record.
    async fn record(&self, kind: ProcessEvent) {
        if let Err(e) = self.log.record(Some(self.me), kind).await {
            tracing::error!(error = %e, "recording a process event failed");
        }
    }
}

fn signal(pid: u32, signal: Signal) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
