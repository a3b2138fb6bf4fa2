//! Plans through the generated client: submit, read, a refused cycle, skip,
//! abort, list by status, usage, delete.

use agentry_client::types;

use crate::server::{Server, project, status_of};

agentry_store::on_each_database!(crate::server::with_server; a_plan_is_submitted_read_aborted_and_deleted_through_the_generated_client);

fn task(id: &str, agent: Option<&str>, deps: &[&str]) -> types::PlanTaskIn {
    types::PlanTaskIn {
        id: id.into(),
        title: format!("Task {id}"),
        description: String::new(),
        agent_type: agent.map(Into::into),
        assignee_id: None,
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        can_parallel: None,
        max_retries: None,
        priority: None,
    }
}

async fn a_plan_is_submitted_read_aborted_and_deleted_through_the_generated_client(server: Server) {
    let ada = server.user("Ada").await;
    let (project, _) = project(&ada).await;
    let plan = ada
        .create_plan()
        .body(types::CreatePlanIn {
            project_id: project.id,
            goal: "A report".into(),
            session_id: None,
            tasks: vec![
                task("research", Some("Researcher"), &[]),
                task("draft", Some("Writer"), &["research"]),
            ],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.status, types::PlanStatus::Pending);
    assert_eq!(plan.tasks[1].depends_on, ["research"]);
    assert!(plan.waiting_reason.is_some());
    let cycle = ada
        .create_plan()
        .body(types::CreatePlanIn {
            project_id: project.id,
            goal: "g".into(),
            session_id: None,
            tasks: vec![task("a", None, &["b"]), task("b", None, &["a"])],
        })
        .send()
        .await;
    assert_eq!(status_of(cycle).await, 422);
    let skipped = ada
        .skip_plan_task()
        .plan_id(plan.id)
        .task_id(plan.tasks[1].task_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(skipped.tasks[1].status, types::TaskStatus::Skipped);
    let aborted = ada
        .abort_plan()
        .plan_id(plan.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(aborted.status, types::PlanStatus::Aborted);
    let listed = ada
        .list_plans()
        .project_id(project.id)
        .status(types::PlanStatus::Aborted)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.plans.len(), 1);
    let usage = ada
        .get_plan_usage()
        .plan_id(plan.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(usage.totals.turns, 0);
    ada.delete_plan().plan_id(plan.id).send().await.unwrap();
    assert_eq!(
        status_of(ada.get_plan().plan_id(plan.id).send().await).await,
        404
    );
}
