package cli

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argparse"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/keyconf"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/metadata"
	"github.com/go-esdk/esdk/materials"
)

// config is the checked command line.
type config struct {
	mode           string // "encrypt", "decrypt" or "decrypt-unsigned"
	input, output  string
	keys           []keyconf.Spec
	encCtx         map[string]string // encrypt: the encryption context
	reqPairs       map[string]string // decrypt: pairs the message must have
	reqKeys        []string          // decrypt: keys the message must have
	suite          algorithms.ID     // 0: the policy's default
	frameLength    int64             // 0: the default
	nonFramed      bool
	maxLength      int64 // 0: no limit
	maxEDKs        int   // 0: no limit (encrypt without the flag); defaultMaxEDKs on decrypt without it
	policy         algorithms.CommitmentPolicy
	caching        *keyconf.Caching
	buffer         bool
	encode, decode bool
	suppress       bool
	metadata       string
	overwriteMeta  bool
	suffix         *string
	interactive    bool
	noOverwrite    bool
	recursive      bool
	verbosity      int
	quiet          bool
	jobs           int
	warnings       []string
	// rangeSet: decrypt only plaintext bytes [rangeStart, rangeEnd) by
	// random access (--range); skipSig allows it for signed messages.
	rangeSet             bool
	rangeStart, rangeEnd int64
	skipSig              bool
}

func (c *config) decrypting() bool { return c.mode != "encrypt" }

// defaultMaxEDKs is the number of encrypted data keys a message may have
// when decrypting without --max-encrypted-data-keys. The Python CLI (like
// the SDKs) has no default limit, so a hostile message could make it try up
// to 65,535 keys, each an AWS KMS call for a discovery keyring. Real
// messages carry a handful; scripts that encrypt for more keys run
// unchanged (encryption has no default limit: the user names the keys),
// and reading such a message needs the flag.
const defaultMaxEDKs = 10

// maxFrameLength is the largest frame the other SDKs read (Python's
// MAX_FRAME_SIZE).
const maxFrameLength = 1<<31 - 1

