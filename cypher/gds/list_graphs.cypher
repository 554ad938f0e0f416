// params: $prefix
// returns: graph_name, database, age_seconds (since it was projected) of each projection in
// the GDS catalogue whose name starts with $prefix, by name
CALL gds.graph.list()
YIELD graphName, database, creationTime
WHERE graphName STARTS WITH $prefix
RETURN graphName AS graph_name, database,
       duration.inSeconds(creationTime, datetime()).seconds AS age_seconds
ORDER BY graph_name
