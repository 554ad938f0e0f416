// params: $graph_name, $money_graph_name (unique per run), $weights (map: link kind ->
// weight), $max_degree, $all_customers (boolean)
// returns: graph_name, node_count, relationship_count of the customer graph's GDS projection
// and money_graph_name, money_node_count, money_relationship_count of the money graph's
// (both undirected, relationship property weight; a name is null when nothing was projected)
// The money graph of graphrisk.analytics.customer_graph.build_money_graph: customers who paid
// or were paid by another customer (owners, OWNS without a role, of both accounts), joined by
// the total amount paid between them in either direction.
// The customer graph of graphrisk.analytics.customer_graph.build_customer_graph. $weights
// holds device, phone, email, ip, address, co_holder, transfer, same_entity, outside_account;
// a kind left out links nobody. same_entity: the SAME_ENTITY relationships entity resolution
// wrote (already ordered a -> b by customer id), weighted by the weight times the match
// probability. Identifiers and accounts shared by more than $max_degree customers link nobody.
// $all_customers also projects customers without links (PageRank needs them: a seed without
// links keeps its own score). One row per link, each pair ordered (a.customer_id <
// b.customer_id), so the links of every kind between two customers add up into one
// relationship.
// Why both graphs in one statement: each pair of paying customers is found once (the walk
// over every payment was the costliest part of each projection) and gives both the money
// graph's amount and the customer graph's number of payments. The money graph gets its rows
// in the order its statement of its own gave them (Louvain visits nodes in that order).
MATCH (payer:Customer)-[owns_from:OWNS]->(:Account)-[paid:TRANSFERRED]->(:Account)
      <-[owns_to:OWNS]-(payee:Customer)
WHERE owns_from.role IS NULL AND owns_to.role IS NULL AND payer <> payee
WITH CASE WHEN payer.customer_id < payee.customer_id THEN payer ELSE payee END AS a,
     CASE WHEN payer.customer_id < payee.customer_id THEN payee ELSE payer END AS b,
     sum(paid.amount) AS amount, count(*) AS payments
WITH gds.graph.project($money_graph_name, a, b,
                       {relationshipProperties: {weight: toFloat(amount)}},
                       {undirectedRelationshipTypes: ['*']}) AS money,
     collect([a, b, payments]) AS paid_pairs
WITH money.graphName AS money_graph_name, money.nodeCount AS money_node_count,
     money.relationshipCount AS money_relationship_count, paid_pairs
CALL (paid_pairs) {
  // Only customers have identifiers, so the degree (a constant-time read) counts customers.
  MATCH (i:Identifier)
  WITH i, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS users
  WHERE 2 <= users <= $max_degree AND $weights[i.kind] IS NOT NULL
  MATCH (a:Customer)-[:HAS_IDENTIFIER]->(i)<-[:HAS_IDENTIFIER]-(b:Customer)
  WHERE a.customer_id < b.customer_id
  RETURN a, b, toFloat($weights[i.kind]) AS weight
  UNION ALL
  MATCH (account:Account)
  WITH account WHERE $weights.co_holder IS NOT NULL AND COUNT { (account)<-[:OWNS]-() } >= 2
  MATCH (holder:Customer)-[:OWNS]->(account)
  WITH account, collect(DISTINCT holder) AS holders
  WHERE 2 <= size(holders) <= $max_degree
  UNWIND holders AS a
  UNWIND holders AS b
  WITH a, b WHERE a.customer_id < b.customer_id
  RETURN a, b, toFloat($weights.co_holder) AS weight
  UNION ALL
  // Payments between the owners (OWNS without a role) of two different customers' accounts,
  // counted once above; more payments strengthen the link with diminishing returns:
  // log2(1 + n).
  UNWIND CASE WHEN $weights.transfer IS NULL THEN [] ELSE paid_pairs END AS pair
  RETURN pair[0] AS a, pair[1] AS b, $weights.transfer * log(1 + pair[2]) / log(2) AS weight
  UNION ALL
  MATCH (a:Customer)-[link:SAME_ENTITY]->(b:Customer)
  WHERE $weights.same_entity IS NOT NULL
  RETURN a, b, $weights.same_entity * link.probability AS weight
  UNION ALL
  // Payments with a counterparty entity resolution found probably another customer (its
  // SAME_ENTITY link): the owner of the customer's end and that customer, log2(1 + n) times
  // the match probability.
  MATCH (x:Customer)-[owns:OWNS]->(:Account)-[:TRANSFERRED]-(p:Counterparty)
        -[link:SAME_ENTITY]->(c:Customer)
  WHERE $weights.outside_account IS NOT NULL AND owns.role IS NULL AND x <> c
  WITH x, c, link, count(*) AS payments
  RETURN CASE WHEN x.customer_id < c.customer_id THEN x ELSE c END AS a,
         CASE WHEN x.customer_id < c.customer_id THEN c ELSE x END AS b,
         $weights.outside_account * link.probability * log(1 + payments) / log(2) AS weight
  UNION ALL
  MATCH (c:Customer) WHERE $all_customers
  RETURN c AS a, null AS b, null AS weight
}
// The money graph's figures ride along as aggregates, not grouping keys: with no customers
// there are no rows, and the statement must still answer with one.
WITH a, b, sum(weight) AS weight, max(money_graph_name) AS money_graph_name,
     max(money_node_count) AS money_node_count,
     max(money_relationship_count) AS money_relationship_count
WITH gds.graph.project($graph_name, a, b, {relationshipProperties: {weight: weight}},
                       {undirectedRelationshipTypes: ['*']}) AS graph,
     max(money_graph_name) AS money_graph_name, max(money_node_count) AS money_node_count,
     max(money_relationship_count) AS money_relationship_count
RETURN graph.graphName AS graph_name, graph.nodeCount AS node_count,
       graph.relationshipCount AS relationship_count, money_graph_name, money_node_count,
       money_relationship_count
