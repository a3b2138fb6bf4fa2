//! The Responses API client against a real HTTP server on loopback that
//! speaks its wire format: whole and streamed answers with function calls,
//! structured output and usage, an `openai_api` assistant's prompt and
//! conversation, 429 with `Retry-After`, a 5xx then success, a timeout, a
//! stream cut mid-way, a malformed body, a failed response. No test calls a
//! network service.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::time::{Duration, Instant};

use agentry_domain::Error;
use agentry_domain::planning::{
    Hosted, ModelClient as _, ModelMessage, ModelRequest, OutputSchema, Role, ToolCall, ToolSpec,
};
use agentry_llm::Responses;
use serde_json::{Value, json};

mod support;

use support::{Reply, assert_unavailable_saying, config, delta_sink, ok, server};

fn client(url: &str, stream: bool) -> Responses {
    Responses::new(config(url, stream)).unwrap()
}

fn request() -> ModelRequest {
    let mut asked = ModelMessage::new(Role::Assistant, "Looking it up.");
    asked.tool_calls = vec![ToolCall {
        id: "call_0".into(),
        name: "lookup".into(),
        arguments: json!({"q": "x"}),
    }];
    let mut answered = ModelMessage::new(Role::Tool, "{\"found\": 1}");
    answered.tool_call_id = Some("call_0".into());
    ModelRequest {
        assistant: "Researcher".into(),
        model: "gpt-test".into(),
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

fn response() -> Value {
    json!({
        "id": "resp_1", "object": "response", "status": "completed",
        "output": [
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": "Checking "},
                         {"type": "output_text", "text": "the sky."}]},
            {"type": "function_call", "call_id": "call_7", "name": "get_weather",
             "arguments": "{\"city\": \"Oslo\"}"}
        ],
        "usage": {"input_tokens": 31, "output_tokens": 9, "total_tokens": 40}
    })
}

#[tokio::test]
async fn a_whole_answer_gives_its_text_calls_and_usage() {
    let (url, seen) = server(vec![ok(response())]).await;
    let reply = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap();
    assert_eq!(reply.content, "Checking the sky.");
    assert_eq!(reply.tool_calls[0].id, "call_7");
    assert_eq!(reply.tool_calls[0].arguments, json!({"city": "Oslo"}));
    assert_eq!(
        (reply.usage.input_tokens, reply.usage.output_tokens),
        (31, 9)
    );
    let seen = seen.lock().unwrap();
    assert!(seen[0].head.starts_with("post /v1/responses "));
    assert!(
        seen[0]
            .head
            .contains("authorization: bearer sk-test-secret")
    );
    let body = &seen[0].body;
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["instructions"], "Be brief.");
    assert_eq!(
        body["input"],
        json!([
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "content": "Looking it up."},
            {"type": "function_call", "call_id": "call_0", "name": "lookup",
             "arguments": "{\"q\":\"x\"}"},
            {"type": "function_call_output", "call_id": "call_0", "output": "{\"found\": 1}"}
        ])
    );
    assert_eq!(
        body["tools"][0],
        json!({"type": "function", "name": "get_weather", "description": "Weather by city",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}})
    );
    assert!(body.get("stream").is_none() && body.get("text").is_none());
}

#[tokio::test]
async fn a_streamed_answer_shows_its_deltas_and_ends_with_the_whole_response() {
    let chunks = vec![
        json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}),
        json!({"type": "response.output_text.delta", "delta": "Checking "}),
        json!({"type": "response.output_text.delta", "delta": "the sky."}),
        json!({"type": "response.function_call_arguments.delta", "delta": "{\"city\""}),
        json!({"type": "response.completed", "response": response()}),
    ];
    let (url, seen) = server(vec![Reply::Stream { chunks, cut: true }]).await;
    let (deltas, on_delta) = delta_sink();
    let reply = client(&url, true)
        .complete(&request(), Some(&on_delta))
        .await
        .unwrap();
    assert_eq!(*deltas.lock().unwrap(), ["Checking ", "the sky."]);
    assert_eq!(reply.content, "Checking the sky.");
    assert_eq!(reply.tool_calls[0].name, "get_weather");
    assert_eq!(reply.usage.output_tokens, 9);
    assert_eq!(seen.lock().unwrap()[0].body["stream"], true);
}

#[tokio::test]
async fn a_schema_asks_for_structured_output() {
    let answer = json!({"status": "completed", "output": [{"type": "message",
        "content": [{"type": "output_text", "text": "{\"ok\": true}"}]}],
        "usage": {"input_tokens": 5, "output_tokens": 3}});
    let (url, seen) = server(vec![ok(answer)]).await;
    let mut asked = request();
    asked.output = Some(OutputSchema {
        name: "verdict".into(),
        schema: json!({"type": "object"}),
    });
    let reply = client(&url, false).complete(&asked, None).await.unwrap();
    assert_eq!(reply.content, "{\"ok\": true}");
    let body = &seen.lock().unwrap()[0].body;
    assert_eq!(
        body["text"]["format"],
        json!({"type": "json_schema", "name": "verdict", "schema": {"type": "object"},
               "strict": true})
    );
}

