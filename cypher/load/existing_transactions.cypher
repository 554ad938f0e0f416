// params: $ids: transaction ids of a batch
// returns: id of each that is already stored
UNWIND $ids AS id
MATCH ()-[r:TRANSFERRED {transaction_id: id}]->()
RETURN id
