// params: none
// returns: load_id, started_at, finished_at, status, summary, oldest first
MATCH (l:GraphRiskLoad)
RETURN l.load_id AS load_id, l.started_at AS started_at, l.finished_at AS finished_at,
       l.status AS status, l.summary AS summary
ORDER BY started_at, load_id
