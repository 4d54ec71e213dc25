-- A merge resolver: `aergo branch <name> --resolver=merges.record` (deployed
-- as `merges`). A consistent merge into that branch hands each replayed tx
-- that fails to record(); the tx stays unapplied, and the conflict is kept
-- here for someone to settle.
CREATE TABLE conflicts (
  txid   TEXT PRIMARY KEY,
  call   TEXT NOT NULL,
  args   TEXT NOT NULL,
  error  TEXT NOT NULL,
  sender TEXT NOT NULL
);

CREATE FUNCTION record(tx TEXT, contract TEXT, function TEXT, args TEXT, error TEXT) AS
  INSERT INTO conflicts (txid, call, args, error, sender)
    VALUES (:tx, :contract || '.' || :function, :args, :error, :sender);
END;
