// params: $ids: element ids of nodes seen in the same transaction; $keys: label -> business-id property
// returns: element_id, labels, properties of each node, so that a relationship's ends can be named by business id (element ids stay inside the store)
UNWIND $ids AS element_id
MATCH (n) WHERE elementId(n) = element_id
RETURN element_id, labels(n) AS labels, properties(n) AS properties
