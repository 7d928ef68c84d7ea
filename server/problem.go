package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
)

// Problem is an RFC 9457 problem detail (application/problem+json) with the
// ledger's extensions: a stable Code, the Kind of error, the Rule broken
// (with its legal source) and messages in Chinese and English.
type Problem struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail,omitempty"`
	Code           string   `json:"code"`
	Kind           string   `json:"kind"`
	Rule           string   `json:"rule,omitempty"`
	ZH             string   `json:"zh,omitempty"`
	EN             string   `json:"en,omitempty"`
	CurrentVersion *uint64  `json:"current_version,omitempty"`
	Errors         []string `json:"errors,omitempty"`
	// Retryable says the same request (with the same command ID) may be
	// sent again after Retry-After seconds and may then succeed.
	Retryable bool `json:"retryable,omitempty"`

	retryAfter int // seconds; sent as Retry-After when > 0
}

// retry marks the problem retryable after the given seconds (Retry-After).
func (p *Problem) retry(seconds int) {
	p.retryAfter = seconds
	p.Retryable = true
}

// Error returns the English message.
func (p *Problem) Error() string { return p.Code + ": " + p.EN }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType implements huma.ContentTypeFilter.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" || ct == "" {
		return "application/problem+json"
	}
	return ct
}

// GetHeaders implements huma.HeadersError (Retry-After).
func (p *Problem) GetHeaders() http.Header {
	h := http.Header{}
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	return h
}

// class is how the server classifies an error before it picks a status.
type class string

const (
	classBadRequest  class = "bad_request" // malformed request: JSON, headers
	classInvalid     class = "invalid"     // domain.ErrInvalid: well-formed but invalid input
	classRule        class = "rule"        // domain.ErrRule: a rule of the law
	classConflict    class = "conflict"    // domain.ErrConflict, eventstore.ErrConflict, command ID in use
	classNotFound    class = "not_found"   // domain.ErrNotFound, unknown route or record
	classUnauth      class = "unauthenticated"
	classForbidden   class = "forbidden"
	classTooLarge    class = "too_large"
	classUnsupported class = "unsupported_media_type" // a body that is not JSON
	classMethod      class = "method_not_allowed"
	classOverloaded  class = "overloaded" // the write semaphore is full
	classBusy        class = "too_many_requests"
	classNotReady    class = "unavailable"
	classInternal    class = "internal"
)

// statusOf is the one table from error classes to HTTP statuses.
var statusOf = map[class]int{
	classBadRequest:  http.StatusBadRequest,
	classInvalid:     http.StatusUnprocessableEntity,
	classRule:        http.StatusUnprocessableEntity,
	classConflict:    http.StatusConflict,
	classNotFound:    http.StatusNotFound,
	classUnauth:      http.StatusUnauthorized,
	classForbidden:   http.StatusForbidden,
	classTooLarge:    http.StatusRequestEntityTooLarge,
	classUnsupported: http.StatusUnsupportedMediaType,
	classMethod:      http.StatusMethodNotAllowed,
	classBusy:        http.StatusTooManyRequests,
	classOverloaded:  http.StatusServiceUnavailable,
	classNotReady:    http.StatusServiceUnavailable,
	classInternal:    http.StatusInternalServerError,
}

// classOfKind maps the domain's error kinds into the table.
var classOfKind = map[domain.ErrorKind]class{
	domain.ErrInvalid:  classInvalid,
	domain.ErrRule:     classRule,
	domain.ErrConflict: classConflict,
	domain.ErrNotFound: classNotFound,
}

// classOfStatus maps statuses that huma produces itself back to classes.
func classOfStatus(status int) class {
	switch status {
	case http.StatusNotFound:
		return classNotFound
	case http.StatusUnauthorized:
		return classUnauth
	case http.StatusForbidden:
		return classForbidden
	case http.StatusConflict:
		return classConflict
	case http.StatusRequestEntityTooLarge:
		return classTooLarge
	case http.StatusUnsupportedMediaType:
		return classUnsupported
	case http.StatusMethodNotAllowed:
		return classMethod
	case http.StatusUnprocessableEntity:
		return classInvalid
	case http.StatusTooManyRequests:
		return classBusy
	case http.StatusServiceUnavailable:
		return classNotReady
	}
	if status >= 500 {
		return classInternal
	}
	return classBadRequest
}

func newProblem(c class, code, zh, en string) *Problem {
	st := statusOf[c]
	return &Problem{Type: "urn:ledger:problem:" + code, Title: http.StatusText(st), Status: st,
		Detail: en, Code: code, Kind: string(c), ZH: zh, EN: en}
}

