//! Builders and the macro that runs one contract test on each database.

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::MemberId;
use agentry_domain::log::{ChatEvent, ChatMessage};
use agentry_domain::tracker::{NewTask, Task, TaskDraft, TrackerEvent};
use agentry_domain::workspace::{Member, MemberKind, NewMember, Project, User};
use agentry_domain::workspace::{ProjectRepo as _, UserRepo as _};
use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::testing::TestDatabase;
use agentry_store::{Options, Store};

/// A migrated store on a fresh database; keep the `TestDatabase` alive with it.
pub async fn store_on(db: &TestDatabase) -> Store {
    let store = Store::connect(db.url(), &Options::default())
        .await
        .expect("connect");
    Migrator::up(store.connection(), None)
        .await
        .expect("migrate");
    store
}

pub(crate) use agentry_store::on_each_database;

/// Declares each listed async fn `(store: Store)` as a test on SQLite and on PostgreSQL.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        crate::helpers::on_each_database!(crate::helpers::with_store; $($name),*);
    };
}
pub(crate) use contract;

/// Runs a test on a migrated store of the database.
pub async fn with_store<F: Future<Output = ()>>(db: TestDatabase, test: impl FnOnce(Store) -> F) {
    test(store_on(&db).await).await;
}

/// A project with one human member, stored with its events.
pub async fn project(store: &Store, key: &str) -> (Project, Member, User) {
    let now = utc_now();
    let user = User::new(&format!("user of {key}"), false, now).unwrap();
    store.create_user(&user, &[], &[]).await.unwrap();
    let project = Project::new(&format!("Project {key}"), key, "", now).unwrap();
    let member = Member::new(
        project.id,
        NewMember {
            kind: MemberKind::Human,
            user_id: Some(user.id),
            handle: format!("owner-{}", key.to_lowercase()),
            display_name: None,
            assistant_id: None,
        },
        now,
    )
    .unwrap();
    store
        .create_project(&project, std::slice::from_ref(&member), &[])
        .await
        .unwrap();
    (project, member, user)
}

pub fn new_task(project: &Project, title: &str) -> (NewTask, Vec<TrackerEvent>) {
    drafted_task(
        project,
        TaskDraft {
            title: title.into(),
            ..TaskDraft::default()
        },
    )
}

pub fn drafted_task(project: &Project, draft: TaskDraft) -> (NewTask, Vec<TrackerEvent>) {
    Task::create(project.id, draft, utc_now()).unwrap()
}

pub fn chat(project: &Project, actor: Option<MemberId>, content: &str) -> Event {
    let kind = ChatEvent::ChatMessage(ChatMessage {
        content: content.into(),
        mentions: vec![],
        thinking: None,
        voice_url: None,
        via: None,
    });
    Event::in_project(project.id, actor, None, kind, utc_now()).unwrap()
}

/// A feed's `types`, from a comma-separated list.
pub fn types(list: &str) -> Vec<String> {
    list.split(',').map(str::to_owned).collect()
}
