// params: $rows: list of maps (account_id, customer_id, role)
// returns: nothing; an OWNS relationship carrying the role (co_holder, authorised_user)
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id}) USING INDEX c:Customer(customer_id)
MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
OPTIONAL MATCH (c)-[existing:OWNS]->(a) WHERE existing.role IS NOT NULL
FOREACH (_ IN CASE WHEN existing IS NULL THEN [1] ELSE [] END |
  CREATE (c)-[:OWNS {role: row.role}]->(a))
SET existing.role = row.role
