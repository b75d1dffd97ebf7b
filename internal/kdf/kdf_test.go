package kdf

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
)

// katVectors are the known answers of the Material Providers Library's
// KdfCtr tests: the B cases are NIST CAVP counter-mode vectors (counter
// first, 32-bit; the fixed input is opaque), the C cases derive with the
// label "aws-kms-hierarchy" and a 16-byte context (the hierarchical
// keyring's form).
var katVectors = []struct {
	name             string
	labelled         bool // fixed input = label || 00 || context || L
	hash             crypto.Hash
	n                int
	key, fixed, want string
}{
	{"B.1 Test Case 1", false, crypto.SHA256, 32,
		"e204d6d466aad507ffaf6d6dab0a5b26152c9e21e764370464e360c8fbc765c6",
		"7b03b98d9f94b899e591f3ef264b71b193fba7043c7e953cde23bc5384bc1a6293580115fae3495fd845dadbd02bd6455cf48d0f62b33e62364a3a80",
		"770dfab6a6a4a4bee0257ff335213f78d8287b4fd537d5c1fffa956910e7c779"},
	{"B.2 Test Case 2", false, crypto.SHA256, 32,
		"aeeeca60f689a441b13b0cbcd441d82df0cf87dac236290dece8931df8d70317",
		"588ec041e5733b7031212c5538efe4f6aafa4cda8b925d261f5a2688f007b3ac240ee12991e77b8cb8538678615966164a81872bd1cfcbfb39a4f450",
		"3e81d6113cee3c529ecedff89a6999ce25b618c15ee1d19d45cb376a1c8e2374"},
	{"B.3 Test Case 3", false, crypto.SHA256, 32,
		"95c8f76e11367eb55526a2b393ae906583d1cbdd47962146f506cc7cac12f464",
		"cad60e904b9e9c8bfeb4a81a7f67d3bddcc05e64255870403770f3533ae6dd634ceaa56c53e688bd137ae6018935f34b9fb084ea48e4c688f6bbb388",
		"cafa5ca03f5fbe2a242004abcbd3de1059c7407b1ee579255124af189be0b556"},
	{"B.4 Test Case 4", false, crypto.SHA256, 32,
		"4d05391fd6fb1e292e78ab9619b1b72a7d63ee59d7435dd71897b9ff7ee7ae70",
		"f078e6f9b7f82d64554fa6b604c808f19b1f6ad6727db7aa6f1c86694e104b5256c8b4039919646481d7ea2452c72c17a3e8d7d3916285460aa5eb81",
		"6b16e8f53b831aa5e86bf97a5c4fa37d089bc172da5a1e7f662dd4a595339ab7"},
	{"B.5 Test Case 5", false, crypto.SHA256, 32,
		"0f68a82ff1671634cc9136c564a9e02a767621dd74a1bf5c24129b808214b752",
		"648599809c2c4e7c6a5e6c449f0031ebf55c3661a895b44db0572ee88083b1f4b12602aa55fc1df150a65a6d6eeda0aa79a434a1039b91b5a58fc7f1",
		"e297640f7768485d4a6e7cfe245f8bfa84700d99762692ea1a425ccc0275e8f5"},
	{"B.6 Test Case 6", false, crypto.SHA384, 32,
		"822c764a1b117085c10f0e689814d2bfbd9b43287f1a8c75d795a9831a286184c8586f3577b6e5bbce1637925e04fc47",
		"af346110b941b11d2189316c9fc2b9f4213775a5d7368d35412678a28fcd03b07f0549666efdf30c80f0ab5563720a56ef616a13bb8f7780036fc08e",
		"e0ae235cb82380527be76934a69622396d90e7bfa7e2d295e4375bcee0d1b101"},
	{"B.7 Test Case 7", false, crypto.SHA384, 32,
		"340e212d758e83cc5b89e4b56a86ee8c9631ae4e4bbaec15ac095ea4407bc7b634ad630dd0be85a91c08a8c7e1e1030b",
		"3cd5561ad12fadfce408e04180afcee38b83156b9e4be0779c4f0db9e26bfe5ccd43e15921977cd26b1db8288b80089eb7d1bbd7f59e1011b3e18b51",
		"05fa577b7081210e7c9de69db03d7c2026cf4469a90bfa29f1c2c10818d463e0"},
	{"B.8 Test Case 8", false, crypto.SHA384, 32,
		"00a12d3ce4ff75a6e30f41f3557c826af1326b6302f4ce887bad3d3317a548c8c03a057284dcc38d8bc690bd4a565f47",
		"24c5c0b2c810dfa08e35d7feebb8c78e0cd726c92ecd42d9171013738ca2531a947f523c37f64cdb04305bd969d1d6f9ecd46405d28280f968500ba7",
		"aef3d57c8da7d9582c5d1c62d6b64896da9b1b0e4012a44cdc3dcf4b70ad6c66"},
	{"B.9 Test Case 9", false, crypto.SHA384, 20,
		"0000d9b7ec6fbefdf256fd68220b5205ac65a2001145118c50ba6b657032198b8b7ce3b2f7068a780dc17c22459af2b7",
		"d857541c62b85756dc73de7dc2d86f5d5e8b28338bb0a945b5c4fd7c81f71961b9705d3d153b19195d003b74212068ed10f96c53438653087a0152cf",
		"793ef113f96397ab0031eaa0faa777c107e7d03c"},
	{"B.10 Test Case 10", false, crypto.SHA384, 20,
		"4f3d744d3e449e0627bf4498743828f86e638f60620a7ed4a7c9b5b073691c9ec94728c58822e827f0f6ccf86dbc1cae",
		"301feeb25e6ca8503ecd821f1d3787aebfb3d0ec518bb31174f5209b2ac1f28ed3e698736bad10a18e3cbdb5dc27bbd12d058b36db0892f9cfd08300",
		"85ef9505b230565eccf2a64ab3de53e5a91c7b51"},
	{"C.1 Test Case 1", true, crypto.SHA256, 32,
		"7dc9bdfc2534047cfe63e9eb297b77525149ed7d4afce9c6440f350e61ef3ed0",
		"77dae93e689b581d3e06eb01c8d3ba02",
		"bce898725589aec08f9834b3b80fdc3ff173907e5574e729fdce127cf76db7cc"},
	{"C.2 Test Case 2", true, crypto.SHA256, 32,
		"5016711776440a204ba9c7c0ffdcd63cb6017e93abe96eb12391d9811e09509f",
		"d2f1c09e67421b238f42a8bd52abd3fc",
		"36ceae48ed85559c5d357898765259217262ccec8a39a276555cc7e8f0fc5c61"},
	{"C.3 Test Case 3", true, crypto.SHA256, 32,
		"395a102e5336bdf11bf2edecf64236e24a704f9cd00d944775d38b3949457aec",
		"330fb77c52e5f9567594eda21bf3ad6c",
		"1637ec8d9fa3faec562fe1679ce1e492a62df42788a3cdc874c1149370fed2c2"},
	{"C.4 Test Case 4", true, crypto.SHA256, 32,
		"98c019dfef9aaf43edfab892e4f3e30180f7e4988e8395293c46f43aa6ea56bd",
		"f3a0667fdb897326bbd8305097a89447",
		"bf7056eadce97a9a64bce6eeef9b3620612333a079eb2a4091690f99a259099c"},
	{"C.5 Test Case 5", true, crypto.SHA256, 32,
		"a6ec74338cbdc0af2a9a331ad0954c9faea2cf046ce8c4f00c39e49b614b2a42",
		"eca9e92d2b197af398bf9a372d869fdc",
		"9c0b14fb64e3a3a11e2df202f8f62c0b5884bdaf5f603d2c62a0d4888cde3997"},
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKnownAnswers(t *testing.T) {
	for _, v := range katVectors {
		key, fixed, want := unhex(t, v.key), unhex(t, v.fixed), unhex(t, v.want)
		var got []byte
		var err error
		if v.labelled {
			got, err = CounterMode(v.hash, key, []byte("aws-kms-hierarchy"), fixed, v.n)
		} else {
			got, err = CounterModeFixed(v.hash, key, fixed, v.n)
		}
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", v.name, got, want)
		}
	}
}

