package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// MaxProofLines is the most consistency proof lines a request may carry
// (tlog-witness: "MUST NOT send more than 63").
const MaxProofLines = 63

// SizeContentType is the media type of a 409 answer's body: the witness's
// known tree size in decimal and a newline.
const SizeContentType = "text/x.tlog.size"

// ErrRequest means an add-checkpoint body is malformed (400).
var ErrRequest = errors.New("witness: malformed add-checkpoint request")

// Request is the body of an add-checkpoint call: the size of the
// checkpoint the client believes the witness holds, a consistency proof
// from it to the new checkpoint, and the new signed checkpoint.
type Request struct {
	OldSize    uint64
	Proof      [][]byte
	Checkpoint []byte
}

// Marshal encodes r as tlog-witness specifies: "old N", one base64 hash
// per line, an empty line, the checkpoint.
func (r Request) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("old ")
	b.WriteString(strconv.FormatUint(r.OldSize, 10))
	b.WriteByte('\n')
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseRequest decodes an add-checkpoint body strictly: the old size in
// decimal with no leading zeroes, at most MaxProofLines hashes of 32 bytes
// in standard base64, an empty line, then the checkpoint (not checked
// here). Errors wrap ErrRequest.
func ParseRequest(body []byte) (Request, error) {
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return Request{}, fmt.Errorf("%w: no old size line", ErrRequest)
	}
	size, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return Request{}, fmt.Errorf("%w: first line must be \"old <size>\"", ErrRequest)
	}
	old, err := parseSize(size)
	if err != nil {
		return Request{}, err
	}
	r := Request{OldSize: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return Request{}, fmt.Errorf("%w: no empty line before the checkpoint", ErrRequest)
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines {
			return Request{}, fmt.Errorf("%w: more than %d proof lines", ErrRequest, MaxProofLines)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != 32 {
			return Request{}, fmt.Errorf("%w: proof line %d is not a base64 SHA-256 hash", ErrRequest, len(r.Proof)+1)
		}
		r.Proof = append(r.Proof, h)
	}
	r.Checkpoint = rest
	return r, nil
}

// parseSize reads a tree size: ASCII decimal, no sign, no leading zeroes.
func parseSize(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return 0, fmt.Errorf("%w: size %q is not a decimal with no leading zeroes", ErrRequest, b)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: size %q is not a decimal", ErrRequest, b)
		}
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: size %q: %w", ErrRequest, b, err)
	}
	return n, nil
}

// ParseSize reads the body of a 409 answer (text/x.tlog.size): a size
// and a newline.
func ParseSize(body []byte) (uint64, error) {
	b, ok := bytes.CutSuffix(body, []byte("\n"))
	if !ok {
		return 0, fmt.Errorf("%w: size body must end in a newline", ErrRequest)
	}
	return parseSize(b)
}
