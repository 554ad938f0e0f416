// params: $ids: customer ids; $columns: the account-holder columns to return, in order
// returns: row per account holder (OWNS with a role) of those customers
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id}) USING INDEX c:Customer(customer_id)
MATCH (c)-[r:OWNS]->(a:Account) WHERE r.role IS NOT NULL
WITH {account_id: a.account_id, customer_id: c.customer_id, role: r.role} AS row
RETURN [k IN $columns | row[k]] AS row
