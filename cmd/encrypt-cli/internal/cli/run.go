package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argfile"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/fileopen"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/keyconf"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/metadata"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/outfile"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/plan"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/progress"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/pyjson"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// version is the CLI's version; set with -ldflags "-X main.version=..." or
// taken from the build information.
var version = ""

func versionString() string {
	v, lib := versions()
	return fmt.Sprintf("%s/%s go-esdk/%s", progName, v, lib)
}

// versions returns the CLI's version and the library's.
func versions() (v, lib string) {
	v, lib = version, "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			lib = bi.Main.Version
		}
	}
	if v == "" {
		v = lib
	}
	return v, lib
}

// run executes one command line and returns the exit status: 0 when every
// operation succeeded (or was skipped on purpose), 1 when one failed, 2
// for a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdin, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	u := &ui{stderr: stderr}
	if len(args) > 0 && args[0] == "inspect" {
		return runInspect(ctx, args[1:], stdin, stdout, u)
	}
	if len(args) > 0 && args[0] == "keystore" {
		return runKeystore(ctx, args[1:], stdout, u)
	}
	raw, err := parseArgs(args, argfile.OSEnv())
	if err != nil {
		return u.fail(err)
	}
	switch {
	case raw.help:
		io.WriteString(stdout, usageText)
		return exitOK
	case raw.version:
		fmt.Fprintln(stdout, versionString())
		return exitOK
	}
	cfg, err := buildConfig(raw)
	if err != nil {
		return u.fail(err)
	}
	u.quiet, u.verbosity = cfg.quiet, cfg.verbosity
	for _, w := range cfg.warnings {
		u.warn(w)
	}
	if cfg.interactive && cfg.jobs > 1 {
		u.info("--interactive asks one question at a time; running one operation at a time")
		cfg.jobs = 1
	}

	for _, k := range cfg.keys {
		u.debug("wrapping key: " + k.String())
	}
	kr, err := keyconf.BuildKeyring(ctx, cfg.keys, cfg.decrypting(), u.warn, kmsUserAgent())
	if err != nil {
		return u.fail(err)
	}
	var mgr materials.Manager = materials.NewDefaultManager(kr)
	if cfg.caching != nil {
		if mgr, err = keyconf.CachingManager(cfg.caching, mgr); err != nil {
			return u.fail(err)
		}
	}
	client := &encryptsdk.Client{Manager: mgr, CommitmentPolicy: cfg.policy, MaxEncryptedDataKeys: cfg.maxEDKs}

	ops, err := plan.Plan(plan.Request{
		Input: cfg.input, Output: cfg.output, Mode: cfg.mode, Suffix: cfg.suffix, Recursive: cfg.recursive,
		Metadata: cfg.metadata, Suppress: cfg.suppress, Warn: u.warn,
	})
	if err != nil {
		return u.fail(err)
	}
	meta := &metadata.Sink{Stdout: stdout, Overwrite: cfg.overwriteMeta}
	if !cfg.suppress {
		meta.Path = cfg.metadata
		if meta.Path != "-" {
			meta.Path, _ = filepath.Abs(meta.Path)
		}
	}
	r := &runner{cfg: cfg, client: client, stdin: stdin, stdout: stdout, ui: u, meta: meta}
	status := r.runAll(ctx, ops)
	if ctx.Err() != nil {
		u.errorf("interrupted")
		status = exitFail
	}
	if err := meta.Close(); err != nil {
		u.errorf("%v", err)
		status = exitFail
	}
	return status
}

// fail prints err and returns its exit status.
func (u *ui) fail(err error) int {
	if clierr.IsUsage(err) {
		u.errorf("%s", err)
		hint := clierr.Hint(err)
		if hint == "" {
			hint = "run '" + progName + " --help' for usage"
		}
		u.hint(hint)
		return exitUsage
	}
	msg, hint := explain(err)
	u.errorf("%s", msg)
	u.hint(hint)
	return exitFail
}

