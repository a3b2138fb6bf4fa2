//! Tools Agentry does not run itself, through the `ToolExecutor` port: each
//! configured tool name maps to an endpoint that gets the tool's input as a
//! JSON `POST` and answers JSON. Timeouts, refusals and non-JSON answers go
//! back to the model as tool errors; they never fail the attempt.

use std::collections::HashMap;
use std::time::Duration;

use agentry_domain::planning::ToolExecutor;
use async_trait::async_trait;
use serde_json::Value;

/// The largest answer read from a tool endpoint.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Tool endpoints by tool name.
#[derive(Clone, Debug)]
pub struct HttpTools {
    endpoints: HashMap<String, String>,
    client: reqwest::Client,
}

impl HttpTools {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(endpoints: HashMap<String, String>, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            endpoints,
            client: reqwest::Client::builder().timeout(timeout).build()?,
        })
    }
}

#[async_trait]
impl ToolExecutor for HttpTools {
    async fn call(&self, tool: &str, input: &Value) -> Result<Value, String> {
        let Some(url) = self.endpoints.get(tool) else {
            return Err(format!("no endpoint is configured for tool '{tool}'"));
        };
        let response = self
            .client
            .post(url)
            .json(input)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("tool '{tool}' did not answer in time")
                } else {
                    format!("tool '{tool}' could not be reached")
                }
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| format!("tool '{tool}' broke off its answer"))?;
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "tool '{tool}' answered more than {MAX_ANSWER_BYTES} bytes"
            ));
        }
        if !status.is_success() {
            return Err(format!("tool '{tool}' answered {status}"));
        }
        serde_json::from_slice(&bytes).map_err(|_| format!("tool '{tool}' did not answer JSON"))
    }
}

/// No tool endpoints: every such call is an error the model sees.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTools;

#[async_trait]
impl ToolExecutor for NoTools {
    async fn call(&self, tool: &str, _input: &Value) -> Result<Value, String> {
        Err(format!("no endpoint is configured for tool '{tool}'"))
    }
}
