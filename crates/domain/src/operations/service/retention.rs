//! Retention: how long a project keeps its events, and pruning what is older
//! in bounded batches, each its own transaction, resting between them: on
//! SQLite writers wait for the batch that holds the write lock; on PostgreSQL
//! only a reply into a thread being deleted waits for its batch (and is then
//! refused: the thread is gone).

use std::sync::Arc;

use chrono::TimeDelta;

use crate::caller::Principal;
use crate::event::Event;
use crate::id::ProjectId;
use crate::log::BlobStore;
use crate::operations::retention::{BATCH_MAX, PruneBatch, PruneReport, check_max_age};
use crate::operations::{Ports, RetentionEvent, RetentionSet};
use crate::workspace::{self, access};
use crate::{Error, Result};

/// The retention use cases.
#[derive(Clone)]
pub struct Retention {
    blobs: Arc<dyn BlobStore>,
    ports: Ports,
    workspace: workspace::Ports,
    batch: u32,
}

impl std::fmt::Debug for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retention").finish_non_exhaustive()
    }
}

impl Retention {
    pub(crate) fn new(
        ports: Ports,
        workspace: workspace::Ports,
        blobs: Arc<dyn BlobStore>,
        batch: u32,
    ) -> Self {
        Self {
            blobs,
            ports,
            workspace,
            batch: batch.clamp(1, BATCH_MAX),
        }
    }

    /// How many days the project keeps its events; `None`: all of them.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn get(&self, who: &Principal, project: ProjectId) -> Result<Option<u32>> {
        access::project(&self.workspace, who, project).await?;
        self.ports.retention.retention(project).await
    }

    /// Sets how many days the project keeps its events (`None`: all). Only an
    /// admin may: it deletes history.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see, `Forbidden` for a
    /// member who is not an admin, `Validation` for a bad number of days.
    pub async fn set(
        &self,
        who: &Principal,
        project: ProjectId,
        max_age_days: Option<u32>,
    ) -> Result<Option<u32>> {
        let scope = access::project(&self.workspace, who, project).await?;
        who.require_admin()?;
        let max_age_days = check_max_age(max_age_days)?;
        let event = Event::in_project(
            project,
            scope.actor(),
            None,
            RetentionEvent::RetentionSet(RetentionSet { max_age_days }),
            self.ports.clock.now(),
        )?;
        self.ports
            .retention
            .set_retention(project, max_age_days, &[event])
            .await?;
        Ok(max_age_days)
    }

    /// Prunes the project now, as the background pass does; admins only.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`; `Conflict` for a project that keeps every
    /// event; the store's.
    pub async fn prune_now(&self, who: &Principal, project: ProjectId) -> Result<PruneReport> {
        access::project(&self.workspace, who, project).await?;
        who.require_admin()?;
        let Some(days) = self.ports.retention.retention(project).await? else {
            return Err(Error::Conflict(
                "the project keeps every event: set max_age_days first".into(),
            ));
        };
        self.prune(project, days).await
    }

    /// One pass over every project that keeps its events for a while: what
    /// the API's background task runs. A project that fails is logged by the
    /// caller and does not stop the others.
    ///
    /// # Errors
    /// The store's, listing the projects.
    pub async fn prune_all(&self) -> Result<Vec<(ProjectId, Result<PruneReport>)>> {
        let projects = self.ports.retention.projects_with_retention().await?;
        let mut done = Vec::with_capacity(projects.len());
        for (project, days) in projects {
            done.push((project, self.prune(project, days).await));
        }
        Ok(done)
    }

    /// Prunes `project`'s threads older than `days`, batch by batch, from its
    /// oldest root to the cutoff.
    ///
    /// # Errors
    /// The store's; what a batch did before stays done.
    pub async fn prune(&self, project: ProjectId, days: u32) -> Result<PruneReport> {
        let now = self.ports.clock.now();
        let cutoff = now - TimeDelta::days(i64::from(days));
        let mut report = PruneReport::new(project, cutoff);
        let mut after = None;
        loop {
            let pruned = self
                .ports
                .retention
                .prune_batch(&PruneBatch {
                    project,
                    cutoff,
                    after,
                    limit: self.batch,
                    now: self.ports.clock.now(),
                })
                .await?;
            report.add(&pruned);
            for key in &pruned.orphaned_blobs {
                // A blob left behind costs disk, not correctness: no attachment names it.
                let _ = self.blobs.delete(key).await;
            }
            match pruned.last_root {
                Some(last) => after = Some(last),
                None => return Ok(report),
            }
            // After the blobs: a pass dropped while it rests leaves none behind.
            self.ports.retention.rest(pruned.held).await;
        }
    }
}
