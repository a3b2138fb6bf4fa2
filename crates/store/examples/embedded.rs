//! A Rust service embedding Agentry without HTTP: the domain's use cases over the
//! SQLite store, in-process. It opens (and migrates) a database file, creates a
//! project and a task, moves the task, and reads the task's feed.
//!
//! ```sh
//! cargo run -p agentry-store --example embedded [-- DATABASE_FILE]
//! ```
//!
//! See `docs/embedding.md` for what each step stands for.

use std::sync::Arc;

use agentry_domain::clock::SystemClock;
use agentry_domain::log::EventFilter;
use agentry_domain::tracker::{TaskDraft, TaskPatch, TaskStatus};
use agentry_domain::workspace::NewProject;
use agentry_domain::{Limits, Ports, Services};
use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::{LocalBlobStore, Options, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let file = std::env::args()
        .nth(1)
        .map_or_else(|| dir.path().join("agentry.db"), Into::into);

    // The store implements every port; migrations make the schema current.
    let store = Store::connect(
        &format!("sqlite://{}?mode=rwc", file.display()),
        &Options::default(),
    )
    .await?;
    Migrator::up(store.connection(), None).await?;
    let ports = Ports::from_store(
        Arc::new(store.clone()),
        Arc::new(LocalBlobStore::new(dir.path().join("blobs"))),
        Arc::new(SystemClock),
    );
    let services = Services::new(&ports, Limits::default());

    // Every use case acts for someone: here the installation's first admin.
    let secret = services
        .accounts
        .bootstrap(None)
        .await?
        .ok_or("the database already has users; pass a new file")?;
    let me = services.accounts.authenticate(secret.expose()).await?;

    let (project, _) = services
        .projects
        .create(
            &me,
            NewProject {
                name: "Embedded".into(),
                key: "EM".into(),
                ..NewProject::default()
            },
        )
        .await?;
    let task = services
        .tasks
        .create(
            &me,
            project.id,
            TaskDraft {
                title: "Ship the embedded example".into(),
                ..TaskDraft::default()
            },
        )
        .await?;
    let start = TaskPatch {
        status: Some(TaskStatus::InProgress),
        ..TaskPatch::default()
    };
    let moved = services
        .tasks
        .update(&me, task.task.id(), start, Some(task.task.version()))
        .await?;
    println!(
        "{} is {} at version {}",
        moved.key,
        moved.task.record().status,
        moved.task.version()
    );

    let feed = EventFilter {
        task_id: Some(task.task.id()),
        ..EventFilter::default()
    };
    for event in services.events.list(&me, feed).await?.items {
        println!("{} {}", event.kind.type_name(), event.kind.payload());
    }
    store.close().await?;
    Ok(())
}
