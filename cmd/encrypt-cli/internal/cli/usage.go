package cli

const usageText = `usage: encrypt-cli (-e | -d | --decrypt-unsigned) -i INPUT -o OUTPUT -w KEY... (-S | --metadata-output FILE) [options]
       encrypt-cli inspect FILE
       encrypt-cli keystore create-table|create-key|version-key|show --table T --kms-key ARN ...
       encrypt-cli --version

Encrypt or decrypt data in the AWS Encryption SDK message format. The flags
are those of the Python aws-encryption-cli.

Example:
    head -c 32 /dev/urandom | base64 > aes.key
    encrypt-cli -e -i report.pdf -o . -S -c purpose=backup \
        -w provider=raw-aes key=backup-key namespace=acme key-file=aes.key
    encrypt-cli -d -i report.pdf.encrypted -o report.pdf -S -c purpose=backup \
        -w provider=raw-aes key=backup-key namespace=acme key-file=aes.key

Operation (one is required):
    -e, --encrypt             encrypt
    -d, --decrypt             decrypt
    --decrypt-unsigned        decrypt, refusing signed messages before any output

Input and output:
    -i, --input PATH          a file, a directory (with -r), a glob pattern
                              (Python rules: * skips dotfiles, [!x] negates),
                              or - for stdin
    -o, --output PATH         a file, an existing directory, or - for stdout;
                              in a directory outputs are named SOURCE.encrypted
                              or SOURCE.decrypted
    -r, -R, --recursive       process directories, mirroring their tree
    --suffix [SUFFIX]         suffix for generated output names (empty without
                              a value)
    --interactive             ask before overwriting an existing file
    --no-overwrite            never overwrite an existing file
    --encode                  base64-encode the output
    --decode                  base64-decode the input
    -b, --buffer              release no output until the whole message has
                              been processed (and its signature verified)
    --jobs N                  process N files at a time (0: one per CPU);
                              metadata keeps input order
    --range START:END         decrypt only plaintext bytes START to END (END
                              exclusive) of a framed message in a file,
                              reading just the header and the frames needed
    --skip-signature-verification
                              allow --range on a signed message; its signature
                              is NOT checked (anyone who can decrypt the
                              message could have written those bytes)

Wrapping keys (-w, at least one; repeat -w for several, the first generates
the data key):
    -w provider=raw-aes key=NAME namespace=NS key-file=PATH
                              a 128, 192 or 256-bit AES key: raw bytes or base64
    -w provider=raw-rsa key=NAME namespace=NS key-file=PATH padding=P
                              an RSA key in PEM (or DER, or base64 of DER); a
                              public key only encrypts; P is pkcs1, oaep-sha1,
                              oaep-sha256, oaep-sha384 or oaep-sha512
    -w provider=raw-ecdh [key-file=PRIVATE] [recipient-key-file=PUBLIC]
                              elliptic-curve keys in PEM (P-256/384/521):
                              encrypt with both files (static) or the
                              recipient's public key alone (ephemeral);
                              decrypt with the private key alone (discovery)
                              or with the other party's public key (static)
    -w provider=aws-kms-rsa key=ARN algorithm=RSAES_OAEP_SHA_256|RSAES_OAEP_SHA_1
       [public-key-file=PUBLIC] [region=R] [profile=P] [grant_tokens=T...]
                              an AWS KMS RSA key: encrypts locally with its
                              public key (PEM or DER; without the file, one
                              KMS GetPublicKey), decrypts with KMS Decrypt;
                              suites without signatures only
    -w provider=aws-kms-ecdh key=ARN recipient-key-file=PUBLIC | discovery=true
       [region=R] [profile=P] [grant_tokens=T...]
                              an AWS KMS key-agreement key (KMS
                              DeriveSharedSecret) with the recipient's public
                              key (static), or, to decrypt, any message
                              addressed to the KMS key (discovery)
    -w provider=aws-kms-hierarchy branch-key-id=ID table=TABLE kms-key=ARN
       [logical-name=NAME] [ttl=SECONDS] [region=R] [profile=P]
                              the hierarchical keyring: branch keys from the
                              DynamoDB key store TABLE, wrapped by ARN, cached
                              for ttl seconds (default 600); manage them with
                              "encrypt-cli keystore --help"
    -w [provider=aws-kms] key=ARN... [region=R] [profile=P] [grant_tokens=T...]
    -w [provider=aws-kms] discovery=true [discovery-account=ID...
                              discovery-partition=P] [region=R] [profile=P]
                              AWS KMS keys (multi-Region key aware). On decrypt
                              key= must be a key ARN; discovery=true uses the
                              key each message names, limited to the accounts
                              given. Endpoint, credentials and default region
                              come from the AWS configuration (AWS_REGION,
                              AWS_PROFILE, AWS_ENDPOINT_URL_KMS, ~/.aws/...)

Message options:
    -c, --encryption-context K=V...
                              encrypt: the encryption context; decrypt: pairs
                              (K=V) and keys (K) the message must have, checked
                              before any output (exit status 1 if not)
    --algorithm NAME          suite, e.g. AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
                              (the default) or AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    --frame-length N          frame length in bytes (default 4096; 0 writes a
                              non-framed message)
    --max-length N            decrypt: largest frame or body accepted
    --max-encrypted-data-keys N
                              largest number of encrypted data keys written or
                              accepted (decrypt default: 10; encrypt: no limit)
    --commitment-policy P     forbid-encrypt-allow-decrypt,
                              require-encrypt-allow-decrypt, or
                              require-encrypt-require-decrypt (the default)
    --caching K=V...          capacity=N max_age=SECONDS [max_messages_encrypted=N]
                              [max_bytes_encrypted=N]: reuse data keys
                              across the files of one run

Metadata (one is required):
    -S, --suppress-metadata   write no metadata
    --metadata-output FILE    append one JSON line per operation to FILE (- for
                              stdout), as the Python CLI does
    --overwrite-metadata      truncate FILE first

Other:
    -v                        more detail on stderr (repeat for more)
    -q, --quiet               no warnings
    --version                 print the version
    -h, --help                print this help
    @FILE                     read more arguments from FILE (shell quoting, #
                              comments, ~ and $VAR expanded)

Exit status: 0 when every operation succeeded (skipped files included), 1
when one failed, 2 for a usage error. A failed operation leaves no output
file and keeps an existing one intact.
`
