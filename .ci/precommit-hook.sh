#!/usr/bin/env bash
# The pre-commit hook as shipped: pre-commit installs cnncalc from this repository's HEAD and runs
# hook `cnncalc-check` on a good and a bad file in a scratch repository.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
git init -q
cp "$repo/specs/vgg16.yaml" good.yaml
printf 'input: [8, 8, 3]\nlayers:\n  - convv: 8\n' > bad.yaml
git add good.yaml bad.yaml
pre-commit try-repo "$repo" cnncalc-check --files good.yaml > good.log 2>&1 || { cat good.log; exit 1; }
if pre-commit try-repo "$repo" cnncalc-check --files good.yaml bad.yaml > bad.log 2>&1; then
  cat bad.log; echo "the hook passed a bad file"; exit 1
fi
grep -q 'bad.yaml' bad.log && grep -q 'unknown layer kind `convv` (did you mean "conv"?)' bad.log \
  || { cat bad.log; echo "the hook did not report the bad file"; exit 1; }
echo "pre-commit hook cnncalc-check: passes a good file, fails a bad one with its message"
