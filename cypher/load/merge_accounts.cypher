// params: $rows: list of account maps (account_id, customer_id, ...)
// Index hints (USING INDEX): right after a database is emptied, statistics say the labels are
// empty and the planner would scan instead of seek; a hint keeps the plan right at any size.
// returns: nothing; upserts accounts and their owner's OWNS relationship (no role = owner),
// moving it when the owner changed
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a += row
WITH a, row
CALL (a, row) {
  OPTIONAL MATCH (a)<-[stale:OWNS]-(old)
  WHERE stale.role IS NULL AND old.customer_id <> row.customer_id
  DELETE stale
}
WITH DISTINCT a, row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MERGE (c)-[:OWNS]->(a)
