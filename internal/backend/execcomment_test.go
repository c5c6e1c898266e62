package backend

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStripExecutableComments(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW SET @x = 1", "CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW SET @x = 1"},
		{"/*!50003 CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW SET @x = 1 */", "CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW SET @x = 1"},
		{"/*!50106 CREATE*/ /*!50117 DEFINER = `root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */",
			"CREATE  DEFINER = `root`@`localhost`  EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1"},
		{"/*M!100100 CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW SET NEW.s = '/*!x */' */", "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW SET NEW.s = '/*!x */'"},
		{"/*!50003 CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW /* keep */ SET NEW.s = 'it''s */' */", "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW /* keep */ SET NEW.s = 'it''s */'"},
		{"/*!CREATE EVENT e ON SCHEDULE AT '2030-01-01' DO SELECT \"*/\"*/", "CREATE EVENT e ON SCHEDULE AT '2030-01-01' DO SELECT \"*/\""},
		{"DELETE FROM audit WHERE id < 0 */", "DELETE FROM audit WHERE id < 0"},
	} {
		require.Equal(t, tc.want, stripExecutableComments(tc.in), tc.in)
	}
}