// TestSeveralBlocks checks the counter and the concatenation when the
// output spans blocks (the ECDH keyrings take 64 bytes of HMAC-SHA384).
func TestSeveralBlocks(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 48)
	label, context := []byte("fixed-info"), bytes.Repeat([]byte{9}, 32)
	got, err := CounterMode(crypto.SHA384, key, label, context, 100)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := uint32(1); i <= 3; i++ {
		m := hmac.New(sha512.New384, key)
		m.Write(binary.BigEndian.AppendUint32(nil, i))
		m.Write(label)
		m.Write([]byte{0})
		m.Write(context)
		m.Write(binary.BigEndian.AppendUint32(nil, 800))
		want = m.Sum(want)
	}
	if !bytes.Equal(got, want[:100]) {
		t.Errorf("got %x\nwant %x", got, want[:100])
	}
	// L is part of every block, so a shorter output is not a prefix.
	short, _ := CounterMode(crypto.SHA384, key, label, context, 64)
	if bytes.Equal(short, got[:64]) {
		t.Error("64-byte output is a prefix of the 100-byte output; L is not bound")
	}
}

func TestInvalidInput(t *testing.T) {
	key := make([]byte, 32)
	for _, c := range []struct {
		name string
		h    crypto.Hash
		key  []byte
		n    int
	}{
		{"SHA-512 PRF", crypto.SHA512, key, 32},
		{"SHA-1 PRF", crypto.SHA1, key, 32},
		{"empty key", crypto.SHA256, nil, 32},
		{"zero length", crypto.SHA256, key, 0},
		{"negative length", crypto.SHA256, key, -1},
		{"too long", crypto.SHA384, key, MaxLen + 1},
	} {
		if _, err := CounterMode(c.h, c.key, nil, nil, c.n); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", c.name, err)
		}
	}
	if out, err := CounterMode(crypto.SHA256, key, nil, nil, MaxLen); err != nil || len(out) != MaxLen {
		t.Errorf("MaxLen: %d bytes, %v", len(out), err)
	}
}

