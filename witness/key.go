package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// KeyFile is the witness's private key in its data directory (mode 0600).
const KeyFile = "witness.key"

// Key is a witness's signing key: a cosignature/v1 signer and the
// verifier key that others configure to check its cosignatures.
type Key struct {
	Signer note.Signer
	// VerifierKey is "<name>+<hash>+<base64 0x04||public key>".
	VerifierKey string
}

// LoadOrCreateKey returns the witness key kept in dir. At first use it
// generates an Ed25519 key named name and writes it to dir/witness.key
// with mode 0600 (the directory 0700). A stored key of another name is an
// error; name "" accepts the stored key's.
func LoadOrCreateKey(dir, name string) (Key, error) {
	path := filepath.Join(dir, KeyFile)
	skey, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && name != "" {
		skey, err = createKey(dir, name)
	}
	if err != nil {
		return Key{}, fmt.Errorf("witness: key: %w", err)
	}
	k, err := parseKey(strings.TrimSpace(string(skey)))
	if err != nil {
		return Key{}, fmt.Errorf("witness: key %s: %w", path, err)
	}
	if name != "" && k.Signer.Name() != name {
		return Key{}, fmt.Errorf("witness: key %s is named %q, want %q", path, k.Signer.Name(), name)
	}
	return k, nil
}

func parseKey(skey string) (Key, error) {
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return Key{}, err
	}
	pub, err := publicKey(skey)
	if err != nil {
		return Key{}, err
	}
	plain, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return Key{}, err
	}
	vkey, err := fnote.VKeyToCosignatureV1(plain)
	if err != nil {
		return Key{}, err
	}
	return Key{Signer: s, VerifierKey: vkey}, nil
}

// publicKey derives the Ed25519 public key of a note signer key
// ("PRIVATE+KEY+<name>+<hash>+<base64 0x01||seed>").
func publicKey(skey string) (ed25519.PublicKey, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return nil, errors.New("not a note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || (raw[0] != 0x01 && raw[0] != 0x04) {
		return nil, errors.New("not an Ed25519 note signer key")
	}
	return ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey), nil
}

func createKey(dir, name string) ([]byte, error) {
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, KeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(skey + "\n")
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return nil, err
	}
	return []byte(skey), syncDir(dir)
}
