// params: $ids: customer ids
// returns: as scores/latest_scores, for those of $ids that have scores
UNWIND $ids AS id
MATCH (s:RiskScore {customer_id: id}) USING INDEX s:RiskScore(customer_id)
MATCH (r:ScoreRun {run_id: s.run_id})
WITH s, r ORDER BY r.created_at DESC, r.run_id DESC
WITH s.customer_id AS customer_id,
     collect([r.run_id, r.created_at, r.kind, s.score, s.tier, s.reasons, s.components])[0]
     AS top
RETURN customer_id, top[0] AS run_id, top[1] AS created_at, top[2] AS kind, top[3] AS score,
       top[4] AS tier, top[5] AS reasons, top[6] AS components
