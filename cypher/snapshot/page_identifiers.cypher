// params: $after: the last customer id of the previous page ('' for the first); $page
// returns: one row per customer–identifier link of a page of customers (page_key = customer)
MATCH (c:Customer) WHERE c.customer_id > $after
WITH c ORDER BY c.customer_id LIMIT $page
OPTIONAL MATCH (c)-[r:HAS_IDENTIFIER]->(i:Identifier)
RETURN c.customer_id AS page_key,
       CASE WHEN i IS NULL THEN null ELSE {customer_id: c.customer_id, kind: i.kind,
            value: i.value, first_seen: r.first_seen, identifier_id: i.identifier_id,
            raw_value: r.raw_value} END AS row