// explain turns an error into a message and a hint: the hint of a
// clierr.Error, else one chosen by the library's sentinel errors.
func explain(err error) (msg, hint string) {
	msg = err.Error()
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	var nd *encryptsdk.NoDecryptableKeyError
	switch {
	case clierr.Hint(err) != "":
		hint = clierr.Hint(err)
	case errors.Is(err, format.ErrBase64):
		hint = "the input looks base64-encoded; did you mean --decode?"
	case errors.As(err, &nd):
		hint = "check that -w names a key the message was encrypted under; '" + progName + " inspect FILE' lists them"
	case errors.Is(err, encryptsdk.ErrCommitmentPolicy):
		hint = "the message was written without key commitment; --commitment-policy require-encrypt-allow-decrypt reads it"
	case errors.Is(err, encryptsdk.ErrSignatureNotVerified):
		hint = "the message is signed and --range cannot verify its signature; add --skip-signature-verification only if you trust everyone who can decrypt it not to forge it, or decrypt the whole message"
	case errors.Is(err, encryptsdk.ErrNotFramed):
		hint = "--range needs a framed message; decrypt the whole message instead"
	case errors.Is(err, encryptsdk.ErrMessageSize):
		hint = "the input file is not the whole message (truncated, extended or not an encrypted message)"
	case errors.Is(err, encryptsdk.ErrSignedMessage):
		hint = "the message is signed; decrypt it with -d/--decrypt (add --buffer to release nothing before the signature verifies)"
	case errors.Is(err, encryptsdk.ErrTooManyEncryptedDataKeys):
		hint = fmt.Sprintf("raise --max-encrypted-data-keys if the message comes from a trusted source (without it, decryption accepts --max-encrypted-data-keys %d)", defaultMaxEDKs)
	case errors.Is(err, encryptsdk.ErrBodyTooLarge):
		hint = "raise --max-length if the message comes from a trusted source"
	case errors.Is(err, encryptsdk.ErrHeaderAuthentication), errors.Is(err, encryptsdk.ErrFrameAuthentication),
		errors.Is(err, encryptsdk.ErrSignature), errors.Is(err, encryptsdk.ErrCommitmentMismatch):
		hint = "the message was modified or damaged; no output was written"
	case errors.Is(err, encryptsdk.ErrTruncated):
		hint = "the message is incomplete; no output was written"
	}
	return msg, hint
}

// opStatus is the outcome of one operation.
type opStatus int

const (
	opOK opStatus = iota
	opSkipped
	opFailed
)

// result is what one operation reports; results are printed in operation
// order.
type result struct {
	status opStatus
	msgs   []message
	meta   []byte
}

type message struct{ kind, text, hint string }

func (r *result) warnf(format string, args ...any) {
	r.msgs = append(r.msgs, message{kind: "warning", text: fmt.Sprintf(format, args...)})
}

func (r *result) infof(format string, args ...any) {
	r.msgs = append(r.msgs, message{kind: "info", text: fmt.Sprintf(format, args...)})
}

func (r *result) fail(src string, err error) {
	msg, hint := explain(err)
	if src == "-" {
		src = "<stdin>"
	}
	r.status = opFailed
	r.msgs = append(r.msgs, message{kind: "error", text: src + ": " + msg, hint: hint})
}

type runner struct {
	cfg    *config
	client *encryptsdk.Client
	stdin  io.Reader
	stdout io.Writer
	ui     *ui
	meta   *metadata.Sink
	prog   *progress.Bar
	status int
}

// emit prints an operation's messages and writes its metadata line.
func (r *runner) emit(res *result) {
	for _, m := range res.msgs {
		switch m.kind {
		case "error":
			r.ui.errorf("%s", m.text)
			r.ui.hint(m.hint)
		case "warning":
			r.ui.warn(m.text)
		case "info":
			r.ui.info(m.text)
		}
	}
	if res.meta != nil {
		if err := r.meta.Write(res.meta); err != nil && res.status != opFailed {
			r.ui.errorf("%v", err)
			res.status = opFailed
		}
	}
	if res.status == opFailed {
		r.status = exitFail
	}
}

