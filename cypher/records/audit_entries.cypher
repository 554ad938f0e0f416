// params: $subject, $actor, $action, $since_seq (each null for any); $limit
// returns: row (seq, at, actor, action, subject, details) per entry, in seq order
MATCH (e:GraphRiskAuditEntry)
WHERE ($subject IS NULL OR e.subject = $subject) AND ($actor IS NULL OR e.actor = $actor)
  AND ($action IS NULL OR e.action = $action) AND ($since_seq IS NULL OR e.seq > $since_seq)
RETURN [e.seq, e.at, e.actor, e.action, e.subject, e.details] AS row
ORDER BY e.seq
LIMIT $limit
