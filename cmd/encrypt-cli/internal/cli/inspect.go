package cli

// encrypt-cli inspect FILE: what a message says about itself, read from
// its header only, without any key.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argparse"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/metadata"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/pyjson"
	"github.com/go-esdk/esdk/format"
)

const inspectUsage = `usage: encrypt-cli inspect [--decode] [--max-encrypted-data-keys N] FILE

Prints what the message in FILE (or - for stdin) says about itself, as JSON:
its algorithm suite, encryption context, the wrapping keys of its encrypted
data keys, and its framing. Only the header is read; no key is needed and
nothing is decrypted.
`

func runInspect(_ context.Context, args []string, stdin io.Reader, stdout io.Writer, u *ui) int {
	var path string
	decode := false
	maxEDKs := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help":
			io.WriteString(stdout, inspectUsage)
			return exitOK
		case a == "--decode":
			decode = true
		case a == "--max-encrypted-data-keys" || strings.HasPrefix(a, "--max-encrypted-data-keys="):
			v, ok := strings.CutPrefix(a, "--max-encrypted-data-keys=")
			if !ok {
				if i+1 >= len(args) {
					return u.fail(clierr.Usage("argument --max-encrypted-data-keys: expected one argument", strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])))
				}
				i++
				v = args[i]
			}
			n, err := argparse.ParseInt(v)
			if err != nil || n < 1 || n > 0xffff {
				return u.fail(clierr.Usagef("--max-encrypted-data-keys must be between 1 and 65535, not %s", v))
			}
			maxEDKs = int(n)
		case a == "-" || !strings.HasPrefix(a, "-"):
			if path != "" {
				return u.fail(clierr.Usage("inspect takes one file", strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])))
			}
			path = a
		default:
			return u.fail(clierr.Usage("inspect: unknown option "+a, strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])))
		}
	}
	if path == "" {
		return u.fail(clierr.Usage("inspect needs a file (or - for stdin)", strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])))
	}
	var src io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return u.fail(fmt.Errorf("%s: %v", path, unwrapPathError(err)))
		}
		defer f.Close()
		src = f
	}
	if decode {
		src = base64.NewDecoder(base64.StdEncoding, &spaceFilter{r: src})
	}
	mr := format.NewReader(src, format.Limits{MaxEncryptedDataKeys: maxEDKs})
	hdr, raw, err := mr.ReadHeader()
	if err != nil {
		return u.fail(fmt.Errorf("%s: %w", displayPath(path, "<stdin>"), err))
	}
	out := metadata.Inspect(hdr)
	if auth, err := mr.ReadHeaderAuth(); err == nil {
		out["header_auth"] = metadata.HeaderAuth(auth)
		out["header_length"] = int64(mr.Offset())
	} else {
		out["header_length"] = int64(len(raw))
	}
	b := pyjson.MarshalIndent(out, 2)
	b = append(b, '\n')
	if _, err := stdout.Write(b); err != nil {
		return u.fail(err)
	}
	return exitOK
}
