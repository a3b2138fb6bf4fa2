//! The API serving on a free port for one test, and what the tests share.

use std::net::SocketAddr;

use agentry_app::{ApiConfig, App, Secret};
use agentry_client::{ByteStream, Client, Error, types};
use agentry_store::testing::TestDatabase;
use futures::TryStreamExt as _;
use tokio::sync::oneshot;

pub const ADMIN: &str = "agt_client-flows-admin-0123456789";
const WORKFLOW_KEYS: &str = "flows:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The API serving on a free port for as long as the test runs.
pub struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    _db: TestDatabase,
    _blobs: tempfile::TempDir,
}

impl Server {
    pub fn client(&self, token: &str) -> Client {
        Client::with_token(&self.base, token).unwrap()
    }

    pub fn admin(&self) -> Client {
        self.client(ADMIN)
    }

    /// A new user's client.
    pub async fn user(&self, name: &str) -> Client {
        let created = self
            .admin()
            .create_user()
            .body(types::CreateUser {
                name: name.parse().unwrap(),
                is_admin: false,
            })
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(created.user.name, name);
        self.client(&created.token.secret)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn with_server<F: Future<Output = ()>>(db: TestDatabase, test: impl FnOnce(Server) -> F) {
    let blobs = tempfile::tempdir().unwrap();
    let mut config = ApiConfig::for_database(db.url());
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.admin_token = Some(Secret(ADMIN.into()));
    config.blob_dir = blobs.path().to_owned();
    config.workflow_keys = Some(WORKFLOW_KEYS.parse().unwrap());
    let app = App::build(config).await.unwrap();
    let listener = app.bind().await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    test(Server {
        base,
        stop: Some(stop),
        _db: db,
        _blobs: blobs,
    })
    .await;
}

/// The status of a refused call, whose body must be the spec's `Problem`.
pub async fn status_of<T: std::fmt::Debug>(result: Result<T, Error<ByteStream>>) -> u16 {
    let response = match result {
        Err(Error::ErrorResponse(response)) => response,
        other => panic!("expected a problem response, got {other:?}"),
    };
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
    let bytes: Vec<u8> = response
        .into_inner()
        .into_inner()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap();
    let problem: types::Problem = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(status, problem.status);
    status
}

/// A project "TE" of `client`'s user: (project, creator member).
pub async fn project(client: &Client) -> (types::ProjectOut, types::MemberOut) {
    let created = client
        .create_project()
        .body(types::CreateProject {
            name: "Test".parse().unwrap(),
            key: "TE".into(),
            description: String::new(),
            handle: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.project.key, "TE");
    (created.project, created.member)
}

/// Posts a chat message (no task) or a task comment (with one) to the project.
pub async fn post(
    client: &Client,
    project: uuid::Uuid,
    task: Option<uuid::Uuid>,
    parent: Option<uuid::Uuid>,
    payload: serde_json::Value,
) -> types::EventOut {
    let type_ = match task {
        Some(_) => types::PostableType::TaskComment,
        None => types::PostableType::ChatMessage,
    };
    client
        .create_event()
        .body(types::PostEventIn {
            project_id: project,
            type_,
            task_id: task,
            parent_id: parent,
            payload,
        })
        .send()
        .await
        .unwrap()
        .into_inner()
}
