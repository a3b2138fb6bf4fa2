//! Table and column names shared by the migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    Name,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    Digest,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Projects {
    Table,
    Id,
    Name,
    Key,
    Description,
    TaskSeq,
    CreatedAt,
    RetentionDays,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Members {
    Table,
    Id,
    ProjectId,
    Kind,
    UserId,
    Handle,
    DisplayName,
    CreatedAt,
    AssistantId,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Labels {
    Table,
    Id,
    ProjectId,
    Name,
    NameKey,
    Color,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Tasks {
    Table,
    Id,
    ProjectId,
    Number,
    Title,
    Description,
    Status,
    Priority,
    AssigneeId,
    Version,
    CreatedAt,
    UpdatedAt,
    PlanId,
    ClientId,
    AgentType,
    CanParallel,
    Progress,
    RetryCount,
    MaxRetries,
    ErrorMessage,
    Result,
    StartedAt,
    CompletedAt,
    DepsOpen,
    NotBefore,
    LeaseOwner,
    LeaseUntil,
    Fence,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Plans {
    Table,
    Id,
    ProjectId,
    ThreadId,
    Goal,
    Status,
    Aborted,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum TaskDependencies {
    Table,
    TaskId,
    DependsOnId,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum TaskLabels {
    Table,
    TaskId,
    LabelId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum TaskLinks {
    Table,
    Id,
    ProjectId,
    SourceId,
    TargetId,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Events {
    Table,
    Id,
    ProjectId,
    Type,
    ActorId,
    TaskId,
    ParentId,
    Payload,
    CreatedAt,
    UpdatedAt,
    Seq,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Attachments {
    Table,
    Id,
    EventId,
    ProjectId,
    Filename,
    ContentType,
    SizeBytes,
    Sha256,
    StorageKey,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Assistants {
    Table,
    Id,
    Name,
    IsSecretary,
    Model,
    Instructions,
    AssistantType,
    OpenaiAssistantId,
    IsActive,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Tools {
    Table,
    Id,
    Name,
    ToolType,
    Description,
    InputSchema,
    AssistantId,
    IsActive,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum AssistantToolLink {
    Table,
    Id,
    AssistantId,
    ToolId,
    SubAssistantId,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum UserAssistantThreads {
    Table,
    Id,
    UserId,
    AssistantId,
    ThreadId,
    LastUsed,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum RegistryRevision {
    Table,
    Id,
    Revision,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Channels {
    Table,
    Id,
    ProjectId,
    Name,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Inbox {
    Table,
    ChannelId,
    UpdateId,
    EventId,
    ReceivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Squads {
    Table,
    Id,
    CreatorId,
    Name,
    Description,
    Status,
    PricePerExecution,
    PublishedAt,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum SquadMembers {
    Table,
    Id,
    SquadId,
    AgentId,
    Role,
    AddedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Workflows {
    Table,
    Id,
    SquadId,
    Name,
    Description,
    DefinitionEncrypted,
    DefinitionIv,
    DefinitionKey,
    DefinitionDigest,
    DefinitionSavedBy,
    DefinitionSavedAt,
    Version,
    Status,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum WorkflowVersions {
    Table,
    Id,
    WorkflowId,
    Version,
    DefinitionEncrypted,
    DefinitionIv,
    KeyId,
    Digest,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum WorkflowTemplates {
    Table,
    Id,
    Name,
    Description,
    Category,
    Definition,
    IsBuiltin,
    CreatorId,
    UsageCount,
    ShippedDigest,
    Revision,
    CreatedAt,
    UpdatedAt,
}
