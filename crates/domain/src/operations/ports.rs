//! What inbound channels need from storage.

use std::sync::Arc;

use async_trait::async_trait;

use super::Channel;
use super::retention::{PruneBatch, Pruned};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{ChannelId, ProjectId};

/// What receiving an update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The chat message the update became (now, or when it first came);
    /// `None` once retention has pruned it.
    pub event: Option<Event>,
    /// Whether the update had come before: then nothing was written.
    pub duplicate: bool,
}

/// Channels and their inbox.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ChannelRepo: Send + Sync {
    /// `Conflict` when the project has a channel of this name.
    async fn create_channel(&self, channel: &Channel, events: &[Event]) -> Result<()>;
    async fn get_channel(&self, id: ChannelId) -> Result<Option<Channel>>;
    /// A project's channels, by name.
    async fn list_channels(&self, project: ProjectId) -> Result<Vec<Channel>>;
    /// Records `message` as what update `update_id` of `channel` became, in
    /// the inbox and the log together — unless the inbox has the update
    /// already: then nothing is written and the message it became is returned.
    async fn receive(
        &self,
        channel: ChannelId,
        update_id: i64,
        message: &Event,
    ) -> Result<Received>;
    /// Where the bridge resumes: one past the highest update id received, 0
    /// for none (`MAX(update_id) + 1`).
    async fn offset(&self, channel: ChannelId) -> Result<i64>;
}

/// Retention settings and pruning.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RetentionRepo: Send + Sync {
    /// How many days the project keeps its events; `None`: all.
    async fn retention(&self, project: ProjectId) -> Result<Option<u32>>;
    /// `NotFound` for a project that does not exist.
    async fn set_retention(
        &self,
        project: ProjectId,
        max_age_days: Option<u32>,
        events: &[Event],
    ) -> Result<()>;
    /// The projects that keep their events for a while, with how many days.
    async fn projects_with_retention(&self) -> Result<Vec<(ProjectId, u32)>>;
    /// Prunes one batch in one transaction: the usage snapshots, the
    /// deletions and the batch's `events.pruned` commit together.
    async fn prune_batch(&self, batch: &PruneBatch) -> Result<Pruned>;
    /// Waits before the next batch, after one that held the writer for
    /// `held`, so that writers have it most of the time.
    async fn rest(&self, held: std::time::Duration);
}

/// The operations context's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub channels: Arc<dyn ChannelRepo>,
    pub retention: Arc<dyn RetentionRepo>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
