// params: $run_id
// returns: exists (true when the run is stored, or any of its scores is)
RETURN EXISTS { MATCH (:ScoreRun {run_id: $run_id}) }
       OR EXISTS { MATCH (s:RiskScore) WHERE s.run_id = $run_id AND s.customer_id IS NOT NULL }
       AS exists
