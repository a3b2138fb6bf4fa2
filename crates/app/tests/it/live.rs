//! Live feeds over server-sent events, on SQLite and PostgreSQL: new events of
//! the watched project arrive in order; a client that comes back with the last
//! id it saw gets what it missed, once, then what is new; a feed is refused
//! without a token, outside the project or with unknown types; a ticket
//! stands for its caller once; a subscriber a whole queue behind is dropped
//! saying so; a WebSocket (a real one, on a served port) gets the same events.

use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, api_test, assert_problem};

api_test!(
    new_events_arrive_in_order_and_a_resumed_feed_gets_what_it_missed_once,
    a_feed_is_refused_without_access_and_a_ticket_serves_once,
    a_subscriber_that_falls_a_queue_behind_is_dropped_saying_so,
    a_websocket_gets_new_events_as_text_messages,
);

type Bytes = Pin<Box<dyn Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send>>;

/// An open stream, read event by event.
struct Feed {
    body: Bytes,
    buffer: String,
}

impl Feed {
    /// The next event: its type, id and data.
    async fn next(&mut self) -> (String, String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start().to_owned())
                };
                let Some(kind) = field("event:") else {
                    continue; // a keep-alive comment
                };
                let data = field("data:").unwrap_or_default();
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                return (kind, field("id:").unwrap_or_default(), data);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .expect("an event within 10 s")
                .expect("the stream is open")
                .unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

impl TestApp {
    async fn feed(
        &self,
        query: &str,
        last: Option<&str>,
        token: Option<&str>,
    ) -> Result<Feed, (StatusCode, Value)> {
        let mut request = self.client.get(format!("/api/v1/events/stream?{query}"));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        let response = request.send().await.0;
        if response.status() != StatusCode::OK {
            let status = response.status();
            let body = response
                .into_body()
                .into_json()
                .await
                .unwrap_or(Value::Null);
            return Err((status, body));
        }
        Ok(Feed {
            body: Box::pin(response.into_body().into_bytes_stream()),
            buffer: String::new(),
        })
    }

