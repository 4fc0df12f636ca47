-- 0010_search: customers found by name, and by the notes on their card, in search.
-- Names get a small FTS5 table of their own (not external content): it keeps its copy
-- of each name, so `highlight()` works, a name that changes is replaced by rowid
-- (INSERT OR REPLACE) and a deleted customer's row is removed by rowid alone, whether or
-- not it was indexed yet.
-- New customers are indexed once per write transaction (Store::write), as messages are:
-- a per-row trigger would make every new customer its own index segment during ingest.
-- Handles need no index here: (kind, value) is already their primary key, and search
-- looks a prefix up under each kind.
CREATE VIRTUAL TABLE customers_fts USING fts5(
    name,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO customers_fts(rowid, name)
    SELECT id, display_name FROM customers WHERE display_name IS NOT NULL;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF display_name ON customers BEGIN
    DELETE FROM customers_fts WHERE rowid = old.id;
    INSERT INTO customers_fts(rowid, name)
        SELECT new.id, new.display_name WHERE new.display_name IS NOT NULL;
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customers_fts WHERE rowid = old.id;
END;

-- Notes on the customer card (0009), found by search as their customer. Agents write
-- them one at a time, never in an ingest batch, so triggers keep the index in step.
CREATE VIRTUAL TABLE customer_notes_fts USING fts5(
    body,
    content = 'customer_notes',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO customer_notes_fts(rowid, body) SELECT id, body FROM customer_notes;
CREATE TRIGGER customer_notes_fts_insert AFTER INSERT ON customer_notes BEGIN
    INSERT INTO customer_notes_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER customer_notes_fts_delete AFTER DELETE ON customer_notes BEGIN
    INSERT INTO customer_notes_fts(customer_notes_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER customer_notes_fts_update AFTER UPDATE OF body ON customer_notes BEGIN
    INSERT INTO customer_notes_fts(customer_notes_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO customer_notes_fts(rowid, body) VALUES (new.id, new.body);
END;
