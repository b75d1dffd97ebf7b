//! Interop driver for the AWS Encryption SDK for Rust (crate `aws-esdk`,
//! with the Material Providers Library it carries).
//!
//! The command line and the job format are the same for every peer; see
//! ../README.md.
//!
//!   esdk-interop-driver encrypt --keys JSON --suite 0x0478 --frame 4096 --ec JSON [--required-keys JSON] --in F --out F [--info F]
//!   esdk-interop-driver decrypt --keys JSON [--reproduced-ec JSON] --in F --out F [--info F]
//!   esdk-interop-driver batch JOBS.json RESULTS.json
//!   esdk-interop-driver bench [--suites 0478,0578] [--sizes 1KiB,64KiB,1MiB,64MiB] [--ops Encrypt,Decrypt] [--benchtime 1s|5x]
//!
//! The SDK does not report the frame length of a message, so the results
//! leave "frame" out.

mod bench;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use aws_esdk::client as esdk_client;
use aws_esdk::key_store::client as keystore_client;
use aws_esdk::key_store::types::key_store_config::KeyStoreConfig;
use aws_esdk::key_store::types::KmsConfiguration;
use aws_esdk::material_providers::client as mpl_client;
use aws_esdk::material_providers::types::cryptographic_materials_manager::CryptographicMaterialsManagerRef;
use aws_esdk::material_providers::types::keyring::KeyringRef;
use aws_esdk::material_providers::types::material_providers_config::MaterialProvidersConfig;
use aws_esdk::material_providers::types::{
    AesWrappingAlg, EphemeralPrivateKeyToStaticPublicKeyInput, EsdkAlgorithmSuiteId,
    EsdkCommitmentPolicy, PaddingScheme, PublicKeyDiscoveryInput, RawEcdhStaticConfigurations,
    RawPrivateKeyToStaticPublicKeyInput,
};
use aws_esdk::aws_cryptography_primitives::types::EcdhCurveSpec;
use aws_esdk::types::aws_encryption_sdk_config::AwsEncryptionSdkConfig;
use aws_smithy_types::Blob;
use base64::Engine as _;
use serde_json::{json, Map, Value};

type Res<T> = Result<T, String>;

/// Turns any error into one line of text (the SDK's errors print as their
/// Debug form, over several lines).
fn err<E: std::fmt::Debug>(e: E) -> String {
    let s = format!("{e:?}");
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 400 {
        one.chars().take(400).collect::<String>() + "…"
    } else {
        one
    }
}

/// The SDK's suite IDs by their two-byte code.
pub(crate) const SUITES: [(u16, EsdkAlgorithmSuiteId); 11] = [
    (0x0014, EsdkAlgorithmSuiteId::AlgAes128GcmIv12Tag16NoKdf),
    (0x0046, EsdkAlgorithmSuiteId::AlgAes192GcmIv12Tag16NoKdf),
    (0x0078, EsdkAlgorithmSuiteId::AlgAes256GcmIv12Tag16NoKdf),
    (0x0114, EsdkAlgorithmSuiteId::AlgAes128GcmIv12Tag16HkdfSha256),
    (0x0146, EsdkAlgorithmSuiteId::AlgAes192GcmIv12Tag16HkdfSha256),
    (0x0178, EsdkAlgorithmSuiteId::AlgAes256GcmIv12Tag16HkdfSha256),
    (0x0214, EsdkAlgorithmSuiteId::AlgAes128GcmIv12Tag16HkdfSha256EcdsaP256),
    (0x0346, EsdkAlgorithmSuiteId::AlgAes192GcmIv12Tag16HkdfSha384EcdsaP384),
    (0x0378, EsdkAlgorithmSuiteId::AlgAes256GcmIv12Tag16HkdfSha384EcdsaP384),
    (0x0478, EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKey),
    (0x0578, EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKeyEcdsaP384),
];

