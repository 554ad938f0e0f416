// params: $kind, $key
// returns: row (kind, key, version, subject, status, body, created_at, updated_at), if any
MATCH (r:GraphRiskRecord {kind: $kind, key: $key})
RETURN [r.kind, r.key, r.version, r.subject, r.status, r.body, r.created_at, r.updated_at]
       AS row
