//! Every length limit of `docs/api.md`'s table, at the limit and one past it: at
//! it the write succeeds; past it the answer is 422 naming the field (400 where
//! the spec declares the `maxLength`, 413 for the payload size), and the log,
//! which every write adds to, is unchanged.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, assert_problem};

api_test!(each_text_is_accepted_at_its_limit_and_refused_past_it);

/// Who writes: the admin (users, registry) or a project member.
#[derive(Clone, Copy)]
enum As {
    Admin,
    Member,
}

/// One limit: where it is written, the field the refusal names, the limit in
/// characters and the body holding a text of a given length.
struct Case {
    route: &'static str,
    field: &'static str,
    max: usize,
    who: As,
    body: fn(&Ctx, String) -> Value,
}

/// What the bodies refer to.
struct Ctx {
    project: String,
    serial: std::sync::atomic::AtomicUsize,
}

impl Ctx {
    /// A distinct key or name for each body, where the field under test is another.
    fn unique(&self, prefix: &str) -> String {
        let n = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}{n}")
    }
}

fn chat(ctx: &Ctx, payload: Value) -> Value {
    json!({"project_id": ctx.project, "type": "chat_message", "payload": payload})
}

/// `{"type":"object","description":…}`: 34 bytes of JSON besides the text.
fn schema(text: String) -> Value {
    json!({"type": "object", "description": text})
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { route: "/users", field: "name", max: 100, who: As::Admin,
           body: |_, t| json!({"name": t}) },
    Case { route: "/tokens", field: "name", max: 100, who: As::Member,
           body: |_, t| json!({"name": t}) },
    Case { route: "/projects", field: "name", max: 200, who: As::Member,
           body: |c, t| json!({"name": t, "key": c.unique("N")}) },
    Case { route: "/projects", field: "description", max: 10_000, who: As::Member,
           body: |c, t| json!({"name": "p", "key": c.unique("D"), "description": t}) },
    Case { route: "/projects", field: "key", max: 10, who: As::Member,
           body: |c, t| {
               let key = c.unique("K");
               json!({"name": "p", "key": format!("{key}{}", "0".repeat(t.len() - key.len()))})
           } },
    Case { route: "/projects/{p}/members", field: "handle", max: 32, who: As::Member,
           body: |_, t| json!({"kind": "agent", "handle": t}) },
    Case { route: "/projects/{p}/members", field: "display_name", max: 100, who: As::Member,
           body: |c, t| json!({"kind": "agent", "handle": c.unique("agent"), "display_name": t}) },
    Case { route: "/projects/{p}/labels", field: "name", max: 50, who: As::Member,
           body: |_, t| json!({"name": t}) },
    Case { route: "/projects/{p}/tasks", field: "title", max: 500, who: As::Member,
           body: |_, t| json!({"title": t}) },
    Case { route: "/projects/{p}/tasks", field: "description", max: 100_000, who: As::Member,
           body: |_, t| json!({"title": "t", "description": t}) },
    Case { route: "/events", field: "payload.content", max: 32_000, who: As::Member,
           body: |c, t| chat(c, json!({"content": t})) },
    Case { route: "/events", field: "payload.voice_url", max: 2_048, who: As::Member,
           body: |c, t| {
               let url = format!("https://v.example/{}", "a".repeat(t.len() - 18));
               chat(c, json!({"content": "hi", "voice_url": url}))
           } },
    // `{"content":"x","thinking":…}` is 29 bytes of JSON besides the text.
    Case { route: "/events", field: "payload", max: 64 * 1024 - 29, who: As::Member,
           body: |c, t| chat(c, json!({"content": "x", "thinking": t})) },
    Case { route: "/assistants", field: "name", max: 255, who: As::Admin,
           body: |_, t| json!({"name": t, "model": "m", "assistant_type": "llm"}) },
    Case { route: "/assistants", field: "model", max: 255, who: As::Admin,
           body: |c, t| json!({"name": c.unique("model"), "model": t, "assistant_type": "llm"}) },
    Case { route: "/assistants", field: "instructions", max: 100_000, who: As::Admin,
           body: |c, t| json!({"name": c.unique("i"), "model": "m", "assistant_type": "llm",
                               "instructions": t}) },
    Case { route: "/tools", field: "name", max: 64, who: As::Admin,
           body: |_, t| json!({"name": t, "tool_type": "time", "input_schema": {"type": "object"}}) },
    Case { route: "/tools", field: "description", max: 4_096, who: As::Admin,
           body: |c, t| json!({"name": c.unique("d"), "tool_type": "time", "description": t,
                               "input_schema": {"type": "object"}}) },
    Case { route: "/tools", field: "input_schema", max: 64 * 1024 - 34, who: As::Admin,
           body: |c, t| json!({"name": c.unique("s"), "tool_type": "time",
                               "input_schema": schema(t)}) },
];

/// The newest event in the whole log, as the admin reads it.
async fn newest(app: &TestApp) -> Value {
    let reply = app.get("/api/v1/events?limit=1", &app.admin).await;
    reply.body["events"][0]["id"].clone()
}

async fn each_text_is_accepted_at_its_limit_and_refused_past_it(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "TE").await;
    let ctx = Ctx {
        project,
        serial: std::sync::atomic::AtomicUsize::new(0),
    };
    for case in CASES {
        let path = format!("/api/v1{}", case.route.replace("{p}", &ctx.project));
        let token = match case.who {
            As::Admin => &app.admin,
            As::Member => &ada,
        };
        let what = format!("{} {} ({})", case.route, case.field, case.max);
        let at = app
            .post(&path, token, (case.body)(&ctx, "a".repeat(case.max)))
            .await;
        assert!(at.status.is_success(), "{what} at the limit: {at:?}");
        let before = newest(&app).await;
        let past = app
            .post(&path, token, (case.body)(&ctx, "b".repeat(case.max + 1)))
            .await;
        if case.field == "payload" {
            assert_problem(&past, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
        } else if past.status == StatusCode::BAD_REQUEST {
            // The spec declares this one's `maxLength`: a schema violation, as a
            // generated client would have found before sending.
            assert_problem(&past, StatusCode::BAD_REQUEST, "bad-request");
            let detail = past.body["detail"].as_str().unwrap();
            let declared = format!(
                "field `{}` verification failed. maxLength({})",
                case.field, case.max
            );
            assert!(detail.contains(&declared), "{what}: {detail}");
        } else {
            assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert_eq!(past.body["field"], case.field, "{what}");
        }
        assert_eq!(
            newest(&app).await,
            before,
            "{what}: past the limit, nothing is written"
        );
    }
}
