"""A chained step's own statements, run the ways issue 23 names, beside the
durable-commit floor measured in the same run on the same database.

It answers one question: with every hop removed, how many floors does the
step's work itself cost? The statements are the engine's (fenced settle,
dependents' counts, ready read, labels and dependencies, claim, plan status,
8 events with their foreign keys and feed indexes), on a schema migrated by
agentry itself; the Rust around them (the run, the settler) is not here.

Modes:
  sqlite FILE  every statement from one thread, in-process, WAL synced
               (`synchronous = FULL`): what a writer thread owning its
               connection runs, with no driver hop per statement;
  pg-rt URL    the same statements from the client, one round trip each, as
               the store sends them today;
  pg-fn URL    the same statements in one PL/pgSQL function: one round trip
               per step, committed on its own.
The function settles one task (the client modes send the store's batch
form) and does not read the claimed task's labels and dependencies, which the
store reads to build its event (0.01 ms on the server).
VARIANT=no-feed-indexes drops the event log's feed indexes first (to
measure their share; the product needs them). EXPLAIN=1 (pg-fn) logs each
statement inside the function through auto_explain.

Setup (a fresh database, migrated by starting agentry-api on it once):
  agentry-api --database-url 'sqlite:///tmp/x/base.db?mode=rwc'   # then stop it
  python3 chained_step.py sqlite /tmp/x/run.db 300                # on a copy
  python3 -m venv v && v/bin/pip install 'psycopg[binary]'
  v/bin/python chained_step.py pg-fn postgres://postgres@127.0.0.1:5432/x 300
"""
import json, os, sys, time, uuid, statistics
from datetime import datetime, timezone, timedelta

MODE, TARGET = sys.argv[1], sys.argv[2]
STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 300
VARIANT = os.environ.get("VARIANT", "")

def now():
    return datetime.now(timezone.utc)

