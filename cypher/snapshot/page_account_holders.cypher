// params: $after: the last account id of the previous page ('' for the first); $page;
// $columns: the account-holder columns to return, in order
// returns: one record: n (accounts in the page), last_key (the page's last account id),
// columns (one list per name of $columns: that value of every account holder, i.e. OWNS
// with a role, of those accounts)
MATCH (a:Account) WHERE a.account_id > $after
WITH a ORDER BY a.account_id LIMIT $page
OPTIONAL MATCH (c:Customer)-[r:OWNS]->(a) WHERE r.role IS NOT NULL
WITH count(DISTINCT a) AS n, max(a.account_id) AS last_key,
     collect(CASE WHEN r IS NULL THEN null ELSE {account_id: a.account_id,
             customer_id: c.customer_id, role: r.role} END) AS rows
RETURN n, last_key, [k IN $columns | [row IN rows | row[k]]] AS columns
