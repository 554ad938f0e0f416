// params: none (template: __LABEL__, __KEY__)
// returns: id of every node with the label
MATCH (n:__LABEL__) RETURN n.__KEY__ AS id
