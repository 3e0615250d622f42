-- One CRM account's request budget, shared by every process on this database (crm/shared-budget.ts).
-- Returns 0 when the caller may send its request now (its start is recorded), else the milliseconds
-- to wait before asking again. p_priority: 0 live, 1 delivery, 2 background. The rate in force is
-- p_rps times the account's scale (halved by each 429, a tenth back per quiet 10 s); at most
-- ceil(rate) starts fall in any window of ceil(rate)/rate seconds (plus p_margin), as the CRM counts.
CREATE OR REPLACE FUNCTION calltrail_take_slot(p_account text, p_priority integer, p_rps double precision, p_margin double precision)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_state crm_budget_state%ROWTYPE;
  v_quiet integer;
  v_rate double precision;
  v_limit integer;
  v_window interval;
  v_count integer;
  v_oldest timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('calltrail:crm-budget:' || p_account));
  INSERT INTO crm_budget_state (account) VALUES (p_account) ON CONFLICT (account) DO NOTHING;
  SELECT * INTO v_state FROM crm_budget_state WHERE account = p_account;
  IF v_state.paused_until IS NOT NULL AND v_state.paused_until > v_now THEN
    RETURN greatest(1, ceil(extract(epoch FROM v_state.paused_until - v_now) * 1000))::integer;
  END IF;
  IF v_state.scale < 1 AND v_state.penalized_at IS NOT NULL THEN
    v_quiet := floor(extract(epoch FROM v_now - v_state.penalized_at) / 10)::integer;
    IF v_quiet > 0 THEN
      v_state.scale := least(1, v_state.scale + v_quiet * 0.1);
      v_state.penalized_at := v_state.penalized_at + make_interval(secs => v_quiet * 10);
      UPDATE crm_budget_state SET scale = v_state.scale, penalized_at = v_state.penalized_at WHERE account = p_account;
    END IF;
  END IF;
  v_rate := p_rps * v_state.scale;
  v_limit := greatest(1, ceil(v_rate))::integer;
  v_window := make_interval(secs => v_limit / v_rate * (1 + p_margin));
  -- A better priority is waiting somewhere: let it have the next slot.
  IF (p_priority > 0 AND v_state.live_until > v_now) OR (p_priority > 1 AND v_state.delivery_until > v_now) THEN
    RETURN greatest(5, ceil(extract(epoch FROM v_window) * 1000 / v_limit))::integer;
  END IF;
  SELECT count(*), min(sent_at) INTO v_count, v_oldest
    FROM crm_budget_requests WHERE account = p_account AND sent_at > v_now - v_window;
  IF v_count < v_limit THEN
    INSERT INTO crm_budget_requests (account, sent_at) VALUES (p_account, v_now);
    DELETE FROM crm_budget_requests WHERE account = p_account AND sent_at < v_now - v_window * 4;
    IF p_priority = 0 THEN
      UPDATE crm_budget_state SET live_until = NULL WHERE account = p_account;
    ELSIF p_priority = 1 THEN
      UPDATE crm_budget_state SET delivery_until = NULL WHERE account = p_account;
    END IF;
    RETURN 0;
  END IF;
  IF p_priority = 0 THEN
    UPDATE crm_budget_state SET live_until = v_now + interval '2 seconds' WHERE account = p_account;
  ELSIF p_priority = 1 THEN
    UPDATE crm_budget_state SET delivery_until = v_now + interval '2 seconds' WHERE account = p_account;
  END IF;
  RETURN greatest(1, ceil(extract(epoch FROM (v_oldest + v_window) - v_now) * 1000))::integer;
END
$$;
--> statement-breakpoint
-- A 429 from the CRM: every process pauses until p_wait_ms from now, and the rate halves (to an eighth at least).
CREATE OR REPLACE FUNCTION calltrail_penalize_budget(p_account text, p_wait_ms integer)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('calltrail:crm-budget:' || p_account));
  INSERT INTO crm_budget_state (account) VALUES (p_account) ON CONFLICT (account) DO NOTHING;
  UPDATE crm_budget_state
     SET paused_until = greatest(coalesce(paused_until, v_now), v_now + make_interval(secs => p_wait_ms / 1000.0)),
         scale = greatest(0.125, scale / 2),
         penalized_at = v_now
   WHERE account = p_account;
END
$$;
