// Interop driver for the AWS Encryption SDK for Java 3.x with the Material Providers Library.
// The command line and the job format are the same for every peer; see interop/README.md.
//
//   Driver encrypt --keys JSON --suite 0x0478 --frame 4096 --ec JSON [--required-keys JSON] --in F --out F [--info F]
//   Driver decrypt --keys JSON [--reproduced-ec JSON] --in F --out F [--info F]
//   Driver batch JOBS.json RESULTS.json
package dev.goesdk.interop;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.CryptoResult;
import com.amazonaws.encryptionsdk.model.CiphertextHeaders;
import com.amazonaws.encryptionsdk.model.ContentType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.cryptography.keystore.KeyStore;
import software.amazon.cryptography.keystore.model.CreateKeyInput;
import software.amazon.cryptography.keystore.model.CreateKeyOutput;
import software.amazon.cryptography.keystore.model.KMSConfiguration;
import software.amazon.cryptography.keystore.model.KeyStoreConfig;
import software.amazon.cryptography.keystore.model.VersionKeyInput;
import software.amazon.cryptography.materialproviders.ICryptographicMaterialsManager;
import software.amazon.cryptography.materialproviders.IKeyring;
import software.amazon.cryptography.materialproviders.MaterialProviders;
import software.amazon.cryptography.materialproviders.model.AesWrappingAlg;
import software.amazon.cryptography.materialproviders.model.CreateAwsKmsHierarchicalKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateAwsKmsKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateAwsKmsRsaKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateDefaultCryptographicMaterialsManagerInput;
import software.amazon.cryptography.materialproviders.model.CreateMultiKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateRawAesKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateRawRsaKeyringInput;
import software.amazon.cryptography.materialproviders.model.CreateRequiredEncryptionContextCMMInput;
import software.amazon.cryptography.materialproviders.model.MaterialProvidersConfig;
import software.amazon.cryptography.materialproviders.model.PaddingScheme;

public final class Driver {
  private static final MaterialProviders MPL =
      MaterialProviders.builder()
          .MaterialProvidersConfig(MaterialProvidersConfig.builder().build())
          .build();
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
  private static final Map<String, KmsClient> KMS_CLIENTS = new HashMap<>();
  private static final Map<String, KeyStore> KEY_STORES = new HashMap<>();

  private Driver() {}

