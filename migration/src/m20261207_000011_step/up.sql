-- The engine's step on PostgreSQL as one call: settlements written under
-- their plans' locks, their dependents' counts moved, a claim of what they
-- made ready (or, with no settlements, of any ready task), and the facts
-- the caller derives events and plan statuses from. What the store did in
-- a dozen round trips, in one; what the caller adds (the events, a plan's
-- moved status) follows in the same transaction.
--
-- The claim implements the scheduling rule (agentry_domain's
-- planning::schedule): `is_ready` is the WHERE clause of the two window
-- reads, `choose` the loop over the window. A differential test holds both
-- to the rule on random sets of tasks.
--
-- Arguments:
--   p_settled      the settlements, a JSON array of objects with the
--                  columns of `settled` below
--   p_now          the step's time
--   p_worker       who claims; NULL: no claim
--   p_limit        how many it may claim
--   p_window       how many ready tasks it reads at most
--                  (`schedule::window(p_limit)`)
--   p_lease_until  the claimed tasks' lease
--   p_anywhere     claim from any plan (a worker's own claim) rather than
--                  from the plans the settlements moved
-- Returns a JSON object:
--   written  ids of the settlements whose fence and lease held
--   claimed  each claimed task as it was before the claim: `task` (its
--            row), `labels`, `depends_on`; in id order
--   read     how many ready tasks the claim read (more than it took: some
--            are left for other workers)
--   plans    for every plan moved or claimed in: `id`, `status`,
--            `aborted`, `project_id`, `counts`: 1 for each status some
--            task of the plan is in (`PlanStatus::derive` reads which
--            statuses are present, not how many: the statuses are found
--            with a probe of the (plan_id, status) index each, where
--            counting would read every task of the plan on every step)
CREATE FUNCTION agentry_step(
    p_settled jsonb, p_now timestamptz, p_worker text,
    p_limit integer, p_window integer, p_lease_until timestamptz, p_anywhere boolean
) RETURNS jsonb LANGUAGE plpgsql
-- Its statements are planned once per connection, not on every call: a
-- custom plan per call cost more than the work itself (measured).
SET plan_cache_mode = force_generic_plan
AS $step$
DECLARE
    v_written uuid[] := '{}';
    v_done uuid[] := '{}';
    v_moved uuid[] := '{}';
    v_window uuid[] := '{}';
    v_locked uuid[];
    v_chosen uuid[] := '{}';
    v_taken uuid[] := '{}';
    v_alone uuid[] := '{}';
    v_claimed jsonb := '[]';
    v_plans uuid[];
    v_candidate record;
BEGIN
    -- The settlements' plans in id order, as every write of plan tasks
    -- locks them (a task never changes plans: reading its plan first is
    -- safe), then their rows in id order, as heartbeats lock them: no cycle
    -- of waits.
    PERFORM 1 FROM plans
     WHERE id = ANY(ARRAY(SELECT plan_id FROM tasks WHERE id = ANY(ARRAY(
                    SELECT (s->>'id')::uuid FROM jsonb_array_elements(p_settled) s))))
     ORDER BY id FOR UPDATE;
    PERFORM 1 FROM tasks
     WHERE id = ANY(ARRAY(SELECT (s->>'id')::uuid FROM jsonb_array_elements(p_settled) s))
     ORDER BY id FOR UPDATE;
    WITH settled AS (
        SELECT * FROM jsonb_to_recordset(p_settled) AS s(
            id uuid, fence bigint, expired boolean, releases boolean, status text,
            progress integer, retry_count integer, error_message text, result text,
            started_at timestamptz, completed_at timestamptz, not_before timestamptz,
            updated_at timestamptz)
    ), written AS (
        UPDATE tasks SET status = s.status, version = tasks.version + 1,
               updated_at = s.updated_at, progress = s.progress,
               retry_count = s.retry_count, error_message = s.error_message,
               result = s.result, started_at = s.started_at,
               completed_at = s.completed_at,
               lease_owner = CASE WHEN s.releases THEN NULL ELSE tasks.lease_owner END,
               lease_until = CASE WHEN s.releases THEN NULL ELSE tasks.lease_until END,
               not_before = CASE WHEN s.releases THEN s.not_before ELSE tasks.not_before END
          FROM settled s
         WHERE tasks.id = s.id AND tasks.fence = s.fence
           AND tasks.status = 'in_progress'
           AND CASE WHEN s.expired THEN tasks.lease_until < p_now
                    ELSE tasks.lease_until >= p_now END
        RETURNING tasks.id, tasks.status, tasks.plan_id
    )
    SELECT coalesce(array_agg(id), '{}'),
           coalesce(array_agg(id) FILTER (WHERE status = 'done'), '{}'),
           coalesce(array_agg(DISTINCT plan_id)
                    FILTER (WHERE status <> 'in_progress' AND plan_id IS NOT NULL), '{}')
      INTO v_written, v_done, v_moved
      FROM written;

    IF cardinality(v_done) > 0 THEN
        UPDATE tasks SET deps_open = tasks.deps_open - d.n
          FROM (SELECT task_id, count(*) AS n FROM task_dependencies
                 WHERE depends_on_id = ANY(v_done) GROUP BY task_id) d
         WHERE tasks.id = d.task_id;
    END IF;

    IF p_worker IS NOT NULL AND p_limit > 0 AND (p_anywhere OR cardinality(v_moved) > 0) THEN
        -- The window: ready tasks in no order (ordering would read every
        -- ready task). `is_ready` is written out in each of the three reads
        -- below, each with the conditions its index serves as plain ones (a
        -- condition under an OR with an argument is no index condition in a
        -- generic plan, and the read would filter the whole ready queue):
        -- keep the three in step; the differential test runs all three.
        IF NOT p_anywhere THEN
            -- A settlement's claim, within the plans it moved (their locks
            -- are held): the (plan_id, status) index.
            SELECT coalesce(array_agg(w.id), '{}') INTO v_window FROM (
                SELECT t.id FROM tasks t
                 WHERE t.plan_id = ANY(v_moved)
                   AND t.deps_open = 0 AND t.status IN ('pending', 'retrying')
                   AND (t.not_before IS NULL OR t.not_before <= p_now)
                   AND t.plan_id IS NOT NULL
                   AND (t.agent_type IS NOT NULL OR EXISTS (
                        SELECT 1 FROM members m WHERE m.id = t.assignee_id
                           AND m.kind = 'agent' AND m.assistant_id IS NOT NULL))
                   AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.plan_id = t.plan_id
                                      AND r.status = 'in_progress' AND r.can_parallel = false)
                   AND (t.can_parallel = true OR NOT EXISTS (
                        SELECT 1 FROM tasks q WHERE q.plan_id = t.plan_id
                           AND q.status = 'in_progress'))
                 LIMIT p_window) w;
        ELSE
            -- A worker's own claim, from the ready index, not under the
            -- plans' locks yet: it takes them, then the tasks, skipping those
            -- another claim holds, and reads again, among those, what the
            -- wait for the plans may have changed.
            SELECT coalesce(array_agg(w.id), '{}') INTO v_window FROM (
                SELECT t.id FROM tasks t
                 WHERE t.deps_open = 0 AND t.status IN ('pending', 'retrying')
                   AND (t.not_before IS NULL OR t.not_before <= p_now)
                   AND t.plan_id IS NOT NULL
                   AND (t.agent_type IS NOT NULL OR EXISTS (
                        SELECT 1 FROM members m WHERE m.id = t.assignee_id
                           AND m.kind = 'agent' AND m.assistant_id IS NOT NULL))
                   AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.plan_id = t.plan_id
                                      AND r.status = 'in_progress' AND r.can_parallel = false)
                   AND (t.can_parallel = true OR NOT EXISTS (
                        SELECT 1 FROM tasks q WHERE q.plan_id = t.plan_id
                           AND q.status = 'in_progress'))
                 LIMIT p_window) w;
            IF cardinality(v_window) > 0 THEN
                PERFORM 1 FROM plans
                 WHERE id = ANY(ARRAY(SELECT plan_id FROM tasks WHERE id = ANY(v_window)))
                 ORDER BY id FOR UPDATE;
                SELECT coalesce(array_agg(l.id), '{}') INTO v_locked FROM (
                    SELECT id FROM tasks WHERE id = ANY(v_window) FOR UPDATE SKIP LOCKED) l;
                SELECT coalesce(array_agg(t.id), '{}') INTO v_window FROM tasks t
                 WHERE t.id = ANY(v_locked)
                   AND t.deps_open = 0 AND t.status IN ('pending', 'retrying')
                   AND (t.not_before IS NULL OR t.not_before <= p_now)
                   AND t.plan_id IS NOT NULL
                   AND (t.agent_type IS NOT NULL OR EXISTS (
                        SELECT 1 FROM members m WHERE m.id = t.assignee_id
                           AND m.kind = 'agent' AND m.assistant_id IS NOT NULL))
                   AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.plan_id = t.plan_id
                                      AND r.status = 'in_progress' AND r.can_parallel = false)
                   AND (t.can_parallel = true OR NOT EXISTS (
                        SELECT 1 FROM tasks q WHERE q.plan_id = t.plan_id
                           AND q.status = 'in_progress'));
            END IF;
        END IF;

        -- `schedule::choose`: in id order, each admitted by what the claim
        -- took of its plan before it.
        FOR v_candidate IN
            SELECT id, plan_id, can_parallel FROM tasks WHERE id = ANY(v_window) ORDER BY id
        LOOP
            EXIT WHEN cardinality(v_chosen) >= p_limit;
            CONTINUE WHEN v_candidate.plan_id = ANY(v_alone)
                OR (NOT v_candidate.can_parallel AND v_candidate.plan_id = ANY(v_taken));
            v_taken := v_taken || v_candidate.plan_id;
            IF NOT v_candidate.can_parallel THEN
                v_alone := v_alone || v_candidate.plan_id;
            END IF;
            v_chosen := v_chosen || v_candidate.id;
        END LOOP;

        -- What `Task::start` does, the same for every claimed task.
        WITH before AS (
            SELECT * FROM tasks WHERE id = ANY(v_chosen)
        ), claimed AS (
            UPDATE tasks SET status = 'in_progress', version = tasks.version + 1,
                   updated_at = p_now, started_at = coalesce(tasks.started_at, p_now),
                   error_message = NULL, lease_owner = p_worker,
                   lease_until = p_lease_until, fence = tasks.fence + 1, not_before = NULL
              FROM before
             WHERE tasks.id = before.id AND tasks.status IN ('pending', 'retrying')
            RETURNING before.*
        )
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'task', to_jsonb(c),
                   'labels', (SELECT coalesce(jsonb_agg(l.label_id ORDER BY l.label_id), '[]')
                                FROM task_labels l WHERE l.task_id = c.id),
                   'depends_on', (SELECT coalesce(jsonb_agg(d.depends_on_id ORDER BY d.depends_on_id), '[]')
                                    FROM task_dependencies d WHERE d.task_id = c.id))
                   ORDER BY c.id), '[]')
          INTO v_claimed FROM claimed c;
        IF jsonb_array_length(v_claimed) <> cardinality(v_chosen) THEN
            -- Not possible with the rows locked; never hand out a task this
            -- transaction did not move.
            RAISE EXCEPTION 'a claimed task moved during its claim';
        END IF;
    END IF;

    SELECT array_agg(DISTINCT p) INTO v_plans FROM unnest(v_moved || ARRAY(
        SELECT (c->'task'->>'plan_id')::uuid FROM jsonb_array_elements(v_claimed) c)) p;
    RETURN jsonb_build_object(
        'written', to_jsonb(v_written),
        'claimed', v_claimed,
        'read', cardinality(v_window),
        'plans', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'id', p.id, 'status', p.status, 'aborted', p.aborted,
                       'project_id', p.project_id,
                       'counts', (
                           WITH RECURSIVE present(status) AS (
                               (SELECT status FROM tasks WHERE plan_id = p.id
                                 ORDER BY status LIMIT 1)
                               UNION ALL
                               SELECT (SELECT t.status FROM tasks t
                                        WHERE t.plan_id = p.id AND t.status > present.status
                                        ORDER BY t.status LIMIT 1)
                                 FROM present WHERE present.status IS NOT NULL)
                           SELECT coalesce(jsonb_object_agg(status, 1), '{}')
                             FROM present WHERE status IS NOT NULL))
                   ORDER BY p.id)
              FROM plans p WHERE p.id = ANY(v_plans)), '[]'));
END
$step$;
