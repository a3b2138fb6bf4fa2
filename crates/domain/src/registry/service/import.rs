//! The registry as one document: export, and an import validated as a whole and
//! written all or nothing with an event per change.

use serde_json::Value;

use super::{Registry, assistant_event, link_event, tool_event};
use crate::Result;
use crate::caller::Principal;
use crate::event::FieldChange;
use crate::id::UserId;
use crate::registry::{ImportPlan, Problem, RegistryDocument, RegistryEvent, plan_import};

impl Registry {
    /// The whole registry as a document (what `export-assistants` writes).
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn export(&self) -> Result<RegistryDocument> {
        Ok(self.ports.snapshots.snapshot().await?.to_document())
    }

    /// Validates a document against itself and the stored registry and, unless
    /// `dry_run`, writes it all in one transaction, recording an event per change
    /// made by `by`. Returns the plan (empty when nothing differs), or every
    /// problem found with its JSON path.
    ///
    /// # Errors
    /// Whatever the store reports, `StaleVersion` if the registry changed meanwhile.
    pub async fn import(
        &self,
        by: UserId,
        document: &Value,
        dry_run: bool,
    ) -> Result<std::result::Result<ImportPlan, Vec<Problem>>> {
        let stored = self.ports.snapshots.snapshot().await?;
        let now = self.ports.clock.now();
        let plan = match plan_import(document, &stored, now) {
            Ok(plan) => plan,
            Err(problems) => return Ok(Err(problems)),
        };
        if dry_run || plan.is_empty() {
            return Ok(Ok(plan));
        }
        let who = Principal {
            user_id: by,
            is_admin: true,
        };
        let mut events = Vec::new();
        for a in &plan.create_assistants {
            events.push(assistant_event(
                RegistryEvent::AssistantCreated,
                a,
                &who,
                Vec::new(),
            )?);
        }
        for a in &plan.update_assistants {
            let before = stored.assistants.iter().find(|s| s.id == a.id);
            let changes = match before {
                Some(before) => FieldChange::between(&before.draft, &a.draft)?,
                None => Vec::new(),
            };
            events.push(assistant_event(
                RegistryEvent::AssistantUpdated,
                a,
                &who,
                changes,
            )?);
        }
        for t in &plan.create_tools {
            events.push(tool_event(RegistryEvent::ToolCreated, t, &who, Vec::new())?);
        }
        for t in &plan.update_tools {
            let before = stored.tools.iter().find(|s| s.id == t.id);
            let changes = match before {
                Some(before) => FieldChange::between(&before.draft, &t.draft)?,
                None => Vec::new(),
            };
            events.push(tool_event(RegistryEvent::ToolUpdated, t, &who, changes)?);
        }
        for l in &plan.add_links {
            events.push(link_event(RegistryEvent::ToolLinked, l, &who)?);
        }
        self.ports.snapshots.apply_import(&plan, &events).await?;
        Ok(Ok(plan))
    }
}
