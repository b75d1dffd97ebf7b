#!/usr/bin/env node
// Interop driver for the AWS Encryption SDK for JavaScript (@aws-crypto/client-node).
// The command line and the job format are the same for every peer; see ../README.md.
//
//   driver.js encrypt --keys JSON --suite 0x0478 --frame 4096 --ec JSON --in F --out F [--info F]
//   driver.js decrypt --keys JSON --in F --out F [--info F]
//   driver.js batch JOBS.json RESULTS.json
//
// Run with `node --security-revert=CVE-2023-46809 driver.js ...`: Node 20 refuses RSA
// PKCS #1 v1.5 decryption without it.
'use strict'

const fs = require('fs')
const {
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode,
  MultiKeyringNode,
  KmsKeyringNode,
  KmsHierarchicalKeyRingNode,
  BranchKeyStoreNode,
  KMS,
} = require('@aws-crypto/client-node')
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb')
const { constants } = require('crypto')

// Messages of every suite are accepted on decrypt; encrypt uses the policy
// that allows the requested suite.
const committing = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT)
const nonCommitting = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)

const aesSuites = {
  16: RawAesWrappingSuiteIdentifier.AES128_GCM_IV12_TAG16_NO_PADDING,
  24: RawAesWrappingSuiteIdentifier.AES192_GCM_IV12_TAG16_NO_PADDING,
  32: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
}

const kmsClients = new Map()
function kmsClient(spec, region) {
  const endpoint = spec.endpoint
  const k = `${region} ${endpoint || ''}`
  if (!kmsClients.has(k)) {
    kmsClients.set(
      k,
      new KMS({
        region,
        endpoint,
        credentials: { accessKeyId: 'AKIDINTEROP', secretAccessKey: 'interop-secret' },
        maxAttempts: 1,
      })
    )
  }
  return kmsClients.get(k)
}

const keyStores = new Map()
// keyStore is the branch key store of an aws-kms-hierarchy spec: its
// DynamoDB table and AWS KMS key, both on the endpoint of the spec (moto, in
// the matrix).
function keyStore(spec) {
  const k = [spec.endpoint, spec.table, spec['logical-name'], spec['kms-key']].join(' ')
  if (!keyStores.has(k)) {
    const creds = { accessKeyId: 'AKIDINTEROP', secretAccessKey: 'interop-secret' }
    keyStores.set(
      k,
      new BranchKeyStoreNode({
        logicalKeyStoreName: spec['logical-name'],
        storage: {
          ddbTableName: spec.table,
          ddbClient: new DynamoDBClient({ region: spec.region, endpoint: spec.endpoint, credentials: creds, maxAttempts: 1 }),
        },
        keyManagement: { kmsClient: kmsClient(spec, spec.region) },
        kmsConfiguration: { identifier: spec['kms-key'] },
      })
    )
  }
  return keyStores.get(k)
}

// keystoreAdmin runs op "keystore": the job's first key is an
// aws-kms-hierarchy spec; create-key creates its branch key (the spec's ID,
// the job's encryption context), version-key rotates it.
async function keystoreAdmin(job) {
  const spec = job.keys[0]
  const ks = keyStore(spec)
  if (job.action === 'create-key') {
    const out = await ks.createKey({ branchKeyIdentifier: spec['branch-key-id'], encryptionContext: job.ec || {} })
    if (out.branchKeyIdentifier !== spec['branch-key-id']) {
      throw new Error(`created branch key ${out.branchKeyIdentifier}, asked for ${spec['branch-key-id']}`)
    }
  } else if (job.action === 'version-key') {
    await ks.versionKey({ branchKeyIdentifier: spec['branch-key-id'] })
  } else {
    throw new Error(`unknown keystore action ${job.action}`)
  }
  return {}
}

