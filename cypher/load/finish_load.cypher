// params: $load_id, $finished_at, $summary (JSON text)
// returns: nothing
MATCH (l:GraphRiskLoad {load_id: $load_id})
SET l.finished_at = $finished_at, l.status = 'completed', l.summary = $summary
