// params: $batch: how many nodes to delete in this call
// returns: deleted, the number of nodes deleted (0 when the database is empty)
MATCH (n) WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
