// params: $links: list of maps {counterparty_id, customer_id, pair_id, probability, sentence}
// returns: written, the number of SAME_ENTITY relationships created (pairs naming a
//          counterparty or customer that is not stored are left out)
// Counterparties that entity resolution (graphrisk.resolution) found probably a customer of
// the bank: from the counterparty to the customer, with the pair's id, match probability and
// sentence.
UNWIND $links AS link
MATCH (p:Counterparty {counterparty_id: link.counterparty_id})
MATCH (c:Customer {customer_id: link.customer_id})
CREATE (p)-[:SAME_ENTITY {pair_id: link.pair_id, probability: link.probability,
                          sentence: link.sentence}]->(c)
RETURN count(*) AS written
