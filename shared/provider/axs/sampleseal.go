package axs

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// sealSample makes a sample delivery's JWE (the same algorithms, p2c and header as encrypt)
// with its salt, content key and IV derived from the sample's name and plaintext, so that
// `make events` rewrites nothing when nothing changed. Only samples sealed with the fake
// development secrets use it: reusing an IV is fatal for a real key, and a real delivery is
// AXS's to encrypt, never ours.
func sealSample(plaintext []byte, clientID, secret, name string) (string, error) {
	seed := sha512.Sum512(append([]byte("payhooks sample "+name+"\x00"), plaintext...))
	saltInput, err := newUUID(bytes.NewReader(seed[:16]))
	if err != nil {
		return "", err
	}
	cek, iv := seed[16:48], seed[48:48+gcmIVLen]
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Enc string `json:"enc"`
		Kid string `json:"kid"`
		P2C int    `json:"p2c"`
		P2S string `json:"p2s"`
	}{KeyAlgorithm, ContentEncryption, clientID, P2C, base64.RawURLEncoding.EncodeToString([]byte(saltInput))})
	if err != nil {
		return "", err
	}
	kek, err := pbkdf2.Key(sha512.New, secret, append([]byte(KeyAlgorithm+"\x00"), saltInput...), P2C, 32)
	if err != nil {
		return "", fmt.Errorf("axs: sample key: %w", err)
	}
	kw, err := aes.NewCipher(kek)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	protected := base64.RawURLEncoding.EncodeToString(header)
	sealed := gcm.Seal(nil, iv, plaintext, []byte(protected))
	ct, tag := sealed[:len(sealed)-gcmTagLen], sealed[len(sealed)-gcmTagLen:]
	b64 := base64.RawURLEncoding.EncodeToString
	return protected + "." + b64(aesKeyWrap(kw, cek)) + "." + b64(iv) + "." + b64(ct) + "." + b64(tag), nil
}

// aesKeyWrap is RFC 3394 §2.2.1 (index-based wrap) with the default IV, aesKeyUnwrap's inverse.
func aesKeyWrap(block cipher.Block, key []byte) []byte {
	n := len(key) / 8
	a := keyWrapIV
	r := bytes.Clone(key)
	var buf [16]byte
	for j := 0; j <= 5; j++ {
		for i := 1; i <= n; i++ {
			copy(buf[:8], a[:])
			copy(buf[8:], r[(i-1)*8:i*8])
			block.Encrypt(buf[:], buf[:])
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(buf[:8])^uint64(n*j+i))
			copy(r[(i-1)*8:i*8], buf[8:])
		}
	}
	return append(a[:], r...)
}