pub(crate) fn suite_of(hex: &str) -> Res<EsdkAlgorithmSuiteId> {
    let h = hex.trim_start_matches("0x").trim_start_matches("0X");
    let id = u16::from_str_radix(h, 16).map_err(|_| format!("bad suite {hex:?}"))?;
    SUITES
        .iter()
        .find(|(c, _)| *c == id)
        .map(|(_, s)| s.clone())
        .ok_or_else(|| format!("unknown suite {hex}"))
}

fn suite_hex(s: &EsdkAlgorithmSuiteId) -> String {
    SUITES
        .iter()
        .find(|(_, x)| x == s)
        .map(|(c, _)| format!("0x{c:04x}"))
        .unwrap_or_else(|| format!("{s:?}"))
}

/// Suites 0x04xx and 0x05xx commit to their key.
pub(crate) fn committing(s: &EsdkAlgorithmSuiteId) -> bool {
    matches!(
        s,
        EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKey
            | EsdkAlgorithmSuiteId::AlgAes256GcmHkdfSha512CommitKeyEcdsaP384
    )
}

pub(crate) fn esdk(policy: EsdkCommitmentPolicy) -> Res<esdk_client::Client> {
    let cfg = AwsEncryptionSdkConfig::builder()
        .commitment_policy(policy)
        .build()
        .map_err(err)?;
    esdk_client::Client::from_conf(cfg).map_err(err)
}

pub(crate) fn mpl() -> Res<mpl_client::Client> {
    let cfg = MaterialProvidersConfig::builder().build().map_err(err)?;
    mpl_client::Client::from_conf(cfg).map_err(err)
}

/// What one process keeps between jobs: the clients, and the AWS clients by
/// endpoint.
struct Driver {
    mpl: mpl_client::Client,
    committing: esdk_client::Client,
    non_committing: esdk_client::Client,
    kms: HashMap<(String, String), aws_sdk_kms::Client>,
    ddb: HashMap<(String, String), aws_sdk_dynamodb::Client>,
}

fn field<'a>(spec: &'a Value, name: &str) -> Res<&'a str> {
    spec.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("key spec: missing {name:?}"))
}

fn opt_field<'a>(spec: &'a Value, name: &str) -> Option<&'a str> {
    spec.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn b64(s: &str) -> Res<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("base64: {e}"))
}

/// The static test credentials every peer uses against the local servers.
fn credentials() -> aws_sdk_kms::config::Credentials {
    aws_sdk_kms::config::Credentials::new("AKIDINTEROP", "interop-secret", None, None, "interop")
}

/// The region of a spec, or the one in its key ARN.
fn region_of(spec: &Value) -> Res<String> {
    if let Some(r) = opt_field(spec, "region") {
        return Ok(r.to_string());
    }
    let arn = field(spec, "key-id")?;
    arn.split(':')
        .nth(3)
        .map(str::to_string)
        .ok_or_else(|| "key spec: no region".to_string())
}

impl Driver {
    fn new() -> Res<Self> {
        Ok(Driver {
            mpl: mpl()?,
            committing: esdk(EsdkCommitmentPolicy::RequireEncryptAllowDecrypt)?,
            non_committing: esdk(EsdkCommitmentPolicy::ForbidEncryptAllowDecrypt)?,
            kms: HashMap::new(),
            ddb: HashMap::new(),
        })
    }

