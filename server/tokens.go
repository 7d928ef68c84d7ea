package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/oklog/ulid/v2"

	"ledger/domain"
)

// Role is what a token may do. See the package documentation for the matrix.
type Role string

// The roles.
const (
	RoleAdmin      Role = "admin"      // everything, tokens included
	RoleSupervisor Role = "supervisor" // election supervisor: elections and stations in scope (election IDs, region prefixes)
	RoleSecretary  Role = "secretary"  // consultation secretary: consultations of the communities in scope (region prefixes)
	RoleInspector  Role = "inspector"  // reads everything, audit included; writes inspections (in scope when a scope is set)
	RoleObserver   Role = "observer"   // reads published aggregates only: turnout, results, resolutions
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleSupervisor, RoleSecretary, RoleInspector, RoleObserver}

// Token is a stored bearer token. The secret itself is never stored: only
// its SHA-256.
type Token struct {
	ID        string    `json:"id"`
	Role      Role      `json:"role"`
	Scope     []string  `json:"scope,omitempty"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never
	Hash      string    `json:"-"`
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }

// Errors of the token store.
var (
	ErrTokenInvalid  = errors.New("server: token invalid or revoked")
	ErrTokenNotFound = errors.New("server: no such token")
	ErrBadRole       = errors.New("server: invalid role or scope")
)

// Pebble keys under the prefix 'z' (the server's):
//
//	"z/token/" id           -> Token as JSON, with its hash
//	"z/tokhash/" sha256 hex -> id
//	"z/bootstrap"           -> id of the bootstrap admin token
//	"z/cmd/" command ID     -> SHA-256 of the command's type and canonical body
const (
	keyToken     = "z/token/"
	keyTokenHash = "z/tokhash/"
	keyBootstrap = "z/bootstrap"
	keyCmd       = "z/cmd/"
)

// tokenPrefix starts every secret, so that leaked tokens are recognizable.
const tokenPrefix = "ldg_"

// Tokens stores bearer tokens in the node's Pebble. Its methods are safe for
// concurrent use. Only one process may use a data directory at a time
// (Pebble locks it), so the in-memory cache is never stale.
type Tokens struct {
	db    *pebble.DB
	now   func() time.Time
	mu    sync.RWMutex
	cache map[string]Token // by hash
}

// NewTokens returns the token store kept in db.
func NewTokens(db *pebble.DB) *Tokens {
	return &Tokens{db: db, now: time.Now, cache: map[string]Token{}}
}

type storedToken struct {
	Token
	Hash string `json:"hash"`
}

// ValidateScope checks a role's scope: supervisors need election IDs
// (ULIDs) or region prefixes; secretaries region prefixes; inspectors
// optional region prefixes; admins and observers none.
func ValidateScope(role Role, scope []string) error {
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("%w: unknown role %q (admin, supervisor, secretary, inspector, observer)", ErrBadRole, role)
	}
	for _, s := range scope {
		isRegion := domain.Region(s).Level() != domain.LevelInvalid
		_, idErr := ulid.ParseStrict(s)
		switch {
		case role == RoleAdmin || role == RoleObserver:
			return fmt.Errorf("%w: role %s takes no scope", ErrBadRole, role)
		case role == RoleSupervisor && (isRegion || idErr == nil):
		case (role == RoleSecretary || role == RoleInspector) && isRegion:
		default:
			return fmt.Errorf("%w: scope entry %q is not valid for role %s", ErrBadRole, s, role)
		}
	}
	if len(scope) == 0 && (role == RoleSupervisor || role == RoleSecretary) {
		return fmt.Errorf("%w: role %s needs a scope", ErrBadRole, role)
	}
	return nil
}

// Create makes a new token and returns its secret, which is shown once
// and never stored. An empty actor defaults to "<role>:<id>".
func (ts *Tokens) Create(role Role, scope []string, actor string) (string, Token, error) {
	return ts.CreateWithTTL(role, scope, actor, 0)
}

// CreateWithTTL is Create for a token that expires ttl after its creation
// (0: never). An expired token authenticates no request and its open
// streams end.
func (ts *Tokens) CreateWithTTL(role Role, scope []string, actor string, ttl time.Duration) (string, Token, error) {
	if err := ValidateScope(role, scope); err != nil {
		return "", Token{}, err
	}
	if ttl < 0 {
		return "", Token{}, fmt.Errorf("%w: a token's time to live must be positive", ErrBadRole)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	t := Token{ID: ulid.Make().String(), Role: role, Scope: slices.Clone(scope), Actor: actor,
		CreatedAt: ts.now().UTC(), Hash: hashSecret(secret)}
	if ttl > 0 {
		t.ExpiresAt = t.CreatedAt.Add(ttl)
	}
	if t.Actor == "" {
		t.Actor = string(role) + ":" + t.ID
	}
	b := ts.db.NewBatch()
	defer b.Close()
	if err := ts.put(b, t); err != nil {
		return "", Token{}, err
	}
	_ = b.Set([]byte(keyTokenHash+t.Hash), []byte(t.ID), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return "", Token{}, fmt.Errorf("server: store token: %w", err)
	}
	return secret, t, nil
}

func (ts *Tokens) put(b *pebble.Batch, t Token) error {
	v, err := json.Marshal(storedToken{Token: t, Hash: t.Hash})
	if err != nil {
		return err
	}
	return b.Set([]byte(keyToken+t.ID), v, nil)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Get returns the token with this ID.
func (ts *Tokens) Get(id string) (Token, error) {
	v, closer, err := ts.db.Get([]byte(keyToken + id))
	if errors.Is(err, pebble.ErrNotFound) {
		return Token{}, ErrTokenNotFound
	}
	if err != nil {
		return Token{}, err
	}
	defer closer.Close()
	var st storedToken
	if err := json.Unmarshal(v, &st); err != nil {
		return Token{}, fmt.Errorf("server: token %s: %w", id, err)
	}
	st.Token.Hash = st.Hash
	return st.Token, nil
}

// Revoke revokes the token with this ID; revoking twice is not an error.
func (ts *Tokens) Revoke(id string) (Token, error) {
	t, err := ts.Get(id)
	if err != nil || t.Revoked() {
		return t, err
	}
	t.RevokedAt = ts.now().UTC()
	b := ts.db.NewBatch()
	defer b.Close()
	if err := ts.put(b, t); err != nil {
		return Token{}, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return Token{}, err
	}
	ts.mu.Lock()
	delete(ts.cache, t.Hash)
	ts.mu.Unlock()
	return t, nil
}

// List returns every token, revoked ones included, oldest first.
func (ts *Tokens) List() ([]Token, error) {
	it, err := ts.db.NewIter(&pebble.IterOptions{LowerBound: []byte(keyToken), UpperBound: []byte(keyToken + "\xff")})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Token
	for it.First(); it.Valid(); it.Next() {
		var st storedToken
		if err := json.Unmarshal(it.Value(), &st); err != nil {
			return nil, err
		}
		st.Token.Hash = st.Hash
		out = append(out, st.Token)
	}
	return out, it.Error()
}

// Authenticate returns the live token whose secret this is, or
// ErrTokenInvalid.
func (ts *Tokens) Authenticate(secret string) (Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) != len(tokenPrefix)+43 {
		return Token{}, ErrTokenInvalid
	}
	h := hashSecret(secret)
	ts.mu.RLock()
	t, ok := ts.cache[h]
	ts.mu.RUnlock()
	if ok {
		return ts.live(t)
	}
	v, closer, err := ts.db.Get([]byte(keyTokenHash + h))
	if errors.Is(err, pebble.ErrNotFound) {
		return Token{}, ErrTokenInvalid
	}
	if err != nil {
		return Token{}, err
	}
	id := string(v)
	closer.Close()
	t, err = ts.Get(id)
	if err != nil || t.Revoked() || t.Hash != h {
		return Token{}, ErrTokenInvalid
	}
	ts.mu.Lock()
	ts.cache[h] = t
	ts.mu.Unlock()
	return ts.live(t)
}

// live returns t unless it has expired.
func (ts *Tokens) live(t Token) (Token, error) {
	if t.Expired(ts.now()) {
		return Token{}, ErrTokenInvalid
	}
	return t, nil
}

// StillValid reports whether t, authenticated earlier, is still neither
// revoked nor expired. Streams call it periodically.
func (ts *Tokens) StillValid(t Token) bool {
	ts.mu.RLock()
	_, cached := ts.cache[t.Hash]
	ts.mu.RUnlock()
	if cached { // Revoke drops the token from the cache
		return !t.Expired(ts.now())
	}
	cur, err := ts.Get(t.ID)
	return err == nil && !cur.Revoked() && !cur.Expired(ts.now())
}

// BootstrapFile is the name of the file, in the data directory, that holds
// the bootstrap admin token (mode 0600).
const BootstrapFile = "admin.token"

// Bootstrap creates the first admin token if none was ever created, writes
// its secret to dir/admin.token (mode 0600) and returns it with created
// true. Later calls return "" and false.
func (ts *Tokens) Bootstrap(dir string) (string, bool, error) {
	if _, closer, err := ts.db.Get([]byte(keyBootstrap)); err == nil {
		closer.Close()
		return "", false, nil
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return "", false, err
	}
	secret, t, err := ts.Create(RoleAdmin, nil, "admin:bootstrap")
	if err != nil {
		return "", false, err
	}
	path := filepath.Join(dir, BootstrapFile)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("server: write %s: %w", path, err)
	}
	if err := ts.db.Set([]byte(keyBootstrap), []byte(t.ID), pebble.Sync); err != nil {
		return "", false, err
	}
	return secret, true, nil
}
