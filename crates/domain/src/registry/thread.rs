//! A user's conversation thread with an assistant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AssistantId, AssistantThreadId, UserId};

/// A user's one conversation thread with an assistant: `thread_id` is what the
/// assistant's runtime keys its history by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantThread {
    pub id: AssistantThreadId,
    pub user_id: UserId,
    pub assistant_id: AssistantId,
    pub thread_id: String,
    pub last_used: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AssistantThread {
    /// The `thread_id` of the thread `id`: what the assistant's runtime keys
    /// its history by (a provider's conversation, for `openai_api`).
    #[must_use]
    pub fn runtime_id(id: AssistantThreadId) -> String {
        format!("thread_{}", id.0.simple())
    }

    /// A new thread with a fresh `thread_id`.
    #[must_use]
    pub fn new(user: UserId, assistant: AssistantId, now: DateTime<Utc>) -> Self {
        let id = AssistantThreadId::generate();
        Self {
            id,
            user_id: user,
            assistant_id: assistant,
            thread_id: Self::runtime_id(id),
            last_used: now,
            created_at: now,
            updated_at: now,
        }
    }
}
