// params: $kind, $key, $expected_version, $subject, $status (null: keep), $body (JSON), $now
// returns: stored (the version before), row (the record after, null when stored differs
// from $expected_version and nothing was written); no record when there is no such record
// Why the _lock property: setting it takes the node's write lock before the version is
// read, so a concurrent update waits and then reads the version this one wrote (Neo4j's
// documented way to avoid a lost update under read-committed isolation).
MATCH (r:GraphRiskRecord {kind: $kind, key: $key})
SET r._lock = true
WITH r, r.version AS stored
FOREACH (_ IN CASE WHEN stored = $expected_version THEN [1] ELSE [] END |
  SET r.version = stored + 1, r.subject = coalesce($subject, r.subject),
      r.status = coalesce($status, r.status), r.body = $body, r.updated_at = $now)
REMOVE r._lock
RETURN stored,
       CASE WHEN stored = $expected_version THEN [r.kind, r.key, r.version, r.subject,
            r.status, r.body, r.created_at, r.updated_at] END AS row
