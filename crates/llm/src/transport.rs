//! What both OpenAI wire formats share: where the provider is, its key, and a
//! POST that is tried again with backoff when the provider may answer later —
//! 429, a 5xx, a connection refused or timed out — waiting what `Retry-After`
//! asks when it says.

use std::time::Duration;

use agentry_domain::retry::Backoff;
use agentry_domain::{Error, Result};
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};

/// The longest wait a `Retry-After` may ask for: a provider asking for more
/// is treated as unavailable now. Also the longest wait of our own.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);

/// The largest answer read: a whole body, or one streamed line.
pub(crate) const ANSWER_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The most tool calls one answer may make.
pub(crate) const TOOL_CALLS_MAX: usize = 128;

/// How much of a refusal's text is kept in the error.
const REFUSAL_TEXT_MAX: usize = 500;

/// Where a provider is and how to talk to it.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Up to the API's version: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:8081/v1`.
    pub base_url: String,
    /// Sent as a bearer token; never logged nor printed.
    pub api_key: Option<String>,
    /// For connecting and for each wait on the provider (the answer's start;
    /// streamed, each wait between deltas).
    pub timeout: Duration,
    /// Ask for server-sent deltas.
    pub stream: bool,
    /// Tries after the first, for answers the provider may give later.
    pub max_retries: u32,
    /// The first retry's full wait when the provider names none, doubled for
    /// each retry after it up to a minute; each wait is a random point in
    /// the upper half of its full one ([`Backoff::delay`]), so that requests
    /// that failed together do not come back together.
    pub backoff: Duration,
}

impl ProviderConfig {
    /// A provider at `base_url` with the defaults: 120 s timeout, streamed,
    /// 3 retries from 500 ms.
    #[must_use]
    pub fn new(base_url: impl Into<String>, api_key: Option<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            timeout: Duration::from_secs(120),
            stream: true,
            max_retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("stream", &self.stream)
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// An HTTP client for one provider.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) config: ProviderConfig,
    http: reqwest::Client,
}

/// Why a request got no answer to read.
enum Failure {
    /// Worth trying again, after what the provider asked for if it did.
    Later {
        after: Option<Duration>,
        why: String,
    },
    /// Not worth it.
    Final(Error),
}

impl Transport {
    pub(crate) fn new(config: ProviderConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .read_timeout(config.timeout)
            .build()
            .map_err(Error::internal)?;
        Ok(Self { config, http })
    }

    /// `{base}/{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// POSTs `body` as JSON, trying again while the provider may answer later.
    pub(crate) async fn post(&self, url: &str, body: &impl Serialize) -> Result<reqwest::Response> {
        // Written once: each try sends the same bytes.
        let body = Bytes::from(serde_json::to_vec(body).map_err(Error::internal)?);
        let backoff = Backoff::new(self.config.backoff, RETRY_AFTER_MAX);
        let mut tried = 0;
        loop {
            match self.send(url, body.clone()).await {
                Ok(response) => return Ok(response),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Later { why, .. }) if tried >= self.config.max_retries => {
                    return Err(Error::unavailable(why));
                }
                Err(Failure::Later { after, .. }) => {
                    tried += 1;
                    tokio::time::sleep(after.unwrap_or_else(|| backoff.delay(tried))).await;
                }
            }
        }
    }

    async fn send(
        &self,
        url: &str,
        body: Bytes,
    ) -> std::result::Result<reqwest::Response, Failure> {
        let mut request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| Failure::Later {
            after: None,
            why: format!("the provider did not answer: {e}"),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let after = retry_after(response.headers());
        let text = read_capped(response, REFUSAL_TEXT_MAX * 4)
            .await
            .map(|b| refusal_text(&b))
            .unwrap_or_default();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return match after {
                Some(wait) if wait > RETRY_AFTER_MAX => Err(Failure::Final(Error::unavailable(
                    format!("the provider asks to wait {wait:?} ({status}): {text}"),
                ))),
                _ => Err(Failure::Later {
                    after,
                    why: format!("the provider is unavailable ({status}): {text}"),
                }),
            };
        }
        Err(Failure::Final(Error::validation(
            "model",
            format!("the provider refused the request ({status}): {text}"),
        )))
    }
}

/// A whole answer, read as a `T`.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T> {
    let bytes = read_capped(response, ANSWER_MAX_BYTES)
        .await
        .map_err(Error::unavailable)?;
    parse(&bytes, "the answer")
}

/// `json` as a `T`. JSON that is not, or lacks a field `T` needs, or has one
/// of another type, is a malformed answer whose error names `what` and
/// where in it: `the answer at choices[0].message: missing field ...`.
pub(crate) fn parse<'de, T: Deserialize<'de>>(json: &'de [u8], what: &str) -> Result<T> {
    // Most answers and every streamed token parse at once; only a failure is
    // read again to say where it failed (tracking the path copies every key).
    if let Ok(value) = serde_json::from_slice(json) {
        return Ok(value);
    }
    let mut json = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let e = e.into_inner();
        if e.is_syntax() || e.is_eof() {
            malformed(format!("{what} is not JSON: {e}"))
        } else if path == "." {
            malformed(format!("{what}: {e}"))
        } else {
            malformed(format!("{what} at {path}: {e}"))
        }
    })?;
    json.end()
        .map_err(|e| malformed(format!("{what} is not JSON: {e}")))?;
    Ok(value)
}

/// A JSON value sent as its text, as function-call arguments go: written
/// straight into the body, without a string of its own first.
pub(crate) struct JsonText<'a>(pub(crate) &'a Value);

impl Serialize for JsonText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// What a provider says went wrong: an error body's `error`, or a failed
/// answer's.
#[derive(Debug, Deserialize)]
pub(crate) struct ProviderError {
    pub(crate) message: Option<String>,
}

impl ProviderError {
    pub(crate) fn failed(error: Option<&Self>) -> Error {
        let message = error.and_then(|e| e.message.as_deref());
        Error::unavailable(format!(
            "the provider failed the answer: {}",
            message.unwrap_or("no message")
        ))
    }
}

/// A call's arguments: the JSON its text holds, else the text itself (the
/// model sees its own mistake in the tool's error).
pub(crate) fn arguments(raw: Value) -> Value {
    match raw {
        Value::String(text) if text.trim().is_empty() => json!({}),
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Value::Null => json!({}),
        other => other,
    }
}

pub(crate) fn malformed(why: String) -> Error {
    Error::unavailable(format!("the provider's answer is malformed: {why}"))
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.to_utc() - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// An error body's message, `error.message` when it has one, bounded.
fn refusal_text(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Refusal {
        error: ProviderError,
    }
    let text = serde_json::from_slice::<Refusal>(body)
        .ok()
        .and_then(|r| r.error.message)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    text.chars().take(REFUSAL_TEXT_MAX).collect()
}

/// The body, refusing one past `max` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> std::result::Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is longer than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
