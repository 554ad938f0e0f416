// params: $kind; $subject, $statuses (list) or null for any; $limit
// returns: row (kind, key, version, subject, status, body, created_at, updated_at) per
// matching record, by created_at then key
MATCH (r:GraphRiskRecord {kind: $kind})
WHERE ($subject IS NULL OR r.subject = $subject)
  AND ($statuses IS NULL OR r.status IN $statuses)
RETURN [r.kind, r.key, r.version, r.subject, r.status, r.body, r.created_at, r.updated_at]
       AS row
ORDER BY r.created_at, r.key
LIMIT $limit
