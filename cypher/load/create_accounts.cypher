// params: $rows: list of account maps for accounts not yet stored
// returns: nothing; the account and its owner's OWNS relationship (see create_nodes)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
CREATE (c)-[:OWNS]->(a:Account)
SET a = row