// problemOf maps any error of the command or query path to a Problem. The
// second result is false for errors the client did not cause (logged).
func problemOf(err error) (*Problem, bool) {
	var p *Problem
	if errors.As(err, &p) {
		return p, true
	}
	if de, ok := domain.AsError(err); ok {
		c := classOfKind[de.Kind]
		if de.Code == "invalid_json" {
			c = classBadRequest
		}
		if c == "" {
			c = classInvalid
		}
		p := newProblem(c, de.Code, de.ZH, de.EN)
		p.Rule = de.Rule
		return p, true
	}
	var ce *eventstore.ConflictError
	if errors.As(err, &ce) {
		p := newProblem(classConflict, "version_conflict", "对象已被其他写入更新，请重试",
			"the aggregate was changed by another writer; retry")
		v := ce.Current
		p.CurrentVersion = &v
		return p, true
	}
	switch {
	case errors.Is(err, eventstore.ErrInvalid):
		return newProblem(classInvalid, "invalid_append", "写入无效", err.Error()), true
	case errors.Is(err, eventstore.ErrNotFound):
		return newProblem(classNotFound, "not_found", "未找到", "not found"), true
	case errors.Is(err, eventstore.ErrStorageLimit):
		p := newProblem(classNoStorage, "storage_limit",
			"JetStream 存储已达上限（按压缩前的大小计），暂不能记录；请释放磁盘空间后重启节点，或用 --jetstream-max-store-gib 调高上限",
			"JetStream's storage limit is reached (counted before compression): nothing can be recorded; free disk space and restart the node, or raise the limit with --jetstream-max-store-gib")
		p.retry(60)
		return p, false
	case errors.Is(err, app.ErrBehind):
		p := newProblem(classNotReady, "not_caught_up", "节点尚未追上日志，无法判断该命令是否已记录；请用同一命令编号重试",
			"the node has not caught up with the log, so it cannot tell whether this command is already recorded; retry with the same command ID")
		p.retry(1)
		return p, true
	case errors.Is(err, eventstore.ErrUnavailable):
		p := newProblem(classNotReady, "unavailable", "日志服务暂不可用（如正在选举新的主节点），请用同一命令编号稍后重试",
			"JetStream is unavailable for now (for example while it elects a new leader); retry with the same command ID")
		p.retry(1)
		return p, false
	case eventstore.IsStoreDamage(err):
		return newProblem(classNotReady, "corrupt_store", "节点的 Pebble 副本已损坏；请停止节点，用 ledger audit verify --deep 查明文件，再用 ledger rebuild --from-jetstream 重建",
			"the node's Pebble copy is damaged; stop the node, name the file with ledger audit verify --deep, then rebuild it with ledger rebuild --from-jetstream"), false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		p := newProblem(classNotReady, "unavailable", "服务暂不可用，请稍后重试", "the server could not finish in time; retry")
		p.retry(1)
		return p, false
	}
	return newProblem(classInternal, "internal", "服务器内部错误", "internal error"), false
}

// humaError builds the problem for errors huma raises itself (body too
// large, unreadable body, bad parameters).
func humaError(status int, msg string, errs ...error) huma.StatusError {
	c := classOfStatus(status)
	code := string(c)
	switch status {
	case http.StatusRequestEntityTooLarge:
		code = "body_too_large"
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		code = "invalid_request"
	case http.StatusNotFound:
		code = "not_found"
	}
	p := newProblem(c, code, "请求无效: "+msg, msg)
	p.Status = status
	p.Title = http.StatusText(status)
	for _, e := range errs {
		if e != nil && status < 500 { // internal errors stay in the logs
			p.Errors = append(p.Errors, e.Error())
		}
	}
	return p
}

func init() {
	huma.NewError = humaError
}

// Problem constructors used by the server itself.
var (
	errNoToken = func() *Problem {
		return newProblem(classUnauth, "unauthenticated", "缺少或无效的访问令牌", "a valid bearer token is required")
	}
	errBadToken = func() *Problem {
		return newProblem(classUnauth, "invalid_token", "访问令牌无效或已撤销", "the bearer token is malformed, unknown or revoked")
	}
	errForbidden = func(en string) *Problem {
		return newProblem(classForbidden, "forbidden", "无权执行此操作", en)
	}
	errOutOfScope = func() *Problem {
		return newProblem(classForbidden, "out_of_scope", "超出令牌授权范围", "the target is outside the token's scope")
	}
	errOverloaded = func() *Problem {
		p := newProblem(classOverloaded, "overloaded", "写入繁忙，请稍后重试", "too many writes in flight; retry later")
		p.retry(1)
		return p
	}
	errNotReady = func() *Problem {
		p := newProblem(classNotReady, "not_ready", "节点仍在追赶日志", "the node is still catching up with the log")
		p.retry(1)
		return p
	}
)
