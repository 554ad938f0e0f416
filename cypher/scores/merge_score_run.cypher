// params: $run_id, $created_at, $kind, $params (JSON text)
// returns: nothing
MERGE (r:ScoreRun {run_id: $run_id})
SET r.created_at = $created_at, r.kind = $kind, r.params = $params
