// params: $after: the last customer id of the previous page ('' for the first); $page;
// $columns: the identifier-link columns to return, in order
// returns: one record: n (customers in the page), last_key (the page's last customer id),
// rows (one list of values per customer–identifier link of those customers, $columns order)
MATCH (c:Customer) WHERE c.customer_id > $after
WITH c ORDER BY c.customer_id LIMIT $page
OPTIONAL MATCH (c)-[r:HAS_IDENTIFIER]->(i:Identifier)
WITH c, CASE WHEN i IS NULL THEN null ELSE {customer_id: c.customer_id, kind: i.kind,
         value: i.value, first_seen: r.first_seen, identifier_id: i.identifier_id,
         raw_value: r.raw_value} END AS row
RETURN count(DISTINCT c) AS n, max(c.customer_id) AS last_key,
       collect(CASE WHEN row IS NULL THEN null ELSE [k IN $columns | row[k]] END) AS rows
