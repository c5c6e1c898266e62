-- A schema with what mariadb-dump has to carry: composite, prefix,
-- unique and FULLTEXT indexes, foreign keys, AUTO_INCREMENT, a view, a
-- trigger, a procedure, two functions and an event, loaded next to testdata/types.sql.
CREATE TABLE customers (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email VARCHAR(191) NOT NULL,
  name VARCHAR(100) NOT NULL DEFAULT '',
  note TEXT,
  created DATETIME(6) NOT NULL DEFAULT '2024-01-01 00:00:00.000000',
  PRIMARY KEY (id),
  UNIQUE KEY by_email (email),
  KEY by_name_created (name, created),
  KEY by_note (note(20))
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;
CREATE TABLE orders (
  id INT NOT NULL AUTO_INCREMENT,
  customer_id BIGINT UNSIGNED NOT NULL,
  total DECIMAL(12,2) NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  PRIMARY KEY (id),
  KEY by_customer_status (customer_id, status),
  CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;
CREATE TABLE audit (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id INT NOT NULL,
  what VARCHAR(20) NOT NULL
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;
CREATE TABLE articles (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  body TEXT,
  FULLTEXT KEY ft_article (title, body)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;
INSERT INTO articles (title, body) VALUES ('Badger', 'an embedded key value store'), ('Databases', 'a database answers queries');
INSERT INTO customers (email, name, note) VALUES
  ('ann@example.com', 'Ann', 'first customer'), ('bo@example.com', 'Bø', NULL), ('cy@example.com', 'Cy', '');
INSERT INTO orders (customer_id, total, status) VALUES (1, 10.50, 'paid'), (1, 3.00, 'new'), (2, 99.99, 'shipped');
CREATE VIEW customer_totals AS
  SELECT c.id, c.name, SUM(o.total) AS total FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit (order_id, what) VALUES (NEW.id, 'insert');
CREATE PROCEDURE add_order(IN cust BIGINT UNSIGNED, IN amount DECIMAL(12,2))
  INSERT INTO orders (customer_id, total) VALUES (cust, amount);
CREATE FUNCTION order_count(cust BIGINT UNSIGNED) RETURNS INT READS SQL DATA
  RETURN (SELECT COUNT(*) FROM orders WHERE customer_id = cust);
DELIMITER //
CREATE FUNCTION discounted(amount DECIMAL(12,2)) RETURNS DECIMAL(12,2) DETERMINISTIC
BEGIN
  DECLARE d DECIMAL(12,2) DEFAULT 0;
  IF amount > 10 THEN SET d = amount / 10; END IF;
  RETURN amount - d;
END //
DELIMITER ;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM audit WHERE id < 0;
CALL add_order(3, 7.25);
