// params: $after: the last transaction id of the previous page ('' for the first); $page;
// $columns: the transaction columns to return, in order
// returns: one record: n (transactions in the page), last_key, rows (one list of values per
// transaction in $columns order, in id order, endpoints as business ids)
MATCH (s)-[r:TRANSFERRED]->(t) WHERE r.transaction_id > $after
WITH s, r, t ORDER BY r.transaction_id LIMIT $page
WITH r {.*, from_account_id: CASE WHEN s:Account THEN s.account_id END,
        from_counterparty_id: CASE WHEN s:Counterparty THEN s.counterparty_id END,
        to_account_id: CASE WHEN t:Account THEN t.account_id END,
        to_counterparty_id: CASE WHEN t:Counterparty THEN t.counterparty_id END} AS row
RETURN count(row) AS n, collect(row.transaction_id)[-1] AS last_key,
       collect([k IN $columns | row[k]]) AS rows
