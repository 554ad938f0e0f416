// params: none
// returns: customer_id, run_id, created_at, kind, score, tier, reasons, components (JSON
// text or null): each scored customer's newest score (by the run's created_at, then run_id)
MATCH (s:RiskScore)
MATCH (r:ScoreRun {run_id: s.run_id})
WITH s, r ORDER BY r.created_at DESC, r.run_id DESC
WITH s.customer_id AS customer_id,
     collect([r.run_id, r.created_at, r.kind, s.score, s.tier, s.reasons, s.components])[0]
     AS top
RETURN customer_id, top[0] AS run_id, top[1] AS created_at, top[2] AS kind, top[3] AS score,
       top[4] AS tier, top[5] AS reasons, top[6] AS components
