// params: $graph_name
// returns: one row, customer_ids and group_ids (lists, same order) for members of connected
// components of two or more customers (group_id is GDS's component id; the caller renames)
CALL gds.wcc.stream($graph_name)
YIELD nodeId, componentId
WITH componentId, collect(gds.util.asNode(nodeId).customer_id) AS members
WHERE size(members) >= 2
UNWIND members AS customer_id
RETURN collect(customer_id) AS customer_ids, collect(componentId) AS group_ids
