//! `spawn_app` and a small client for the tests.

use agentry_app::{ApiConfig, App, Secret};
use agentry_store::testing::TestDatabase;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::TestClient;
use poem::{Body, EndpointExt as _};
use serde_json::{Value, json};

/// The app on a fresh database, with a known admin token.
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, poem::Response>>,
    pub admin: String,
    pub app: App,
    pub database_url: String,
    /// `None` for a sibling: the database is another app's.
    _db: Option<TestDatabase>,
    _blobs: tempfile::TempDir,
}

/// The test's database served as `agentry-api` serves it (its own connection
/// handling, upgrades and event streams), on a port of
/// its own, until the future given to [`TestApp::served`] completes.
pub struct Served {
    pub address: std::net::SocketAddr,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _blobs: tempfile::TempDir,
}

impl TestApp {
    pub async fn served(&self, stop: impl Future<Output = ()> + Send + 'static) -> Served {
        self.served_with(|_| {}, stop).await
    }

    /// As [`TestApp::served`], with `configure` applied to the config.
    pub async fn served_with(
        &self,
        configure: impl FnOnce(&mut ApiConfig),
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Served {
        let blobs = tempfile::tempdir().unwrap();
        let mut config = ApiConfig::for_database(&self.database_url);
        config.admin_token = Some(Secret(ADMIN_TOKEN.into()));
        config.blob_dir = blobs.path().to_owned();
        config.workflow_keys = Some(WORKFLOW_KEYS.parse().unwrap());
        configure(&mut config);
        let app = App::build(config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        Served {
            address,
            task: tokio::spawn(app.serve(listener, stop)),
            _blobs: blobs,
        }
    }
}

/// Runs a test on the app over a fresh database.
pub async fn with_app<F: Future<Output = ()>>(db: TestDatabase, test: impl FnOnce(TestApp) -> F) {
    test(spawn_app(db).await).await;
}

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
}

pub const ADMIN_TOKEN: &str = "agt_test-admin-token-0123456789";

/// The key tests seal workflow definitions with (32 bytes, base64).
pub const WORKFLOW_KEYS: &str = "test-a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub async fn spawn_app(db: TestDatabase) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// As [`spawn_app`], with the configuration adjusted by `adjust`.
pub async fn spawn_app_with(db: TestDatabase, adjust: impl FnOnce(&mut ApiConfig)) -> TestApp {
    let url = db.url().to_owned();
    build_app(&url, Some(db), adjust).await
}

impl TestApp {
    /// Another app on this one's database, configured by `adjust`.
    pub async fn sibling(&self, adjust: impl FnOnce(&mut ApiConfig)) -> Self {
        build_app(&self.database_url, None, adjust).await
    }
}

async fn build_app(
    url: &str,
    db: Option<TestDatabase>,
    adjust: impl FnOnce(&mut ApiConfig),
) -> TestApp {
    if std::env::var("AGENTRY_TEST_LOG").is_ok() {
        agentry_app::init_tracing(agentry_app::LogFormat::Human, "warn");
    }
    let blobs = tempfile::tempdir().unwrap();
    let mut config = ApiConfig::for_database(url);
    config.admin_token = Some(Secret(ADMIN_TOKEN.into()));
    config.blob_dir = blobs.path().to_owned();
    config.max_attachment_bytes = 1024;
    config.workflow_keys = Some(WORKFLOW_KEYS.parse().unwrap());
    adjust(&mut config);
    let app = App::build(config).await.expect("the app builds");
    let endpoint = app.routes().map_to_response().boxed();
    TestApp {
        client: TestClient::new(endpoint),
        admin: ADMIN_TOKEN.into(),
        app,
        database_url: url.to_owned(),
        _db: db,
        _blobs: blobs,
    }
}

/// Declares each listed async fn `(app: TestApp)` as a test on SQLite and PostgreSQL.
macro_rules! api_test {
    ($($name:ident),* $(,)?) => {
        agentry_store::on_each_database!(crate::helpers::with_app; $($name),*);
    };
}
pub(crate) use api_test;

impl TestApp {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send(
            method,
            path,
            token,
            body.map(|b| ("application/json", b.to_string().into_bytes())),
            &[],
        )
        .await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method_name = method.to_string();
        let mut request = self.client.request(method, path);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((content_type, bytes)) = body {
            request = request
                .header("Content-Type", content_type)
                .header("Content-Length", bytes.len())
                .body(Body::from(bytes));
        }
        finish(&method_name, path, request).await
    }

    /// Sends `chunks` as a body of unknown length (no `Content-Length`), as a
    /// chunked or HTTP/2 client would.
    pub async fn send_streamed(&self, path: &str, token: &str, chunks: Vec<Vec<u8>>) -> Reply {
        let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
        let request = self
            .client
            .post(path)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .body(Body::from_bytes_stream(stream));
        finish("POST", path, request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    /// A new non-admin user; returns its token.
    pub async fn user(&self, name: &str) -> String {
        let reply = self
            .post("/api/v1/users", &self.admin, json!({ "name": name }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body["token"]["secret"].as_str().unwrap().to_owned()
    }

    /// A project created by `token`'s user; returns (project id, creator member id).
    pub async fn project(&self, token: &str, key: &str) -> (String, String) {
        let reply = self
            .post(
                "/api/v1/projects",
                token,
                json!({ "name": format!("Project {key}"), "key": key }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        (id(&reply.body["project"]), id(&reply.body["member"]))
    }

    pub async fn task(&self, token: &str, project: &str, title: &str) -> Value {
        let reply = self
            .post(
                &format!("/api/v1/projects/{project}/tasks"),
                token,
                json!({ "title": title }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body
    }

    /// The types of a feed, newest first.
    pub async fn feed_types(&self, token: &str, query: &str) -> Vec<String> {
        let reply = self.get(&format!("/api/v1/events?{query}"), token).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Sends the request and reads the reply, failing on a `null` in a JSON body.
async fn finish(
    method_name: &str,
    path: &str,
    request: poem::test::TestRequestBuilder<'_, BoxEndpoint<'static, poem::Response>>,
) -> Reply {
    let response = request.send().await.0;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().into_vec().await.unwrap();
    let body = match serde_json::from_slice(&bytes) {
        Ok(body) => {
            if let Some(at) = null_at(&body, "$") {
                panic!("{method_name} {path} answered null at {at}: unset fields are left out");
            }
            body
        }
        Err(_) => Value::Null,
    };
    Reply {
        status,
        headers,
        body,
        bytes,
    }
}

/// Where `value` holds a `null` that the API wrote: every response leaves unset
/// fields out (the spec declares nothing nullable). Payloads and input schemas are
/// stored JSON and may hold anything.
fn null_at(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::Null => Some(at.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| null_at(item, &format!("{at}[{i}]"))),
        Value::Object(fields) => fields
            .iter()
            .filter(|(name, _)| !["payload", "input_schema", "parameters"].contains(&name.as_str()))
            .find_map(|(name, field)| null_at(field, &format!("{at}.{name}"))),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
    }
}

pub fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

/// Asserts an RFC 7807 problem of `status` and type slug.
pub fn assert_problem(reply: &Reply, status: StatusCode, slug: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    let content_type = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type:?}"
    );
    assert_eq!(
        reply.body["type"],
        format!("urn:agentry:problem:{slug}"),
        "{reply:?}"
    );
    assert_eq!(reply.body["status"], status.as_u16());
}