function keyringOf(spec) {
  switch (spec.type) {
    case 'aws-kms-hierarchy':
      // utf8Sorting: as for the raw AES keyring, the wrapping AAD holds the
      // encryption context sorted by UTF-8 bytes only with this option.
      return new KmsHierarchicalKeyRingNode({
        branchKeyId: spec['branch-key-id'],
        keyStore: keyStore(spec),
        cacheLimitTtl: 600,
        utf8Sorting: true,
      })
    case 'raw-aes': {
      // The keyring wants a buffer of its own, not a slice of Node's pool.
      const key = new Uint8Array(Buffer.from(spec.key, 'base64'))
      const wrappingSuite = aesSuites[key.length]
      if (!wrappingSuite) throw new Error(`raw-aes: bad key length ${key.length}`)
      // utf8Sorting: the AAD of the wrapped key is the encryption context sorted
      // by UTF-8 bytes, as every other SDK does. The default (false) sorts with
      // localeCompare, which no other SDK can unwrap for many contexts.
      return new RawAesKeyringNode({
        keyName: spec.name,
        keyNamespace: spec.namespace,
        unencryptedMasterKey: key,
        wrappingSuite,
        utf8Sorting: spec['js-utf8-sorting'] === undefined ? true : spec['js-utf8-sorting'],
      })
    }
    case 'raw-rsa': {
      let padding, oaepHash
      if (spec.padding === 'pkcs1') {
        padding = constants.RSA_PKCS1_PADDING
      } else {
        const m = /^oaep-(sha1|sha256|sha384|sha512)$/.exec(spec.padding)
        if (!m) throw new Error(`raw-rsa: unknown padding ${spec.padding}`)
        padding = constants.RSA_PKCS1_OAEP_PADDING
        oaepHash = m[1]
      }
      return new RawRsaKeyringNode({
        keyName: spec.name,
        keyNamespace: spec.namespace,
        rsaKey: { publicKey: spec['public-key'], privateKey: spec['private-key'] },
        padding,
        oaepHash,
      })
    }
    case 'aws-kms': {
      const region = spec.region || spec['key-id'].split(':')[3]
      return new KmsKeyringNode({
        generatorKeyId: spec['key-id'],
        clientProvider: (r) => kmsClient(spec, r || region),
      })
    }
    default:
      throw new Error(`unknown keyring type ${spec.type}`)
  }
}

function keyringOfList(specs) {
  if (!Array.isArray(specs) || specs.length === 0) throw new Error('keys: need a non-empty list')
  const krs = specs.map(keyringOf)
  if (krs.length === 1) return krs[0]
  return new MultiKeyringNode({ generator: krs[0], children: krs.slice(1) })
}

function hex4(n) {
  return '0x' + n.toString(16).padStart(4, '0')
}

function info(header) {
  return {
    suite: hex4(header.suiteId),
    frame: header.contentType === 1 ? 0 : header.frameLength,
    ec: header.encryptionContext,
  }
}

async function run(job) {
  if (job.op === 'keystore') return keystoreAdmin(job)
  // The JS SDK has no required-encryption-context CMM and takes no
  // reproduced encryption context on decrypt.
  if (job['required-keys'] || job['reproduced-ec']) {
    throw new Error('required encryption context: not supported by @aws-crypto/client-node')
  }
  const input = fs.readFileSync(job.in)
  const keyring = keyringOfList(job.keys)
  if (job.op === 'encrypt') {
    const suiteId = parseInt(job.suite, 16)
    const client = suiteId >= 0x0478 ? committing : nonCommitting
    const opts = { suiteId, encryptionContext: job.ec || {} }
    if (job.frame !== undefined) opts.frameLength = job.frame
    const { result, messageHeader } = await client.encrypt(keyring, input, opts)
    fs.writeFileSync(job.out, result)
    return info(messageHeader)
  }
  if (job.op === 'decrypt') {
    const { plaintext, messageHeader } = await committing.decrypt(keyring, input)
    fs.writeFileSync(job.out, plaintext)
    return info(messageHeader)
  }
  throw new Error(`unknown op ${job.op}`)
}

async function runSafely(job) {
  try {
    return { ok: true, ...(await run(job)) }
  } catch (e) {
    return { ok: false, error: String((e && e.message) || e).split('\n')[0] }
  }
}

function parseFlags(args) {
  const o = {}
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || i + 1 >= args.length) throw new Error(`bad argument ${args[i]}`)
    o[args[i].slice(2)] = args[i + 1]
  }
  return o
}

async function main(argv) {
  const [cmd, ...rest] = argv
  if (cmd === 'batch') {
    if (rest.length !== 2) throw new Error('usage: driver.js batch JOBS.json RESULTS.json')
    const jobs = JSON.parse(fs.readFileSync(rest[0], 'utf8'))
    const results = []
    for (const job of jobs) results.push(await runSafely(job))
    fs.writeFileSync(rest[1], JSON.stringify(results))
    return 0
  }
  if (cmd !== 'encrypt' && cmd !== 'decrypt') {
    process.stderr.write(
      'usage: driver.js encrypt|decrypt --keys JSON [--suite 0x0478 --frame N --ec JSON] --in F --out F [--info F]\n' +
        '       driver.js batch JOBS.json RESULTS.json\n'
    )
    return 2
  }
  const f = parseFlags(rest)
  const job = { op: cmd, keys: JSON.parse(f.keys), in: f.in, out: f.out }
  if (f.suite) job.suite = f.suite
  if (f.frame !== undefined) job.frame = Number(f.frame)
  if (f.ec) job.ec = JSON.parse(f.ec)
  const r = await runSafely(job)
  if (f.info) fs.writeFileSync(f.info, JSON.stringify(r))
  if (!r.ok) {
    process.stderr.write(`${cmd} failed: ${r.error}\n`)
    return 1
  }
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e && e.stack) || e}\n`)
    process.exit(2)
  }
)
