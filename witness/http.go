package witness

import (
	"errors"
	"io"
	"net/http"
	"strconv"
)

// MaxRequestBytes bounds an add-checkpoint body: 63 proof lines and a
// checkpoint with a few signatures fit many times over.
const MaxRequestBytes = 64 << 10

// Handler serves the witness's HTTP interface, with the same prefix for
// submission and monitoring:
//
//	POST /add-checkpoint            tlog-witness add-checkpoint
//	GET  /<origin hash>/checkpoint  the latest checkpoint cosigned for a log
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.serveAdd)
	mux.HandleFunc("GET /{origin}/checkpoint", w.serveLatest)
	return mux
}

func (w *Witness) serveAdd(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestBytes))
	if err != nil {
		textError(rw, http.StatusBadRequest, "request body unreadable or larger than "+strconv.Itoa(MaxRequestBytes)+" bytes")
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		textError(rw, http.StatusBadRequest, err.Error())
		return
	}
	sigs, err := w.AddCheckpoint(req)
	var refused *Error
	switch {
	case errors.As(err, &refused) && refused.Status == http.StatusConflict:
		rw.Header().Set("Content-Type", SizeContentType)
		rw.WriteHeader(http.StatusConflict)
		io.WriteString(rw, strconv.FormatUint(refused.Size, 10)+"\n")
	case errors.As(err, &refused):
		textError(rw, refused.Status, refused.Reason)
	case err != nil:
		w.log.Error("add-checkpoint failed", "err", err)
		textError(rw, http.StatusInternalServerError, "the witness could not store the checkpoint")
	default:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(sigs)
	}
}

func (w *Witness) serveLatest(rw http.ResponseWriter, r *http.Request) {
	b, err := w.Latest(r.PathValue("origin"))
	switch {
	case err != nil:
		textError(rw, http.StatusInternalServerError, "the witness could not read its state")
	case b == nil:
		textError(rw, http.StatusNotFound, "no checkpoint cosigned for this log")
	default:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(b)
	}
}

func textError(rw http.ResponseWriter, status int, msg string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(status)
	io.WriteString(rw, msg+"\n")
}
