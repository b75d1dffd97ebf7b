#!/usr/bin/env python3
"""Interop driver for the AWS Encryption SDK for Python (aws-encryption-sdk 4.x with the MPL).

The command line and the job format are the same for every peer; see ../README.md.

  driver.py encrypt --keys JSON --suite 0x0478 --frame 4096 --ec JSON [--required-keys JSON] --in F --out F [--info F]
  driver.py decrypt --keys JSON [--reproduced-ec JSON] --in F --out F [--info F]
  driver.py batch JOBS.json RESULTS.json
"""
import base64
import json
import logging
import sys
import warnings

# Failures are reported once, by the driver; the SDK's own log lines and the
# deprecation chatter of its dependencies stay off stderr.
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

import aws_encryption_sdk  # noqa: E402
from aws_encryption_sdk import CommitmentPolicy  # noqa: E402
from aws_encryption_sdk.identifiers import Algorithm, ContentType  # noqa: E402
from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders  # noqa: E402
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig  # noqa: E402
from aws_cryptographic_material_providers.mpl.models import (  # noqa: E402
    AesWrappingAlg,
    CreateAwsKmsKeyringInput,
    CreateDefaultCryptographicMaterialsManagerInput,
    CreateMultiKeyringInput,
    CreateRawAesKeyringInput,
    CreateRawRsaKeyringInput,
    CreateRequiredEncryptionContextCMMInput,
    PaddingScheme,
)

MPL = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())

# Decrypt accepts every suite; encrypt uses the policy that allows the requested suite.
COMMITTING = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT)
NON_COMMITTING = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)

AES_ALGS = {
    16: AesWrappingAlg.ALG_AES128_GCM_IV12_TAG16,
    24: AesWrappingAlg.ALG_AES192_GCM_IV12_TAG16,
    32: AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16,
}
PADDINGS = {
    "pkcs1": PaddingScheme.PKCS1,
    "oaep-sha1": PaddingScheme.OAEP_SHA1_MGF1,
    "oaep-sha256": PaddingScheme.OAEP_SHA256_MGF1,
    "oaep-sha384": PaddingScheme.OAEP_SHA384_MGF1,
    "oaep-sha512": PaddingScheme.OAEP_SHA512_MGF1,
}

_kms_clients = {}


