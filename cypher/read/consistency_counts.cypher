// params: none
// returns: counts of broken invariants; all zero when the store is sound
CALL () { MATCH (a:Account) WHERE NOT EXISTS { MATCH (:Customer)-[o:OWNS]->(a) WHERE o.role IS NULL }
       RETURN count(a) AS accounts_without_owner }
CALL () { MATCH (d:Dispute) WHERE NOT EXISTS { MATCH (:Customer)-[:RAISED]->(d) }
       RETURN count(d) AS disputes_without_customer }
CALL () { MATCH (d:Dispute) WHERE d.transaction_id IS NOT NULL
         AND NOT EXISTS { MATCH ()-[t:TRANSFERRED]->() WHERE t.transaction_id = d.transaction_id }
       RETURN count(d) AS disputes_naming_unknown_transactions }
CALL () { MATCH (d:Dispute)
         WHERE (d.against_customer_id IS NOT NULL AND NOT EXISTS {
                  MATCH (d)-[:AGAINST]->(:Customer {customer_id: d.against_customer_id}) })
            OR (d.against_counterparty_id IS NOT NULL AND NOT EXISTS {
                  MATCH (d)-[:AGAINST]->(:Counterparty {counterparty_id: d.against_counterparty_id}) })
       RETURN count(d) AS disputes_without_their_accused }
CALL () { MATCH (l:Loan) WHERE NOT EXISTS { MATCH (:Account)-[:HAS_LOAN]->(l) }
       RETURN count(l) AS loans_without_account }
CALL () { MATCH (x:AccountChange) WHERE NOT EXISTS { MATCH (:Account)-[:HAD_CHANGE]->(x) }
       RETURN count(x) AS account_changes_without_account }
CALL () { MATCH (i:Identifier) WHERE NOT EXISTS { MATCH (:Customer)-[:HAS_IDENTIFIER]->(i) }
       RETURN count(i) AS identifiers_without_customer }
CALL () { MATCH (f:CustomerFeature) WHERE NOT EXISTS { MATCH (:Customer)-[:HAS_FEATURE]->(f) }
       RETURN count(f) AS customer_features_without_customer }
RETURN accounts_without_owner, disputes_without_customer, disputes_naming_unknown_transactions,
       disputes_without_their_accused,
       loans_without_account, account_changes_without_account, identifiers_without_customer,
       customer_features_without_customer
