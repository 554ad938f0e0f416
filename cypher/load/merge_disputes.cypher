// params: $rows: list of dispute maps (dispute_id, customer_id, account_id, ...)
// returns: nothing; Dispute nodes, (Customer)-[:RAISED]->(Dispute)-[:CONCERNS]->(Account)
UNWIND $rows AS row
MERGE (d:Dispute {dispute_id: row.dispute_id})
SET d += row
WITH d, row
CALL (d, row) {
  OPTIONAL MATCH (d)-[stale:RAISED|CONCERNS]-(other)
  WHERE (type(stale) = 'RAISED' AND other.customer_id <> row.customer_id)
     OR (type(stale) = 'CONCERNS' AND (row.account_id IS NULL OR other.account_id <> row.account_id))
  DELETE stale
}
WITH DISTINCT d, row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MERGE (c)-[:RAISED]->(d)
WITH d, row WHERE row.account_id IS NOT NULL
MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
MERGE (d)-[:CONCERNS]->(a)
