// params: $rows: list of maps with __KEY__ and account_id (loans, account changes)
// returns: nothing; the node and (Account)-[:__REL__]->(node), moved if the account changed
// (template: __LABEL__, __KEY__, __REL__ from graphrisk.domain)
UNWIND $rows AS row
MERGE (n:__LABEL__ {__KEY__: row.__KEY__})
SET n += row
WITH n, row
OPTIONAL MATCH (old:Account)-[stale:__REL__]->(n) WHERE old.account_id <> row.account_id
DELETE stale
WITH DISTINCT n, row
MATCH (a:Account {account_id: row.account_id})
MERGE (a)-[:__REL__]->(n)
