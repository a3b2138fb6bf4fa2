//! Every use case, wired to the same ports: what the composition root builds once
//! and the adapters (the HTTP API, the migrator, embedding services) call.

use crate::log::{Attachments, Events};
use crate::operations::{Channels, Retention};
use crate::planning::{ModelClient, Plans, Prices};
use crate::ports::Ports;
use crate::registry::Registry;
use crate::squads::Squads;
use crate::tracker::{Labels, Tasks};
use crate::workspace::{Accounts, Projects};

/// Limits the use cases enforce, set by configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_attachment_bytes: usize,
    /// Serve resolved assistants from the in-process cache (off only to measure it).
    pub cache_resolved: bool,
    /// Events per retention batch (1–10,000; see `operations::retention`).
    pub prune_batch: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attachment_bytes: 25 * 1024 * 1024,
            cache_resolved: true,
            prune_batch: crate::operations::retention::BATCH_DEFAULT,
        }
    }
}

/// Every use case.
#[derive(Clone, Debug)]
pub struct Services {
    pub accounts: Accounts,
    pub projects: Projects,
    pub tasks: Tasks,
    pub labels: Labels,
    pub events: Events,
    pub attachments: Attachments,
    pub registry: Registry,
    pub plans: Plans,
    pub channels: Channels,
    pub retention: Retention,
    pub squads: Squads,
}

impl Services {
    #[must_use]
    pub fn new(ports: &Ports, limits: Limits) -> Self {
        let Ports {
            workspace,
            tracker,
            log,
            registry,
            planning,
            operations,
            squads,
        } = ports.clone();
        Self {
            accounts: Accounts::new(workspace.clone()),
            projects: Projects::new(workspace.clone(), registry.assistants.clone()),
            retention: Retention::new(
                operations.clone(),
                workspace.clone(),
                log.blobs.clone(),
                limits.prune_batch,
            ),
            channels: Channels::new(operations, workspace.clone()),
            tasks: Tasks::new(tracker.clone(), workspace.clone()),
            labels: Labels::new(tracker.clone(), workspace.clone()),
            events: Events::new(log.clone(), tracker, workspace.clone(), |t| {
                crate::catalog::find(t).is_some()
            }),
            attachments: Attachments::new(
                log.clone(),
                workspace.clone(),
                limits.max_attachment_bytes,
            ),
            registry: Registry::new(registry, limits.cache_resolved),
            squads: Squads::new(squads),
            plans: Plans::new(
                planning,
                workspace,
                log,
                ports.registry.clone(),
                Prices::default(),
            ),
        }
    }

    /// The same use cases, with usage priced per model.
    #[must_use]
    pub fn with_prices(mut self, ports: &Ports, prices: Prices) -> Self {
        self.plans = Plans::new(
            ports.planning.clone(),
            ports.workspace.clone(),
            ports.log.clone(),
            ports.registry.clone(),
            prices,
        );
        self
    }

    /// The same use cases, generating plans with `model` (`POST /plans/generate`).
    #[must_use]
    pub fn with_model(mut self, model: std::sync::Arc<dyn ModelClient>) -> Self {
        self.plans = self.plans.with_model(model);
        self
    }
}
