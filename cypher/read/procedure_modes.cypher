// params: none
// returns: name, mode of every procedure this user may call (mode: READ, WRITE, SCHEMA, DBMS or DEFAULT, which runs as READ); the read-only query guard refuses calls to any whose mode is not READ or DEFAULT
SHOW PROCEDURES YIELD name, mode
RETURN name, mode
