// params: none (template: __LABEL__)
// returns: n, the number of nodes with the label (answered from the count store)
MATCH (n:__LABEL__) RETURN count(n) AS n
