package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// decrypt opens a WeCom callback payload: AES-256-CBC with the key from
// EncodingAESKey, IV = key[:16], PKCS#7 to 32 bytes, plaintext = 16 random
// bytes, a 4-byte big-endian length, the message, and the receive id.
// silenceper's util.DecryptMsg cannot open the smart robot's payloads,
// whose receive id is empty, so bbcs opens them itself.
func decrypt(encodingAESKey, receiveID, b64 string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecom: encoding_aes_key must be 43 characters of base64")
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("wecom: payload is not base64: %w", err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("wecom: payload is not whole AES blocks")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("wecom: bad padding")
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, errors.New("wecom: payload too short")
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if n > len(plain)-20 {
		return nil, errors.New("wecom: payload length does not fit")
	}
	msg, rid := plain[20:20+n], plain[20+n:]
	if string(rid) != receiveID {
		return nil, errors.New("wecom: payload is for another receiver")
	}
	return msg, nil
}
