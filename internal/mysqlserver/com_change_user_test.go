package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScrambleOf(t *testing.T) {
	salt := []byte("abcdefghijklmnopqrst")
	body := []byte{10}
	body = append(body, "8.0.33\x00"...)
	body = append(body, 1, 0, 0, 0)
	body = append(body, salt[:8]...)
	body = append(body, 0, 0xff, 0xff, 0xff, 2, 0, 0xff, 0xff, 21)
	body = append(body, make([]byte, 10)...)
	body = append(body, salt[8:]...)
	body = append(body, 0)
	body = append(body, "mysql_native_password\x00"...)
	pkt := append([]byte{byte(len(body)), 0, 0, 0}, body...)
	require.Equal(t, salt, scrambleOf(pkt))
	require.Nil(t, scrambleOf(pkt[:4]), "header alone")
	require.Nil(t, scrambleOf(pkt[:20]), "cut short")
}

func TestParseChangeUser(t *testing.T) {
	p := []byte("bob\x00")
	p = append(p, 3, 'x', 'y', 'z')
	p = append(p, "shop\x00"...)
	p = append(p, 45, 0)
	p = append(p, "mysql_native_password\x00"...)
	r, ok := parseChangeUser(p)
	require.True(t, ok)
	require.Equal(t, changeUserRequest{user: "bob", db: "shop", auth: []byte("xyz"), charset: 45}, r)
	_, ok = parseChangeUser([]byte("bob"))
	require.False(t, ok)
	_, ok = parseChangeUser([]byte("bob\x00\x09ab"))
	require.False(t, ok)
}
