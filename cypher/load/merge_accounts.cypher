// params: $rows: list of account maps (account_id, customer_id, ...)
// returns: nothing; upserts accounts and their owner's OWNS relationship (no role = owner),
// moving it when the owner changed
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a += row
WITH a, row
OPTIONAL MATCH (old:Customer)-[stale:OWNS]->(a)
WHERE stale.role IS NULL AND old.customer_id <> row.customer_id
DELETE stale
WITH DISTINCT a, row
MATCH (c:Customer {customer_id: row.customer_id})
MERGE (c)-[:OWNS]->(a)
