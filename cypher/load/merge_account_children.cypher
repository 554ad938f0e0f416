// params: $rows: list of maps with __KEY__ and account_id (loans, account changes)
// returns: nothing; the node and (Account)-[:__REL__]->(node), moved if the account changed
// (template: __LABEL__, __KEY__, __REL__ from graphrisk.domain)
UNWIND $rows AS row
MERGE (n:__LABEL__ {__KEY__: row.__KEY__})
SET n += row
WITH n, row
CALL (n, row) {
  OPTIONAL MATCH (n)<-[stale:__REL__]-(old) WHERE old.account_id <> row.account_id
  DELETE stale
}
WITH DISTINCT n, row
MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
MERGE (a)-[:__REL__]->(n)
