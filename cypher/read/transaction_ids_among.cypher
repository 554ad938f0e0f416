// params: ids (list of transaction ids)
// returns: id of each stored transaction among $ids
UNWIND $ids AS id
MATCH ()-[r:TRANSFERRED {transaction_id: id}]->() RETURN r.transaction_id AS id
