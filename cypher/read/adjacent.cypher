// params: $ids: business ids of the frontier nodes; $types: relationship types to follow;
//         $keys: map from label to its business-id property (template: __LABEL__, __KEY__)
// returns: one row per (node, relationship type, direction, neighbour, role) with the number
//          and total amount of the relationships, so transfers arrive summarised per pair
UNWIND $ids AS id
MATCH (n:__LABEL__ {__KEY__: id})-[r]-(m)
USING INDEX n:__LABEL__(__KEY__)
WHERE type(r) IN $types
WITH id, type(r) AS type, startNode(r) = n AS outgoing, head(labels(m)) AS other_label,
     m[$keys[head(labels(m))]] AS other_id, r.role AS role,
     count(r) AS relationships, sum(r.amount) AS total_amount
RETURN id, type, outgoing, other_label, other_id, role, relationships,
       round(total_amount, 2) AS total_amount