def u7():
    """A time-ordered id shaped like UUID v7 (the product's ids), version bits aside."""
    return uuid.UUID(int=(time.time_ns() // 1_000_000 << 80) | (uuid.uuid4().int & ((1 << 80) - 1)))

if MODE == "sqlite":
    import sqlite3
    db = sqlite3.connect(TARGET, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON"); db.execute("PRAGMA busy_timeout=5000")
    P = "?"
    def U(x): return x.bytes
    def T(x): return x.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    def ex(sql, args=()): return db.execute(sql, args).fetchall()
else:
    import psycopg
    db = psycopg.connect(TARGET, autocommit=True, prepare_threshold=0)
    P = "%s"
    def U(x): return x
    def T(x): return x
    def ex(sql, args=()):
        cur = db.execute(sql, args)
        return cur.fetchall() if cur.description else []

if VARIANT == "no-feed-indexes":
    for name in ["idx_events_project", "idx_events_project_type", "idx_events_task",
                 "idx_events_task_type", "idx_events_parent", "idx_events_type",
                 "idx_events_parent_type"]:
        ex(f"DROP INDEX IF EXISTS {name}")

# --- the world: a user, a project, an agent member, a plan, a chain --------
t0 = now()
user, project, member, plan = u7(), u7(), u7(), u7()
ex(f"INSERT INTO users (id, name, is_admin, created_at) VALUES ({P},{P},{P},{P})",
   (U(user), "u" + uuid.uuid4().hex[:8], False, T(t0)))
ex(f"INSERT INTO projects (id, name, key, description, task_seq, created_at) VALUES ({P},{P},{P},{P},{P},{P})",
   (U(project), "p" + uuid.uuid4().hex[:8], "K" + uuid.uuid4().hex[:6].upper(), "", STEPS + 1, T(t0)))
ex(f"INSERT INTO members (id, project_id, kind, user_id, handle, display_name, assistant_id, created_at) VALUES ({P},{P},{P},{P},{P},{P},{P},{P})",
   (U(member), U(project), "agent", None, "writer", "Writer", None, T(t0)))
ex(f"INSERT INTO plans (id, project_id, thread_id, goal, status, aborted, created_by, created_at, updated_at) VALUES ({P},{P},{P},{P},{P},{P},{P},{P},{P})",
   (U(plan), U(project), None, "g", "in_progress", False, None, T(t0), T(t0)))
tasks = [u7() for _ in range(STEPS + 1)]
for i, t in enumerate(tasks):
    ex(f"INSERT INTO tasks (id, project_id, number, title, description, status, priority, assignee_id, version, created_at, updated_at, plan_id, client_id, agent_type, can_parallel, progress, retry_count, max_retries, error_message, result, started_at, completed_at, deps_open, not_before, lease_owner, lease_until, fence) VALUES ({','.join([P]*27)})",
       (U(t), U(project), i + 1, f"t{i}", "", "in_progress" if i == 0 else "pending", "medium", U(member), 1,
        T(t0), T(t0), U(plan), f"c{i}", "writer", True, 0, 0, 2, None, None, T(t0) if i == 0 else None, None,
        0 if i == 0 else 1, None, "w" if i == 0 else None, T(t0 + timedelta(hours=1)) if i == 0 else None, 1 if i == 0 else 0))
    if i:
        ex(f"INSERT INTO task_dependencies (task_id, depends_on_id) VALUES ({P},{P})", (U(t), U(tasks[i - 1])))
if MODE != "sqlite":
    ex("ANALYZE")  # as autovacuum would soon: the statements' plans depend on it
ex("CREATE TABLE IF NOT EXISTS experiment_floor (id INTEGER PRIMARY KEY, at TEXT)" if MODE == "sqlite"
   else "CREATE TABLE IF NOT EXISTS experiment_floor (id BIGSERIAL PRIMARY KEY, at TEXT)")

TS = P if MODE == "sqlite" else "%s::timestamptz"
SETTLE = f"""WITH s(id, fence, expired, releases, status, progress, retry_count, error_message, result, started_at, completed_at, not_before, updated_at)
 AS (VALUES ({P}, {P}, {P}, {P}, {P}, {P}, {P}, {P}, {P}, {TS}, {TS}, {TS}, {TS}))
 UPDATE tasks SET status = s.status, version = tasks.version + 1, updated_at = s.updated_at, progress = s.progress,
   retry_count = s.retry_count, error_message = s.error_message, result = s.result, started_at = s.started_at,
   completed_at = s.completed_at,
   lease_owner = CASE WHEN s.releases THEN NULL ELSE tasks.lease_owner END,
   lease_until = CASE WHEN s.releases THEN NULL ELSE tasks.lease_until END,
   not_before = CASE WHEN s.releases THEN s.not_before ELSE tasks.not_before END
 FROM s WHERE tasks.id = s.id AND tasks.fence = s.fence AND tasks.status = 'in_progress'
   AND CASE WHEN s.expired THEN tasks.lease_until < {P} ELSE tasks.lease_until >= {P} END RETURNING tasks.id"""
UNBLOCK = f"""UPDATE tasks SET deps_open = deps_open - (SELECT COUNT(task_dependencies.task_id) FROM task_dependencies
 WHERE task_dependencies.task_id = tasks.id AND depends_on_id IN ({P}))
 WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on_id IN ({P}))"""
READY = f"""SELECT t.* FROM tasks t WHERE t.deps_open = 0 AND t.status IN ('pending', 'retrying')
 AND (t.not_before IS NULL OR t.not_before <= {P}) AND t.plan_id IS NOT NULL AND t.plan_id IN ({P})
 AND (t.agent_type IS NOT NULL OR EXISTS (SELECT 1 FROM members m WHERE m.id = t.assignee_id AND m.kind = 'agent' AND m.assistant_id IS NOT NULL))
 AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.plan_id = t.plan_id AND r.status = 'in_progress' AND r.can_parallel = false)
 AND (t.can_parallel = true OR NOT EXISTS (SELECT 1 FROM tasks q WHERE q.plan_id = t.plan_id AND q.status = 'in_progress')) LIMIT 4"""
LABELS = f"SELECT task_id, label_id FROM task_labels WHERE task_id IN ({P})"
DEPS = f"SELECT task_id, depends_on_id FROM task_dependencies WHERE task_id IN ({P})"
CLAIM = f"""UPDATE tasks SET status = 'in_progress', version = version + 1, updated_at = {P}, started_at = COALESCE(started_at, {P}),
 error_message = NULL, lease_owner = {P}, lease_until = {P}, fence = fence + 1, not_before = NULL
 WHERE id IN ({P}) AND status IN ('pending', 'retrying')"""
REFRESH = f"""SELECT p.status, p.aborted, p.project_id, t.status, COUNT(t.plan_id) FROM plans p LEFT JOIN tasks t ON t.plan_id = p.id
 WHERE p.id = {P} GROUP BY p.status, p.aborted, p.project_id, t.status"""
COLS = "id, project_id, type, actor_id, task_id, parent_id, payload, created_at, updated_at"

def events_for(done, nxt, at):
    """The step's 8 events: the finished run's seven, the claim's one."""
    kinds = [("agent.started", member), ("turn.started", member), ("agent.stream.done", member),
             ("turn.completed", member), ("agent.completed", member), ("task_status", None),
             ("task_progress", None)]
    rows = []
    for k, actor in kinds:
        rows.append((u7(), project, k, actor, done, None,
                     json.dumps({"task_id": str(done), "model": "scripted", "usage": {"prompt_tokens": 12, "completion_tokens": 7}, "status": "done"}), at, at))
    rows.append((u7(), project, "task_status", None, nxt, None,
                 json.dumps({"task_id": str(nxt), "from": "pending", "to": "in_progress"}), at, at))
    return rows

class Parts:
    """Each part of a client-driven step: the time since the part before."""

    def __init__(self):
        self.times, self.last = {}, None

    def start(self):
        self.last = time.perf_counter()

    def __call__(self, name):
        now = time.perf_counter()
        self.times.setdefault(name, []).append((now - self.last) * 1000)
        self.last = now

mark = Parts()

def step_client(i):
    done, nxt, at = tasks[i], tasks[i + 1], now()
    mark.start()
    if MODE == "sqlite":
        ex("BEGIN IMMEDIATE")
    else:
        ex("BEGIN")
        ex(f"SELECT id FROM plans WHERE id = {P} FOR UPDATE", (plan,))
    mark("begin")
    w = ex(SETTLE, (U(done), 1, False, True, "done", 100, 0, None, '{"ok":true}', T(t0), T(at), None, T(at), T(at), T(at)))
    assert len(w) == 1, w
    mark("settle")
    ex(UNBLOCK, (U(done), U(done)))
    mark("unblock")
    ready = ex(READY, (T(at), U(plan)))
    assert len(ready) == 1, (i, ready)
    mark("ready")
    ex(LABELS, (U(nxt),)); ex(DEPS, (U(nxt),))
    mark("labels+deps")
    ex(CLAIM, (T(at), T(at), "w", T(at + timedelta(minutes=5)), U(nxt)))
    mark("claim")
    ex(REFRESH, (U(plan),))
    mark("refresh")
    rows = events_for(done, nxt, at)
    if MODE == "sqlite":
        seq = ex("SELECT COALESCE(MAX(seq), 0) + 1 FROM events")[0][0]
        ex(f"INSERT INTO events ({COLS}, seq) VALUES " + ", ".join(["(?,?,?,?,?,?,?,?,?,?)"] * len(rows)),
           [v for r in rows for v in (U(r[0]), U(r[1]), r[2], U(r[3]) if r[3] else None, U(r[4]), None, r[6], T(r[7]), T(r[8]), seq)])
        mark("events")
        ex("COMMIT")
        mark("commit")
    else:
        ex(f"INSERT INTO events ({COLS}) VALUES " + ", ".join([f"(%s,%s,%s,%s,%s,%s,%s::jsonb,%s,%s)"] * len(rows)),
           [v for r in rows for v in r])
        ex("SELECT pg_notify('agentry_events', '1')")
        mark("events+notify")
        ex("COMMIT")
        mark("commit")

FUNCTION = """
CREATE OR REPLACE FUNCTION experiment_step(p_plan uuid, p_done uuid, p_fence bigint, p_result text, p_now timestamptz,
  p_worker text, p_until timestamptz, p_events jsonb) RETURNS SETOF tasks LANGUAGE plpgsql AS $$
DECLARE n int; claimed uuid[];
BEGIN
  PERFORM 1 FROM plans WHERE id = p_plan FOR UPDATE;
  UPDATE tasks SET status = 'done', version = version + 1, updated_at = p_now, progress = 100, result = p_result,
    completed_at = p_now, lease_owner = NULL, lease_until = NULL
   WHERE id = p_done AND fence = p_fence AND status = 'in_progress' AND lease_until >= p_now;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n = 0 THEN RETURN; END IF;
  UPDATE tasks SET deps_open = deps_open - (SELECT COUNT(d.task_id) FROM task_dependencies d
     WHERE d.task_id = tasks.id AND d.depends_on_id = p_done)
   WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on_id = p_done);
  SELECT array_agg(t.id) INTO claimed FROM (SELECT t.id FROM tasks t WHERE t.deps_open = 0 AND t.status IN ('pending', 'retrying')
   AND (t.not_before IS NULL OR t.not_before <= p_now) AND t.plan_id = p_plan
   AND (t.agent_type IS NOT NULL OR EXISTS (SELECT 1 FROM members m WHERE m.id = t.assignee_id AND m.kind = 'agent' AND m.assistant_id IS NOT NULL))
   AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.plan_id = t.plan_id AND r.status = 'in_progress' AND r.can_parallel = false)
   AND (t.can_parallel = true OR NOT EXISTS (SELECT 1 FROM tasks q WHERE q.plan_id = t.plan_id AND q.status = 'in_progress')) LIMIT 1) t;
  PERFORM 1 FROM plans p LEFT JOIN tasks t ON t.plan_id = p.id WHERE p.id = p_plan GROUP BY p.status, p.aborted, p.project_id, t.status;
  INSERT INTO events (id, project_id, type, actor_id, task_id, parent_id, payload, created_at, updated_at)
   SELECT (e->>'id')::uuid, (e->>'project_id')::uuid, e->>'type', (e->>'actor_id')::uuid, (e->>'task_id')::uuid, NULL,
          e->'payload', p_now, p_now FROM jsonb_array_elements(p_events) e;
  PERFORM pg_notify('agentry_events', '1');
  RETURN QUERY UPDATE tasks SET status = 'in_progress', version = version + 1, updated_at = p_now,
    started_at = COALESCE(started_at, p_now), error_message = NULL, lease_owner = p_worker, lease_until = p_until,
    fence = fence + 1, not_before = NULL WHERE id = ANY(claimed) AND status IN ('pending', 'retrying') RETURNING *;
END $$;
"""

def step_function(i):
    done, nxt, at = tasks[i], tasks[i + 1], now()
    evs = [{"id": str(r[0]), "project_id": str(r[1]), "type": r[2], "actor_id": str(r[3]) if r[3] else None,
            "task_id": str(r[4]), "payload": json.loads(r[6])} for r in events_for(done, nxt, at)]
    got = ex("SELECT * FROM experiment_step(%s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
             (plan, done, 1, '{"ok":true}', at, "w", at + timedelta(minutes=5), json.dumps(evs)))
    assert len(got) == 1, (i, got)

def floor_commit():
    ex(f"INSERT INTO experiment_floor (at) VALUES ({P})", ("x",))

def timed(fn, n):
    out = []
    for i in range(n):
        a = time.perf_counter(); fn(i); out.append((time.perf_counter() - a) * 1000)
    return out

if MODE == "pg-fn":
    ex(FUNCTION)
    if os.environ.get("EXPLAIN"):
        ex("LOAD 'auto_explain'"); ex("SET auto_explain.log_min_duration = 0")
        ex("SET auto_explain.log_nested_statements = on"); ex("SET auto_explain.log_analyze = on")
        ex("SET auto_explain.log_timing = on")
step = step_function if MODE == "pg-fn" else step_client
floor = timed(lambda i: floor_commit(), 300)
steps = timed(step, STEPS)
floor2 = timed(lambda i: floor_commit(), 300)
f = statistics.median(floor + floor2)
s = statistics.median(steps)
print(f"{MODE}{'/' + VARIANT if VARIANT else ''}: step median {s:.3f} ms, floor median {f:.3f} ms, step/floor {s / f:.1f}")

for k, v in mark.times.items():  # the client modes' parts, median per step
    print(f"  {k:14} {statistics.median(v):.3f} ms")
