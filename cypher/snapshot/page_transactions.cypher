// params: $after: the last transaction id of the previous page ('' for the first); $page
// returns: one row per transaction in id order, with its endpoints as business ids
MATCH (s)-[r:TRANSFERRED]->(t) WHERE r.transaction_id > $after
WITH s, r, t ORDER BY r.transaction_id LIMIT $page
RETURN r.transaction_id AS page_key,
       r {.*, from_account_id: CASE WHEN s:Account THEN s.account_id END,
          from_counterparty_id: CASE WHEN s:Counterparty THEN s.counterparty_id END,
          to_account_id: CASE WHEN t:Account THEN t.account_id END,
          to_counterparty_id: CASE WHEN t:Counterparty THEN t.counterparty_id END} AS row
