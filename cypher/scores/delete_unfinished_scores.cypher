// params: $run_id, $batch
// returns: deleted (scores deleted, at most $batch)
// The scores of a run whose ScoreRun node was never written (its write failed half-way): no
// read reaches them; nothing is deleted when the run is stored.
OPTIONAL MATCH (run:ScoreRun {run_id: $run_id})
WITH run WHERE run IS NULL
MATCH (s:RiskScore) WHERE s.run_id = $run_id AND s.customer_id IS NOT NULL
WITH s LIMIT $batch
DETACH DELETE s
RETURN count(*) AS deleted
