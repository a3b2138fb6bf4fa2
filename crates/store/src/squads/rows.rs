//! Conversions between squad, workflow and template rows and domain records.

use agentry_domain::Result;
use agentry_domain::id::{AssistantId, SquadId, TemplateId, UserId, WorkflowId};
use agentry_domain::registry::Revisioned;
use agentry_domain::squads::{
    Price, Sealed, Squad, SquadDraft, SquadMember, SquadStatus, Template, TemplateDraft, Workflow,
    WorkflowDraft, WorkflowVersion,
};
use sea_orm::ActiveValue::Set;

use crate::entity::{squad_members, squads, workflow_templates, workflow_versions, workflows};
use crate::error::corrupt;

pub(super) fn squad_from(row: squads::Model) -> Result<Squad> {
    Ok(Squad {
        record: Revisioned {
            id: SquadId(row.id),
            draft: SquadDraft {
                name: row.name,
                description: row.description,
                status: SquadStatus::parse(&row.status).map_err(|e| corrupt("squad", e))?,
                price_per_execution: Price::parse("price_per_execution", &row.price_per_execution)
                    .map_err(|e| corrupt("squad", e))?,
            },
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        creator_id: UserId(row.creator_id),
        published_at: row.published_at,
    })
}

pub(super) fn member_row(m: &SquadMember) -> squad_members::ActiveModel {
    squad_members::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        squad_id: Set(m.squad_id.0),
        agent_id: Set(m.assistant_id.0),
        role: Set(m.role.clone()),
        added_at: Set(m.added_at),
    }
}

pub(super) fn member_from(row: squad_members::Model) -> SquadMember {
    SquadMember {
        squad_id: SquadId(row.squad_id),
        assistant_id: AssistantId(row.agent_id),
        role: row.role,
        added_at: row.added_at,
    }
}

/// A workflow's row, with `current` as its current definition.
pub(super) fn workflow_row(w: &Workflow, current: &WorkflowVersion) -> workflows::ActiveModel {
    workflows::ActiveModel {
        id: Set(w.id().0),
        squad_id: Set(w.squad_id.0),
        name: Set(w.record.draft.name.clone()),
        description: Set(w.record.draft.description.clone()),
        definition_encrypted: Set(current.sealed.ciphertext.clone()),
        definition_iv: Set(current.sealed.nonce.clone()),
        definition_key: Set(current.sealed.key_id.clone()),
        definition_digest: Set(current.digest.clone()),
        definition_saved_by: Set(current.created_by.0),
        definition_saved_at: Set(current.created_at),
        version: Set(w.version),
        status: Set(w.record.draft.status.as_str().to_owned()),
        revision: Set(w.record.revision),
        created_at: Set(w.record.created_at),
        updated_at: Set(w.record.updated_at),
    }
}

/// A workflow and its current version, both from the workflow's row.
pub(super) fn current_from(row: workflows::Model) -> Result<(Workflow, WorkflowVersion)> {
    let version = WorkflowVersion {
        workflow_id: WorkflowId(row.id),
        version: row.version,
        sealed: Sealed {
            key_id: row.definition_key.clone(),
            nonce: row.definition_iv.clone(),
            ciphertext: row.definition_encrypted.clone(),
        },
        digest: row.definition_digest.clone(),
        created_by: UserId(row.definition_saved_by),
        created_at: row.definition_saved_at,
    };
    Ok((workflow_from(row)?, version))
}

pub(super) fn workflow_from(row: workflows::Model) -> Result<Workflow> {
    Ok(Workflow {
        record: Revisioned {
            id: WorkflowId(row.id),
            draft: WorkflowDraft {
                name: row.name,
                description: row.description,
                status: SquadStatus::parse(&row.status).map_err(|e| corrupt("workflow", e))?,
            },
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        squad_id: SquadId(row.squad_id),
        version: row.version,
    })
}

pub(super) fn version_row(v: &WorkflowVersion) -> workflow_versions::ActiveModel {
    workflow_versions::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        workflow_id: Set(v.workflow_id.0),
        version: Set(v.version),
        definition_encrypted: Set(v.sealed.ciphertext.clone()),
        definition_iv: Set(v.sealed.nonce.clone()),
        key_id: Set(v.sealed.key_id.clone()),
        digest: Set(v.digest.clone()),
        created_by: Set(v.created_by.0),
        created_at: Set(v.created_at),
    }
}

pub(super) fn version_from(row: workflow_versions::Model) -> WorkflowVersion {
    WorkflowVersion {
        workflow_id: WorkflowId(row.workflow_id),
        version: row.version,
        sealed: Sealed {
            key_id: row.key_id,
            nonce: row.definition_iv,
            ciphertext: row.definition_encrypted,
        },
        digest: row.digest,
        created_by: UserId(row.created_by),
        created_at: row.created_at,
    }
}

pub(super) fn template_row(t: &Template) -> workflow_templates::ActiveModel {
    workflow_templates::ActiveModel {
        id: Set(t.id().0),
        name: Set(t.record.draft.name.clone()),
        description: Set(t.record.draft.description.clone()),
        category: Set(t.record.draft.category.clone()),
        definition: Set(t.record.draft.definition.clone()),
        is_builtin: Set(t.is_builtin),
        creator_id: Set(t.creator_id.map(|u| u.0)),
        usage_count: Set(t.usage_count),
        shipped_digest: Set(t.shipped.clone()),
        revision: Set(t.record.revision),
        created_at: Set(t.record.created_at),
        updated_at: Set(t.record.updated_at),
    }
}

pub(super) fn template_from(row: workflow_templates::Model) -> Template {
    Template {
        record: Revisioned {
            id: TemplateId(row.id),
            draft: TemplateDraft {
                name: row.name,
                description: row.description,
                category: row.category,
                definition: row.definition,
            },
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        is_builtin: row.is_builtin,
        creator_id: row.creator_id.map(UserId),
        usage_count: row.usage_count,
        shipped: row.shipped_digest,
    }
}
