// params: $ids: account ids; $columns: the transaction columns to return, in order
// returns: row per transaction paid from one of those accounts (endpoints as business ids)
UNWIND $ids AS id
MATCH (a:Account {account_id: id}) USING INDEX a:Account(account_id)
MATCH (a)-[r:TRANSFERRED]->(t)
WITH r {.*, from_account_id: a.account_id, from_counterparty_id: null,
        to_account_id: CASE WHEN t:Account THEN t.account_id END,
        to_counterparty_id: CASE WHEN t:Counterparty THEN t.counterparty_id END} AS row
RETURN [k IN $columns | row[k]] AS row
