//! The figures of one run as Markdown, and recording them in `docs/benchmarks.md`
//! between two markers so the method text around them stays as written.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::Run;
use crate::feed::{FeedFigure, millis};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// What the figures were measured on.
#[derive(Debug)]
pub struct Machine {
    cpu: String,
    cores: usize,
    memory: String,
    kernel: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |text: &str, name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_once(':'))
                .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned())
        };
        Self {
            cpu: field(&cpuinfo, "model name"),
            cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
            memory: field(&meminfo, "MemTotal"),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".to_owned(), |k| k.trim().to_owned()),
        }
    }
}

#[derive(Debug)]
pub struct Report {
    machine: Machine,
    runs: Vec<Run>,
    pub idle: Vec<crate::idle::IdleFigure>,
}

impl Report {
    pub fn new(machine: Machine) -> Self {
        Self {
            machine,
            runs: Vec::new(),
            idle: Vec::new(),
        }
    }

    pub fn add(&mut self, run: Run) {
        self.runs.push(run);
    }

    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Run of {} on {} ({} cores visible), {} RAM, Linux {}; release build.\n",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            m.cpu,
            m.cores,
            m.memory,
            m.kernel
        );
        out.push_str("### Appends per second\n\n");
        out.push_str(
            "| Database | Raw single-row inserts | HTTP, 1 client | ratio | HTTP, N clients | ratio |\n\
             |---|---:|---:|---:|---:|---:|\n",
        );
        for (db, a) in self
            .runs
            .iter()
            .filter_map(|r| Some((r.name, r.appends.as_ref()?)))
        {
            let _ = writeln!(
                out,
                "| {db} | {:.0} | {:.0} | {:.2}× | {:.0} (N={}) | {:.2}× |",
                a.raw,
                a.one_client,
                a.one_client_ratio(),
                a.many_clients,
                a.clients,
                a.many_clients_ratio()
            );
        }
        out.push_str(
            "\n### Appends while retention prunes\n\n\
             | Database | Clients | Backlog | Batch | Appends/s alone | while pruning | ratio | Pruned events/s |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for (db, p) in self
            .runs
            .iter()
            .filter_map(|r| Some((r.name, r.pruning.as_ref()?)))
        {
            let _ = writeln!(
                out,
                "| {db} | {} | {} | {} | {:.0} | {:.0} | {:.2}× | {:.0} |",
                p.clients,
                p.backlog,
                p.batch,
                p.alone,
                p.pruning,
                p.ratio(),
                p.pruned_per_second
            );
        }
        out.push_str("\n### Feed page latency through HTTP (limit 50)\n\n");
        out.push_str("| Database | Events | Query | p50 ms | p99 ms |\n|---|---:|---|---:|---:|\n");
        for Run {
            name: db, feeds, ..
        } in &self.runs
        {
            for f in feeds {
                let _ = writeln!(
                    out,
                    "| {db} | {} | {} | {:.3} | {:.3} |",
                    f.events,
                    f.query,
                    millis(f.p50),
                    millis(f.p99)
                );
            }
        }
        out.push_str("\n### p50 at the largest log over p50 at the smallest\n\n");
        out.push_str("| Database | Query | ratio |\n|---|---|---:|\n");
        for Run {
            name: db, feeds, ..
        } in &self.runs
        {
            for (query, ratio) in growth(feeds) {
                let _ = writeln!(out, "| {db} | {query} | {ratio:.2} |");
            }
        }
        out.push_str("\n### Registry: resolved configuration\n\n");
        out.push_str(
            "| Database | Clients | Cached reads/s | Uncached reads/s | ratio | \
             Change seen by another replica p50 ms | p99 ms | max ms |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for (db, r) in self
            .runs
            .iter()
            .filter_map(|run| Some((run.name, run.registry.as_ref()?)))
        {
            let _ = writeln!(
                out,
                "| {db} | {} | {:.0} | {:.0} | {:.1}× | {:.1} | {:.1} | {:.1} |",
                r.clients,
                r.cached,
                r.uncached,
                r.speedup(),
                millis(r.propagation_p50),
                millis(r.propagation_p99),
                millis(r.propagation_max)
            );
        }
        out.push_str("\n### Workflows: current definition read (opened), 100-node save\n\n");
        out.push_str(
            "| Database | Workflows | Read p50 ms | Read p99 ms | Save p50 ms | Save p99 ms | \
             Durable commit ms | Read p99 ÷ commit | Save p99 ÷ commit |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for (db, w) in self
            .runs
            .iter()
            .filter_map(|run| Some((run.name, run.squads.as_ref()?)))
        {
            let floor = millis(w.floor);
            let _ = writeln!(
                out,
                "| {db} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {floor:.2} | {:.2} | {:.2} |",
                w.workflows,
                millis(w.read_p50),
                millis(w.read_p99),
                millis(w.save_p50),
                millis(w.save_p99),
                millis(w.read_p99) / floor,
                millis(w.save_p99) / floor
            );
        }
        out.push_str("\n### Engine: plans of no-op scripted agents, submit → last task done\n\n");
        out.push_str(
            "| Database | Engine | Workload | Tasks | Seconds | Tasks/s | ms/task | Events/task | Floor ms | ms/task ÷ floor | Statement ms |\n\
             |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for run in &self.runs {
            for e in &run.engine {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {:.3} | {:.0} | {:.3} | {:.1} | {:.3} | {:.2} | {:.3} |",
                    e.database,
                    e.runner,
                    e.workload,
                    e.tasks,
                    e.elapsed.as_secs_f64(),
                    e.tasks_per_second(),
                    e.ms_per_task(),
                    e.events_per_task,
                    e.floor_ms(),
                    e.floors_per_task(),
                    e.round_trip_ms()
                );
            }
        }
        self.live(&mut out);
        out
    }

    fn live(&self, out: &mut String) {
        out.push_str(&format!(
            "\n### Live feeds: write → receive, {} subscribers, {} events/s asked\n\n",
            crate::live::SUBSCRIBERS,
            crate::live::RATE
        ));
        out.push_str(
            "| Database | Transport | Subscribers on | Events | Events/s | p50 ms | p99 ms | \
             max ms | Lost | Write p50 ms | Write p99 ms | After the answer p50 ms | p99 ms |\n\
             |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for f in self.runs.iter().flat_map(|r| &r.live) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                f.database,
                f.transport.name(),
                if f.across {
                    "another server"
                } else {
                    "the writers' server"
                },
                f.written,
                f.rate,
                millis(f.p50),
                millis(f.p99),
                millis(f.max),
                f.lost,
                millis(f.write_p50),
                millis(f.write_p99),
                millis(f.beyond_p50),
                millis(f.beyond_p99)
            );
        }
        let _ = writeln!(
            out,
            "\n### Live feeds: memory per idle subscriber ({} at once)\n\n\
             | Transport | Resident before KiB | with them KiB | KiB each |\n|---|---:|---:|---:|",
            crate::idle::IDLE
        );
        for f in &self.idle {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} |",
                f.transport.name(),
                f.before_kib,
                f.after_kib,
                f.per_subscriber_kib()
            );
        }
    }
}

/// For each query: p50 at the largest size divided by p50 at the smallest.
fn growth(feeds: &[FeedFigure]) -> Vec<(&'static str, f64)> {
    let (Some(small), Some(large)) = (
        feeds.iter().map(|f| f.events).min(),
        feeds.iter().map(|f| f.events).max(),
    ) else {
        return Vec::new();
    };
    feeds
        .iter()
        .filter(|f| f.events == large)
        .filter_map(|l| {
            let s = feeds
                .iter()
                .find(|s| s.events == small && s.query == l.query)?;
            Some((l.query, l.p50.as_secs_f64() / s.p50.as_secs_f64()))
        })
        .collect()
}

/// Replaces what lies between the markers in `path` with `markdown`.
pub fn record(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        anyhow::bail!("{} has no {BEGIN} … {END} section", path.display());
    };
    let updated = format!("{}{BEGIN}\n{markdown}{}", &text[..begin], &text[end..]);
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}
