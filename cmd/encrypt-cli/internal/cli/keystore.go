package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/keyconf"
	"github.com/go-esdk/esdk/keystore"
)

const keystoreUsage = `usage: encrypt-cli keystore COMMAND --table TABLE --kms-key ARN [--logical-name NAME] [--region R] [--profile P] [options]

Manages the branch keys of the hierarchical keyring (-w provider=aws-kms-hierarchy) in a
DynamoDB table, with the table layout of the official SDKs' key stores.

  create-table                      create the table (on-demand capacity) if it does not exist
  create-key [--branch-key-id ID] [--ec KEY=VALUE]...
                                    create a branch key and print its ID (a caller-chosen ID
                                    needs at least one --ec pair)
  version-key --branch-key-id ID    rotate: a new active version; old messages still decrypt
  show --branch-key-id ID           print the active version and the custom encryption context

The logical name (default: the table name) is bound to every key; all readers and writers of
the table must use the same one. AWS configuration comes from the environment and shared files
(AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_KMS are honoured).
`

// pairs collects repeated --ec KEY=VALUE flags.
type pairs map[string]string

func (p pairs) String() string { return fmt.Sprint(map[string]string(p)) }
func (p pairs) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, not %q", v)
	}
	p[k] = val
	return nil
}

func runKeystore(ctx context.Context, args []string, stdout io.Writer, u *ui) int {
	commands := []string{"create-table", "create-key", "version-key", "show"}
	if len(args) == 0 {
		return u.fail(clierr.Usage("encrypt-cli keystore: no command", "the commands are "+strings.Join(commands, ", ")))
	}
	if args[0] == "-h" || args[0] == "--help" {
		io.WriteString(stdout, keystoreUsage)
		return exitOK
	}
	cmd := args[0]
	if !slices.Contains(commands, cmd) {
		return u.fail(clierr.Usage(fmt.Sprintf("encrypt-cli keystore: unknown command %q", cmd), "the commands are "+strings.Join(commands, ", ")))
	}
	fs := flag.NewFlagSet("encrypt-cli keystore "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var spec keyconf.StoreSpec
	var id string
	ec := pairs{}
	fs.StringVar(&spec.Table, "table", "", "DynamoDB table")
	fs.StringVar(&spec.KMSKey, "kms-key", "", "AWS KMS key ARN")
	fs.StringVar(&spec.LogicalName, "logical-name", "", "logical key store name (default: the table name)")
	fs.StringVar(&spec.Region, "region", "", "AWS region")
	fs.StringVar(&spec.Profile, "profile", "", "AWS profile")
	fs.StringVar(&id, "branch-key-id", "", "branch key ID")
	fs.Var(ec, "ec", "custom encryption context pair KEY=VALUE (create-key; repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return u.fail(clierr.Usage("encrypt-cli keystore "+cmd+": "+err.Error(), strings.SplitN(keystoreUsage, "\n", 2)[0]))
	}
	switch {
	case fs.NArg() > 0:
		return u.fail(clierr.Usagef("encrypt-cli keystore %s: unexpected argument %q", cmd, fs.Arg(0)))
	case spec.Table == "" || spec.KMSKey == "":
		return u.fail(clierr.Usage("encrypt-cli keystore "+cmd+" needs --table and --kms-key", strings.SplitN(keystoreUsage, "\n", 2)[0]))
	case (cmd == "version-key" || cmd == "show") && id == "":
		return u.fail(clierr.Usagef("encrypt-cli keystore %s needs --branch-key-id", cmd))
	case cmd != "create-key" && len(ec) > 0:
		return u.fail(clierr.Usagef("encrypt-cli keystore %s takes no --ec", cmd))
	}
	store, err := spec.Open(ctx)
	if err != nil {
		return u.fail(clierr.AsUsage(err))
	}
	switch cmd {
	case "create-table":
		arn, err := store.CreateKeyStore(ctx)
		if err != nil {
			return u.fail(err)
		}
		fmt.Fprintln(stdout, arn)
	case "create-key":
		got, err := store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: id, EncryptionContext: ec})
		if err != nil {
			return u.fail(err)
		}
		fmt.Fprintln(stdout, got)
	case "version-key":
		if err := store.VersionKey(ctx, id); err != nil {
			return u.fail(err)
		}
	case "show":
		m, err := store.GetActiveBranchKey(ctx, id)
		if err != nil {
			return u.fail(err)
		}
		clear(m.Key)
		fmt.Fprintf(stdout, "branch-key-id %s\nactive-version %s\n", m.BranchKeyID, m.Version)
		keys := make([]string, 0, len(m.EncryptionContext))
		for k := range m.EncryptionContext {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(stdout, "ec %s=%s\n", k, m.EncryptionContext[k])
		}
	}
	return exitOK
}
