// params: $graph_name (unique per run)
// returns: graph_name, node_count, relationship_count of the GDS projection (undirected,
// relationship property weight)
// The money graph of graphrisk.analytics.customer_graph.build_money_graph: customers who paid
// or were paid by another customer (owners, OWNS without a role, of both accounts), joined by
// the total amount paid between them in either direction.
MATCH (payer:Customer)-[owns_from:OWNS]->(:Account)-[paid:TRANSFERRED]->(:Account)
      <-[owns_to:OWNS]-(payee:Customer)
WHERE owns_from.role IS NULL AND owns_to.role IS NULL AND payer <> payee
WITH CASE WHEN payer.customer_id < payee.customer_id THEN payer ELSE payee END AS a,
     CASE WHEN payer.customer_id < payee.customer_id THEN payee ELSE payer END AS b,
     sum(paid.amount) AS weight
WITH gds.graph.project($graph_name, a, b, {relationshipProperties: {weight: toFloat(weight)}},
                       {undirectedRelationshipTypes: ['*']}) AS graph
RETURN graph.graphName AS graph_name, graph.nodeCount AS node_count,
       graph.relationshipCount AS relationship_count
