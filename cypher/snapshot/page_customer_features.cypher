// params: $after: the last customer id of the previous page ('' for the first); $page;
// $columns: the customer-feature columns to return, in order
// returns: one record: n (customers in the page), last_key (the page's last customer id),
// columns (one list per name of $columns: that value of every feature of those customers)
// Why paged by customer: features hang off their customer, so a page is one index range scan
// and one short expansion per customer.
MATCH (c:Customer) WHERE c.customer_id > $after
WITH c ORDER BY c.customer_id LIMIT $page
OPTIONAL MATCH (c)-[:HAS_FEATURE]->(f:CustomerFeature)
WITH count(DISTINCT c) AS n, max(c.customer_id) AS last_key, collect(f) AS features
RETURN n, last_key, [k IN $columns | [f IN features | f[k]]] AS columns
