//! Mock-backed ports for use-case tests: each test sets expectations on the
//! doubles it cares about; the rest fail loudly if called.

use std::sync::Arc;

use chrono::{TimeZone as _, Utc};

use crate::caller::Principal;
use crate::clock::{Clock, MockClock};
use crate::id::{MemberId, ProjectId, UserId};
use crate::log::{MockAttachmentRepo, MockBlobStore, MockEventRepo};
use crate::operations::{MockChannelRepo, MockRetentionRepo};
use crate::planning::{MockPlanRepo, MockWorkQueue};
use crate::ports::Ports;
use crate::registry::{
    MockAssistantRepo, MockRevisionRepo, MockSnapshotRepo, MockThreadRepo, MockToolLinkRepo,
    MockToolRepo,
};
use crate::squads::{
    MockSealedRepo, MockSealer, MockSquadRepo, MockTemplateRepo, MockWorkflowRepo,
};
use crate::tracker::{
    MockLabelRepo, MockTaskLinkRepo, MockTaskRepo, Priority, Task, TaskRecord, TaskStatus,
};
use crate::workspace::{
    Handle, Member, MemberKind, MockProjectRepo, MockUserRepo, Project, ProjectKey,
};
use crate::{log, operations, planning, registry, squads, tracker, workspace};

#[derive(Default)]
pub(crate) struct Doubles {
    pub users: MockUserRepo,
    pub projects: MockProjectRepo,
    pub tasks: MockTaskRepo,
    pub labels: MockLabelRepo,
    pub events: MockEventRepo,
    pub attachments: MockAttachmentRepo,
    pub assistants: MockAssistantRepo,
    pub tools: MockToolRepo,
    pub links: MockToolLinkRepo,
    pub revisions: MockRevisionRepo,
    pub plans: MockPlanRepo,
    pub channels: MockChannelRepo,
    pub retention: MockRetentionRepo,
    pub squads: MockSquadRepo,
    pub workflows: MockWorkflowRepo,
    pub templates: MockTemplateRepo,
    pub sealer: MockSealer,
}

impl Doubles {
    pub fn into_ports(self) -> Ports {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap());
        let clock: Arc<dyn Clock> = Arc::new(clock);
        Ports {
            workspace: workspace::Ports {
                users: Arc::new(self.users),
                projects: Arc::new(self.projects),
                clock: clock.clone(),
            },
            tracker: tracker::Ports {
                tasks: Arc::new(self.tasks),
                links: Arc::new(MockTaskLinkRepo::new()),
                labels: Arc::new(self.labels),
                clock: clock.clone(),
            },
            log: log::Ports {
                events: Arc::new(self.events),
                attachments: Arc::new(self.attachments),
                blobs: Arc::new(MockBlobStore::new()),
                clock: clock.clone(),
            },
            registry: registry::Ports {
                assistants: Arc::new(self.assistants),
                tools: Arc::new(self.tools),
                links: Arc::new(self.links),
                threads: Arc::new(MockThreadRepo::new()),
                snapshots: Arc::new(MockSnapshotRepo::new()),
                revisions: Arc::new(self.revisions),
                clock: clock.clone(),
            },
            planning: planning::Ports {
                plans: Arc::new(self.plans),
                queue: Arc::new(MockWorkQueue::new()),
                clock: clock.clone(),
            },
            operations: operations::Ports {
                channels: Arc::new(self.channels),
                retention: Arc::new(self.retention),
                clock: clock.clone(),
            },
            squads: squads::Ports {
                squads: Arc::new(self.squads),
                workflows: Arc::new(self.workflows),
                sealed: Arc::new(MockSealedRepo::new()),
                templates: Arc::new(self.templates),
                sealer: Arc::new(self.sealer),
                clock,
            },
        }
    }

    /// `who` is a member of `project`, which exists.
    pub fn member_of(&mut self, project: &Project, who: &Principal) -> Member {
        let member = Member {
            id: MemberId::generate(),
            project_id: project.id,
            kind: MemberKind::Human,
            user_id: Some(who.user_id),
            handle: Handle::parse("ada").unwrap(),
            display_name: "Ada".into(),
            assistant_id: None,
            created_at: project.created_at,
        };
        let (p, m) = (project.clone(), member.clone());
        self.projects
            .expect_get_project()
            .returning(move |_| Ok(Some(p.clone())));
        self.projects
            .expect_member_for_user()
            .returning(move |_, _| Ok(Some(m.clone())));
        member
    }
}

pub(crate) fn principal() -> Principal {
    Principal {
        user_id: UserId::generate(),
        is_admin: false,
    }
}

pub(crate) fn project() -> Project {
    Project {
        id: ProjectId::generate(),
        name: "Test".into(),
        key: ProjectKey::parse("TE").unwrap(),
        description: String::new(),
        created_at: Utc::now(),
    }
}

pub(crate) fn task(project: &Project, version: i64) -> Task {
    Task::restore(TaskRecord {
        id: crate::id::TaskId::generate(),
        project_id: project.id,
        number: 4,
        title: "t".into(),
        description: String::new(),
        status: TaskStatus::Backlog,
        priority: Priority::Medium,
        assignee_id: None,
        labels: vec![],
        execution: None,
        version,
        created_at: project.created_at,
        updated_at: project.created_at,
    })
}
