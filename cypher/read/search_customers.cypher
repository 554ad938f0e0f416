// params: $id_text: the search text lower-cased; $words: its words lower-cased (non-empty);
//         $identifier_ids: Identifier node ids the text names when normalised as each kind;
//         $offset, $limit: the page
// returns: one row: total (how many customers match) and ids (the page of their ids), ranked:
//          the exact id match (ignoring case) first, then id-prefix matches, then the rest,
//          each by customer_id. A customer matches by its id (equal or starting with the
//          text, ignoring case), its name (lower-cased, containing every word), or a link to
//          one of the identifiers. Ids and names are read in one pass over the customers; the
//          identifiers through their uniqueness index.
CALL () {
  MATCH (c:Customer)
  WHERE toLower(c.customer_id) STARTS WITH $id_text
     OR (size($words) > 0 AND all(word IN $words WHERE toLower(c.name) CONTAINS word))
  RETURN c.customer_id AS customer_id
  UNION
  UNWIND $identifier_ids AS identifier_id
  MATCH (:Identifier {identifier_id: identifier_id})<-[:HAS_IDENTIFIER]-(c:Customer)
  RETURN c.customer_id AS customer_id
}
WITH customer_id, toLower(customer_id) AS lowered
ORDER BY CASE WHEN lowered = $id_text THEN 0 WHEN lowered STARTS WITH $id_text THEN 1 ELSE 2 END,
         customer_id
WITH collect(customer_id) AS found
RETURN size(found) AS total, found[$offset..$offset + $limit] AS ids
