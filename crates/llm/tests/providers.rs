//! Which provider answers which assistant: a providers file routes each
//! assistant to its provider and wire format, `openai_api` assistants to the
//! Responses API; a file naming an unset key variable or an unknown provider
//! is refused as it loads.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use agentry_domain::Error;
use agentry_domain::planning::{Hosted, ModelClient as _, ModelMessage, ModelRequest, Role};
use agentry_llm::Providers;
use serde_json::json;

mod support;

use support::{ok, server};

fn asked(assistant: &str) -> ModelRequest {
    ModelRequest {
        assistant: assistant.into(),
        model: "m".into(),
        messages: vec![ModelMessage::new(Role::User, "hi")],
        ..ModelRequest::default()
    }
}

fn chat_answer() -> serde_json::Value {
    json!({"choices": [{"message": {"content": "chat"}}],
           "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
}

fn responses_answer() -> serde_json::Value {
    json!({"status": "completed", "output": [{"type": "message",
           "content": [{"type": "output_text", "text": "responses"}]}],
           "usage": {"input_tokens": 1, "output_tokens": 1}})
}

#[tokio::test]
async fn each_assistant_goes_to_its_provider_in_its_format() {
    let (local, local_seen) = server(vec![ok(chat_answer()), ok(responses_answer())]).await;
    let (hosted, hosted_seen) = server(vec![ok(responses_answer())]).await;
    let file = json!({
        "providers": {
            "local": {"base_url": local, "stream": false},
            "hosted": {"base_url": hosted, "api_key_env": "HOSTED_KEY", "api": "responses",
                       "stream": false, "timeout_seconds": 5, "max_retries": 0}
        },
        "default": "local",
        "assistants": {"Researcher": "hosted"}
    });
    let providers = Providers::parse(&file.to_string(), |var| {
        (var == "HOSTED_KEY").then(|| "sk-hosted".to_owned())
    })
    .unwrap();
    let writer = providers.complete(&asked("Writer"), None).await.unwrap();
    assert_eq!(writer.content, "chat");
    let researcher = providers
        .complete(&asked("Researcher"), None)
        .await
        .unwrap();
    assert_eq!(researcher.content, "responses");
    let mut remote = asked("Writer");
    remote.hosted = Some(Hosted {
        prompt: "pmpt_1".into(),
        thread: None,
    });
    let remote = providers.complete(&remote, None).await.unwrap();
    assert_eq!(
        remote.content, "responses",
        "openai_api runs through Responses"
    );

    let local_seen = local_seen.lock().unwrap();
    assert!(local_seen[0].head.starts_with("post /v1/chat/completions "));
    assert!(!local_seen[0].head.contains("authorization"));
    assert!(local_seen[1].head.starts_with("post /v1/responses "));
    let hosted_seen = hosted_seen.lock().unwrap();
    assert!(
        hosted_seen[0]
            .head
            .contains("authorization: bearer sk-hosted")
    );
}

#[tokio::test]
async fn an_assistant_without_a_provider_is_refused() {
    let file = json!({"providers": {"only": {"base_url": "http://127.0.0.1:1/v1"}},
                      "assistants": {"Writer": "only"}});
    let providers = Providers::parse(&file.to_string(), |_| None).unwrap();
    let err = providers.complete(&asked("Other"), None).await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    assert!(err.to_string().contains("Other"), "{err}");
}

#[test]
fn a_file_with_a_missing_key_or_an_unknown_provider_is_refused() {
    let missing = json!({"providers": {"p": {"base_url": "http://x/v1", "api_key_env": "NOPE"}}});
    let err = Providers::parse(&missing.to_string(), |_| None).unwrap_err();
    assert!(err.0.contains("NOPE"), "{err}");
    let unknown = json!({"providers": {"p": {"base_url": "http://x/v1"}}, "default": "q"});
    let err = Providers::parse(&unknown.to_string(), |_| None).unwrap_err();
    assert!(err.0.contains("\"q\""), "{err}");
    let typo = json!({"providers": {"p": {"base_url": "http://x/v1", "apikey": "k"}}});
    let err = Providers::parse(&typo.to_string(), |_| None).unwrap_err();
    assert!(err.0.contains("apikey"), "{err}");
    let printed = format!(
        "{:?}",
        Providers::parse(
            &json!({"providers": {"p": {"base_url": "http://x/v1", "api_key_env": "K"}},
                    "default": "p"})
            .to_string(),
            |_| Some("sk-never-printed".into())
        )
        .unwrap()
    );
    assert!(!printed.contains("sk-never-printed"), "{printed}");
}