// maxPendingCommits bounds the outputs being made durable at once. A
// commit waits for the disk (fsync of the file and of its directory), not
// for a core, and file systems group concurrent syncs into one journal
// write: on a directory of small files, committing up to this many at a
// time while the next files are encrypted makes the run several times
// faster, with the same guarantee for each file.
const maxPendingCommits = 64

// runAll runs the operations, --jobs at a time. Operations that write the
// same destination run one after the other, in order. Messages and
// metadata lines come out in operation order.
//
// An operation's output is committed (synced, then renamed over its
// target) in the background while the next operations run, unless another
// operation writes the same destination or reads it: that one commits
// before its job moves on. Every commit has finished, and its outcome is
// reported, before runAll returns.
func (r *runner) runAll(ctx context.Context, ops []plan.Op) int {
	if !r.cfg.quiet && isTerminal(r.ui.stderr) {
		if total := r.totalInput(ops); total >= progressThreshold {
			r.prog = startProgress(r.ui, total)
			defer r.prog.Finish()
		}
	}

	// Source and destination with their symbolic links resolved, once, as
	// the run starts.
	var paths plan.Resolver
	realSrc, realDst := make([]string, len(ops)), make([]string, len(ops))
	for i, o := range ops {
		realSrc[i], realDst[i] = o.Src, o.Dst
		if o.Src != "-" {
			realSrc[i] = paths.Realpath(o.Src)
		}
		if o.Dst != "-" {
			realDst[i] = paths.Realpath(o.Dst)
		}
	}

	// Chains of operations on one destination, and the operations whose
	// output another operation depends on.
	var chains [][]int
	byDst := map[string]int{}
	srcs := map[string]bool{}
	for i, o := range ops {
		if o.Src != "-" {
			srcs[realSrc[i]] = true
		}
	}
	shared := make([]bool, len(ops))
	for i := range ops {
		key := realDst[i]
		shared[i] = srcs[key]
		if c, ok := byDst[key]; ok {
			chains[c] = append(chains[c], i)
			for _, j := range chains[c] {
				shared[j] = true
			}
			continue
		}
		byDst[key] = len(chains)
		chains = append(chains, []int{i})
	}

	results := make([]*result, len(ops))
	next := 0
	var mu sync.Mutex
	finished := func(i int, res result) {
		mu.Lock()
		defer mu.Unlock()
		results[i] = &res
		for next < len(results) && results[next] != nil {
			r.emit(results[next])
			results[next] = &result{} // release memory
			next++
		}
	}
	var commits sync.WaitGroup
	pending := make(chan struct{}, maxPendingCommits)
	run := func(i int) {
		o := ops[i]
		same := o.Src != "-" && o.Dst != "-" && realSrc[i] == realDst[i]
		res, out := r.do(ctx, o, same, !shared[i])
		if out == nil {
			finished(i, res)
			return
		}
		pending <- struct{}{}
		commits.Go(func() {
			defer func() { <-pending }()
			r.settle(ops[i], out.Commit(), &res)
			finished(i, res)
		})
	}

	jobs := min(r.cfg.jobs, len(chains))
	if jobs <= 1 {
		for i := range ops {
			run(i)
		}
	} else {
		work := make(chan []int)
		var wg sync.WaitGroup
		for range jobs {
			wg.Go(func() {
				for chain := range work {
					for _, i := range chain {
						run(i)
					}
				}
			})
		}
		for _, c := range chains {
			work <- c
		}
		close(work)
		wg.Wait()
	}
	commits.Wait()
	return r.status
}

