//! The registry's storage contract: uniqueness, the single active secretary,
//! revisions, loop refusal inside the writing transaction, usage checks, threads.

use agentry_domain::ErrorKind;
use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, ToolId, UserId};
use agentry_domain::log::EventRepo as _;
use agentry_domain::registry::{
    Assistant, AssistantDraft, AssistantKind, AssistantThread, Tool, ToolDraft, ToolKind, ToolLink,
    ToolName,
};
use agentry_domain::registry::{AssistantChanged, RegistryEvent};
use agentry_domain::registry::{
    AssistantQuery, AssistantRepo as _, RevisionRepo as _, ThreadRepo as _, ToolLinkRepo as _,
    ToolRepo as _,
};
use agentry_domain::workspace::User;
use agentry_domain::workspace::UserRepo as _;
use agentry_store::Store;
use serde_json::json;

use crate::helpers::contract;

contract!(
    an_assistant_round_trips_with_its_event_and_names_are_unique,
    there_is_at_most_one_active_secretary,
    a_write_from_a_stale_revision_is_refused,
    a_link_that_would_close_a_delegation_loop_is_refused_and_writes_nothing,
    retargeting_a_tool_into_a_loop_is_refused,
    an_assistant_in_use_cannot_be_deleted,
    a_users_thread_with_an_assistant_is_created_once_and_touched,
);

fn draft(name: &str) -> AssistantDraft {
    AssistantDraft {
        name: name.into(),
        is_secretary: false,
        model: "gpt-4o".into(),
        instructions: format!("You are {name}."),
        assistant_type: AssistantKind::Llm,
        openai_assistant_id: None,
        is_active: true,
    }
}

fn changed(assistant: &Assistant) -> Event {
    Event::global(
        RegistryEvent::AssistantCreated(AssistantChanged {
            assistant: assistant.id,
            name: assistant.draft.name.clone(),
            by: UserId::generate(),
            changes: vec![],
        }),
        utc_now(),
    )
    .unwrap()
}

async fn assistant(store: &Store, name: &str) -> Assistant {
    let assistant = Assistant::new(AssistantId::generate(), draft(name), utc_now()).unwrap();
    store
        .create_assistant(&assistant, &[changed(&assistant)])
        .await
        .unwrap();
    assistant
}

async fn delegating_tool(store: &Store, name: &str, to: AssistantId) -> Tool {
    let draft = ToolDraft {
        name: ToolName::parse(name).unwrap(),
        tool_type: ToolKind::SubAssistant,
        description: format!("Ask {to}"),
        input_schema: json!({"type": "object", "properties": {"question": {"type": "string"}}}),
        assistant_id: Some(to),
        is_active: true,
    };
    let tool = Tool::new(ToolId::generate(), draft, utc_now()).unwrap();
    store.create_tool(&tool, &[]).await.unwrap();
    tool
}

