package backend

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
)

// FollowMySQLDb keeps db (the users and grants go-mysql-server checks
// logins and privileges against) equal to the stored blob on a cluster
// follower: after an entry written on the leader touches the blob (CREATE
// USER, GRANT, a password change) or a snapshot replaced the store, the
// blob is read again and replaces db's contents. Without it a follower
// would see new accounts only after a restart. Nothing happens on a
// single node, where every change is made here.
func (c *Catalog) FollowMySQLDb(db *mysql_db.MySQLDb) {
	c.store.Watch(keyMySQLDb, func() {
		blob, err := c.LoadMySQLDb()
		if err != nil {
			c.logger.Error("reload users and grants", "err", err)
			return
		}
		if len(blob) == 0 {
			return
		}
		ed := db.Editor()
		// Closing the editor bumps db's update counter, which drops the
		// sessions' cached privilege sets.
		defer ed.Close()
		if err := db.OverwriteUsersAndGrantData(sql.NewEmptyContext(), ed, blob); err != nil {
			c.logger.Error("reload users and grants", "err", err)
			return
		}
		c.logger.Debug("users and grants reloaded after a change on the leader")
	})
}
