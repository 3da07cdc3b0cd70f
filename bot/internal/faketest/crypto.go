package faketest

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

// The message crypto (消息加解密) of WeChat's safe mode (安全模式) and of
// WeCom's callbacks (docs 91144 / 90968 for apps, 101033 for the smart
// robot), one scheme:
//
//	key        = base64decode(EncodingAESKey + "=")   (43 chars → 32 bytes)
//	iv         = key[:16]
//	plaintext  = random(16) + len(msg) (4 bytes, big-endian) + msg + receiveID
//	padding    = PKCS#7 to a multiple of 32 bytes (not AES's 16)
//	Encrypt    = base64(AES-256-CBC(plaintext))
//	signature  = hex(sha1(concat(sort(token, timestamp, nonce[, Encrypt]))))
//
// The receive id is WeChat's app id, WeCom's corp id for a self-built app,
// and "" for WeCom's smart robot (doc 101033).

const padBlock = 32

func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must have 43 characters, has %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("EncodingAESKey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return key, nil
}

// Encrypt encrypts msg for receiveID as the platform does: the result is
// the <Encrypt> (msg_encrypt) value.
func Encrypt(encodingAESKey, receiveID string, msg []byte) (string, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 20, 20+len(msg)+len(receiveID)+padBlock)
	if _, err := rand.Read(buf[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(msg)))
	buf = append(buf, msg...)
	buf = append(buf, receiveID...)
	pad := padBlock - len(buf)%padBlock // 1..32: a whole block of 32 when aligned
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
// that the message was encrypted for receiveID (the platforms' libraries
// refuse one for another receiver), and returns the message.
func Decrypt(encodingAESKey, receiveID, b64 string) ([]byte, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("ciphertext is not base64: %w", err)
	}
	if len(buf) < padBlock || len(buf)%padBlock != 0 {
		return nil, fmt.Errorf("ciphertext length %d is not a positive multiple of %d", len(buf), padBlock)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > padBlock {
		return nil, fmt.Errorf("bad PKCS#7 padding %d (wrong key?)", pad)
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad PKCS#7 padding (wrong key?)")
		}
	}
	buf = buf[:len(buf)-pad]
	if len(buf) < 20 {
		return nil, fmt.Errorf("plaintext too short (%d bytes)", len(buf))
	}
	n := binary.BigEndian.Uint32(buf[16:20])
	if uint64(n) > uint64(len(buf)-20) {
		return nil, fmt.Errorf("message length %d exceeds the plaintext", n)
	}
	msg, got := buf[20:20+n], string(buf[20+n:])
	if got != receiveID {
		return nil, fmt.Errorf("receive id in the message is %q, want %q", got, receiveID)
	}
	return msg, nil
}

// Signature is the platforms' SHA-1 signature (signature, msg_signature):
// the parts sorted as strings, concatenated, hex of the SHA-1.
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}
