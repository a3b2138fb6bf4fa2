"""The README's flows through the Python client that openapi-python-client
generates from docs/openapi.json, against a running agentry-api.

Every call goes through the generated functions and every answer is parsed into
the generated models; an answer the spec does not describe (a null where the spec
allows none, an unknown enum value, a missing field) raises here.

    python flows.py BASE_URL ADMIN_TOKEN    (the generated package on PYTHONPATH)
"""

import sys
import uuid

from agentry_client import AuthenticatedClient
from agentry_client.api.accounts import create_token, create_user, get_me, list_tokens, list_users, revoke_token
from agentry_client.api.attachments import create_attachment, list_attachments
from agentry_client.api.channels import create_channel, get_channel, list_channels, receive_update
from agentry_client.api.events import create_event, get_event, list_events
from agentry_client.api.plans import (
    abort_plan,
    create_plan,
    delete_plan,
    get_plan,
    get_plan_usage,
    list_plans,
    skip_plan_task,
)
from agentry_client.api.projects import add_member, create_label, create_project, list_members, list_projects
from agentry_client.api.registry import (
    assistant_openai_tools,
    create_assistant,
    create_tool,
    link_tool,
    list_assistants,
    list_tools,
    registry_revision,
    resolve_assistant,
    update_assistant,
)
from agentry_client.api.squads import (
    add_squad_member,
    create_squad,
    create_workflow,
    get_workflow_version,
    list_workflow_templates,
    list_workflow_versions,
    save_workflow_definition,
)
from agentry_client.api.tasks import (
    create_task,
    create_task_link,
    get_task,
    list_task_links,
    list_tasks,
    update_task,
)
from agentry_client.models import (
    DefinitionIn,
    SquadIn,
    SquadMemberIn,
    SquadMemberOut,
    SquadOut,
    SquadStatus,
    TemplatePageOut,
    WorkflowDefinition,
    WorkflowIn,
    WorkflowVersionOut,
    WorkflowVersionPageOut,
    WorkflowWithDefinitionOut,
    CreatePlanIn,
    PlanOut,
    PlanPageOut,
    PlanStatus,
    PlanTaskIn,
    PlanUsageOut,
    AddMember,
    AssistantIn,
    AssistantKind,
    AssistantOut,
    AssistantPageOut,
    AssistantPatch,
    AttachmentOut,
    ChannelKind,
    ChannelOut,
    CreateChannel,
    ReceiptOut,
    SenderIn,
    UpdateIn,
    CreateLabel,
    CreateLinkIn,
    CreateProject,
    CreateTaskIn,
    CreateToken,
    CreateUser,
    CreatedProject,
    CreatedUser,
    EventOut,
    EventPageOut,
    EventType,
    IssuedToken,
    LabelOut,
    LinkKind,
    LinkOut,
    LinksOut,
    MemberKind,
    MemberOut,
    MemberPageOut,
    OpenAiToolsOut,
    PatchTaskIn,
    PostEventIn,
    PostableType,
    Problem,
    ProjectPageOut,
    ResolvedOut,
    RevisionOut,
    TaskOut,
    TaskPageOut,
    TaskStatus,
    TokenOut,
    ToolIn,
    ToolKind,
    ToolLinkOut,
    ToolOut,
    ToolPageOut,
    UserOut,
    UserPageOut,
)
from agentry_client.types import UNSET, File


def ok(response, model, status=200):
    """The parsed body of a successful call, of the model the spec names."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content)
    return response.parsed


def refused(response, status):
    """A refused call answers an RFC 7807 problem of `status`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, Problem), response.content
    assert response.parsed.status == status
    return response.parsed


def client(base, token):
    return AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)


def post(ada, project, kind, payload, task=UNSET, parent=UNSET):
    body = PostEventIn(project_id=project, type_=kind, payload=payload, task_id=task, parent_id=parent)
    return ok(create_event.sync_detailed(client=ada, body=body), EventOut, 201)


def feed(ada, **query):
    """Every event of a feed, newest first, paged to its end two at a time."""
    seen, cursor = [], UNSET
    while True:
        page = ok(list_events.sync_detailed(client=ada, limit=2, cursor=cursor, **query), EventPageOut)
        assert len(page.events) <= 2
        seen += [e.type_ for e in page.events]
        if isinstance(page.next_cursor, str):
            cursor = page.next_cursor
        else:
            return seen


