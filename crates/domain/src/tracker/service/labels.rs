//! Each project's labels.

use crate::Result;
use crate::caller::Principal;
use crate::event::Event;
use crate::id::ProjectId;
use crate::tracker::{Label, LabelCreated, Ports, TrackerEvent};
use crate::workspace::{self, access};

/// A project's labels.
#[derive(Clone, Debug)]
pub struct Labels {
    ports: Ports,
    workspace: workspace::Ports,
}

impl Labels {
    pub(crate) fn new(ports: Ports, workspace: workspace::Ports) -> Self {
        Self { ports, workspace }
    }

    /// # Errors
    /// `NotFound` for a project the caller cannot see, `Conflict` for a taken name.
    pub async fn create(
        &self,
        who: &Principal,
        project: ProjectId,
        name: &str,
        color: Option<&str>,
    ) -> Result<Label> {
        let scope = access::project(&self.workspace, who, project).await?;
        let now = self.ports.clock.now();
        let label = Label::new(project, name, color, now)?;
        let kind = TrackerEvent::LabelCreated(LabelCreated {
            label: label.id,
            name: label.name.clone(),
            color: label.color.clone(),
        });
        let event = Event::in_project(project, scope.actor(), None, kind, now)?;
        self.ports.labels.create_label(&label, &[event]).await?;
        Ok(label)
    }

    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn list(&self, who: &Principal, project: ProjectId) -> Result<Vec<Label>> {
        access::project(&self.workspace, who, project).await?;
        self.ports.labels.list_labels(project).await
    }
}