// totalInput is the size of every regular input file, for the progress bar.
func (r *runner) totalInput(ops []plan.Op) int64 {
	var total int64
	for _, o := range ops {
		if o.Src == "-" {
			continue
		}
		if fi, err := os.Stat(o.Src); err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
	}
	return total
}

// shouldWrite is the Python CLI's _should_write_file, for a destination
// that exists: lfi is what os.Lstat says of it.
func (r *runner) shouldWrite(o plan.Op, lfi fs.FileInfo, res *result) bool {
	regular := lfi.Mode().IsRegular()
	if lfi.Mode()&fs.ModeSymlink != 0 {
		regular = plan.IsRegular(o.Dst)
	}
	if !regular {
		return true
	}
	if r.cfg.noOverwrite {
		res.warnf(`Skipping existing output file because of "no overwrite" option: %s`, o.Dst)
		return false
	}
	if r.cfg.interactive {
		if o.Src == "-" {
			res.warnf("Skipping existing output file %s: --interactive cannot ask while the input is stdin", o.Dst)
			return false
		}
		r.ui.mu.Lock()
		fmt.Fprintf(r.ui.stderr, "Overwrite existing output file %q with new contents? [y/N]:", o.Dst)
		r.ui.mu.Unlock()
		answer, _ := readLine(r.stdin)
		if a := strings.TrimSpace(answer); a != "" && (a[0] == 'y' || a[0] == 'Y') {
			res.warnf("Overwriting existing output file based on interactive user decision: %s", o.Dst)
			return true
		}
		res.warnf("Skipping existing output file based on interactive user decision: %s", o.Dst)
		return false
	}
	res.warnf("Overwriting existing output file because no action was specified otherwise: %s", o.Dst)
	return true
}

// do runs one operation; same says that its source and destination are
// the same file. With deferCommit, an output file that is ready to be
// committed is returned instead of committed: the caller commits it and
// settles the result.
func (r *runner) do(ctx context.Context, o plan.Op, same, deferCommit bool) (res result, out *outfile.File) {
	if ctx.Err() != nil {
		res.status = opFailed // interrupted before it started; reported once at the end
		return res, nil
	}
	absent := false // the destination does not exist yet (the usual case)
	if o.Dst != "-" {
		if same {
			res.warnf("Skipping because the source (%s) and destination (%s) are the same", o.Src, o.Dst)
			res.status = opSkipped
			return res, nil
		}
		lfi, err := os.Lstat(o.Dst)
		absent = errors.Is(err, fs.ErrNotExist)
		if err == nil && !r.shouldWrite(o, lfi, &res) {
			res.status = opSkipped
			return res, nil
		}
	}
	verb := "encrypting"
	if r.cfg.decrypting() {
		verb = "decrypting"
	}
	res.infof("%s %s to %s", verb, displayPath(o.Src, "<stdin>"), displayPath(o.Dst, "<stdout>"))
	if err := ctx.Err(); err != nil {
		res.fail(o.Src, err)
		return res, nil
	}
	out, err := r.process(ctx, o, absent, deferCommit, &res)
	r.settle(o, err, &res)
	return res, out
}

// settle records how an operation ended.
func (r *runner) settle(o plan.Op, err error, res *result) {
	switch {
	case err == nil:
	case errors.Is(err, outfile.ErrSkippedExisting):
		res.warnf("%s: %v", o.Dst, err)
		res.status = opSkipped
		res.meta = nil
	default:
		res.fail(o.Src, err)
	}
}

func displayPath(p, std string) string {
	if p == "-" {
		return std
	}
	return p
}

