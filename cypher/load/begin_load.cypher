// params: $load_id, $started_at, $sources (JSON text)
// returns: nothing; a load is 'running' until finish_load marks it 'completed'
MERGE (l:GraphRiskLoad {load_id: $load_id})
ON CREATE SET l.started_at = $started_at, l.status = 'running', l.sources = $sources
ON MATCH SET l.status = CASE WHEN l.status = 'completed' THEN 'completed' ELSE 'running' END
