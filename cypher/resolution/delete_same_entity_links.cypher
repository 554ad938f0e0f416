// params: none
// returns: deleted, the number of SAME_ENTITY relationships removed
// Run in the same transaction as write_same_entity_links: the set is replaced as a whole.
MATCH (:Customer)-[link:SAME_ENTITY]->(:Customer)
DELETE link
RETURN count(*) AS deleted
