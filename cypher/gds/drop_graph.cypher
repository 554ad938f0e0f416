// params: $graph_name, $database (the projection's database; '' for the store's own)
// returns: graph_name when a projection of that name was dropped, no rows when there was none
CALL gds.graph.drop($graph_name, false, $database)
YIELD graphName
RETURN graphName AS graph_name