// TestCounterModeSHA256x32 checks the allocation-free single-block form
// against CounterMode for keys and inputs of every size around its
// limits, and that it does not allocate within them.
func TestCounterModeSHA256x32(t *testing.T) {
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i*7 + 3)
	}
	for _, kl := range []int{1, 16, 32, 63, 64, 65, 100} {
		for _, ll := range []int{0, 17, 64, 128} {
			for _, cl := range []int{0, 1, 16, 111, 112} {
				key, label, ctx := buf[:kl], buf[kl:kl+ll], buf[100:100+cl]
				want, err := CounterMode(crypto.SHA256, key, label, ctx, 32)
				if err != nil {
					t.Fatal(err)
				}
				got, err := CounterModeSHA256x32(key, label, ctx)
				if err != nil || !bytes.Equal(got[:], want) {
					t.Fatalf("key %d, label %d, context %d bytes: %x, %v; want %x", kl, ll, cl, got, err, want)
				}
			}
		}
	}
	if _, err := CounterModeSHA256x32(nil, []byte("l"), nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("empty key: %v", err)
	}
	key, label, ctx := buf[:32], []byte("aws-kms-hierarchy"), buf[40:56]
	if n := testing.AllocsPerRun(100, func() { CounterModeSHA256x32(key, label, ctx) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
