//! The registry's live configuration: resolved-assistant reads per second through
//! HTTP from a replica with the cache and from one without, and how long a change
//! written through one replica takes to show in another's resolved reads.

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::api::Api;
use crate::conn::Call;
use crate::feed::millis;
use crate::target::Target;

/// Changes timed for the propagation figure.
const CHANGES: usize = 100;

#[derive(Clone, Debug)]
pub struct RegistryFigures {
    pub clients: usize,
    pub cached: f64,
    pub uncached: f64,
    pub propagation_p50: Duration,
    pub propagation_p99: Duration,
    pub propagation_max: Duration,
}

impl RegistryFigures {
    pub fn speedup(&self) -> f64 {
        self.cached / self.uncached
    }
}

impl fmt::Display for RegistryFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "resolved reads/s with {} clients: cached {:.0}, uncached {:.0} ({:.1}x); \
             change seen by another replica: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.clients,
            self.cached,
            self.uncached,
            self.speedup(),
            millis(self.propagation_p50),
            millis(self.propagation_p99),
            millis(self.propagation_max)
        )
    }
}

pub async fn measure(
    target: &Target,
    window: Duration,
    clients: usize,
) -> anyhow::Result<RegistryFigures> {
    let (root, changing_tool) = build(&target.api).await?;
    let path = format!("/api/v1/assistants/{root}/resolved");
    let cached_replica = target.replica(true).await?;
    let uncached_replica = target.replica(false).await?;
    let cached = read_rate(&cached_replica.api, &path, clients, window).await?;
    let uncached = read_rate(&uncached_replica.api, &path, clients, window).await?;
    uncached_replica.stop().await?;

    let mut seen_after = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        let description = format!("revision {n}");
        target
            .api
            .send(
                reqwest::Method::PATCH,
                &target.api.admin,
                &format!("/api/v1/tools/{changing_tool}"),
                &json!({ "description": description }),
            )
            .await?;
        let written = Instant::now();
        loop {
            let resolved = cached_replica
                .api
                .get(&cached_replica.api.admin, &path)
                .await?;
            if shows(&resolved, &description) {
                break;
            }
            anyhow::ensure!(
                written.elapsed() < Duration::from_secs(10),
                "the other replica never showed the change"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        seen_after.push(written.elapsed());
    }
    cached_replica.stop().await?;
    seen_after.sort_unstable();
    Ok(RegistryFigures {
        clients,
        cached,
        uncached,
        propagation_p50: seen_after[CHANGES / 2],
        propagation_p99: seen_after[CHANGES * 99 / 100],
        propagation_max: seen_after[CHANGES - 1],
    })
}

/// A secretary with four tools and two sub-assistants that have tools of their
/// own; returns the secretary and the tool whose description the changes edit.
async fn build(api: &Api) -> anyhow::Result<(String, String)> {
    let admin = &api.admin;
    let assistant = |name: &str| {
        json!({"name": name, "model": "gpt-4o", "assistant_type": "llm",
               "instructions": format!("You are the {name}. Answer briefly and cite sources.")})
    };
    let tool = |name: &str, kind: &str, to: Option<&str>| {
        json!({"name": name, "tool_type": kind, "assistant_id": to,
               "description": format!("{name}: what it does, when to call it and what it returns"),
               "input_schema": {"type": "object", "required": ["query"], "properties": {
                   "query": {"type": "string", "description": "what to look up"},
                   "when": {"type": "string", "format": "date-time"},
                   "limit": {"type": "integer", "minimum": 1, "maximum": 50}}}})
    };
    let id = |v: Value| {
        v["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no id in {v}"))
    };
    let secretary = id(api
        .post(admin, "/api/v1/assistants", &assistant("Secretary"))
        .await?)?;
    let planner = id(api
        .post(admin, "/api/v1/assistants", &assistant("Planner"))
        .await?)?;
    let researcher = id(api
        .post(admin, "/api/v1/assistants", &assistant("Researcher"))
        .await?)?;
    let mut links = Vec::new();
    for (name, kind) in [
        ("get_time", "time"),
        ("get_weather", "weather"),
        ("set_reminder", "reminder"),
        ("calendar", "calendar"),
    ] {
        let t = id(api
            .post(admin, "/api/v1/tools", &tool(name, kind, None))
            .await?)?;
        links.push((secretary.clone(), t.clone()));
        links.push((planner.clone(), t.clone()));
        if kind == "weather" {
            links.push((researcher.clone(), t));
        }
    }
    for (name, to) in [("ask_planner", &planner), ("ask_researcher", &researcher)] {
        let t = id(api
            .post(
                admin,
                "/api/v1/tools",
                &tool(name, "sub_assistant", Some(to)),
            )
            .await?)?;
        links.push((secretary.clone(), t));
    }
    for (assistant, tool) in &links {
        api.post(
            admin,
            &format!("/api/v1/assistants/{assistant}/tools/{tool}"),
            &Value::Null,
        )
        .await?;
    }
    let changing = links
        .first()
        .map(|(_, t)| t.clone())
        .ok_or_else(|| anyhow::anyhow!("no tools"))?;
    Ok((secretary, changing))
}

fn shows(resolved: &Value, description: &str) -> bool {
    resolved["tools"].as_array().is_some_and(|tools| {
        tools
            .iter()
            .any(|t| t["tool"]["description"] == description)
    })
}

/// GETs per second from `clients` concurrent keep-alive clients over the window.
async fn read_rate(api: &Api, path: &str, clients: usize, window: Duration) -> anyhow::Result<f64> {
    let call = Call::get(path);
    crate::appends::concurrent_rate(api, &api.admin, clients, window, move |_, _| {
        Ok(call.clone())
    })
    .await
}
