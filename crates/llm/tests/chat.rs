//! The chat-completions client against a real HTTP server on loopback that
//! speaks the wire format: whole and streamed answers with tool calls and
//! usage, 429 with `Retry-After`, a 5xx then success, a timeout, a stream cut
//! mid-way, a malformed body, a refusal, structured output. No test calls a
//! network service.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::time::{Duration, Instant};

use agentry_domain::Error;
use agentry_domain::planning::OutputSchema;
use agentry_domain::planning::{
    ModelClient as _, ModelMessage, ModelRequest, Role, ToolCall, ToolSpec,
};
use agentry_llm::{ChatCompletions, ProviderConfig};
use serde_json::{Value, json};

mod support;

use support::{Reply, assert_unavailable_saying, config, delta_sink, ok, server};

fn client(url: &str, stream: bool) -> ChatCompletions {
    ChatCompletions::new(config(url, stream)).unwrap()
}

fn request() -> ModelRequest {
    let mut asked = ModelMessage::new(Role::Assistant, "");
    asked.tool_calls = vec![ToolCall {
        id: "call_0".into(),
        name: "lookup".into(),
        arguments: json!({"q": "x"}),
    }];
    let mut answered = ModelMessage::new(Role::Tool, "{\"found\": 1}");
    answered.tool_call_id = Some("call_0".into());
    ModelRequest {
        assistant: "Researcher".into(),
        model: "local-model".into(),
        messages: vec![
            ModelMessage::new(Role::System, "Be brief."),
            ModelMessage::new(Role::User, "Weather in Oslo?"),
            asked,
            answered,
        ],
        tools: vec![ToolSpec {
            name: "get_weather".into(),
            description: "Weather by city".into(),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        }],
        ..ModelRequest::default()
    }
}

fn answered_with_a_call() -> Value {
    json!({
        "choices": [{"message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}
        ]}}],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7}
    })
}

#[tokio::test]
async fn a_whole_answer_gives_its_tool_calls_and_usage() {
    let (url, seen) = server(vec![ok(answered_with_a_call())]).await;
    let reply = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap();
    assert_eq!(reply.content, "");
    assert_eq!(reply.tool_calls.len(), 1);
    assert_eq!(reply.tool_calls[0].name, "get_weather");
    assert_eq!(reply.tool_calls[0].arguments, json!({"city": "Oslo"}));
    assert_eq!(
        (reply.usage.input_tokens, reply.usage.output_tokens),
        (42, 7)
    );
    let seen = seen.lock().unwrap();
    assert!(seen[0].head.starts_with("post /v1/chat/completions "));
    assert!(
        seen[0]
            .head
            .contains("authorization: bearer sk-test-secret")
    );
    let body = &seen[0].body;
    assert_eq!(body["model"], "local-model");
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        body["messages"][2]["tool_calls"][0]["function"]["arguments"],
        "{\"q\":\"x\"}"
    );
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "tool_call_id": "call_0", "content": "{\"found\": 1}"})
    );
    assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn a_streamed_answer_arrives_delta_by_delta_with_usage_at_the_end() {
    let chunks = vec![
        json!({"choices": [{"delta": {"role": "assistant", "content": "Snow "}}]}),
        json!({"choices": [{"delta": {"content": "in Oslo."}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "call_9",
            "function": {"name": "get_weather", "arguments": "{\"ci"}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"index": 0,
            "function": {"arguments": "ty\": \"Oslo\"}"}}]}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 5}}),
    ];
    let (url, seen) = server(vec![Reply::Stream { chunks, cut: false }]).await;
    let (deltas, on_delta) = delta_sink();
    let reply = client(&url, true)
        .complete(&request(), Some(&on_delta))
        .await
        .unwrap();
    assert_eq!(reply.content, "Snow in Oslo.");
    assert_eq!(*deltas.lock().unwrap(), ["Snow ", "in Oslo."]);
    assert_eq!(reply.tool_calls[0].id, "call_9");
    assert_eq!(reply.tool_calls[0].arguments, json!({"city": "Oslo"}));
    assert_eq!(
        (reply.usage.input_tokens, reply.usage.output_tokens),
        (12, 5)
    );
    let body = &seen.lock().unwrap()[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn a_429_is_waited_out_as_retry_after_says() {
    let busy = Reply::Whole {
        status: 429,
        headers: "retry-after: 1\r\n",
        body: json!({"error": {"message": "slow down"}}).to_string(),
    };
    let (url, seen) = server(vec![busy, ok(answered_with_a_call())]).await;
    let started = Instant::now();
    let reply = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.usage.input_tokens, 42);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_5xx_is_retried_then_succeeds_and_too_many_fail_as_unavailable() {
    let down = || Reply::Whole {
        status: 503,
        headers: "",
        body: "upstream down".into(),
    };
    let (url, _) = server(vec![down(), down(), ok(answered_with_a_call())]).await;
    let reply = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap();
    assert_eq!(reply.tool_calls.len(), 1);

    let (url, seen) = server(vec![down(), down(), down()]).await;
    let err = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("503") || format!("{err:?}").contains("503"));
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "the first try and two retries"
    );
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out_as_unavailable() {
    let (url, _) = server(vec![Reply::Silent, Reply::Silent, Reply::Silent]).await;
    let started = Instant::now();
    let err = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_stream_cut_mid_way_fails_without_a_retry() {
    let chunks = vec![json!({"choices": [{"delta": {"content": "Half"}}]})];
    let (url, seen) = server(vec![
        Reply::Stream { chunks, cut: true },
        ok(answered_with_a_call()),
    ])
    .await;
    let err = client(&url, true)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "its text was shown: not tried again"
    );
}

