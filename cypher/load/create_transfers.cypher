// params: $rows: list of maps {source, target, props} for transactions not yet stored
// returns: nothing; CREATE is safe here because the caller checked, in the same transaction,
// that none of these transaction ids exists (the uniqueness constraint guards the rest), and it
// is several times faster than MERGE on a first load
// (template: __FROM_LABEL__, __FROM_KEY__, __TO_LABEL__, __TO_KEY__ from graphrisk.domain)
UNWIND $rows AS row
MATCH (s:__FROM_LABEL__ {__FROM_KEY__: row.source})
USING INDEX s:__FROM_LABEL__(__FROM_KEY__)
MATCH (t:__TO_LABEL__ {__TO_KEY__: row.target})
USING INDEX t:__TO_LABEL__(__TO_KEY__)
CREATE (s)-[r:TRANSFERRED]->(t)
SET r = row.props
