// params: $kind, $key, $subject, $status, $body (JSON text), $now
// returns: row (kind, key, version, subject, status, body, created_at, updated_at), created
// Atomic under the (kind, key) constraint: a second creator waits for the first and finds
// its record. A new node is marked version 0 until it is filled in, so `created` is known.
MERGE (r:GraphRiskRecord {kind: $kind, key: $key})
ON CREATE SET r.version = 0
WITH r, r.version = 0 AS created
FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END |
  SET r.version = 1, r.subject = $subject, r.status = $status, r.body = $body,
      r.created_at = $now, r.updated_at = $now)
RETURN [r.kind, r.key, r.version, r.subject, r.status, r.body, r.created_at, r.updated_at]
       AS row, created
