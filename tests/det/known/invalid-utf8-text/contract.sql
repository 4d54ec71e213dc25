-- A call stores TEXT that is not valid UTF-8 (SQLite allows it): the call
-- succeeds and the block is committed, but its changes then fail to decode
-- ("row value is not valid UTF-8"): fsck reports the repository corrupt,
-- clone refuses the block, and while the tx is pending every further call on
-- the branch fails. Found by tests/det/run.sh (seed 2, minimized).
CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);
CREATE FUNCTION f(b BLOB) AS
  INSERT INTO t (v) VALUES (CAST(:b AS TEXT));
END;
CREATE FUNCTION g(s TEXT) AS
  INSERT INTO t (v) VALUES (printf('%.1s', :s));
END;
