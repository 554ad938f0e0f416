// params: $graph_name, $max_levels, $max_iterations, $tolerance, $concurrency
// returns: one row, customer_ids and group_ids (lists, same order; group_id is GDS's
// community id, the caller renames groups) for every node of the projection
// $max_iterations is per level; $tolerance the least modularity gain that counts as a change;
// $concurrency 1 makes the result repeatable.
CALL gds.louvain.stream($graph_name, {
  relationshipWeightProperty: 'weight', maxLevels: $max_levels,
  maxIterations: $max_iterations, tolerance: $tolerance, concurrency: $concurrency
})
YIELD nodeId, communityId
RETURN collect(gds.util.asNode(nodeId).customer_id) AS customer_ids,
       collect(communityId) AS group_ids
