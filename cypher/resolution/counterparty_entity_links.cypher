// params: $customers: customer ids, $counterparties: counterparty ids; both null for every
//         link
// returns: row, [counterparty_id, customer_id, pair_id, probability, sentence] per link
// naming one of $customers or one of $counterparties (every link when both are null)
MATCH (p:Counterparty)-[link:SAME_ENTITY]->(c:Customer)
WHERE ($customers IS NULL AND $counterparties IS NULL)
   OR c.customer_id IN coalesce($customers, [])
   OR p.counterparty_id IN coalesce($counterparties, [])
RETURN [p.counterparty_id, c.customer_id, link.pair_id, link.probability, link.sentence] AS row
ORDER BY p.counterparty_id, c.customer_id
