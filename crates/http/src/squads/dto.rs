//! The squads' request and response bodies.

use agentry_domain::id::TemplateId;
use agentry_domain::squads::{
    Definition, DefinitionSource, NewWorkflow, OpenVersion, Price, Squad, SquadDraft, SquadMember,
    SquadStatus, Template, TemplateDraft, Workflow, WorkflowDraft, WorkflowVersion,
};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::definition::DefinitionJson;
use crate::common::text::Text;
use crate::common::wire::Wire;

fn free() -> Text {
    Text("0".into())
}

/// A squad's settable fields (`POST`, `PUT`). Its `status` is `draft` until it
/// is ready (and when absent); only an `active` squad runs, and is published.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct SquadIn {
    pub name: Text,
    #[oai(default)]
    pub description: Text,
    pub status: Option<Wire<SquadStatus>>,
    /// An exact decimal as a string: at most 9999.999999, six decimal places,
    /// not negative (`"0.25"`).
    #[oai(default = "free")]
    pub price_per_execution: Text,
}

impl SquadIn {
    /// # Errors
    /// `Validation` on `price_per_execution`.
    pub fn draft(self) -> agentry_domain::Result<SquadDraft> {
        Ok(SquadDraft {
            price_per_execution: Price::parse("price_per_execution", &self.price_per_execution.0)?,
            name: self.name.0,
            description: self.description.0,
            status: self.status.map_or(SquadStatus::Draft, |s| s.0),
        })
    }
}

/// Fields to change (`PATCH`); absent fields stay as they are.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct SquadPatch {
    pub name: Option<Text>,
    pub description: Option<Text>,
    pub status: Option<Wire<SquadStatus>>,
    pub price_per_execution: Option<Text>,
}