async fn an_assistant_round_trips_with_its_event_and_names_are_unique(store: Store) {
    let before = store.revision().await.unwrap();
    let planner = assistant(&store, "Planner").await;
    assert_eq!(
        store.get_assistant(planner.id).await.unwrap(),
        Some(planner.clone())
    );
    assert_eq!(store.revision().await.unwrap(), before + 1);

    let twin = Assistant::new(AssistantId::generate(), draft("Planner"), utc_now()).unwrap();
    let event = changed(&twin);
    let err = store
        .create_assistant(&twin, std::slice::from_ref(&event))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert_eq!(store.get_event(event.id).await.unwrap(), None);
    assert_eq!(
        store.revision().await.unwrap(),
        before + 1,
        "a refused write bumps nothing"
    );
    let listed = store
        .list_assistants(&AssistantQuery {
            limit: 10,
            ..AssistantQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(listed, vec![planner]);
}

async fn there_is_at_most_one_active_secretary(store: Store) {
    let mut first = draft("Secretary");
    first.is_secretary = true;
    let first = Assistant::new(AssistantId::generate(), first, utc_now()).unwrap();
    store.create_assistant(&first, &[]).await.unwrap();
    let mut second = draft("Deputy");
    second.is_secretary = true;
    let active = Assistant::new(AssistantId::generate(), second.clone(), utc_now()).unwrap();
    let err = store.create_assistant(&active, &[]).await.unwrap_err();
    assert!(err.to_string().contains("secretary"), "{err}");
    second.is_active = false;
    let inactive = Assistant::new(AssistantId::generate(), second, utc_now()).unwrap();
    store.create_assistant(&inactive, &[]).await.unwrap();
}

async fn a_write_from_a_stale_revision_is_refused(store: Store) {
    let planner = assistant(&store, "Planner").await;
    let mut newer = draft("Planner");
    newer.model = "gpt-5".into();
    let (next, _) = planner.revise(newer.clone(), utc_now()).unwrap();
    store.update_assistant(&next, &[]).await.unwrap();
    // A second writer that read revision 1 too.
    newer.model = "o3".into();
    let (late, _) = planner.revise(newer, utc_now()).unwrap();
    let err = store.update_assistant(&late, &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StaleVersion, "{err:?}");
    let stored = store.get_assistant(planner.id).await.unwrap().unwrap();
    assert_eq!((stored.revision, stored.draft.model.as_str()), (2, "gpt-5"));
}

async fn a_link_that_would_close_a_delegation_loop_is_refused_and_writes_nothing(store: Store) {
    let (a, b, c) = (
        assistant(&store, "Alpha").await,
        assistant(&store, "Beta").await,
        assistant(&store, "Gamma").await,
    );
    let ask_b = delegating_tool(&store, "ask_beta", b.id).await;
    let ask_c = delegating_tool(&store, "ask_gamma", c.id).await;
    let ask_a = delegating_tool(&store, "ask_alpha", a.id).await;
    store
        .link_tool(&ToolLink::new(a.id, &ask_b, utc_now()), &[])
        .await
        .unwrap();
    store
        .link_tool(&ToolLink::new(b.id, &ask_c, utc_now()), &[])
        .await
        .unwrap();
    let before = store.revision().await.unwrap();

    let closing = ToolLink::new(c.id, &ask_a, utc_now());
    let err = store.link_tool(&closing, &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert!(
        err.to_string().contains("Gamma → Alpha → Beta → Gamma"),
        "{err}"
    );
    assert!(store.tool_links(c.id).await.unwrap().is_empty());
    assert_eq!(store.revision().await.unwrap(), before);
    assert_eq!(store.delegations().await.unwrap().len(), 2);

    let self_loop = ToolLink::new(a.id, &ask_a, utc_now());
    assert!(store.link_tool(&self_loop, &[]).await.is_err());
}

async fn retargeting_a_tool_into_a_loop_is_refused(store: Store) {
    let (a, b, c) = (
        assistant(&store, "Alpha").await,
        assistant(&store, "Beta").await,
        assistant(&store, "Gamma").await,
    );
    let ask_b = delegating_tool(&store, "ask_beta", b.id).await;
    let helper = delegating_tool(&store, "helper", c.id).await;
    store
        .link_tool(&ToolLink::new(a.id, &ask_b, utc_now()), &[])
        .await
        .unwrap();
    store
        .link_tool(&ToolLink::new(b.id, &helper, utc_now()), &[])
        .await
        .unwrap();
    // Pointing Beta's helper at Alpha would close Alpha → Beta → Alpha.
    let mut retarget = helper.draft.clone();
    retarget.assistant_id = Some(a.id);
    let (next, _) = helper.revise(retarget, utc_now()).unwrap();
    let err = store.update_tool(&next, &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert_eq!(store.get_tool(helper.id).await.unwrap(), Some(helper));
}

async fn an_assistant_in_use_cannot_be_deleted(store: Store) {
    let (a, b) = (
        assistant(&store, "Alpha").await,
        assistant(&store, "Beta").await,
    );
    let ask_b = delegating_tool(&store, "ask_beta", b.id).await;
    store
        .link_tool(&ToolLink::new(a.id, &ask_b, utc_now()), &[])
        .await
        .unwrap();
    let usage = store.assistant_usage(b.id).await.unwrap();
    assert_eq!(usage.tools, vec!["ask_beta".to_owned()]);
    assert_eq!(usage.links, 1);
    let err = store
        .delete_assistant(b.id, b.revision, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert!(store.get_assistant(b.id).await.unwrap().is_some());

    let lone = assistant(&store, "Lone").await;
    assert_eq!(
        store
            .delete_assistant(lone.id, lone.revision + 1, &[])
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::StaleVersion
    );
    store
        .delete_assistant(lone.id, lone.revision, &[])
        .await
        .unwrap();
    assert_eq!(store.get_assistant(lone.id).await.unwrap(), None);
}

async fn a_users_thread_with_an_assistant_is_created_once_and_touched(store: Store) {
    let user = User::new("ada", false, utc_now()).unwrap();
    store.create_user(&user, &[], &[]).await.unwrap();
    let planner = assistant(&store, "Planner").await;
    let first = store
        .thread_for(&AssistantThread::new(user.id, planner.id, utc_now()))
        .await
        .unwrap();
    let again = store
        .thread_for(&AssistantThread::new(user.id, planner.id, utc_now()))
        .await
        .unwrap();
    assert_eq!(first, again);
    let later = utc_now() + chrono::Duration::minutes(5);
    let touched = store
        .touch_thread(first.id, user.id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_used, later);
    assert_eq!(store.list_threads(user.id).await.unwrap(), vec![touched]);
    assert_eq!(store.assistant_usage(planner.id).await.unwrap().threads, 1);
}
