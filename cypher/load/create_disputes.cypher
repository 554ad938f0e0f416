// params: $rows: list of dispute maps for disputes not yet stored
// returns: nothing; (Customer)-[:RAISED]->(Dispute)-[:CONCERNS]->(Account), and
//          (Dispute)-[:AGAINST]->(Customer|Counterparty) for the accused (see create_nodes);
//          a MATCH on a null id finds nothing, so an empty column makes no relationship
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
CREATE (c)-[:RAISED]->(d:Dispute)
SET d = row
WITH d, row
CALL (d, row) {
  MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
  CREATE (d)-[:CONCERNS]->(a)
}
CALL (d, row) {
  MATCH (x:Customer {customer_id: row.against_customer_id}) USING INDEX x:Customer(customer_id)
  CREATE (d)-[:AGAINST]->(x)
}
CALL (d, row) {
  MATCH (x:Counterparty {counterparty_id: row.against_counterparty_id})
  USING INDEX x:Counterparty(counterparty_id)
  CREATE (d)-[:AGAINST]->(x)
}
