package axs

// Encrypt makes the JWE AXS sends (PBES2-HS512+A256KW / A256GCM, p2c 1000, a fresh UUID
// salt, kid = clientID): the load generator and tests use it to make fresh deliveries.
func Encrypt(plaintext []byte, clientID, secret string) (string, error) {
	return encrypt(plaintext, clientID, secret, nil)
}
