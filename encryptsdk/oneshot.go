package encryptsdk

import (
	"bytes"
	"context"
	"io"
)

// EncryptBytes encrypts plaintext into one message and returns it.
func (c *Client) EncryptBytes(ctx context.Context, plaintext []byte, opts *EncryptOptions) ([]byte, error) {
	return c.AppendEncrypt(ctx, nil, plaintext, opts)
}

// AppendEncrypt encrypts plaintext and appends the message to dst, growing
// it at most once.
func (c *Client) AppendEncrypt(ctx context.Context, dst, plaintext []byte, opts *EncryptOptions) ([]byte, error) {
	o := EncryptOptions{}
	if opts != nil {
		o = *opts
	}
	if o.PlaintextLength <= 0 {
		o.PlaintextLength = int64(len(plaintext))
	}
	var out appendWriter
	out.b = dst
	e, err := c.Encrypt(ctx, &out, &o)
	if err != nil {
		return dst, err
	}
	if need := int(e.MessageLength(int64(len(plaintext)))); cap(out.b)-len(dst) < need {
		grown := make([]byte, len(out.b), len(dst)+need)
		copy(grown, out.b)
		out.b = grown
	}
	if _, err := e.Write(plaintext); err != nil {
		return dst, err
	}
	if err := e.Close(); err != nil {
		return dst, err
	}
	return out.b, nil
}

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// DecryptBytes decrypts one whole message. Nothing is returned unless the
// whole message, including its signature, verified. The Decryptor gives
// access to the header and encryption context.
func (c *Client) DecryptBytes(ctx context.Context, message []byte, opts *DecryptOptions) ([]byte, *Decryptor, error) {
	return c.AppendDecrypt(ctx, nil, message, opts)
}

// AppendDecrypt decrypts one whole message and appends its plaintext to
// dst. On error dst is returned unchanged in length.
func (c *Client) AppendDecrypt(ctx context.Context, dst, message []byte, opts *DecryptOptions) ([]byte, *Decryptor, error) {
	d, err := c.Decrypt(ctx, bytes.NewReader(message), opts)
	if err != nil {
		return dst, nil, err
	}
	if cap(dst)-len(dst) < len(message) {
		grown := make([]byte, len(dst), len(dst)+len(message))
		copy(grown, dst)
		dst = grown
	}
	start := len(dst)
	for {
		if len(d.out) > 0 {
			dst = append(dst, d.out...)
			d.out = nil
		}
		if d.err != nil {
			break
		}
		d.err = d.next()
	}
	if d.err != io.EOF {
		clear(dst[start:])
		return dst[:start], nil, d.err
	}
	return dst, d, nil
}
