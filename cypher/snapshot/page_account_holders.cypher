// params: $after: the last account id of the previous page ('' for the first); $page
// returns: one row per account holder (OWNS with a role) of a page of accounts
MATCH (a:Account) WHERE a.account_id > $after
WITH a ORDER BY a.account_id LIMIT $page
OPTIONAL MATCH (c:Customer)-[r:OWNS]->(a) WHERE r.role IS NOT NULL
RETURN a.account_id AS page_key,
       CASE WHEN r IS NULL THEN null ELSE {account_id: a.account_id,
            customer_id: c.customer_id, role: r.role} END AS row