  static String str(JsonObject o, String k) {
    JsonElement e = o.get(k);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  static KmsClient kmsClient(JsonObject spec) {
    String r = str(spec, "region");
    final String region = r != null ? r : str(spec, "key-id").split(":")[3];
    final String endpoint = str(spec, "endpoint");
    return KMS_CLIENTS.computeIfAbsent(
        region + " " + endpoint,
        unused -> {
          KmsClientBuilder b =
              KmsClient.builder()
                  .region(Region.of(region))
                  .credentialsProvider(
                      StaticCredentialsProvider.create(
                          AwsBasicCredentials.create("AKIDINTEROP", "interop-secret")))
                  .overrideConfiguration(c -> c.retryPolicy(RetryPolicy.none()));
          if (endpoint != null) {
            b = b.endpointOverride(URI.create(endpoint));
          }
          return b.build();
        });
  }

  // The key store of an aws-kms-hierarchy spec: its DynamoDB table and AWS KMS key, both on the
  // endpoint of the spec (moto, in the matrix).
  static KeyStore keyStore(JsonObject spec) {
    String endpoint = str(spec, "endpoint");
    String table = str(spec, "table");
    String logical = str(spec, "logical-name");
    String arn = str(spec, "kms-key");
    return KEY_STORES.computeIfAbsent(
        String.join(" ", endpoint, table, logical, arn),
        unused -> {
          DynamoDbClient ddb =
              DynamoDbClient.builder()
                  .region(Region.of(str(spec, "region")))
                  .credentialsProvider(
                      StaticCredentialsProvider.create(
                          AwsBasicCredentials.create("AKIDINTEROP", "interop-secret")))
                  .overrideConfiguration(c -> c.retryPolicy(RetryPolicy.none()))
                  .endpointOverride(URI.create(endpoint))
                  .build();
          return KeyStore.builder()
              .KeyStoreConfig(
                  KeyStoreConfig.builder()
                      .ddbClient(ddb)
                      .ddbTableName(table)
                      .logicalKeyStoreName(logical)
                      .kmsClient(kmsClient(spec))
                      .kmsConfiguration(KMSConfiguration.builder().kmsKeyArn(arn).build())
                      .build())
              .build();
        });
  }

  // op "keystore": the job's first key is an aws-kms-hierarchy spec; action create-key creates its
  // branch key (the spec's ID, the job's encryption context), version-key rotates it.
  static JsonObject keystoreAdmin(JsonObject job) {
    JsonObject spec = job.getAsJsonArray("keys").get(0).getAsJsonObject();
    KeyStore ks = keyStore(spec);
    String id = str(spec, "branch-key-id");
    switch (str(job, "action")) {
      case "create-key":
        {
          Map<String, String> ec = stringMap(job, "ec");
          CreateKeyOutput out =
              ks.CreateKey(
                  CreateKeyInput.builder()
                      .branchKeyIdentifier(id)
                      .encryptionContext(ec == null ? new HashMap<>() : ec)
                      .build());
          if (!id.equals(out.branchKeyIdentifier())) {
            throw new IllegalStateException(
                "created branch key " + out.branchKeyIdentifier() + ", asked for " + id);
          }
          break;
        }
      case "version-key":
        ks.VersionKey(VersionKeyInput.builder().branchKeyIdentifier(id).build());
        break;
      default:
        throw new IllegalArgumentException("unknown keystore action " + str(job, "action"));
    }
    return new JsonObject();
  }

  static IKeyring keyring(JsonObject spec) {
    String type = str(spec, "type");
    switch (type) {
      case "aws-kms-hierarchy":
        return MPL.CreateAwsKmsHierarchicalKeyring(
            CreateAwsKmsHierarchicalKeyringInput.builder()
                .keyStore(keyStore(spec))
                .branchKeyId(str(spec, "branch-key-id"))
                .ttlSeconds(600)
                .build());
      case "raw-aes":
        {
          byte[] key = Base64.getDecoder().decode(str(spec, "key"));
          AesWrappingAlg alg;
          switch (key.length) {
            case 16:
              alg = AesWrappingAlg.ALG_AES128_GCM_IV12_TAG16;
              break;
            case 24:
              alg = AesWrappingAlg.ALG_AES192_GCM_IV12_TAG16;
              break;
            case 32:
              alg = AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16;
              break;
            default:
              throw new IllegalArgumentException("raw-aes: bad key length " + key.length);
          }
          return MPL.CreateRawAesKeyring(
              CreateRawAesKeyringInput.builder()
                  .keyNamespace(str(spec, "namespace"))
                  .keyName(str(spec, "name"))
                  .wrappingKey(ByteBuffer.wrap(key))
                  .wrappingAlg(alg)
                  .build());
        }
      case "raw-rsa":
        {
          PaddingScheme p;
          switch (str(spec, "padding")) {
            case "pkcs1":
              p = PaddingScheme.PKCS1;
              break;
            case "oaep-sha1":
              p = PaddingScheme.OAEP_SHA1_MGF1;
              break;
            case "oaep-sha256":
              p = PaddingScheme.OAEP_SHA256_MGF1;
              break;
            case "oaep-sha384":
              p = PaddingScheme.OAEP_SHA384_MGF1;
              break;
            case "oaep-sha512":
              p = PaddingScheme.OAEP_SHA512_MGF1;
              break;
            default:
              throw new IllegalArgumentException("raw-rsa: unknown padding " + str(spec, "padding"));
          }
          CreateRawRsaKeyringInput.Builder b =
              CreateRawRsaKeyringInput.builder()
                  .keyNamespace(str(spec, "namespace"))
                  .keyName(str(spec, "name"))
                  .paddingScheme(p);
          if (str(spec, "public-key") != null) {
            b = b.publicKey(ByteBuffer.wrap(str(spec, "public-key").getBytes(StandardCharsets.UTF_8)));
          }
          if (str(spec, "private-key") != null) {
            b = b.privateKey(ByteBuffer.wrap(str(spec, "private-key").getBytes(StandardCharsets.UTF_8)));
          }
          return MPL.CreateRawRsaKeyring(b.build());
        }
      case "aws-kms":
        return MPL.CreateAwsKmsKeyring(
            CreateAwsKmsKeyringInput.builder()
                .kmsKeyId(str(spec, "key-id"))
                .kmsClient(kmsClient(spec))
                .build());
      case "raw-ecdh":
        return ecdhKeyring(spec);
      case "aws-kms-rsa":
        {
          CreateAwsKmsRsaKeyringInput.Builder b =
              CreateAwsKmsRsaKeyringInput.builder()
                  .kmsKeyId(str(spec, "key-id"))
                  .encryptionAlgorithm(EncryptionAlgorithmSpec.fromValue(str(spec, "algorithm")))
                  .kmsClient(kmsClient(spec));
          if (str(spec, "public-key") != null) {
            b = b.publicKey(ByteBuffer.wrap(str(spec, "public-key").getBytes(StandardCharsets.UTF_8)));
          }
          if (str(spec, "grant-token") != null) {
            b = b.grantTokens(List.of(str(spec, "grant-token")));
          }
          return MPL.CreateAwsKmsRsaKeyring(b.build());
        }
      default:
        throw new IllegalArgumentException("unknown keyring type " + type);
    }
  }

  // Raw ECDH keyring: private keys are PKCS #8 PEM, public keys SPKI DER (base64 in the spec).
  static IKeyring ecdhKeyring(JsonObject spec) {
    software.amazon.cryptography.primitives.model.ECDHCurveSpec curve;
    switch (str(spec, "curve")) {
      case "p256":
        curve = software.amazon.cryptography.primitives.model.ECDHCurveSpec.ECC_NIST_P256;
        break;
      case "p384":
        curve = software.amazon.cryptography.primitives.model.ECDHCurveSpec.ECC_NIST_P384;
        break;
      case "p521":
        curve = software.amazon.cryptography.primitives.model.ECDHCurveSpec.ECC_NIST_P521;
        break;
      default:
        throw new IllegalArgumentException("raw-ecdh: unknown curve " + str(spec, "curve"));
    }
    String priv = str(spec, "private-key");
    String pub = str(spec, "recipient-public-key");
    software.amazon.cryptography.materialproviders.model.RawEcdhStaticConfigurations.Builder scheme =
        software.amazon.cryptography.materialproviders.model.RawEcdhStaticConfigurations.builder();
    switch (str(spec, "schema")) {
      case "static":
        scheme.RawPrivateKeyToStaticPublicKey(
            software.amazon.cryptography.materialproviders.model.RawPrivateKeyToStaticPublicKeyInput.builder()
                .senderStaticPrivateKey(ByteBuffer.wrap(priv.getBytes(StandardCharsets.UTF_8)))
                .recipientPublicKey(ByteBuffer.wrap(Base64.getDecoder().decode(pub)))
                .build());
        break;
      case "ephemeral":
        scheme.EphemeralPrivateKeyToStaticPublicKey(
            software.amazon.cryptography.materialproviders.model.EphemeralPrivateKeyToStaticPublicKeyInput.builder()
                .recipientPublicKey(ByteBuffer.wrap(Base64.getDecoder().decode(pub)))
                .build());
        break;
      case "discovery":
        scheme.PublicKeyDiscovery(
            software.amazon.cryptography.materialproviders.model.PublicKeyDiscoveryInput.builder()
                .recipientStaticPrivateKey(ByteBuffer.wrap(priv.getBytes(StandardCharsets.UTF_8)))
                .build());
        break;
      default:
        throw new IllegalArgumentException("raw-ecdh: unknown schema " + str(spec, "schema"));
    }
    return MPL.CreateRawEcdhKeyring(
        software.amazon.cryptography.materialproviders.model.CreateRawEcdhKeyringInput.builder()
            .curveSpec(curve)
            .KeyAgreementScheme(scheme.build())
            .build());
  }

  static IKeyring keyrings(JsonArray specs) {
    if (specs == null || specs.size() == 0) {
      throw new IllegalArgumentException("keys: need a non-empty list");
    }
    List<IKeyring> krs = new ArrayList<>();
    for (JsonElement e : specs) {
      krs.add(keyring(e.getAsJsonObject()));
    }
    if (krs.size() == 1) {
      return krs.get(0);
    }
    return MPL.CreateMultiKeyring(
        CreateMultiKeyringInput.builder()
            .generator(krs.get(0))
            .childKeyrings(krs.subList(1, krs.size()))
            .build());
  }

  static CryptoAlgorithm suite(String hex) {
    int id = Integer.parseInt(hex.startsWith("0x") ? hex.substring(2) : hex, 16);
    for (CryptoAlgorithm a : CryptoAlgorithm.values()) {
      if ((a.getValue() & 0xffff) == id) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown suite " + hex);
  }

  static JsonObject info(CryptoResult<byte[], ?> r) {
    CiphertextHeaders h = r.getHeaders();
    JsonObject o = new JsonObject();
    o.addProperty("suite", String.format("0x%04x", r.getCryptoAlgorithm().getValue() & 0xffff));
    o.addProperty("frame", h.getContentType() == ContentType.SINGLEBLOCK ? 0 : h.getFrameLength());
    o.add("ec", GSON.toJsonTree(new LinkedHashMap<>(r.getEncryptionContext())));
    return o;
  }

  static Map<String, String> stringMap(JsonObject job, String k) {
    if (!job.has(k) || !job.get(k).isJsonObject()) {
      return null;
    }
    Map<String, String> m = new HashMap<>();
    for (Map.Entry<String, JsonElement> e : job.getAsJsonObject(k).entrySet()) {
      m.put(e.getKey(), e.getValue().getAsString());
    }
    return m;
  }

  static JsonObject run(JsonObject job) throws Exception {
    if ("keystore".equals(str(job, "op"))) {
      return keystoreAdmin(job);
    }
    byte[] in = Files.readAllBytes(Paths.get(str(job, "in")));
    IKeyring kr = keyrings(job.getAsJsonArray("keys"));
    String op = str(job, "op");
    CryptoResult<byte[], ?> r;
    if ("encrypt".equals(op)) {
      CryptoAlgorithm alg = suite(str(job, "suite"));
      AwsCrypto.Builder b =
          AwsCrypto.builder()
              .withCommitmentPolicy(
                  alg.isCommitting()
                      ? CommitmentPolicy.RequireEncryptAllowDecrypt
                      : CommitmentPolicy.ForbidEncryptAllowDecrypt)
              .withEncryptionAlgorithm(alg);
      if (job.has("frame") && !job.get("frame").isJsonNull()) {
        b = b.withEncryptionFrameSize(job.get("frame").getAsInt());
      }
      Map<String, String> ec = stringMap(job, "ec");
      if (ec == null) {
        ec = new HashMap<>();
      }
      if (job.has("required-keys") && job.get("required-keys").isJsonArray()) {
        // Required encryption context CMM: these pairs are authenticated but
        // not stored in the message.
        List<String> keys = new ArrayList<>();
        for (JsonElement e : job.getAsJsonArray("required-keys")) {
          keys.add(e.getAsString());
        }
        ICryptographicMaterialsManager cmm =
            MPL.CreateDefaultCryptographicMaterialsManager(
                CreateDefaultCryptographicMaterialsManagerInput.builder().keyring(kr).build());
        ICryptographicMaterialsManager req =
            MPL.CreateRequiredEncryptionContextCMM(
                CreateRequiredEncryptionContextCMMInput.builder()
                    .underlyingCMM(cmm)
                    .requiredEncryptionContextKeys(keys)
                    .build());
        r = b.build().encryptData(req, in, ec);
      } else {
        r = b.build().encryptData(kr, in, ec);
      }
    } else if ("decrypt".equals(op)) {
      AwsCrypto c =
          AwsCrypto.builder().withCommitmentPolicy(CommitmentPolicy.RequireEncryptAllowDecrypt).build();
      Map<String, String> reproduced = stringMap(job, "reproduced-ec");
      r = reproduced == null ? c.decryptData(kr, in) : c.decryptData(kr, in, reproduced);
    } else {
      throw new IllegalArgumentException("unknown op " + op);
    }
    Files.write(Paths.get(str(job, "out")), r.getResult());
    return info(r);
  }

  static JsonObject runSafely(JsonObject job) {
    try {
      JsonObject r = run(job);
      r.addProperty("ok", true);
      return r;
    } catch (Throwable t) {
      JsonObject r = new JsonObject();
      r.addProperty("ok", false);
      String msg = t.getMessage() == null ? "" : t.getMessage().split("\n", 2)[0];
      r.addProperty("error", t.getClass().getSimpleName() + ": " + msg);
      return r;
    }
  }

  static int main2(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("batch")) {
      String text = new String(Files.readAllBytes(Paths.get(args[1])), StandardCharsets.UTF_8);
      JsonArray jobs = JsonParser.parseString(text).getAsJsonArray();
      JsonArray results = new JsonArray();
      for (JsonElement j : jobs) {
        results.add(runSafely(j.getAsJsonObject()));
      }
      Files.write(Paths.get(args[2]), GSON.toJson(results).getBytes(StandardCharsets.UTF_8));
      return 0;
    }
    if (args.length < 1
        || !(args[0].equals("encrypt") || args[0].equals("decrypt"))
        || args.length % 2 != 1) {
      System.err.println(
          "usage: Driver encrypt --keys JSON --suite 0x0478 --frame N --ec JSON [--required-keys JSON] --in F --out F [--info F]\n"
              + "       Driver decrypt --keys JSON [--reproduced-ec JSON] --in F --out F [--info F]\n"
              + "       Driver batch JOBS.json RESULTS.json");
      return 2;
    }
    Map<String, String> f = new HashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        System.err.println("bad argument " + args[i]);
        return 2;
      }
      f.put(args[i].substring(2), args[i + 1]);
    }
    JsonObject job = new JsonObject();
    job.addProperty("op", args[0]);
    job.add("keys", JsonParser.parseString(f.get("keys")));
    job.addProperty("in", f.get("in"));
    job.addProperty("out", f.get("out"));
    if (f.containsKey("suite")) {
      job.addProperty("suite", f.get("suite"));
    }
    if (f.containsKey("frame")) {
      job.addProperty("frame", Integer.parseInt(f.get("frame")));
    }
    for (String k : new String[] {"ec", "required-keys", "reproduced-ec"}) {
      if (f.containsKey(k)) {
        job.add(k, JsonParser.parseString(f.get(k)));
      }
    }
    JsonObject r = runSafely(job);
    if (f.containsKey("info")) {
      Files.write(Paths.get(f.get("info")), GSON.toJson(r).getBytes(StandardCharsets.UTF_8));
    }
    if (!r.get("ok").getAsBoolean()) {
      System.err.println(args[0] + " failed: " + r.get("error").getAsString());
      return 1;
    }
    return 0;
  }

  public static void main(String[] args) throws Exception {
    System.exit(main2(args));
  }
}