def tracker_and_chat(base, admin):
    created = ok(create_user.sync_detailed(client=admin, body=CreateUser(name="Ada")), CreatedUser, 201)
    ada = client(base, created.token.secret)
    started = ok(
        create_project.sync_detailed(client=ada, body=CreateProject(name="Test", key="TE")),
        CreatedProject,
        201,
    )
    project, me = started.project.id, started.member.id
    coder = ok(
        add_member.sync_detailed(project, client=ada, body=AddMember(kind=MemberKind.AGENT, handle="@coder")),
        MemberOut,
        201,
    )
    assert coder.handle == "coder" and coder.user_id is UNSET
    first = ok(list_members.sync_detailed(project, client=ada, limit=1), MemberPageOut)
    assert [m.id for m in first.members] == [me] and isinstance(first.next_cursor, str)
    rest = ok(list_members.sync_detailed(project, client=ada, cursor=first.next_cursor), MemberPageOut)
    assert [m.id for m in rest.members] == [coder.id] and rest.next_cursor is UNSET
    mine = ok(list_projects.sync_detailed(client=ada), ProjectPageOut)
    assert [p.id for p in mine.projects] == [project] and mine.next_cursor is UNSET
    bug = ok(
        create_label.sync_detailed(project, client=ada, body=CreateLabel(name="bug", color="#d73a4a")),
        LabelOut,
        201,
    )

    created = create_task.sync_detailed(project, client=ada, body=CreateTaskIn(title="Write the guide", labels=[bug.id]))
    assert created.headers["etag"] == '"1"'
    task = ok(created, TaskOut, 201)
    assert (task.key, task.status, task.assignee_id) == ("TE-1", TaskStatus.BACKLOG, UNSET)
    moved = ok(
        update_task.sync_detailed(
            task.id,
            client=ada,
            if_match='"1"',
            body=PatchTaskIn(status=TaskStatus.IN_PROGRESS, assignee_id=coder.id),
        ),
        TaskOut,
    )
    assert (moved.version, moved.assignee_id) == (2, coder.id)
    refused(update_task.sync_detailed(task.id, client=ada, if_match='"1"', body=PatchTaskIn(title="lost")), 412)
    refused(update_task.sync_detailed(task.id, client=ada, body=PatchTaskIn(status=TaskStatus.BACKLOG)), 409)
    unassigned = ok(update_task.sync_detailed(task.id, client=ada, body=PatchTaskIn(assignee_id=None)), TaskOut)
    assert unassigned.assignee_id is UNSET
    assert ok(get_task.sync_detailed(task.id, client=ada), TaskOut).version == 3

    other = ok(create_task.sync_detailed(project, client=ada, body=CreateTaskIn(title="Review it")), TaskOut, 201)
    ok(
        create_task_link.sync_detailed(task.id, client=ada, body=CreateLinkIn(target_task_id=other.id, kind=LinkKind.BLOCKS)),
        LinkOut,
        201,
    )
    assert len(ok(list_task_links.sync_detailed(other.id, client=ada), LinksOut).incoming) == 1
    page = ok(list_tasks.sync_detailed(project, client=ada, limit=1), TaskPageOut)
    second = ok(list_tasks.sync_detailed(project, client=ada, limit=1, cursor=page.next_cursor), TaskPageOut)
    assert [t.key for t in page.tasks + second.tasks] == ["TE-1", "TE-2"] and second.next_cursor is UNSET

    chat = post(ada, project, PostableType.CHAT_MESSAGE, {"content": "@coder see TE-1"})
    assert chat.type_ == "chat_message" and chat.actor_id == me
    assert [m["handle"] for m in chat.payload.to_dict()["mentions"]] == ["coder"]
    for n in range(3):
        post(ada, project, PostableType.TASK_COMMENT, {"content": f"comment {n}"}, task=task.id, parent=chat.id)
    assert ok(get_event.sync_detailed(chat.id, client=ada), EventOut).id == chat.id

    panel = [
        EventType.CHAT_MESSAGE,
        EventType.TASK_CREATED,
        EventType.TASK_STATUS,
        EventType.TASK_ASSIGNED,
        EventType.TASK_UNASSIGNED,
    ]
    chat_panel = feed(ada, project_id=project, types=panel)
    assert chat_panel == [
        "chat_message",
        "task_created",
        "task_unassigned",
        "task_assigned",
        "task_status",
        "task_created",
    ], chat_panel
    task_feed = feed(ada, task_id=task.id)
    assert task_feed[:3] == ["task_comment"] * 3 and task_feed[-1] == "task_created", task_feed
    timeline = feed(ada, project_id=project)
    assert timeline[-2:] == ["member_added", "project_created"] and len(timeline) == 15, timeline
    refused(list_events.sync_detailed(client=ada, project_id=project, limit=0), 422)
    return ada, project


