//! `agentry-planner plan` and `export-script` (feature `cli`): a client of a
//! running API through this crate's generated client, as any other client
//! would be.

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use crate::Client;
use crate::types::{GeneratePlanIn, PlanOut, PlanStatus, PlanTaskOut, TaskStatus};
use anyhow::{Context as _, anyhow};
use futures::StreamExt as _;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Exit codes of `plan`: how the plan ended.
const DONE: u8 = 0;
const FAILED: u8 = 1;
const ABORTED: u8 = 2;
/// The plan could not be made or followed.
pub const TROUBLE: u8 = 3;

/// Reads of the plan that may fail in a row before `--follow` gives up.
const FAILED_READS_MAX: u32 = 20;

/// Where the API is and who calls it.
#[derive(Clone, Debug)]
pub struct Remote {
    pub api_url: String,
    pub token: String,
}

/// What `plan` is asked.
#[derive(Clone, Debug)]
pub struct PlanArgs {
    pub remote: Remote,
    /// The project's key or id.
    pub project: String,
    pub goal: String,
    pub follow: bool,
    pub poll: Duration,
}

fn client(remote: &Remote) -> anyhow::Result<Client> {
    Client::with_token(&remote.api_url, &remote.token).map_err(|e| anyhow!("{e}"))
}

/// `agentry-planner plan`.
///
/// # Errors
/// When the API cannot be reached or refuses the goal.
pub async fn plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let client = client(&args.remote)?;
    let project = project_id(&client, &args.project).await?;
    let body = GeneratePlanIn {
        project_id: project,
        goal: args.goal.clone(),
        session_id: None,
    };
    let plan = match client.generate_plan().body(body).send().await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            return Err(anyhow!(
                "the API did not make the plan: {}",
                problem(e).await
            ));
        }
    };
    println!(
        "plan {} ({} tasks): {}",
        plan.id,
        plan.tasks.len(),
        plan.goal
    );
    if !args.follow {
        for task in &plan.tasks {
            println!(
                "  {} {} [{}]",
                task.key,
                task.title,
                task.agent_type.as_deref().unwrap_or("-")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let end = follow(&client, plan, args.poll).await?;
    Ok(ExitCode::from(match end {
        PlanStatus::Done => DONE,
        PlanStatus::Failed => FAILED,
        _ => ABORTED,
    }))
}

/// `agentry-planner export-script`.
///
/// # Errors
/// When the API cannot be reached or the plan is not found.
pub async fn export_script(remote: &Remote, plan: &str) -> anyhow::Result<ExitCode> {
    let plan: uuid::Uuid = plan
        .parse()
        .map_err(|e| anyhow!("{plan:?} is not a plan id: {e}"))?;
    let client = client(remote)?;
    let script = match client.get_plan_script().plan_id(plan).send().await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            return Err(anyhow!(
                "the API did not give the script: {}",
                problem(e).await
            ));
        }
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &script).context("writing the script")?;
    writeln!(out).context("writing the script")?;
    Ok(ExitCode::SUCCESS)
}

/// The project's id, from its id or key.
async fn project_id(client: &Client, project: &str) -> anyhow::Result<uuid::Uuid> {
    if let Ok(id) = project.parse() {
        return Ok(id);
    }
    let mut cursor = None;
    loop {
        let mut request = client.list_projects().limit(200);
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        let page = match request.send().await {
            Ok(r) => r.into_inner(),
            Err(e) => {
                return Err(anyhow!(
                    "the API did not list projects: {}",
                    problem(e).await
                ));
            }
        };
        if let Some(found) = page
            .projects
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(project))
        {
            return Ok(found.id);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Err(anyhow!("no project you can see has the key {project:?}"));
        }
    }
}

/// What a refusal said: the problem's title and detail when it is one.
async fn problem(error: progenitor_client::Error<progenitor_client::ByteStream>) -> String {
    let progenitor_client::Error::ErrorResponse(response) = error else {
        return error.to_string();
    };
    let status = response.status();
    let mut stream = response.into_inner().into_inner();
    let mut body = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > 64 * 1024 {
            break;
        }
    }
    let said = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|p| {
            Some(format!(
                "{}: {}",
                p["title"].as_str()?,
                p["detail"].as_str().unwrap_or_default()
            ))
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    format!("{status}: {said}")
}

/// Shows the plan's tasks as they change until the plan ends; how it ended.
async fn follow(client: &Client, mut plan: PlanOut, every: Duration) -> anyhow::Result<PlanStatus> {
    let mut view: Box<dyn View> = if std::io::stdout().is_terminal() {
        Box::new(Bars::new(&plan.tasks))
    } else {
        Box::new(Lines::default())
    };
    let mut failed_reads = 0;
    loop {
        view.show(&plan.tasks);
        if is_final(plan.status) {
            view.end();
            println!("plan {} {}", plan.id, plan.status);
            return Ok(plan.status);
        }
        tokio::time::sleep(every).await;
        match client.get_plan().plan_id(plan.id).send().await {
            Ok(read) => {
                plan = read.into_inner();
                failed_reads = 0;
            }
            Err(e) if failed_reads < FAILED_READS_MAX => {
                failed_reads += 1;
                eprintln!(
                    "reading the plan failed ({}); trying again",
                    problem(e).await
                );
            }
            Err(e) => return Err(anyhow!("the plan could not be read: {}", problem(e).await)),
        }
    }
}

const fn is_final(status: PlanStatus) -> bool {
    matches!(
        status,
        PlanStatus::Done | PlanStatus::Failed | PlanStatus::Aborted
    )
}

/// How `--follow` shows the tasks.
trait View {
    fn show(&mut self, tasks: &[PlanTaskOut]);
    fn end(&mut self);
}

/// A line whenever a task's status or progress changes (not a terminal).
#[derive(Default)]
struct Lines {
    seen: HashMap<String, (TaskStatus, i64)>,
}

impl View for Lines {
    fn show(&mut self, tasks: &[PlanTaskOut]) {
        for task in tasks {
            let now = (task.status, task.progress);
            if self.seen.get(&task.key) == Some(&now) {
                continue;
            }
            self.seen.insert(task.key.clone(), now);
            let mut line = format!(
                "{} {} {}% {}",
                task.key, task.status, task.progress, task.title
            );
            if let Some(error) = &task.error_message {
                line.push_str(&format!(" ({error})"));
            }
            println!("{line}");
        }
    }

    fn end(&mut self) {}
}

/// A progress bar per task (a terminal).
struct Bars {
    _all: MultiProgress,
    bars: HashMap<String, ProgressBar>,
}

impl Bars {
    fn new(tasks: &[PlanTaskOut]) -> Self {
        let all = MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bars = tasks
            .iter()
            .map(|task| {
                let bar = all.add(ProgressBar::new(100));
                bar.set_style(style.clone());
                bar.set_prefix(task.key.clone());
                (task.key.clone(), bar)
            })
            .collect();
        Self { _all: all, bars }
    }
}

impl View for Bars {
    fn show(&mut self, tasks: &[PlanTaskOut]) {
        for task in tasks {
            let Some(bar) = self.bars.get(&task.key) else {
                continue;
            };
            let progress = if task.status == TaskStatus::Done {
                100
            } else {
                task.progress
            };
            bar.set_position(u64::try_from(progress.clamp(0, 100)).unwrap_or(0));
            let mut message = format!("{} {}", task.status, task.title);
            if let Some(error) = &task.error_message {
                message.push_str(&format!(" ({error})"));
            }
            bar.set_message(message);
        }
    }

    fn end(&mut self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
    }
}
