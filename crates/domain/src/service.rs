//! Use cases: concrete structs over the ports. Each checks access and rules, decides
//! the new state and its events, and hands both to one port call.

mod access;
mod accounts;
mod attachments;
mod events;
mod projects;
mod registry;
mod tasks;

pub use accounts::Accounts;
pub use attachments::Attachments;
pub use events::{Events, PostEvent};
pub use projects::{NewProject, Projects};
pub use registry::{Registry, ResolvedAssistant, ResolvedTool};
pub use tasks::{CreateTask, TaskLinks, TaskView, Tasks};

use crate::ports::Ports;

/// Limits the use cases enforce, set by configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_attachment_bytes: usize,
    /// Serve resolved assistants from the in-process cache (off only to measure it).
    pub cache_resolved: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attachment_bytes: 25 * 1024 * 1024,
            cache_resolved: true,
        }
    }
}

/// Every use case, wired to the same ports.
#[derive(Clone, Debug)]
pub struct Services {
    pub accounts: Accounts,
    pub projects: Projects,
    pub tasks: Tasks,
    pub events: Events,
    pub attachments: Attachments,
    pub registry: Registry,
}

impl Services {
    #[must_use]
    pub fn new(ports: &Ports, limits: Limits) -> Self {
        Self {
            accounts: Accounts::new(ports.clone()),
            projects: Projects::new(ports.clone()),
            tasks: Tasks::new(ports.clone()),
            events: Events::new(ports.clone(), |t| crate::catalog::find(t).is_some()),
            attachments: Attachments::new(ports.clone(), limits),
            registry: Registry::new(ports.clone(), limits.cache_resolved),
        }
    }
}

#[cfg(test)]
mod doubles;
#[cfg(test)]
mod tests;
