package awskms

// Option configures a keyring made by this package.
type Option func(*options)

type options struct {
	grantTokens []string
}

// WithGrantTokens passes grant tokens with every AWS KMS request of the
// keyring, for keys the caller may use through a grant that has not yet
// become consistent.
func WithGrantTokens(tokens ...string) Option {
	return func(o *options) { o.grantTokens = append(o.grantTokens, tokens...) }
}

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	o.grantTokens = append([]string(nil), o.grantTokens...)
	return o
}
