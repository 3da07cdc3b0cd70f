package wechattest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// WeChat's message crypto (消息加解密), written here from the published
// scheme rather than taken from the SDK, so the tests cross-check the SDK:
//
//	key        = base64decode(EncodingAESKey + "=")   (43 chars → 32 bytes)
//	iv         = key[:16]
//	plaintext  = random(16) + len(xml) (4 bytes, big-endian) + xml + appID
//	padding    = PKCS#7 to a multiple of 32 bytes (not AES's 16)
//	Encrypt    = base64(AES-256-CBC(plaintext))
//	signature  = hex(sha1(concat(sort(token, timestamp, nonce[, Encrypt]))))

const padBlock = 32

func decodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wechattest: EncodingAESKey must have 43 characters, has %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("wechattest: EncodingAESKey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("wechattest: EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return key, nil
}

// Encrypt encrypts plaintext (a message XML) the way WeChat does for a safe
// mode (安全模式) account: the result is the <Encrypt> value. aesKey is the
// 43-character EncodingAESKey; appID is appended to the plaintext and
// checked by the receiver.
func Encrypt(aesKey, appID string, plaintext []byte) (string, error) {
	key, err := decodeAESKey(aesKey)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 20, 20+len(plaintext)+len(appID)+padBlock)
	if _, err := rand.Read(buf[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(plaintext)))
	buf = append(buf, plaintext...)
	buf = append(buf, appID...)
	pad := padBlock - len(buf)%padBlock // 1..32
	for range pad {
		buf = append(buf, byte(pad))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	cipher.NewCBCEncrypter(block, key[:aes.BlockSize]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// Decrypt reverses Encrypt: it checks the padding, the length prefix and
// that the trailing app id is appID, and returns the message XML.
func Decrypt(aesKey, appID, b64 string) ([]byte, error) {
	key, err := decodeAESKey(aesKey)
	if err != nil {
		return nil, err
	}
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("wechattest: Encrypt is not base64: %w", err)
	}
	if len(buf) < padBlock || len(buf)%padBlock != 0 {
		return nil, fmt.Errorf("wechattest: ciphertext length %d is not a positive multiple of %d", len(buf), padBlock)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > padBlock {
		return nil, fmt.Errorf("wechattest: bad PKCS#7 padding %d (wrong key?)", pad)
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, errors.New("wechattest: bad PKCS#7 padding (wrong key?)")
		}
	}
	buf = buf[:len(buf)-pad]
	if len(buf) < 20 {
		return nil, fmt.Errorf("wechattest: plaintext too short (%d bytes)", len(buf))
	}
	n := binary.BigEndian.Uint32(buf[16:20])
	if uint64(n) > uint64(len(buf)-20) {
		return nil, fmt.Errorf("wechattest: message length %d exceeds the plaintext", n)
	}
	msg, got := buf[20:20+n], string(buf[20+n:])
	if got != appID {
		return nil, fmt.Errorf("wechattest: app id in the message is %q, want %q", got, appID)
	}
	return msg, nil
}

// signature is WeChat's sha1 signature: the parts sorted as strings,
// concatenated, hex of the SHA-1.
func signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}
