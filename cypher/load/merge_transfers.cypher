// params: $rows: list of maps {source, target, props} with props the transaction's columns
// returns: nothing; one TRANSFERRED relationship per transaction id. A re-load that moves a
// transaction to other endpoints replaces the old relationship, as the embedded store does.
// (template: __FROM_LABEL__, __FROM_KEY__, __TO_LABEL__, __TO_KEY__ from graphrisk.domain)
UNWIND $rows AS row
MATCH (s:__FROM_LABEL__ {__FROM_KEY__: row.source})
USING INDEX s:__FROM_LABEL__(__FROM_KEY__)
MATCH (t:__TO_LABEL__ {__TO_KEY__: row.target})
USING INDEX t:__TO_LABEL__(__TO_KEY__)
OPTIONAL MATCH (x)-[moved:TRANSFERRED {transaction_id: row.props.transaction_id}]->(y)
WHERE x <> s OR y <> t
DELETE moved
WITH DISTINCT s, t, row
MERGE (s)-[r:TRANSFERRED {transaction_id: row.props.transaction_id}]->(t)
SET r += row.props
