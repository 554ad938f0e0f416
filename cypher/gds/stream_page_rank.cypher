// params: $graph_name, $seeds (customer ids), $damping, $max_iterations, $tolerance
// returns: one row, customer_ids and scores (lists, same order) for every node of the
// projection; empty lists when no seed is a customer (GDS would run unpersonalised PageRank)
// GDS 2.13 takes a set of source nodes without weights: the caller runs one pass per seed
// weight. $tolerance: a node stops passing on score once its change falls below it. Lists,
// not a row per customer: streaming 100,000 rows to the client costs more than the algorithm.
MATCH (seed:Customer) WHERE seed.customer_id IN $seeds
WITH collect(seed) AS sources
WHERE size(sources) > 0
CALL gds.pageRank.stream($graph_name, {
  sourceNodes: sources, relationshipWeightProperty: 'weight', dampingFactor: $damping,
  maxIterations: $max_iterations, tolerance: $tolerance
})
YIELD nodeId, score
RETURN collect(gds.util.asNode(nodeId).customer_id) AS customer_ids, collect(score) AS scores
