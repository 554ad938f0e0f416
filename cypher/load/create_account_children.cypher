// params: $rows: list of maps with __KEY__ and account_id, for nodes not yet stored
// returns: nothing; the node and (Account)-[:__REL__]->(node) (see create_nodes)
// (template: __LABEL__, __KEY__, __REL__ from graphrisk.domain)
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id}) USING INDEX a:Account(account_id)
CREATE (a)-[:__REL__]->(n:__LABEL__)
SET n = row
