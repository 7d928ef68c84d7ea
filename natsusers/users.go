// Package natsusers owns the downstream NATS users of a node's embedded
// server: their file under the data directory (names and bcrypt hashes),
// their read-only permissions, the embedded server's authorization built
// from them, and credentials files.
package natsusers

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"
)

// Names the embedded server's authorization uses.
const (
	// NATSUsersFile holds the downstream NATS users under the data
	// directory (mode 0600): names and bcrypt password hashes.
	NATSUsersFile = "nats-users.json"
	// LedgerNATSUser is the ledger's own user on the embedded server. Its
	// password is random, made at each start and never written down.
	LedgerNATSUser = "ledger"
	// DefaultNATSURL is where downstream clients reach a node started with
	// --nats-listen 127.0.0.1:4222.
	DefaultNATSURL = "nats://127.0.0.1:4222"

	// NATSStream and NATSSubjectPrefix are the stream and the subject
	// prefix of a node with the default configuration, which the
	// downstream permissions cover.
	NATSStream        = "LEDGER"
	NATSSubjectPrefix = "ledger.ev"

	stream        = NATSStream
	subjectPrefix = NATSSubjectPrefix
	checkpoints   = "ledger.checkpoint"
)

// Errors of the NATS user store. Match them with errors.Is.
var (
	ErrNATSUserExists   = errors.New("natsusers: NATS user already exists")
	ErrNATSUserNotFound = errors.New("natsusers: no such NATS user")
	ErrNATSUserName     = errors.New("natsusers: bad NATS user name (1-64 letters, digits, '-', '_'; not \"ledger\")")
)

// NATSUser is one downstream (read-only) user of the embedded server.
type NATSUser struct {
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash"` // bcrypt
	Created      time.Time `json:"created"`
}

// NATSCredentials is what a downstream client needs to connect: the file
// "ledger nats-user create --out" writes. Its field names are those of a
// natscli context, so the file can also be saved as a nats context.
type NATSCredentials struct {
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	User        string `json:"user"`
	Password    string `json:"password"`
}

// DownstreamPermissions are the rights of a downstream user: read the
// ledger's subjects, create, read and delete consumers on its stream, read
// single messages, ack. Publishing into the stream's subjects and
// deleting, purging or changing the stream or its messages are denied.
func DownstreamPermissions() *server.Permissions {
	api := "$JS.API."
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				api + "INFO",
				api + "STREAM.INFO." + stream,
				api + "STREAM.NAMES",
				api + "CONSUMER.CREATE." + stream,
				api + "CONSUMER.CREATE." + stream + ".>",
				api + "CONSUMER.DURABLE.CREATE." + stream + ".>",
				api + "CONSUMER.INFO." + stream + ".>",
				api + "CONSUMER.NAMES." + stream,
				api + "CONSUMER.LIST." + stream,
				api + "CONSUMER.MSG.NEXT." + stream + ".>",
				api + "CONSUMER.DELETE." + stream + ".>",
				api + "STREAM.MSG.GET." + stream,
				api + "DIRECT.GET." + stream,
				api + "DIRECT.GET." + stream + ".>",
				"$JS.ACK." + stream + ".>",
				"$JS.FC.>",
			},
			Deny: []string{
				subjectPrefix + ".>", checkpoints,
				api + "STREAM.MSG.DELETE.*", api + "STREAM.PURGE.*",
				api + "STREAM.DELETE.*", api + "STREAM.UPDATE.*",
			},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{subjectPrefix + ".>", checkpoints, "_INBOX.>"},
		},
	}
}

// EmbeddedAuth returns the embedded server's options with its users (the
// ledger's own, with full rights, and every downstream user of
// dataDir/nats-users.json, read-only), and the connection options of the
// ledger's own user. Pass them as eventstore.Config.ServerOptions and
// NATSOptions when the embedded server listens. Users created or revoked
// later take effect at the node's next start.
func EmbeddedAuth(dataDir string) (*server.Options, []nats.Option, error) {
	users, err := LoadNATSUsers(dataDir)
	if err != nil {
		return nil, nil, err
	}
	secret, err := randomSecret()
	if err != nil {
		return nil, nil, err
	}
	opts := &server.Options{Users: []*server.User{{Username: LedgerNATSUser, Password: secret}}}
	perms := DownstreamPermissions()
	for _, u := range users {
		opts.Users = append(opts.Users, &server.User{Username: u.Name, Password: u.PasswordHash, Permissions: perms})
	}
	return opts, []nats.Option{nats.UserInfo(LedgerNATSUser, secret)}, nil
}

// LoadNATSUsers reads the downstream users of dataDir, sorted by name; none
// when the file does not exist.
func LoadNATSUsers(dataDir string) ([]NATSUser, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, NATSUsersFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsusers: read NATS users: %w", err)
	}
	var users []NATSUser
	if err := json.Unmarshal(b, &users); err != nil {
		return nil, fmt.Errorf("natsusers: %s: %w", NATSUsersFile, err)
	}
	return users, nil
}

// CreateNATSUser adds a downstream user with a new random password to
// dataDir and returns the password (it is stored only as a bcrypt hash).
func CreateNATSUser(dataDir, name string) (string, error) {
	if !validUserName(name) {
		return "", ErrNATSUserName
	}
	users, err := LoadNATSUsers(dataDir)
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(users, func(u NATSUser) bool { return u.Name == name }) {
		return "", fmt.Errorf("%w: %s", ErrNATSUserExists, name)
	}
	secret, err := randomSecret()
	if err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("natsusers: hash password: %w", err)
	}
	users = append(users, NATSUser{Name: name, PasswordHash: string(hash), Created: time.Now().UTC()})
	return secret, saveNATSUsers(dataDir, users)
}

// RevokeNATSUser removes a downstream user from dataDir.
func RevokeNATSUser(dataDir, name string) error {
	users, err := LoadNATSUsers(dataDir)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(users, func(u NATSUser) bool { return u.Name == name })
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrNATSUserNotFound, name)
	}
	return saveNATSUsers(dataDir, slices.Delete(users, i, i+1))
}

// saveNATSUsers writes the users file atomically, mode 0600.
func saveNATSUsers(dataDir string, users []NATSUser) error {
	slices.SortFunc(users, func(a, b NATSUser) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.MarshalIndent(users, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dataDir, NATSUsersFile+".*")
	if err != nil {
		return fmt.Errorf("natsusers: write NATS users: %w", err)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dataDir, NATSUsersFile))
	}
	if err != nil {
		return fmt.Errorf("natsusers: write NATS users: %w", err)
	}
	return nil
}

// ReadNATSCredentials returns the server URL (empty if the file names none)
// and the connection options of a credentials file: a NATSCredentials JSON
// file as "ledger nats-user create" writes, or a NATS .creds file (JWT and
// nkey seed) of an operator-managed server.
func ReadNATSCredentials(path string) (string, []nats.Option, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("natsusers: read credentials: %w", err)
	}
	if !strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		return "", []nats.Option{nats.UserCredentials(path)}, nil
	}
	var c NATSCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		return "", nil, fmt.Errorf("natsusers: credentials %s: %w", path, err)
	}
	return c.URL, []nats.Option{nats.UserInfo(c.User, c.Password)}, nil
}

func validUserName(s string) bool {
	if s == "" || len(s) > 64 || s == LedgerNATSUser {
		return false
	}
	for _, c := range s {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

func randomSecret() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("natsusers: random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
