//! Every context's ports, bundled for wiring: the composition root builds one
//! from its adapters and [`crate::Services`] hands each use case what it needs.
//! The traits themselves live in their contexts (`<context>/ports.rs`).

use std::sync::Arc;

use crate::clock::Clock;
use crate::log::{AttachmentRepo, BlobStore, EventRepo};
use crate::operations::{ChannelRepo, RetentionRepo};
use crate::planning::{PlanRepo, WorkQueue};
use crate::registry::{
    AssistantRepo, RevisionRepo, SnapshotRepo, ThreadRepo, ToolLinkRepo, ToolRepo,
};
use crate::squads::{SealedRepo, Sealer, SquadRepo, TemplateRepo, Unkeyed, WorkflowRepo};
use crate::tracker::{LabelRepo, TaskLinkRepo, TaskRepo};
use crate::workspace::{ProjectRepo, UserRepo};
use crate::{log, operations, planning, registry, squads, tracker, workspace};

/// Every port, by context.
#[derive(Clone, Debug)]
pub struct Ports {
    pub workspace: workspace::Ports,
    pub tracker: tracker::Ports,
    pub log: log::Ports,
    pub registry: registry::Ports,
    pub planning: planning::Ports,
    pub operations: operations::Ports,
    pub squads: squads::Ports,
}

impl Ports {
    /// Every repository from one store that implements them all (as the SeaORM
    /// store does), beside the blob store and the clock. Workflow definitions
    /// can be neither sealed nor opened until [`Ports::with_sealer`] gives a key.
    pub fn from_store<S>(store: Arc<S>, blobs: Arc<dyn BlobStore>, clock: Arc<dyn Clock>) -> Self
    where
        S: UserRepo
            + ProjectRepo
            + TaskRepo
            + TaskLinkRepo
            + LabelRepo
            + EventRepo
            + AttachmentRepo
            + AssistantRepo
            + ToolRepo
            + ToolLinkRepo
            + ThreadRepo
            + SnapshotRepo
            + RevisionRepo
            + PlanRepo
            + WorkQueue
            + ChannelRepo
            + RetentionRepo
            + SquadRepo
            + WorkflowRepo
            + SealedRepo
            + TemplateRepo
            + 'static,
    {
        Self {
            workspace: workspace::Ports {
                users: store.clone(),
                projects: store.clone(),
                clock: clock.clone(),
            },
            tracker: tracker::Ports {
                tasks: store.clone(),
                links: store.clone(),
                labels: store.clone(),
                clock: clock.clone(),
            },
            log: log::Ports {
                events: store.clone(),
                attachments: store.clone(),
                blobs,
                clock: clock.clone(),
            },
            registry: registry::Ports {
                assistants: store.clone(),
                tools: store.clone(),
                links: store.clone(),
                threads: store.clone(),
                snapshots: store.clone(),
                revisions: store.clone(),
                clock: clock.clone(),
            },
            planning: planning::Ports {
                plans: store.clone(),
                queue: store.clone(),
                clock: clock.clone(),
            },
            operations: operations::Ports {
                channels: store.clone(),
                retention: store.clone(),
                clock: clock.clone(),
            },
            squads: squads::Ports {
                squads: store.clone(),
                workflows: store.clone(),
                sealed: store.clone(),
                templates: store,
                sealer: Arc::new(Unkeyed),
                clock,
            },
        }
    }

    /// The same ports, sealing workflow definitions with `sealer`.
    #[must_use]
    pub fn with_sealer(mut self, sealer: Arc<dyn Sealer>) -> Self {
        self.squads.sealer = sealer;
        self
    }
}
