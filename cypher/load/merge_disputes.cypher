// params: $rows: list of dispute maps (dispute_id, customer_id, account_id, ...)
// returns: nothing; Dispute nodes, (Customer)-[:RAISED]->(Dispute)-[:CONCERNS]->(Account),
//          (Dispute)-[:AGAINST]->(Customer|Counterparty) for the accused; relationships the
//          row no longer names are deleted; a MATCH on a null id finds nothing
UNWIND $rows AS row
MERGE (d:Dispute {dispute_id: row.dispute_id})
SET d += row
WITH d, row
CALL (d, row) {
  OPTIONAL MATCH (d)-[stale:RAISED|CONCERNS|AGAINST]-(other)
  WHERE (type(stale) = 'RAISED' AND other.customer_id <> row.customer_id)
     OR (type(stale) = 'CONCERNS' AND (row.account_id IS NULL OR other.account_id <> row.account_id))
     OR (type(stale) = 'AGAINST' AND other:Customer
         AND (row.against_customer_id IS NULL OR other.customer_id <> row.against_customer_id))
     OR (type(stale) = 'AGAINST' AND other:Counterparty
         AND (row.against_counterparty_id IS NULL
              OR other.counterparty_id <> row.against_counterparty_id))
  DELETE stale
}
WITH DISTINCT d, row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MERGE (c)-[:RAISED]->(d)
WITH d, row
CALL (d, row) {
  MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
  MERGE (d)-[:CONCERNS]->(a)
}
CALL (d, row) {
  MATCH (x:Customer {customer_id: row.against_customer_id}) USING INDEX x:Customer(customer_id)
  MERGE (d)-[:AGAINST]->(x)
}
CALL (d, row) {
  MATCH (x:Counterparty {counterparty_id: row.against_counterparty_id})
  USING INDEX x:Counterparty(counterparty_id)
  MERGE (d)-[:AGAINST]->(x)
}