def kms_client(spec):
    import boto3  # only KMS jobs pay for boto3's import

    region = spec.get("region") or spec["key-id"].split(":")[3]
    key = (region, spec.get("endpoint"))
    if key not in _kms_clients:
        from botocore.config import Config

        _kms_clients[key] = boto3.client(
            "kms",
            region_name=region,
            endpoint_url=spec.get("endpoint"),
            aws_access_key_id="AKIDINTEROP",
            aws_secret_access_key="interop-secret",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
    return _kms_clients[key]


_key_stores = {}


def key_store(spec):
    """The MPL key store of an aws-kms-hierarchy spec: its DynamoDB table and
    AWS KMS key, both on the endpoint of the spec (moto, in the matrix)."""
    import boto3
    from botocore.config import Config
    from aws_cryptographic_material_providers.keystore import KeyStore
    from aws_cryptographic_material_providers.keystore.config import KeyStoreConfig
    from aws_cryptographic_material_providers.keystore.models import KMSConfigurationKmsKeyArn

    key = (spec["endpoint"], spec["table"], spec["logical-name"], spec["kms-key"])
    if key not in _key_stores:
        args = dict(
            region_name=spec["region"],
            endpoint_url=spec["endpoint"],
            aws_access_key_id="AKIDINTEROP",
            aws_secret_access_key="interop-secret",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        _key_stores[key] = KeyStore(
            config=KeyStoreConfig(
                ddb_client=boto3.client("dynamodb", **args),
                ddb_table_name=spec["table"],
                logical_key_store_name=spec["logical-name"],
                kms_client=boto3.client("kms", **args),
                kms_configuration=KMSConfigurationKmsKeyArn(spec["kms-key"]),
            )
        )
    return _key_stores[key]


def keystore_admin(job):
    """op "keystore": the job's first key is an aws-kms-hierarchy spec; action
    create-key creates its branch key (with the spec's ID and the job's
    encryption context), version-key rotates it."""
    from aws_cryptographic_material_providers.keystore.models import CreateKeyInput, VersionKeyInput

    spec = job["keys"][0]
    ks = key_store(spec)
    if job["action"] == "create-key":
        out = ks.create_key(
            CreateKeyInput(branch_key_identifier=spec["branch-key-id"], encryption_context=job.get("ec") or {})
        )
        if out.branch_key_identifier != spec["branch-key-id"]:
            raise ValueError("created branch key %r, asked for %r" % (out.branch_key_identifier, spec["branch-key-id"]))
    elif job["action"] == "version-key":
        ks.version_key(VersionKeyInput(branch_key_identifier=spec["branch-key-id"]))
    else:
        raise ValueError("unknown keystore action %r" % job["action"])
    return {}


def keyring_of(spec):
    t = spec["type"]
    if t == "aws-kms-hierarchy":
        from aws_cryptographic_material_providers.mpl.models import CreateAwsKmsHierarchicalKeyringInput

        return MPL.create_aws_kms_hierarchical_keyring(
            input=CreateAwsKmsHierarchicalKeyringInput(
                key_store=key_store(spec), branch_key_id=spec["branch-key-id"], ttl_seconds=600
            )
        )
    if t == "raw-aes":
        key = base64.b64decode(spec["key"])
        if len(key) not in AES_ALGS:
            raise ValueError("raw-aes: bad key length %d" % len(key))
        return MPL.create_raw_aes_keyring(
            input=CreateRawAesKeyringInput(
                key_namespace=spec["namespace"],
                key_name=spec["name"],
                wrapping_key=key,
                wrapping_alg=AES_ALGS[len(key)],
            )
        )
    if t == "raw-rsa":
        pub = spec.get("public-key")
        priv = spec.get("private-key")
        return MPL.create_raw_rsa_keyring(
            input=CreateRawRsaKeyringInput(
                key_namespace=spec["namespace"],
                key_name=spec["name"],
                padding_scheme=PADDINGS[spec["padding"]],
                public_key=pub.encode() if pub else None,
                private_key=priv.encode() if priv else None,
            )
        )
    if t == "aws-kms":
        return MPL.create_aws_kms_keyring(
            input=CreateAwsKmsKeyringInput(kms_key_id=spec["key-id"], kms_client=kms_client(spec))
        )
    if t == "raw-ecdh":
        return ecdh_keyring(spec)
    if t == "aws-kms-rsa":
        from aws_cryptographic_material_providers.mpl.models import CreateAwsKmsRsaKeyringInput

        pub = spec.get("public-key")
        grant = spec.get("grant-token")
        return MPL.create_aws_kms_rsa_keyring(
            input=CreateAwsKmsRsaKeyringInput(
                kms_key_id=spec["key-id"],
                encryption_algorithm=spec["algorithm"],
                public_key=pub.encode() if pub else None,
                kms_client=kms_client(spec),
                grant_tokens=[grant] if grant else None,
            )
        )
    raise ValueError("unknown keyring type %r" % t)


ECDH_CURVES = {"p256": "ECC_NIST_P256", "p384": "ECC_NIST_P384", "p521": "ECC_NIST_P521"}


def ecdh_keyring(spec):
    """Raw ECDH keyring: private keys are PKCS #8 PEM, public keys SPKI DER (base64 in the spec)."""
    from aws_cryptographic_material_providers.mpl.models import (
        CreateRawEcdhKeyringInput,
        EphemeralPrivateKeyToStaticPublicKeyInput,
        PublicKeyDiscoveryInput,
        RawEcdhStaticConfigurationsEphemeralPrivateKeyToStaticPublicKey,
        RawEcdhStaticConfigurationsPublicKeyDiscovery,
        RawEcdhStaticConfigurationsRawPrivateKeyToStaticPublicKey,
        RawPrivateKeyToStaticPublicKeyInput,
    )

    schema = spec["schema"]
    priv = spec.get("private-key")
    pub = spec.get("recipient-public-key")
    if schema == "static":
        scheme = RawEcdhStaticConfigurationsRawPrivateKeyToStaticPublicKey(
            RawPrivateKeyToStaticPublicKeyInput(
                sender_static_private_key=priv.encode(), recipient_public_key=base64.b64decode(pub)
            )
        )
    elif schema == "ephemeral":
        scheme = RawEcdhStaticConfigurationsEphemeralPrivateKeyToStaticPublicKey(
            EphemeralPrivateKeyToStaticPublicKeyInput(recipient_public_key=base64.b64decode(pub))
        )
    elif schema == "discovery":
        scheme = RawEcdhStaticConfigurationsPublicKeyDiscovery(
            PublicKeyDiscoveryInput(recipient_static_private_key=priv.encode())
        )
    else:
        raise ValueError("raw-ecdh: unknown schema %r" % schema)
    return MPL.create_raw_ecdh_keyring(
        input=CreateRawEcdhKeyringInput(key_agreement_scheme=scheme, curve_spec=ECDH_CURVES[spec["curve"]])
    )


def keyring_of_list(specs):
    if not specs:
        raise ValueError("keys: need a non-empty list")
    krs = [keyring_of(s) for s in specs]
    if len(krs) == 1:
        return krs[0]
    return MPL.create_multi_keyring(input=CreateMultiKeyringInput(generator=krs[0], child_keyrings=krs[1:]))


def info(header):
    return {
        "suite": "0x%04x" % header.algorithm.algorithm_id,
        "frame": 0 if header.content_type == ContentType.NO_FRAMING else header.frame_length,
        "ec": dict(header.encryption_context),
    }


def run(job):
    if job["op"] == "keystore":
        return keystore_admin(job)
    with open(job["in"], "rb") as f:
        data = f.read()
    keyring = keyring_of_list(job["keys"])
    op = job["op"]
    if op == "encrypt":
        suite = Algorithm.get_by_id(int(job["suite"], 16))
        client = COMMITTING if suite.is_committing() else NON_COMMITTING
        kwargs = dict(source=data, encryption_context=job.get("ec") or {}, algorithm=suite)
        if job.get("required-keys"):
            # Required encryption context CMM: these pairs are authenticated
            # but not stored in the message.
            cmm = MPL.create_default_cryptographic_materials_manager(
                input=CreateDefaultCryptographicMaterialsManagerInput(keyring=keyring)
            )
            kwargs["materials_manager"] = MPL.create_required_encryption_context_cmm(
                input=CreateRequiredEncryptionContextCMMInput(
                    underlying_cmm=cmm, required_encryption_context_keys=job["required-keys"]
                )
            )
        else:
            kwargs["keyring"] = keyring
        if job.get("frame") is not None:
            kwargs["frame_length"] = job["frame"]
        ct, header = client.encrypt(**kwargs)
        with open(job["out"], "wb") as f:
            f.write(ct)
        return info(header)
    if op == "decrypt":
        kwargs = dict(source=data, keyring=keyring)
        if job.get("reproduced-ec") is not None:
            kwargs["encryption_context"] = job["reproduced-ec"]
        pt, header = COMMITTING.decrypt(**kwargs)
        with open(job["out"], "wb") as f:
            f.write(pt)
        return info(header)
    raise ValueError("unknown op %r" % op)


def run_safely(job):
    try:
        r = run(job)
        r["ok"] = True
        return r
    except Exception as e:  # pylint: disable=broad-except
        msg = (str(e) or type(e).__name__).splitlines()
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, msg[0] if msg else "")}


