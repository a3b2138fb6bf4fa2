//! Demo data for `agentry-migrate seed`: a project with people and agents, labels,
//! tasks and a conversation, all written through the use cases so every event is real.

use agentry_domain::id::UserId;
use agentry_domain::log::PostEvent;
use agentry_domain::tracker::{Priority, TaskDraft, TaskPatch, TaskStatus};
use agentry_domain::workspace::{MemberKind, NewMember, NewProject};
use agentry_domain::{Limits, Principal, Services};
use anyhow::Context as _;
use serde_json::json;

const DEMO_KEY: &str = "DEMO";

/// Seeds the demo project unless it exists; prints the tokens it created.
///
/// # Errors
/// When the schema is not migrated or a write fails.
pub async fn run(store: &agentry_store::Store) -> anyhow::Result<()> {
    let ports = crate::app::ports(store, std::path::Path::new("agentry-blobs"), None);
    let services = Services::new(&ports, Limits::default());
    if let Some(secret) = services
        .accounts
        .bootstrap(None)
        .await
        .context("creating the admin")?
    {
        println!("admin token (shown once): {}", secret.expose());
    }
    let admin = ports
        .workspace
        .users
        .list_users()
        .await?
        .into_iter()
        .find(|u| u.is_admin)
        .context("no admin user")?;
    let admin = Principal::from(&admin);
    if services
        .projects
        .list(&admin)
        .await?
        .iter()
        .any(|p| p.key.as_str() == DEMO_KEY)
    {
        println!("the demo project {DEMO_KEY} exists already; nothing to do");
        return Ok(());
    }
    let (ada, _, ada_secret) = services
        .accounts
        .create_user(&admin, "Ada Lovelace", false)
        .await?;
    let (coder, _, coder_secret) = services
        .accounts
        .create_user(&admin, "Coder bot", false)
        .await?;
    let ada = Principal::from(&ada);
    let input = NewProject {
        name: "Demo".into(),
        key: DEMO_KEY.into(),
        description: "A project to look around in.".into(),
        handle: Some("ada".into()),
    };
    let (project, _) = services.projects.create(&ada, input).await?;
    let agent = |handle: &str, user: Option<UserId>| NewMember {
        kind: MemberKind::Agent,
        user_id: user,
        handle: handle.into(),
        display_name: None,
        assistant_id: None,
    };
    let coder_member = services
        .projects
        .add_member(&ada, project.id, agent("coder", Some(coder.id)))
        .await?;
    services
        .projects
        .add_member(&ada, project.id, agent("reviewer", None))
        .await?;
    let bug = services
        .labels
        .create(&ada, project.id, "bug", Some("#d73a4a"))
        .await?;
    services
        .labels
        .create(&ada, project.id, "feature", Some("#0e8a16"))
        .await?;

    let spec = services
        .tasks
        .create(
            &ada,
            project.id,
            TaskDraft {
                title: "Write the API guide".into(),
                priority: Priority::High,
                ..TaskDraft::default()
            },
        )
        .await?;
    let crash = services
        .tasks
        .create(
            &ada,
            project.id,
            TaskDraft {
                title: "Feed crashes on empty project".into(),
                labels: vec![bug.id],
                ..TaskDraft::default()
            },
        )
        .await?;
    services
        .tasks
        .create(
            &ada,
            project.id,
            TaskDraft {
                title: "Dark mode".into(),
                ..TaskDraft::default()
            },
        )
        .await?;
    let assign = TaskPatch {
        status: Some(TaskStatus::InProgress),
        assignee: Some(Some(coder_member.id)),
        ..TaskPatch::default()
    };
    services
        .tasks
        .update(&ada, crash.task.id(), assign, None)
        .await?;
    let done = TaskPatch {
        status: Some(TaskStatus::Pending),
        ..TaskPatch::default()
    };
    services
        .tasks
        .update(&ada, spec.task.id(), done, None)
        .await?;

    let post = |type_name: &str, task, parent, payload| PostEvent {
        project_id: project.id,
        task_id: task,
        parent_id: parent,
        type_name: type_name.into(),
        payload,
    };
    let hello = services
        .events
        .post(
            &ada,
            post(
                "chat_message",
                None,
                None,
                json!({"content": "Welcome! @coder, could you look at DEMO-2?"}),
            ),
        )
        .await?;
    services
        .events
        .post(
            &Principal::from(&coder),
            post(
                "chat_message",
                None,
                Some(hello.id),
                json!({"content": "On it."}),
            ),
        )
        .await?;
    services
        .events
        .post(
            &Principal::from(&coder),
            post(
                "task_comment",
                Some(crash.task.id()),
                None,
                json!({"content": "Reproduced: the feed query has no project filter. @reviewer please check the fix.",
                       "tool_log": {"calls": [{"tool": "run_tests", "ok": false}]}}),
            ),
        )
        .await?;

    println!(
        "seeded project {} ({DEMO_KEY}) with 3 tasks, 3 members and a conversation",
        project.id
    );
    println!("ada's token (shown once):   {}", ada_secret.expose());
    println!("coder's token (shown once): {}", coder_secret.expose());
    Ok(())
}
