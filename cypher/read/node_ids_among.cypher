// params: ids (list of business ids)
// returns: id of each node with the label whose key is among $ids
MATCH (n:__LABEL__) WHERE n.__KEY__ IN $ids RETURN n.__KEY__ AS id
