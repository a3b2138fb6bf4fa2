//! The template library: every user reads it; users add templates of their own;
//! admins manage the built-in ones, which the migrator installs and upgrades.

use super::Squads;
use crate::caller::Principal;
use crate::event::{Event, FieldChange};
use crate::id::{TemplateId, UserId};
use crate::optimistic;
use crate::page::{self, Page};
use crate::registry::{Draft as _, Revisioned};
use crate::squads::{
    SquadEvent, Template, TemplateChanged, TemplateDraft, TemplateQuery, builtin_templates, digest,
};
use crate::{Error, Result};

/// What installing the built-in templates did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Installed {
    pub created: usize,
    pub updated: usize,
}

impl Squads {
    /// # Errors
    /// `Validation` or `Invalid` naming what is wrong.
    pub async fn create_template(&self, who: &Principal, draft: TemplateDraft) -> Result<Template> {
        let now = self.ports.clock.now();
        let template = Template {
            record: Revisioned::new(TemplateId::generate(), draft, now)?,
            is_builtin: false,
            creator_id: Some(who.user_id),
            usage_count: 0,
            shipped: None,
        };
        let event = template_event(
            SquadEvent::TemplateCreated,
            &template,
            Some(who.user_id),
            Vec::new(),
        )?;
        self.ports
            .templates
            .create_template(&template, &[event])
            .await?;
        Ok(template)
    }

    /// # Errors
    /// `NotFound`.
    pub async fn template(&self, _who: &Principal, id: TemplateId) -> Result<Template> {
        self.ports
            .templates
            .get_template(id)
            .await?
            .ok_or(Error::NotFound {
                entity: "workflow template",
            })
    }

    /// A page of templates, oldest first.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn templates(
        &self,
        _who: &Principal,
        mut query: TemplateQuery,
    ) -> Result<Page<Template, TemplateId>> {
        page::read(query.limit, Template::id, |limit| {
            query.limit = limit;
            async move { self.ports.templates.list_templates(&query).await }
        })
        .await
    }

    /// # Errors
    /// `NotFound`, `Forbidden`, `Validation`, `Invalid`, `StaleVersion`.
    pub async fn update_template(
        &self,
        who: &Principal,
        id: TemplateId,
        change: impl Fn(&TemplateDraft) -> Result<TemplateDraft> + Send + Sync,
        expected: Option<i64>,
    ) -> Result<Template> {
        let change = &change;
        optimistic::retry(expected, move || async move {
            let current = self.template(who, id).await?;
            current.require_owner(who)?;
            optimistic::check(expected, current.record.revision)?;
            let (record, changes) = current
                .record
                .revise(change(&current.record.draft)?, self.ports.clock.now())?;
            if changes.is_empty() {
                return Ok(current);
            }
            let next = Template { record, ..current };
            let event = template_event(
                SquadEvent::TemplateUpdated,
                &next,
                Some(who.user_id),
                changes,
            )?;
            self.ports
                .templates
                .update_template(&next, &[event])
                .await?;
            Ok(next)
        })
        .await
    }

    /// # Errors
    /// `NotFound`, `Forbidden`, `StaleVersion`.
    pub async fn delete_template(
        &self,
        who: &Principal,
        id: TemplateId,
        expected: Option<i64>,
    ) -> Result<()> {
        optimistic::retry(expected, move || async move {
            let current = self.template(who, id).await?;
            current.require_owner(who)?;
            optimistic::check(expected, current.record.revision)?;
            let event = template_event(
                SquadEvent::TemplateDeleted,
                &current,
                Some(who.user_id),
                Vec::new(),
            )?;
            self.ports
                .templates
                .delete_template(id, current.record.revision, &[event])
                .await
        })
        .await
    }

    /// Installs the templates this build ships, and brings a copy up to date
    /// when the shipped one changed since it was installed; a copy an admin
    /// edited since keeps the edits until then (a second run changes nothing).
    ///
    /// # Errors
    /// Whatever the store reports; `StaleVersion` if an admin changed one at the
    /// same moment (run it again).
    pub async fn install_builtin_templates(&self) -> Result<Installed> {
        let now = self.ports.clock.now();
        let mut installed = Installed::default();
        for shipped in builtin_templates(now) {
            let draft = shipped.record.draft.clone().check()?;
            let digest = digest(&serde_json::to_vec(&draft).map_err(Error::internal)?);
            match self.ports.templates.get_template(shipped.id()).await? {
                None => {
                    let template = Template {
                        record: Revisioned {
                            draft,
                            ..shipped.record
                        },
                        shipped: Some(digest),
                        ..shipped
                    };
                    let event =
                        template_event(SquadEvent::TemplateCreated, &template, None, Vec::new())?;
                    match self
                        .ports
                        .templates
                        .create_template(&template, &[event])
                        .await
                    {
                        Ok(()) => installed.created += 1,
                        // Another process installed it at the same moment.
                        Err(Error::Conflict(_)) => {}
                        Err(other) => return Err(other),
                    }
                }
                // This build ships what was installed last: an admin's edits stay.
                Some(current) if current.shipped.as_deref() == Some(digest.as_str()) => {}
                Some(current) => {
                    let (mut record, changes) = current.record.revise(draft, now)?;
                    if changes.is_empty() {
                        // The same content, installed before digests were kept.
                        record.revision += 1;
                        record.updated_at = now;
                    }
                    let next = Template {
                        record,
                        is_builtin: true,
                        shipped: Some(digest),
                        ..current
                    };
                    let event = template_event(SquadEvent::TemplateUpdated, &next, None, changes)?;
                    self.ports
                        .templates
                        .update_template(&next, &[event])
                        .await?;
                    installed.updated += 1;
                }
            }
        }
        Ok(installed)
    }
}

fn template_event(
    kind: fn(TemplateChanged) -> SquadEvent,
    template: &Template,
    by: Option<UserId>,
    changes: Vec<FieldChange>,
) -> Result<Event> {
    Event::global(
        kind(TemplateChanged {
            template: template.id(),
            name: template.record.draft.name.clone(),
            by,
            changes,
        }),
        template.record.updated_at,
    )
}