def registry(base, admin):
    secretary = ok(
        create_assistant.sync_detailed(
            client=admin,
            body=AssistantIn(
                name="Secretary",
                is_secretary=True,
                model="gpt-4o",
                instructions="Plan the day.",
                assistant_type=AssistantKind.LLM,
            ),
        ),
        AssistantOut,
        201,
    )
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    weather = ok(
        create_tool.sync_detailed(
            client=admin,
            body=ToolIn(name="get_weather", tool_type=ToolKind.WEATHER, description="Weather for a city", input_schema=schema),
        ),
        ToolOut,
        201,
    )
    ok(link_tool.sync_detailed(secretary.id, weather.id, client=admin), ToolLinkOut, 201)
    resolved = ok(resolve_assistant.sync_detailed(secretary.id, client=admin), ResolvedOut)
    assert [t.tool.name for t in resolved.tools] == ["get_weather"]
    openai = ok(assistant_openai_tools.sync_detailed(secretary.id, client=admin), OpenAiToolsOut)
    assert openai.tools[0]["function"]["name"] == "get_weather"
    updated = ok(
        update_assistant.sync_detailed(secretary.id, client=admin, body=AssistantPatch(model="gpt-5")),
        AssistantOut,
    )
    assert (updated.model, updated.revision) == ("gpt-5", 2)
    refused(update_assistant.sync_detailed(secretary.id, client=admin, if_match='"1"', body=AssistantPatch(model="x")), 412)
    assert len(ok(list_assistants.sync_detailed(client=admin, limit=1), AssistantPageOut).assistants) == 1
    assert len(ok(list_tools.sync_detailed(client=admin, tool_type=ToolKind.WEATHER), ToolPageOut).tools) == 1
    assert ok(registry_revision.sync_detailed(client=admin), RevisionOut).revision == 4
    changes = feed(admin, types=[EventType.ASSISTANT_CREATED, EventType.TOOL_LINKED])
    assert changes == ["tool_linked", "assistant_created"], changes


def accounts_and_attachments(base, admin, ada, project):
    issued = ok(create_token.sync_detailed(client=ada, body=CreateToken(name="laptop")), IssuedToken, 201)
    laptop = client(base, issued.secret)
    assert ok(get_me.sync_detailed(client=laptop), UserOut).is_admin is False
    revoked = ok(revoke_token.sync_detailed(issued.token.id, client=ada), TokenOut)
    assert revoked.revoked_at is not UNSET
    refused(get_me.sync_detailed(client=laptop), 401)
    assert len(ok(list_tokens.sync_detailed(client=ada), list)) == 2
    users, cursor = [], UNSET
    while True:
        page = ok(list_users.sync_detailed(client=admin, limit=1, cursor=cursor), UserPageOut)
        users += [u.name for u in page.users]
        if not isinstance(page.next_cursor, str):
            break
        cursor = page.next_cursor
    assert users[:2] == ["admin", "Ada"], users

    note = post(ada, project, PostableType.CHAT_MESSAGE, {"content": "the log"})
    log = File(payload=b"line one\n", file_name="run.log", mime_type="text/plain")
    stored = ok(
        create_attachment.sync_detailed(note.id, client=ada, body=log, filename="run.log", content_type="text/plain"),
        AttachmentOut,
        201,
    )
    assert stored.size_bytes == 9
    assert [a.id for a in ok(list_attachments.sync_detailed(note.id, client=ada), list)] == [stored.id]
    refused(get_event.sync_detailed(uuid.uuid4(), client=ada), 404)


def plans(base, ada, project):
    tasks = [
        PlanTaskIn(id="research", title="Collect sources", agent_type="Researcher"),
        PlanTaskIn(id="draft", title="Write the draft", agent_type="Writer", depends_on=["research"]),
    ]
    plan = ok(create_plan.sync_detailed(client=ada, body=CreatePlanIn(project_id=project, goal="A report", tasks=tasks)), PlanOut, 201)
    assert plan.status == PlanStatus.PENDING
    assert [t.id for t in plan.tasks] == ["research", "draft"]
    assert plan.tasks[1].depends_on == ["research"]
    cycle = [PlanTaskIn(id="a", title="a", depends_on=["b"]), PlanTaskIn(id="b", title="b", depends_on=["a"])]
    refused(create_plan.sync_detailed(client=ada, body=CreatePlanIn(project_id=project, goal="g", tasks=cycle)), 422)
    skipped = ok(skip_plan_task.sync_detailed(plan.id, plan.tasks[1].task_id, client=ada), PlanOut)
    assert skipped.tasks[1].status.value == "skipped"
    assert ok(get_plan.sync_detailed(plan.id, client=ada), PlanOut).status == PlanStatus.IN_PROGRESS
    aborted = ok(abort_plan.sync_detailed(plan.id, client=ada), PlanOut)
    assert aborted.status == PlanStatus.ABORTED
    listed = ok(list_plans.sync_detailed(project, client=ada, status=PlanStatus.ABORTED), PlanPageOut)
    assert [p.id for p in listed.plans] == [plan.id]
    assert ok(get_plan_usage.sync_detailed(plan.id, client=ada), PlanUsageOut).totals.turns == 0
    assert delete_plan.sync_detailed(plan.id, client=ada).status_code == 204
    refused(get_plan.sync_detailed(plan.id, client=ada), 404)


