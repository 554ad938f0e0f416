// params: $batch: how many relationships to delete in this call
// returns: deleted, the number deleted (0 when none is left). Relationships go first, in
// bounded batches, so that deleting a dense node never needs one huge transaction.
MATCH ()-[r]->() WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted
