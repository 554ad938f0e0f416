// params: $rows: list of dispute maps for disputes not yet stored
// returns: nothing; (Customer)-[:RAISED]->(Dispute)-[:CONCERNS]->(Account) (see create_nodes)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
CREATE (c)-[:RAISED]->(d:Dispute)
SET d = row
WITH d, row WHERE row.account_id IS NOT NULL
MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
CREATE (d)-[:CONCERNS]->(a)