    /// An AWS KMS client for the spec's region and endpoint: static
    /// credentials, no retries.
    fn kms_client(&mut self, spec: &Value) -> Res<aws_sdk_kms::Client> {
        let region = region_of(spec)?;
        let endpoint = opt_field(spec, "endpoint").unwrap_or_default().to_string();
        let key = (region.clone(), endpoint.clone());
        if let Some(c) = self.kms.get(&key) {
            return Ok(c.clone());
        }
        let mut b = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(region))
            .credentials_provider(credentials())
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled());
        if !endpoint.is_empty() {
            b = b.endpoint_url(endpoint);
        }
        let c = aws_sdk_kms::Client::from_conf(b.build());
        self.kms.insert(key, c.clone());
        Ok(c)
    }

    fn ddb_client(&mut self, spec: &Value) -> Res<aws_sdk_dynamodb::Client> {
        let region = region_of(spec)?;
        let endpoint = field(spec, "endpoint")?.to_string();
        let key = (region.clone(), endpoint.clone());
        if let Some(c) = self.ddb.get(&key) {
            return Ok(c.clone());
        }
        let c = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .region(aws_sdk_dynamodb::config::Region::new(region))
                .credentials_provider(credentials())
                .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                .endpoint_url(endpoint)
                .build(),
        );
        self.ddb.insert(key, c.clone());
        Ok(c)
    }

    /// The MPL key store of an aws-kms-hierarchy spec: its DynamoDB table
    /// and AWS KMS key, both on the spec's endpoint.
    fn key_store(&mut self, spec: &Value) -> Res<keystore_client::Client> {
        let cfg = KeyStoreConfig::builder()
            .kms_client(self.kms_client(spec)?)
            .ddb_client(self.ddb_client(spec)?)
            .ddb_table_name(field(spec, "table")?)
            .logical_key_store_name(field(spec, "logical-name")?)
            .kms_configuration(KmsConfiguration::KmsKeyArn(field(spec, "kms-key")?.to_string()))
            .build()
            .map_err(err)?;
        keystore_client::Client::from_conf(cfg).map_err(err)
    }

    async fn keyring(&mut self, spec: &Value) -> Res<KeyringRef> {
        let t = field(spec, "type")?;
        match t {
            "raw-aes" => {
                let key = b64(field(spec, "key")?)?;
                let alg = match key.len() {
                    16 => AesWrappingAlg::AlgAes128GcmIv12Tag16,
                    24 => AesWrappingAlg::AlgAes192GcmIv12Tag16,
                    32 => AesWrappingAlg::AlgAes256GcmIv12Tag16,
                    n => return Err(format!("raw-aes: bad key length {n}")),
                };
                self.mpl
                    .create_raw_aes_keyring()
                    .key_namespace(field(spec, "namespace")?)
                    .key_name(field(spec, "name")?)
                    .wrapping_key(key)
                    .wrapping_alg(alg)
                    .send()
                    .await
                    .map_err(err)
            }
            "raw-rsa" => {
                let padding = match field(spec, "padding")? {
                    "pkcs1" => PaddingScheme::Pkcs1,
                    "oaep-sha1" => PaddingScheme::OaepSha1Mgf1,
                    "oaep-sha256" => PaddingScheme::OaepSha256Mgf1,
                    "oaep-sha384" => PaddingScheme::OaepSha384Mgf1,
                    "oaep-sha512" => PaddingScheme::OaepSha512Mgf1,
                    p => return Err(format!("raw-rsa: unknown padding {p:?}")),
                };
                let mut b = self
                    .mpl
                    .create_raw_rsa_keyring()
                    .key_namespace(field(spec, "namespace")?)
                    .key_name(field(spec, "name")?)
                    .padding_scheme(padding);
                if let Some(p) = opt_field(spec, "public-key") {
                    b = b.public_key(Blob::new(p.as_bytes()));
                }
                if let Some(p) = opt_field(spec, "private-key") {
                    b = b.private_key(Blob::new(p.as_bytes()));
                }
                b.send().await.map_err(err)
            }
            "aws-kms" => {
                let client = self.kms_client(spec)?;
                self.mpl
                    .create_aws_kms_keyring()
                    .kms_key_id(field(spec, "key-id")?)
                    .kms_client(client)
                    .send()
                    .await
                    .map_err(err)
            }
            "aws-kms-rsa" => {
                let client = self.kms_client(spec)?;
                let mut b = self
                    .mpl
                    .create_aws_kms_rsa_keyring()
                    .kms_key_id(field(spec, "key-id")?)
                    .encryption_algorithm(aws_sdk_kms::types::EncryptionAlgorithmSpec::from(
                        field(spec, "algorithm")?,
                    ))
                    .kms_client(client);
                if let Some(p) = opt_field(spec, "public-key") {
                    b = b.public_key(Blob::new(p.as_bytes()));
                }
                if let Some(g) = opt_field(spec, "grant-token") {
                    b = b.grant_tokens(vec![g.to_string()]);
                }
                b.send().await.map_err(err)
            }
            "raw-ecdh" => {
                let curve = match field(spec, "curve")? {
                    "p256" => EcdhCurveSpec::EccNistP256,
                    "p384" => EcdhCurveSpec::EccNistP384,
                    "p521" => EcdhCurveSpec::EccNistP521,
                    c => return Err(format!("raw-ecdh: unknown curve {c:?}")),
                };
                let scheme = match field(spec, "schema")? {
                    "static" => RawEcdhStaticConfigurations::RawPrivateKeyToStaticPublicKey(
                        RawPrivateKeyToStaticPublicKeyInput::builder()
                            .sender_static_private_key(Blob::new(field(spec, "private-key")?.as_bytes()))
                            .recipient_public_key(b64(field(spec, "recipient-public-key")?)?)
                            .build()
                            .map_err(err)?,
                    ),
                    "ephemeral" => RawEcdhStaticConfigurations::EphemeralPrivateKeyToStaticPublicKey(
                        EphemeralPrivateKeyToStaticPublicKeyInput::builder()
                            .recipient_public_key(b64(field(spec, "recipient-public-key")?)?)
                            .build()
                            .map_err(err)?,
                    ),
                    "discovery" => RawEcdhStaticConfigurations::PublicKeyDiscovery(
                        PublicKeyDiscoveryInput::builder()
                            .recipient_static_private_key(Blob::new(field(spec, "private-key")?.as_bytes()))
                            .build()
                            .map_err(err)?,
                    ),
                    s => return Err(format!("raw-ecdh: unknown schema {s:?}")),
                };
                self.mpl
                    .create_raw_ecdh_keyring()
                    .curve_spec(curve)
                    .key_agreement_scheme(scheme)
                    .send()
                    .await
                    .map_err(err)
            }
            "aws-kms-hierarchy" => {
                let store = self.key_store(spec)?;
                self.mpl
                    .create_aws_kms_hierarchical_keyring()
                    .key_store(store)
                    .branch_key_id(field(spec, "branch-key-id")?)
                    .ttl_seconds(600)
                    .send()
                    .await
                    .map_err(err)
            }
            _ => Err(format!("unknown keyring type {t:?}")),
        }
    }

    /// A list of specs: one keyring alone, or a multi-keyring whose
    /// generator is the first.
    async fn keyring_of_list(&mut self, specs: &Value) -> Res<KeyringRef> {
        let list = specs
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or("keys: need a non-empty list")?;
        let mut krs = Vec::with_capacity(list.len());
        for s in list {
            krs.push(self.keyring(s).await?);
        }
        if krs.len() == 1 {
            return Ok(krs.remove(0));
        }
        let generator = krs.remove(0);
        self.mpl
            .create_multi_keyring()
            .generator(generator)
            .child_keyrings(krs)
            .send()
            .await
            .map_err(err)
    }

    /// op "keystore": action create-key creates the branch key of the
    /// job's first key (an aws-kms-hierarchy spec) with the job's
    /// encryption context; version-key rotates it.
    async fn keystore_admin(&mut self, job: &Value) -> Res<Map<String, Value>> {
        let spec = job
            .get("keys")
            .and_then(|k| k.get(0))
            .ok_or("keystore: no key spec")?;
        let store = self.key_store(spec)?;
        let id = field(spec, "branch-key-id")?;
        match job.get("action").and_then(Value::as_str) {
            Some("create-key") => {
                let out = store
                    .create_key()
                    .branch_key_identifier(id)
                    .encryption_context(string_map(job.get("ec"))?)
                    .send()
                    .await
                    .map_err(err)?;
                if out.branch_key_identifier.as_deref() != Some(id) {
                    return Err(format!(
                        "created branch key {:?}, asked for {id:?}",
                        out.branch_key_identifier
                    ));
                }
            }
            Some("version-key") => {
                store
                    .version_key()
                    .branch_key_identifier(id)
                    .send()
                    .await
                    .map_err(err)?;
            }
            a => return Err(format!("unknown keystore action {a:?}")),
        }
        Ok(Map::new())
    }

    async fn run(&mut self, job: &Value) -> Res<Map<String, Value>> {
        let op = job.get("op").and_then(Value::as_str).unwrap_or_default();
        if op == "keystore" {
            return self.keystore_admin(job).await;
        }
        let input = std::fs::read(field(job, "in")?).map_err(|e| format!("reading the input: {e}"))?;
        let keyring = self
            .keyring_of_list(job.get("keys").unwrap_or(&Value::Null))
            .await?;
        let (suite, ec, data) = match op {
            "encrypt" => {
                let suite = suite_of(field(job, "suite")?)?;
                let client = if committing(&suite) {
                    &self.committing
                } else {
                    &self.non_committing
                };
                let mut b = client
                    .encrypt()
                    .plaintext(input)
                    .encryption_context(string_map(job.get("ec"))?)
                    .algorithm_suite_id(suite);
                if let Some(f) = job.get("frame").and_then(Value::as_i64) {
                    b = b.frame_length(f);
                }
                let required = string_list(job.get("required-keys"))?;
                if required.is_empty() {
                    b = b.keyring(keyring);
                } else {
                    // The required-encryption-context CMM: these pairs are
                    // authenticated but not stored in the message.
                    b = b.materials_manager(self.required_cmm(keyring, required).await?);
                }
                let out = b.send().await.map_err(err)?;
                (
                    out.algorithm_suite_id,
                    out.encryption_context,
                    out.ciphertext.ok_or("no ciphertext")?.into_inner(),
                )
            }
            "decrypt" => {
                let mut b = self.committing.decrypt().ciphertext(input).keyring(keyring);
                if let Some(r) = job.get("reproduced-ec").filter(|v| !v.is_null()) {
                    b = b.encryption_context(string_map(Some(r))?);
                }
                let out = b.send().await.map_err(err)?;
                (
                    out.algorithm_suite_id,
                    out.encryption_context,
                    out.plaintext.ok_or("no plaintext")?.into_inner(),
                )
            }
            _ => return Err(format!("unknown op {op:?}")),
        };
        std::fs::write(field(job, "out")?, data).map_err(|e| format!("writing the output: {e}"))?;
        let mut r = Map::new();
        r.insert(
            "suite".into(),
            Value::String(suite.as_ref().map(suite_hex).unwrap_or_default()),
        );
        let ec: Map<String, Value> = ec
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        r.insert("ec".into(), Value::Object(ec));
        Ok(r)
    }

    async fn required_cmm(
        &self,
        keyring: KeyringRef,
        required: Vec<String>,
    ) -> Res<CryptographicMaterialsManagerRef> {
        let cmm = self
            .mpl
            .create_default_cryptographic_materials_manager()
            .keyring(keyring)
            .send()
            .await
            .map_err(err)?;
        self.mpl
            .create_required_encryption_context_cmm()
            .underlying_cmm(cmm)
            .required_encryption_context_keys(required)
            .send()
            .await
            .map_err(err)
    }
}

