// params: $links: list of maps {customer_id_a, customer_id_b, pair_id, probability,
//         sentence}, customer_id_a < customer_id_b
// returns: written, the number of SAME_ENTITY relationships created (pairs naming a
//          customer that is not stored are left out)
// Probable same-person links of entity resolution (graphrisk.resolution): from the smaller
// customer id to the larger, with the pair's id, match probability and sentence.
UNWIND $links AS link
MATCH (a:Customer {customer_id: link.customer_id_a})
MATCH (b:Customer {customer_id: link.customer_id_b})
CREATE (a)-[:SAME_ENTITY {pair_id: link.pair_id, probability: link.probability,
                          sentence: link.sentence}]->(b)
RETURN count(*) AS written
