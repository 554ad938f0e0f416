// params: $ids: account ids; $columns: the account-holder columns to return, in order
// returns: row per account holder (OWNS with a role) of those accounts
UNWIND $ids AS id
MATCH (a:Account {account_id: id}) USING INDEX a:Account(account_id)
MATCH (c:Customer)-[r:OWNS]->(a) WHERE r.role IS NOT NULL
WITH {account_id: a.account_id, customer_id: c.customer_id, role: r.role} AS row
RETURN [k IN $columns | row[k]] AS row
