// params: $ids: frontier business ids; $types: relationship types to follow; $keys: label ->
//         business-id property; $bounds: time-stamped type -> inclusive [low, high] text bounds
//         (either null) for the types a time window restricts, {} without one (template: __LABEL__, __KEY__)
// returns: one row per (node, relationship type, direction, neighbour, role) with the number,
//          total amount and earliest and latest time of the relationships, so transfers arrive
//          summarised per pair. A relationship's time: a transfer's timestamp, the dispute's
//          opened_date for RAISED, CONCERNS and AGAINST, the account change's timestamp for HAD_CHANGE
//          (graphrisk.store.base.TIMED_RELATIONSHIPS); a windowed type keeps only rows inside.
UNWIND $ids AS id
MATCH (n:__LABEL__ {__KEY__: id})-[r]-(m)
USING INDEX n:__LABEL__(__KEY__)
WHERE type(r) IN $types
WITH id, n, r, m, $bounds[type(r)] AS bound,
     CASE type(r)
       WHEN 'TRANSFERRED' THEN r.timestamp
       WHEN 'HAD_CHANGE' THEN endNode(r).timestamp
       WHEN 'RAISED' THEN endNode(r).opened_date
       WHEN 'CONCERNS' THEN startNode(r).opened_date
       WHEN 'AGAINST' THEN startNode(r).opened_date
     END AS at
WHERE bound IS NULL
   OR (at IS NOT NULL AND (bound[0] IS NULL OR at >= bound[0])
       AND (bound[1] IS NULL OR at <= bound[1]))
WITH id, type(r) AS type, startNode(r) = n AS outgoing, head(labels(m)) AS other_label,
     m[$keys[head(labels(m))]] AS other_id, r.role AS role,
     count(r) AS relationships, sum(r.amount) AS total_amount, min(at) AS first_at,
     max(at) AS last_at
RETURN id, type, outgoing, other_label, other_id, role, relationships,
       round(total_amount, 2) AS total_amount, first_at, last_at