impl SquadPatch {
    /// # Errors
    /// `Validation` on `price_per_execution`.
    pub fn apply(&self, current: &SquadDraft) -> agentry_domain::Result<SquadDraft> {
        Ok(SquadDraft {
            name: self
                .name
                .as_ref()
                .map_or_else(|| current.name.clone(), |t| t.0.clone()),
            description: self
                .description
                .as_ref()
                .map_or_else(|| current.description.clone(), |t| t.0.clone()),
            status: self.status.map_or(current.status, |s| s.0),
            price_per_execution: match &self.price_per_execution {
                Some(p) => Price::parse("price_per_execution", &p.0)?,
                None => current.price_per_execution,
            },
        })
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SquadOut {
    pub id: Uuid,
    /// The user who made it; with admins, the only one who may change it.
    pub creator_id: Uuid,
    pub name: String,
    pub description: String,
    pub status: Wire<SquadStatus>,
    /// An exact decimal with six places, as a string: `"0.250000"`.
    pub price_per_execution: String,
    /// When it was published (set once); from then on, while active, every user sees it.
    pub published_at: Option<DateTime<Utc>>,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Squad> for SquadOut {
    fn from(s: &Squad) -> Self {
        Self {
            id: s.id().0,
            creator_id: s.creator_id.0,
            name: s.draft().name.clone(),
            description: s.draft().description.clone(),
            status: Wire(s.draft().status),
            price_per_execution: s.draft().price_per_execution.to_string(),
            published_at: s.published_at,
            revision: s.record.revision,
            created_at: s.record.created_at,
            updated_at: s.record.updated_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SquadPageOut {
    pub squads: Vec<SquadOut>,
    pub next_cursor: Option<String>,
}

/// An assistant to add to a squad.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct SquadMemberIn {
    /// An active assistant of the registry.
    pub assistant_id: Uuid,
    /// How workflow steps name it: 1–50 of `a-z 0-9 _ -`; `member` when absent.
    pub role: Option<Text>,
}

#[derive(Debug, Clone, Object)]
pub struct SquadMemberOut {
    pub squad_id: Uuid,
    pub assistant_id: Uuid,
    pub role: String,
    pub added_at: DateTime<Utc>,
}

impl From<&SquadMember> for SquadMemberOut {
    fn from(m: &SquadMember) -> Self {
        Self {
            squad_id: m.squad_id.0,
            assistant_id: m.assistant_id.0,
            role: m.role.clone(),
            added_at: m.added_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct SquadMembersOut {
    /// In the order they were added.
    pub members: Vec<SquadMemberOut>,
}

/// A workflow to create: its fields (`status` is `draft` when absent), and its
/// first definition given, or copied from a template (exactly one of the two).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct WorkflowIn {
    pub name: Text,
    #[oai(default)]
    pub description: Text,
    pub status: Option<Wire<SquadStatus>>,
    pub definition: Option<DefinitionJson>,
    /// A template whose definition is copied; its agent steps must name roles
    /// the squad's members hold.
    pub template_id: Option<Uuid>,
}

impl WorkflowIn {
    /// # Errors
    /// `Validation` unless exactly one of `definition` and `template_id` is given.
    pub fn new_workflow(self) -> agentry_domain::Result<NewWorkflow> {
        let source = match (self.definition, self.template_id) {
            (Some(definition), None) => DefinitionSource::Definition(definition.0),
            (None, Some(id)) => DefinitionSource::Template(TemplateId(id)),
            _ => {
                return Err(agentry_domain::Error::validation(
                    "definition",
                    "give exactly one of definition and template_id",
                ));
            }
        };
        Ok(NewWorkflow {
            draft: WorkflowDraft {
                name: self.name.0,
                description: self.description.0,
                status: self.status.map_or(SquadStatus::Draft, |s| s.0),
            },
            source,
        })
    }
}

/// A workflow's fields to change (`PATCH`); its definition changes by saving a
/// version.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct WorkflowPatch {
    pub name: Option<Text>,
    pub description: Option<Text>,
    pub status: Option<Wire<SquadStatus>>,
}

impl WorkflowPatch {
    #[must_use]
    pub fn apply(&self, current: &WorkflowDraft) -> WorkflowDraft {
        WorkflowDraft {
            name: self
                .name
                .as_ref()
                .map_or_else(|| current.name.clone(), |t| t.0.clone()),
            description: self
                .description
                .as_ref()
                .map_or_else(|| current.description.clone(), |t| t.0.clone()),
            status: self.status.map_or(current.status, |s| s.0),
        }
    }
}

/// A definition to save as the workflow's next version.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct DefinitionIn {
    pub definition: DefinitionJson,
}

#[derive(Debug, Clone, Object)]
pub struct WorkflowOut {
    pub id: Uuid,
    pub squad_id: Uuid,
    pub name: String,
    pub description: String,
    pub status: Wire<SquadStatus>,
    /// The number of its current definition.
    pub version: i64,
    /// Moves with every change, a new version included: the `ETag`.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Workflow> for WorkflowOut {
    fn from(w: &Workflow) -> Self {
        Self {
            id: w.id().0,
            squad_id: w.squad_id.0,
            name: w.record.draft.name.clone(),
            description: w.record.draft.description.clone(),
            status: Wire(w.record.draft.status),
            version: i64::from(w.version),
            revision: w.record.revision,
            created_at: w.record.created_at,
            updated_at: w.record.updated_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WorkflowPageOut {
    pub workflows: Vec<WorkflowOut>,
    pub next_cursor: Option<String>,
}

/// A saved version, without its definition.
#[derive(Debug, Clone, Object)]
pub struct WorkflowVersionInfoOut {
    pub workflow_id: Uuid,
    pub version: i64,
    /// `sha256:<hex>` of the definition: equal digests, equal definitions.
    pub digest: String,
    /// The key it is sealed under.
    pub key_id: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<&WorkflowVersion> for WorkflowVersionInfoOut {
    fn from(v: &WorkflowVersion) -> Self {
        Self {
            workflow_id: v.workflow_id.0,
            version: i64::from(v.version),
            digest: v.digest.clone(),
            key_id: v.sealed.key_id.clone(),
            created_by: v.created_by.0,
            created_at: v.created_at,
        }
    }
}

/// A saved version with its definition.
#[derive(Debug, Clone, Object)]
pub struct WorkflowVersionOut {
    pub workflow_id: Uuid,
    pub version: i64,
    pub digest: String,
    pub key_id: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub definition: DefinitionJson,
}

impl WorkflowVersionOut {
    /// # Errors
    /// `Internal` if the definition does not serialize (it always does).
    pub fn new(open: &OpenVersion) -> agentry_domain::Result<Self> {
        let info = WorkflowVersionInfoOut::from(&open.version);
        Ok(Self {
            workflow_id: info.workflow_id,
            version: info.version,
            digest: info.digest,
            key_id: info.key_id,
            created_by: info.created_by,
            created_at: info.created_at,
            definition: definition_json(&open.definition)?,
        })
    }
}

fn definition_json(definition: &Definition) -> agentry_domain::Result<DefinitionJson> {
    serde_json::to_value(definition)
        .map(DefinitionJson)
        .map_err(agentry_domain::Error::internal)
}

/// A workflow with its current version.
#[derive(Debug, Clone, Object)]
pub struct WorkflowWithDefinitionOut {
    pub workflow: WorkflowOut,
    pub current: WorkflowVersionOut,
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WorkflowVersionPageOut {
    /// Newest first.
    pub versions: Vec<WorkflowVersionInfoOut>,
    pub next_cursor: Option<String>,
}

/// A template's settable fields (`POST`, `PUT`). Its definition is checked as a
/// workflow's, except that its agent steps' roles name no squad's members yet.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct TemplateIn {
    pub name: Text,
    #[oai(default)]
    pub description: Text,
    #[oai(default)]
    pub category: Text,
    pub definition: DefinitionJson,
}

impl From<TemplateIn> for TemplateDraft {
    fn from(t: TemplateIn) -> Self {
        Self {
            name: t.name.0,
            description: t.description.0,
            category: t.category.0,
            definition: t.definition.0,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TemplateOut {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub definition: DefinitionJson,
    /// Shipped with Agentry: installed and upgraded by the migrator, changed by admins only.
    pub is_builtin: bool,
    /// Who made it; absent for a built-in template.
    pub creator_id: Option<Uuid>,
    /// How many workflows were made from it.
    pub usage_count: i64,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Template> for TemplateOut {
    fn from(t: &Template) -> Self {
        Self {
            id: t.id().0,
            name: t.record.draft.name.clone(),
            description: t.record.draft.description.clone(),
            category: t.record.draft.category.clone(),
            definition: DefinitionJson(t.record.draft.definition.clone()),
            is_builtin: t.is_builtin,
            creator_id: t.creator_id.map(|u| u.0),
            usage_count: t.usage_count,
            revision: t.record.revision,
            created_at: t.record.created_at,
            updated_at: t.record.updated_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TemplatePageOut {
    pub templates: Vec<TemplateOut>,
    pub next_cursor: Option<String>,
}
