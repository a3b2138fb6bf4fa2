//! A small client of the real API over HTTP, with keep-alive connections.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::conn::Conn;

/// Setting up and checking: convenient, not lean. Timed requests go through
/// [`Conn`] instead.
#[derive(Clone, Debug)]
pub struct Api {
    http: reqwest::Client,
    addr: SocketAddr,
    base: String,
    pub admin: String,
}

impl Api {
    pub fn new(addr: SocketAddr, admin: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Self {
            http,
            addr,
            base: format!("http://{addr}"),
            admin: admin.to_owned(),
        })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A connection of its own for timed requests as `token`'s user.
    pub async fn connect(&self, token: &str) -> anyhow::Result<Conn> {
        Conn::open(self.addr, token).await
    }

    /// POSTs JSON and returns the body of a 2xx answer.
    pub async fn post(&self, token: &str, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    /// Sends JSON with `method` and returns the body of a 2xx answer.
    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let response = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        answer(response, path).await
    }

    /// GETs and returns the body of a 2xx answer.
    pub async fn get(&self, token: &str, path_and_query: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("GET {path_and_query}"))?;
        answer(response, path_and_query).await
    }

    /// A new non-admin user; returns its token.
    pub async fn user(&self, name: &str) -> anyhow::Result<String> {
        let created = self
            .post(&self.admin, "/api/v1/users", &json!({ "name": name }))
            .await?;
        string(&created["token"]["secret"])
    }

    /// A project created by `token`'s user; returns its id.
    pub async fn project(&self, token: &str, key: &str) -> anyhow::Result<Uuid> {
        let created = self
            .post(
                token,
                "/api/v1/projects",
                &json!({ "name": format!("Bench {key}"), "key": key }),
            )
            .await?;
        uuid(&created["project"]["id"])
    }

    pub async fn task(&self, token: &str, project: Uuid, title: &str) -> anyhow::Result<Uuid> {
        let created = self
            .post(
                token,
                &format!("/api/v1/projects/{project}/tasks"),
                &json!({ "title": title }),
            )
            .await?;
        uuid(&created["id"])
    }
}

async fn answer(response: reqwest::Response, path: &str) -> anyhow::Result<Value> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        bail!("{path}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(serde_json::from_slice(&bytes)?)
}

fn string(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}

pub fn uuid(value: &Value) -> anyhow::Result<Uuid> {
    Ok(string(value)?.parse()?)
}
