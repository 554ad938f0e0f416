// params: $at, $actor, $action, $subject, $details (JSON text)
// returns: seq, the new entry's number
// The counter is locked (the _lock property) before it is read, so two appenders in
// parallel take turns and never get the same number; a rolled-back append takes its number
// back with it, so there are no gaps.
MERGE (c:GraphRiskAuditCounter {name: 'audit'})
SET c._lock = true
WITH c, coalesce(c.seq, 0) + 1 AS seq
SET c.seq = seq
REMOVE c._lock
CREATE (:GraphRiskAuditEntry {seq: seq, at: $at, actor: $actor, action: $action,
                              subject: $subject, details: $details})
RETURN seq