#[tokio::test]
async fn a_hosted_assistant_runs_its_prompt_in_its_threads_conversation() {
    let (url, seen) = server(vec![
        ok(json!({"id": "conv_42", "object": "conversation"})),
        ok(response()),
        ok(response()),
    ])
    .await;
    let client = client(&url, false);
    let mut asked = request();
    asked.hosted = Some(Hosted {
        prompt: "pmpt_abc".into(),
        thread: Some("thread_0123".into()),
    });
    client.complete(&asked, None).await.unwrap();
    client.complete(&asked, None).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        3,
        "one conversation for the thread, then two turns"
    );
    assert!(seen[0].head.starts_with("post /v1/conversations "));
    assert_eq!(seen[0].body["metadata"]["agentry_thread"], "thread_0123");
    for turn in &seen[1..] {
        assert!(turn.head.starts_with("post /v1/responses "));
        assert_eq!(turn.body["conversation"], "conv_42");
        assert_eq!(turn.body["prompt"], json!({"id": "pmpt_abc"}));
        assert_eq!(
            turn.body["input"],
            json!([{"type": "function_call_output", "call_id": "call_0",
                    "output": "{\"found\": 1}"}]),
            "the conversation holds the rest"
        );
    }
}

#[tokio::test]
async fn a_thread_that_is_a_conversation_is_used_as_it_is() {
    let (url, seen) = server(vec![ok(response())]).await;
    let mut asked = request();
    asked.messages.truncate(2);
    asked.hosted = Some(Hosted {
        prompt: "pmpt_abc".into(),
        thread: Some("conv_7".into()),
    });
    client(&url, false).complete(&asked, None).await.unwrap();
    let body = &seen.lock().unwrap()[0].body;
    assert_eq!(body["conversation"], "conv_7");
    assert_eq!(
        body["input"],
        json!([{"role": "user", "content": "Weather in Oslo?"}]),
        "before the model spoke, everything but the instructions is new"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_5xx_retried() {
    let busy = Reply::Whole {
        status: 429,
        headers: "retry-after: 1\r\n",
        body: json!({"error": {"message": "slow down"}}).to_string(),
    };
    let down = Reply::Whole {
        status: 502,
        headers: "",
        body: "bad gateway".into(),
    };
    let (url, seen) = server(vec![busy, down, ok(response())]).await;
    let started = Instant::now();
    let reply = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(reply.usage.input_tokens, 31);
    assert_eq!(seen.lock().unwrap().len(), 3);
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
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_stream_cut_before_it_completes_fails_without_a_retry() {
    let chunks = vec![json!({"type": "response.output_text.delta", "delta": "Half"})];
    let (url, seen) = server(vec![Reply::Stream { chunks, cut: true }, ok(response())]).await;
    let err = client(&url, true)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_malformed_or_failed_answer_fails_as_unavailable() {
    let failed = json!({"status": "failed", "error": {"message": "server_error"}, "output": []});
    for body in [
        "not json".to_owned(),
        json!({"status": "completed"}).to_string(),
        failed.to_string(),
    ] {
        let (url, _) = server(vec![Reply::Whole {
            status: 200,
            headers: "",
            body: body.clone(),
        }])
        .await;
        let err = client(&url, false)
            .complete(&request(), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unavailable(_)), "{body}: {err:?}");
    }
    let chunks = vec![json!({"type": "error", "message": "overloaded"})];
    let (url, _) = server(vec![Reply::Stream { chunks, cut: true }]).await;
    let err = client(&url, true)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_function_call_without_its_id_is_refused_by_name() {
    let answer = json!({"status": "completed", "output": [
        {"type": "function_call", "name": "get_weather", "arguments": "{}"}]});
    let (url, _) = server(vec![ok(answer)]).await;
    let err = client(&url, false)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert_unavailable_saying(&err, &["output[0]", "missing field `call_id`"]);
}

#[tokio::test]
async fn named_events_it_does_not_read_are_skipped_unparsed() {
    let completed = json!({"type": "response.completed", "response": response()});
    let events = format!(
        "event: response.output_text.delta\ndata: {}\n\n\
         event: response.output_text.done\ndata: {{not json, and never parsed\n\n\
         event: response.completed\nid: 3\ndata: {completed}\n\n",
        json!({"type": "response.output_text.delta", "delta": "Checking the sky."})
    );
    let (url, _) = server(vec![Reply::Events(events)]).await;
    let (deltas, on_delta) = delta_sink();
    let reply = client(&url, true)
        .complete(&request(), Some(&on_delta))
        .await
        .unwrap();
    assert_eq!(*deltas.lock().unwrap(), ["Checking the sky."]);
    assert_eq!(reply.content, "Checking the sky.");
}

#[tokio::test]
async fn an_error_event_says_what_the_provider_said() {
    let events = "event: error\ndata: {\"type\": \"error\", \"code\": \"server_error\", \
                  \"message\": \"overloaded\"}\n\n";
    let (url, _) = server(vec![Reply::Events(events.into())]).await;
    let err = client(&url, true)
        .complete(&request(), None)
        .await
        .unwrap_err();
    assert_unavailable_saying(&err, &["overloaded"]);
}