def channels(base, ada, project):
    """A bridge's round: bind a channel, post updates, redeliver one, resume from the offset."""
    channel = ok(create_channel.sync_detailed(client=ada, body=CreateChannel(project_id=project, name="Telegram")), ChannelOut, 201)
    assert channel.kind == ChannelKind.TELEGRAM and channel.offset == 0
    def update(n, text):
        return UpdateIn(update_id=n, sender=SenderIn(id="tg:1", name="Bob"), text=text)
    first = ok(receive_update.sync_detailed(channel.id, client=ada, body=update(7, "hello")), ReceiptOut, 201)
    assert not first.duplicate and first.message.type_ == EventType.CHAT_MESSAGE
    again = ok(receive_update.sync_detailed(channel.id, client=ada, body=update(7, "hello?")), ReceiptOut, 200)
    assert again.duplicate and again.message.id == first.message.id
    refused(receive_update.sync_detailed(channel.id, client=ada, body=update(-1, "x")), 422)
    assert ok(get_channel.sync_detailed(channel.id, client=ada), ChannelOut).offset == 8
    listed = list_channels.sync_detailed(client=ada, project_id=project)
    assert listed.status_code == 200 and [c.offset for c in listed.parsed] == [8]


def squads(base, admin, ada):
    writer, reviewer = (
        ok(
            create_assistant.sync_detailed(
                client=admin, body=AssistantIn(name=name, model="gpt-4o", assistant_type=AssistantKind.LLM)
            ),
            AssistantOut,
            201,
        )
        for name in ("Writer", "Reviewer")
    )
    squad = ok(
        create_squad.sync_detailed(
            client=ada, body=SquadIn(name="Editorial", status=SquadStatus.ACTIVE, price_per_execution="0.25")
        ),
        SquadOut,
        201,
    )
    assert squad.price_per_execution == "0.250000"
    for member, role in ((writer, "writer"), (reviewer, "reviewer")):
        ok(
            add_squad_member.sync_detailed(squad.id, client=ada, body=SquadMemberIn(assistant_id=member.id, role=role)),
            SquadMemberOut,
            201,
        )
    templates = ok(list_workflow_templates.sync_detailed(client=ada, category="review", is_builtin=True), TemplatePageOut)
    review = templates.templates[0]
    made = create_workflow.sync_detailed(squad.id, client=ada, body=WorkflowIn(name="Essay", template_id=review.id))
    etag = made.headers["etag"]
    made = ok(made, WorkflowWithDefinitionOut, 201)
    assert made.current.definition.to_dict() == review.definition.to_dict()
    second = made.current.definition.to_dict()
    second["nodes"][0]["instructions"] = "A shorter draft of {{input.brief}}"
    body = DefinitionIn(definition=WorkflowDefinition.from_dict(second))
    saved = ok(
        save_workflow_definition.sync_detailed(made.workflow.id, client=ada, if_match=etag, body=body),
        WorkflowWithDefinitionOut,
    )
    assert saved.current.version == 2
    refused(save_workflow_definition.sync_detailed(made.workflow.id, client=ada, if_match=etag, body=body), 412)
    first = ok(get_workflow_version.sync_detailed(made.workflow.id, 1, client=ada), WorkflowVersionOut)
    assert first.definition.to_dict() == review.definition.to_dict()
    again = ok(get_workflow_version.sync_detailed(made.workflow.id, 2, client=ada), WorkflowVersionOut)
    assert again.definition.to_dict() == second
    versions = ok(list_workflow_versions.sync_detailed(made.workflow.id, client=ada), WorkflowVersionPageOut)
    assert [v.version for v in versions.versions] == [2, 1]


def main(base, token):
    admin = client(base, token)
    ada, project = tracker_and_chat(base, admin)
    registry(base, admin)
    accounts_and_attachments(base, admin, ada, project)
    plans(base, ada, project)
    channels(base, ada, project)
    squads(base, admin, ada)
    print("python client flows: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
