package keyconf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argparse"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/materials"
)

// Caching is --caching, checked against the Python CLI's rules
// (_process_caching_config): capacity and max_age are required, the other
// two optional, and no other key is allowed.
type Caching struct {
	Capacity             int64
	MaxAge               float64 // seconds
	MaxMessagesEncrypted int64   // 0: not set
	MaxBytesEncrypted    int64   // 0: not set
}

// ParseCaching checks the key=value tokens of --caching. Its errors are
// usage errors.
func ParseCaching(tokens []string) (*Caching, error) {
	kv, err := ParseKV(tokens)
	if err != nil {
		return nil, err
	}
	if !kv.has("capacity") || !kv.has("max_age") {
		return nil, clierr.Usage(`If enabling caching, both "capacity" and "max_age" are required`, "--caching capacity=10 max_age=300")
	}
	c := &Caching{}
	for _, k := range sortedKeys(kv) {
		v := kv[k][0] // the Python CLI uses the first value of a repeated key
		var err error
		switch k {
		case "capacity":
			c.Capacity, err = argparse.ParseInt(v)
			if err == nil && c.Capacity < 1 {
				return nil, clierr.Usagef("--caching capacity must be at least 1, not %d", c.Capacity)
			}
		case "max_messages_encrypted":
			c.MaxMessagesEncrypted, err = argparse.ParseInt(v)
			if err == nil && c.MaxMessagesEncrypted < 1 {
				return nil, clierr.Usagef("--caching max_messages_encrypted must be at least 1, not %d", c.MaxMessagesEncrypted)
			}
			if err == nil && c.MaxMessagesEncrypted > materials.MaxMessagesEncryptedLimit {
				return nil, clierr.Usagef("--caching max_messages_encrypted must be at most 2^32 (%d), not %d", int64(materials.MaxMessagesEncryptedLimit), c.MaxMessagesEncrypted)
			}
		case "max_bytes_encrypted":
			c.MaxBytesEncrypted, err = argparse.ParseInt(v)
			if err == nil && c.MaxBytesEncrypted < 1 {
				return nil, clierr.Usagef("--caching max_bytes_encrypted must be at least 1, not %d", c.MaxBytesEncrypted)
			}
		case "max_age":
			c.MaxAge, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil && (math.IsNaN(c.MaxAge) || c.MaxAge <= 0) {
				return nil, clierr.Usagef("--caching max_age must be a positive number of seconds, not %s", v)
			}
		default:
			return nil, clierr.Usage(fmt.Sprintf("Invalid caching configuration key: %q", k), "the keys are capacity, max_age, max_messages_encrypted and max_bytes_encrypted")
		}
		if err != nil {
			return nil, clierr.Usagef("--caching %s=%s: not a number", k, v)
		}
	}
	return c, nil
}

// CachingManager wraps under in a caching materials manager with a local
// cache of cfg.Capacity entries, as the Python CLI does
// (CachingCryptoMaterialsManager over a LocalCryptoMaterialsCache). Data
// keys are then shared by the messages of one run, within the limits of
// cfg; the CLI passes each file's size as the plaintext length, so that
// max_bytes_encrypted is accounted for.
func CachingManager(cfg *Caching, under materials.Manager) (materials.Manager, error) {
	maxAge := time.Duration(math.MaxInt64)
	if s := cfg.MaxAge * float64(time.Second); s < float64(math.MaxInt64) {
		maxAge = max(time.Duration(s), 1)
	}
	capacity := cfg.Capacity
	if capacity > math.MaxInt32 {
		capacity = math.MaxInt32 // the cache allocates lazily; this bounds nothing in practice
	}
	cc := materials.CachingConfig{
		Cache:  materials.NewLocalCache(int(capacity)),
		MaxAge: maxAge,
	}
	if cfg.MaxMessagesEncrypted > 0 {
		cc.MaxMessagesEncrypted = uint64(cfg.MaxMessagesEncrypted)
	}
	if cfg.MaxBytesEncrypted > 0 {
		cc.MaxBytesEncrypted = uint64(cfg.MaxBytesEncrypted)
	}
	m, err := materials.NewCachingManager(under, cc)
	if err != nil {
		return nil, fmt.Errorf("--caching: %w", err)
	}
	return m, nil
}
