#!/usr/bin/env bash
# Installs the Python AWS Encryption SDK CLI (aws-encryption-cli, PyPI
# aws-encryption-sdk-cli), pinned with all its dependencies, into a
# virtualenv for the interop test of cmd/encrypt-cli (pycli_test.go).
#
# Usage: interop/python/install-cli.sh [--force]
#
# The virtualenv is $GO_ESDK_PYVENV_CLI, by default
# $HOME/.cache/go-esdk/pyvenv-cli. The script does nothing when that
# virtualenv already holds exactly these pins (it writes the pins to
# .go-esdk-installed as its last step); --force reinstalls. Needs python3
# (3.8 or later, with the venv module) and access to PyPI.
set -euo pipefail

venv="${GO_ESDK_PYVENV_CLI:-$HOME/.cache/go-esdk/pyvenv-cli}"
python="${PYTHON:-python3}"

# aws-encryption-sdk-cli 4.3.0 requires aws-encryption-sdk~=3.1; the rest
# are that release's transitive dependencies, as resolved when pinned.
pins='aws-encryption-sdk-cli==4.3.0
aws-encryption-sdk==3.3.1
base64io==1.0.3
attrs==26.1.0
boto3==1.44.8
botocore==1.44.8
s3transfer==0.19.3
jmespath==1.1.0
python-dateutil==2.9.0.post0
six==1.17.0
urllib3==2.8.0
cryptography==50.0.2
cffi==2.1.1
pycparser==3.12
wrapt==2.5.2'

marker="$venv/.go-esdk-installed"
if [[ "${1:-}" != "--force" && -f "$marker" && "$(cat "$marker")" == "$pins" && -x "$venv/bin/aws-encryption-cli" ]]; then
  echo "aws-encryption-cli already installed in $venv"
  exit 0
fi

rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
req="$(mktemp)"
trap 'rm -f "$req"' EXIT
printf '%s\n' "$pins" >"$req"
# --only-binary keeps the install free of compilers. (The CLI also
# declares setuptools, which it does not import; pip takes the venv's.)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --only-binary=cryptography,cffi -r "$req"
"$venv/bin/python" -m pip check --disable-pip-version-check
"$venv/bin/aws-encryption-cli" --version
printf '%s' "$pins" >"$marker"
echo "aws-encryption-cli installed in $venv"
