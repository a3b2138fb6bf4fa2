//! Which provider answers which assistant: a file naming providers (base URL,
//! the environment variable holding the key, wire format, timeouts) and which
//! assistants each serves, or one provider for all.
//!
//! ```json
//! {
//!   "providers": {
//!     "local":  {"base_url": "http://127.0.0.1:8081/v1"},
//!     "openai": {"base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_API_KEY",
//!                "api": "responses", "timeout_seconds": 120, "stream": true, "max_retries": 3}
//!   },
//!   "default": "local",
//!   "assistants": {"Researcher": "openai"}
//! }
//! ```
//!
//! An assistant of type `openai_api` always runs through its provider's
//! Responses API; the others through the provider's `api` (`chat`, the
//! default, or `responses`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agentry_domain::planning::{ModelClient, ModelReply, ModelRequest, OnDelta};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use serde::Deserialize;

use crate::{ChatCompletions, LoadError, ProviderConfig, Responses};

/// The wire format a provider is spoken to in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `POST /chat/completions`: what local servers (llama.cpp, vLLM, Ollama) speak.
    #[default]
    Chat,
    /// `POST /responses`.
    Responses,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    providers: BTreeMap<String, Entry>,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    assistants: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    base_url: String,
    #[serde(default)]
    api_key_env: Option<String>,
    #[serde(default)]
    api: Api,
    #[serde(default)]
    timeout_seconds: Option<u64>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    max_retries: Option<u32>,
}

/// One provider, spoken to in either format.
#[derive(Debug)]
struct Provider {
    api: Api,
    chat: ChatCompletions,
    responses: Responses,
}

impl Provider {
    fn new(config: ProviderConfig, api: Api) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            api,
            chat: ChatCompletions::new(config.clone())?,
            responses: Responses::new(config)?,
        }))
    }
}

/// Routes each request to its assistant's provider.
#[derive(Debug)]
pub struct Providers {
    default: Option<Arc<Provider>>,
    assistants: HashMap<String, Arc<Provider>>,
}

impl Providers {
    /// One provider for every assistant.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn single(config: ProviderConfig, api: Api) -> Result<Self> {
        Ok(Self {
            default: Some(Provider::new(config, api)?),
            assistants: HashMap::new(),
        })
    }

    /// Reads a providers file (see the module's documentation), with keys
    /// from the variables `env` looks up.
    ///
    /// # Errors
    /// When the file cannot be read, is not a providers file, names a provider
    /// it does not define, or a key's variable is not set.
    pub fn load(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Self, LoadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, env).map_err(|e| LoadError(format!("{}: {e}", path.display())))
    }

    /// # Errors
    /// As [`Providers::load`].
    pub fn parse(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Self, LoadError> {
        let file: File = serde_json::from_str(text)
            .map_err(|e| LoadError(format!("not a providers file: {e}")))?;
        let mut built = HashMap::new();
        for (name, entry) in file.providers {
            let api_key = match &entry.api_key_env {
                Some(var) => Some(env(var).ok_or_else(|| {
                    LoadError(format!(
                        "provider {name:?} takes its key from {var}, which is not set"
                    ))
                })?),
                None => None,
            };
            let mut config = ProviderConfig::new(entry.base_url, api_key);
            if let Some(seconds) = entry.timeout_seconds {
                config.timeout = Duration::from_secs(seconds);
            }
            config.stream = entry.stream.unwrap_or(config.stream);
            config.max_retries = entry.max_retries.unwrap_or(config.max_retries);
            let provider =
                Provider::new(config, entry.api).map_err(|e| LoadError(e.to_string()))?;
            built.insert(name, provider);
        }
        let find = |name: &str| {
            built
                .get(name)
                .cloned()
                .ok_or_else(|| LoadError(format!("no provider is named {name:?}")))
        };
        let default = file.default.as_deref().map(find).transpose()?;
        let assistants = file
            .assistants
            .iter()
            .map(|(assistant, provider)| Ok((assistant.clone(), find(provider)?)))
            .collect::<std::result::Result<_, LoadError>>()?;
        Ok(Self {
            default,
            assistants,
        })
    }
}

#[async_trait]
impl ModelClient for Providers {
    async fn complete(
        &self,
        request: &ModelRequest,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let provider = self
            .assistants
            .get(&request.assistant)
            .or(self.default.as_ref())
            .ok_or_else(|| {
                Error::validation(
                    "assistant",
                    format!(
                        "no model provider is configured for {:?}",
                        request.assistant
                    ),
                )
            })?;
        if request.hosted.is_some() || provider.api == Api::Responses {
            provider.responses.complete(request, on_delta).await
        } else {
            provider.chat.complete(request, on_delta).await
        }
    }
}
