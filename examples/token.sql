CREATE TABLE accounts (
  owner   TEXT PRIMARY KEY,
  balance INTEGER NOT NULL CHECK (balance >= 0)
);

CREATE FUNCTION open() AS
  INSERT INTO accounts (owner, balance) VALUES (:sender, 0);
END;

CREATE FUNCTION mint(recipient TEXT, amount INTEGER) AS
  SELECT require(:sender = contract_owner(), 'only the owner may mint');
  INSERT INTO accounts (owner, balance) VALUES (:recipient, :amount)
    ON CONFLICT (owner) DO UPDATE SET balance = balance + :amount;
END;

CREATE FUNCTION transfer(recipient TEXT, amount INTEGER) AS
  SELECT require(:amount > 0, 'amount must be positive');
  UPDATE accounts SET balance = balance - :amount WHERE owner = :sender;
  SELECT require(changes() = 1, 'sender has no account');
  UPDATE accounts SET balance = balance + :amount WHERE owner = :recipient;
  SELECT require(changes() = 1, 'recipient has no account');
END;
