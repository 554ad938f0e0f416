// params: $customer_id
// returns: run_id, created_at, kind, score, tier, reasons; newest first
MATCH (s:RiskScore {customer_id: $customer_id})
MATCH (r:ScoreRun {run_id: s.run_id})
RETURN r.run_id AS run_id, r.created_at AS created_at, r.kind AS kind, s.score AS score,
       s.tier AS tier, s.reasons AS reasons
ORDER BY created_at DESC, run_id DESC
