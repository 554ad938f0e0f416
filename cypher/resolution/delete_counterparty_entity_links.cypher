// params: none
// returns: deleted, the number of counterparty-to-customer SAME_ENTITY relationships removed
// Run in the same transaction as write_counterparty_entity_links: the set is replaced whole.
MATCH (:Counterparty)-[link:SAME_ENTITY]->(:Customer)
DELETE link
RETURN count(*) AS deleted
