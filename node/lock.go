package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockFile is the data directory's lock: whoever has the directory open,
// a serving node or an offline command, holds an exclusive flock on it
// and writes in it who they are (Holder).
const lockFile = "ledger.lock"

// ErrInUse means another process (or another open node of this process)
// holds the data directory. The error is an *InUseError naming it.
var ErrInUse = errors.New("node: data directory in use")

// Holder is who holds a data directory, as it wrote itself into the lock.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	HTTP    string    `json:"http,omitempty"` // the address a serving node listens on
}

// InUseError says which process holds a data directory and what to do.
type InUseError struct {
	Dir    string
	Holder Holder // zero when the holder had not written itself yet
}

func (e *InUseError) Unwrap() error { return ErrInUse }

func (e *InUseError) Error() string {
	who, url := "another process", "http://HOST:PORT"
	zhWho := "另一进程"
	if h := e.Holder; h.PID != 0 {
		who = fmt.Sprintf("process %d (%s, since %s", h.PID, h.Command, h.Since.Format(time.RFC3339))
		zhWho = fmt.Sprintf("进程 %d(%s，自 %s 起", h.PID, h.Command, h.Since.Format(time.RFC3339))
		if h.HTTP != "" {
			url = h.HTTP
			who += ", serving " + h.HTTP
			zhWho += "，HTTP 服务 " + h.HTTP
		}
		who += ")"
		zhWho += ")"
	}
	return fmt.Sprintf("数据目录 %s 正由%s使用并加锁；离线命令须先停止该进程，或不停机改用其 HTTP 接口"+
		"(ledger query state / audit-trail --server %s)。 / the data directory %s is in use: %s holds its lock. "+
		"Stop it before an offline command, or ask the running node over HTTP instead "+
		"(ledger query state, ledger query audit-trail, with --server %s)", e.Dir, zhWho, url, e.Dir, who, url)
}

// dirLock is a held lock on a data directory.
type dirLock struct {
	f      *os.File
	holder Holder
}

// lockDir takes the exclusive lock on dir without waiting and writes the
// holder into it. A lock already held is an *InUseError naming its
// holder. The lock ends with release or with the process.
func lockDir(dir, command string) (*dirLock, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("node: open the data directory's lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Dir: dir, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("node: lock the data directory %s: %w", dir, err)
	}
	l := &dirLock{f: f, holder: Holder{PID: os.Getpid(), Command: command, Since: time.Now().UTC().Truncate(time.Second)}}
	if err := l.write(); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

func (l *dirLock) write() error {
	b, _ := json.Marshal(l.holder)
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("node: write the data directory's lock: %w", err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("node: write the data directory's lock: %w", err)
	}
	return nil
}

// release ends the lock; the file stays (removing it would race with a
// process that has just opened it).
func (l *dirLock) release() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}

func readHolder(path string) Holder {
	var h Holder
	b, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal(b, &h) // a holder that has not written yet is unnamed
	}
	return h
}

// commandName is how a holder is named: the program and its subcommand.
func commandName() string {
	parts := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			break
		}
		parts = append(parts, a)
		if len(parts) == 3 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// LockDataDir takes the data directory's lock for a command that opens its
// stores itself (rebuild), as Open does: an *InUseError when a node or
// another command holds it. Call release when done.
func LockDataDir(dir string) (release func() error, err error) {
	l, err := lockDir(dir, commandName())
	if err != nil {
		return nil, err
	}
	return l.release, nil
}
