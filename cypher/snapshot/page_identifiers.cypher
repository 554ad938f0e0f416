// params: $after: the last customer id of the previous page ('' for the first); $page
// returns: one record: n (customers in the page), last_key (the page's last customer id),
// names (the columns, in order), columns (one list per name: that value of every
// customer–identifier link of those customers)
// Why each property by name and a list per column: see page_transactions.
MATCH (c:Customer) WHERE c.customer_id > $after
WITH c ORDER BY c.customer_id LIMIT $page
OPTIONAL MATCH (c)-[r:HAS_IDENTIFIER]->(i:Identifier)
WITH count(DISTINCT c) AS n, max(c.customer_id) AS last_key,
     collect(CASE WHEN i IS NULL THEN null ELSE [c.customer_id, i.kind, i.value,
             r.first_seen, i.identifier_id, r.raw_value] END) AS rows
// A constant beside aggregates would be a grouping key: no record for an empty page.
RETURN n, last_key,
       ['customer_id', 'kind', 'value', 'first_seen', 'identifier_id', 'raw_value'] AS names,
       [i IN range(0, 5) | [row IN rows | row[i]]] AS columns
