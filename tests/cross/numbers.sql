-- The cross-validation scenario's contract (tests/cross/scenario.sh): every
-- call computes with what differs between SQLite versions and builds
-- (docs/determinism.md) and stores the results, so any difference between
-- two builds shows as different rows, changes and state roots.
CREATE TABLE results (
  id    INTEGER PRIMARY KEY,
  label TEXT NOT NULL,
  r     REAL,
  t     TEXT,
  j     TEXT
);
CREATE TABLE balances (
  owner  TEXT PRIMARY KEY,
  amount REAL NOT NULL CHECK (amount >= 0)
);

-- REAL arithmetic and every REAL-to-text path.
CREATE FUNCTION compute(label TEXT, x REAL, y REAL) AS
  INSERT INTO results (label, r, t, j) VALUES (
    :label,
    :x * :y + :x / (:y + 0.1) - sqrt(abs(:x)),
    CAST(:x / 3 AS TEXT) || '|' || (:x * 1e-7) || '|' || printf('%.17g|%!.20f|%e|%g', :x / 7, :y / 9, :x, :y)
      || '|' || round(:x / 3, 2) || '|' || quote(:y / 11) || '|' || format('%10.4f', :x),
    json_object('x', :x, 'ratio', :x / (:y + 1), 'arr', json_array(:y, :y / 3, 1e300 * :x))
  );
END;

-- Aggregates, window functions and string functions over what is stored.
CREATE FUNCTION summarize(label TEXT) AS
  INSERT INTO results (label, r, t, j)
    SELECT :label, sum(r), total(r) || '|' || avg(r) || '|' || count(*) || '|' ||
             group_concat(substr(upper(label), 1, 3) || length(t), ','),
           (SELECT json_group_array(s) FROM (
              SELECT sum(r) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s
              FROM results WHERE r IS NOT NULL ORDER BY id))
    FROM results WHERE r IS NOT NULL;
END;

-- Text and date functions with explicit arguments.
CREATE FUNCTION text_fns(label TEXT, s TEXT) AS
  INSERT INTO results (label, t) VALUES (:label,
    trim(replace(lower(:s), 'a', 'o')) || '|' || instr(:s, 'b') || '|' || hex(:s) || '|' ||
    unicode(:s) || '|' || char(65, 228) || '|' || (:s LIKE 'A%') || '|' || substr(:s, -2) || '|' ||
    concat_ws('/', :s, :height, :block_time / 3.0) || '|' ||
    strftime('%Y-%m-%d %H:%M:%f', :block_time, 'unixepoch'));
END;

CREATE FUNCTION deposit(owner TEXT, amount REAL) AS
  INSERT INTO balances (owner, amount) VALUES (:owner, :amount)
    ON CONFLICT (owner) DO UPDATE SET amount = amount + :amount;
END;

-- Fails when the owner has less than amount: excluded by an automatic
-- merge, handed to the resolver by a consistent one.
CREATE FUNCTION withdraw(owner TEXT, amount REAL) AS
  UPDATE balances SET amount = amount - :amount WHERE owner = :owner;
  SELECT require(changes() = 1, 'no account ' || :owner);
END;
