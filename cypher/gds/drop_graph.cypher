// params: $graph_name
// returns: graph_name when a projection of that name was dropped, no rows when there was none
CALL gds.graph.drop($graph_name, false)
YIELD graphName
RETURN graphName AS graph_name
