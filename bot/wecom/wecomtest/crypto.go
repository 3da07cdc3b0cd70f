package wecomtest

import (
	"bytes"
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

// The callback crypto of WeCom (docs 91144 / 90968 for apps, 101033 for the
// smart robot), the same scheme as WeChat's "safe mode":
//
//	AESKey     = base64(EncodingAESKey + "=")          (43 chars -> 32 bytes)
//	plaintext  = random(16) + len(msg) as 4-byte big endian + msg + receiveid
//	ciphertext = AES-256-CBC(AESKey, IV = AESKey[:16], PKCS#7 padded to 32 bytes)
//	msg_encrypt = base64(ciphertext)
//	msg_signature = hex(sha1(sort(token, timestamp, nonce, msg_encrypt) joined))
//
// The receive id is the corp id for a self-built app's callback and "" for
// the smart robot (doc 101033: "企业内部智能机器人场景中，ReceiveId为\"\"").

const pkcs7Block = 32

func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecomtest: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("wecomtest: EncodingAESKey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("wecomtest: EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return key, nil
}

// Encrypt encrypts plaintext the way WeCom does for a callback (or expects a
// passive reply to be encrypted) and returns the base64 msg_encrypt.
func Encrypt(encodingAESKey, receiveID string, plaintext []byte) (string, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	buf.Write(random)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(plaintext)))
	buf.Write(n[:])
	buf.Write(plaintext)
	buf.WriteString(receiveID)
	pad := pkcs7Block - buf.Len()%pkcs7Block // 1..32: a full block of 32 when aligned
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := buf.Bytes()
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt reverses Encrypt and checks that the message was encrypted for
// receiveID (WeCom's libraries refuse a message whose receive id differs).
func Decrypt(encodingAESKey, receiveID, b64 string) ([]byte, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: ciphertext is not base64: %w", err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("wecomtest: ciphertext length %d is not a multiple of the AES block", len(data))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > pkcs7Block || pad > len(plain) {
		return nil, fmt.Errorf("wecomtest: bad PKCS#7 padding %d", pad)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errors.New("wecomtest: bad PKCS#7 padding bytes")
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, errors.New("wecomtest: plaintext shorter than random + length")
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if n < 0 || 20+n > len(plain) {
		return nil, fmt.Errorf("wecomtest: message length %d exceeds the plaintext", n)
	}
	msg, rid := plain[20:20+n], string(plain[20+n:])
	if rid != receiveID {
		return nil, fmt.Errorf("wecomtest: receive id is %q, want %q", rid, receiveID)
	}
	return append([]byte(nil), msg...), nil
}

// Signature is WeCom's msg_signature: the hex SHA-1 of the parts sorted
// and concatenated (token, timestamp, nonce and the encrypted message).
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}
