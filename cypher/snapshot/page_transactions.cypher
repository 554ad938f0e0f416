// params: $after: the last transaction id of the previous page ('' for the first); $page
// returns: one record: n (transactions in the page), last_key, columns (the names, in the
// order of each row's values), rows (one list of values per transaction, in id order,
// endpoints as business ids)
// Why each property by name: on a page of 50,000 transactions this is half the server's work
// of a map projection read back through a list of keys.
MATCH (s)-[r:TRANSFERRED]->(t) WHERE r.transaction_id > $after
WITH s, r, t ORDER BY r.transaction_id LIMIT $page
WITH count(r) AS n, collect(r.transaction_id)[-1] AS last_key,
       collect([r.transaction_id,
                CASE WHEN s:Account THEN s.account_id END,
                CASE WHEN s:Counterparty THEN s.counterparty_id END,
                CASE WHEN t:Account THEN t.account_id END,
                CASE WHEN t:Counterparty THEN t.counterparty_id END,
                r.amount, r.currency, r.timestamp, r.channel, r.transaction_type]) AS rows
// A constant beside aggregates would be a grouping key: no record for an empty page.
RETURN n, last_key, rows,
       ['transaction_id', 'from_account_id', 'from_counterparty_id', 'to_account_id',
        'to_counterparty_id', 'amount', 'currency', 'timestamp', 'channel', 'transaction_type']
       AS columns
