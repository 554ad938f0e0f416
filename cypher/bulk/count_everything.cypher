// params: none
// returns: nodes, relationships: every node and relationship of the database, of any label or
// type (bookkeeping and records too); a bulk import replaces the database, so it runs only on 0, 0
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
