// params: $ids: account ids; $columns: the transaction columns to return, in order
// returns: row per transaction paid into one of those accounts (endpoints as business ids)
UNWIND $ids AS id
MATCH (a:Account {account_id: id}) USING INDEX a:Account(account_id)
MATCH (s)-[r:TRANSFERRED]->(a)
WITH r {.*, from_account_id: CASE WHEN s:Account THEN s.account_id END,
        from_counterparty_id: CASE WHEN s:Counterparty THEN s.counterparty_id END,
        to_account_id: a.account_id, to_counterparty_id: null} AS row
RETURN [k IN $columns | row[k]] AS row
