package pkcs11

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	p11 "github.com/miekg/pkcs11"
)

// Config says which token to open.
type Config struct {
	// ModulePath is the file name of the PKCS #11 library, for example
	// /opt/cloudhsm/lib/libcloudhsm_pkcs11.so or SoftHSM2's libsofthsm2.so.
	ModulePath string
	// TokenLabel selects the token by label. Exactly one of TokenLabel and
	// Slot must be set.
	TokenLabel string
	// Slot selects the token by slot ID.
	Slot *uint
	// PIN is the user PIN. It is used to log in and then dropped; it is
	// never logged and never appears in an error.
	PIN string
	// MaxSessions bounds the sessions open on the token at once (default
	// 8). Operations beyond it wait for a free session. The first Open of
	// a token sets it; later Opens of the same token share that pool.
	MaxSessions int
}

// Token is an open, logged-in PKCS #11 token. It is safe for concurrent
// use. Every Token opened for the same module and slot shares one session
// pool and one login.
type Token struct {
	st     *tokenState
	mu     sync.Mutex
	closed bool
}

// module is one loaded PKCS #11 library, shared by all Tokens using it.
type module struct {
	path   string
	ctx    *p11.Ctx
	refs   int
	tokens map[uint]*tokenState
	// initialized is true when this package initialised the library
	// (and so finalises it); false when another user in the process had.
	initialized bool
}

// tokenState is the shared state of one slot: its session pool and login.
type tokenState struct {
	mod     *module
	slot    uint
	label   string
	pinHash [32]byte
	refs    int
	sem     chan struct{}          // one token per session allowed to exist
	idle    chan p11.SessionHandle // idle logged-in sessions
	mechs   map[uint]bool
}

var (
	registryMu sync.Mutex
	modules    = map[string]*module{}
)

// Open loads the module (once per process), finds the token, logs in with
// the PIN and returns a handle. Close it when done.
func Open(c Config) (*Token, error) {
	if c.ModulePath == "" {
		return nil, fmt.Errorf("%w: no module path given", ErrModule)
	}
	if (c.TokenLabel == "") == (c.Slot == nil) {
		return nil, fmt.Errorf("%w: give exactly one of a token label and a slot", ErrConfig)
	}
	if c.MaxSessions < 0 {
		return nil, fmt.Errorf("%w: MaxSessions is negative", ErrConfig)
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 8
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	mod, err := loadModule(c.ModulePath)
	if err != nil {
		return nil, err
	}
	st, err := mod.openToken(c)
	if err != nil {
		mod.release()
		return nil, err
	}
	return &Token{st: st}, nil
}

// loadModule returns the loaded module for path, loading and initialising
// it on first use. registryMu is held.
func loadModule(path string) (*module, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrModule, path, err)
	}
	// Two names of one library are one loaded library.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	if m, ok := modules[path]; ok {
		m.refs++
		return m, nil
	}
	ctx := p11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("%w: %q could not be loaded as a PKCS #11 library", ErrModule, path)
	}
	initialized := true
	if err := ctx.Initialize(); rvIs(err, p11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		initialized = false
	} else if err != nil {
		ctx.Destroy()
		return nil, fmt.Errorf("%w: %q: C_Initialize: %w", ErrModule, path, err)
	}
	m := &module{path: path, ctx: ctx, refs: 1, tokens: map[uint]*tokenState{}, initialized: initialized}
	modules[path] = m
	return m, nil
}

// release drops one reference; the last one finalises the module.
// registryMu is held.
func (m *module) release() {
	m.refs--
	if m.refs > 0 {
		return
	}
	delete(modules, m.path)
	if m.initialized {
		m.ctx.Finalize()
	}
	m.ctx.Destroy()
}

// findSlot returns the slot of the configured token.
func (m *module) findSlot(c Config) (uint, string, error) {
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return 0, "", fmt.Errorf("pkcs11: C_GetSlotList: %w", err)
	}
	var found []uint
	var label string
	for _, s := range slots {
		info, err := m.ctx.GetTokenInfo(s)
		if err != nil {
			continue
		}
		l := strings.TrimRight(info.Label, " \x00")
		if c.Slot != nil && s == *c.Slot || c.Slot == nil && l == c.TokenLabel {
			found = append(found, s)
			label = l
		}
	}
	switch {
	case len(found) == 0 && c.Slot != nil:
		return 0, "", fmt.Errorf("%w: no initialised token in slot %d", ErrTokenNotFound, *c.Slot)
	case len(found) == 0:
		return 0, "", fmt.Errorf("%w: no token labelled %q", ErrTokenNotFound, c.TokenLabel)
	case len(found) > 1:
		return 0, "", fmt.Errorf("%w: %d tokens are labelled %q; select one by slot", ErrTokenNotFound, len(found), c.TokenLabel)
	}
	return found[0], label, nil
}

