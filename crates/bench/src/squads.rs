//! Workflows: reading a workflow's current definition (opened, so the AES-GCM
//! decryption is in the figure) among 10,000 workflows, and saving a 100-node
//! definition as a new version, each request timed one after another over HTTP;
//! beside the durable-commit floor of the same database.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use serde_json::{Value, json};

use crate::api::{Api, uuid};
use crate::conn::{Call, Conn};
use crate::feed::{millis, percentile};
use crate::target::Target;

/// Squads × workflows per squad (a squad holds at most 100).
const SQUADS: usize = 100;
const PER_SQUAD: usize = 100;
/// Clients loading the workflows at once.
const LOADERS: usize = 8;
/// Nodes of the saved definition.
const SAVED_NODES: usize = 100;

#[derive(Clone, Debug)]
pub struct SquadFigures {
    pub workflows: usize,
    pub read_p50: Duration,
    pub read_p99: Duration,
    pub save_p50: Duration,
    pub save_p99: Duration,
    pub save_p90: Duration,
    pub save_max: Duration,
    pub floor: Duration,
}

impl fmt::Display for SquadFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "workflow definition read among {}: p50 {:.2} ms, p99 {:.2} ms; \
             {SAVED_NODES}-node save: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             durable commit {:.2} ms",
            self.workflows,
            millis(self.read_p50),
            millis(self.read_p99),
            millis(self.save_p50),
            millis(self.save_p90),
            millis(self.save_p99),
            millis(self.save_max),
            millis(self.floor)
        )
    }
}

/// A chain of `n` agent steps alternating between the two roles.
fn chain(n: usize) -> Value {
    let nodes: Vec<Value> = (0..n)
        .map(|i| {
            let role = if i % 2 == 0 { "writer" } else { "reviewer" };
            json!({"id": format!("step_{i}"), "type": "agent", "role": role,
                   "instructions": format!("Step {i}: improve what {{{{step_{}.output}}}} says, citing sources.", i.saturating_sub(1))})
        })
        .collect();
    let edges: Vec<Value> = (1..n)
        .map(|i| json!({"from": format!("step_{}", i - 1), "to": format!("step_{i}")}))
        .collect();
    json!({"input_schema": {"type": "object", "properties": {"brief": {"type": "string"}}},
           "nodes": nodes, "edges": edges})
}

pub async fn measure(target: &Target, samples: usize) -> anyhow::Result<SquadFigures> {
    let api = &target.api;
    let squads = squads(api).await?;
    let workflows = load(api, &squads).await?;
    let mut conn = api.connect(&api.admin).await?;
    // Reads of workflows picked across the whole set, in a fixed stride.
    let reads: Vec<Call> = (0..samples)
        .map(|i| {
            Call::get(format!(
                "/api/v1/workflows/{}/definition",
                workflows[(i * 7_919) % workflows.len()]
            ))
        })
        .collect();
    let mut read = timed(&mut conn, &reads[..samples.min(100)]).await?;
    read.clear();
    read = timed(&mut conn, &reads).await?;
    let body: Bytes = serde_json::to_vec(&json!({"definition": chain(SAVED_NODES)}))?.into();
    let save = Call {
        method: Method::PUT,
        path: format!("/api/v1/workflows/{}/definition", workflows[0]),
        body: Some(body),
    };
    let saves: Vec<Call> = std::iter::repeat_n(save, samples.min(500)).collect();
    let save = timed(&mut conn, &saves).await?;
    let floor = crate::floor::durable_commit(target.direct.connection()).await?;
    Ok(SquadFigures {
        workflows: workflows.len(),
        read_p50: percentile(&read, 50),
        read_p99: percentile(&read, 99),
        save_p50: percentile(&save, 50),
        save_p99: percentile(&save, 99),
        save_p90: percentile(&save, 90),
        save_max: save.last().copied().unwrap_or_default(),
        floor,
    })
}

/// Each call's time, sorted.
async fn timed(conn: &mut Conn, calls: &[Call]) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(calls.len());
    for call in calls {
        let started = Instant::now();
        conn.send(call).await?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok(times)
}

/// The squads, each with a writer and a reviewer.
async fn squads(api: &Api) -> anyhow::Result<Vec<String>> {
    let admin = &api.admin;
    let mut assistants = Vec::new();
    for name in ["Writer", "Reviewer"] {
        let made = api
            .post(
                admin,
                "/api/v1/assistants",
                &json!({"name": name, "model": "gpt-4o", "assistant_type": "llm"}),
            )
            .await?;
        assistants.push(uuid(&made["id"])?);
    }
    let mut squads = Vec::with_capacity(SQUADS);
    for n in 0..SQUADS {
        let squad = api
            .post(
                admin,
                "/api/v1/squads",
                &json!({"name": format!("Squad {n}"), "status": "active"}),
            )
            .await?;
        let squad = uuid(&squad["id"])?.to_string();
        for (assistant, role) in assistants.iter().zip(["writer", "reviewer"]) {
            api.post(
                admin,
                &format!("/api/v1/squads/{squad}/members"),
                &json!({"assistant_id": assistant, "role": role}),
            )
            .await?;
        }
        squads.push(squad);
    }
    Ok(squads)
}

/// Fills every squad with workflows, `LOADERS` clients at once; their ids.
async fn load(api: &Api, squads: &[String]) -> anyhow::Result<Vec<String>> {
    let definition = chain(3);
    let mut loaders = Vec::with_capacity(LOADERS);
    for part in squads.chunks(squads.len().div_ceil(LOADERS)) {
        let mut conn = api.connect(&api.admin).await?;
        let calls: Vec<Call> = part
            .iter()
            .flat_map(|squad| (0..PER_SQUAD).map(move |n| (squad.clone(), n)))
            .map(|(squad, n)| {
                Call::post(
                    format!("/api/v1/squads/{squad}/workflows"),
                    &json!({"name": format!("Workflow {n}"), "definition": definition}),
                )
            })
            .collect::<anyhow::Result<_>>()?;
        loaders.push(async move {
            let mut ids = Vec::with_capacity(calls.len());
            for call in &calls {
                let made: Value = serde_json::from_slice(&conn.send(call).await?)?;
                ids.push(uuid(&made["workflow"]["id"])?.to_string());
            }
            anyhow::Ok(ids)
        });
    }
    let mut ids = Vec::with_capacity(SQUADS * PER_SQUAD);
    for part in futures::future::join_all(loaders).await {
        ids.extend(part?);
    }
    Ok(ids)
}
