module github.com/go-esdk/esdk/pkcs11

go 1.26

require github.com/go-esdk/esdk v0.0.0

require github.com/miekg/pkcs11 v1.1.2

replace github.com/go-esdk/esdk => ../
