// Package orm checks that Go ORMs work against guocedb the way applications
// use them: GORM (gorm.io/gorm with gorm.io/driver/mysql), gormigrate
// migrations and xorm. Every test starts a real in-process server on
// 127.0.0.1:0 over a fresh Badger directory and checks what it reads back
// over the wire. The package holds only tests.
package orm