// metaPath is how metadata names a file: its absolute path, or <stdin> and
// <stdout>.
func metaPath(p, std string) string {
	if p == "-" {
		return std
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// process opens the input and output and runs the encryption or
// decryption; absent says that the destination did not exist when it was
// checked. The output is committed only when everything succeeded; with
// deferCommit, an output file is returned to be committed by the caller
// instead.
func (r *runner) process(ctx context.Context, o plan.Op, absent, deferCommit bool, res *result) (pending *outfile.File, err error) {
	var src io.Reader
	var file *os.File
	var size int64 = -1
	if o.Src == "-" {
		src = r.stdin
	} else {
		f, err := fileopen.OpenFile(o.Src, os.O_RDONLY, 0)
		if err != nil {
			return nil, unwrapPathError(err)
		}
		defer f.Close()
		// The size is the plaintext length an encryption declares, and what
		// random access needs; a decryption learns its own.
		if !r.cfg.decrypting() || r.cfg.rangeSet {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				size = fi.Size()
			}
		}
		src, file = f, f
	}
	if r.prog != nil {
		src = r.prog.Reader(src)
	}
	if r.cfg.decode {
		src = base64.NewDecoder(base64.StdEncoding, &spaceFilter{r: src})
		size = -1
	}

	// The destination chain: [base64 encoder] -> [memory buffer] ->
	// [bufio] -> stdout or the output file. held says whether the
	// destination keeps what it is given until commit (a temporary file);
	// if not, --buffer holds the output in memory until the operation has
	// succeeded (for decryption: until the whole message verified).
	var out *outfile.File
	var sink io.Writer
	var buffered *bytes.Buffer
	var stdout *countWriter
	bw := getWriter()
	defer putWriter(bw)
	if o.Dst == "-" {
		stdout = &countWriter{w: r.stdout}
		bw.Reset(stdout)
	} else {
		if absent {
			out = outfile.Create(o.Dst, r.cfg.noOverwrite)
		} else if out, err = outfile.New(o.Dst, r.cfg.noOverwrite); err != nil {
			return nil, err
		}
		defer func() {
			if pending == nil {
				out.Abort() // a no-op after commit
			}
		}()
		bw.Reset(out)
	}
	held := out != nil && !out.Direct()
	defer func() {
		// Say what reached a destination that does not hold its output.
		var n int64
		switch {
		case stdout != nil:
			n = stdout.n
		case out != nil && out.Direct():
			n = out.Written()
		}
		if err != nil && n > 0 {
			_, hint := explain(err)
			err = clierr.WithHint(err, releasedHint(n, displayPath(o.Dst, "stdout"), r.cfg.decrypting(), hint))
		}
	}()
	sink = bw
	if r.cfg.buffer && !held && !r.cfg.decrypting() {
		buffered = &bytes.Buffer{}
		sink = buffered
	}
	w := sink
	var enc io.WriteCloser
	if r.cfg.encode {
		enc = base64.NewEncoder(base64.StdEncoding, sink)
		w = enc
	}

	switch {
	case r.cfg.rangeSet:
		err = r.decryptRange(ctx, o, file, size, w, res)
	case r.cfg.decrypting():
		err = r.decrypt(ctx, o, src, w, r.cfg.buffer && !held, res)
	default:
		err = r.encrypt(ctx, o, src, size, w, res)
	}
	if err != nil {
		return nil, err
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return nil, err
		}
	}
	if buffered != nil {
		if _, err := bw.Write(buffered.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if out != nil {
		if deferCommit && !out.Direct() {
			return out, nil
		}
		return nil, out.Commit()
	}
	return nil, nil
}

func (r *runner) encrypt(ctx context.Context, o plan.Op, src io.Reader, size int64, w io.Writer, res *result) error {
	opts := &encryptsdk.EncryptOptions{
		EncryptionContext: r.cfg.encCtx,
		Suite:             r.cfg.suite,
		FrameLength:       r.cfg.frameLength,
		NonFramed:         r.cfg.nonFramed,
	}
	if size > 0 {
		opts.PlaintextLength = size
	}
	e, err := r.client.Encrypt(ctx, w, opts)
	if err != nil {
		return err
	}
	if err := copyContext(ctx, e, src); err != nil {
		return err
	}
	if err := e.Close(); err != nil {
		return err
	}
	if r.meta.Enabled() {
		res.meta = metadata.Line(pyjson.Object{
			"mode":   r.cfg.mode,
			"input":  metaPath(o.Src, "<stdin>"),
			"output": metaPath(o.Dst, "<stdout>"),
			"header": metadata.Header(e.Header()),
		})
	}
	return nil
}

// errContextMismatch: the message lacks required encryption context.
var errContextMismatch = errors.New("Skipping decrypt because discovered encryption context did not match required elements")

// decrypt decrypts src to w. hold asks the Decryptor to release nothing
// until the whole message has verified.
func (r *runner) decrypt(ctx context.Context, o plan.Op, src io.Reader, w io.Writer, hold bool, res *result) error {
	d, err := r.client.Decrypt(ctx, src, &encryptsdk.DecryptOptions{
		UnsignedOnly:        r.cfg.mode == "decrypt-unsigned",
		BufferUntilVerified: hold,
		MaxBodySize:         r.cfg.maxLength,
	})
	if err != nil {
		return err
	}
	hdr := d.Header()
	var meta pyjson.Object
	if r.meta.Enabled() {
		meta = pyjson.Object{
			"mode":        r.cfg.mode,
			"input":       metaPath(o.Src, "<stdin>"),
			"output":      metaPath(o.Dst, "<stdout>"),
			"header":      metadata.Header(hdr),
			"header_auth": metadata.HeaderAuth(d.HeaderAuth()),
		}
	}
	if err := r.requireContext(hdr, meta, res); err != nil {
		return err
	}
	if err := copyContext(ctx, w, d); err != nil {
		return err
	}
	if meta != nil {
		res.meta = metadata.Line(meta)
	}
	return nil
}

// requireContext checks the message's encryption context against the
// required keys and pairs of -c, before any plaintext is read; on a
// mismatch it records the skip in meta, the operation's metadata line (nil
// when metadata is not written).
func (r *runner) requireContext(hdr *format.Header, meta pyjson.Object, res *result) error {
	// Required encryption context, checked before any plaintext is read.
	ec := hdr.EncryptionContext
	var missingKeys []string
	for _, k := range r.cfg.reqKeys {
		if _, ok := ec[k]; !ok {
			missingKeys = append(missingKeys, k)
		}
	}
	var missingPairs []any
	var missingText []string
	for _, k := range slices.Sorted(maps.Keys(r.cfg.reqPairs)) {
		v := r.cfg.reqPairs[k]
		if have, ok := ec[k]; !ok || have != v {
			missingPairs = append(missingPairs, []any{k, v})
			missingText = append(missingText, k+"="+v)
		}
	}
	if len(missingKeys) > 0 || len(missingPairs) > 0 {
		slices.Sort(missingKeys)
		if missingPairs == nil {
			missingPairs = []any{}
		}
		if meta != nil {
			meta["skipped"] = true
			meta["reason"] = "Missing encryption context key or value"
			meta["missing_encryption_context_keys"] = append([]string{}, missingKeys...)
			meta["missing_encryption_context_pairs"] = missingPairs
			res.meta = metadata.Line(meta)
		}
		var parts []string
		if len(missingKeys) > 0 {
			parts = append(parts, "missing keys: "+strings.Join(missingKeys, ", "))
		}
		if len(missingText) > 0 {
			parts = append(parts, "missing or different pairs: "+strings.Join(missingText, ", "))
		}
		return clierr.WithHint(fmt.Errorf("%w (%s)", errContextMismatch, strings.Join(parts, "; ")),
			"no output was written; '"+progName+" inspect FILE' shows the message's encryption context")
	}
	return nil
}

// decryptRange decrypts plaintext bytes [rangeStart, rangeEnd) of the
// message in f (size bytes) by random access: only the header, the final
// frame and the frames of the range are read.
func (r *runner) decryptRange(ctx context.Context, o plan.Op, f *os.File, size int64, w io.Writer, res *result) error {
	if f == nil || size < 0 {
		return fmt.Errorf("--range needs a regular input file: %s is not one", displayPath(o.Src, "stdin"))
	}
	ra, err := r.client.OpenReaderAt(ctx, f, size, &encryptsdk.RandomAccessOptions{
		DecryptOptions: encryptsdk.DecryptOptions{
			UnsignedOnly: r.cfg.mode == "decrypt-unsigned",
			MaxBodySize:  r.cfg.maxLength,
		},
		SkipSignatureVerification: r.cfg.skipSig,
	})
	if err != nil {
		return err
	}
	var meta pyjson.Object
	if r.meta.Enabled() {
		meta = pyjson.Object{
			"mode":        r.cfg.mode,
			"input":       metaPath(o.Src, "<stdin>"),
			"output":      metaPath(o.Dst, "<stdout>"),
			"header":      metadata.Header(ra.Header()),
			"header_auth": metadata.HeaderAuth(ra.HeaderAuth()),
		}
	}
	if err := r.requireContext(ra.Header(), meta, res); err != nil {
		return err
	}
	start, end := min(r.cfg.rangeStart, ra.Size()), min(r.cfg.rangeEnd, ra.Size())
	if err := copyContext(ctx, w, io.NewSectionReader(ra, start, end-start)); err != nil {
		return err
	}
	if meta != nil {
		res.meta = metadata.Line(meta)
	}
	return nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// releasedHint is the hint after a failure that happened when n bytes
// had already reached dst, a destination that cannot take them back
// (stdout, a device, a FIFO); hint is the one the error has otherwise. The
// hints that say "no output was written" are true only when nothing went
// out.
func releasedHint(n int64, dst string, decrypting bool, hint string) string {
	what := "incomplete"
	if decrypting {
		what = "unverified"
	}
	s := fmt.Sprintf("%d bytes of %s output were written to %s; discard them", n, what, dst)
	if h, ok := strings.CutSuffix(hint, "; no output was written"); ok {
		return s + " (" + h + ")"
	}
	if hint != "" {
		return s + "; " + hint
	}
	return s
}

// copyBuffers and writers hold the buffers each operation copies through,
// for the next operation: allocated anew for each file, they made the
// garbage collector the largest cost of a run on a tree of small files.
// They may hold plaintext, so they go back cleared.
var (
	copyBuffers = sync.Pool{New: func() any { return new([64 << 10]byte) }}
	writers     = sync.Pool{New: func() any { return bufio.NewWriterSize(io.Discard, 64<<10) }}
)

// getWriter returns a 64 KiB bufio.Writer for putWriter to take back.
func getWriter() *bufio.Writer { return writers.Get().(*bufio.Writer) }

// putWriter clears w's buffer, whatever it holds, and keeps w for reuse.
func putWriter(w *bufio.Writer) {
	w.Reset(io.Discard)
	b := w.AvailableBuffer() // the whole buffer, now that nothing is buffered
	clear(b[:cap(b)])
	writers.Put(w)
}

// copyContext copies src to dst, stopping when ctx is done.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) error {
	arr := copyBuffers.Get().(*[64 << 10]byte)
	defer func() {
		clear(arr[:]) // a Read may use all of it
		copyBuffers.Put(arr)
	}()
	buf := arr[:]
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// kmsUserAgent marks the CLI's AWS KMS requests, as the Python CLI adds
// AwsEncryptionSdkCli/<version> to botocore's user agent.
func kmsUserAgent() func(*kms.Options) {
	v, _ := versions()
	return kms.WithAPIOptions(awsmiddleware.AddUserAgentKeyValue(progName, v))
}

// spaceFilter drops ASCII whitespace, as Python's base64io does before
// decoding (Go's decoder skips only \r and \n).
type spaceFilter struct{ r io.Reader }

func (s *spaceFilter) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != ' ' && (c < '\t' || c > '\r') { // not ASCII whitespace
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
