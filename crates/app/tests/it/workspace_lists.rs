//! Users, projects and a project's members are listed a page at a time, as every
//! other list: `cursor` and `limit` in, the page and `next_cursor` out.

use poem::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    users_projects_and_members_are_paged_oldest_first_to_the_last_page,
    a_bad_limit_or_a_cursor_from_another_list_answers_422,
);

/// The ids under `field` of every page of `path`, read `limit` at a time.
async fn every_page(
    app: &TestApp,
    token: &str,
    path: &str,
    field: &str,
    limit: usize,
) -> Vec<String> {
    let (mut ids, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let reply = app
            .get(&format!("{path}?limit={limit}{after}"), token)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let items = reply.body[field].as_array().unwrap();
        assert!(items.len() <= limit, "{reply:?}");
        ids.extend(items.iter().map(id));
        match reply.body.get("next_cursor") {
            Some(next) => cursor = Some(next.as_str().unwrap().to_owned()),
            None => return ids,
        }
    }
}

async fn users_projects_and_members_are_paged_oldest_first_to_the_last_page(app: TestApp) {
    let admin = app.get("/api/v1/me", &app.admin).await.body["id"].clone();
    let mut users = vec![admin.as_str().unwrap().to_owned()];
    let mut tokens = Vec::new();
    for name in ["Ada", "Bob", "Carol", "Dan"] {
        let created = app
            .post("/api/v1/users", &app.admin, json!({ "name": name }))
            .await;
        users.push(id(&created.body["user"]));
        tokens.push(created.body["token"]["secret"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        every_page(&app, &app.admin, "/api/v1/users", "users", 2).await,
        users
    );
    let first = app.get("/api/v1/users", &app.admin).await;
    assert_eq!(first.body["users"].as_array().unwrap().len(), 5);
    assert!(first.body.get("next_cursor").is_none(), "{first:?}");

    let ada = &tokens[0];
    let mut adas = Vec::new();
    for key in ["AA", "BB", "CC"] {
        adas.push(app.project(ada, key).await.0);
    }
    let (bobs, _) = app.project(&tokens[1], "DD").await;
    assert_eq!(
        every_page(&app, ada, "/api/v1/projects", "projects", 2).await,
        adas
    );
    let mut all = adas.clone();
    all.push(bobs);
    assert_eq!(
        every_page(&app, &app.admin, "/api/v1/projects", "projects", 1).await,
        all
    );

    let members = format!("/api/v1/projects/{}/members", adas[0]);
    let mut joined = vec![id(&app.get(&members, ada).await.body["members"][0])];
    for handle in ["a1", "a2", "a3", "a4"] {
        let agent = app
            .post(&members, ada, json!({ "kind": "agent", "handle": handle }))
            .await;
        assert_eq!(agent.status, StatusCode::CREATED, "{agent:?}");
        joined.push(id(&agent.body));
    }
    assert_eq!(every_page(&app, ada, &members, "members", 2).await, joined);
    assert_eq!(
        every_page(&app, ada, &members, "members", 200).await,
        joined
    );
}

async fn a_bad_limit_or_a_cursor_from_another_list_answers_422(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, _) = app.project(&ada, "AA").await;
    app.project(&ada, "BB").await;
    let members = format!("/api/v1/projects/{project}/members");
    app.post(
        &members,
        &ada,
        json!({ "kind": "agent", "handle": "coder" }),
    )
    .await;
    let cursor_of = async |path: &str, token: &str| {
        let reply = app.get(&format!("{path}?limit=1"), token).await;
        reply.body["next_cursor"].as_str().unwrap().to_owned()
    };
    let cursors = [
        (
            "/api/v1/users",
            cursor_of("/api/v1/users", &app.admin).await,
        ),
        (
            "/api/v1/projects",
            cursor_of("/api/v1/projects", &ada).await,
        ),
        (members.as_str(), cursor_of(&members, &ada).await),
    ];
    for (path, _) in &cursors {
        for limit in ["0", "201"] {
            let reply = app.get(&format!("{path}?limit={limit}"), &app.admin).await;
            assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert_eq!(reply.body["field"], "limit", "{reply:?}");
        }
        let mut foreign: Vec<String> = cursors
            .iter()
            .filter(|(other, _)| other != path)
            .map(|(_, cursor)| cursor.clone())
            .collect();
        foreign.push("not-a-cursor".into());
        for cursor in foreign {
            let reply = app
                .get(&format!("{path}?cursor={cursor}"), &app.admin)
                .await;
            assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
            assert_eq!(reply.body["field"], "cursor", "{reply:?}");
        }
    }
}
