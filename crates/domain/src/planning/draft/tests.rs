use chrono::Utc;

use super::*;

fn task(id: &str, deps: &[&str]) -> PlannedTask {
    PlannedTask {
        id: id.into(),
        title: format!("task {id}"),
        agent_type: Some("Generation".into()),
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        ..PlannedTask::default()
    }
}

fn build(tasks: Vec<PlannedTask>) -> Result<(NewPlan, Vec<Vec<TrackerEvent>>)> {
    PlanDraft {
        goal: "ship it".into(),
        thread_id: None,
        tasks,
    }
    .build(ProjectId::generate(), None, Utc::now())
}

fn field_and_message(err: Error) -> (String, String) {
    match err {
        Error::Validation { field, message } => (field, message),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_diamond_is_ordered_after_its_dependencies() {
    let (plan, events) = build(vec![
        task("d", &["b", "c"]),
        task("b", &["a"]),
        task("c", &["a"]),
        task("a", &[]),
    ])
    .unwrap();
    let order: Vec<&str> = plan
        .tasks
        .iter()
        .map(|t| t.record().execution.as_ref().unwrap().client_id.as_str())
        .collect();
    assert_eq!(order[0], "a");
    assert_eq!(order[3], "d");
    let d = plan.tasks[3].record().execution.as_ref().unwrap();
    let mut expected = vec![plan.tasks[1].id(), plan.tasks[2].id()];
    expected.sort();
    assert_eq!(d.depends_on, expected);
    assert!(
        plan.tasks
            .iter()
            .all(|t| t.record().status == TaskStatus::Pending)
    );
    assert_eq!(events.len(), 4);
}

#[test]
fn unknown_duplicate_and_self_dependencies_are_named() {
    let (field, message) = field_and_message(build(vec![task("a", &["zz"])]).unwrap_err());
    assert_eq!(field, "tasks[0].depends_on");
    assert!(message.contains("'zz'"), "{message}");
    let (field, message) =
        field_and_message(build(vec![task("a", &[]), task("a", &[])]).unwrap_err());
    assert_eq!(field, "tasks[1].id");
    assert!(message.contains("duplicate"), "{message}");
    let (field, _) = field_and_message(build(vec![task("a", &["a"])]).unwrap_err());
    assert_eq!(field, "tasks[0].depends_on");
}

#[test]
fn a_cycle_is_reported_with_its_members_in_order() {
    let (field, message) = field_and_message(
        build(vec![
            task("start", &[]),
            task("x", &["start", "z"]),
            task("y", &["x"]),
            task("z", &["y"]),
            task("after", &["z"]),
        ])
        .unwrap_err(),
    );
    assert_eq!(field, "tasks");
    // x depends on z, z on y, y on x: whichever member it starts from, the
    // message walks the cycle and names no task outside it.
    assert!(message.contains("cycle"), "{message}");
    for member in ["x", "y", "z"] {
        assert!(
            message.contains(&format!("{member} ")) || message.ends_with(member),
            "{message}"
        );
    }
    assert!(
        !message.contains("start") && !message.contains("after"),
        "{message}"
    );
}

#[test]
fn limits_are_enforced_before_the_graph_is_built() {
    let too_many: Vec<PlannedTask> = (0..=PlanDraft::TASKS_MAX)
        .map(|i| task(&i.to_string(), &[]))
        .collect();
    let (field, _) = field_and_message(build(too_many).unwrap_err());
    assert_eq!(field, "tasks");
    let (field, _) = field_and_message(build(Vec::new()).unwrap_err());
    assert_eq!(field, "tasks");
    let mut retries = task("a", &[]);
    retries.max_retries = Some(PlanDraft::RETRIES_MAX + 1);
    let (field, _) = field_and_message(build(vec![retries]).unwrap_err());
    assert_eq!(field, "tasks[0].max_retries");
    let mut untitled = task("a", &[]);
    untitled.title = " ".into();
    let (field, _) = field_and_message(build(vec![untitled]).unwrap_err());
    assert_eq!(field, "tasks[0].title");
}