fn string_map(v: Option<&Value>) -> Res<HashMap<String, String>> {
    let mut out = HashMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = v.as_str().ok_or_else(|| format!("encryption context: {k:?} is not a string"))?;
                out.insert(k.clone(), s.to_string());
            }
        }
        Some(_) => return Err("encryption context: not an object".into()),
    }
    Ok(out)
}

fn string_list(v: Option<&Value>) -> Res<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(|| "required-keys: not a string".to_string()))
            .collect(),
        Some(_) => Err("required-keys: not a list".into()),
    }
}

/// Runs one job on the runtime; a failure or a panic becomes
/// {"ok":false,"error":...}.
fn run_safely(rt: &tokio::runtime::Runtime, d: &mut Driver, job: &Value) -> Value {
    let r = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(d.run(job))));
    match r {
        Ok(Ok(mut m)) => {
            m.insert("ok".into(), Value::Bool(true));
            Value::Object(m)
        }
        Ok(Err(e)) => json!({"ok": false, "error": e}),
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            json!({"ok": false, "error": format!("panic: {}", err(what))})
        }
    }
}

const USAGE: &str = "usage: esdk-interop-driver encrypt --keys JSON --suite 0x0478 --frame N --ec JSON [--required-keys JSON] --in F --out F [--info F]
       esdk-interop-driver decrypt --keys JSON [--reproduced-ec JSON] --in F --out F [--info F]
       esdk-interop-driver batch JOBS.json RESULTS.json
       esdk-interop-driver bench [--suites 0478,0578] [--sizes 1KiB,64KiB,1MiB,64MiB] [--ops Encrypt,Decrypt] [--benchtime 1s|5x]