#[tokio::test]
async fn a_malformed_body_fails_as_unavailable() {
    for body in ["not json", "{\"choices\": []}"] {
        let (url, _) = server(vec![Reply::Whole {
            status: 200,
            headers: "",
            body: body.into(),
        }])
        .await;
        let err = client(&url, false)
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unavailable(_)), "{body}: {err:?}");
    }
}

#[tokio::test]
async fn a_refused_request_is_not_retried_and_says_why() {
    let refused = Reply::Whole {
        status: 400,
        headers: "",
        body: json!({"error": {"message": "unknown model"}}).to_string(),
    };
    let (url, seen) = server(vec![refused]).await;
    let err = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    assert!(err.to_string().contains("unknown model"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn the_key_is_never_printed() {
    let config = ProviderConfig {
        base_url: "http://127.0.0.1:1/v1".into(),
        api_key: Some("sk-test-secret".into()),
        timeout: Duration::from_secs(1),
        stream: false,
        max_retries: 0,
        backoff: Duration::from_millis(1),
    };
    let printed = format!(
        "{config:?} {:?}",
        ChatCompletions::new(config.clone()).unwrap()
    );
    assert!(!printed.contains("sk-test-secret"), "{printed}");
}

#[tokio::test]
async fn a_schema_asks_for_structured_output() {
    let answer = json!({"choices": [{"message": {"content": "{\"ok\": true}"}}]});
    let (url, seen) = server(vec![ok(answer)]).await;
    let mut asked = request();
    asked.output = Some(OutputSchema {
        name: "verdict".into(),
        schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}}),
    });
    let reply = client(&url, false).complete(&asked, None).await.unwrap();
    assert_eq!(reply.content, "{\"ok\": true}");
    let body = &seen.lock().unwrap()[0].body;
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["name"], "verdict");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["properties"]["ok"]["type"],
        "boolean"
    );
}

#[tokio::test]
async fn a_missing_field_is_named_in_the_error() {
    let answer = json!({"choices": [{"message": {"content": null, "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    ]}}]});
    let (url, _) = server(vec![ok(answer)]).await;
    let err = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert_unavailable_saying(
        &err,
        &["choices[0].message.tool_calls[0]", "missing field `id`"],
    );
}

#[tokio::test]
async fn an_error_in_the_stream_fails_the_answer_though_the_stream_ends_as_usual() {
    let chunks = vec![
        json!({"choices": [{"delta": {"content": "Hal"}}]}),
        json!({"error": {"message": "the model crashed", "type": "server_error"}}),
    ];
    let (url, _) = server(vec![Reply::Stream { chunks, cut: false }]).await;
    let err = client(&url, true)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert_unavailable_saying(&err, &["the model crashed"]);
}

#[tokio::test]
async fn a_stream_in_any_line_endings_with_comments_and_multi_line_data_is_read() {
    let events = ": keep-alive\r\n\r\n\
        data: {\"choices\": [{\"delta\":\r\ndata: {\"content\": \"Sno\"}}]}\r\r\
        data:{\"choices\": [{\"delta\": {\"content\": \"w.\"}}],\n\
        data: \"usage\": {\"prompt_tokens\": 3, \"completion_tokens\": 2}}\n\n\
        data: [DONE]\n\n";
    let (url, _) = server(vec![Reply::Events(events.into())]).await;
    let reply = client(&url, true).complete(&request(), None).await.unwrap();
    assert_eq!(reply.content, "Snow.");
    assert_eq!(
        (reply.usage.input_tokens, reply.usage.output_tokens),
        (3, 2)
    );
}

#[tokio::test]
async fn a_tool_call_index_past_the_limit_is_refused() {
    let chunks = vec![
        json!({"choices": [{"delta": {"tool_calls": [{"index": 100000, "id": "c",
        "function": {"name": "f", "arguments": "{}"}}]}}]}),
    ];
    let (url, _) = server(vec![Reply::Stream { chunks, cut: false }]).await;
    let err = client(&url, true)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert_unavailable_saying(&err, &["100000"]);
}
