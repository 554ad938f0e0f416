// params: none
// returns: id of every stored transaction
MATCH ()-[r:TRANSFERRED]->() RETURN r.transaction_id AS id