";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn flags(args: &[String]) -> Option<HashMap<String, String>> {
    if args.len() % 2 != 0 {
        return None;
    }
    let mut m = HashMap::new();
    for p in args.chunks(2) {
        m.insert(p[0].strip_prefix("--")?.to_string(), p[1].clone());
    }
    Some(m)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        eprint!("{USAGE}");
        ExitCode::from(2)
    };
    match args.first().map(String::as_str) {
        Some("batch") => {
            if args.len() != 3 {
                return usage();
            }
            let jobs: Vec<Value> = match std::fs::read(&args[1])
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            {
                Ok(j) => j,
                Err(e) => {
                    eprintln!("jobs file: {e}");
                    return ExitCode::from(2);
                }
            };
            let rt = runtime();
            let mut d = match Driver::new() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("setting up the SDK: {e}");
                    return ExitCode::from(1);
                }
            };
            let results: Vec<Value> = jobs.iter().map(|j| run_safely(&rt, &mut d, j)).collect();
            if let Err(e) = std::fs::write(&args[2], serde_json::to_vec(&results).expect("json")) {
                eprintln!("results file: {e}");
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Some("bench") => {
            let Some(f) = flags(&args[1..]) else { return usage() };
            match bench::run(&runtime(), &f) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("bench: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some(op @ ("encrypt" | "decrypt")) => {
            let Some(f) = flags(&args[1..]) else { return usage() };
            let mut job = Map::new();
            job.insert("op".into(), Value::String(op.into()));
            for (k, v) in &f {
                let parsed = match k.as_str() {
                    "keys" | "ec" | "required-keys" | "reproduced-ec" => match serde_json::from_str(v) {
                        Ok(x) => x,
                        Err(e) => {
                            eprintln!("--{k}: {e}");
                            return ExitCode::from(2);
                        }
                    },
                    "frame" => match v.parse::<i64>() {
                        Ok(n) => Value::from(n),
                        Err(_) => return usage(),
                    },
                    "suite" | "in" | "out" | "info" => Value::String(v.clone()),
                    _ => return usage(),
                };
                job.insert(k.clone(), parsed);
            }
            let rt = runtime();
            let r = match Driver::new() {
                Ok(mut d) => run_safely(&rt, &mut d, &Value::Object(job)),
                Err(e) => json!({"ok": false, "error": e}),
            };
            if let Some(info) = f.get("info") {
                if let Err(e) = std::fs::write(info, serde_json::to_vec(&r).expect("json")) {
                    eprintln!("--info: {e}");
                    return ExitCode::from(1);
                }
            }
            if r["ok"] != Value::Bool(true) {
                eprintln!("{op} failed: {}", r["error"].as_str().unwrap_or_default());
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}