def main(argv):
    if len(argv) >= 1 and argv[0] == "batch":
        if len(argv) != 3:
            sys.stderr.write("usage: driver.py batch JOBS.json RESULTS.json\n")
            return 2
        with open(argv[1], encoding="utf-8") as f:
            jobs = json.load(f)
        results = [run_safely(j) for j in jobs]
        with open(argv[2], "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False)
        return 0
    if len(argv) < 1 or argv[0] not in ("encrypt", "decrypt") or len(argv) % 2 != 1:
        sys.stderr.write(
            "usage: driver.py encrypt --keys JSON --suite 0x0478 --frame N --ec JSON [--required-keys JSON] --in F --out F [--info F]\n"
            "       driver.py decrypt --keys JSON [--reproduced-ec JSON] --in F --out F [--info F]\n"
            "       driver.py batch JOBS.json RESULTS.json\n"
        )
        return 2
    flags = {}
    for i in range(1, len(argv), 2):
        if not argv[i].startswith("--"):
            sys.stderr.write("bad argument %s\n" % argv[i])
            return 2
        flags[argv[i][2:]] = argv[i + 1]
    job = {"op": argv[0], "keys": json.loads(flags["keys"]), "in": flags["in"], "out": flags["out"]}
    if "suite" in flags:
        job["suite"] = flags["suite"]
    if "frame" in flags:
        job["frame"] = int(flags["frame"])
    if "ec" in flags:
        job["ec"] = json.loads(flags["ec"])
    if "required-keys" in flags:
        job["required-keys"] = json.loads(flags["required-keys"])
    if "reproduced-ec" in flags:
        job["reproduced-ec"] = json.loads(flags["reproduced-ec"])
    r = run_safely(job)
    if "info" in flags:
        with open(flags["info"], "w", encoding="utf-8") as f:
            json.dump(r, f, ensure_ascii=False)
    if not r["ok"]:
        sys.stderr.write("%s failed: %s\n" % (argv[0], r["error"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