    pub(crate) async fn say(&self, project: &str, content: &str) -> String {
        let body = json!({"project_id": project, "type": "chat_message",
                          "payload": {"content": content}});
        let reply = self.post("/api/v1/events", &self.admin, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body["id"].as_str().unwrap().to_owned()
    }
}

async fn new_events_arrive_in_order_and_a_resumed_feed_gets_what_it_missed_once(app: TestApp) {
    let (project, _) = app.project(&app.admin, "LV").await;
    let (other, _) = app.project(&app.admin, "OT").await;
    let query = format!("project_id={project}&types=chat_message");
    let mut feed = app.feed(&query, None, Some(&app.admin)).await.unwrap();
    let mut said = Vec::new();
    for n in 0..3 {
        app.say(&other, "elsewhere").await;
        said.push(app.say(&project, &format!("m{n}")).await);
    }
    for (n, id) in said.iter().enumerate() {
        let (kind, got, data) = feed.next().await;
        assert_eq!((kind.as_str(), &got), ("event.new", id));
        assert_eq!(data["payload"]["content"], format!("m{n}"));
        assert_eq!(data["project_id"], project.as_str());
    }
    drop(feed);

    let missed: Vec<String> = vec![app.say(&project, "m3").await, app.say(&project, "m4").await];
    let mut resumed = app
        .feed(&query, Some(&said[2]), Some(&app.admin))
        .await
        .unwrap();
    for id in &missed {
        assert_eq!(&resumed.next().await.1, id);
    }
    let live = app.say(&project, "m5").await;
    assert_eq!(
        resumed.next().await.1,
        live,
        "then what is new, nothing twice"
    );
}

async fn a_feed_is_refused_without_access_and_a_ticket_serves_once(app: TestApp) {
    let (project, _) = app.project(&app.admin, "LV").await;
    let query = format!("project_id={project}");
    let (status, body) = app.feed(&query, None, None).await.err().unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let outsider = app.user("outsider").await;
    let (status, _) = app.feed(&query, None, Some(&outsider)).await.err().unwrap();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another's project does not exist"
    );
    for bad in [
        format!("project_id={project}&types=no_such_type"),
        format!("project_id={project}&task_id={project}"),
        String::new(),
    ] {
        let (status, body) = app.feed(&bad, None, Some(&app.admin)).await.err().unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = app
        .feed(&format!("{query}&nonsense=1"), None, Some(&app.admin))
        .await
        .err()
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let unknown = uuid::Uuid::now_v7();
    let (status, _) = app
        .feed(&query, Some(&unknown.to_string()), Some(&app.admin))
        .await
        .err()
        .unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let issued = app
        .post("/api/v1/stream-tickets", &app.admin, json!({}))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    let ticket = issued.body["ticket"].as_str().unwrap();
    // Events committed just before a feed opens may still come (on PostgreSQL
    // while another transaction of the server is running): watch chat only.
    let with_ticket = format!("{query}&types=chat_message&ticket={ticket}");
    let mut feed = app.feed(&with_ticket, None, None).await.unwrap();
    let said = app.say(&project, "hello").await;
    assert_eq!(feed.next().await.1, said);
    let (status, body) = app.feed(&with_ticket, None, None).await.err().unwrap();
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a ticket serves once: {body}"
    );
    let refused = app
        .post(
            "/api/v1/stream-tickets",
            "agt_wrong-token-000000000000000",
            json!({}),
        )
        .await;
    assert_problem(&refused, StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn a_subscriber_that_falls_a_queue_behind_is_dropped_saying_so(app: TestApp) {
    use agentry_domain::event::Event;
    use agentry_domain::log::{ChatEvent, ChatMessage, EventRepo as _};

    let (project, _) = app.project(&app.admin, "SL").await;
    let query = format!("project_id={project}&types=chat_message");
    // Opened and never read: the test client polls a body only when it is read.
    let mut slow = app.feed(&query, None, Some(&app.admin)).await.unwrap();
    let project_id = agentry_domain::id::ProjectId(project.parse().unwrap());
    let total = agentry_http::live::QUEUE + 100;
    let events: Vec<Event> = (0..total)
        .map(|n| {
            let kind = ChatEvent::ChatMessage(ChatMessage {
                content: format!("n{n}"),
                mentions: vec![],
                thinking: None,
                voice_url: None,
                via: None,
            });
            Event::in_project(
                project_id,
                None,
                None,
                kind,
                agentry_domain::clock::utc_now(),
            )
            .unwrap()
        })
        .collect();
    for chunk in events.chunks(100) {
        app.app.store.append(chunk).await.unwrap();
    }
    // Dropped once the reader has handed out a queue's worth.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app.app.live_subscribers() > 0 {
        assert!(std::time::Instant::now() < deadline, "never dropped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for event in events.iter().take(agentry_http::live::QUEUE) {
        let (kind, id, _) = slow.next().await;
        assert_eq!(kind, "event.new");
        assert_eq!(
            id,
            event.id.0.to_string(),
            "in order, up to the queue's end"
        );
    }
    let (kind, _, data) = slow.next().await;
    assert_eq!(kind, "overflow", "{data}");
    let last = events[agentry_http::live::QUEUE - 1].id.0.to_string();
    let mut resumed = app
        .feed(&query, Some(&last), Some(&app.admin))
        .await
        .unwrap();
    for event in &events[agentry_http::live::QUEUE..] {
        assert_eq!(
            resumed.next().await.1,
            event.id.0.to_string(),
            "resumed: the rest"
        );
    }
}

/// A ticket from the server at `address`, over a plain HTTP/1.1 request.
async fn ticket(address: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /api/v1/stream-tickets HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let body: Value = serde_json::from_str(body).unwrap();
    body["ticket"].as_str().unwrap().to_owned()
}

async fn a_websocket_gets_new_events_as_text_messages(app: TestApp) {
    use futures::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;

    let (project, _) = app.project(&app.admin, "WS").await;
    let served = app.served(std::future::pending()).await;
    let address = served.address;
    let ticket = ticket(address).await;
    let url =
        format!("ws://{address}/api/v1/ws?project_id={project}&types=chat_message&ticket={ticket}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let said = app.say(&project, "over the socket").await;
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("a message within 10 s")
        .unwrap()
        .unwrap();
    let Message::Text(text) = message else {
        panic!("not text: {message:?}");
    };
    let message: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(message["type"], "event.new");
    assert_eq!(message["event"]["id"], said.as_str());
    assert_eq!(message["event"]["payload"]["content"], "over the socket");

    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{address}/api/v1/ws?project_id={project}&ticket={ticket}"
    ))
    .await;
    assert!(refused.is_err(), "a used ticket opens nothing");
}