// openToken returns the shared state of the configured token, logging in
// on first use. registryMu is held.
func (m *module) openToken(c Config) (*tokenState, error) {
	slot, label, err := m.findSlot(c)
	if err != nil {
		return nil, err
	}
	pinHash := sha256.Sum256([]byte(c.PIN))
	if st, ok := m.tokens[slot]; ok {
		// The token is already logged in for this process: the login is
		// shared, so check the PIN against the one that logged in.
		if subtle.ConstantTimeCompare(pinHash[:], st.pinHash[:]) != 1 {
			return nil, fmt.Errorf("%w: token %q (the token is open with another PIN)", ErrWrongPIN, label)
		}
		st.refs++
		return st, nil
	}
	sh, err := m.ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: token %q: C_OpenSession: %w", label, err)
	}
	if err := m.ctx.Login(sh, p11.CKU_USER, c.PIN); err != nil && !rvIs(err, p11.CKR_USER_ALREADY_LOGGED_IN) {
		m.ctx.CloseSession(sh)
		switch {
		case rvIs(err, p11.CKR_PIN_INCORRECT, p11.CKR_PIN_LEN_RANGE, p11.CKR_PIN_INVALID):
			return nil, fmt.Errorf("%w: token %q refused the PIN: %w", ErrWrongPIN, label, err)
		case rvIs(err, p11.CKR_PIN_LOCKED):
			return nil, fmt.Errorf("%w: token %q: %w", ErrPINLocked, label, err)
		}
		return nil, fmt.Errorf("pkcs11: token %q: C_Login: %w", label, err)
	}
	st := &tokenState{
		mod: m, slot: slot, label: label, pinHash: pinHash, refs: 1,
		sem:   make(chan struct{}, c.MaxSessions),
		idle:  make(chan p11.SessionHandle, c.MaxSessions),
		mechs: map[uint]bool{},
	}
	if list, err := m.ctx.GetMechanismList(slot); err == nil {
		for _, mech := range list {
			st.mechs[mech.Mechanism] = true
		}
	}
	st.sem <- struct{}{}
	st.idle <- sh
	m.tokens[slot] = st
	return st, nil
}

// Close releases the handle. The last handle of a token closes its
// sessions (which logs out); the last handle of a module finalises it.
// Keyrings made from a closed Token fail with [ErrClosed]. Close must not
// be called while operations through the Token are still running.
//
// The login belongs to the token's sessions: if the token loses them all
// (a device reset), open the Token again.
func (t *Token) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	registryMu.Lock()
	defer registryMu.Unlock()
	st := t.st
	st.refs--
	if st.refs == 0 {
		delete(st.mod.tokens, st.slot)
		st.mod.ctx.CloseAllSessions(st.slot)
	}
	st.mod.release()
	return nil
}

// Label returns the token's label.
func (t *Token) Label() string { return t.st.label }

// Slot returns the token's slot ID.
func (t *Token) Slot() uint { return t.st.slot }

// ctx returns the module context, or ErrClosed.
func (t *Token) ctx() (*p11.Ctx, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	return t.st.mod.ctx, nil
}

// withSession runs f with a logged-in session from the pool, waiting for
// one when MaxSessions are busy. A session the token reports as broken is
// closed rather than reused.
func (t *Token) withSession(ctx context.Context, f func(c *p11.Ctx, sh p11.SessionHandle) error) error {
	c, err := t.ctx()
	if err != nil {
		return err
	}
	st := t.st
	var sh p11.SessionHandle
	select {
	case sh = <-st.idle:
	default:
		select {
		case sh = <-st.idle:
		case st.sem <- struct{}{}:
			sh, err = c.OpenSession(st.slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
			if err != nil {
				<-st.sem
				return fmt.Errorf("pkcs11: token %q: C_OpenSession: %w", st.label, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err = f(c, sh)
	if rvIs(err, p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED, p11.CKR_DEVICE_REMOVED, p11.CKR_TOKEN_NOT_PRESENT) {
		c.CloseSession(sh)
		<-st.sem
		return err
	}
	st.idle <- sh
	return err
}

// hasMechanism reports whether the token lists mech. A token that did not
// answer C_GetMechanismList is assumed to offer everything; the operation
// itself then reports a refusal.
func (t *Token) hasMechanism(mech uint) bool {
	if len(t.st.mechs) == 0 {
		return true
	}
	return t.st.mechs[mech]
}