// buildConfig checks the values of the parsed options (the second half of
// the Python CLI's parse_args). Its errors are usage errors.
func buildConfig(o *rawOptions) (*config, error) {
	c := &config{
		mode:          o.action,
		input:         *o.input,
		output:        *o.output,
		buffer:        o.buffer,
		encode:        o.encode,
		decode:        o.decode,
		suppress:      o.suppress,
		overwriteMeta: o.overwrite,
		suffix:        o.suffix,
		interactive:   o.interact,
		noOverwrite:   o.noOverwr,
		recursive:     o.recursive,
		verbosity:     o.verbosity,
		quiet:         o.quiet,
		jobs:          1,
		warnings:      slices.Clone(o.warnings),
	}
	if o.metadata != nil {
		c.metadata = *o.metadata
	}
	if err := c.setRange(o); err != nil {
		return nil, err
	}
	keys, warnings, err := keyconf.ParseWrappingKeys(o.wrapping, c.decrypting())
	if err != nil {
		return nil, err
	}
	c.keys = keys
	c.warnings = append(c.warnings, warnings...)

	if o.encCtxSet {
		if c.decrypting() {
			c.reqPairs = map[string]string{}
			for _, t := range o.encCtx {
				if !strings.Contains(t, "=") {
					if t == "" {
						return nil, clierr.Usagef("-c: an encryption context key may not be empty")
					}
					if !slices.Contains(c.reqKeys, t) {
						c.reqKeys = append(c.reqKeys, t)
					}
					continue
				}
				kv, err := keyconf.ParseKV([]string{t})
				if err != nil {
					return nil, err
				}
				for k, v := range kv {
					if _, dup := c.reqPairs[k]; !dup {
						c.reqPairs[k] = v[0]
					}
				}
			}
		} else {
			kv, err := keyconf.ParseKV(o.encCtx)
			if err != nil {
				return nil, err
			}
			c.encCtx = map[string]string{}
			for k, v := range kv {
				if strings.HasPrefix(k, materials.ReservedPrefix) {
					return nil, clierr.Usage(fmt.Sprintf("-c: encryption context key %q uses the reserved prefix %q", k, materials.ReservedPrefix), "the SDK writes aws-crypto- keys itself; choose another name")
				}
				c.encCtx[k] = v[0] // the Python CLI keeps the first value of a repeated key
			}
		}
	}

	for i, n := range commitmentPolicyNames {
		if n == o.commitment {
			c.policy = []algorithms.CommitmentPolicy{
				algorithms.ForbidEncryptAllowDecrypt,
				algorithms.RequireEncryptAllowDecrypt,
				algorithms.RequireEncryptRequireDecrypt,
			}[i]
		}
	}

	if o.algorithm != nil {
		id, ok := metadata.ParseSuite(*o.algorithm)
		if !ok {
			var names []string
			for _, suite := range algorithms.All() {
				names = append(names, metadata.SuiteName(suite.ID()))
			}
			slices.Sort(names)
			return nil, clierr.Usage(fmt.Sprintf("argument --algorithm: invalid choice: %s", argparse.Repr(*o.algorithm)), "choose from "+strings.Join(names, ", "))
		}
		c.suite = id
		if !c.decrypting() {
			suite, _ := algorithms.Lookup(id)
			if !c.policy.AllowsEncrypt(suite) {
				hint := "use --commitment-policy forbid-encrypt-allow-decrypt to encrypt with a suite without key commitment"
				if c.policy == algorithms.ForbidEncryptAllowDecrypt {
					hint = "use --commitment-policy require-encrypt-require-decrypt to encrypt with a committing suite"
				}
				return nil, clierr.Usage(fmt.Sprintf("--algorithm %s is not allowed by --commitment-policy %s", *o.algorithm, o.commitment), hint)
			}
		}
	}
	if o.frameLen != nil {
		n := *o.frameLen
		switch {
		case n == 0:
			c.nonFramed = true
		case n < 0 || n > maxFrameLength:
			return nil, clierr.Usage(fmt.Sprintf("--frame-length %d is outside 0 to %d", n, maxFrameLength), "0 writes a non-framed message; the default is 4096")
		default:
			c.frameLength = n
		}
	}
	if o.maxLength != nil {
		if *o.maxLength < 1 {
			return nil, clierr.Usagef("--max-length must be at least 1, not %d", *o.maxLength)
		}
		c.maxLength = *o.maxLength
	}
	if o.maxEDKs != nil {
		if *o.maxEDKs < 1 || *o.maxEDKs > 0xffff {
			return nil, clierr.Usagef("--max-encrypted-data-keys must be between 1 and 65535, not %d", *o.maxEDKs)
		}
		c.maxEDKs = int(*o.maxEDKs)
	} else if c.decrypting() {
		c.maxEDKs = defaultMaxEDKs
	}
	if o.jobs != nil {
		switch n := *o.jobs; {
		case n < 0 || n > 1024:
			return nil, clierr.Usagef("--jobs must be between 0 and 1024, not %d", n)
		case n == 0:
			c.jobs = runtime.NumCPU()
		default:
			c.jobs = int(n)
		}
	}
	if o.cachingSet {
		if c.caching, err = keyconf.ParseCaching(o.caching); err != nil {
			return nil, err
		}
	}
	if c.decrypting() {
		if o.algorithm != nil || o.frameLen != nil {
			c.warnings = append(c.warnings, "--algorithm and --frame-length apply only to encryption; ignored")
		}
	} else if o.maxLength != nil {
		c.warnings = append(c.warnings, "--max-length applies only to decryption; ignored")
	}
	return c, nil
}

// setRange checks --range and --skip-signature-verification.
func (c *config) setRange(o *rawOptions) error {
	if o.skipSig && o.rng == nil {
		return clierr.Usagef("--skip-signature-verification applies only with --range")
	}
	if o.rng == nil {
		return nil
	}
	start, end, ok := strings.Cut(*o.rng, ":")
	a, errA := strconv.ParseInt(start, 10, 64)
	b, errB := strconv.ParseInt(end, 10, 64)
	switch {
	case !ok || errA != nil || errB != nil || a < 0 || b < a:
		return clierr.Usage("argument --range: invalid value: "+argparse.Repr(*o.rng), "give START:END, plaintext byte offsets with 0 <= START <= END (END exclusive)")
	case !c.decrypting():
		return clierr.Usagef("--range applies only to -d/--decrypt and --decrypt-unsigned")
	case c.decode:
		return clierr.Usagef("--range cannot be used with --decode: it reads the binary message at computed offsets")
	case c.input == "-":
		return clierr.Usagef("--range needs an input file, not stdin: it reads the message at computed offsets")
	}
	c.rangeSet, c.rangeStart, c.rangeEnd, c.skipSig = true, a, b, o.skipSig
	return nil
}
