// params: $ids: customer ids, or null for every link
// returns: row, [customer_id_a, customer_id_b, pair_id, probability, sentence] per link
// naming one of $ids (every link when $ids is null)
MATCH (a:Customer)-[link:SAME_ENTITY]->(b:Customer)
WHERE $ids IS NULL OR a.customer_id IN $ids OR b.customer_id IN $ids
RETURN [a.customer_id, b.customer_id, link.pair_id, link.probability, link.sentence] AS row
ORDER BY a.customer_id, b.customer_id
